package webui

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
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
				form.Set("csrf", c.Get("/login").CSRF(t))
			}
			p := c.Post("/login", form)
			p.WantStatus(t, tt.wantStatus)
			p.MustContain(t, tt.wantText)
			if tt.wantStatus != http.StatusSeeOther {
				if tt.pwd != "" {
					p.MustNotContain(t, `value="`+tt.pwd) // the password is never echoed
				}
				if c.Get("/").Status != http.StatusSeeOther {
					t.Error("a refused login gave a session")
				}
				return
			}
			home := c.Get("/")
			home.WantStatus(t, http.StatusOK)
			home.MustContain(t, "Trần Thị Lan", "Cán bộ", "Đăng xuất")
		})
	}
}

func TestSessionCookie(t *testing.T) {
	for _, secure := range []bool{false, true} {
		e := newEnv(t, Config{Secure: secure})
		c := e.client()
		form := url.Values{"csrf": {c.Get("/login").CSRF(t)}, "user": {"lan"}, "password": {officerPwd}}
		req, _ := http.NewRequest(http.MethodPost, e.ts.URL+"/login", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		// The jar will not send __Host- cookies over plain HTTP; send the
		// login cookie by hand to see what the server sets.
		for _, ck := range c.HTTP.Jar.Cookies(req.URL) {
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

// loginFrom posts a login as if from addr, straight to the handler (a
// test server's clients all come from one address).
func (e *env) loginFrom(addr, user, pwd string) page {
	e.t.Helper()
	form := url.Values{"csrf": {"t0ken"}, "user": {user}, "password": {pwd}}
	req := httptest.NewRequest(http.MethodPost, "/login", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.AddCookie(&http.Cookie{Name: cookieLogin, Value: "t0ken"})
	req.RemoteAddr = addr + ":40000"
	w := httptest.NewRecorder()
	e.srv.ServeHTTP(w, req)
	return page{Status: w.Code, Header: w.Header(), Body: w.Body.String()}
}

// countingOfficers counts the password checks sampleOfficers makes.
func countingOfficers() (*fakeOfficers, *atomic.Int32) {
	var calls atomic.Int32
	officers := sampleOfficers()
	inner := officers.authenticate
	officers.authenticate = func(u, p string) (Officer, error) {
		calls.Add(1)
		return inner(u, p)
	}
	return officers, &calls
}

func TestLoginRateLimitPerUser(t *testing.T) {
	officers, calls := countingOfficers()
	e := newEnv(t, Config{Officers: officers})
	for i := range 5 {
		// From five PCs: the user's limit holds across addresses.
		e.loginFrom(fmt.Sprintf("10.0.0.%d", i+1), "lan", "sai").WantStatus(t, http.StatusUnauthorized)
	}
	before := calls.Load()
	p := e.loginFrom("10.0.0.9", "LAN", officerPwd)
	p.WantStatus(t, http.StatusTooManyRequests)
	p.MustContain(t, "Tài khoản này đã bị nhập sai mật khẩu quá nhiều lần", `data-countdown="900"`, ">15:00<",
		"Nếu quên mật khẩu", "cán bộ phụ trách của xã/phường, hoặc đường dây nóng CNTT của thành phố")
	if got := p.Header.Get("Retry-After"); got != "900" {
		t.Errorf("Retry-After %q", got)
	}
	if calls.Load() != before {
		t.Error("a rate-limited login still had its password checked")
	}
	// Another officer on the same PC is not locked out by lan's failures.
	e.loginFrom("10.0.0.1", "hung", officerPwd).WantStatus(t, http.StatusSeeOther)
	e.clock.Advance(15*time.Minute - time.Second)
	p = e.loginFrom("10.0.0.1", "lan", officerPwd)
	p.WantStatus(t, http.StatusTooManyRequests)
	p.MustContain(t, `data-countdown="1"`)
	e.clock.Advance(time.Second)
	e.loginFrom("10.0.0.1", "lan", officerPwd).WantStatus(t, http.StatusSeeOther)
}

// TestLoginRateLimitPerAddress: one office address is allowed many more
// failures than one user, and then stops every user name from it, but
// not from another address.
func TestLoginRateLimitPerAddress(t *testing.T) {
	e := newEnv(t, Config{HelpContact: "Chị Hoa, 0292 3820 123"})
	for i := range 20 {
		e.loginFrom("10.0.0.1", fmt.Sprintf("doan%d", i), "sai").WantStatus(t, http.StatusUnauthorized)
	}
	// Twenty failures of others at the shared address lock nobody out.
	e.loginFrom("10.0.0.1", "lan", officerPwd).WantStatus(t, http.StatusSeeOther)
	for i := 20; i < 100; i++ {
		e.loginFrom("10.0.0.1", fmt.Sprintf("doan%d", i), "sai").WantStatus(t, http.StatusUnauthorized)
	}
	p := e.loginFrom("10.0.0.1", "hung", officerPwd)
	p.WantStatus(t, http.StatusTooManyRequests)
	p.MustContain(t, "Máy này đã đăng nhập sai quá nhiều lần", "Chị Hoa, 0292 3820 123")
	p.MustNotContain(t, "đường dây nóng")
	e.loginFrom("10.0.0.2", "hung", officerPwd).WantStatus(t, http.StatusSeeOther)
}

// TestLoginCountedBeforeHashing: parallel wrong logins for one user get
// only LoginFailures password checks between them, however many arrive
// before the first check ends.
func TestLoginCountedBeforeHashing(t *testing.T) {
	var calls atomic.Int32
	release := make(chan struct{})
	officers := &fakeOfficers{authenticate: func(u, p string) (Officer, error) {
		calls.Add(1)
		<-release
		return Officer{}, ErrBadLogin
	}}
	e := newEnv(t, Config{Officers: officers})
	const n = 30
	codes := make(chan int, n)
	for i := range n {
		go func() {
			p := e.loginFrom(fmt.Sprintf("10.0.1.%d", i), "lan", "sai")
			codes <- p.Status
		}()
	}
	// Every try beyond the five reserved is refused while those five
	// still wait for their checks.
	got := map[int]int{}
	for range n - 5 {
		got[<-codes]++
	}
	close(release)
	for range 5 {
		got[<-codes]++
	}
	if got[http.StatusTooManyRequests] != n-5 || got[http.StatusUnauthorized] != 5 || calls.Load() != 5 {
		t.Errorf("statuses %v, %d password checks; want 25×429, 5×401 and 5 checks", got, calls.Load())
	}
}

// TestLoginBusy: a login the node could not check for want of a KDF turn
// is answered 503 with Retry-After and does not count against the user;
// one address gets only a few logins under way at once.
func TestLoginBusy(t *testing.T) {
	busy := true
	var mu sync.Mutex
	started := make(chan struct{}, 4)
	release := make(chan struct{})
	officers := &fakeOfficers{authenticate: func(u, p string) (Officer, error) {
		mu.Lock()
		b := busy
		mu.Unlock()
		if b {
			return Officer{}, fmt.Errorf("%w: no turn", ErrBusy)
		}
		if u == "slow" {
			started <- struct{}{}
			<-release
		}
		return sampleOfficers().authenticate(u, p)
	}}
	e := newEnv(t, Config{Officers: officers})
	for range 10 {
		p := e.loginFrom("10.0.0.1", "lan", officerPwd)
		p.WantStatus(t, http.StatusServiceUnavailable)
		p.MustContain(t, "Hệ thống đang bận", `data-countdown="3"`)
		p.MustNotContain(t, "Nếu quên mật khẩu")
		if p.Header.Get("Retry-After") != "3" {
			t.Fatalf("Retry-After %q", p.Header.Get("Retry-After"))
		}
	}
	mu.Lock()
	busy = false
	mu.Unlock()
	e.loginFrom("10.0.0.2", "lan", officerPwd).WantStatus(t, http.StatusSeeOther)

	done := make(chan int, 2)
	for range 2 {
		go func() { done <- e.loginFrom("10.0.0.3", "slow", "sai").Status }()
	}
	<-started
	<-started
	e.loginFrom("10.0.0.3", "hung", officerPwd).WantStatus(t, http.StatusServiceUnavailable)
	e.loginFrom("10.0.0.4", "hung", officerPwd).WantStatus(t, http.StatusSeeOther)
	close(release)
	<-done
	<-done
	e.loginFrom("10.0.0.3", "hung", officerPwd).WantStatus(t, http.StatusSeeOther)
}

func TestLoginRefusalInEnglish(t *testing.T) {
	e := newEnv(t, Config{})
	for range 5 {
		e.loginFrom("10.0.0.1", "lan", "sai")
	}
	form := url.Values{"csrf": {"t0ken"}, "user": {"lan"}, "password": {"sai"}}
	req := httptest.NewRequest(http.MethodPost, "/login", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.AddCookie(&http.Cookie{Name: cookieLogin, Value: "t0ken"})
	req.AddCookie(&http.Cookie{Name: cookieLang, Value: "en"})
	w := httptest.NewRecorder()
	e.srv.ServeHTTP(w, req)
	p := page{Status: w.Code, Header: w.Header(), Body: w.Body.String()}
	p.WantStatus(t, http.StatusTooManyRequests)
	p.MustContain(t, "This account had too many wrong passwords", "You can try again in:", "city IT hotline",
		`data-done="You can try again now."`)
}

func TestLogout(t *testing.T) {
	e := newEnv(t, Config{})
	c := e.client()
	token := c.login()
	p := c.Post("/logout", url.Values{"csrf": {token}})
	p.WantStatus(t, http.StatusSeeOther)
	if loc := p.Header.Get("Location"); loc != "/login" {
		t.Errorf("logout goes to %q", loc)
	}
	c.Get("/").WantStatus(t, http.StatusSeeOther)
}

func TestSessionExpires(t *testing.T) {
	e := newEnv(t, Config{SessionIdle: 10 * time.Minute, SessionMax: time.Hour})
	c := e.client()
	c.login()
	e.clock.Advance(9 * time.Minute)
	c.Get("/").WantStatus(t, http.StatusOK)
	e.clock.Advance(11 * time.Minute)
	c.Get("/").WantStatus(t, http.StatusSeeOther)

	// A live page's script re-fetching its fragment is not the officer's
	// use: it does not keep the session alive.
	c.login()
	e.clock.Advance(5 * time.Minute)
	for i := 0; i < 2; i++ {
		req, _ := http.NewRequest(http.MethodGet, e.ts.URL+"/outbox/live", nil)
		req.Header.Set("X-Requested-With", "xanode")
		c.Do(req).WantStatus(t, http.StatusOK)
		e.clock.Advance(4 * time.Minute)
	}
	c.Get("/").WantStatus(t, http.StatusSeeOther)

	c.login()
	for i := 0; i < 7; i++ { // used every 9 minutes: idle never ends it, the maximum does
		e.clock.Advance(9 * time.Minute)
		c.Get("/")
	}
	c.Get("/").WantStatus(t, http.StatusSeeOther)
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
		p := c.Get(path)
		p.WantStatus(t, http.StatusSeeOther)
		want := "/login"
		if path != "/" {
			want += "?next=" + url.QueryEscape(path)
		}
		if loc := p.Header.Get("Location"); loc != want {
			t.Errorf("GET %s goes to %q, want %q", path, loc, want)
		}
	}
	req, _ := http.NewRequest(http.MethodGet, e.ts.URL+"/outbox/live", nil)
	req.Header.Set("X-Requested-With", "xanode")
	c.Do(req).WantStatus(t, http.StatusUnauthorized)

	c.Post("/tap", url.Values{"csrf": {"x"}}).WantStatus(t, http.StatusSeeOther)
	for _, f := range opForms {
		c.Post(formPath(f.op), url.Values{"csrf": {"x"}}).WantStatus(t, http.StatusSeeOther)
	}
	if tapped.Load() || recorded.Load() {
		t.Error("a request without a session reached the card reader or the registry")
	}

	// After login, the login page sends the officer where they wanted to go.
	c.login()
	p := c.Get("/login?next=" + url.QueryEscape("/outbox"))
	if p.Header.Get("Location") != "/outbox" {
		t.Errorf("logged-in /login goes to %q", p.Header.Get("Location"))
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
