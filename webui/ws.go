package webui

import (
	"net/http"
	"time"

	"github.com/gorilla/websocket"

	"github.com/xanode/xanode/webui/shell"
)

const (
	maxHandshake = 10 * time.Second
	writeWait    = 10 * time.Second
)

// websocket serves GET /ws: a one-way stream of Events to an open page.
// Only a logged-in browser on a page of this very host may open it. The
// stream carries event kinds and change IDs, never citizen data: the page
// re-fetches what it shows through the session-checked handlers.
func (s *Server) websocket(w http.ResponseWriter, r *http.Request) {
	l := langOf(r)
	token := s.cookie(r, cookieSession)
	sess, ok := s.sessions.get(token, false) // a reconnecting script is not the officer
	if !ok {
		http.Error(w, l.T("error.session"), http.StatusUnauthorized)
		return
	}
	if !shell.SameOrigin(r) {
		s.log.Warn("websocket refused: foreign origin", "origin", r.Header.Get("Origin"),
			"user", sess.officer.User, "remote", remoteIP(r))
		http.Error(w, l.T("error.origin"), http.StatusForbidden)
		return
	}
	if !s.track() {
		http.Error(w, l.T("error.closing"), http.StatusServiceUnavailable)
		return
	}
	defer s.conns.Done()
	conn, err := s.upgrader.Upgrade(w, r, nil)
	if err != nil {
		return // the upgrader has answered the request
	}
	var events <-chan Event // nil without Events: only pings flow
	if s.cfg.Events != nil {
		var cancel func()
		events, cancel = s.cfg.Events.Subscribe()
		defer cancel()
	}
	s.stream(conn, token, events)
}

// track registers a live connection unless the server is closing; the
// lock orders every Add before Close's Wait.
func (s *Server) track() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return false
	}
	s.conns.Add(1)
	return true
}

// stream writes events and pings until the client leaves, the session
// ends or the server closes (shell.Pump).
func (s *Server) stream(conn *websocket.Conn, token string, events <-chan Event) {
	p := shell.Pump{PingEvery: s.cfg.PingEvery, WriteWait: writeWait, Quit: s.quit,
		Alive: func() bool { return s.sessions.alive(token) }}
	shell.Run(conn, p, events, func(ev Event) (any, error) { return ev, nil })
}
