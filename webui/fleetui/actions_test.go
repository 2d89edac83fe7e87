package fleetui

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
)

// recorder is a fleet that records the changes asked of it and answers
// them with err.
type recorder struct {
	mu    sync.Mutex
	calls []string
	err   error
}

func (r *recorder) note(format string, args ...any) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls = append(r.calls, fmt.Sprintf(format, args...))
	return r.err
}

func (r *recorder) fleet() *fakeFleet {
	return &fakeFleet{
		nodes: func(context.Context) ([]Node, error) { return sampleNodes(), nil },
		revoke: func(_ context.Context, node, reason string) error {
			return r.note("Revoke %s %q", node, reason)
		},
		reinstate: func(_ context.Context, node, reason string) error {
			return r.note("Reinstate %s %q", node, reason)
		},
		assign: func(_ context.Context, node string, communes []string) error {
			return r.note("Assign %s %v", node, communes)
		},
		resolve: func(_ context.Context, entry uint64, accept bool, reason string) error {
			return r.note("Resolve %d %v %q", entry, accept, reason)
		},
		token: func(_ context.Context, commune, node string, ttl time.Duration) (Token, error) {
			if err := r.note("Token %s %q %v", commune, node, ttl); err != nil {
				return Token{}, err
			}
			return Token{Value: "tok-ABC_123", Node: node, Commune: commune, Expires: testNow.Add(ttl)}, nil
		},
	}
}

