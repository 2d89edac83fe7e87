package stream

import (
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// TestNotify: a notification reaches exactly the edges subscribed to its
// commune. Each case ends with a TypeRenew sent to every edge: frames keep
// their order on a connection, so an edge whose next message is the renew
// did not get the notification.
func TestNotify(t *testing.T) {
	k := newKit(t)
	assigned := map[string][]string{"edge-a": {"00001"}, "edge-ab": {"00001", "00002"}, "edge-c": {"00003"}}
	c := k.startCity(t, HubConfig{}, assigned, nil)
	edges := map[string]*edge{}
	for id, communes := range assigned {
		edges[id] = k.startEdge(t, id, []string{c.url}, communes, nil)
	}
	waitFor(t, "three edges connected", func() bool { return len(c.hub.Connected()) == 3 })
	if got := c.hub.Connected(); !slices.Equal(got, []string{"edge-a", "edge-ab", "edge-c"}) {
		t.Fatalf("Connected = %v", got)
	}
	tests := []struct {
		commune string
		want    []string
	}{
		{"00001", []string{"edge-a", "edge-ab"}},
		{"00002", []string{"edge-ab"}},
		{"00003", []string{"edge-c"}},
		{"00004", nil},
	}
	for i, tt := range tests {
		t.Run(tt.commune, func(t *testing.T) {
			m := Message{Type: TypeSubset, Commune: tt.commune, Version: uint64(i + 1)}
			if n := c.hub.Notify(tt.commune, m); n != len(tt.want) {
				t.Fatalf("Notify queued %d, want %d", n, len(tt.want))
			}
			for id := range edges {
				if !c.hub.Send(id, Message{Type: TypeRenew}) {
					t.Fatalf("Send to %s failed", id)
				}
			}
			for id, e := range edges {
				if slices.Contains(tt.want, id) {
					if got := e.next(t); got.Type != TypeSubset || got.Commune != tt.commune || got.Version != m.Version {
						t.Fatalf("%s got %+v, want %+v", id, got, m)
					}
				}
				if got := e.next(t); got.Type != TypeRenew {
					t.Fatalf("%s got %+v, want only the renew", id, got)
				}
			}
		})
	}
	t.Run("broadcast", func(t *testing.T) {
		if n := c.hub.Broadcast(Message{Type: TypeTrust, Version: 57}); n != len(edges) {
			t.Fatalf("Broadcast queued %d, want %d", n, len(edges))
		}
		for id, e := range edges {
			if got := e.next(t); got.Type != TypeTrust || got.Version != 57 {
				t.Fatalf("%s got %+v", id, got)
			}
		}
		if n := c.hub.Broadcast(Message{Type: TypeTrust}); n != 0 {
			t.Fatalf("an invalid broadcast queued %d", n)
		}
	})
	t.Run("refused", func(t *testing.T) {
		refused := map[string]Message{
			"invalid":            {Type: TypeSubset, Commune: "1", Version: 1},
			"the edge's to send": {Type: TypeTelemetry, Telemetry: validTelemetry("v")},
			"unknown type":       {Type: "future"},
			"too large":          {Type: TypeRenew, Reason: strings.Repeat("x", MaxFrame)},
		}
		for why, m := range refused {
			if n := c.hub.Notify("00001", m); n != 0 {
				t.Errorf("Notify of a message %s queued %d, want 0", why, n)
			}
			if c.hub.Send("edge-a", m) {
				t.Errorf("Send of a message %s succeeded", why)
			}
		}
		if c.hub.Send("nobody", Message{Type: TypeRenew}) {
			t.Error("Send to a node without connection succeeded")
		}
	})
}

// TestKick: Kick closes at once, the edge sees TypeRevoked and the close
// code, logs what to do, and stops reconnecting aggressively.
func TestKick(t *testing.T) {
	k := newKit(t)
	c := k.startCity(t, HubConfig{}, map[string][]string{"edge-1": {"00001"}, "edge-2": {"00001"}}, nil)
	var logs logBuffer
	const maxBackoff = 3 * time.Second
	e1 := k.startEdge(t, "edge-1", []string{c.url}, []string{"00001"}, func(cfg *DialerConfig) {
		cfg.Log = logs.logger()
		cfg.MaxBackoff = maxBackoff
	})
	k.startEdge(t, "edge-2", []string{c.url}, []string{"00001"}, nil)
	waitFor(t, "both edges connected", func() bool { return len(c.hub.Connected()) == 2 })
	// Fill edge-1's queue: Kick must not wait behind it.
	for range 4 {
		c.hub.Send("edge-1", Message{Type: TypeRenew})
	}

	if n := c.hub.Kick("edge-1", "box stolen\n"); n != 1 {
		t.Fatalf("Kick = %d, want 1", n)
	}
	if got := c.hub.Connected(); !slices.Equal(got, []string{"edge-2"}) {
		t.Fatalf("Connected right after Kick = %v, want [edge-2]", got)
	}
	for {
		m := e1.next(t)
		if m.Type == TypeRenew {
			continue // sent before the kick, may or may not arrive
		}
		if m.Type != TypeRevoked || m.Reason != "box stolen " {
			t.Fatalf("edge-1 got %+v, want revoked with the reason", m)
		}
		break
	}
	waitFor(t, "edge-1 disconnected", func() bool { return !e1.d.Connected() })
	waitFor(t, "the revocation logged", func() bool {
		return strings.Contains(logs.String(), "level=ERROR") && strings.Contains(logs.String(), "re-enroll with a new token") &&
			strings.Contains(logs.String(), "peer closed: 4001 certificate revoked: box stolen")
	})
	// A revoked edge waits at least MaxBackoff/2 before its next attempt;
	// with MinBackoff 5ms it would otherwise be back within milliseconds.
	time.Sleep(300 * time.Millisecond)
	if n := c.servedCount("edge-1"); n != 1 {
		t.Fatalf("edge-1 reconnected %d times within 300ms of its revocation", n-1)
	}
	if n := c.hub.Kick("edge-1", "again"); n != 0 {
		t.Fatalf("Kick of a gone node = %d, want 0", n)
	}
}

// TestReassign: new communes change both the notifications an edge
// receives and the telemetry it may report.
func TestReassign(t *testing.T) {
	k := newKit(t)
	c := k.startCity(t, HubConfig{}, map[string][]string{"edge-1": {"00001"}}, nil)
	ws := k.mustRawDial(t, c, "edge-1")
	waitFor(t, "edge-1 connected", func() bool { return len(c.hub.Connected()) == 1 })

	c.hub.Reassign("edge-1", []string{"00002"})
	if n := c.hub.Notify("00001", Message{Type: TypeSubset, Commune: "00001", Version: 1}); n != 0 {
		t.Fatalf("Notify to the old commune queued %d", n)
	}
	if n := c.hub.Notify("00002", Message{Type: TypeSubset, Commune: "00002", Version: 2}); n != 1 {
		t.Fatalf("Notify to the new commune queued %d", n)
	}
	ws.SetReadDeadline(time.Now().Add(waitLimit))
	_, b, err := ws.ReadMessage()
	if err != nil {
		t.Fatal(err)
	}
	if m, err := Decode(b); err != nil || m.Commune != "00002" {
		t.Fatalf("edge got %s (%v), want the 00002 notification", b, err)
	}

	old, cur := validTelemetry("old"), validTelemetry("new")
	old.Communes, cur.Communes = []string{"00001"}, []string{"00002"}
	for _, tm := range []*Telemetry{old, cur} {
		if err := ws.WriteMessage(websocket.TextMessage, mustEncode(t, Message{Type: TypeTelemetry, Telemetry: tm})); err != nil {
			t.Fatal(err)
		}
	}
	if s := c.nextSample(t); s.t.Software != "new" {
		t.Fatalf("first sample after Reassign is %q, want the one for 00002 (the 00001 one must be ignored)", s.t.Software)
	}
}

// TestTelemetry: valid telemetry reaches OnTelemetry, stamped with the
// city's clock; invalid or foreign telemetry and unexpected types are
// ignored without closing the connection. Each frame is followed by a
// valid sentinel sample, so a dropped frame shows as the sentinel coming
// first.
func TestTelemetry(t *testing.T) {
	k := newKit(t)
	received := time.Date(2025, 7, 1, 8, 0, 5, 0, time.UTC)
	c := k.startCity(t, HubConfig{Now: func() time.Time { return received }},
		map[string][]string{"edge-1": {"00001", "00002"}}, nil)
	ws := k.mustRawDial(t, c, "edge-1")
	tel := func(edit func(*Telemetry)) []byte {
		tm := validTelemetry("case")
		edit(tm)
		b, err := json.Marshal(Message{Type: TypeTelemetry, Telemetry: tm})
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	tests := []struct {
		name      string
		frame     []byte
		delivered bool
	}{
		{"valid", tel(func(*Telemetry) {}), true},
		{"both communes", tel(func(t *Telemetry) { t.Communes = []string{"00002", "00001"} }), true},
		{"no communes", tel(func(t *Telemetry) { t.Communes = nil }), true},
		{"foreign commune", tel(func(t *Telemetry) { t.Communes = []string{"00001", "00003"} }), false},
		{"bad commune", tel(func(t *Telemetry) { t.Communes = []string{"1"} }), false},
		{"negative outbox", tel(func(t *Telemetry) { t.Outbox = -3 }), false},
		{"zero time", tel(func(t *Telemetry) { t.Time = time.Time{} }), false},
		{"no telemetry", []byte(`{"type":"telemetry"}`), false},
		{"unknown type", []byte(`{"type":"future","telemetry":{}}`), false},
		{"city-only type", []byte(`{"type":"subset","commune":"00001","version":9}`), false},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sentinel := validTelemetry(fmt.Sprintf("sentinel-%d", i))
			for _, b := range [][]byte{tt.frame, mustEncode(t, Message{Type: TypeTelemetry, Telemetry: sentinel})} {
				if err := ws.WriteMessage(websocket.TextMessage, b); err != nil {
					t.Fatal(err)
				}
			}
			s := c.nextSample(t)
			if tt.delivered {
				if s.node != "edge-1" || s.t.Software != "case" || !s.t.Received.Equal(received) {
					t.Fatalf("got %s %+v, want the case's sample from edge-1 received at %v", s.node, s.t, received)
				}
				s = c.nextSample(t)
			}
			if s.t.Software != sentinel.Software {
				t.Fatalf("got sample %q, want %q", s.t.Software, sentinel.Software)
			}
		})
	}
}

