package fleetui

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/xanode/xanode/webui/shell/webtest"
)

// fakeFleet is the test double: function fields; a nil field gives a
// neutral answer, so each test sets only what it is about.
type fakeFleet struct {
	nodes         func(ctx context.Context) ([]Node, error)
	nodeSeries    func(ctx context.Context, node string) ([]Sample, error)
	communeSeries func(ctx context.Context, commune string) ([]Sample, error)
	token         func(ctx context.Context, commune, node string, ttl time.Duration) (Token, error)
	revoke        func(ctx context.Context, node, reason string) error
	reinstate     func(ctx context.Context, node, reason string) error
	assign        func(ctx context.Context, node string, communes []string) error
	conflicts     func(ctx context.Context) ([]Conflict, error)
	resolve       func(ctx context.Context, entry uint64, accept bool, reason string) error
	audit         func(ctx context.Context, node string, after uint64, limit int) (AuditTrail, error)
}

var errNotSet = errors.New("fake: not set")

func (f *fakeFleet) Nodes(ctx context.Context) ([]Node, error) {
	if f.nodes == nil {
		return nil, nil
	}
	return f.nodes(ctx)
}

func (f *fakeFleet) NodeSeries(ctx context.Context, node string) ([]Sample, error) {
	if f.nodeSeries == nil {
		return nil, nil
	}
	return f.nodeSeries(ctx, node)
}

func (f *fakeFleet) CommuneSeries(ctx context.Context, commune string) ([]Sample, error) {
	if f.communeSeries == nil {
		return nil, nil
	}
	return f.communeSeries(ctx, commune)
}

func (f *fakeFleet) Token(ctx context.Context, commune, node string, ttl time.Duration) (Token, error) {
	if f.token == nil {
		return Token{}, errNotSet
	}
	return f.token(ctx, commune, node, ttl)
}

func (f *fakeFleet) Revoke(ctx context.Context, node, reason string) error {
	if f.revoke == nil {
		return errNotSet
	}
	return f.revoke(ctx, node, reason)
}

func (f *fakeFleet) Reinstate(ctx context.Context, node, reason string) error {
	if f.reinstate == nil {
		return errNotSet
	}
	return f.reinstate(ctx, node, reason)
}

func (f *fakeFleet) Assign(ctx context.Context, node string, communes []string) error {
	if f.assign == nil {
		return errNotSet
	}
	return f.assign(ctx, node, communes)
}

func (f *fakeFleet) Conflicts(ctx context.Context) ([]Conflict, error) {
	if f.conflicts == nil {
		return nil, nil
	}
	return f.conflicts(ctx)
}

func (f *fakeFleet) Resolve(ctx context.Context, entry uint64, accept bool, reason string) error {
	if f.resolve == nil {
		return errNotSet
	}
	return f.resolve(ctx, entry, accept, reason)
}

func (f *fakeFleet) Audit(ctx context.Context, node string, after uint64, limit int) (AuditTrail, error) {
	if f.audit == nil {
		return AuditTrail{Node: node}, nil
	}
	return f.audit(ctx, node, after, limit)
}

// memFleet is a fleet in memory whose nodes a test may change while the
// UI runs; it records the changes asked of it.
type memFleet struct {
	mu    sync.Mutex
	list  []Node
	calls []string
}

func (m *memFleet) set(list []Node) {
	m.mu.Lock()
	m.list = append([]Node(nil), list...)
	m.mu.Unlock()
}

// update changes node id in place.
func (m *memFleet) update(id string, f func(n *Node)) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for i := range m.list {
		if m.list[i].ID == id {
			f(&m.list[i])
		}
	}
}

func (m *memFleet) record(call string) {
	m.mu.Lock()
	m.calls = append(m.calls, call)
	m.mu.Unlock()
}

func (m *memFleet) recorded() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]string(nil), m.calls...)
}

// fake serves m's nodes and applies revocations, reinstatements and
// assignments to them; the rest is the plain fake's.
func (m *memFleet) fake() *fakeFleet {
	return &fakeFleet{
		nodes: func(context.Context) ([]Node, error) {
			m.mu.Lock()
			defer m.mu.Unlock()
			out := make([]Node, len(m.list))
			copy(out, m.list)
			return out, nil
		},
		revoke: func(_ context.Context, node, reason string) error {
			m.record("revoke " + node + ": " + reason)
			m.update(node, func(n *Node) { n.State, n.Reason = StateRevoked, reason })
			return nil
		},
		reinstate: func(_ context.Context, node, reason string) error {
			m.record("reinstate " + node + ": " + reason)
			m.update(node, func(n *Node) { n.State, n.Reason = StateActive, "" })
			return nil
		},
		assign: func(_ context.Context, node string, communes []string) error {
			m.record("assign " + node + ": " + strings.Join(communes, ","))
			m.update(node, func(n *Node) { n.Communes = communes })
			return nil
		},
	}
}

