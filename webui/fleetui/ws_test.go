package fleetui

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// dial opens the live socket as the dashboard's script does, with the
// client's cookies and the given Origin ("" sends none).
func (c *client) dial(path, origin string) (*websocket.Conn, *http.Response, error) {
	u, _ := url.Parse(c.e.ts.URL)
	h := http.Header{}
	if origin != "" {
		h.Set("Origin", origin)
	}
	for _, ck := range c.HTTP.Jar.Cookies(u) {
		h.Add("Cookie", ck.String())
	}
	return websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(c.e.ts.URL, "http")+path, h)
}

func (c *client) mustDial(path string) *websocket.Conn {
	c.e.t.Helper()
	conn, resp, err := c.dial(path, c.e.ts.URL)
	if err != nil {
		c.e.t.Fatalf("dial %s: %v (response %v)", path, err, resp)
	}
	c.e.t.Cleanup(func() { conn.Close() })
	return conn
}

// waitFor reads messages until one satisfies ok, failing after 5 s.
func waitFor(t *testing.T, conn *websocket.Conn, what string, ok func(liveMessage) bool) liveMessage {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		conn.SetReadDeadline(deadline)
		var m liveMessage
		if err := conn.ReadJSON(&m); err != nil {
			t.Fatalf("waiting for %s: %v", what, err)
		}
		if ok(m) {
			return m
		}
	}
}

func TestWebsocketPushes(t *testing.T) {
	m := &memFleet{}
	m.set(sampleNodes())
	e := newEnv(t, Config{Fleet: m.fake(), RefreshEvery: 20 * time.Millisecond})
	c := e.client()
	c.login()
	conn := c.mustDial("/ws")
	first := waitFor(t, conn, "the table", func(m liveMessage) bool { return m.HTML != "" })
	if !strings.Contains(first.HTML, `<a href="/node/edge-b">edge-b</a>`) || first.Updated != "Cập nhật lúc 09:00:00" {
		t.Errorf("first message: updated %q, html:\n%s", first.Updated, first.HTML)
	}
	// Nothing changed: the next messages carry only the time.
	if m := waitFor(t, conn, "a tick", func(liveMessage) bool { return true }); m.HTML != "" || m.Updated == "" {
		t.Errorf("an unchanged table was sent again: %+v", m)
	}
	m.update("edge-b", func(n *Node) { n.Outbox, n.OldestUnsynced = 77, testNow.Add(-3*time.Hour) })
	got := waitFor(t, conn, "the new outbox", func(m liveMessage) bool { return strings.Contains(m.HTML, `<td class="num">77<small>`) })
	// edge-b now has an old outbox: it moves up among the problems.
	if rows := rowOrder(got.HTML); len(rows) != 9 || rows[4] != "edge-b" {
		t.Errorf("rows after the change: %v", rows)
	}
}

// TestWebsocketAfterAction: an action pushes the new table at once, without
// waiting for the next tick.
func TestWebsocketAfterAction(t *testing.T) {
	m := &memFleet{}
	m.set(sampleNodes())
	e := newEnv(t, Config{Fleet: m.fake(), RefreshEvery: time.Hour})
	c := e.client()
	token := c.login()
	conn := c.mustDial("/ws")
	waitFor(t, conn, "the table", func(m liveMessage) bool { return m.HTML != "" })
	c.Post("/node/edge-a/revoke", url.Values{"csrf": {token}, "reason": {"mất trộm"}, "confirm": {"yes"}}).
		WantStatus(t, http.StatusSeeOther)
	waitFor(t, conn, "edge-a revoked", func(m liveMessage) bool {
		return strings.Contains(m.HTML, `<tr class="revoked"><td><span class="p bad">Đã thu hồi</span></td><th scope="row"><a href="/node/edge-a">`)
	})
}

// TestWebsocketView: the socket renders the page's own filter, sort and
// language.
func TestWebsocketView(t *testing.T) {
	e := newEnv(t, Config{RefreshEvery: 20 * time.Millisecond})
	c := e.client()
	c.login()
	c.Get("/?lang=en")
	conn := c.mustDial("/ws?state=problems&sort=node&dir=desc")
	got := waitFor(t, conn, "the table", func(m liveMessage) bool { return m.HTML != "" })
	want := []string{"edge-suspended", "edge-revoked", "edge-outbox", "edge-lag", "edge-flagged", "edge-disk", "edge-cert"}
	if rows := rowOrder(got.HTML); fmt.Sprint(rows) != fmt.Sprint(want) {
		t.Errorf("rows %v, want %v", rows, want)
	}
	if !strings.Contains(got.HTML, "showing 7 of 9 nodes") || !strings.HasPrefix(got.Updated, "Updated at ") {
		t.Errorf("not in English: %q\n%s", got.Updated, got.HTML)
	}
}

