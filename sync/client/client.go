// Package client is the one client of the city API, built on its contract
// (sync/api). Client is the edge's side of the sync protocol: it pushes
// outbox batches to the city and fetches the commune's signed subset, over
// HTTPS with the edge's certificate, trying each configured city node in
// turn. Admin is city IT's side, with the admin certificate (admin.go);
// Enroll and EnrollRoot serve a box that has no certificate yet, and
// Client.Join a city node joining the cluster.
package client

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/klauspost/compress/zstd"

	"github.com/xanode/xanode/node/registry"
	"github.com/xanode/xanode/sync/api"
	"github.com/xanode/xanode/sync/wire"
)

// Errors of the client.
var (
	// ErrRefused means the city answered and refused the request: retrying
	// the same request will not help (bad request, forbidden).
	ErrRefused = errors.New("client: city refused the request")
	// ErrUnavailable means no city node could take the request now.
	ErrUnavailable = errors.New("client: no city node available")
)

// StatusError is a city node's answer other than 200 OK, wrapped in the
// client's errors (errors.As finds it): Code tells a refusal's kind, such
// as 403 for a role the route does not admit, 404 for a citizen the city
// does not know, 409 for a command the state machine refused, 503 for a
// node without a leader.
type StatusError struct {
	Code    int
	Message string // method, URL, status and the city's reason
	Reason  string // the city's reason alone (api.Error), or the body's text
	Leader  string // the raft leader's ID a 503 named, if any
	// RetryAfter is when the city said to come back (Retry-After in
	// seconds, as a 429 or 503 gives it); zero when it did not.
	RetryAfter time.Duration
}

func (e *StatusError) Error() string { return e.Message }

// statusError reads a refusal: the city's api.Error body when it is one.
// A 4xx other than 408 and 429 is wrapped in ErrRefused (asking again, or
// elsewhere, would get the same answer).
func statusError(method, url string, resp *http.Response, body []byte) error {
	var e api.Error
	if json.Unmarshal(body, &e) != nil || e.Error == "" {
		e.Error = strings.TrimSpace(string(body))
	}
	se := &StatusError{Code: resp.StatusCode, Reason: e.Error, Leader: e.Leader,
		Message: fmt.Sprintf("client: %s %s: %s: %s", method, url, resp.Status, e.Error)}
	if secs, err := strconv.Atoi(resp.Header.Get("Retry-After")); err == nil && secs > 0 {
		se.RetryAfter = time.Duration(secs) * time.Second
	}
	if refusal(resp.StatusCode) {
		return fmt.Errorf("%w: %w", ErrRefused, se)
	}
	return se
}

// refusal reports whether an answer's status is a refusal, not a failure
// of the node that gave it.
func refusal(code int) bool {
	return code >= 400 && code < 500 && code != http.StatusTooManyRequests && code != http.StatusRequestTimeout
}

// Client talks to the city cluster.
type Client struct {
	urls    []string
	tls     *tls.Config
	hc      atomic.Pointer[http.Client] // replaced by Reconnect
	next    atomic.Uint32               // index of the node to try first
	leader  atomic.Int32                // index of the leader a follower named in its last answer (wire.HeaderLeader) + 1; 0: none
	timeout time.Duration

	sent, received atomic.Uint64 // request and answer body bytes, as on the wire (compressed)

	onRefused atomic.Pointer[func(revoked bool, reason string)] // see OnRefused
	cityTime  func(time.Time)                                   // see OnCityTime
}

// OnCityTime has f told the city node's clock, from the Date header of
// every answer that came over mutual TLS (an answer over plain HTTP, in a
// development run, proves nothing). The edge keeps the latest as a floor
// under its own clock. Call it before the first request; f must not block.
func (c *Client) OnCityTime(f func(time.Time)) { c.cityTime = f }

// sawDate passes on the Date of an answer (see OnCityTime).
func (c *Client) sawDate(resp *http.Response) {
	if c.cityTime == nil || resp.TLS == nil {
		return
	}
	if t, err := http.ParseTime(resp.Header.Get("Date")); err == nil {
		c.cityTime(t)
	}
}

// Bytes returns the body bytes sent to and received from the city so far
// (headers and TLS framing not counted).
func (c *Client) Bytes() (sent, received uint64) { return c.sent.Load(), c.received.Load() }

// New returns a client for the given city node base URLs. tlsConfig
// carries the edge's certificate and the city root; nil is only for dev
// runs over plain HTTP.
func New(urls []string, tlsConfig *tls.Config) (*Client, error) {
	if len(urls) == 0 {
		return nil, errors.New("client: no city URL")
	}
	for i, u := range urls {
		urls[i] = strings.TrimRight(u, "/")
		if tlsConfig != nil && !strings.HasPrefix(urls[i], "https://") {
			return nil, fmt.Errorf("client: city URL %q must be https://", u)
		}
	}
	c := &Client{urls: urls, tls: tlsConfig, timeout: 30 * time.Second}
	c.hc.Store(c.newHTTP())
	return c, nil
}

func (c *Client) newHTTP() *http.Client {
	cfg := c.tls
	if cfg != nil {
		// Resumed sessions skip a round trip and the certificate checks:
		// on a link that drops often, most connections are reconnections.
		cfg = cfg.Clone()
		cfg.ClientSessionCache = tls.NewLRUClientSessionCache(8)
	}
	return &http.Client{Transport: &http.Transport{
		TLSClientConfig:     cfg,
		MaxIdleConnsPerHost: 2,
		IdleConnTimeout:     90 * time.Second,
		TLSHandshakeTimeout: 10 * time.Second,
		ForceAttemptHTTP2:   true,
	}}
}