// clock is a settable time source.
type clock = webtest.Clock

// testNow is 10 March 2026, 09:00 in Vietnam.
var testNow = time.Date(2026, 3, 10, 2, 0, 0, 0, time.UTC)

const testCity = "https://city.example:8443"

var testSecret = []byte("0123456789abcdef0123456789abcdef")

// healthy is a node without problems at testNow.
func healthy(id string, communes ...string) Node {
	return Node{
		ID: id, Communes: communes, State: StateActive,
		Enrolled: testNow.Add(-90 * 24 * time.Hour), LastSeen: testNow.Add(-20 * time.Second),
		Software: "xanode 1.4.0", SubsetVersion: 5000, CityVersion: 5000, LastSynced: testNow.Add(-30 * time.Second),
		CertExpiry: testNow.Add(20 * 24 * time.Hour), DiskFree: 40 << 30,
	}
}

// sampleNodes is a fleet with one node of each kind of trouble, named after
// it, and two healthy ones.
func sampleNodes() []Node {
	revoked := healthy("edge-revoked", "92107")
	revoked.State, revoked.Reason = StateRevoked, "box stolen"
	suspended := healthy("edge-suspended", "92106")
	suspended.State, suspended.Reason = StateSuspended, "audit chain broken"
	flagged := healthy("edge-flagged", "92105")
	flagged.State, flagged.LastSeen = StateFlagged, testNow.Add(-3*time.Hour)
	cert := healthy("edge-cert", "92104")
	cert.CertExpiry = testNow.Add(3 * 24 * time.Hour)
	outbox := healthy("edge-outbox", "92103")
	outbox.Outbox, outbox.OldestUnsynced = 42, testNow.Add(-2*time.Hour)
	disk := healthy("edge-disk", "92102")
	disk.DiskFree = 300 << 20
	lag := healthy("edge-lag", "92101")
	lag.SubsetVersion, lag.LastSynced = 4000, testNow.Add(-time.Hour)
	a := healthy("edge-a", "92108", "92109")
	a.Outbox, a.OldestUnsynced, a.Findings = 3, testNow.Add(-time.Minute), 2
	b := healthy("edge-b", "92110")
	b.Software = "xanode 1.3.9"
	return []Node{b, lag, a, disk, outbox, cert, flagged, suspended, revoked}
}

// env is one UI behind an httptest server.
type env struct {
	t     *testing.T
	srv   *Server
	ts    *httptest.Server
	clock *clock
}

// newEnv starts the UI with cfg; a nil Fleet serves sampleNodes.
func newEnv(t *testing.T, cfg Config) *env {
	t.Helper()
	c := webtest.NewClock(testNow)
	if cfg.Fleet == nil {
		cfg.Fleet = &fakeFleet{nodes: func(context.Context) ([]Node, error) { return sampleNodes(), nil }}
	}
	if cfg.Secret == nil {
		cfg.Secret = testSecret
	}
	if cfg.CityURL == "" {
		cfg.CityURL = testCity
	}
	if cfg.Now == nil {
		cfg.Now = c.Now
	}
	cfg.Log = slog.New(slog.NewTextHandler(io.Discard, nil))
	srv, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return &env{t: t, srv: srv, ts: webtest.Serve(t, srv), clock: c}
}

// client is a browser without a browser: a cookie jar, redirects not
// followed so that tests see them.
type client struct {
	*webtest.Client
	e *env
}

func (e *env) client() *client { return &client{webtest.NewClient(e.t, e.ts.URL), e} }

type page = webtest.Page

// login opens a fresh login link and returns the session's CSRF token.
func (c *client) login() string {
	c.e.t.Helper()
	link := c.e.srv.LoginURL(c.e.ts.URL)
	req, _ := http.NewRequest(http.MethodGet, link, nil)
	p := c.Do(req)
	if p.Status != http.StatusSeeOther || p.Header.Get("Location") != "/" {
		c.e.t.Fatalf("login link answered %d → %q", p.Status, p.Header.Get("Location"))
	}
	return c.Get("/enroll").CSRF(c.e.t)
}

// rowOrder is the node IDs of the dashboard's rows, top to bottom.
var rowIDRE = regexp.MustCompile(`<th scope="row"><a href="/node/[^"]*">([^<]+)</a>`)

func rowOrder(body string) []string {
	var ids []string
	for _, m := range rowIDRE.FindAllStringSubmatch(body, -1) {
		ids = append(ids, m[1])
	}
	return ids
}
