package shell

import (
	"time"

	"github.com/gorilla/websocket"
)

// Pump runs a live page's websocket: it writes a JSON message for each
// value that arrives and a ping every PingEvery, until the client leaves,
// the session ends or the server closes. Its reader goroutine only
// notices the client going away (and answers pongs, each extending the
// read deadline by two ping intervals); Run waits for it before it
// returns, and closes the connection.
type Pump struct {
	PingEvery time.Duration   // > 0
	WriteWait time.Duration   // > 0: how long one write may take
	Quit      <-chan struct{} // closed when the server closes: "going away"
	// Alive says whether the page's session still holds; it is asked
	// before every write, and a false ends the socket with "policy
	// violation" (the page then shows it is no longer live).
	Alive func() bool
}

// Run pumps in through message to conn. A closed in ends the stream of
// values, not the socket: pings go on. message returns what to write for
// a value; an error ends the socket with "internal error".
func Run[T any](conn *websocket.Conn, p Pump, in <-chan T, message func(T) (any, error)) {
	readDone := make(chan struct{})
	go func() {
		defer close(readDone)
		conn.SetReadLimit(512)
		conn.SetReadDeadline(time.Now().Add(2 * p.PingEvery))
		conn.SetPongHandler(func(string) error {
			return conn.SetReadDeadline(time.Now().Add(2 * p.PingEvery))
		})
		for {
			if _, _, err := conn.NextReader(); err != nil {
				return
			}
		}
	}()
	defer func() {
		conn.Close()
		<-readDone
	}()
	ping := time.NewTicker(p.PingEvery)
	defer ping.Stop()
	bye := func(code int) {
		msg := websocket.FormatCloseMessage(code, "")
		conn.WriteControl(websocket.CloseMessage, msg, time.Now().Add(p.WriteWait))
	}
	for {
		var err error
		select {
		case <-p.Quit:
			bye(websocket.CloseGoingAway)
			return
		case <-readDone:
			return
		case v, ok := <-in:
			if !ok {
				in = nil // the publisher ended: keep the page, stop listening
				continue
			}
			if p.Alive != nil && !p.Alive() {
				bye(websocket.ClosePolicyViolation)
				return
			}
			msg, merr := message(v)
			if merr != nil {
				bye(websocket.CloseInternalServerErr)
				return
			}
			conn.SetWriteDeadline(time.Now().Add(p.WriteWait))
			err = conn.WriteJSON(msg)
		case <-ping.C:
			if p.Alive != nil && !p.Alive() {
				bye(websocket.ClosePolicyViolation)
				return
			}
			err = conn.WriteControl(websocket.PingMessage, nil, time.Now().Add(p.WriteWait))
		}
		if err != nil {
			return
		}
	}
}
