package webui

import (
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"sync"

	"github.com/gorilla/websocket"

	"github.com/xanode/xanode/webui/i18n"
	"github.com/xanode/xanode/webui/shell"
)

// maxFormBytes caps a POSTed form: the largest legitimate one is a few
// hundred bytes of address text.
const maxFormBytes = 64 << 10

// Server is the officer web UI, an http.Handler to mount at "/" of the
// edge's listener (which serves /healthz and the other operator endpoints
// itself). It is safe for concurrent use.
type Server struct {
	cfg      Config
	log      *slog.Logger
	mux      *http.ServeMux
	sessions *sessions
	// Login tries are limited per user name, and per client address
	// (more loosely) against a guesser that rotates user names; underWay
	// bounds each address's logins in progress.
	userLimit *limiter
	ipLimit   *limiter
	underWay  underWay
	views     *shell.Views
	assets    *shell.Assets
	forms     *formTokens // change forms already recorded (idempotency)
	faces     *faces      // the chip faces read, held for their sessions only
	visits    *visits     // citizens of other communes read in each session
	upgrader  websocket.Upgrader

	quit   chan struct{} // closed by Close: live connections end
	mu     sync.Mutex
	closed bool
	conns  sync.WaitGroup // open websocket connections; Add only under mu while !closed
}

// New checks cfg and builds the UI.
func New(cfg Config) (*Server, error) {
	cfg = cfg.withDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	v, err := parseViews()
	if err != nil {
		return nil, err
	}
	a, err := shell.LoadAssets(files, "static", "app.css", "app.js", "status.js")
	if err != nil {
		return nil, err
	}
	s := &Server{
		cfg:       cfg,
		log:       cfg.Log.With("component", "webui"),
		sessions:  newSessions(cfg),
		userLimit: newLimiter(cfg.LoginFailures, cfg.LoginWindow),
		ipLimit:   newLimiter(cfg.AddressFailures, cfg.LoginWindow),
		views:     v,
		assets:    a,
		forms:     newFormTokens(cfg.Now),
		faces:     newFaces(cfg.Now),
		visits:    newVisits(cfg.Now, cfg.SessionMax),
		quit:      make(chan struct{}),
	}
	s.upgrader = websocket.Upgrader{
		HandshakeTimeout: maxHandshake,
		ReadBufferSize:   512,
		WriteBufferSize:  512,
		CheckOrigin:      shell.SameOrigin,
	}
	s.routes()
	return s, nil
}

// Close ends every live websocket connection and waits for their handlers.
// Plain requests are the http.Server's to drain (Shutdown): it does not
// track hijacked connections, which is why this exists. Safe to call twice.
func (s *Server) Close() error {
	s.mu.Lock()
	if !s.closed {
		s.closed = true
		close(s.quit)
	}
	s.mu.Unlock()
	s.conns.Wait()
	return nil
}