func TestActions(t *testing.T) {
	refused := fmt.Errorf("POST /v1/admin/revoke: 400 node edge-a is already revoked: %w", ErrRefused)
	long := strings.Repeat("ư", maxReason+1)
	tests := []struct {
		name     string
		path     string
		form     url.Values
		err      error // the fleet's answer
		status   int
		call     string // "" none
		location string
		contain  []string
	}{
		{name: "revoke", path: "/node/edge-a/revoke", form: url.Values{"reason": {"  hộp máy bị mất  "}, "confirm": {"yes"}},
			status: 303, call: `Revoke edge-a "hộp máy bị mất"`, location: "/node/edge-a?done=revoked"},
		{name: "revoke without reason", path: "/node/edge-a/revoke", form: url.Values{"reason": {"   "}, "confirm": {"yes"}},
			status: 422, contain: []string{"Chưa ghi lý do", `id="revoke-reason" name="reason" rows="2" maxlength="500" required aria-invalid="true"`}},
		{name: "revoke with a long reason", path: "/node/edge-a/revoke", form: url.Values{"reason": {long}, "confirm": {"yes"}},
			status: 422, contain: []string{"tối đa 500 ký tự"}},
		{name: "revoke unconfirmed", path: "/node/edge-a/revoke", form: url.Values{"reason": {"mất máy"}},
			status: 422, contain: []string{"Chưa đánh dấu ô xác nhận", ">mất máy</textarea>"}},
		{name: "revoke refused by the city", path: "/node/edge-a/revoke", form: url.Values{"reason": {"mất máy"}, "confirm": {"yes"}},
			err: refused, status: 502, call: `Revoke edge-a "mất máy"`,
			contain: []string{"từ chối yêu cầu nên không có gì thay đổi", "node edge-a is already revoked", ">mất máy</textarea>"}},
		{name: "reinstate", path: "/node/edge-suspended/reinstate", form: url.Values{"reason": {"đã sửa nhật ký"}},
			status: 303, call: `Reinstate edge-suspended "đã sửa nhật ký"`, location: "/node/edge-suspended?done=reinstated"},
		{name: "reinstate without reason", path: "/node/edge-suspended/reinstate", form: url.Values{},
			status: 422, contain: []string{"Chưa ghi lý do"}},
		{name: "assign", path: "/node/edge-a/assign", form: url.Values{"communes": {"92104, 92101 92101;92103"}},
			status: 303, call: "Assign edge-a [92101 92103 92104]", location: "/node/edge-a?done=assigned"},
		{name: "assign nothing", path: "/node/edge-a/assign", form: url.Values{"communes": {" , "}},
			status: 422, contain: []string{"Chưa nhập mã xã nào"}},
		{name: "assign a bad code", path: "/node/edge-a/assign", form: url.Values{"communes": {"92101, 9210x"}},
			status: 422, contain: []string{"Mã xã không hợp lệ", `value="92101, 9210x"`}},
		{name: "assign, city unreachable", path: "/node/edge-a/assign", form: url.Values{"communes": {"92101"}},
			err: fmt.Errorf("dial: %w", ErrUnreachable), status: 502, call: "Assign edge-a [92101]",
			contain: []string{"Không kết nối được tới thành phố tại " + testCity}},
		{name: "accept", path: "/conflicts/7", form: url.Values{"reason": {"đúng hồ sơ giấy"}, "decision": {"accept"}},
			status: 303, call: `Resolve 7 true "đúng hồ sơ giấy"`, location: "/conflicts?done=accepted&entry=7"},
		{name: "reject", path: "/conflicts/7", form: url.Values{"reason": {"trùng"}, "decision": {"reject"}},
			status: 303, call: `Resolve 7 false "trùng"`, location: "/conflicts?done=rejected&entry=7"},
		{name: "resolve without decision", path: "/conflicts/7", form: url.Values{"reason": {"trùng"}},
			status: 422, contain: []string{"Hãy bấm Chấp nhận hoặc Từ chối"}},
		{name: "resolve without reason", path: "/conflicts/7", form: url.Values{"decision": {"reject"}},
			status: 422, contain: []string{"Chưa ghi lý do"}},
		{name: "resolve a bad entry", path: "/conflicts/abc", form: url.Values{"reason": {"x"}, "decision": {"reject"}},
			status: 404, contain: []string{"Không có mục “abc”"}},
		{name: "resolve, gone", path: "/conflicts/7", form: url.Values{"reason": {"x"}, "decision": {"accept"}},
			err: fmt.Errorf("entry 7: %w", ErrNotFound), status: 502, call: `Resolve 7 true "x"`,
			contain: []string{"không tìm thấy đối tượng này"}},
		{name: "enroll", path: "/enroll", form: url.Values{"commune": {"92101"}, "node": {""}, "ttl": {"24"}},
			status: 200, call: `Token 92101 "" 24h0m0s`,
			contain: []string{`<code id="token">tok-ABC_123</code>`, "do thành phố đặt khi đăng ký", "11/03/2026 09:00",
				"xanode edge enroll --data /var/lib/xanode --city " + testCity + " --token tok-ABC_123"}},
		{name: "enroll a named node", path: "/enroll", form: url.Values{"commune": {"92101"}, "node": {"edge-92101"}, "ttl": {"48"}},
			status: 200, call: `Token 92101 "edge-92101" 48h0m0s`, contain: []string{"<dd>edge-92101</dd>"}},
		{name: "enroll a bad commune", path: "/enroll", form: url.Values{"commune": {"921"}, "ttl": {"24"}},
			status: 422, contain: []string{"Mã xã không hợp lệ", `value="921" required pattern="[0-9]{5}" inputmode="numeric" maxlength="5" autocomplete="off" aria-invalid="true"`}},
		{name: "enroll a bad node", path: "/enroll", form: url.Values{"commune": {"92101"}, "node": {"Edge X"}, "ttl": {"24"}},
			status: 422, contain: []string{"Mã máy không hợp lệ"}},
		{name: "enroll for too long", path: "/enroll", form: url.Values{"commune": {"92101"}, "ttl": {"169"}},
			status: 422, contain: []string{"từ 1 đến 168"}},
		{name: "enroll for no time", path: "/enroll", form: url.Values{"commune": {"92101"}, "ttl": {"abc"}},
			status: 422, contain: []string{"từ 1 đến 168"}},
		{name: "enroll, certificate refused", path: "/enroll", form: url.Values{"commune": {"92101"}, "ttl": {"24"}},
			err: fmt.Errorf("tls: %w", ErrDenied), status: 502, call: `Token 92101 "" 24h0m0s`,
			contain: []string{"không chấp nhận chứng chỉ quản trị", `value="92101"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := &recorder{err: tt.err}
			e := newEnv(t, Config{Fleet: rec.fleet()})
			c := e.client()
			tt.form.Set("csrf", c.login())
			p := c.Post(tt.path, tt.form)
			p.WantStatus(t, tt.status)
			if got := p.Header.Get("Location"); got != tt.location {
				t.Errorf("goes to %q, want %q", got, tt.location)
			}
			p.MustContain(t, tt.contain...)
			p.MustNotContain(t, "goroutine", ".go:")
			var want []string
			if tt.call != "" {
				want = []string{tt.call}
			}
			if fmt.Sprint(rec.calls) != fmt.Sprint(want) {
				t.Errorf("fleet calls %q, want %q", rec.calls, want)
			}
		})
	}
}

// TestFlash: after an action the page says what was done.
func TestFlash(t *testing.T) {
	e := newEnv(t, Config{})
	c := e.client()
	c.login()
	c.Get("/node/edge-a?done=revoked").MustContain(t, `<p class="flash" role="status">Đã thu hồi máy.</p>`)
	c.Get("/conflicts?done=accepted&entry=7").MustContain(t, "Mục #7: Đã chấp nhận thay đổi.")
	c.Get("/node/edge-a?done=<b>").MustNotContain(t, `class="flash"`)
	c.Get("/conflicts?done=accepted&entry=<b>").MustNotContain(t, "Mục #", "<b>")
}

func TestNodePage(t *testing.T) {
	type auditCall struct {
		node  string
		after uint64
		limit int
	}
	var calls []auditCall
	trail := AuditTrail{Verified: 2, Entries: []AuditEntry{
		{Seq: 1, Time: testNow, Officer: "lan", Action: "lookup", Citizen: "092195001234", Detail: "tra cứu"},
		{Seq: 2, Time: testNow, Officer: "lan", Action: "change", Citizen: "092195001234"},
		{Seq: 3, Time: testNow, Officer: "hung", Action: "identify", Citizen: "092220004321"},
	}}
	var seriesErr, auditErr error
	f := &fakeFleet{
		nodes: func(context.Context) ([]Node, error) { return sampleNodes(), nil },
		nodeSeries: func(_ context.Context, node string) ([]Sample, error) {
			if node != "edge-a" && node != "edge-revoked" && node != "edge-suspended" {
				return nil, fmt.Errorf("series of %q", node)
			}
			return []Sample{{testNow, 3, 1, 0}, {testNow.Add(time.Minute), 2, 4, 1}, {testNow.Add(2 * time.Minute), 0, 0, 1}}, seriesErr
		},
		audit: func(_ context.Context, node string, after uint64, limit int) (AuditTrail, error) {
			calls = append(calls, auditCall{node, after, limit})
			tr := trail
			tr.Node = node
			return tr, auditErr
		},
	}
	e := newEnv(t, Config{Fleet: f, AuditPage: 3})
	c := e.client()
	c.login()

	p := c.Get("/node/edge-a")
	p.WantStatus(t, http.StatusOK)
	p.MustContain(t,
		`<span class="id">edge-a</span> <span class="badge active">Hoạt động</span>`,
		`<a href="/commune/92108">92108</a>, <a href="/commune/92109">92109</a>`,
		"<dd>5.000 / 5.000</dd>",
		`action="/node/edge-a/revoke"`, `action="/node/edge-a/assign"`, `value="92108, 92109"`,
		"Chuỗi nhật ký đã được thành phố kiểm tra đến mục #2",
		`<a href="/node/edge-a?after=3#audit" rel="next">Trang sau »</a>`,
		"tra cứu", "092220004321",
	)
	p.MustNotContain(t, `action="/node/edge-a/reinstate"`, "Trang đầu")
	if n := strings.Count(p.Body, "<svg "); n != 3 {
		t.Errorf("%d charts, want 3", n)
	}
	if n := strings.Count(p.Body, `<td class="v">✓</td>`); n != 2 {
		t.Errorf("%d entries marked verified, want 2", n)
	}
	if n := strings.Count(p.Body, "<polyline"); n != 3 {
		t.Errorf("%d lines, want 3", n)
	}

	c.Get("/node/edge-a?after=3").MustContain(t, `<a href="/node/edge-a#audit">« Trang đầu</a>`)
	if want := []auditCall{{"edge-a", 0, 3}, {"edge-a", 3, 3}}; fmt.Sprint(calls) != fmt.Sprint(want) {
		t.Errorf("audit calls %v, want %v", calls, want)
	}

	// A revoked node offers no action; a suspended one can be reinstated.
	p = c.Get("/node/edge-revoked")
	p.MustContain(t, "Lý do: box stolen", "Máy đã bị thu hồi nên không còn thao tác nào")
	p.MustNotContain(t, "/revoke", "/assign", "/reinstate")
	c.Get("/node/edge-suspended").MustContain(t, `action="/node/edge-suspended/reinstate"`, `action="/node/edge-suspended/revoke"`)

	// The chain's state, as the city reports it.
	for _, tt := range []struct {
		verified uint64
		broken   string
		want     string
	}{
		{4, "hash mismatch at 5", `<p class="chain bad" role="status">CHUỖI NHẬT KÝ BỊ HỎNG: hash mismatch at 5. Chỉ các mục đến #4 đã được kiểm tra.`},
		{0, "gap at 1", `<p class="chain bad" role="status">CHUỖI NHẬT KÝ BỊ HỎNG: gap at 1. Nhật ký`},
		{0, "", `<p class="chain warn" role="status">Thành phố chưa kiểm tra chuỗi nhật ký`},
		{1234, "", "kiểm tra đến mục #1.234"},
	} {
		trail.Verified, trail.Broken = tt.verified, tt.broken
		c.Get("/node/edge-a").MustContain(t, tt.want)
	}

	// A failed part of the page says so; the rest still shows.
	seriesErr = fmt.Errorf("series: %w", ErrUnreachable)
	auditErr = fmt.Errorf("audit: %w", ErrDenied)
	p = c.Get("/node/edge-a")
	p.WantStatus(t, http.StatusOK)
	p.MustContain(t, "Không kết nối được tới thành phố", "series: fleetui: city unreachable",
		"không chấp nhận chứng chỉ quản trị", `action="/node/edge-a/revoke"`)
	p.MustNotContain(t, "<svg ")

	p = c.Get("/node/edge-zzz")
	p.WantStatus(t, http.StatusNotFound)
	p.MustContain(t, "Không có máy “edge-zzz” trong danh sách của thành phố")

	broken := newEnv(t, Config{Fleet: &fakeFleet{nodes: func(context.Context) ([]Node, error) {
		return nil, fmt.Errorf("nodes: %w", ErrUnreachable)
	}}})
	bc := broken.client()
	bc.login()
	bc.Get("/node/edge-a").WantStatus(t, http.StatusBadGateway)
}

func TestCommunePage(t *testing.T) {
	var asked []string
	var seriesErr error
	f := &fakeFleet{
		nodes: func(context.Context) ([]Node, error) { return sampleNodes(), nil },
		communeSeries: func(_ context.Context, commune string) ([]Sample, error) {
			asked = append(asked, commune)
			return []Sample{{testNow, 1, 1, 1}, {testNow.Add(time.Hour), 2, 2, 2}}, seriesErr
		},
	}
	e := newEnv(t, Config{Fleet: f})
	c := e.client()
	c.login()
	p := c.Get("/commune/92109")
	p.WantStatus(t, http.StatusOK)
	p.MustContain(t, "<title>Xã 92109 ·", `<a href="/node/edge-a">edge-a</a>`)
	p.MustNotContain(t, "edge-b")
	if n := strings.Count(p.Body, "<svg "); n != 3 {
		t.Errorf("%d charts, want 3", n)
	}
	c.Get("/commune/99999").MustContain(t, "Không có máy nào phục vụ xã này.")
	c.Get("/commune/92x").WantStatus(t, http.StatusNotFound)
	seriesErr = fmt.Errorf("x: %w", ErrUnreachable)
	c.Get("/commune/92109").MustContain(t, "Không kết nối được tới thành phố", `<a href="/node/edge-a">edge-a</a>`)
	if fmt.Sprint(asked) != "[92109 99999 92109]" {
		t.Errorf("series asked for %v", asked)
	}
}

func TestConflictsPage(t *testing.T) {
	list := []Conflict{
		{Entry: 7, Citizen: "092195001234", Node: "edge-a", Officer: "lan", Op: "register_temporary", Time: testNow,
			Reason: "deceased citizen", Summary: "temporary_address: 45 Nguyễn Văn Cừ"},
		{Entry: 9, Citizen: "092220004321", Node: "edge-b", Officer: "hung", Op: "future_op", Time: testNow},
	}
	var err error
	f := &fakeFleet{conflicts: func(context.Context) ([]Conflict, error) { return list, err }}
	e := newEnv(t, Config{Fleet: f})
	c := e.client()
	c.login()
	p := c.Get("/conflicts")
	p.WantStatus(t, http.StatusOK)
	p.MustContain(t, "Mục #7 · Đăng ký tạm trú", "Mục #9 · future_op", `action="/conflicts/7"`, `action="/conflicts/9"`,
		"deceased citizen", "temporary_address: 45 Nguyễn Văn Cừ", `<a href="/node/edge-a">edge-a</a>`,
		`name="decision" value="accept"`, `name="decision" value="reject"`)

	// A refused form shows its error at its own entry only.
	p = c.Post("/conflicts/9", url.Values{"csrf": {p.CSRF(t)}, "decision": {"accept"}})
	p.WantStatus(t, http.StatusUnprocessableEntity)
	if i, j := strings.Index(p.Body, `id="entry-9"`), strings.Index(p.Body, "Chưa ghi lý do"); i < 0 || j < i {
		t.Errorf("the error is not in entry 9's form")
	}
	if strings.Count(p.Body, `aria-invalid="true"`) != 1 {
		t.Errorf("more than one form marked invalid")
	}

	list = nil
	c.Get("/conflicts").MustContain(t, "Không có xung đột nào chờ xem xét.")
	err = fmt.Errorf("x: %w", ErrUnreachable)
	p = c.Get("/conflicts")
	p.WantStatus(t, http.StatusBadGateway)
	p.MustContain(t, "Không kết nối được tới thành phố")
	p.MustNotContain(t, "Không có xung đột nào")
}
