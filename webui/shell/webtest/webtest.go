// Package webtest is the HTTP test kit of both UIs: a settable clock, and
// a client that keeps cookies and does not follow redirects (so tests see
// them), whose pages tests check by status and content. It is imported
// only by tests (DESIGN.md, "Layout and dependency rules"); the real
// browser's kit is its sibling browsertest.
package webtest

import (
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// Clock is a settable time source.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// NewClock starts a clock at t.
func NewClock(t time.Time) *Clock { return &Clock{t: t} }

// Now is the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Advance moves the clock on by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// Client is a browser without a browser: a cookie jar, redirects not
// followed. Every failure to reach the server ends the test.
type Client struct {
	t    testing.TB
	base string
	HTTP *http.Client
}

// NewClient is a client of the server at base (its URL, no trailing slash).
func NewClient(t testing.TB, base string) *Client {
	jar, _ := cookiejar.New(nil)
	return &Client{t: t, base: base, HTTP: &http.Client{
		Jar:           jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

// Page is an answer: its status, headers and body.
type Page struct {
	Status int
	Header http.Header
	Body   string
}

// Do sends req and reads the whole answer.
func (c *Client) Do(req *http.Request) Page {
	c.t.Helper()
	resp, err := c.HTTP.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		c.t.Fatalf("%s %s: read: %v", req.Method, req.URL, err)
	}
	return Page{resp.StatusCode, resp.Header, string(b)}
}

// Get asks for path; header holds name, value pairs to send.
func (c *Client) Get(path string, header ...string) Page {
	c.t.Helper()
	req, err := http.NewRequest(http.MethodGet, c.base+path, nil)
	if err != nil {
		c.t.Fatalf("GET %s: %v", path, err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	return c.Do(req)
}

// Post submits form to path as a browser does.
func (c *Client) Post(path string, form url.Values) Page {
	c.t.Helper()
	req, err := http.NewRequest(http.MethodPost, c.base+path, strings.NewReader(form.Encode()))
	if err != nil {
		c.t.Fatalf("POST %s: %v", path, err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return c.Do(req)
}

var csrfRE = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// CSRF is the first form token of the page.
func (p Page) CSRF(t testing.TB) string {
	t.Helper()
	m := csrfRE.FindStringSubmatch(p.Body)
	if m == nil {
		t.Fatalf("no CSRF token on the page (status %d):\n%s", p.Status, p.Body)
	}
	return m[1]
}

// MustContain fails the test for each part the body lacks.
func (p Page) MustContain(t testing.TB, parts ...string) {
	t.Helper()
	for _, s := range parts {
		if !strings.Contains(p.Body, s) {
			t.Errorf("page (status %d) lacks %q:\n%s", p.Status, s, p.Body)
		}
	}
}

// MustNotContain fails the test for each part the body has.
func (p Page) MustNotContain(t testing.TB, parts ...string) {
	t.Helper()
	for _, s := range parts {
		if strings.Contains(p.Body, s) {
			t.Errorf("page (status %d) has %q", p.Status, s)
		}
	}
}

// WantStatus ends the test unless the page has status want.
func (p Page) WantStatus(t testing.TB, want int) {
	t.Helper()
	if p.Status != want {
		t.Fatalf("status %d, want %d:\n%s", p.Status, want, p.Body)
	}
}

// Serve serves ui on a loopback test server until the test ends; then it
// closes the server and ui.
func Serve(t testing.TB, ui interface {
	http.Handler
	Close() error
}) *httptest.Server {
	ts := httptest.NewServer(ui)
	t.Cleanup(func() {
		ui.Close()
		ts.Close()
	})
	return ts
}
