package stream

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"maps"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode"

	"github.com/gorilla/websocket"
)

// Application close codes (RFC 6455 leaves 4000–4999 to applications).
// They tell the edge, and its log, why the city closed the stream.
const (
	// CloseRevoked: the node's certificate was revoked (see Hub.Kick).
	CloseRevoked = 4001
	// CloseReplaced: the same node opened a newer connection; the older
	// one is presumed dead (a half-open TCP connection after a link drop).
	CloseReplaced = 4002
)

// HubConfig configures a Hub. Fields left zero (or negative) take the
// defaults named on them.
type HubConfig struct {
	// OnTelemetry receives every valid telemetry sample whose communes the
	// connection was assigned. It runs on the goroutine reading that
	// connection: one connection's samples arrive in order, different
	// connections' concurrently, and a slow OnTelemetry delays that edge's
	// pongs, so it should only record the sample. nil: samples are
	// validated and dropped.
	OnTelemetry func(node string, t *Telemetry)
	// OnConnect runs once a connection of node is registered, before its
	// first frame is read, on Serve's goroutine. It may call Send, e.g. to
	// push the node's current TypeConfig. nil: nothing.
	OnConnect func(node string)
	// PingEvery is the interval of the hub's pings; an edge silent for 3×
	// PingEvery is dropped. Edges must be configured with the same value
	// (DialerConfig.PingEvery). Default 20s.
	PingEvery time.Duration
	// WriteTimeout bounds every write to an edge. Default 10s.
	WriteTimeout time.Duration
	// QueueLen is the number of frames waiting for one edge; an edge
	// whose queue is full is dropped. Default 16.
	QueueLen int
	Log      *slog.Logger     // nil: slog.Default()
	Now      func() time.Time // stamps Telemetry.Received and connection ages; nil: time.Now
}

// Hub is the city's end of the streams: it serves the edges connected to
// this city node, and sends them notifications. All methods are safe for
// concurrent use. None blocks on an edge, except Close, which waits for
// every connection to end.
type Hub struct {
	cfg      HubConfig
	log      *slog.Logger
	upgrader websocket.Upgrader

	mu      sync.Mutex
	closed  bool
	nodes   map[string]map[*edgeConn]struct{} // live connections by node
	serving sync.WaitGroup                    // Serve calls in progress, counted while !closed
}

// edgeConn is one edge's connection.
type edgeConn struct {
	*link
	node     string
	addr     string
	since    time.Time
	communes map[string]bool // guarded by Hub.mu
}

// NewHub returns a hub; see HubConfig for the defaults.
func NewHub(cfg HubConfig) *Hub {
	if cfg.PingEvery <= 0 {
		cfg.PingEvery = 20 * time.Second
	}
	if cfg.WriteTimeout <= 0 {
		cfg.WriteTimeout = 10 * time.Second
	}
	if cfg.QueueLen <= 0 {
		cfg.QueueLen = 16
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	h := &Hub{cfg: cfg, log: cfg.Log, nodes: map[string]map[*edgeConn]struct{}{}}
	if h.log == nil {
		h.log = slog.Default()
	}
	h.upgrader = websocket.Upgrader{
		HandshakeTimeout: cfg.WriteTimeout,
		// Edges send no Origin. A browser always does, and its page must
		// not reach the stream with the credentials of the machine it
		// runs on.
		CheckOrigin: func(r *http.Request) bool { return len(r.Header.Values("Origin")) == 0 },
		Error: func(w http.ResponseWriter, _ *http.Request, status int, reason error) {
			writeError(w, status, "%v", reason)
		},
	}
	return h
}

// Serve upgrades the request to a websocket and serves one edge until it
// leaves, is kicked, is dropped, or the hub closes. The caller has
// authenticated the request: node is the caller's node ID, and communes
// are the communes it is assigned, whose notifications it receives and
// whose telemetry it may report. A newer connection of the same node
// replaces an older one. Serve answers a plain HTTP error when the request
// is not a websocket handshake, comes from a browser (any Origin header)
// or the hub is closed.
func (h *Hub) Serve(w http.ResponseWriter, r *http.Request, node string, communes []string) {
	if node == "" {
		writeError(w, http.StatusInternalServerError, "stream: no node identity for the caller")
		return
	}
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		writeError(w, http.StatusServiceUnavailable, "city node shutting down: use another city node")
		return
	}
	h.serving.Add(1)
	h.mu.Unlock()
	defer h.serving.Done()

	ws, err := h.upgrader.Upgrade(w, r, nil)
	if err != nil {
		h.log.Warn("stream: handshake refused", "node", node, "remote", r.RemoteAddr, "err", err)
		return
	}
	p := h.cfg.PingEvery
	c := &edgeConn{
		link: newLink(ws, h.cfg.QueueLen, p, 3*p, h.cfg.WriteTimeout),
		node: node, addr: r.RemoteAddr, since: h.cfg.Now(), communes: communeSet(communes),
	}
	if !h.register(c) {
		ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseGoingAway, "city node shutting down"),
			time.Now().Add(min(h.cfg.WriteTimeout, maxCloseWait)))
		ws.Close()
		return
	}
	h.log.Info("stream: edge connected", "node", node, "remote", c.addr, "communes", communes)
	go c.writeLoop()
	if h.cfg.OnConnect != nil {
		h.cfg.OnConnect(node)
	}
	c.readLoop(func(b []byte) error { return h.receive(c, b) })
	<-c.writeDone
	h.unregister(c)
	h.log.Info("stream: edge disconnected", "node", node, "remote", c.addr,
		"lived", h.cfg.Now().Sub(c.since).Round(time.Millisecond), "reason", c.reason())
}

