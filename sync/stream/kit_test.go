package stream

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"io"
	"log"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/xanode/xanode/certs"
)

// Test timings: short, so that keepalive and backoff show within a test;
// the write timeout is generous because -race on a shared machine is slow.
const (
	testPing    = 40 * time.Millisecond
	testWrite   = 2 * time.Second
	testMinBack = 5 * time.Millisecond
	testMaxBack = 60 * time.Millisecond
	waitLimit   = 10 * time.Second
)

// kit is a test PKI: city nodes and edges with real mutual-TLS
// certificates.
type kit struct {
	pki      *certs.PKI
	cityCert tls.Certificate
	mu       sync.Mutex
	edges    map[string]*tls.Config
}

func newKit(t testing.TB) *kit {
	t.Helper()
	p, err := certs.Init(t.TempDir(), certs.InitOptions{CityNodes: []string{"city-1"}})
	if err != nil {
		t.Fatal(err)
	}
	cert, err := p.Node("city-1")
	if err != nil {
		t.Fatal(err)
	}
	return &kit{pki: p, cityCert: cert, edges: map[string]*tls.Config{}}
}

// edgeTLS is the client configuration of edge node id.
func (k *kit) edgeTLS(t testing.TB, id string) *tls.Config {
	t.Helper()
	k.mu.Lock()
	defer k.mu.Unlock()
	if c, ok := k.edges[id]; ok {
		return c
	}
	cred, err := k.pki.IssueNodeKey(id, certs.RoleEdge, nil, time.Hour, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	c := certs.ClientTLS(cred.TLS, k.pki.RootPool())
	k.edges[id] = c
	return c
}

// startCityTLS is a city node's server configuration: mutual TLS, as the
// city API serves it.
func (k *kit) startCityTLS() *tls.Config {
	return certs.APIServerTLS(k.cityCert, k.pki.NodePool(), nil)
}

// city is one city node: a hub behind an HTTPS server that authenticates
// edges by certificate, as the city API does.
type city struct {
	hub       *Hub
	srv       *httptest.Server
	url       string
	telemetry chan nodeSample
	served    sync.Map // node ID → *atomic.Int32, connections handed to Serve
}

type nodeSample struct {
	node string
	t    *Telemetry
}

// startCity serves a hub on ln (nil: a fresh loopback port). assigned maps
// node IDs to their communes. cfg's zero timings get test values;
// OnTelemetry, when nil, feeds city.telemetry.
func (k *kit) startCity(t testing.TB, cfg HubConfig, assigned map[string][]string, ln net.Listener) *city {
	t.Helper()
	c := &city{telemetry: make(chan nodeSample, 256)}
	if cfg.PingEvery == 0 {
		cfg.PingEvery = testPing
	}
	if cfg.WriteTimeout == 0 {
		cfg.WriteTimeout = testWrite
	}
	if cfg.Log == nil {
		cfg.Log = discard
	}
	if cfg.OnTelemetry == nil {
		cfg.OnTelemetry = func(node string, tm *Telemetry) {
			select {
			case c.telemetry <- nodeSample{node, tm}:
			default:
				t.Errorf("telemetry channel full")
			}
		}
	}
	c.hub = NewHub(cfg)
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+DefaultPath, func(w http.ResponseWriter, r *http.Request) {
		id, role, err := certs.PeerIdentity(*r.TLS)
		if err != nil || role != certs.RoleEdge {
			http.Error(w, "edges only", http.StatusForbidden)
			return
		}
		n, _ := c.served.LoadOrStore(id, new(atomic.Int32))
		n.(*atomic.Int32).Add(1)
		c.hub.Serve(w, r, id, assigned[id])
	})
	c.srv = httptest.NewUnstartedServer(mux)
	if ln != nil {
		c.srv.Listener.Close()
		c.srv.Listener = ln
	}
	c.srv.TLS = k.startCityTLS()
	c.srv.Config.ErrorLog = log.New(io.Discard, "", 0) // refused handshakes are expected
	c.srv.StartTLS()
	c.url = c.srv.URL
	t.Cleanup(c.stop)
	return c
}

// stop closes the hub, then the server; safe twice.
func (c *city) stop() {
	c.hub.Close()
	c.srv.Close()
}

// servedCount is how many connections of node reached Serve.
func (c *city) servedCount(node string) int32 {
	n, ok := c.served.Load(node)
	if !ok {
		return 0
	}
	return n.(*atomic.Int32).Load()
}

// nextSample waits for the next telemetry sample.
func (c *city) nextSample(t testing.TB) nodeSample {
	t.Helper()
	select {
	case s := <-c.telemetry:
		return s
	case <-time.After(waitLimit):
		t.Fatal("no telemetry arrived")
		return nodeSample{}
	}
}

