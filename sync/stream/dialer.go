package stream

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
)

// DefaultPath is where a city node serves the stream.
const DefaultPath = "/v1/stream"

// DialerConfig configures a Dialer. Durations left zero take the defaults
// named on them.
type DialerConfig struct {
	// URLs are the city nodes' API base URLs (https://host:port), tried in
	// turn. Required.
	URLs []string
	// TLS carries the edge's certificate and the city root. nil only for
	// dev runs over http:// URLs.
	TLS *tls.Config
	// Path of the stream on a city node. Default DefaultPath.
	Path string
	// Telemetry samples the edge's health; it is sent at connect, every
	// TelemetryEvery and on Kick. A zero Time is set to Now. nil: the edge
	// sends no telemetry.
	Telemetry func() Telemetry
	// TelemetryEvery is the telemetry interval. Default 30s.
	TelemetryEvery time.Duration
	// OnMessage receives every valid message of a type the city sends,
	// TypeRevoked included, on the goroutine reading the connection: it
	// should hand the message over and return, or the city's pings go
	// unanswered. nil: messages are dropped.
	OnMessage func(Message)
	// OnState is told when the stream connects (true) and when it ends
	// (false), on the Dialer's goroutine: it must return promptly. nil:
	// nobody is told (Connected still says).
	OnState func(connected bool)
	// PingEvery is the city's ping interval (HubConfig.PingEvery): after
	// 3× PingEvery without a frame the edge presumes the link dead and
	// reconnects. Default 20s.
	PingEvery time.Duration
	// WriteTimeout bounds every write to the city. Default 10s.
	WriteTimeout time.Duration
	// DialTimeout bounds a connection attempt: TCP, TLS and the websocket
	// handshake. Default 15s.
	DialTimeout time.Duration
	// MinBackoff and MaxBackoff bound the wait between connection rounds
	// (see Dialer.Run). Defaults 1s and 30s.
	MinBackoff, MaxBackoff time.Duration
	Log                    *slog.Logger     // nil: slog.Default()
	Now                    func() time.Time // connection ages and telemetry times; nil: time.Now
}

// Validate checks the URLs (absolute, https:// when TLS is set, http:// or
// https:// otherwise) and that no duration is negative and MinBackoff is
// not above MaxBackoff once defaults apply.
func (c DialerConfig) Validate() error {
	if len(c.URLs) == 0 {
		return errors.New("stream: no city URL")
	}
	for _, u := range c.URLs {
		p, err := url.Parse(u)
		if err != nil || p.Host == "" {
			return fmt.Errorf("stream: city URL %q is not an absolute URL", u)
		}
		if c.TLS != nil && p.Scheme != "https" || p.Scheme != "https" && p.Scheme != "http" {
			return fmt.Errorf("stream: city URL %q must be https:// (http:// only without TLS, for dev runs)", u)
		}
	}
	if c.Path != "" && !strings.HasPrefix(c.Path, "/") {
		return fmt.Errorf("stream: path %q must start with /", c.Path)
	}
	for _, d := range []struct {
		name string
		v    time.Duration
	}{{"TelemetryEvery", c.TelemetryEvery}, {"PingEvery", c.PingEvery}, {"WriteTimeout", c.WriteTimeout},
		{"DialTimeout", c.DialTimeout}, {"MinBackoff", c.MinBackoff}, {"MaxBackoff", c.MaxBackoff}} {
		if d.v < 0 {
			return fmt.Errorf("stream: %s %v is negative", d.name, d.v)
		}
	}
	c = c.withDefaults()
	if c.MinBackoff > c.MaxBackoff {
		return fmt.Errorf("stream: MinBackoff %v is above MaxBackoff %v", c.MinBackoff, c.MaxBackoff)
	}
	return nil
}

