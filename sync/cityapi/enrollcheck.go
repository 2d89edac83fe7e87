package cityapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/xanode/xanode/sync/api"
	"github.com/xanode/xanode/sync/cluster"
	"github.com/xanode/xanode/sync/fsm"
)

// Enrollment is the one endpoint a caller reaches without a certificate,
// so it must cost an attacker something and the city nothing: a token is
// checked, read-only, on the leader (which holds every committed token)
// before any certificate is issued or anything is written, and each
// source address may try only a few times a minute.

// enrollLimit is how many enrollments one source address may attempt per
// enrollWindow, successful ones included: an office enrolls one box.
const (
	enrollLimit  = 10
	enrollWindow = time.Minute
	renewLimit   = 6 // renewals per node per enrollWindow
)

// DefaultEdgeLimit is how many changes (and audit entries) one edge may
// send per hour: a busy ward office records about a thousand a day, and
// twice this at once drains a month offline in one go.
const DefaultEdgeLimit = 20000

// edgeFetchShare: an edge may ask for a bundle EdgeLimit/edgeFetchShare
// times an hour (1,000 by default: one a pull, and a pull follows each
// change of its subset), at least 60.
const edgeFetchShare = 20

// newEdgeLimiter admits perHour events an hour per node, 2×perHour at once.
func newEdgeLimiter(perHour int) *addrLimiter {
	return &addrLimiter{every: rate.Every(time.Hour / time.Duration(perHour)), burst: 2 * perHour, keys: map[string]*rate.Limiter{}}
}

// admitEdge charges n of an edge's sends (what: "changes", "audit
// entries") against its hourly limit. Over it, the answer is 429 with
// Retry-After: the edge keeps what it sent in its outbox and sends it
// again then, so nothing recorded is lost, and a stolen box not yet
// revoked cannot write the log faster than an office does.
func (s *Server) admitEdge(w http.ResponseWriter, l *addrLimiter, node string, n int, what string) bool {
	if l == nil {
		return true
	}
	ok, wait := l.allowN(node, n, s.cfg.Now())
	if !ok {
		s.refuseLimited(w, node, what, wait)
	}
	return ok
}

// refuseLimited answers an edge over its hourly limit: 429, and when to
// come back.
func (s *Server) refuseLimited(w http.ResponseWriter, node, what string, wait time.Duration) {
	s.m.limited.Inc(node, what)
	w.Header().Set("Retry-After", strconv.Itoa(int(wait.Seconds())+1))
	httpError(w, http.StatusTooManyRequests, "node %q sent more %s than its limit of %d an hour: try again in %v", node, what, s.cfg.EdgeLimit, wait.Round(time.Second))
}

// admitOne admits one of an edge's requests that write the log
// (what: "presence challenges", "renewals") against the limiter l, or
// answers 429 with Retry-After.
func (s *Server) admitOne(w http.ResponseWriter, l *addrLimiter, node, what string) bool {
	ok, wait := l.allow(node, s.cfg.Now())
	if !ok {
		w.Header().Set("Retry-After", strconv.Itoa(int(wait.Seconds())+1))
		httpError(w, http.StatusTooManyRequests, "too many %s for node %q: try again in %v", what, node, wait.Round(time.Second))
	}
	return ok
}

// edgeSpent refuses, before its body is read, a send from an edge whose
// allowance is spent (less than one left): a box past its limit costs the
// city no decoding.
func (s *Server) edgeSpent(w http.ResponseWriter, l *addrLimiter, node, what string) bool {
	if l == nil {
		return false
	}
	wait := l.untilOne(node, s.cfg.Now())
	if wait == 0 {
		return false
	}
	s.refuseLimited(w, node, what, wait)
	return true
}

// addrLimiter admits, per key, limit events at once and then one every
// window/limit (a token bucket, golang.org/x/time/rate): limit per window
// over time. It holds at most maxLimiterKeys keys, forgetting first those
// whose bucket is full again, i.e. that would be admitted anyway.
type addrLimiter struct {
	mu    sync.Mutex
	every rate.Limit
	burst int
	keys  map[string]*rate.Limiter
}

const maxLimiterKeys = 10000

func newAddrLimiter(limit int, window time.Duration) *addrLimiter {
	return &addrLimiter{every: rate.Every(window / time.Duration(limit)), burst: limit, keys: map[string]*rate.Limiter{}}
}

// allow records an attempt by key at now and reports whether it is within
// the limit, and if not, how long until the next is.
func (l *addrLimiter) allow(key string, now time.Time) (bool, time.Duration) {
	return l.allowN(key, 1, now)
}