// TestBadFrames: a frame that is not a message closes the connection
// with a close code and reason that say why.
func TestBadFrames(t *testing.T) {
	k := newKit(t)
	c := k.startCity(t, HubConfig{}, map[string][]string{"edge-1": {"00001"}}, nil)
	tests := []struct {
		name   string
		typ    int
		frame  []byte
		code   int
		reason string
	}{
		{"oversize", websocket.TextMessage, []byte(`{"type":"future","x":"` + strings.Repeat("x", MaxFrame) + `"}`), websocket.CloseMessageTooBig, ""},
		{"not json", websocket.TextMessage, []byte("hello"), websocket.CloseInvalidFramePayloadData, "malformed message"},
		{"no type", websocket.TextMessage, []byte(`{"telemetry":{}}`), websocket.CloseInvalidFramePayloadData, "no type"},
		{"wrong field type", websocket.TextMessage, []byte(`{"type":"telemetry","telemetry":{"outbox":"3"}}`), websocket.CloseInvalidFramePayloadData, "malformed message"},
		{"binary", websocket.BinaryMessage, []byte(`{"type":"telemetry"}`), websocket.CloseUnsupportedData, "binary frames"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ws := k.mustRawDial(t, c, "edge-1")
			if err := ws.WriteMessage(tt.typ, tt.frame); err != nil {
				t.Fatal(err)
			}
			ce := readClose(t, ws)
			if ce.Code != tt.code || !strings.Contains(ce.Text, tt.reason) {
				t.Fatalf("closed with %d %q, want %d containing %q", ce.Code, ce.Text, tt.code, tt.reason)
			}
			waitFor(t, "the hub to forget the connection", func() bool { return len(c.hub.Connected()) == 0 })
		})
	}
}

