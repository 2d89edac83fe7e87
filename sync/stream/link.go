package stream

import (
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/gorilla/websocket"
)

// maxCloseWait bounds how long a closing side waits for the peer to answer
// its close frame before it closes the TCP connection anyway.
const maxCloseWait = time.Second

// ending is why a link ends and how.
type ending struct {
	code     int    // websocket close code sent to the peer
	text     string // close reason sent to the peer, and logged
	farewell []byte // a message frame written before the close frame (Kick's TypeRevoked)
	// hard: the peer cannot or will not take more (a write failed, its
	// queue is full, it vanished): close the connection without a closing
	// handshake.
	hard bool
}

// link is one websocket connection, either side. gorilla/websocket allows
// one concurrent reader and one concurrent writer: readLoop is the only
// reader and writeLoop the only writer of messages; the ping handler's
// pongs and the close frames use WriteControl, which may run concurrently
// with both.
//
// Its owner starts writeLoop and readLoop, then waits for readDone and
// writeDone. Either loop, or anyone else, ends the link with stop; the
// first reason wins.
type link struct {
	ws           *websocket.Conn
	send         chan []byte   // frames for writeLoop
	pingEvery    time.Duration // 0: never ping (the edge: the city pings)
	deadAfter    time.Duration // no frame for this long: the peer is gone
	writeTimeout time.Duration

	once      sync.Once
	stopped   chan struct{} // closed by stop
	end       ending        // set before stopped closes
	readDone  chan struct{}
	writeDone chan struct{}
}

func newLink(ws *websocket.Conn, queue int, pingEvery, deadAfter, writeTimeout time.Duration) *link {
	ws.SetReadLimit(MaxFrame)
	return &link{
		ws: ws, send: make(chan []byte, queue),
		pingEvery: pingEvery, deadAfter: deadAfter, writeTimeout: writeTimeout,
		stopped: make(chan struct{}), readDone: make(chan struct{}), writeDone: make(chan struct{}),
	}
}

// stop ends the link with e unless it already ends, and reports whether e
// is the reason. It never blocks: the loops do the closing.
func (l *link) stop(e ending) bool {
	first := false
	l.once.Do(func() {
		e.text = truncateReason(e.text)
		l.end = e
		close(l.stopped)
		first = true
	})
	if first && e.hard {
		// Break a write blocked on a full pipe now, not at its deadline.
		// net.Conn deadlines may be set from any goroutine.
		l.ws.NetConn().SetWriteDeadline(time.Now())
	}
	return first
}

func (l *link) isStopped() bool {
	select {
	case <-l.stopped:
		return true
	default:
		return false
	}
}

// reason is why the link ended; valid once stopped is closed.
func (l *link) reason() string {
	<-l.stopped
	return l.end.text
}

// queue hands a frame to writeLoop without blocking; false when the queue
// is full or the link ends.
func (l *link) queue(b []byte) bool {
	if l.isStopped() {
		return false
	}
	select {
	case l.send <- b:
		return true
	default:
		return false
	}
}

// writeLoop writes queued frames and pings until the link stops, then
// closes the connection, after a closing handshake unless the end is hard.
func (l *link) writeLoop() {
	defer close(l.writeDone)
	var ping <-chan time.Time
	if l.pingEvery > 0 {
		t := time.NewTicker(l.pingEvery)
		defer t.Stop()
		ping = t.C
	}
	for {
		// A stop wins over queued frames: a dropped or kicked peer gets
		// nothing more than its farewell.
		if l.isStopped() {
			l.finish()
			return
		}
		select {
		case <-l.stopped:
			l.finish()
			return
		case b := <-l.send:
			l.ws.SetWriteDeadline(time.Now().Add(l.writeTimeout))
			if err := l.ws.WriteMessage(websocket.TextMessage, b); err != nil {
				l.stop(ending{code: websocket.CloseAbnormalClosure, text: fmt.Sprintf("write failed: %v", err), hard: true})
			}
		case <-ping:
			if err := l.ws.WriteControl(websocket.PingMessage, nil, time.Now().Add(l.writeTimeout)); err != nil {
				l.stop(ending{code: websocket.CloseAbnormalClosure, text: fmt.Sprintf("ping failed: %v", err), hard: true})
			}
		}
	}
}

