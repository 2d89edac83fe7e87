package stream

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// TestFailover: the dialer skips a URL where nothing listens and a city
// node that refuses the handshake, and keeps the node that works.
func TestFailover(t *testing.T) {
	k := newKit(t)
	assigned := map[string][]string{"edge-1": {"00001"}}
	closed := k.startCity(t, HubConfig{}, assigned, nil)
	closed.hub.Close() // answers 503
	live := k.startCity(t, HubConfig{}, assigned, nil)
	var logs logBuffer
	e := k.startEdge(t, "edge-1", []string{deadURL(t), closed.url, live.url}, []string{"00001"},
		func(cfg *DialerConfig) { cfg.Log = logs.logger() })
	waitFor(t, "edge connected to the live node", func() bool { return slices.Contains(live.hub.Connected(), "edge-1") })
	// The hub counts the edge as soon as the upgrade is done; the dialer
	// once the handshake's answer is read on its side, a moment later.
	waitFor(t, "the dialer to say it is connected", e.d.Connected)
	if s := live.nextSample(t); s.node != "edge-1" || s.t.Time.IsZero() || s.t.Software != "xanode-test" {
		t.Fatalf("telemetry at connect: %s %+v", s.node, s.t)
	}
	for _, want := range []string{"connection refused", "503 Service Unavailable: city node shutting down"} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("log lacks %q:\n%s", want, logs.String())
		}
	}
}

// TestFailoverOnNodeLoss: when its city node goes, the edge moves to the
// next one.
func TestFailoverOnNodeLoss(t *testing.T) {
	k := newKit(t)
	assigned := map[string][]string{"edge-1": {"00001"}}
	a := k.startCity(t, HubConfig{}, assigned, nil)
	b := k.startCity(t, HubConfig{}, assigned, nil)
	k.startEdge(t, "edge-1", []string{a.url, b.url}, nil, nil)
	waitFor(t, "edge on node a", func() bool { return len(a.hub.Connected()) == 1 })
	a.stop()
	waitFor(t, "edge on node b", func() bool { return len(b.hub.Connected()) == 1 })
}

// TestReconnectAfterRestart: a city node that goes away and comes back on
// the same address gets the edge back.
func TestReconnectAfterRestart(t *testing.T) {
	k := newKit(t)
	assigned := map[string][]string{"edge-1": {"00001"}}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	first := k.startCity(t, HubConfig{}, assigned, ln)
	e := k.startEdge(t, "edge-1", []string{first.url}, []string{"00001"}, nil)
	first.nextSample(t)
	first.stop()
	waitFor(t, "edge disconnected", func() bool { return !e.d.Connected() })

	var ln2 net.Listener
	waitFor(t, "the address free again", func() bool {
		ln2, err = net.Listen("tcp", addr)
		return err == nil
	})
	second := k.startCity(t, HubConfig{}, assigned, ln2)
	if second.url != first.url {
		t.Fatalf("restarted on %s, not %s", second.url, first.url)
	}
	if s := second.nextSample(t); s.node != "edge-1" {
		t.Fatalf("telemetry from %q", s.node)
	}
	if !e.d.Connected() || !slices.Equal(second.hub.Connected(), []string{"edge-1"}) {
		t.Fatal("edge not connected to the restarted node")
	}
}

// TestDialerKick: Kick sends a sample without waiting for the timer, and
// samples reflect what the edge reports now.
func TestDialerKick(t *testing.T) {
	k := newKit(t)
	c := k.startCity(t, HubConfig{}, map[string][]string{"edge-1": {"00001", "00002"}}, nil)
	e := k.startEdge(t, "edge-1", []string{c.url}, []string{"00001"}, nil)
	if s := c.nextSample(t); !slices.Equal(s.t.Communes, []string{"00001"}) {
		t.Fatalf("first sample %+v", s.t)
	}
	e.communes.Store(&[]string{"00001", "00002"})
	e.d.Kick()
	if s := c.nextSample(t); !slices.Equal(s.t.Communes, []string{"00001", "00002"}) {
		t.Fatalf("kicked sample %+v", s.t)
	}
}

