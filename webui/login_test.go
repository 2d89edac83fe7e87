package webui

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/xanode/xanode/node/registry"
)

func TestLogin(t *testing.T) {
	tests := []struct {
		name       string
		officers   *fakeOfficers
		user, pwd  string
		noCSRF     bool
		wantStatus int
		wantText   string
	}{
		{"success", nil, "lan", officerPwd, false, http.StatusSeeOther, ""},
		{"wrong password", nil, "lan", "sai", false, http.StatusUnauthorized, "Sai tên đăng nhập hoặc mật khẩu"},
		{"unknown user", nil, "ai-do", officerPwd, false, http.StatusUnauthorized, "Sai tên đăng nhập hoặc mật khẩu"},
		{"empty", nil, "", "", false, http.StatusUnprocessableEntity, "Hãy nhập tên đăng nhập và mật khẩu"},
		{"no csrf token", nil, "lan", officerPwd, true, http.StatusForbidden, "Biểu mẫu đã hết hạn"},
		{"unknown role", &fakeOfficers{authenticate: func(u, p string) (Officer, error) {
			return Officer{User: u, Role: "admin"}, nil
		}}, "lan", "mật-khẩu-sai", false, http.StatusUnauthorized, "Sai tên đăng nhập"},
		{"accounts unavailable", &fakeOfficers{authenticate: func(u, p string) (Officer, error) {
			return Officer{}, errors.New("bundle unreadable")
		}}, "lan", "mật-khẩu-sai", false, http.StatusServiceUnavailable, "Chưa kiểm tra được tài khoản"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := Config{}
			if tt.officers != nil {
				cfg.Officers = tt.officers
			}
			e := newEnv(t, cfg)
			c := e.client()
			form := url.Values{"user": {tt.user}, "password": {tt.pwd}}
			if !tt.noCSRF {
				form.Set("csrf", c.get("/login").csrf(t))
			}
			p := c.post("/login", form)
			p.wantStatus(t, tt.wantStatus)
			p.mustContain(t, tt.wantText)
			if tt.wantStatus != http.StatusSeeOther {
				if tt.pwd != "" {
					p.mustNotContain(t, `value="`+tt.pwd) // the password is never echoed
				}
				if c.get("/").status != http.StatusSeeOther {
					t.Error("a refused login gave a session")
				}
				return
			}
			home := c.get("/")
			home.wantStatus(t, http.StatusOK)
			home.mustContain(t, "Trần Thị Lan", "Cán bộ", "Đăng xuất")
		})
	}
}