func (c DialerConfig) withDefaults() DialerConfig {
	def := func(v *time.Duration, d time.Duration) {
		if *v == 0 {
			*v = d
		}
	}
	def(&c.TelemetryEvery, 30*time.Second)
	def(&c.PingEvery, 20*time.Second)
	def(&c.WriteTimeout, 10*time.Second)
	def(&c.DialTimeout, 15*time.Second)
	def(&c.MinBackoff, time.Second)
	def(&c.MaxBackoff, 30*time.Second)
	if c.Path == "" {
		c.Path = DefaultPath
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Log == nil {
		c.Log = slog.Default()
	}
	return c
}

// Dialer is the edge's end of the stream: it keeps one connection open to
// some city node. Connected and Kick are safe for concurrent use.
type Dialer struct {
	cfg       DialerConfig
	log       *slog.Logger
	ws        websocket.Dialer
	urls      []string // websocket URLs, in the order of cfg.URLs
	running   atomic.Bool
	connected atomic.Bool
	kick      chan struct{}
}

// NewDialer checks cfg (see Validate) and returns a dialer; Run starts it.
func NewDialer(cfg DialerConfig) (*Dialer, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	d := &Dialer{cfg: cfg, log: cfg.Log, kick: make(chan struct{}, 1)}
	for _, u := range cfg.URLs {
		p, _ := url.Parse(u) // Validate parsed it
		p.Scheme = map[string]string{"https": "wss", "http": "ws"}[p.Scheme]
		p.Path = strings.TrimRight(p.Path, "/") + cfg.Path
		d.urls = append(d.urls, p.String())
	}
	var tc *tls.Config
	if cfg.TLS != nil {
		tc = cfg.TLS.Clone()
		// The handshake is HTTP/1.1; a config shared with an HTTP/2 client
		// would offer h2 and the server could pick it.
		tc.NextProtos = []string{"http/1.1"}
		if tc.ClientSessionCache == nil {
			// Most connections on a poor link are reconnections; resumed
			// sessions save a round trip.
			tc.ClientSessionCache = tls.NewLRUClientSessionCache(len(cfg.URLs))
		}
	}
	nd := &net.Dialer{KeepAlive: 30 * time.Second}
	d.ws = websocket.Dialer{
		NetDialContext:   nd.DialContext,
		TLSClientConfig:  tc,
		HandshakeTimeout: cfg.DialTimeout,
	}
	return d, nil
}

// Connected reports whether a connection to a city node is open now.
func (d *Dialer) Connected() bool { return d.connected.Load() }

// Kick asks for a telemetry sample to be sent now (e.g. after a sync)
// rather than at the next tick. It never blocks; kicks while one is
// pending, or while disconnected, merge into it.
func (d *Dialer) Kick() {
	select {
	case d.kick <- struct{}{}:
	default:
	}
}

// Run keeps a connection open until ctx ends, then closes it (close code
// 1001) and returns nil once every goroutine it started is gone; it
// returns ErrRunning at once if it already runs.
//
// It tries the URLs in turn, starting with the one that worked last. When
// a round fails, or after a connection ends, it waits a random time
// between zero and MinBackoff·2^n, capped at MaxBackoff ("full jitter"; n
// counts the rounds since the last connection that lived at least
// MaxBackoff), then starts a new round. After the city revoked the edge's
// certificate it waits between MaxBackoff/2 and MaxBackoff every round,
// and logs at error level what to do, until a connection lives long again.
func (d *Dialer) Run(ctx context.Context) error {
	if !d.running.CompareAndSwap(false, true) {
		return ErrRunning
	}
	defer d.running.Store(false)
	next, attempt, revoked := 0, 0, false
	for {
		for i := range d.urls {
			if ctx.Err() != nil {
				return nil
			}
			k := (next + i) % len(d.urls)
			ws, err := d.dial(ctx, k)
			if err != nil {
				if ctx.Err() != nil {
					return nil
				}
				if revoked {
					d.log.Error("stream: city refused this edge, whose certificate it revoked: re-enroll with a new token (xanode edge enroll)", "city", d.cfg.URLs[k], "err", err)
				} else {
					d.log.Warn("stream: cannot reach city node", "city", d.cfg.URLs[k], "err", err)
				}
				continue
			}
			next = k
			lived, kicked := d.session(ctx, ws, d.cfg.URLs[k])
			switch {
			case kicked:
				revoked = true
			case lived >= d.cfg.MaxBackoff:
				attempt, revoked = 0, false
			}
			break
		}
		if ctx.Err() != nil {
			return nil
		}
		t := time.NewTimer(backoff(attempt, d.cfg.MinBackoff, d.cfg.MaxBackoff, revoked, rand.Int64N))
		select {
		case <-ctx.Done():
			t.Stop()
			return nil
		case <-t.C:
		}
		attempt++
	}
}

// backoff is the wait before connection round attempt (0-based); rnd(n)
// is uniform in [0, n) for n > 0.
func backoff(attempt int, lo, hi time.Duration, revoked bool, rnd func(int64) int64) time.Duration {
	if revoked {
		return hi/2 + jitter(hi-hi/2, rnd)
	}
	ceiling := lo
	for range attempt {
		if ceiling >= hi/2 {
			ceiling = hi
			break
		}
		ceiling *= 2
	}
	return jitter(min(ceiling, hi), rnd)
}

// jitter is uniform in [0, d).
func jitter(d time.Duration, rnd func(int64) int64) time.Duration {
	if d <= 0 {
		return 0
	}
	return time.Duration(rnd(int64(d)))
}

// dial opens a connection to URL k. A refused handshake's error carries
// the status and the city's error text.
func (d *Dialer) dial(ctx context.Context, k int) (*websocket.Conn, error) {
	ws, resp, err := d.ws.DialContext(ctx, d.urls[k], nil)
	if err == nil {
		return ws, nil
	}
	if resp == nil {
		return nil, err
	}
	defer resp.Body.Close()
	var body struct{ Error string }
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 1024))
	if json.Unmarshal(b, &body) != nil || body.Error == "" {
		body.Error = strings.TrimSpace(string(b))
	}
	if resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden {
		return nil, fmt.Errorf("%s: %s (the city does not accept this edge's certificate: if it was revoked, re-enroll with a new token): %w", resp.Status, body.Error, err)
	}
	return nil, fmt.Errorf("%s: %s: %w", resp.Status, body.Error, err)
}