// TestHandshakeRefused: browsers (any Origin), plain requests and a closed
// hub get an HTTP error, never a websocket.
func TestHandshakeRefused(t *testing.T) {
	k := newKit(t)
	c := k.startCity(t, HubConfig{}, map[string][]string{"edge-1": {"00001"}}, nil)
	tests := []struct {
		name   string
		origin string
		status int
	}{
		{"foreign origin", "https://evil.example", http.StatusForbidden},
		{"same origin", c.url, http.StatusForbidden},
		{"null origin", "null", http.StatusForbidden},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ws, resp, err := k.rawDial(t, c, "edge-1", http.Header{"Origin": {tt.origin}})
			if err == nil {
				ws.Close()
				t.Fatal("handshake with an Origin header succeeded")
			}
			if resp == nil || resp.StatusCode != tt.status {
				t.Fatalf("response %v, err %v; want status %d", resp, err, tt.status)
			}
		})
	}
	t.Run("plain GET", func(t *testing.T) {
		cl := &http.Client{Transport: &http.Transport{TLSClientConfig: k.edgeTLS(t, "edge-1")}}
		defer cl.CloseIdleConnections()
		resp, err := cl.Get(c.url + DefaultPath)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest {
			t.Fatalf("status %d, want 400", resp.StatusCode)
		}
	})
	t.Run("closed hub", func(t *testing.T) {
		c.hub.Close()
		_, resp, err := k.rawDial(t, c, "edge-1", nil)
		if err == nil || resp == nil || resp.StatusCode != http.StatusServiceUnavailable {
			t.Fatalf("response %v, err %v; want 503", resp, err)
		}
	})
	if got := c.servedCount("edge-1"); got != int32(len(tests))+2 {
		t.Fatalf("Serve called %d times, want %d", got, len(tests)+2)
	}
}