// untilOne is how long until key may send one event (0: now). It takes
// nothing.
func (l *addrLimiter) untilOne(key string, now time.Time) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	lim := l.keys[key]
	if lim == nil || lim.TokensAt(now) >= 1 {
		return 0
	}
	r := lim.ReserveN(now, 1)
	defer r.CancelAt(now)
	return r.DelayFrom(now)
}

// allowN is allow for n events at once (a push of n changes). More than
// the burst at once costs the whole burst: admitted when the bucket is
// full, as no wait would ever admit it otherwise.
func (l *addrLimiter) allowN(key string, n int, now time.Time) (bool, time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	lim := l.keys[key]
	if lim == nil {
		if len(l.keys) >= maxLimiterKeys {
			for k, other := range l.keys {
				if other.TokensAt(now) >= float64(l.burst) {
					delete(l.keys, k)
				}
			}
		}
		lim = rate.NewLimiter(l.every, l.burst)
		l.keys[key] = lim
	}
	r := lim.ReserveN(now, min(n, l.burst))
	if d := r.DelayFrom(now); d > 0 {
		r.CancelAt(now) // a refused attempt takes no token
		return false, d
	}
	return true, 0
}

// checkToken is the leader's read-only verdict on an enrollment token:
// nil, or ErrTokenUnknown, ErrTokenUsed, ErrTokenExpired or ErrRevoked.
// A follower asks the leader.
func (s *Server) checkToken(ctx context.Context, hash string) error {
	if !s.cfg.Cluster.IsLeader() {
		return s.askLeaderToken(ctx, hash)
	}
	// A new leader may not have applied everything committed yet.
	if err := s.cfg.Cluster.Barrier(5 * time.Second); err != nil {
		return fmt.Errorf("cityapi: waiting for the log: %w", err)
	}
	info, err := s.cfg.Cluster.FSM().Token(hash)
	switch {
	case err != nil:
		return err
	case info.Used:
		return fsm.ErrTokenUsed
	case !s.cfg.Now().Before(info.Expires):
		return fsm.ErrTokenExpired
	case info.PredatesRevocation:
		return fmt.Errorf("%w: the token predates the revocation; make a new one", fsm.ErrRevoked)
	}
	return nil
}

// tokenVerdicts name the leader's verdicts on a token as they travel to
// the follower that asked.
var tokenVerdicts = map[string]error{
	"unknown": fsm.ErrTokenUnknown, "used": fsm.ErrTokenUsed, "expired": fsm.ErrTokenExpired, "revoked": fsm.ErrRevoked,
}

func (s *Server) askLeaderToken(ctx context.Context, hash string) error {
	leader, _ := s.cfg.Cluster.Leader()
	peers, err := s.cfg.Cluster.FSM().Peers()
	if err != nil {
		return err
	}
	base := peers[leader]
	if leader == "" || base == "" || s.peers == nil {
		return &cluster.NotLeaderError{LeaderID: leader}
	}
	var a api.TokenVerdict
	if err := s.getPeer(ctx, base+api.GetLeaderToken.Expand(hash), &a); err != nil {
		return fmt.Errorf("cityapi: asking the leader about a token: %w", err)
	}
	if a.Verdict == "ok" {
		return nil
	}
	if v, ok := tokenVerdicts[a.Verdict]; ok {
		return fmt.Errorf("%w (%s)", v, a.Error)
	}
	return fmt.Errorf("cityapi: the leader at %s could not check the token: %s", base, a.Error)
}

// getPeer asks another city node (GET url, over the peers' mutual TLS)
// and decodes its JSON answer, at most 4 KiB, into out.
func (s *Server) getPeer(ctx context.Context, url string, out any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := s.peers.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s answered %s", url, resp.Status)
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 4096)).Decode(out); err != nil {
		return fmt.Errorf("%s: %w", url, err)
	}
	return nil
}

// leaderToken answers a follower's question about a token (city nodes only).
func (s *Server) leaderToken(w http.ResponseWriter, r *http.Request) {
	if !s.cfg.Cluster.IsLeader() {
		leader, _ := s.cfg.Cluster.Leader()
		writeJSON(w, http.StatusServiceUnavailable, api.Error{Error: "not the leader", Leader: leader})
		return
	}
	a := api.TokenVerdict{Verdict: "ok"}
	if err := s.checkToken(r.Context(), r.PathValue("hash")); err != nil {
		a.Verdict, a.Error = "error", err.Error()
		for name, v := range tokenVerdicts {
			if errors.Is(err, v) {
				a.Verdict = name
			}
		}
	}
	writeJSON(w, http.StatusOK, a)
}

func isTokenVerdict(err error) bool {
	for _, v := range tokenVerdicts {
		if errors.Is(err, v) {
			return true
		}
	}
	return false
}

func (s *Server) enrollCheckRoutes() {
	s.handle(api.GetLeaderToken, s.leaderToken)
}
