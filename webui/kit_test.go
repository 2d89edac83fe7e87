package webui

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/xanode/xanode/node/registry"
	"github.com/xanode/xanode/webui/shell/webtest"
)

// Test doubles: structs with function fields; a nil field gives a neutral
// answer so each test sets only what it is about.

type fakeOfficers struct {
	authenticate func(user, password string) (Officer, error)
}

func (f *fakeOfficers) Authenticate(_ context.Context, user, password string) (Officer, error) {
	return f.authenticate(user, password)
}

type fakeRegistry struct {
	lookup    func(officer, id string) (*registry.Citizen, error)
	search    func(officer string, q SearchQuery) (SearchResult, error)
	household func(officer, household string) ([]*registry.Citizen, error)
	history   func(officer, citizen string, n int) ([]Recorded, error)
	record    func(d Draft) (*registry.Change, error)
	recent    func(n int) ([]Recorded, error)
	status    func() (Status, error)
}

func (f *fakeRegistry) Lookup(officer, id string) (*registry.Citizen, error) {
	if f.lookup == nil {
		return nil, ErrNotFound
	}
	return f.lookup(officer, id)
}

func (f *fakeRegistry) Search(officer string, q SearchQuery) (SearchResult, error) {
	if f.search == nil {
		return SearchResult{}, nil
	}
	return f.search(officer, q)
}

func (f *fakeRegistry) Household(officer, household string) ([]*registry.Citizen, error) {
	if f.household == nil {
		return nil, nil
	}
	return f.household(officer, household)
}

func (f *fakeRegistry) History(officer, citizen string, n int) ([]Recorded, error) {
	if f.history == nil {
		return nil, nil
	}
	return f.history(officer, citizen, n)
}

func (f *fakeRegistry) Record(d Draft) (*registry.Change, error) {
	if f.record == nil {
		return nil, errors.New("fake: record not set")
	}
	return f.record(d)
}

func (f *fakeRegistry) Recent(n int) ([]Recorded, error) {
	if f.recent == nil {
		return nil, nil
	}
	return f.recent(n)
}

func (f *fakeRegistry) Status() (Status, error) {
	if f.status == nil {
		return Status{Node: "edge-1", Commune: "31117", HasSubset: true}, nil
	}
	return f.status()
}

type fakeCards struct {
	tap func(ctx context.Context, officer string) (*Identification, error)
}

// Tap ignores the key; readerCards (identify_test.go) checks it.
func (f *fakeCards) Tap(ctx context.Context, officer string, _ CardKey) (*Identification, error) {
	return f.tap(ctx, officer)
}

type fakeEvents struct {
	subscribe func() (<-chan Event, func())
}

func (f *fakeEvents) Subscribe() (<-chan Event, func()) { return f.subscribe() }

// hub is a minimal publisher for fakeEvents: it never blocks on a slow
// subscriber, as the Events contract asks.
type hub struct {
	mu   sync.Mutex
	subs map[chan Event]bool
}

func newHub() *hub { return &hub{subs: make(map[chan Event]bool)} }

func (h *hub) events() *fakeEvents {
	return &fakeEvents{subscribe: func() (<-chan Event, func()) {
		ch := make(chan Event, 8)
		h.mu.Lock()
		h.subs[ch] = true
		h.mu.Unlock()
		return ch, func() {
			h.mu.Lock()
			delete(h.subs, ch)
			h.mu.Unlock()
		}
	}}
}

func (h *hub) publish(ev Event) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for ch := range h.subs {
		select {
		case ch <- ev:
		default:
		}
	}
}

func (h *hub) count() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.subs)
}

// clock is a settable time source.
type clock = webtest.Clock

// testNow is 10 March 2026, 09:00 in Vietnam.
var testNow = time.Date(2026, 3, 10, 2, 0, 0, 0, time.UTC)

const (
	sampleID   = "092195001234"
	officerPwd = "mật-khẩu-đúng"
)

// sampleCitizen is a woman born 1995 in Cần Thơ (092), head of her household.
func sampleCitizen() *registry.Citizen {
	return makeCitizen(sampleID, map[string]string{
		"full_name": "Nguyễn Thị Thu Hà", "birth_date": "1995-03-08", "sex": "F",
		"nationality": "Việt Nam", "ethnicity": "Kinh", "hometown": "Phong Điền, Cần Thơ",
		"permanent_address": "12 Trần Hưng Đạo, phường An Cư, Ninh Kiều, Cần Thơ",
		"commune":           "31117", "household": "HH-0042", "relation": "Chủ hộ",
		"card_expiry": "2035-03-08", "status": "alive",
	})
}

const childID = "092220004321"

// sampleChild is the sample citizen's son, a member of her household.
func sampleChild() *registry.Citizen {
	return makeCitizen(childID, map[string]string{
		"full_name": "Trần Minh Khôi", "birth_date": "2020-06-01", "sex": "M", "nationality": "Việt Nam",
		"permanent_address": "12 Trần Hưng Đạo, phường An Cư, Ninh Kiều, Cần Thơ",
		"commune":           "31117", "household": "HH-0042", "relation": "Con",
		"mother_id": sampleID, "mother_name": "Nguyễn Thị Thu Hà", "status": "alive",
	})
}

func makeCitizen(id string, fields map[string]string) *registry.Citizen {
	c := &registry.Citizen{ID: id}
	st := registry.Stamp{Index: 7, Node: "city"}
	for name, v := range fields {
		f, _ := registry.FieldByName(name)
		c.Set(f, v, st)
	}
	return c
}

// sampleOfficers knows lan, an officer, and hung, a supervisor.
func sampleOfficers() *fakeOfficers {
	return &fakeOfficers{authenticate: func(user, password string) (Officer, error) {
		switch {
		case user == "lan" && password == officerPwd:
			return Officer{User: "lan", Name: "Trần Thị Lan", Role: RoleOfficer}, nil
		case user == "hung" && password == officerPwd:
			return Officer{User: "hung", Name: "Lê Văn Hùng", Role: RoleSupervisor}, nil
		}
		return Officer{}, ErrBadLogin
	}}
}

// env is one UI behind an httptest server.
type env struct {
	t     *testing.T
	srv   *Server
	ts    *httptest.Server
	clock *clock
}

// newEnv starts the UI with the given config; nil dependencies get the
// sample ones.
func newEnv(t *testing.T, cfg Config) *env {
	t.Helper()
	c := webtest.NewClock(testNow)
	if cfg.Officers == nil {
		cfg.Officers = sampleOfficers()
	}
	if cfg.Registry == nil {
		cfg.Registry = &fakeRegistry{}
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

// getFromScript is a GET as the page script makes it.
func (c *client) getFromScript(path string) page {
	c.e.t.Helper()
	return c.Get(path, "X-Requested-With", "xanode")
}

// login logs in as the sample officer and returns the session's CSRF token.
func (c *client) login() string {
	c.e.t.Helper()
	return c.loginAs("lan")
}

// loginAs logs in as one of sampleOfficers' users.
func (c *client) loginAs(user string) string {
	c.e.t.Helper()
	p := c.Get("/login")
	p = c.Post("/login", url.Values{"csrf": {p.CSRF(c.e.t)}, "user": {user}, "password": {officerPwd}})
	if p.Status != http.StatusSeeOther {
		c.e.t.Fatalf("login: status %d\n%s", p.Status, p.Body)
	}
	return c.Get("/").CSRF(c.e.t)
}