// TestDialerTelemetryEvery: samples follow the timer.
func TestDialerTelemetryEvery(t *testing.T) {
	k := newKit(t)
	c := k.startCity(t, HubConfig{}, map[string][]string{"edge-1": {"00001"}}, nil)
	k.startEdge(t, "edge-1", []string{c.url}, nil, func(cfg *DialerConfig) { cfg.TelemetryEvery = 20 * time.Millisecond })
	for range 4 {
		c.nextSample(t)
	}
}

// TestDialerInvalidTelemetry: a sample that would fail Validate is not
// sent (the edge logs its own bug); the connection stays.
func TestDialerInvalidTelemetry(t *testing.T) {
	k := newKit(t)
	c := k.startCity(t, HubConfig{}, map[string][]string{"edge-1": {"00001"}}, nil)
	var logs logBuffer
	e := k.startEdge(t, "edge-1", []string{c.url}, []string{"1"}, func(cfg *DialerConfig) { cfg.Log = logs.logger() })
	waitFor(t, "the refusal logged", func() bool { return strings.Contains(logs.String(), "telemetry not sent") })
	e.communes.Store(&[]string{"00001"})
	e.d.Kick()
	c.nextSample(t)
	if c.servedCount("edge-1") != 1 {
		t.Fatal("the edge reconnected")
	}
}

// fakeCity serves a scripted websocket peer over mutual TLS, for frames a
// Hub would never send.
func (k *kit) fakeCity(t *testing.T, script func(n int, ws *websocket.Conn)) (string, *atomic.Int32) {
	t.Helper()
	var n atomic.Int32
	up := websocket.Upgrader{}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ws, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer ws.Close()
		script(int(n.Add(1)), ws)
	}))
	srv.TLS = k.startCityTLS()
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return srv.URL, &n
}

// TestDialerCityFrames: the edge passes on valid messages of the city's
// types, ignores unknown and invalid ones, and closes with 1007 on a
// malformed frame, then reconnects.
func TestDialerCityFrames(t *testing.T) {
	k := newKit(t)
	closes := make(chan *websocket.CloseError, 4)
	url, conns := k.fakeCity(t, func(n int, ws *websocket.Conn) {
		if n > 1 {
			ws.ReadMessage() // hold the reconnection until the test ends
			return
		}
		for _, f := range []string{
			`{"type":"future","commune":"00001"}`,
			`{"type":"telemetry","telemetry":{"time":"2025-07-01T08:00:00Z"}}`,
			`{"type":"subset","commune":"1","version":1}`,
			`{"type":"subset","commune":"00001","version":5,"later":true}`,
			`{"type":"subset","version":"5"}`,
		} {
			ws.WriteMessage(websocket.TextMessage, []byte(f))
		}
		ws.SetReadDeadline(time.Now().Add(waitLimit))
		for {
			if _, _, err := ws.ReadMessage(); err != nil {
				var ce *websocket.CloseError
				if errors.As(err, &ce) {
					closes <- ce
				}
				return
			}
		}
	})
	e := k.startEdge(t, "edge-1", []string{url}, nil, func(cfg *DialerConfig) { cfg.Telemetry = nil })
	if m := e.next(t); m.Type != TypeSubset || m.Commune != "00001" || m.Version != 5 {
		t.Fatalf("got %+v, want only the valid subset", m)
	}
	select {
	case ce := <-closes:
		if ce.Code != websocket.CloseInvalidFramePayloadData || !strings.Contains(ce.Text, "malformed") {
			t.Fatalf("edge closed with %d %q", ce.Code, ce.Text)
		}
	case <-time.After(waitLimit):
		t.Fatal("edge did not close the connection")
	}
	waitFor(t, "reconnection", func() bool { return conns.Load() >= 2 })
	select {
	case m := <-e.msgs:
		t.Fatalf("unexpected message %+v", m)
	default:
	}
}

