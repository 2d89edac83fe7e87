package fleetui

import (
	"context"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/gorilla/websocket"

	"github.com/xanode/xanode/webui/i18n"
	"github.com/xanode/xanode/webui/shell"
)

// maxFormBytes caps a POSTed form: the largest legitimate one is a reason
// of a few hundred characters.
const maxFormBytes = 64 << 10

// Server is the fleet UI, an http.Handler to mount at "/". It is safe for
// concurrent use. Close it to stop its refresher and live connections.
type Server struct {
	cfg      Config
	log      *slog.Logger
	mux      *http.ServeMux
	views    *shell.Views
	assets   *shell.Assets
	links    links
	live     *hub
	upgrader websocket.Upgrader

	ctx    context.Context // Fleet calls of the refresher; cancelled by Close
	cancel context.CancelFunc
	quit   chan struct{} // closed by Close
	mu     sync.Mutex
	closed bool
	wg     sync.WaitGroup // the refresher and every live connection; Add only under mu while !closed
}

// New checks cfg, builds the UI and starts its refresher.
func New(cfg Config) (*Server, error) {
	cfg = cfg.withDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	v, err := parseViews(cfg.Location)
	if err != nil {
		return nil, err
	}
	a, err := shell.LoadAssets(files, "static", "fleet.css", "fleet.js")
	if err != nil {
		return nil, err
	}
	s := &Server{
		cfg:    cfg,
		log:    cfg.Log.With("component", "fleetui"),
		views:  v,
		assets: a,
		links:  links{pending: make(map[[32]byte]time.Time)},
		live:   newHub(),
		quit:   make(chan struct{}),
	}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	s.upgrader = websocket.Upgrader{
		HandshakeTimeout: handshakeWait,
		ReadBufferSize:   512,
		WriteBufferSize:  4096,
		CheckOrigin:      shell.SameOrigin,
	}
	s.routes()
	s.wg.Add(1)
	go s.refresher()
	return s, nil
}

// Close stops the refresher, ends every live connection and waits for them.
// Plain requests are the http.Server's to drain. Safe to call twice.
func (s *Server) Close() error {
	s.mu.Lock()
	if !s.closed {
		s.closed = true
		close(s.quit)
		s.cancel()
	}
	s.mu.Unlock()
	s.wg.Wait()
	return nil
}

// track registers a live connection unless the server is closing; the lock
// orders every Add before Close's Wait.
func (s *Server) track() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return false
	}
	s.wg.Add(1)
	return true
}

func (s *Server) routes() {
	m := http.NewServeMux()
	m.HandleFunc("GET /login", s.login)
	m.HandleFunc("GET /{$}", s.page(s.dashboard))
	m.HandleFunc("GET /node/{id}", s.page(s.nodePage))
	m.HandleFunc("POST /node/{id}/revoke", s.post(s.revoke))
	m.HandleFunc("POST /node/{id}/reinstate", s.post(s.reinstate))
	m.HandleFunc("POST /node/{id}/assign", s.post(s.assign))
	m.HandleFunc("GET /commune/{code}", s.page(s.communePage))
	m.HandleFunc("GET /enroll", s.page(s.enrollForm))
	m.HandleFunc("POST /enroll", s.post(s.enroll))
	m.HandleFunc("GET /conflicts", s.page(s.conflicts))
	m.HandleFunc("GET /reports", s.page(s.reports))
	m.HandleFunc("POST /conflicts/{entry}", s.post(s.resolve))
	s.qualityRoutes(m)
	m.HandleFunc("GET /ws", s.websocket)
	m.HandleFunc("GET /static/{name}", s.static)
	m.HandleFunc("GET /favicon.ico", noIcon)
	m.HandleFunc("/", s.page(s.notFound))
	s.mux = m
}

// ServeHTTP sets the security headers every response carries, settles the
// language, and dispatches.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	shell.SecurityHeaders(w, r, false)
	r, handled := shell.Cookies{}.Language(w, r, cookieLang, s.cfg.Lang)
	if handled {
		return
	}
	s.mux.ServeHTTP(w, r)
}

// langOf is the request's UI language.
func langOf(r *http.Request) i18n.Lang { return shell.LangOf(r) }

// handler is a page handler that runs with a live session (its payload).
type handler func(w http.ResponseWriter, r *http.Request, sess []byte)

// page requires a session.
func (s *Server) page(h handler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		sess, ok := s.session(r)
		if !ok {
			s.unauthorized(w, r, "fleet.auth.none")
			return
		}
		h(w, r, sess)
	}
}

// post requires a session and its CSRF token in the form. A refused form
// changes nothing.
func (s *Server) post(h handler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		sess, ok := s.session(r)
		if !ok {
			s.unauthorized(w, r, "fleet.auth.none")
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
		if err := r.ParseForm(); err != nil {
			s.renderError(w, r, sess, http.StatusBadRequest, langOf(r).T("fleet.error.form"), "")
			return
		}
		if !s.csrfValid(sess, r.PostForm.Get("csrf")) {
			s.log.Warn("form refused: missing or wrong CSRF token", "path", r.URL.Path, "remote", r.RemoteAddr)
			s.renderError(w, r, sess, http.StatusForbidden, langOf(r).T("fleet.error.csrf"), "")
			return
		}
		h(w, r, sess)
	}
}

func (s *Server) notFound(w http.ResponseWriter, r *http.Request, sess []byte) {
	s.renderError(w, r, sess, http.StatusNotFound, langOf(r).T("fleet.error.page"), "")
}

// noIcon answers the browser's automatic icon request with nothing.
func noIcon(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Cache-Control", "public, max-age=86400")
	w.WriteHeader(http.StatusNoContent)
}

// call runs one Fleet call under the request's context and CallTimeout.
func (s *Server) call(r *http.Request, f func(ctx context.Context) error) error {
	ctx, cancel := context.WithTimeout(r.Context(), s.cfg.CallTimeout)
	defer cancel()
	return f(ctx)
}