// finish closes the connection once the link stopped.
func (l *link) finish() {
	defer l.ws.Close()
	e := l.end
	if e.hard {
		return
	}
	wait := min(l.writeTimeout, maxCloseWait)
	if e.farewell != nil {
		l.ws.SetWriteDeadline(time.Now().Add(l.writeTimeout))
		if l.ws.WriteMessage(websocket.TextMessage, e.farewell) != nil {
			return
		}
	}
	err := l.ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(e.code, e.text), time.Now().Add(wait))
	if err != nil && !errors.Is(err, websocket.ErrCloseSent) {
		return
	}
	// Let the peer answer, so that it reads the close frame before the
	// TCP connection goes; a peer that does not answer gets wait.
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case <-l.readDone:
	case <-t.C:
	}
}

// readLoop reads frames until the link stops, extending the read deadline
// on every frame (pings and pongs included), and hands each text frame to
// handle. An error from handle ends the link with close code 1007. Once
// the link stops it keeps reading, discarding, until the peer's close
// frame arrives or writeLoop closes the connection: closing a socket with
// unread data sends a reset, which could destroy our close frame before
// the peer reads it.
func (l *link) readLoop(handle func([]byte) error) {
	defer close(l.readDone)
	alive := func() { l.ws.SetReadDeadline(time.Now().Add(l.deadAfter)) }
	alive()
	l.ws.SetPongHandler(func(string) error { alive(); return nil })
	l.ws.SetPingHandler(func(data string) error {
		alive()
		err := l.ws.WriteControl(websocket.PongMessage, []byte(data), time.Now().Add(l.writeTimeout))
		var ne net.Error
		if errors.Is(err, websocket.ErrCloseSent) || errors.As(err, &ne) && ne.Timeout() {
			return nil
		}
		return err
	})
	for {
		typ, b, err := l.ws.ReadMessage()
		if err != nil {
			l.stop(readEnding(err, l.deadAfter))
			var ce *websocket.CloseError
			if errors.As(err, &ce) {
				// The peer sent its close frame, so it sends nothing more,
				// and gorilla has answered it: the handshake is complete.
				return
			}
			break
		}
		alive()
		switch {
		case l.isStopped():
			// Closing: discard until the peer's close frame.
		case typ != websocket.TextMessage:
			l.stop(ending{code: websocket.CloseUnsupportedData, text: "binary frames are not part of the protocol"})
		default:
			if err := handle(b); err != nil {
				l.stop(ending{code: websocket.CloseInvalidFramePayloadData, text: err.Error()})
			}
		}
	}
	// The read failed without a close frame: the connection is gone, or
	// gorilla answered an oversize frame with close 1009 and refuses
	// further reads. Drain the raw connection until the peer goes.
	nc := l.ws.NetConn()
	nc.SetReadDeadline(time.Now().Add(min(l.writeTimeout, maxCloseWait)))
	io.Copy(io.Discard, nc)
}

// readEnding classifies a read error.
func readEnding(err error, deadAfter time.Duration) ending {
	var ce *websocket.CloseError
	var ne net.Error
	switch {
	case errors.As(err, &ce):
		// gorilla has answered the close frame already.
		return ending{code: ce.Code, text: fmt.Sprintf("peer closed: %d %s", ce.Code, ce.Text)}
	case errors.Is(err, websocket.ErrReadLimit):
		// gorilla has sent close 1009 already.
		return ending{code: websocket.CloseMessageTooBig, text: fmt.Sprintf("frame larger than %d bytes", MaxFrame)}
	case errors.As(err, &ne) && ne.Timeout():
		return ending{code: websocket.CloseAbnormalClosure, text: fmt.Sprintf("no frame for %v: link presumed dead", deadAfter), hard: true}
	default:
		return ending{code: websocket.CloseAbnormalClosure, text: fmt.Sprintf("connection lost: %v", err), hard: true}
	}
}

// truncateReason fits a close reason into a control frame (125 bytes, 2
// of them the code) without cutting a UTF-8 sequence.
func truncateReason(s string) string {
	const max = 123
	if len(s) <= max {
		return s
	}
	s = s[:max]
	for len(s) > 0 && !utf8.ValidString(s) {
		s = s[:len(s)-1]
	}
	return s
}
