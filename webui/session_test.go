package webui

import (
	"errors"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/xanode/xanode/webui/shell/webtest"
)

// keepingOfficers is an Officers that also keeps sessions (SessionStore)
// and stamps accounts (AccountStamps), as the edge does.
type keepingOfficers struct {
	*fakeOfficers
	mu       sync.Mutex
	data     map[string][]byte
	stamps   map[string]string
	stampErr error
	saves    int
}

func newKeepingOfficers() *keepingOfficers {
	return &keepingOfficers{fakeOfficers: sampleOfficers(), data: map[string][]byte{},
		stamps: map[string]string{"lan": "lan-1", "hung": "hung-1"}}
}

func (k *keepingOfficers) Sessions() (map[string][]byte, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	out := map[string][]byte{}
	for id, d := range k.data {
		out[id] = d
	}
	return out, nil
}

func (k *keepingOfficers) SaveSession(id string, data []byte) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.data[id] = data
	k.saves++
	return nil
}

func (k *keepingOfficers) DeleteSession(id string) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	delete(k.data, id)
	return nil
}

func (k *keepingOfficers) AccountStamp(user string) (string, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.stamps[user], k.stampErr
}

func (k *keepingOfficers) set(f func()) {
	k.mu.Lock()
	defer k.mu.Unlock()
	f()
}

func (k *keepingOfficers) stored() (n, saves int, all string) {
	k.mu.Lock()
	defer k.mu.Unlock()
	for id, d := range k.data {
		all += id + string(d)
	}
	return len(k.data), k.saves, all
}

// restart stops old and starts another UI with cfg, as the node does
// after a restart, and a browser that keeps c's cookies.
func restart(t *testing.T, old *env, cfg Config, c *client) (*env, *client) {
	t.Helper()
	old.srv.Close()
	old.ts.Close()
	e := newEnv(t, cfg)
	c2 := e.client()
	c2.HTTP.Jar = c.HTTP.Jar // cookies are per host, not per port
	return e, c2
}

// TestSessionSurvivesRestart: an officer mid-procedure keeps the session
// and its form token across a restart of the node; the store holds no
// cookie token; a logout after the restart ends the session for good.
func TestSessionSurvivesRestart(t *testing.T) {
	k := newKeepingOfficers()
	clk := webtest.NewClock(testNow)
	e := newEnv(t, Config{Officers: k, Now: clk.Now})
	c := e.client()
	c.Post("/login", url.Values{"csrf": {c.Get("/login").CSRF(t)}, "user": {"lan"}, "password": {officerPwd}}).WantStatus(t, http.StatusSeeOther)
	if n, _, _ := k.stored(); n != 1 {
		t.Fatalf("the new session is not stored (%d): a restart before the next page would end it", n)
	}
	csrf := c.Get("/").CSRF(t)
	var token string
	for _, ck := range c.HTTP.Jar.Cookies(mustURL(t, e.ts.URL)) {
		if ck.Name == cookieSession {
			token = ck.Value
		}
	}
	if n, _, all := k.stored(); n != 1 || token == "" || strings.Contains(all, token) {
		t.Fatalf("store holds %d sessions; the cookie token in it: %v", n, strings.Contains(all, token))
	}

	clk.Advance(5 * time.Minute)
	e, c = restart(t, e, Config{Officers: k, Now: clk.Now}, c)
	home := c.Get("/")
	home.WantStatus(t, http.StatusOK)
	home.MustContain(t, "Trần Thị Lan")
	if got := home.CSRF(t); got != csrf {
		t.Fatalf("form token after the restart %q, want %q: a form opened before would be refused", got, csrf)
	}

	c.Post("/logout", url.Values{"csrf": {csrf}}).WantStatus(t, http.StatusSeeOther)
	if n, _, _ := k.stored(); n != 0 {
		t.Fatalf("a logout left %d sessions in the store", n)
	}
	_, c = restart(t, e, Config{Officers: k, Now: clk.Now}, c)
	c.Get("/").WantStatus(t, http.StatusSeeOther)
}