func (c *Client) http() *http.Client { return c.hc.Load() }

// Reconnect drops every connection and resumable session, so that the
// next request makes a full handshake: after a certificate renewal, a
// resumed session would still present the old certificate.
func (c *Client) Reconnect() {
	old := c.hc.Swap(c.newHTTP())
	old.CloseIdleConnections()
}

// revokedText is how the city names a revocation in a refusal.
const revokedText = "fleet: node revoked"

// OnRefused sets fn to hear when the city refused this edge: revoked when
// an answer named a revocation, false when the TLS handshake was refused
// (which says no more; the edge asks its state, see Unlocker.Probe). fn
// runs on the requesting goroutine and must return at once.
func (c *Client) OnRefused(fn func(revoked bool, reason string)) { c.onRefused.Store(&fn) }

func (c *Client) refused(revoked bool, reason string) {
	if fn := c.onRefused.Load(); fn != nil {
		(*fn)(revoked, reason)
	}
}

// Close releases idle connections.
func (c *Client) Close() { c.http().CloseIdleConnections() }

// compressFrom is the body size from which a push is compressed: below
// it, zstd's frame costs more than it saves.
const compressFrom = 512

// encoder is shared: EncodeAll is safe for concurrent use, and building an
// encoder per push would cost more than the push.
var encoder, _ = zstd.NewWriter(nil, zstd.WithEncoderLevel(zstd.SpeedDefault), zstd.WithEncoderConcurrency(1))

// Push sends changes and returns their outcomes, in the same order.
func (c *Client) Push(ctx context.Context, changes []*registry.Change) ([]*registry.Outcome, error) {
	body := wire.EncodeChanges(changes)
	compressed := len(body) >= compressFrom
	if compressed {
		body = encoder.EncodeAll(body, make([]byte, 0, len(body)/3))
	}
	resp, err := c.do(ctx, api.PostPush.Method, api.PostPush.Path, body, func(h http.Header) {
		h.Set("Content-Type", api.PostPush.Request)
		if compressed {
			h.Set("Content-Encoding", "zstd")
		}
	})
	if err != nil {
		return nil, err
	}
	outs, err := wire.DecodeOutcomes(resp)
	if err != nil {
		return nil, fmt.Errorf("client: push answer: %w", err)
	}
	if len(outs) != len(changes) {
		return nil, fmt.Errorf("client: %d outcomes for %d changes", len(outs), len(changes))
	}
	for i, o := range outs {
		if o.Change != changes[i].ID() {
			return nil, fmt.Errorf("client: outcome %d is for %s, not %s", i, o.Change, changes[i].ID())
		}
	}
	return outs, nil
}

// do sends one request, trying each city node once, starting with the one
// that answered last. A node that is down, not the leader, or overloaded
// makes it try the next; a refusal ends the attempt, and so does a 429
// with Retry-After (the edge's allowance is the city's). A node that failed is
// not the first to try next time, even when the caller's time ran out on
// it: a frozen node that eats every attempt's time would otherwise hold
// the edge on it for good.
func (c *Client) do(ctx context.Context, method, path string, body []byte, hdr func(http.Header)) ([]byte, error) {
	var last error
	start := int(c.next.Load())
	for i := range c.urls {
		k := (start + i) % len(c.urls)
		b, err := c.once(ctx, method, c.urls[k]+path, body, hdr)
		if err == nil {
			if l := c.leader.Swap(0); l > 0 {
				k = int(l - 1) // the answer came through a follower: go to the leader directly next time
			}
			c.next.Store(uint32(k))
			return b, nil
		}
		if errors.Is(err, ErrRefused) {
			return nil, err
		}
		if se := (*StatusError)(nil); errors.As(err, &se) && se.Code == http.StatusTooManyRequests && se.RetryAfter > 0 {
			// Over the edge's allowance, which the city counts at its
			// leader: every node would answer the same until Retry-After.
			return nil, fmt.Errorf("%w: %w", ErrUnavailable, err)
		}
		c.next.CompareAndSwap(uint32(k), uint32((k+1)%len(c.urls)))
		if ctx.Err() != nil {
			return nil, err
		}
		last = err
	}
	return nil, fmt.Errorf("%w: %w", ErrUnavailable, last)
}

func (c *Client) once(ctx context.Context, method, url string, body []byte, hdr func(http.Header)) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, url, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	if hdr != nil {
		hdr(req.Header)
	}
	resp, err := c.http().Do(req)
	if err != nil {
		if strings.Contains(err.Error(), "remote error: tls:") {
			c.refused(false, err.Error())
		}
		return nil, fmt.Errorf("client: %s %s: %w", method, url, err)
	}
	defer resp.Body.Close()
	c.sawDate(resp)
	c.sent.Add(uint64(len(body)))
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<30))
	c.received.Add(uint64(len(b)))
	if err != nil {
		return nil, fmt.Errorf("client: %s %s: reading answer: %w", method, url, err)
	}
	if resp.StatusCode == http.StatusOK {
		c.noteLeader(resp.Header.Get(wire.HeaderLeader))
		return b, nil
	}
	err = statusError(method, url, resp, b)
	if se := (*StatusError)(nil); errors.As(err, &se) && se.Code == http.StatusForbidden && strings.Contains(se.Reason, revokedText) {
		c.refused(true, se.Reason)
	}
	return nil, err
}

// noteLeader remembers the leader a follower named, when it is one of the
// client's own URLs: a client never follows a URL it was not given.
func (c *Client) noteLeader(url string) {
	if url == "" {
		return
	}
	url = strings.TrimRight(url, "/")
	for i, u := range c.urls {
		if u == url {
			c.leader.Store(int32(i + 1))
			return
		}
	}
}
