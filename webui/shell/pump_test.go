package shell

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// pumpServer serves one websocket through Run with the given pump and
// channel, and returns the client end and a channel closed when Run has
// returned.
func pumpServer(t *testing.T, p Pump, in chan int, message func(int) (any, error)) (*websocket.Conn, <-chan struct{}) {
	t.Helper()
	done := make(chan struct{})
	up := websocket.Upgrader{CheckOrigin: func(*http.Request) bool { return true }}
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		conn, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer close(done)
		Run(conn, p, in, message)
	}))
	t.Cleanup(ts.Close)
	c, _, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(ts.URL, "http"), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c, done
}

func closeCode(t *testing.T, c *websocket.Conn) int {
	t.Helper()
	for {
		if _, _, err := c.ReadMessage(); err != nil {
			var ce *websocket.CloseError
			if errors.As(err, &ce) {
				return ce.Code
			}
			t.Fatalf("read: %v, want a close frame", err)
		}
	}
}

func TestPumpWritesAndQuits(t *testing.T) {
	in, quit := make(chan int), make(chan struct{})
	c, done := pumpServer(t, Pump{PingEvery: time.Hour, WriteWait: 10 * time.Second, Quit: quit}, in,
		func(v int) (any, error) { return map[string]int{"n": v}, nil })
	for i := 1; i <= 3; i++ {
		in <- i
		var got map[string]int
		if err := c.ReadJSON(&got); err != nil || got["n"] != i {
			t.Fatalf("message %d: %v, %v", i, got, err)
		}
	}
	// A closed channel ends the values, not the socket.
	close(in)
	close(quit)
	if code := closeCode(t, c); code != websocket.CloseGoingAway {
		t.Errorf("server closing: code %d, want going away", code)
	}
	<-done
}

func TestPumpEndsWithTheSession(t *testing.T) {
	var alive atomic.Bool
	alive.Store(true)
	in := make(chan int, 1)
	c, done := pumpServer(t, Pump{PingEvery: time.Hour, WriteWait: 10 * time.Second, Quit: make(chan struct{}),
		Alive: alive.Load}, in, func(v int) (any, error) { return v, nil })
	in <- 1
	var n int
	if err := c.ReadJSON(&n); err != nil || n != 1 {
		t.Fatalf("first message: %d, %v", n, err)
	}
	alive.Store(false)
	in <- 2 // never written: the session ended first
	if code := closeCode(t, c); code != websocket.ClosePolicyViolation {
		t.Errorf("code %d, want policy violation", code)
	}
	<-done
}

func TestPumpPingsAndMessageErrors(t *testing.T) {
	in := make(chan int)
	c, done := pumpServer(t, Pump{PingEvery: 20 * time.Millisecond, WriteWait: 10 * time.Second, Quit: make(chan struct{})}, in,
		func(v int) (any, error) {
			if v < 0 {
				return nil, errors.New("cannot render")
			}
			return v, nil
		})
	pinged := make(chan struct{}, 1)
	c.SetPingHandler(func(data string) error {
		select {
		case pinged <- struct{}{}:
		default:
		}
		return c.WriteControl(websocket.PongMessage, []byte(data), time.Now().Add(time.Second))
	})
	reads := make(chan int, 1)
	go func() { reads <- closeCode(t, c) }()
	<-pinged // the client reads, so it answers pings: the socket stays up
	in <- -1
	if code := <-reads; code != websocket.CloseInternalServerErr {
		t.Errorf("code %d, want internal error", code)
	}
	<-done
}

func TestPumpClientLeaves(t *testing.T) {
	in := make(chan int)
	c, done := pumpServer(t, Pump{PingEvery: time.Hour, WriteWait: 10 * time.Second, Quit: make(chan struct{})}, in,
		func(v int) (any, error) { return v, nil })
	c.Close()
	<-done // Run returns without any value or tick
}
