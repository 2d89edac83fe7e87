package fleetui

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// TestSessionRequired: without a session every page answers 401 with the
// page that says how to get in, and no form reaches the fleet; the assets
// stay public, as the 401 page needs them.
func TestSessionRequired(t *testing.T) {
	called := false
	f := &fakeFleet{
		nodes:  func(context.Context) ([]Node, error) { called = true; return sampleNodes(), nil },
		revoke: func(context.Context, string, string) error { called = true; return nil },
		token: func(context.Context, string, string, time.Duration) (Token, error) {
			called = true
			return Token{}, nil
		},
	}
	e := newEnv(t, Config{Fleet: f})
	c := e.client()
	for _, path := range []string{"/", "/?sort=lag", "/node/edge-a", "/commune/92101", "/enroll", "/conflicts", "/nope", "/ws"} {
		t.Run("GET "+path, func(t *testing.T) {
			p := c.Get(path)
			p.WantStatus(t, http.StatusUnauthorized)
			if path != "/ws" {
				p.MustContain(t, "xanode fleet ui --city URL --pki DIR", "chưa có phiên làm việc")
				p.MustNotContain(t, "edge-lag", "edge-revoked", `name="csrf"`)
			}
		})
	}
	for _, path := range []string{"/node/edge-a/revoke", "/node/edge-a/reinstate", "/node/edge-a/assign", "/enroll", "/conflicts/7"} {
		t.Run("POST "+path, func(t *testing.T) {
			c.Post(path, url.Values{"reason": {"x"}, "confirm": {"yes"}, "commune": {"92101"}, "ttl": {"24"}}).
				WantStatus(t, http.StatusUnauthorized)
		})
	}
	if called {
		t.Error("a request without a session reached the fleet")
	}
	p := c.Get(e.srv.assets.URL("fleet.css"))
	p.WantStatus(t, http.StatusOK)
	if p.Header.Get("Content-Type") != "text/css; charset=utf-8" || !strings.Contains(p.Header.Get("Cache-Control"), "immutable") {
		t.Errorf("stylesheet headers %v", p.Header)
	}
}

// TestLoginLink: a link works once, only before it expires, and only if the
// server made it.
func TestLoginLink(t *testing.T) {
	e := newEnv(t, Config{LinkTTL: time.Hour})
	link := e.srv.LoginURL(e.ts.URL + "/")
	if !strings.HasPrefix(link, e.ts.URL+"/login?token=") {
		t.Fatalf("link %q", link)
	}
	open := func(c *client, link string) page {
		req, _ := http.NewRequest(http.MethodGet, link, nil)
		return c.Do(req)
	}
	first := e.client()
	p := open(first, link)
	p.WantStatus(t, http.StatusSeeOther)
	if p.Header.Get("Location") != "/" {
		t.Errorf("login goes to %q", p.Header.Get("Location"))
	}
	ck := p.Header.Get("Set-Cookie")
	for _, attr := range []string{cookieSession + "=", "HttpOnly", "SameSite=Strict", "Path=/"} {
		if !strings.Contains(ck, attr) {
			t.Errorf("session cookie %q lacks %s", ck, attr)
		}
	}
	first.Get("/").WantStatus(t, http.StatusOK)

	second := e.client()
	p = open(second, link)
	p.WantStatus(t, http.StatusUnauthorized)
	p.MustContain(t, "mỗi liên kết chỉ dùng một lần")
	if p.Header.Get("Set-Cookie") != "" {
		t.Error("a used link set a cookie")
	}
	second.Get("/").WantStatus(t, http.StatusUnauthorized)

	late := e.srv.LoginURL(e.ts.URL)
	e.clock.Advance(time.Hour)
	open(second, late).WantStatus(t, http.StatusUnauthorized)

	open(second, e.ts.URL+"/login?token=forged").WantStatus(t, http.StatusUnauthorized)
	open(second, e.ts.URL+"/login").WantStatus(t, http.StatusUnauthorized)
	second.Get("/").WantStatus(t, http.StatusUnauthorized)

	// Asking for many links keeps only the newest maxLinks.
	var links []string
	for range maxLinks + 5 {
		links = append(links, e.srv.LoginURL(e.ts.URL))
		e.clock.Advance(time.Millisecond)
	}
	open(e.client(), links[0]).WantStatus(t, http.StatusUnauthorized)
	open(e.client(), links[len(links)-1]).WantStatus(t, http.StatusSeeOther)
}

