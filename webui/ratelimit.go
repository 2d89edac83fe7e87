package webui

import (
	"sync"
	"time"
)

// maxLimiterKeys bounds the failure table; past it, keys whose failures all
// left the window are dropped first.
const maxLimiterKeys = 10000

// limiter counts refused logins per key in a sliding window. Checking
// before Authenticate means a locked-out guesser does not even cost a KDF
// run.
type limiter struct {
	mu     sync.Mutex
	max    int
	window time.Duration
	fails  map[string][]time.Time
}

func newLimiter(max int, window time.Duration) *limiter {
	return &limiter{max: max, window: window, fails: make(map[string][]time.Time)}
}

// wait returns how long key must wait before its next try; 0 lets it try now.
func (l *limiter) wait(key string, now time.Time) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	ts := l.recentLocked(key, now)
	if len(ts) < l.max {
		return 0
	}
	return ts[len(ts)-l.max].Add(l.window).Sub(now)
}

// fail records a refused try.
func (l *limiter) fail(key string, now time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.fails) >= maxLimiterKeys {
		for k := range l.fails {
			if len(l.recentLocked(k, now)) == 0 {
				delete(l.fails, k)
			}
		}
	}
	ts := append(l.recentLocked(key, now), now)
	if len(ts) > l.max {
		ts = ts[len(ts)-l.max:] // wait needs only the last max
	}
	l.fails[key] = ts
}

// reset forgets key's failures (after a successful login).
func (l *limiter) reset(key string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.fails, key)
}

// recentLocked drops key's failures older than the window and returns the rest.
func (l *limiter) recentLocked(key string, now time.Time) []time.Time {
	ts := l.fails[key]
	i := 0
	for i < len(ts) && now.Sub(ts[i]) >= l.window {
		i++
	}
	if i == len(ts) {
		delete(l.fails, key)
		return nil
	}
	ts = ts[i:]
	l.fails[key] = ts
	return ts
}