// session serves one connection until it ends or ctx ends, and returns
// how long it lived and whether the city revoked the edge.
func (d *Dialer) session(ctx context.Context, ws *websocket.Conn, city string) (lived time.Duration, revoked bool) {
	start := d.cfg.Now()
	l := newLink(ws, 2, 0, 3*d.cfg.PingEvery, d.cfg.WriteTimeout)
	var kicked atomic.Bool
	go l.writeLoop()
	go l.readLoop(func(b []byte) error { return d.receive(b, &kicked) })
	d.connected.Store(true)
	d.log.Info("stream: connected to city node", "city", city)
	if d.cfg.OnState != nil {
		d.cfg.OnState(true)
	}

	var tick <-chan time.Time
	if d.cfg.Telemetry != nil {
		t := time.NewTicker(d.cfg.TelemetryEvery)
		defer t.Stop()
		tick = t.C
		select { // the sample sent now covers a pending kick
		case <-d.kick:
		default:
		}
		d.sendTelemetry(l)
	}
loop:
	for {
		select {
		case <-ctx.Done():
			l.stop(ending{code: websocket.CloseGoingAway, text: "edge shutting down"})
			break loop
		case <-l.stopped:
			break loop
		case <-tick:
			d.sendTelemetry(l)
		case <-d.kick:
			if tick != nil {
				d.sendTelemetry(l)
			}
		}
	}
	d.connected.Store(false)
	if d.cfg.OnState != nil {
		d.cfg.OnState(false)
	}
	<-l.readDone
	<-l.writeDone
	lived = d.cfg.Now().Sub(start)
	revoked = kicked.Load() || l.end.code == CloseRevoked
	d.log.Info("stream: disconnected from city node", "city", city, "lived", lived.Round(time.Millisecond), "reason", l.end.text)
	return lived, revoked
}

// sendTelemetry queues a sample; a sample the queue cannot take is
// skipped, the next one is fresher anyway.
func (d *Dialer) sendTelemetry(l *link) {
	t := d.cfg.Telemetry()
	if t.Time.IsZero() {
		t.Time = d.cfg.Now()
	}
	b, err := Encode(Message{Type: TypeTelemetry, Telemetry: &t})
	if err != nil {
		d.log.Error("stream: telemetry not sent", "err", err)
		return
	}
	if !l.queue(b) {
		d.log.Debug("stream: telemetry skipped, link busy")
	}
}

// receive handles one frame from the city.
func (d *Dialer) receive(b []byte, kicked *atomic.Bool) error {
	m, err := Decode(b)
	if err != nil {
		d.log.Warn("stream: city sent a malformed message; reconnecting", "err", err)
		return err
	}
	if !m.fromCity() {
		d.log.Debug("stream: ignored message", "type", m.Type)
		return nil
	}
	if err := m.Validate(); err != nil {
		d.log.Warn("stream: city sent an invalid message; ignored", "err", err)
		return nil
	}
	if m.Type == TypeRevoked {
		kicked.Store(true)
		d.log.Error("stream: certificate revoked by city IT: re-enroll with a new token (xanode edge enroll)", "reason", m.Reason)
	}
	if d.cfg.OnMessage != nil {
		d.cfg.OnMessage(*m)
	}
	return nil
}