// TestSessionCookie: a session ends at SessionMax; a cookie the server did
// not sign, or signed under another secret, is no session.
func TestSessionCookie(t *testing.T) {
	e := newEnv(t, Config{SessionMax: time.Hour})
	c := e.client()
	c.login()
	u, _ := url.Parse(e.ts.URL)
	value := c.HTTP.Jar.Cookies(u)[0].Value
	tamper := []string{
		"", "garbage", value + "x", "x" + value,
		strings.Replace(value, ".", ".A", 1),
		e.srv.newSession()[:32] + value[32:], // another payload under this one's MAC
	}
	other, err := New(Config{Fleet: &fakeFleet{}, Secret: []byte(strings.Repeat("z", 32)), CityURL: testCity, Now: e.clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	tamper = append(tamper, other.newSession())
	for i, v := range tamper {
		req, _ := http.NewRequest(http.MethodGet, e.ts.URL+"/", nil)
		req.AddCookie(&http.Cookie{Name: cookieSession, Value: v})
		if p := e.client().Do(req); p.Status != http.StatusUnauthorized {
			t.Errorf("cookie %d (%q) gave status %d", i, v, p.Status)
		}
	}
	c.Get("/").WantStatus(t, http.StatusOK)
	e.clock.Advance(59 * time.Minute)
	c.Get("/").WantStatus(t, http.StatusOK)
	e.clock.Advance(2 * time.Minute)
	c.Get("/").WantStatus(t, http.StatusUnauthorized)
}

// TestCSRF: a form without the session's own token is refused and changes
// nothing.
func TestCSRF(t *testing.T) {
	m := &memFleet{}
	m.set(sampleNodes())
	e := newEnv(t, Config{Fleet: m.fake()})
	c := e.client()
	token := c.login()
	other := e.client()
	otherToken := other.login()
	if token == otherToken {
		t.Fatal("two sessions share a CSRF token")
	}
	form := func(csrf string) url.Values {
		v := url.Values{"reason": {"thiết bị bị mất"}, "confirm": {"yes"}, "communes": {"92101"}}
		if csrf != "" {
			v.Set("csrf", csrf)
		}
		return v
	}
	for _, tt := range []struct {
		name, csrf string
	}{{"none", ""}, {"wrong", "AAAA"}, {"another session's", otherToken}} {
		for _, path := range []string{"/node/edge-a/revoke", "/node/edge-suspended/reinstate", "/node/edge-a/assign"} {
			p := c.Post(path, form(tt.csrf))
			p.WantStatus(t, http.StatusForbidden)
			p.MustContain(t, "Biểu mẫu đã hết hạn hoặc không hợp lệ")
		}
	}
	if calls := m.recorded(); len(calls) != 0 {
		t.Errorf("refused forms reached the fleet: %v", calls)
	}
	c.Post("/node/edge-a/revoke", form(token)).WantStatus(t, http.StatusSeeOther)
	if calls := m.recorded(); len(calls) != 1 {
		t.Errorf("the genuine form made calls %v", calls)
	}
}

func TestHeaders(t *testing.T) {
	e := newEnv(t, Config{})
	c := e.client()
	for _, p := range []page{c.Get("/"), func() page { c.login(); return c.Get("/node/edge-a") }()} {
		h := p.Header
		// The one policy of both UIs (webui/shell).
		want := "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self' ws://" +
			strings.TrimPrefix(e.ts.URL, "http://") + "; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
		if got := h.Get("Content-Security-Policy"); got != want {
			t.Errorf("CSP %q, want %q", got, want)
		}
		for k, want := range map[string]string{
			"X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer",
			"X-Frame-Options": "DENY", "Cache-Control": "no-store",
		} {
			if got := h.Get(k); got != want {
				t.Errorf("%s: %q, want %q", k, got, want)
			}
		}
		// No inline script or style anywhere: the CSP would block it.
		p.MustNotContain(t, "<script>", "style=", "<style", " onclick=", "javascript:")
	}
}

func TestLanguage(t *testing.T) {
	e := newEnv(t, Config{})
	c := e.client()
	c.login()
	c.Get("/").MustContain(t, `<html lang="vi">`, "Các máy ở xã")
	p := c.Get("/node/edge-a?after=3&lang=en")
	p.WantStatus(t, http.StatusSeeOther)
	if loc := p.Header.Get("Location"); loc != "/node/edge-a?after=3" {
		t.Errorf("language switch goes to %q", loc)
	}
	c.Get("/").MustContain(t, `<html lang="en">`, "Commune nodes", "With problems: 7")
	c.Get("/?lang=fr").MustContain(t, `<html lang="en">`) // unknown: ignored

	en := newEnv(t, Config{Lang: "en"})
	ec := en.client()
	ec.Get("/").MustContain(t, `<html lang="en">`, "This browser has no session")
	ec.Get("/?lang=vi")
	ec.Get("/").MustContain(t, `<html lang="vi">`)
	if _, err := New(Config{Fleet: &fakeFleet{}, Secret: testSecret, CityURL: testCity, Lang: "fr"}); err == nil {
		t.Error("Lang fr accepted")
	}
}

func TestConfigValidate(t *testing.T) {
	good := Config{Fleet: &fakeFleet{}, Secret: testSecret, CityURL: testCity}
	tests := []struct {
		name string
		edit func(c *Config)
		want string
	}{
		{"no fleet", func(c *Config) { c.Fleet = nil }, "Fleet is required"},
		{"short secret", func(c *Config) { c.Secret = []byte("short") }, "Secret has 5 bytes"},
		{"no city", func(c *Config) { c.CityURL = "" }, "CityURL"},
		{"city without scheme", func(c *Config) { c.CityURL = "city:8443" }, "CityURL"},
		{"negative", func(c *Config) { c.CallTimeout = -time.Second }, "CallTimeout is -1s"},
		{"refresh too fast", func(c *Config) { c.RefreshEvery = time.Millisecond }, "RefreshEvery"},
		{"audit page", func(c *Config) { c.AuditPage = 5000 }, "AuditPage"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := good
			tt.edit(&c)
			_, err := New(c)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("New: %v, want an error naming %q", err, tt.want)
			}
		})
	}
	s, err := New(good)
	if err != nil {
		t.Fatal(err)
	}
	if s.cfg.RefreshEvery != 2*time.Second || s.cfg.Lang != "vi" || s.cfg.AuditPage != 30 || s.cfg.DiskWarn != 1<<30 {
		t.Errorf("defaults %+v", s.cfg)
	}
	s.Close()
	s.Close()
}
