package webui

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/xanode/xanode/webui/shell"
)

// Sessions survive a restart of the node when the Officers implementation
// keeps them (SessionStore), and end when the officer's account changes
// (AccountStamps): both are optional interfaces, checked by type
// assertion, so a UI given only Authenticate keeps sessions in memory.

// SessionStore keeps officer sessions across restarts of the node. The UI
// gives it the SHA-256 of each cookie token, never the token, and an
// encoding of its own; the store should keep them sealed (the data holds
// the session's CSRF token). Its methods are called concurrently, but
// never two writes at once; a write is expected to be durable when it
// returns.
type SessionStore interface {
	// Sessions returns every session stored, by ID.
	Sessions() (map[string][]byte, error)
	// SaveSession stores data under id, replacing what id held.
	SaveSession(id string, data []byte) error
	// DeleteSession removes id; an unknown id is not an error.
	DeleteSession(id string) error
}

// AccountStamps tells whether the account behind a session still stands.
type AccountStamps interface {
	// AccountStamp returns a value that changes whenever user's password
	// or role changes, and "" when the account is unknown or disabled. A
	// session lives only while the stamp is the one it was opened with.
	// It is called on every request of a session: it must be cheap.
	AccountStamp(user string) (string, error)
}

// maxSessions bounds the store: an office has a handful of officers, so
// reaching it means something is creating sessions in a loop, and evicting
// the least recently used keeps memory bounded without locking anyone out
// for long.
const maxSessions = 1000

// saveEvery is how stale the last use of a session may be in the store: a
// session restored after a restart looks up to this much less recently
// used, which only ends it earlier; it spares the store a write per page.
const saveEvery = time.Minute

// session is one officer's login. It is handed out by value: the store owns
// the only mutable copy.
type session struct {
	officer Officer
	csrf    string // per-session token every POST form carries
	stamp   string // AccountStamp at login
	created time.Time
	seen    time.Time
	saved   time.Time // seen as last stored
}

// storedSession is a session as SessionStore keeps it.
type storedSession struct {
	User    string    `json:"user"`
	Name    string    `json:"name"`
	Role    string    `json:"role"`
	CSRF    string    `json:"csrf"`
	Stamp   string    `json:"stamp,omitempty"`
	Created time.Time `json:"created"`
	Seen    time.Time `json:"seen"`
}

// sessions holds the live sessions in memory, written through to the
// SessionStore when there is one. Writes to the store happen under mu, so
// a late refresh cannot bring back a session deleted meanwhile.
type sessions struct {
	mu       sync.Mutex
	byID     map[[32]byte]*session // keyed by SHA-256 of the cookie token
	pending  atomic.Bool           // the store was locked at start: load at the first request it opens for
	idle     time.Duration
	max      time.Duration
	now      func() time.Time
	store    SessionStore  // nil: memory only
	accounts AccountStamps // nil: sessions end only by logout, idle and max age
	log      *slog.Logger
}

func newSessions(cfg Config) *sessions {
	st := &sessions{byID: make(map[[32]byte]*session), idle: cfg.SessionIdle, max: cfg.SessionMax, now: cfg.Now,
		log: cfg.Log.With("component", "webui")}
	st.store, _ = cfg.Officers.(SessionStore)
	st.accounts, _ = cfg.Officers.(AccountStamps)
	st.load()
	return st
}

// load brings back the sessions the store kept; expired or unreadable ones
// are deleted. A store that cannot be read costs the officers a login,
// nothing more.
func (st *sessions) load() {
	if st.store == nil {
		return
	}
	kept, err := st.store.Sessions()
	if errors.Is(err, ErrLocked) {
		// An edge whose data key is still locked: its sessions come back
		// once an officer or the city unlocks it (see get).
		st.pending.Store(true)
		return
	}
	st.pending.Store(false)
	if err != nil {
		st.log.Error("stored sessions unreadable; officers log in again", "err", err)
		return
	}
	now := st.now()
	st.mu.Lock()
	defer st.mu.Unlock()
	for id, data := range kept {
		key, ok := parseSessionID(id)
		var ss storedSession
		if ok && json.Unmarshal(data, &ss) == nil {
			s := &session{officer: Officer{User: ss.User, Name: ss.Name, Role: ss.Role}, csrf: ss.CSRF, stamp: ss.Stamp,
				created: ss.Created, seen: ss.Seen, saved: ss.Seen}
			if !st.expired(s, now) && s.officer.User != "" && s.csrf != "" {
				st.byID[key] = s
				continue
			}
		}
		st.deleteStored(key)
	}
	for len(st.byID) > maxSessions {
		st.evictOldestLocked()
	}
}

func sessionKey(token string) [32]byte { return sha256.Sum256([]byte(token)) }

