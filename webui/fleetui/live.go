package fleetui

import (
	"bytes"
	"context"
	"net/http"
	"sync"
	"time"

	"github.com/gorilla/websocket"

	"github.com/xanode/xanode/webui/i18n"
	"github.com/xanode/xanode/webui/shell"
)

const (
	handshakeWait = 10 * time.Second
	writeWait     = 10 * time.Second
)

// snapshot is the fleet as the refresher last saw it.
type snapshot struct {
	nodes []Node    // from the last successful fetch
	trust *TrustSet // the CSCA trust set fetched with them; nil: none
	at    time.Time // when they were fetched; zero: never
	err   error     // the last fetch's error; nil if it succeeded
	tried time.Time // when the last fetch ran
}

// hub hands the refresher's snapshots to the live connections. A
// connection is signalled through a channel of one: a slow browser skips
// snapshots rather than queueing them, and always renders the latest.
type hub struct {
	mu   sync.Mutex
	subs map[chan struct{}]struct{}
	snap snapshot
	kick chan struct{} // asks the refresher for a fetch now
}

func newHub() *hub {
	return &hub{subs: make(map[chan struct{}]struct{}), kick: make(chan struct{}, 1)}
}

func (h *hub) subscribe() (<-chan struct{}, func()) {
	ch := make(chan struct{}, 1)
	h.mu.Lock()
	h.subs[ch] = struct{}{}
	h.mu.Unlock()
	return ch, func() {
		h.mu.Lock()
		delete(h.subs, ch)
		h.mu.Unlock()
	}
}

func (h *hub) count() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.subs)
}

// publish records a fetch's result and signals every connection.
func (h *hub) publish(nodes []Node, trust *TrustSet, err error, now time.Time) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.snap.err, h.snap.tried = err, now
	if err == nil {
		h.snap.nodes, h.snap.trust, h.snap.at = nodes, trust, now
	}
	for ch := range h.subs {
		select {
		case ch <- struct{}{}:
		default: // already signalled; it will read the latest
		}
	}
}

func (h *hub) latest() snapshot {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.snap
}

// kick asks for a refresh now: after an action, and when a page connects.
func (s *Server) kick() {
	select {
	case s.live.kick <- struct{}{}:
	default:
	}
}

// refresher fetches the node table every RefreshEvery, and at once when
// kicked, while at least one dashboard is open. Close stops it.
func (s *Server) refresher() {
	defer s.wg.Done()
	tick := time.NewTicker(s.cfg.RefreshEvery)
	defer tick.Stop()
	for {
		select {
		case <-s.quit:
			return
		case <-tick.C:
		case <-s.live.kick:
		}
		if s.live.count() == 0 {
			continue
		}
		ctx, cancel := context.WithTimeout(s.ctx, s.cfg.CallTimeout)
		nodes, err := s.cfg.Fleet.Nodes(ctx)
		var trust *TrustSet
		if err == nil {
			trust = s.fetchTrust(ctx)
		}
		cancel()
		if s.ctx.Err() != nil {
			return
		}
		if err != nil {
			s.log.Warn("refresh failed", "err", err)
		}
		s.live.publish(nodes, trust, err, s.cfg.Now())
	}
}

// liveMessage is what the websocket carries: the dashboard's live part,
// rendered for the page's language, sort and filter, and when it was
// fetched. HTML is left out when it has not changed since the last message.
type liveMessage struct {
	HTML    string `json:"html,omitempty"`
	Updated string `json:"updated"`
}

// websocket serves GET /ws: the live dashboard. Only a browser with a
// session, on a page of this very host, may open it; it carries what the
// dashboard shows, rendered with the page's query (?q=&state=&sort=&dir=).
func (s *Server) websocket(w http.ResponseWriter, r *http.Request) {
	l := langOf(r)
	if _, ok := s.session(r); !ok {
		http.Error(w, l.T("fleet.auth.none"), http.StatusUnauthorized)
		return
	}
	if !shell.SameOrigin(r) {
		s.log.Warn("websocket refused: foreign origin", "origin", r.Header.Get("Origin"), "remote", r.RemoteAddr)
		http.Error(w, l.T("fleet.error.origin"), http.StatusForbidden)
		return
	}
	if !s.track() {
		http.Error(w, l.T("fleet.error.closing"), http.StatusServiceUnavailable)
		return
	}
	defer s.wg.Done()
	conn, err := s.upgrader.Upgrade(w, r, nil)
	if err != nil {
		return // the upgrader has answered the request
	}
	updates, cancel := s.live.subscribe()
	defer cancel()
	s.kick() // the first update comes now, not a tick later
	s.stream(conn, l, parseView(r.URL.Query()), cookie(r, cookieSession), updates)
}

// stream writes updates and pings until the client leaves, the session
// ends or the server closes (shell.Pump). An update whose table did not
// change carries only the time it was fetched.
func (s *Server) stream(conn *websocket.Conn, l i18n.Lang, v view, sessCookie string, updates <-chan struct{}) {
	p := shell.Pump{PingEvery: s.cfg.PingEvery, WriteWait: writeWait, Quit: s.quit,
		Alive: func() bool { _, ok := s.sessionID(sessCookie); return ok }}
	var last []byte
	shell.Run(conn, p, updates, func(struct{}) (any, error) {
		var msg liveMessage
		html, updated, err := s.renderLive(l, v)
		if err != nil {
			s.log.Error("live fragment failed", "err", err)
			return nil, err
		}
		msg.Updated = updated
		if !bytes.Equal(html, last) {
			msg.HTML, last = string(html), html
		}
		return msg, nil
	})
}

// renderLive renders the latest snapshot's table for one page.
func (s *Server) renderLive(l i18n.Lang, v view) ([]byte, string, error) {
	snap := s.live.latest()
	now := s.cfg.Now()
	t := s.buildTable(l, snap.nodes, v, now)
	t.Trust = s.buildTrust(l, snap.trust, now)
	if snap.err != nil {
		t.Error, t.Detail = s.cityError(l, snap.err)
		if !snap.at.IsZero() {
			t.Stale = l.T("fleet.stale", formatTime(snap.at, s.cfg.Location))
		}
	}
	html, err := s.views.Execute(l, "dashboard", "live", t)
	if err != nil {
		return nil, "", err
	}
	return html, l.T("fleet.updated", snap.tried.In(s.cfg.Location).Format("15:04:05")), nil
}