// TestRestoredSessionStillExpires: the idle timeout and the maximum age
// count across a restart, from what the store kept.
func TestRestoredSessionStillExpires(t *testing.T) {
	k := newKeepingOfficers()
	clk := webtest.NewClock(testNow)
	cfg := Config{Officers: k, Now: clk.Now, SessionIdle: 10 * time.Minute, SessionMax: time.Hour}
	e := newEnv(t, cfg)
	c := e.client()
	c.login()
	clk.Advance(11 * time.Minute) // idle while the node was down
	e, c = restart(t, e, cfg, c)
	c.Get("/").WantStatus(t, http.StatusSeeOther)
	if n, _, _ := k.stored(); n != 0 {
		t.Fatalf("an expired session stayed in the store (%d)", n)
	}

	// Used every 9 minutes, with the node restarted in between: the use
	// counts across restarts, and the maximum age still ends it.
	c.login()
	for i := 1; i <= 7; i++ {
		clk.Advance(9 * time.Minute)
		e, c = restart(t, e, cfg, c)
		want := http.StatusOK
		if i == 7 {
			want = http.StatusSeeOther
		}
		c.Get("/").WantStatus(t, want)
	}
}

// TestSessionEndsWhenAccountChanges: disabling the account, or a new
// password, ends the officer's sessions at the next request, including a
// live page's check; an account that cannot be read refuses the request
// without ending the session.
func TestSessionEndsWhenAccountChanges(t *testing.T) {
	for _, change := range []struct {
		name  string
		stamp string
	}{{"disabled", ""}, {"new password", "lan-2"}} {
		t.Run(change.name, func(t *testing.T) {
			k := newKeepingOfficers()
			e := newEnv(t, Config{Officers: k})
			c := e.client()
			c.login()
			other := e.client()
			other.loginAs("hung")
			var token string
			for _, ck := range c.HTTP.Jar.Cookies(mustURL(t, e.ts.URL)) {
				if ck.Name == cookieSession {
					token = ck.Value
				}
			}
			if !e.srv.sessions.alive(token) {
				t.Fatal("no live session after login")
			}

			k.set(func() { k.stampErr = errors.New("store unreadable") })
			c.Get("/").WantStatus(t, http.StatusSeeOther)
			k.set(func() { k.stampErr = nil })
			c.Get("/").WantStatus(t, http.StatusOK)

			k.set(func() { k.stamps["lan"] = change.stamp })
			if e.srv.sessions.alive(token) {
				t.Fatal("a live page's check still sees the session")
			}
			c.Get("/").WantStatus(t, http.StatusSeeOther)
			other.Get("/").WantStatus(t, http.StatusOK) // hung's session is not touched
			if n, _, _ := k.stored(); n != 1 {
				t.Fatalf("store holds %d sessions, want hung's alone", n)
			}
		})
	}
}

// TestLoginNeedsAStandingAccount: an account disabled between the
// password check and the session, or whose stamp cannot be read, gets no
// session.
func TestLoginNeedsAStandingAccount(t *testing.T) {
	for name, f := range map[string]func(k *keepingOfficers){
		"disabled meanwhile": func(k *keepingOfficers) { delete(k.stamps, "lan") },
		"unreadable":         func(k *keepingOfficers) { k.stampErr = errors.New("store unreadable") },
	} {
		k := newKeepingOfficers()
		k.set(func() { f(k) })
		e := newEnv(t, Config{Officers: k})
		c := e.client()
		p := c.Post("/login", url.Values{"csrf": {c.Get("/login").CSRF(t)}, "user": {"lan"}, "password": {officerPwd}})
		if p.Status != http.StatusServiceUnavailable || c.Get("/").Status != http.StatusSeeOther {
			t.Errorf("%s: login gave %d and a session", name, p.Status)
		}
		if n, _, _ := k.stored(); n != 0 {
			t.Errorf("%s: %d sessions stored", name, n)
		}
	}
}

// TestSessionUseSavedSparingly: the officer's use is written to the store
// at most once a minute, not once a page.
func TestSessionUseSavedSparingly(t *testing.T) {
	k := newKeepingOfficers()
	e := newEnv(t, Config{Officers: k})
	c := e.client()
	c.login()
	_, first, _ := k.stored()
	for range 5 {
		e.clock.Advance(10 * time.Second)
		c.Get("/").WantStatus(t, http.StatusOK)
	}
	if _, n, _ := k.stored(); n != first {
		t.Fatalf("%d saves for 50 s of use, want none beyond the login's", n-first)
	}
	e.clock.Advance(20 * time.Second)
	c.Get("/")
	if _, n, _ := k.stored(); n != first+1 {
		t.Fatalf("%d saves after a minute of use, want 1", n-first)
	}
}

func mustURL(t *testing.T, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}
