package fleetui

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/binary"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/xanode/xanode/webui/shell"
)

// maxLinks bounds the pending login links: the command prints one per
// start, so reaching it means something asks for links in a loop.
const maxLinks = 64

// Cookie names.
const (
	cookieSession = "xanode_fleet"
	cookieLang    = "xanode_fleet_lang"
)

// links holds the login links not used yet, by SHA-256 of their token, with
// their expiry. A link works once.
type links struct {
	mu      sync.Mutex
	pending map[[32]byte]time.Time
}

// randomBytes returns n random bytes.
func randomBytes(n int) []byte {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		// crypto/rand.Read never fails on supported platforms (Go 1.24+).
		panic("fleetui: crypto/rand: " + err.Error())
	}
	return b
}

// LoginURL returns a one-time login link under base (the address the UI is
// served at, such as "http://127.0.0.1:8090"). Opening it starts a session
// in that browser; the link then stops working, and after Config.LinkTTL it
// stops working anyway.
func (s *Server) LoginURL(base string) string {
	token := base64.RawURLEncoding.EncodeToString(randomBytes(32))
	now := s.cfg.Now()
	s.links.mu.Lock()
	for k, exp := range s.links.pending {
		if !now.Before(exp) {
			delete(s.links.pending, k)
		}
	}
	for len(s.links.pending) >= maxLinks {
		var oldest [32]byte
		var at time.Time
		for k, exp := range s.links.pending {
			if at.IsZero() || exp.Before(at) {
				oldest, at = k, exp
			}
		}
		delete(s.links.pending, oldest)
	}
	s.links.pending[sha256.Sum256([]byte(token))] = now.Add(s.cfg.LinkTTL)
	s.links.mu.Unlock()
	return strings.TrimRight(base, "/") + "/login?token=" + url.QueryEscape(token)
}

// useLink consumes token; it reports whether it was a live link.
func (s *Server) useLink(token string) bool {
	if token == "" {
		return false
	}
	key := sha256.Sum256([]byte(token))
	s.links.mu.Lock()
	defer s.links.mu.Unlock()
	exp, ok := s.links.pending[key]
	delete(s.links.pending, key)
	return ok && s.cfg.Now().Before(exp)
}

// A session is a cookie the server signed: 8 bytes of issue time (Unix
// seconds) and 16 random bytes, then the HMAC of both under Secret. The
// server keeps no session state; a session ends at SessionMax or when the
// process (and with it a per-start Secret) ends.
const sessionPayload = 8 + 16

// newSession returns the cookie value of a new session.
func (s *Server) newSession() string {
	p := make([]byte, 0, sessionPayload)
	p = binary.BigEndian.AppendUint64(p, uint64(s.cfg.Now().Unix()))
	p = append(p, randomBytes(16)...)
	enc := base64.RawURLEncoding
	return enc.EncodeToString(p) + "." + enc.EncodeToString(s.mac("session", p))
}

// sessionID checks a session cookie's value and returns its payload.
func (s *Server) sessionID(v string) ([]byte, bool) {
	enc := base64.RawURLEncoding
	ps, ms, ok := strings.Cut(v, ".")
	if !ok {
		return nil, false
	}
	p, err1 := enc.DecodeString(ps)
	m, err2 := enc.DecodeString(ms)
	if err1 != nil || err2 != nil || len(p) != sessionPayload || !hmac.Equal(m, s.mac("session", p)) {
		return nil, false
	}
	issued := time.Unix(int64(binary.BigEndian.Uint64(p)), 0)
	now := s.cfg.Now()
	// A session issued in the future comes from a clock that moved back;
	// a minute of slack covers rounding.
	if now.Sub(issued) > s.cfg.SessionMax || issued.After(now.Add(time.Minute)) {
		return nil, false
	}
	return p, true
}

// mac is HMAC-SHA256 under Secret, domain-separated by purpose.
func (s *Server) mac(purpose string, p []byte) []byte {
	h := hmac.New(sha256.New, s.cfg.Secret)
	h.Write([]byte("xanode fleetui " + purpose + "\x00"))
	h.Write(p)
	return h.Sum(nil)
}

// csrfToken is the session's CSRF token: a MAC of the session, so that only
// a page served to the session's browser can carry it.
func (s *Server) csrfToken(id []byte) string {
	return base64.RawURLEncoding.EncodeToString(s.mac("csrf", id))
}

func (s *Server) csrfValid(id []byte, got string) bool {
	want := s.csrfToken(id)
	return got != "" && subtle.ConstantTimeCompare([]byte(got), []byte(want)) == 1
}

// The UI is served on loopback over plain HTTP, so its cookies cannot be
// Secure.
func setCookie(w http.ResponseWriter, name, value string, maxAge int) {
	shell.Cookies{}.Set(w, name, value, maxAge)
}

func cookie(r *http.Request, name string) string { return shell.Cookies{}.Get(r, name) }

// session returns the request's session payload, if it has a live one.
func (s *Server) session(r *http.Request) ([]byte, bool) {
	return s.sessionID(cookie(r, cookieSession))
}

// login serves GET /login?token=: a live link starts a session and goes to
// the dashboard; anything else gets the page that says how to get a new
// link.
func (s *Server) login(w http.ResponseWriter, r *http.Request) {
	if !s.useLink(r.URL.Query().Get("token")) {
		s.log.Warn("login refused: unknown, used or expired link", "remote", r.RemoteAddr)
		s.unauthorized(w, r, "fleet.auth.link")
		return
	}
	s.log.Info("login", "remote", r.RemoteAddr)
	setCookie(w, cookieSession, s.newSession(), 0)
	http.Redirect(w, r, "/", http.StatusSeeOther)
}
