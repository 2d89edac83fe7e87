package webui

import (
	"sync"
	"time"
)

// maxLimiterKeys bounds the failure table; past it, keys whose failures all
// left the window are dropped first.
const maxLimiterKeys = 10000

// limiter counts login tries per key in a sliding window. A try is counted
// when it is reserved, before the password is checked: thirty parallel
// wrong logins for one user are thirty reservations, of which only the
// first LoginFailures get as far as the KDF. A try that did not fail (the
// password was right, or it could not be checked) is released again.
type limiter struct {
	mu     sync.Mutex
	max    int
	window time.Duration
	fails  map[string][]time.Time
}

func newLimiter(max int, window time.Duration) *limiter {
	return &limiter{max: max, window: window, fails: make(map[string][]time.Time)}
}

// reserve counts a try of key at now, unless key has used up its tries:
// then it counts nothing and returns how long key must wait.
func (l *limiter) reserve(key string, now time.Time) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	ts := l.recentLocked(key, now)
	if len(ts) >= l.max {
		return ts[len(ts)-l.max].Add(l.window).Sub(now)
	}
	if len(l.fails) >= maxLimiterKeys {
		for k := range l.fails {
			if len(l.recentLocked(k, now)) == 0 {
				delete(l.fails, k)
			}
		}
	}
	l.fails[key] = append(ts, now)
	return 0
}

// release forgets the try of key reserved at at: it did not fail.
func (l *limiter) release(key string, at time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	ts := l.fails[key]
	for i := len(ts) - 1; i >= 0; i-- {
		if ts[i].Equal(at) {
			ts = append(ts[:i], ts[i+1:]...)
			break
		}
	}
	if len(ts) == 0 {
		delete(l.fails, key)
		return
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

// maxLoginsPerAddress is how many logins one client address may have
// under way at once (waiting for the KDF or in it): a browser sends one;
// a script firing hundreds in parallel gets the rest refused at once, so
// it cannot fill the KDF's queue ahead of the other officers.
const maxLoginsPerAddress = 2

// underWay counts the logins under way per client address.
type underWay struct {
	mu sync.Mutex
	n  map[string]int
}

// enter reports whether addr may start one more login; if so, the caller
// calls leave when it ends.
func (u *underWay) enter(addr string) bool {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.n[addr] >= maxLoginsPerAddress {
		return false
	}
	if u.n == nil {
		u.n = make(map[string]int)
	}
	u.n[addr]++
	return true
}

func (u *underWay) leave(addr string) {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.n[addr]--; u.n[addr] <= 0 {
		delete(u.n, addr)
	}
}