// register adds c, replacing the node's older connections; false when the
// hub is closed.
func (h *Hub) register(c *edgeConn) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return false
	}
	for old := range h.nodes[c.node] {
		h.log.Warn("stream: node connected again; closing its older connection (a dropped link, or two edges sharing one certificate)",
			"node", c.node, "remote", c.addr, "older", old.addr)
		old.stop(ending{code: CloseReplaced, text: "replaced by a newer connection of the same node"})
	}
	h.nodes[c.node] = map[*edgeConn]struct{}{c: {}}
	return true
}

func (h *Hub) unregister(c *edgeConn) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.removeLocked(c)
}

func (h *Hub) removeLocked(c *edgeConn) {
	set := h.nodes[c.node]
	delete(set, c)
	if len(set) == 0 {
		delete(h.nodes, c.node)
	}
}

// receive handles one frame from an edge: only telemetry is expected;
// other known or unknown types are ignored.
func (h *Hub) receive(c *edgeConn, b []byte) error {
	m, err := Decode(b)
	if err != nil {
		h.log.Warn("stream: edge sent a malformed message; closing its connection", "node", c.node, "remote", c.addr, "err", err)
		return err
	}
	if m.Type != TypeTelemetry {
		h.log.Debug("stream: ignored message", "node", c.node, "type", m.Type)
		return nil
	}
	if err := m.Validate(); err != nil {
		h.log.Warn("stream: edge sent invalid telemetry; ignored", "node", c.node, "err", err)
		return nil
	}
	t := m.Telemetry
	h.mu.Lock()
	var foreign []string
	for _, commune := range t.Communes {
		if !c.communes[commune] {
			foreign = append(foreign, commune)
		}
	}
	h.mu.Unlock()
	if len(foreign) > 0 {
		h.log.Warn("stream: edge reports communes it is not assigned; telemetry ignored", "node", c.node, "communes", foreign)
		return nil
	}
	t.Received = h.cfg.Now()
	if h.cfg.OnTelemetry != nil {
		h.cfg.OnTelemetry(c.node, t)
	}
	return nil
}

// encode is the frame of a message the city may send, stamped with the
// city's time unless it carries one.
func (h *Hub) encode(m Message) ([]byte, error) {
	if !m.fromCity() {
		return nil, fmt.Errorf("%w: %q is not a message the city sends", ErrInvalid, m.Type)
	}
	if m.Time.IsZero() {
		m.Time = h.cfg.Now().UTC()
	}
	return Encode(m)
}