func TestSessionCookie(t *testing.T) {
	for _, secure := range []bool{false, true} {
		e := newEnv(t, Config{Secure: secure})
		c := e.client()
		form := url.Values{"csrf": {c.get("/login").csrf(t)}, "user": {"lan"}, "password": {officerPwd}}
		req, _ := http.NewRequest(http.MethodPost, e.ts.URL+"/login", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		// The jar will not send __Host- cookies over plain HTTP; send the
		// login cookie by hand to see what the server sets.
		for _, ck := range c.http.Jar.Cookies(req.URL) {
			req.AddCookie(ck)
		}
		if secure {
			req.AddCookie(&http.Cookie{Name: "__Host-" + cookieLogin, Value: form.Get("csrf")})
		}
		resp, err := http.DefaultTransport.RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		var got *http.Cookie
		for _, ck := range resp.Cookies() {
			if strings.HasSuffix(ck.Name, cookieSession) {
				got = ck
			}
		}
		if got == nil {
			t.Fatalf("secure=%v: no session cookie (status %d)", secure, resp.StatusCode)
		}
		if !got.HttpOnly || got.SameSite != http.SameSiteStrictMode || got.Secure != secure || got.Path != "/" {
			t.Errorf("secure=%v: cookie %+v", secure, got)
		}
		if secure != strings.HasPrefix(got.Name, "__Host-") {
			t.Errorf("secure=%v: cookie name %q", secure, got.Name)
		}
	}
}

func TestLoginRateLimit(t *testing.T) {
	var calls atomic.Int32
	officers := sampleOfficers()
	inner := officers.authenticate
	officers.authenticate = func(u, p string) (Officer, error) {
		calls.Add(1)
		return inner(u, p)
	}
	e := newEnv(t, Config{Officers: officers})
	c := e.client()
	try := func(user, pwd string) page {
		return c.post("/login", url.Values{"csrf": {c.get("/login").csrf(t)}, "user": {user}, "password": {pwd}})
	}
	for i := 0; i < 5; i++ {
		try("lan", "sai").wantStatus(t, http.StatusUnauthorized)
	}
	before := calls.Load()
	p := try("lan", officerPwd)
	p.wantStatus(t, http.StatusTooManyRequests)
	p.mustContain(t, "Đăng nhập sai quá nhiều lần", "60 giây")
	if p.header.Get("Retry-After") != "60" {
		t.Errorf("Retry-After %q", p.header.Get("Retry-After"))
	}
	if calls.Load() != before {
		t.Error("a rate-limited login still ran Authenticate")
	}
	// Another user on the same PC is not locked out by lan's failures.
	try("binh", "sai").wantStatus(t, http.StatusUnauthorized)

	e.clock.advance(61 * time.Second)
	try("lan", officerPwd).wantStatus(t, http.StatusSeeOther)
}

func TestLogout(t *testing.T) {
	e := newEnv(t, Config{})
	c := e.client()
	token := c.login()
	p := c.post("/logout", url.Values{"csrf": {token}})
	p.wantStatus(t, http.StatusSeeOther)
	if loc := p.header.Get("Location"); loc != "/login" {
		t.Errorf("logout goes to %q", loc)
	}
	c.get("/").wantStatus(t, http.StatusSeeOther)
}

func TestSessionExpires(t *testing.T) {
	e := newEnv(t, Config{SessionIdle: 10 * time.Minute, SessionMax: time.Hour})
	c := e.client()
	c.login()
	e.clock.advance(9 * time.Minute)
	c.get("/").wantStatus(t, http.StatusOK)
	e.clock.advance(11 * time.Minute)
	c.get("/").wantStatus(t, http.StatusSeeOther)

	// A live page's script re-fetching its fragment is not the officer's
	// use: it does not keep the session alive.
	c.login()
	e.clock.advance(5 * time.Minute)
	for i := 0; i < 2; i++ {
		req, _ := http.NewRequest(http.MethodGet, e.ts.URL+"/outbox/live", nil)
		req.Header.Set("X-Requested-With", "xanode")
		c.do(req).wantStatus(t, http.StatusOK)
		e.clock.advance(4 * time.Minute)
	}
	c.get("/").wantStatus(t, http.StatusSeeOther)

	c.login()
	for i := 0; i < 7; i++ { // used every 9 minutes: idle never ends it, the maximum does
		e.clock.advance(9 * time.Minute)
		c.get("/")
	}
	c.get("/").wantStatus(t, http.StatusSeeOther)
}

func TestPagesNeedSession(t *testing.T) {
	var tapped, recorded atomic.Bool
	e := newEnv(t, Config{
		Registry: &fakeRegistry{
			lookup: func(_, _ string) (*registry.Citizen, error) { return sampleCitizen(), nil },
			record: func(Draft) (*registry.Change, error) { recorded.Store(true); return nil, errors.New("no") },
		},
		Cards: &fakeCards{tap: func(context.Context, string) (*Identification, error) { tapped.Store(true); return nil, ErrNoCard }},
	})
	c := e.client()
	for _, path := range []string{"/", "/outbox", "/citizen/" + sampleID, "/lookup?id=" + sampleID,
		"/search?name=a&birth=1990", "/birth", "/citizen/" + sampleID + "/print",
		"/citizen/" + sampleID + "/change/register_temporary"} {
		p := c.get(path)
		p.wantStatus(t, http.StatusSeeOther)
		want := "/login"
		if path != "/" {
			want += "?next=" + url.QueryEscape(path)
		}
		if loc := p.header.Get("Location"); loc != want {
			t.Errorf("GET %s goes to %q, want %q", path, loc, want)
		}
	}
	req, _ := http.NewRequest(http.MethodGet, e.ts.URL+"/outbox/live", nil)
	req.Header.Set("X-Requested-With", "xanode")
	c.do(req).wantStatus(t, http.StatusUnauthorized)

	c.post("/tap", url.Values{"csrf": {"x"}}).wantStatus(t, http.StatusSeeOther)
	for _, f := range opForms {
		c.post(formPath(f.op), url.Values{"csrf": {"x"}}).wantStatus(t, http.StatusSeeOther)
	}
	if tapped.Load() || recorded.Load() {
		t.Error("a request without a session reached the card reader or the registry")
	}

	// After login, the login page sends the officer where they wanted to go.
	c.login()
	p := c.get("/login?next=" + url.QueryEscape("/outbox"))
	if p.header.Get("Location") != "/outbox" {
		t.Errorf("logged-in /login goes to %q", p.header.Get("Location"))
	}
}

func TestNextPath(t *testing.T) {
	for in, want := range map[string]string{
		"":                      "/",
		"/outbox":               "/outbox",
		"/citizen/1?x=1":        "/citizen/1?x=1",
		"//evil.example/":       "/",
		"/\\evil.example":       "/",
		"https://evil.example/": "/",
		"javascript:alert(1)":   "/",
		"outbox":                "/",
	} {
		if got := nextPath(in); got != want {
			t.Errorf("nextPath(%q) = %q, want %q", in, got, want)
		}
	}
}
