package registry

import (
	"sync"
	"time"
)

// HLC is a hybrid logical clock timestamp: milliseconds since the Unix
// epoch in the high 48 bits, a logical counter in the low 16. Ordering HLCs
// as integers orders events consistently with causality across nodes whose
// wall clocks drift.
type HLC uint64

const hlcLogicalBits = 16

// MakeHLC builds an HLC from wall-clock milliseconds and a counter.
func MakeHLC(ms int64, logical uint16) HLC {
	if ms < 0 {
		ms = 0
	}
	return HLC(uint64(ms)<<hlcLogicalBits | uint64(logical))
}

// HLCFromTime gives the HLC of t with a zero counter.
func HLCFromTime(t time.Time) HLC { return MakeHLC(t.UnixMilli(), 0) }

// Millis is the wall-clock part.
func (h HLC) Millis() int64 { return int64(h >> hlcLogicalBits) }

// Time is the wall-clock part as a time.Time (UTC).
func (h HLC) Time() time.Time { return time.UnixMilli(h.Millis()).UTC() }

// Clock issues HLC timestamps for one node. It is safe for concurrent use.
type Clock struct {
	mu   sync.Mutex
	now  func() time.Time
	last HLC
}

// NewClock returns a Clock reading wall time from now (time.Now if nil).
func NewClock(now func() time.Time) *Clock {
	if now == nil {
		now = time.Now
	}
	return &Clock{now: now}
}

// Now returns a timestamp greater than any this clock issued or observed.
func (c *Clock) Now() HLC {
	c.mu.Lock()
	defer c.mu.Unlock()
	wall := HLCFromTime(c.now())
	if wall > c.last {
		c.last = wall
	} else {
		c.last++
	}
	return c.last
}

// Observe merges a timestamp received from another node, so that this
// node's next event is ordered after it.
func (c *Clock) Observe(remote HLC) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if remote > c.last {
		c.last = remote
	}
}