// Notify queues m to every edge connection subscribed to commune and
// returns how many took it. It never blocks: a connection whose queue is
// full is dropped (its edge reconnects and pulls anyway). An invalid
// message reaches nobody and is logged.
func (h *Hub) Notify(commune string, m Message) int {
	b, err := h.encode(m)
	if err != nil {
		h.log.Error("stream: notification not sent", "commune", commune, "err", err)
		return 0
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	n := 0
	for _, set := range h.nodes {
		for c := range set {
			if c.communes[commune] && h.queueLocked(c, b) {
				n++
			}
		}
	}
	return n
}

// Send queues m to every connection of node (normally one), and reports
// whether any took it. Like Notify, it never blocks.
func (h *Hub) Send(node string, m Message) bool {
	b, err := h.encode(m)
	if err != nil {
		h.log.Error("stream: message not sent", "node", node, "err", err)
		return false
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	sent := false
	for c := range h.nodes[node] {
		sent = h.queueLocked(c, b) || sent
	}
	return sent
}

// queueLocked queues b to c, dropping c when it cannot take it.
func (h *Hub) queueLocked(c *edgeConn, b []byte) bool {
	if c.queue(b) {
		return true
	}
	if c.stop(ending{code: websocket.CloseTryAgainLater, text: "send queue full", hard: true}) {
		h.log.Warn("stream: edge too slow, send queue full; connection dropped", "node", c.node, "remote", c.addr, "queue", h.cfg.QueueLen)
	}
	h.removeLocked(c)
	return false
}

// Kick sends TypeRevoked with reason to every connection of node, then
// closes them at once (close code CloseRevoked), whatever is still queued.
// It returns how many connections it closed, and does not wait for them
// to go. The caller must also refuse the node's future connections.
func (h *Hub) Kick(node, reason string) int {
	reason = cleanReason(reason)
	farewell, err := h.encode(Message{Type: TypeRevoked, Reason: reason})
	if err != nil {
		// cleanReason makes any reason valid, so this is a bug; the close
		// code still tells the edge.
		h.log.Error("stream: revocation message not sent", "node", node, "err", err)
		farewell = nil
	}
	h.mu.Lock()
	set := h.nodes[node]
	delete(h.nodes, node)
	h.mu.Unlock()
	n := 0
	for c := range set {
		if c.stop(ending{code: CloseRevoked, text: "certificate revoked: " + reason, farewell: farewell}) {
			n++
		}
	}
	if n > 0 {
		h.log.Info("stream: node kicked", "node", node, "connections", n, "reason", reason)
	}
	return n
}

// cleanReason makes a revocation reason fit Message.Validate: control
// characters become spaces, invalid UTF-8 is replaced, and it is cut at
// MaxReason bytes on a character boundary.
func cleanReason(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, s)
	if len(s) > MaxReason {
		// Cutting may split a character; drop its remains.
		s = strings.ToValidUTF8(s[:MaxReason], "")
	}
	return s
}

// Reassign changes the communes of node's live connections: the
// notifications they receive and the telemetry they may report.
func (h *Hub) Reassign(node string, communes []string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for c := range h.nodes[node] {
		c.communes = communeSet(communes)
	}
}

// Connected returns the IDs of nodes with a live connection, sorted.
func (h *Hub) Connected() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	var ids []string
	for node, set := range h.nodes {
		for c := range set {
			if !c.isStopped() {
				ids = append(ids, node)
				break
			}
		}
	}
	slices.Sort(ids)
	return ids
}

// Close closes every connection (close code 1001, "going away") and waits
// until every Serve call has returned; later Serve calls answer 503. It is
// safe to call more than once, and always returns nil. Close the hub
// before shutting down the HTTP server: hijacked connections are the
// hub's, not the server's.
func (h *Hub) Close() error {
	h.mu.Lock()
	h.closed = true
	var all []*edgeConn
	for _, set := range h.nodes {
		all = slices.AppendSeq(all, maps.Keys(set))
	}
	h.nodes = map[string]map[*edgeConn]struct{}{}
	h.mu.Unlock()
	for _, c := range all {
		c.stop(ending{code: websocket.CloseGoingAway, text: "city node shutting down"})
	}
	h.serving.Wait()
	return nil
}

func communeSet(communes []string) map[string]bool {
	set := make(map[string]bool, len(communes))
	for _, c := range communes {
		set[c] = true
	}
	return set
}

// writeError answers a request that did not become a websocket, with the
// JSON error body of the city API.
func writeError(w http.ResponseWriter, code int, format string, a ...any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	json.NewEncoder(w).Encode(struct {
		Error string `json:"error"`
	}{fmt.Sprintf(format, a...)})
}