// TestWebsocketCityError: when the city stops answering, the dashboard says
// so and keeps the last table, marked with its time.
func TestWebsocketCityError(t *testing.T) {
	var fail atomic.Bool
	f := &fakeFleet{nodes: func(context.Context) ([]Node, error) {
		if fail.Load() {
			return nil, fmt.Errorf("nodes: %w", ErrUnreachable)
		}
		return sampleNodes(), nil
	}}
	e := newEnv(t, Config{Fleet: f, RefreshEvery: 20 * time.Millisecond})
	c := e.client()
	c.login()
	conn := c.mustDial("/ws")
	waitFor(t, conn, "the table", func(m liveMessage) bool { return m.HTML != "" })
	fail.Store(true)
	got := waitFor(t, conn, "the error", func(m liveMessage) bool { return m.HTML != "" })
	for _, s := range []string{"Không kết nối được tới thành phố tại " + testCity, "Bảng dưới đây là số liệu lúc 10/03/2026 09:00.", "edge-lag"} {
		if !strings.Contains(got.HTML, s) {
			t.Errorf("the fragment lacks %q", s)
		}
	}
}

func TestWebsocketRefused(t *testing.T) {
	e := newEnv(t, Config{})
	anon := e.client()
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
		{"not http", logged, "file://" + strings.TrimPrefix(e.ts.URL, "http://"), http.StatusForbidden},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			conn, resp, err := tt.c.dial("/ws", tt.origin)
			if err == nil {
				conn.Close()
				t.Fatal("handshake accepted")
			}
			if resp == nil || resp.StatusCode != tt.want {
				t.Fatalf("response %v, want status %d", resp, tt.want)
			}
		})
	}
	if n := e.srv.live.count(); n != 0 {
		t.Errorf("%d refused clients subscribed", n)
	}
}

func TestWebsocketEnds(t *testing.T) {
	e := newEnv(t, Config{RefreshEvery: 20 * time.Millisecond, SessionMax: time.Hour})
	c := e.client()
	c.login()
	conn := c.mustDial("/ws")
	waitFor(t, conn, "the table", func(m liveMessage) bool { return m.HTML != "" })

	// A session past its end closes the stream with 1008.
	e.clock.Advance(2 * time.Hour)
	conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	var err error
	for err == nil {
		_, _, err = conn.ReadMessage()
	}
	if !websocket.IsCloseError(err, websocket.ClosePolicyViolation) {
		t.Fatalf("after the session's end: %v, want close 1008", err)
	}

	// Close ends the remaining streams and waits for them.
	c.login()
	conn2 := c.mustDial("/ws")
	waitFor(t, conn2, "the table", func(m liveMessage) bool { return m.HTML != "" })
	done := make(chan struct{})
	go func() {
		e.srv.Close()
		e.srv.Close() // twice is fine
		close(done)
	}()
	conn2.SetReadDeadline(time.Now().Add(5 * time.Second))
	for err = nil; err == nil; {
		_, _, err = conn2.ReadMessage()
	}
	if !websocket.IsCloseError(err, websocket.CloseGoingAway) {
		t.Fatalf("after Close: %v, want close 1001", err)
	}
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Close did not return")
	}
	if n := e.srv.live.count(); n != 0 {
		t.Errorf("%d closed streams still subscribed", n)
	}
	if _, resp, err := c.dial("/ws", e.ts.URL); err == nil || resp.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("dial after Close: %v %v, want 503", err, resp)
	}
}

// TestRefresherIdle: with no dashboard open, the city is not polled.
func TestRefresherIdle(t *testing.T) {
	var calls atomic.Int32
	f := &fakeFleet{nodes: func(context.Context) ([]Node, error) { calls.Add(1); return nil, nil }}
	e := newEnv(t, Config{Fleet: f, RefreshEvery: 10 * time.Millisecond})
	time.Sleep(100 * time.Millisecond)
	if n := calls.Load(); n != 0 {
		t.Errorf("the refresher called Nodes %d times with nobody watching", n)
	}
	e.srv.Close()
}