// edge is a running Dialer and what it received.
type edge struct {
	d        *Dialer
	msgs     chan Message
	communes atomic.Pointer[[]string]
	cancel   context.CancelFunc
	done     chan error
}

// startEdge runs a Dialer for node id against urls until the test ends.
// Its telemetry names the communes in e.communes (initially communes).
func (k *kit) startEdge(t testing.TB, id string, urls []string, communes []string, tweak func(*DialerConfig)) *edge {
	t.Helper()
	e := &edge{msgs: make(chan Message, 256), done: make(chan error, 1)}
	e.communes.Store(&communes)
	cfg := DialerConfig{
		URLs: urls, TLS: k.edgeTLS(t, id),
		Telemetry: func() Telemetry {
			return Telemetry{Software: "xanode-test", Communes: *e.communes.Load(), Outbox: 1}
		},
		TelemetryEvery: time.Hour,
		OnMessage: func(m Message) {
			select {
			case e.msgs <- m:
			default:
				t.Errorf("%s: message channel full", id)
			}
		},
		PingEvery: testPing, WriteTimeout: testWrite,
		MinBackoff: testMinBack, MaxBackoff: testMaxBack,
		Log: discard,
	}
	if tweak != nil {
		tweak(&cfg)
	}
	d, err := NewDialer(cfg)
	if err != nil {
		t.Fatal(err)
	}
	e.d = d
	ctx, cancel := context.WithCancel(context.Background())
	e.cancel = cancel
	go func() { e.done <- d.Run(ctx) }()
	t.Cleanup(func() { e.stop(t) })
	return e
}

// stop ends Run and checks that it returns nil; safe twice.
func (e *edge) stop(t testing.TB) {
	t.Helper()
	e.cancel()
	select {
	case err, ok := <-e.done:
		if ok {
			if err != nil {
				t.Errorf("Run: %v", err)
			}
			close(e.done)
		}
	case <-time.After(waitLimit):
		t.Error("Run did not return after its context ended")
	}
}

// next waits for the next message the edge received.
func (e *edge) next(t testing.TB) Message {
	t.Helper()
	select {
	case m := <-e.msgs:
		return m
	case <-time.After(waitLimit):
		t.Fatal("no message arrived")
		return Message{}
	}
}

// waitFor polls cond until it holds.
func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(waitLimit)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// rawDial opens a websocket to c as node id with a bare gorilla client,
// for frames a Dialer would never send.
func (k *kit) rawDial(t testing.TB, c *city, id string, hdr http.Header) (*websocket.Conn, *http.Response, error) {
	t.Helper()
	tc := k.edgeTLS(t, id).Clone()
	tc.NextProtos = []string{"http/1.1"}
	d := websocket.Dialer{TLSClientConfig: tc, HandshakeTimeout: waitLimit}
	ws, resp, err := d.Dial("wss"+strings.TrimPrefix(c.url, "https")+DefaultPath, hdr)
	if ws != nil {
		t.Cleanup(func() { ws.Close() })
	}
	return ws, resp, err
}

func (k *kit) mustRawDial(t testing.TB, c *city, id string) *websocket.Conn {
	t.Helper()
	ws, _, err := k.rawDial(t, c, id, nil)
	if err != nil {
		t.Fatalf("dial as %s: %v", id, err)
	}
	return ws
}

// readClose reads until the connection fails and returns the close frame
// the peer sent, or fails the test when it sent none.
func readClose(t testing.TB, ws *websocket.Conn) *websocket.CloseError {
	t.Helper()
	ws.SetReadDeadline(time.Now().Add(waitLimit))
	for {
		_, _, err := ws.ReadMessage()
		if err == nil {
			continue
		}
		var ce *websocket.CloseError
		if !errors.As(err, &ce) {
			t.Fatalf("connection ended without a close frame: %v", err)
		}
		return ce
	}
}

// deadURL is an https URL on which nothing listens.
func deadURL(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return "https://" + addr
}

var discard = slog.New(slog.NewTextHandler(io.Discard, nil))

// logBuffer collects log output for assertions.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func (l *logBuffer) logger() *slog.Logger {
	return slog.New(slog.NewTextHandler(l, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// validTelemetry is a sample the hub accepts for commune 00001.
func validTelemetry(software string) *Telemetry {
	return &Telemetry{
		Time: time.Date(2025, 7, 1, 8, 0, 0, 0, time.UTC), Software: software,
		Communes: []string{"00001"}, SubsetVersion: 7, Outbox: 2,
		OldestUnsynced: time.Date(2025, 7, 1, 7, 0, 0, 0, time.UTC), DiskFree: 1 << 30,
	}
}

func mustEncode(t testing.TB, m Message) []byte {
	t.Helper()
	b, err := Encode(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
