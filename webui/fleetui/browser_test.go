package fleetui

import (
	"context"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/xanode/xanode/webui/shell/browsertest"
)

// browser is the fleet UI's test browser (webui/shell/browsertest).
type browser struct{ *browsertest.Browser }

func newBrowser(t *testing.T) *browser {
	return &browser{browsertest.New(t, browsertest.Options{Width: 1600, Height: 900, Prefix: "fleet-"})} // a city IT workstation
}

// rows are the node IDs of the dashboard's rows, top to bottom.
func (b *browser) rows() []string {
	b.T.Helper()
	return browsertest.Run(b.Browser, "rows", chromedp.Evaluate[[]string](
		`Array.prototype.map.call(document.querySelectorAll('#live tbody th[scope=row] a'), function (a) { return a.textContent; })`))
}

// until waits for a JavaScript condition on the page.
func until(cond string) chromedp.Action[chromedp.Void] {
	return chromedp.Poll[chromedp.Void](cond, chromedp.WithPollingInterval(50*time.Millisecond),
		chromedp.WithPollingTimeout(15*time.Second))
}

// TestBrowser walks city IT's round in a real browser: open the login
// link, see the dashboard with its problems first, see a node's outbox
// change arrive over the websocket, sort a column, open a node with its
// charts, revoke it with a reason, and create an enrollment token. With
// XANODE_SCREENSHOTS set it saves each page there.
func TestBrowser(t *testing.T) {
	if testing.Short() && os.Getenv("XANODE_REQUIRE_BROWSER") != "1" {
		t.Skip("browser test skipped in -short mode")
	}
	b := newBrowser(t)
	m := &memFleet{}
	m.set(sampleNodes())
	f := m.fake()
	f.nodeSeries = func(context.Context, string) ([]Sample, error) {
		s := make([]Sample, 120)
		for i := range s {
			s[i] = Sample{Time: testNow.Add(time.Duration(i-120) * time.Minute), Lag: uint64(i % 17 * 3), Outbox: i % 9, Findings: uint64(i / 40)}
		}
		return s, nil
	}
	f.audit = func(_ context.Context, node string, after uint64, limit int) (AuditTrail, error) {
		return AuditTrail{Node: node, Verified: 2, Entries: []AuditEntry{
			{Seq: 1, Time: testNow, Officer: "lan", Action: "lookup", Citizen: "092195001234"},
			{Seq: 2, Time: testNow, Officer: "lan", Action: "change", Citizen: "092195001234", Detail: "register_temporary"},
			{Seq: 3, Time: testNow, Officer: "hung", Action: "identify", Citizen: "092220004321"},
		}}, nil
	}
	f.token = func(_ context.Context, commune, node string, ttl time.Duration) (Token, error) {
		m.record("token " + commune)
		return Token{Value: "tok-Zq3x9", Node: node, Commune: commune, Expires: testNow.Add(ttl)}, nil
	}
	e := newEnv(t, Config{Fleet: f, RefreshEvery: 200 * time.Millisecond, FlagAfter: 15 * time.Minute})

	b.Do("open the login link",
		chromedp.Navigate(e.srv.LoginURL(e.ts.URL)),
		chromedp.WaitVisible(chromedp.CSS("#live table.nodes")),
		chromedp.WaitVisible(chromedp.CSS("#conn.on")), // the live socket is up
	)
	if loc := browsertest.Run(b.Browser, "location", chromedp.Location()); loc != e.ts.URL+"/" {
		t.Errorf("after login the browser is at %q", loc)
	}
	if rows := b.rows(); len(rows) != 9 || rows[0] != "edge-revoked" || rows[8] != "edge-b" {
		t.Errorf("dashboard rows %v, want problems first", rows)
	}
	b.Screenshot("01-dashboard")

	m.update("edge-b", func(n *Node) { n.Outbox, n.OldestUnsynced = 77, testNow.Add(-3*time.Hour) })
	b.Do("see the outbox change arrive live",
		until(`document.getElementById('live').textContent.indexOf('77 thay đổi chưa gửi được') >= 0`))
	if rows := b.rows(); slices.Index(rows, "edge-b") != 4 {
		t.Errorf("after its outbox grew, edge-b is not among the problems: %v", rows)
	}
	if s := b.Text("#updated"); !strings.HasPrefix(s, "Cập nhật lúc") {
		t.Errorf("update time shows %q", s)
	}
	b.Screenshot("02-live-update")

	b.Do("sort by node",
		chromedp.Click(chromedp.CSS(`#live thead a[href*="sort=node"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#live th[aria-sort="ascending"] a[href*="sort=node"]`)),
		chromedp.WaitVisible(chromedp.CSS("#conn.on")),
	)
	if rows := b.rows(); !slices.IsSorted(rows) || len(rows) != 9 {
		t.Errorf("sorted by node: %v", rows)
	}
	m.update("edge-a", func(n *Node) { n.Software = "xanode 1.5.0" })
	b.Do("the live table keeps the sort",
		until(`document.getElementById('live').textContent.indexOf('xanode 1.5.0') >= 0`))
	if rows := b.rows(); !slices.IsSorted(rows) {
		t.Errorf("a live update lost the sort: %v", rows)
	}
	b.Screenshot("03-sorted")

	b.Do("open a node",
		chromedp.Click(chromedp.CSS(`#live a[href="/node/edge-a"]`)),
		chromedp.WaitVisible(chromedp.CSS("#charts svg")),
	)
	if n := b.Count("#charts svg polyline"); n != 3 {
		t.Errorf("%d chart lines, want 3", n)
	}
	if s := b.Text("#audit .chain"); !strings.Contains(s, "đến mục #2") {
		t.Errorf("chain status %q", s)
	}
	b.Screenshot("04-node")

	b.Do("revoke it with a reason",
		chromedp.SendKeys(chromedp.CSS("#revoke-reason"), "Hộp máy bị mất trộm"),
		chromedp.Click(chromedp.CSS("#revoke-confirm")),
		chromedp.Click(chromedp.CSS("#revoke button.danger")),
		chromedp.WaitVisible(chromedp.CSS("main .flash")),
	)
	if s := b.Text("main .flash"); s != "Đã thu hồi máy." {
		t.Errorf("after revoking: %q", s)
	}
	if s := b.Text("h1 .badge"); s != "Đã thu hồi" {
		t.Errorf("the node shows %q", s)
	}
	if calls := m.recorded(); !slices.Contains(calls, "revoke edge-a: Hộp máy bị mất trộm") {
		t.Errorf("fleet calls %v", calls)
	}
	b.Screenshot("05-revoked")

	b.Do("create an enrollment token",
		chromedp.Click(chromedp.CSS(`nav a[href="/enroll"]`)),
		chromedp.WaitVisible(chromedp.CSS("#commune")),
		chromedp.SendKeys(chromedp.CSS("#commune"), "92111"),
		chromedp.Click(chromedp.CSS("#enroll button.primary")),
		chromedp.WaitVisible(chromedp.CSS("#command")),
	)
	if s := b.Text("#command"); s != "xanode edge enroll --data /var/lib/xanode --city "+testCity+" --token tok-Zq3x9" {
		t.Errorf("command %q", s)
	}
	b.Screenshot("06-token")

	b.Do("switch to English", chromedp.Navigate(e.ts.URL+"/?lang=en"), chromedp.WaitVisible(chromedp.CSS("#conn.on")))
	if s := b.Text("h1"); s != "Commune nodes" {
		t.Errorf("English heading %q", s)
	}
	b.Screenshot("07-dashboard-en")

	if errs := b.ConsoleErrors(); len(errs) > 0 {
		t.Errorf("the browser console reported errors (CSP or script):\n%s", strings.Join(errs, "\n"))
	}
}