// TestReplaced: a node's newer connection replaces its older one.
func TestReplaced(t *testing.T) {
	k := newKit(t)
	c := k.startCity(t, HubConfig{}, map[string][]string{"edge-1": {"00001"}}, nil)
	first := k.mustRawDial(t, c, "edge-1")
	waitFor(t, "first connection", func() bool { return len(c.hub.Connected()) == 1 })
	second := k.mustRawDial(t, c, "edge-1")
	if ce := readClose(t, first); ce.Code != CloseReplaced {
		t.Fatalf("older connection closed with %d %q, want %d", ce.Code, ce.Text, CloseReplaced)
	}
	if n := c.hub.Notify("00001", Message{Type: TypeSubset, Commune: "00001", Version: 3}); n != 1 {
		t.Fatalf("Notify reached %d connections, want only the newer one", n)
	}
	second.SetReadDeadline(time.Now().Add(waitLimit))
	if _, _, err := second.ReadMessage(); err != nil {
		t.Fatalf("newer connection: %v", err)
	}
}

// TestKeepalive: the hub drops an edge that answers no pings within 3×
// PingEvery, and keeps one that does.
func TestKeepalive(t *testing.T) {
	// Pings slower than the kit's: an answer may be late by a scheduling
	// pause of a busy machine (3× ping is 750 ms, not 120 ms), yet a mute
	// edge is still dropped within a second or two.
	const ping = 250 * time.Millisecond
	k := newKit(t)
	c := k.startCity(t, HubConfig{PingEvery: ping}, map[string][]string{"mute": {"00001"}, "alive": {"00001"}}, nil)
	// gorilla answers pings only while reading; this client never reads.
	k.mustRawDial(t, c, "mute")
	e := k.startEdge(t, "alive", []string{c.url}, nil, func(cfg *DialerConfig) { cfg.PingEvery = ping })
	waitFor(t, "both connected", func() bool { return len(c.hub.Connected()) == 2 })
	waitFor(t, "the mute edge dropped", func() bool { return !slices.Contains(c.hub.Connected(), "mute") })
	time.Sleep(5 * ping) // well past 3× PingEvery: only pongs keep it
	if !e.d.Connected() || c.servedCount("alive") != 1 {
		t.Fatalf("the answering edge lost its connection (connected %v, %d connections)", e.d.Connected(), c.servedCount("alive"))
	}
}