// TestDialerDeadLink: a city that goes silent (no pings) is presumed dead
// after 3× PingEvery, and the edge reconnects.
func TestDialerDeadLink(t *testing.T) {
	k := newKit(t)
	hold := make(chan struct{})
	t.Cleanup(func() { close(hold) })
	url, conns := k.fakeCity(t, func(n int, ws *websocket.Conn) {
		if n == 1 {
			<-hold // neither read nor ping: a link that died silently
			return
		}
		ws.ReadMessage()
	})
	k.startEdge(t, "edge-1", []string{url}, nil, nil)
	waitFor(t, "reconnection after the silent link", func() bool { return conns.Load() >= 2 })
}

// TestRun: Run refuses a second concurrent call, and on cancel closes
// with 1001 at once (the hub does not wait for its ping deadline) and
// returns nil.
func TestRun(t *testing.T) {
	k := newKit(t)
	var logs logBuffer
	c := k.startCity(t, HubConfig{PingEvery: time.Hour, Log: logs.logger()}, map[string][]string{"edge-1": {"00001"}}, nil)
	e := k.startEdge(t, "edge-1", []string{c.url}, nil, func(cfg *DialerConfig) { cfg.PingEvery = time.Hour })
	waitFor(t, "connected", func() bool { return e.d.Connected() })
	if err := e.d.Run(context.Background()); !errors.Is(err, ErrRunning) {
		t.Fatalf("second Run = %v, want ErrRunning", err)
	}
	e.stop(t)
	if e.d.Connected() {
		t.Fatal("Connected() after Run returned")
	}
	waitFor(t, "the hub to see the edge leave", func() bool { return len(c.hub.Connected()) == 0 })
	waitFor(t, "the close logged", func() bool { return strings.Contains(logs.String(), "peer closed: 1001 edge shutting down") })
}

// TestCloseNoLeak: Hub.Close is safe twice, ends every connection, and
// with the dialers stopped no goroutine of the package is left.
func TestCloseNoLeak(t *testing.T) {
	before := runtime.NumGoroutine()
	k := newKit(t)
	assigned := map[string][]string{"edge-1": {"00001"}, "edge-2": {"00001"}, "raw": {"00001"}}
	c := k.startCity(t, HubConfig{}, assigned, nil)
	e1 := k.startEdge(t, "edge-1", []string{c.url}, nil, nil)
	e2 := k.startEdge(t, "edge-2", []string{c.url}, nil, nil)
	raw := k.mustRawDial(t, c, "raw")
	waitFor(t, "three connected", func() bool { return len(c.hub.Connected()) == 3 })
	c.hub.Notify("00001", Message{Type: TypeSubset, Commune: "00001", Version: 1})

	closed := make(chan struct{})
	go func() {
		c.hub.Close()
		close(closed)
	}()
	select {
	case <-closed:
	case <-time.After(waitLimit):
		t.Fatal("Close did not return")
	}
	if err := c.hub.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if got := c.hub.Connected(); len(got) != 0 {
		t.Fatalf("Connected after Close = %v", got)
	}
	if ce := readClose(t, raw); ce.Code != websocket.CloseGoingAway {
		t.Fatalf("raw client saw close %d %q, want 1001", ce.Code, ce.Text)
	}
	raw.Close()
	e1.stop(t)
	e2.stop(t)
	c.srv.Close()
	deadline := time.Now().Add(waitLimit)
	for runtime.NumGoroutine() > before {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<20)
			t.Fatalf("%d goroutines before, %d after:\n%s", before, runtime.NumGoroutine(), buf[:runtime.Stack(buf, true)])
		}
		time.Sleep(5 * time.Millisecond)
	}
}