func (s *Server) routes() {
	m := http.NewServeMux()
	m.HandleFunc("GET /login", s.loginForm)
	m.HandleFunc("POST /login", s.login)
	m.HandleFunc("POST /logout", s.post(s.logout))
	m.HandleFunc("GET /{$}", s.page(s.home))
	m.HandleFunc("POST /tap", s.post(s.tap))
	m.HandleFunc("POST /qr", s.post(s.scanQR))
	m.HandleFunc("GET /tap/live", s.page(s.tapLive))
	m.HandleFunc("GET /face/{token}", s.face)
	m.HandleFunc("GET /status/live", s.page(s.statusLive))
	m.HandleFunc("POST /notices/dismiss", s.post(s.dismissNotice))
	m.HandleFunc("GET /birth/{id}", s.page(s.birthRecord))
	m.HandleFunc("GET /lookup", s.page(s.lookup))
	m.HandleFunc("GET /search", s.page(s.search))
	m.HandleFunc("GET /citizen/{id}", s.page(s.citizen))
	m.HandleFunc("GET /citizen/{id}/print", s.page(s.printConfirmation))
	m.HandleFunc("GET /citizen/{id}/change/{op}", s.page(s.changeForm))
	m.HandleFunc("POST /citizen/{id}/change/{op}", s.post(s.changeSubmit))
	m.HandleFunc("GET /birth", s.page(s.birthForm))
	m.HandleFunc("POST /birth", s.post(s.birthSubmit))
	m.HandleFunc("GET /visitor/{id}", s.page(s.visitor))
	m.HandleFunc("GET /visitor/{id}/change/{op}", s.page(s.visitorChangeForm))
	m.HandleFunc("POST /visitor/{id}/change/{op}", s.post(s.visitorChangeSubmit))
	s.reviewRoutes(m)
	m.HandleFunc("GET /outbox", s.page(s.outbox))
	m.HandleFunc("GET /outbox/live", s.page(s.outboxLive))
	m.HandleFunc("GET /password", s.page(s.passwordForm))
	m.HandleFunc("GET /reports", s.page(s.reports))
	m.HandleFunc("POST /password", s.post(s.changePassword))
	m.HandleFunc("GET /ws", s.websocket)
	m.HandleFunc("GET /static/{name}", s.static)
	m.HandleFunc("GET /favicon.ico", noIcon)
	m.HandleFunc("/", s.notFound)
	s.mux = m
}

// ServeHTTP sets the security headers every response carries, settles the
// language, and dispatches.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	shell.SecurityHeaders(w, r, s.cfg.Secure)
	r, handled := s.cookies().Language(w, r, cookieLang, i18n.Default)
	if handled {
		return
	}
	s.mux.ServeHTTP(w, r)
}

// langOf is the request's UI language.
func langOf(r *http.Request) i18n.Lang { return shell.LangOf(r) }

// handler is a page handler that runs with a live session.
type handler func(w http.ResponseWriter, r *http.Request, sess session)

// page requires a session; without one, a browser goes to the login page
// and comes back after it.
func (s *Server) page(h handler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		sess, _, ok := s.session(r)
		if !ok {
			s.toLogin(w, r)
			return
		}
		h(w, r, sess)
	}
}

// post requires a session and the session's CSRF token in the form. A
// refused form changes nothing.
func (s *Server) post(h handler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		sess, _, ok := s.session(r)
		if !ok {
			s.toLogin(w, r)
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
		if err := r.ParseForm(); err != nil {
			s.renderError(w, r, &sess, http.StatusBadRequest, "error.form")
			return
		}
		if !tokensEqual(r.PostForm.Get("csrf"), sess.csrf) {
			s.log.Warn("form refused: missing or wrong CSRF token",
				"user", sess.officer.User, "path", r.URL.Path, "remote", remoteIP(r))
			s.renderError(w, r, &sess, http.StatusForbidden, "error.csrf")
			return
		}
		h(w, r, sess)
	}
}

// toLogin answers a request without a session. Script requests get 401 so
// the page script can go to the login page itself.
func (s *Server) toLogin(w http.ResponseWriter, r *http.Request) {
	if fromScript(r) {
		http.Error(w, langOf(r).T("error.session"), http.StatusUnauthorized)
		return
	}
	target := "/login"
	if r.Method == http.MethodGet && r.URL.Path != "/" {
		target += "?next=" + url.QueryEscape(r.URL.RequestURI())
	}
	http.Redirect(w, r, target, http.StatusSeeOther)
}

func (s *Server) notFound(w http.ResponseWriter, r *http.Request) {
	sess, _, ok := s.session(r)
	var sp *session
	if ok {
		sp = &sess
	}
	s.renderError(w, r, sp, http.StatusNotFound, "error.notfound")
}

// noIcon answers the browser's automatic icon request with nothing, so it
// does not fill logs and consoles with 404s.
func noIcon(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Cache-Control", "public, max-age=86400")
	w.WriteHeader(http.StatusNoContent)
}

// remoteIP is the client's address without the port. The UI is served
// directly on the office LAN, so no forwarding header is trusted.
func remoteIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}
