package webui

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// dial opens the live socket as a browser would, with the client's cookies
// and the given Origin ("" sends none).
func (c *client) dial(origin string) (*websocket.Conn, *http.Response, error) {
	u, _ := url.Parse(c.e.ts.URL)
	h := http.Header{}
	if origin != "" {
		h.Set("Origin", origin)
	}
	for _, ck := range c.HTTP.Jar.Cookies(u) {
		h.Add("Cookie", ck.String())
	}
	return websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(c.e.ts.URL, "http")+"/ws", h)
}

// waitSubscribers waits until the hub has n subscribers: the server
// subscribes after the handshake, so a publish right after Dial could
// otherwise go to nobody.
func waitSubscribers(t *testing.T, h *hub, n int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for h.count() != n {
		if time.Now().After(deadline) {
			t.Fatalf("hub has %d subscribers, want %d", h.count(), n)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestWebsocketDelivers(t *testing.T) {
	h := newHub()
	e := newEnv(t, Config{Events: h.events()})
	c := e.client()
	c.login()
	conn, resp, err := c.dial(e.ts.URL)
	if err != nil {
		t.Fatalf("dial: %v (response %v)", err, resp)
	}
	defer conn.Close()
	waitSubscribers(t, h, 1)
	h.publish(Event{Kind: EventOutcome, Change: "edge-1/1"})
	conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	var ev Event
	if err := conn.ReadJSON(&ev); err != nil {
		t.Fatalf("read: %v", err)
	}
	if ev != (Event{Kind: EventOutcome, Change: "edge-1/1"}) {
		t.Errorf("got %+v", ev)
	}
	conn.Close()
	waitSubscribers(t, h, 0) // leaving unsubscribes
}

func TestWebsocketRefused(t *testing.T) {
	h := newHub()
	e := newEnv(t, Config{Events: h.events()})
	anon := e.client()
	anon.Get("/login")
	logged := e.client()
	logged.login()
	tests := []struct {
		name   string
		c      *client
		origin string
		want   int
	}{
		{"no session", anon, e.ts.URL, http.StatusUnauthorized},
		{"foreign origin", logged, "http://evil.example", http.StatusForbidden},
		{"look-alike origin", logged, e.ts.URL + ".evil.example", http.StatusForbidden},
		{"no origin", logged, "", http.StatusForbidden},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			conn, resp, err := tt.c.dial(tt.origin)
			if err == nil {
				conn.Close()
				t.Fatal("handshake accepted")
			}
			if resp == nil || resp.StatusCode != tt.want {
				t.Fatalf("response %v, want status %d", resp, tt.want)
			}
		})
	}
	if h.count() != 0 {
		t.Error("a refused client subscribed to events")
	}
}

func TestWebsocketEnds(t *testing.T) {
	h := newHub()
	e := newEnv(t, Config{Events: h.events()})
	c := e.client()
	token := c.login()
	conn, _, err := c.dial(e.ts.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	waitSubscribers(t, h, 1)

	// Logging out ends the stream at the next event, with 1008.
	c.Post("/logout", url.Values{"csrf": {token}}).WantStatus(t, http.StatusSeeOther)
	h.publish(Event{Kind: EventOutbox})
	conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	_, _, err = conn.ReadMessage()
	if !websocket.IsCloseError(err, websocket.ClosePolicyViolation) {
		t.Fatalf("after logout: %v, want close 1008", err)
	}

	// Close ends the remaining streams and waits for them.
	c.login()
	conn2, _, err := c.dial(e.ts.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn2.Close()
	waitSubscribers(t, h, 1)
	done := make(chan struct{})
	go func() {
		e.srv.Close()
		e.srv.Close() // twice is fine
		close(done)
	}()
	conn2.SetReadDeadline(time.Now().Add(5 * time.Second))
	_, _, err = conn2.ReadMessage()
	if !websocket.IsCloseError(err, websocket.CloseGoingAway) {
		t.Fatalf("after Close: %v, want close 1001", err)
	}
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Close did not return")
	}
	if h.count() != 0 {
		t.Error("a closed stream is still subscribed")
	}
	if _, resp, err := c.dial(e.ts.URL); err == nil || resp.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("dial after Close: %v %v, want 503", err, resp)
	}
}

func TestWebsocketPings(t *testing.T) {
	e := newEnv(t, Config{PingEvery: 20 * time.Millisecond}) // no Events: pings only
	c := e.client()
	c.login()
	conn, _, err := c.dial(e.ts.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	pinged := make(chan struct{}, 1)
	conn.SetPingHandler(func(string) error {
		select {
		case pinged <- struct{}{}:
		default:
		}
		return nil
	})
	go conn.ReadMessage()
	select {
	case <-pinged:
	case <-time.After(5 * time.Second):
		t.Fatal("no ping")
	}
}
