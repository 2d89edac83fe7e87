package fleetui

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestProblems(t *testing.T) {
	srv := newEnv(t, Config{}).srv
	byID := make(map[string]Node)
	for _, n := range sampleNodes() {
		byID[n.ID] = n
	}
	with := func(id string, f func(n *Node)) Node {
		n := byID[id]
		f(&n)
		return n
	}
	tests := []struct {
		name string
		node Node
		want []problem
	}{
		{"healthy", byID["edge-b"], nil},
		{"young outbox and findings are no problem", byID["edge-a"], nil},
		{"revoked", byID["edge-revoked"], []problem{probRevoked}},
		{"revoked hides the rest", with("edge-revoked", func(n *Node) { n.DiskFree = 1 }), []problem{probRevoked}},
		{"suspended", byID["edge-suspended"], []problem{probSuspended}},
		{"flagged", byID["edge-flagged"], []problem{probFlagged}},
		{"cert expiring", byID["edge-cert"], []problem{probCert}},
		{"cert expired", with("edge-b", func(n *Node) { n.CertExpiry = testNow }), []problem{probCertExpired}},
		{"cert unknown", with("edge-b", func(n *Node) { n.CertExpiry = time.Time{} }), nil},
		{"old outbox", byID["edge-outbox"], []problem{probOutbox}},
		{"disk low", byID["edge-disk"], []problem{probDisk}},
		{"lag, synced long ago", byID["edge-lag"], []problem{probLag}},
		{"lag, synced just now", with("edge-lag", func(n *Node) { n.LastSynced = testNow.Add(-time.Minute) }), nil},
		{"lag, never synced", with("edge-lag", func(n *Node) { n.LastSynced = time.Time{} }), []problem{probLag}},
		{"never seen: its figures do not count", with("edge-b", func(n *Node) {
			n.LastSeen, n.DiskFree, n.SubsetVersion = time.Time{}, 0, 0
		}), []problem{probNeverSeen}},
		{"several, most urgent first", with("edge-suspended", func(n *Node) {
			n.DiskFree, n.CertExpiry = 10, testNow.Add(time.Hour)
		}), []problem{probSuspended, probCert, probDisk}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := srv.problems(&tt.node, testNow); !slices.Equal(got, tt.want) {
				t.Errorf("problems = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestDashboardOrder(t *testing.T) {
	e := newEnv(t, Config{})
	c := e.client()
	c.login()
	rest := func(first ...string) []string {
		all := []string{"edge-a", "edge-b", "edge-cert", "edge-disk", "edge-flagged", "edge-lag", "edge-outbox", "edge-revoked", "edge-suspended"}
		return append(first, slices.DeleteFunc(all, func(id string) bool { return slices.Contains(first, id) })...)
	}
	problemsFirst := []string{"edge-revoked", "edge-suspended", "edge-flagged", "edge-cert", "edge-outbox", "edge-disk", "edge-lag", "edge-a", "edge-b"}
	tests := []struct {
		query string
		want  []string
	}{
		{"", problemsFirst},
		{"?sort=problem&dir=desc", []string{"edge-a", "edge-b", "edge-lag", "edge-disk", "edge-outbox", "edge-cert", "edge-flagged", "edge-suspended", "edge-revoked"}},
		{"?sort=bogus", problemsFirst},
		{"?sort=node", rest()},
		{"?sort=node&dir=desc", []string{"edge-suspended", "edge-revoked", "edge-outbox", "edge-lag", "edge-flagged", "edge-disk", "edge-cert", "edge-b", "edge-a"}},
		{"?sort=communes", []string{"edge-lag", "edge-disk", "edge-outbox", "edge-cert", "edge-flagged", "edge-suspended", "edge-revoked", "edge-a", "edge-b"}},
		{"?sort=state", []string{"edge-revoked", "edge-suspended", "edge-flagged", "edge-a", "edge-b", "edge-cert", "edge-disk", "edge-lag", "edge-outbox"}},
		{"?sort=seen", rest("edge-flagged")},
		{"?sort=lag", rest("edge-lag")},
		{"?sort=lag&dir=asc", append(slices.DeleteFunc(rest(), func(id string) bool { return id == "edge-lag" }), "edge-lag")},
		{"?sort=outbox", rest("edge-outbox", "edge-a")},
		{"?sort=cert", rest("edge-cert")},
		{"?sort=disk", rest("edge-disk")},
		{"?sort=software", rest("edge-b")},
		{"?sort=findings", rest("edge-a")},
		{"?q=92105", []string{"edge-flagged"}},
		{"?q=EDGE-A", []string{"edge-a"}},
		{"?q=92109", []string{"edge-a"}},
		{"?q=nothing", nil},
		{"?state=problems", problemsFirst[:7]},
		{"?state=revoked", []string{"edge-revoked"}},
		{"?state=active&sort=node", []string{"edge-a", "edge-b", "edge-cert", "edge-disk", "edge-lag", "edge-outbox"}},
		{"?state=bogus", problemsFirst},
		{"?state=problems&q=edge-&sort=disk", []string{"edge-disk", "edge-cert", "edge-flagged", "edge-lag", "edge-outbox", "edge-revoked", "edge-suspended"}},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			p := c.Get("/" + tt.query)
			p.WantStatus(t, http.StatusOK)
			if got := rowOrder(p.Body); !slices.Equal(got, tt.want) {
				t.Errorf("rows %v\nwant %v", got, tt.want)
			}
		})
	}
}

func TestDashboardPage(t *testing.T) {
	e := newEnv(t, Config{FlagAfter: 15 * time.Minute})
	c := e.client()
	c.login()
	p := c.Get("/")
	p.WantStatus(t, http.StatusOK)
	p.MustContain(t,
		`<th scope="col" aria-sort="ascending"><a href="/?dir=desc&amp;sort=problem">Vấn đề</a></th>`,
		`<th scope="col"><a href="/?dir=desc&amp;sort=lag">Độ trễ (mục)</a></th>`,
		`<th scope="col"><a href="/?dir=asc&amp;sort=node">Máy</a></th>`,
		"Chứng chỉ hết hạn sau 3 ngày",
		"42 thay đổi chưa gửi được, cũ nhất đã chờ 2 giờ",
		"Đĩa chỉ còn trống 300,0 MiB",
		"Chậm 1.000 mục so với thành phố, đồng bộ lần cuối 1 giờ trước",
		"Mất liên lạc 3 giờ",
		`title="box stolen"`,
		`<a href="/commune/92108">92108</a>, <a href="/commune/92109">92109</a>`,
		`<a href="/node/edge-a">edge-a</a>`,
		"hiển thị 9 / 9 máy",
		"Có vấn đề: 7",
		"Máy bị đánh dấu mất liên lạc khi không thấy quá 15 phút.",
		`data-ws="/ws"`,
	)
	// The page keeps its view in its links, its filter form and its socket.
	p = c.Get("/?q=edge&state=problems&sort=lag&dir=desc")
	p.MustContain(t,
		`<th scope="col" aria-sort="descending"><a href="/?dir=asc&amp;q=edge&amp;sort=lag&amp;state=problems">`,
		`data-ws="/ws?dir=desc&amp;q=edge&amp;sort=lag&amp;state=problems"`,
		`<option value="problems" selected>`,
		`<input id="q" name="q" value="edge"`,
		"hiển thị 7 / 9 máy",
	)
}

func TestDashboardCityError(t *testing.T) {
	unreachable := fmt.Errorf("GET %s/v1/admin/nodes: %w", testCity,
		&net.OpError{Op: "dial", Net: "tcp", Err: fmt.Errorf("connection refused")})
	e := newEnv(t, Config{Fleet: &fakeFleet{nodes: func(context.Context) ([]Node, error) { return nil, unreachable }}})
	c := e.client()
	c.login()
	p := c.Get("/")
	p.WantStatus(t, http.StatusBadGateway)
	p.MustContain(t, "Không kết nối được tới thành phố tại "+testCity, "dial tcp: connection refused", "hiển thị 0 / 0 máy")
	p.MustNotContain(t, "goroutine", ".go:")
}

func TestErrorKey(t *testing.T) {
	deadline, cancel := context.WithDeadline(context.Background(), time.Now())
	defer cancel()
	<-deadline.Done()
	tests := []struct {
		err  error
		want string
	}{
		{fmt.Errorf("nodes: %w", ErrUnreachable), "fleet.error.unreachable"},
		{&net.OpError{Op: "dial", Err: fmt.Errorf("refused")}, "fleet.error.unreachable"},
		{fmt.Errorf("call: %w", deadline.Err()), "fleet.error.timeout"},
		{fmt.Errorf("403: %w", ErrDenied), "fleet.error.denied"},
		{fmt.Errorf("node x: %w", ErrNotFound), "fleet.error.notfound"},
		{fmt.Errorf("commune code must be 5 digits: %w", ErrRefused), "fleet.error.refused"},
		{fmt.Errorf("500 internal"), "fleet.error.city"},
	}
	for _, tt := range tests {
		if got := errorKey(tt.err); got != tt.want {
			t.Errorf("errorKey(%v) = %s, want %s", tt.err, got, tt.want)
		}
	}
}

func TestFormat(t *testing.T) {
	srv := newEnv(t, Config{}).srv
	for _, tt := range []struct {
		n      uint64
		vi, en string
	}{
		{0, "0 B", "0 B"}, {1023, "1023 B", "1023 B"}, {1536, "1,5 KiB", "1.5 KiB"},
		{300 << 20, "300,0 MiB", "300.0 MiB"}, {40 << 30, "40,0 GiB", "40.0 GiB"}, {3 << 40, "3,0 TiB", "3.0 TiB"},
	} {
		if got := size("vi", tt.n); got != tt.vi {
			t.Errorf("vi size(%d) = %q, want %q", tt.n, got, tt.vi)
		}
		if got := size("en", tt.n); got != tt.en {
			t.Errorf("en size(%d) = %q, want %q", tt.n, got, tt.en)
		}
	}
	if got := formatTime(time.Time{}, srv.cfg.Location); got != "–" {
		t.Errorf("zero time shows %q", got)
	}
	if got := formatTime(testNow, srv.cfg.Location); got != "10/03/2026 09:00" {
		t.Errorf("time shows %q", got)
	}
	for _, tt := range []struct {
		d    time.Duration
		want string
	}{{-time.Second, "0 giây"}, {59 * time.Second, "59 giây"}, {90 * time.Minute, "1 giờ"}, {72 * time.Hour, "3 ngày"}} {
		if got := age("vi", tt.d); got != tt.want {
			t.Errorf("age(%v) = %q, want %q", tt.d, got, tt.want)
		}
	}
	if !strings.Contains(shellQuote("it's"), `'it'\''s'`) || shellQuote("https://c:8443") != "https://c:8443" || shellQuote("") != "''" {
		t.Errorf("shellQuote: %q %q %q", shellQuote("it's"), shellQuote("https://c:8443"), shellQuote(""))
	}
}