func sessionID(key [32]byte) string { return hex.EncodeToString(key[:]) }

func parseSessionID(id string) ([32]byte, bool) {
	var key [32]byte
	b, err := hex.DecodeString(id)
	if err != nil || len(b) != len(key) {
		return key, false
	}
	copy(key[:], b)
	return key, true
}

// saveLocked writes s to the store; the caller holds mu. A failed write
// costs only the session's survival of a restart.
func (st *sessions) saveLocked(key [32]byte, s *session) {
	if st.store == nil {
		return
	}
	data, _ := json.Marshal(storedSession{User: s.officer.User, Name: s.officer.Name, Role: s.officer.Role,
		CSRF: s.csrf, Stamp: s.stamp, Created: s.created, Seen: s.seen})
	if err := st.store.SaveSession(sessionID(key), data); err != nil {
		st.log.Error("session not stored: it will not survive a restart", "user", s.officer.User, "err", err)
		return
	}
	s.saved = s.seen
}

// deleteStored removes a session from the store; the caller holds mu (or
// owns st). A failed delete is logged loudly: the session would come back
// after a restart, until it expires or its account changes.
func (st *sessions) deleteStored(key [32]byte) {
	if st.store == nil {
		return
	}
	if err := st.store.DeleteSession(sessionID(key)); err != nil {
		st.log.Error("ended session not removed from the store", "err", err)
	}
}

func (st *sessions) dropLocked(key [32]byte) {
	if _, ok := st.byID[key]; ok {
		delete(st.byID, key)
		st.deleteStored(key)
	}
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

// stampOf is the account stamp of user; "" without AccountStamps.
func (st *sessions) stampOf(user string) (string, error) {
	if st.accounts == nil {
		return "", nil
	}
	return st.accounts.AccountStamp(user)
}

// create starts a session and returns its cookie token. It fails when the
// account's stamp cannot be read, or the account went away since the
// password was checked.
func (st *sessions) create(o Officer) (string, session, error) {
	stamp, err := st.stampOf(o.User)
	if err == nil && stamp == "" && st.accounts != nil {
		err = ErrBadLogin
	}
	if err != nil {
		return "", session{}, err
	}
	token := randomToken()
	now := st.now()
	s := &session{officer: o, csrf: randomToken(), stamp: stamp, created: now, seen: now}
	key := sessionKey(token)
	st.mu.Lock()
	defer st.mu.Unlock()
	st.sweepLocked(now)
	if len(st.byID) >= maxSessions {
		st.evictOldestLocked()
	}
	st.byID[key] = s
	st.saveLocked(key, s)
	return token, *s, nil
}

// get returns the live session of token. touch marks it used: only what the
// officer does counts, never what a page script does on its own (an
// abandoned live page must not keep a session on a shared PC alive). A
// session whose account was disabled, or whose password or role changed,
// ends; one whose account cannot be checked is refused but kept.
func (st *sessions) get(token string, touch bool) (session, bool) {
	if token == "" {
		return session{}, false
	}
	if st.pending.Load() {
		st.load()
	}
	key := sessionKey(token)
	now := st.now()
	st.mu.Lock()
	s, ok := st.byID[key]
	if ok && st.expired(s, now) {
		st.dropLocked(key)
		ok = false
	}
	var cp session
	if ok {
		cp = *s
	}
	st.mu.Unlock()
	if !ok {
		return session{}, false
	}
	stamp, err := st.stampOf(cp.officer.User)
	if err != nil {
		st.log.Error("officer account unreadable; request refused", "user", cp.officer.User, "err", err)
		return session{}, false
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	s, ok = st.byID[key]
	if !ok {
		return session{}, false // ended meanwhile
	}
	if stamp != s.stamp {
		st.log.Info("session ended: the officer's account changed or was disabled", "user", s.officer.User)
		st.dropLocked(key)
		return session{}, false
	}
	if touch {
		s.seen = now
		if now.Sub(s.saved) >= saveEvery {
			st.saveLocked(key, s)
		}
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
	st.dropLocked(sessionKey(token))
}

func (st *sessions) expired(s *session, now time.Time) bool {
	return now.Sub(s.seen) > st.idle || now.Sub(s.created) > st.max
}

func (st *sessions) sweepLocked(now time.Time) {
	for k, s := range st.byID {
		if st.expired(s, now) {
			st.dropLocked(k)
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
	st.dropLocked(oldest)
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

func (s *Server) cookies() shell.Cookies { return shell.Cookies{Secure: s.cfg.Secure} }

func (s *Server) setCookie(w http.ResponseWriter, base, value string, maxAge int) {
	s.cookies().Set(w, base, value, maxAge)
}

func (s *Server) cookie(r *http.Request, base string) string { return s.cookies().Get(r, base) }

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
