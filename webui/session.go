package webui

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"net/http"
	"sync"
	"time"
)

// maxSessions bounds the store: an office has a handful of officers, so
// reaching it means something is creating sessions in a loop, and evicting
// the least recently used keeps memory bounded without locking anyone out
// for long.
const maxSessions = 1000

// session is one officer's login. It is handed out by value: the store owns
// the only mutable copy.
type session struct {
	officer Officer
	csrf    string // per-session token every POST form carries
	created time.Time
	seen    time.Time
}

// sessions is the in-memory session store. Sessions do not survive a
// restart of the node: officers log in again, which is acceptable for an
// office box and keeps tokens off the disk.
type sessions struct {
	mu   sync.Mutex
	byID map[[32]byte]*session // keyed by SHA-256 of the cookie token
	idle time.Duration
	max  time.Duration
	now  func() time.Time
}

func newSessions(idle, max time.Duration, now func() time.Time) *sessions {
	return &sessions{byID: make(map[[32]byte]*session), idle: idle, max: max, now: now}
}

// randomToken returns 32 random bytes, base64url-encoded.
func randomToken() string {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		// crypto/rand.Read never fails on supported platforms (Go 1.24+).
		panic("webui: crypto/rand: " + err.Error())
	}
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// create starts a session and returns its cookie token.
func (st *sessions) create(o Officer) (string, session) {
	token := randomToken()
	now := st.now()
	s := &session{officer: o, csrf: randomToken(), created: now, seen: now}
	st.mu.Lock()
	defer st.mu.Unlock()
	st.sweepLocked(now)
	if len(st.byID) >= maxSessions {
		st.evictOldestLocked()
	}
	st.byID[sha256.Sum256([]byte(token))] = s
	return token, *s
}

// get returns the live session of token. touch marks it used: only what the
// officer does counts, never what a page script does on its own (an
// abandoned live page must not keep a session on a shared PC alive).
func (st *sessions) get(token string, touch bool) (session, bool) {
	if token == "" {
		return session{}, false
	}
	key := sha256.Sum256([]byte(token))
	now := st.now()
	st.mu.Lock()
	defer st.mu.Unlock()
	s, ok := st.byID[key]
	if !ok {
		return session{}, false
	}
	if st.expired(s, now) {
		delete(st.byID, key)
		return session{}, false
	}
	if touch {
		s.seen = now
	}
	return *s, true
}

// alive reports whether token's session is live, without marking it used.
func (st *sessions) alive(token string) bool {
	_, ok := st.get(token, false)
	return ok
}

func (st *sessions) delete(token string) {
	st.mu.Lock()
	defer st.mu.Unlock()
	delete(st.byID, sha256.Sum256([]byte(token)))
}

func (st *sessions) expired(s *session, now time.Time) bool {
	return now.Sub(s.seen) > st.idle || now.Sub(s.created) > st.max
}

func (st *sessions) sweepLocked(now time.Time) {
	for k, s := range st.byID {
		if st.expired(s, now) {
			delete(st.byID, k)
		}
	}
}

func (st *sessions) evictOldestLocked() {
	var oldest [32]byte
	var at time.Time
	for k, s := range st.byID {
		if at.IsZero() || s.seen.Before(at) {
			oldest, at = k, s.seen
		}
	}
	delete(st.byID, oldest)
}

// tokensEqual compares CSRF tokens in constant time.
func tokensEqual(a, b string) bool {
	return a != "" && subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}

// Cookie names. With TLS they take the __Host- prefix, which makes the
// browser refuse them unless Secure, host-only and on path "/".
const (
	cookieSession = "xanode_session"
	cookieLogin   = "xanode_login" // login form's CSRF token, before a session exists
	cookieLang    = "xanode_lang"
)

func (s *Server) cookieName(base string) string {
	if s.cfg.Secure {
		return "__Host-" + base
	}
	return base
}

// setCookie writes a strict, HttpOnly cookie; maxAge 0 makes it last until
// the browser closes (what a shared office PC wants), negative deletes it.
func (s *Server) setCookie(w http.ResponseWriter, base, value string, maxAge int) {
	http.SetCookie(w, &http.Cookie{
		Name:     s.cookieName(base),
		Value:    value,
		Path:     "/",
		MaxAge:   maxAge,
		HttpOnly: true,
		Secure:   s.cfg.Secure,
		SameSite: http.SameSiteStrictMode,
	})
}

func (s *Server) cookie(r *http.Request, base string) string {
	c, err := r.Cookie(s.cookieName(base))
	if err != nil {
		return ""
	}
	return c.Value
}

// session returns the request's live session and its token. Requests of
// the page script (X-Requested-With) do not count as the officer's use.
func (s *Server) session(r *http.Request) (session, string, bool) {
	token := s.cookie(r, cookieSession)
	sess, ok := s.sessions.get(token, !fromScript(r))
	return sess, token, ok
}

// fromScript reports a request made by the page script rather than by the
// officer; app.js marks its requests so.
func fromScript(r *http.Request) bool { return r.Header.Get("X-Requested-With") != "" }