// TestFullQueue: an edge that stops reading is dropped once its queue is
// full, and Notify never blocks on it.
func TestFullQueue(t *testing.T) {
	k := newKit(t)
	// Small socket buffers so that the hub's writes stall after a few
	// frames; a long write timeout so that only the queue can drop it.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	c := k.startCity(t, HubConfig{QueueLen: 2, WriteTimeout: time.Minute},
		map[string][]string{"slow": {"00001"}}, smallBuffers{ln})
	tc := k.edgeTLS(t, "slow").Clone()
	tc.NextProtos = []string{"http/1.1"}
	d := websocket.Dialer{TLSClientConfig: tc, NetDial: func(network, addr string) (net.Conn, error) {
		conn, err := net.Dial(network, addr)
		if err == nil {
			conn.(*net.TCPConn).SetReadBuffer(1024)
		}
		return conn, err
	}}
	ws, _, err := d.Dial("wss"+strings.TrimPrefix(c.url, "https")+DefaultPath, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ws.Close()
	waitFor(t, "slow edge connected", func() bool { return len(c.hub.Connected()) == 1 })

	cfg := map[string]string{}
	for i := range MaxConfigKeys {
		cfg[fmt.Sprintf("key_%02d", i)] = strings.Repeat("v", MaxConfigValue)
	}
	m := Message{Type: TypeConfig, Config: cfg}
	done := make(chan int)
	var calls atomic.Int32
	go func() {
		for range 100000 {
			calls.Add(1)
			if c.hub.Notify("00001", m) == 0 {
				done <- int(calls.Load())
				return
			}
		}
		done <- -1
	}()
	select {
	case n := <-done:
		if n < 0 {
			t.Fatal("the slow edge was never dropped")
		}
		t.Logf("dropped after %d notifications", n)
	case <-time.After(waitLimit):
		t.Fatalf("Notify blocked (after %d calls)", calls.Load())
	}
	if got := c.hub.Connected(); len(got) != 0 {
		t.Fatalf("Connected = %v after the drop", got)
	}
	// The connection is closed without waiting for the write timeout.
	ws.SetReadDeadline(time.Now().Add(waitLimit))
	for {
		if _, _, err := ws.ReadMessage(); err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				t.Fatal("the dropped connection stayed open")
			}
			break
		}
	}
}

// smallBuffers shrinks the send buffer of every accepted connection.
type smallBuffers struct{ net.Listener }

func (l smallBuffers) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err == nil {
		c.(*net.TCPConn).SetWriteBuffer(1024)
	}
	return c, err
}

// TestOnConnect: OnConnect may Send, and its message is the first the
// edge receives.
func TestOnConnect(t *testing.T) {
	k := newKit(t)
	var hub atomic.Pointer[Hub]
	c := k.startCity(t, HubConfig{OnConnect: func(node string) {
		hub.Load().Send(node, Message{Type: TypeConfig, Config: map[string]string{"pull_every": "1m"}})
	}}, map[string][]string{"edge-1": {"00001"}}, nil)
	hub.Store(c.hub)
	e := k.startEdge(t, "edge-1", []string{c.url}, nil, nil)
	if m := e.next(t); m.Type != TypeConfig || m.Config["pull_every"] != "1m" {
		t.Fatalf("first message %+v, want the config", m)
	}
}

// TestMessagesCarryCityTime: what the city sends carries its clock, which
// the edge keeps as a floor under its own; a time out of bounds is
// refused like any bad field.
func TestMessagesCarryCityTime(t *testing.T) {
	k := newKit(t)
	cityNow := time.Date(2026, 3, 10, 2, 0, 0, 0, time.UTC)
	c := k.startCity(t, HubConfig{Now: func() time.Time { return cityNow }}, map[string][]string{"edge-a": {"00001"}}, nil)
	e := k.startEdge(t, "edge-a", []string{c.url}, []string{"00001"}, nil)
	waitFor(t, "the edge connected", func() bool { return len(c.hub.Connected()) == 1 })
	c.hub.Notify("00001", Message{Type: TypeSubset, Commune: "00001", Version: 7})
	if got := e.next(t); !got.Time.Equal(cityNow) {
		t.Errorf("notification time %v, want the city's %v", got.Time, cityNow)
	}
	if err := (&Message{Type: TypeRenew, Time: time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC)}).Validate(); !errors.Is(err, ErrInvalid) {
		t.Errorf("a message from 1970 passed: %v", err)
	}
}
