package edge

import (
	"context"
	"log/slog"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"
)

// The freeze (DESIGN.md, "Signed subsets") and the certificate checks compare dates
// with the box's clock, and whoever sits at the box can set that clock:
// set back a month, a frozen subset would serve again. So the edge keeps
// a floor under its clock: the latest time it knows has passed. That is
// the latest city time it has seen (the Date of every answer over mTLS,
// the time on stream messages, the creation time of the bundles it
// installs), carried forward by the time the process has run since on the
// monotonic clock, which setting the wall clock does not move, and kept
// in the store across restarts. A box that is switched off while its
// clock is set back loses only the time it was off.
//
// A city answer is the authority: its Date replaces the floor even when
// it is earlier, so that a floor pushed too far (a box or city node whose
// clock was once wrong) heals at the next contact; for that, the TLS
// connection to the city checks certificates on the local clock, never on
// this one. The local clock is believed whenever it is later than the
// floor: a clock that runs ahead freezes early, which is the safe side.

// kClockFloor is the floor as last saved, in bMeta: Unix milliseconds.
var kClockFloor = []byte("clock_floor")

// saveEvery spaces the saves of the floor: a box switched off loses at
// most this much of the time it counted.
const saveEvery = time.Minute

// CityClock is the edge's time: the local clock, but never earlier than
// the latest time the box knows has passed. Its methods are safe for
// concurrent use; it may be used before Load (it then starts from what it
// has seen in memory).
type CityClock struct {
	local func() time.Time
	log   *slog.Logger

	mu sync.Mutex
	// floor is a time known to have passed, zero: none yet. It never
	// carries a monotonic reading, so that it compares with the local
	// clock by the wall time (Go compares two monotonic readings instead).
	floor time.Time
	at    time.Time // local reading when floor was set (monotonic in production)
	store *Store    // nil until Load
}

// NewCityClock returns a clock over local (nil: time.Now).
func NewCityClock(local func() time.Time, log *slog.Logger) *CityClock {
	if local == nil {
		local = time.Now
	}
	if log == nil {
		log = slog.Default()
	}
	return &CityClock{local: local, log: log}
}

// Now is the later of the local clock and the floor carried forward. It
// never goes back, except when the city says so (CityTime).
func (c *CityClock) Now() time.Time {
	now := c.local()
	c.mu.Lock()
	defer c.mu.Unlock()
	t := c.nowLocked(now).Round(0)
	c.floor, c.at = t, now
	return t
}

func (c *CityClock) nowLocked(now time.Time) time.Time {
	if c.floor.IsZero() {
		return now
	}
	// now.Sub(at) runs on the monotonic clock when both readings carry
	// it: the wall clock set back while the process runs changes nothing.
	carried := c.floor.Add(max(0, now.Sub(c.at)))
	if now.Round(0).Before(carried) {
		return carried
	}
	return now
}

// CityTime takes t as the city's clock now (the Date of an authenticated
// answer, the time of a stream message). It becomes the floor, even when
// earlier than the floor held: the city's clock is the reference.
func (c *CityClock) CityTime(t time.Time) {
	if t.IsZero() {
		return
	}
	now := c.local()
	c.mu.Lock()
	defer c.mu.Unlock()
	if held := c.nowLocked(now); t.Before(held.Add(-time.Minute)) && held.After(now.Add(time.Minute)) {
		c.log.Warn("the city's clock is earlier than the time this box had counted: following the city",
			"city", t.UTC(), "counted", held.UTC(), "local", now.UTC())
	}
	c.floor, c.at = t.Round(0), now
}

// AtLeast raises the floor to t, a time the city has certainly passed
// (the creation of a verified bundle), if it is later than Now.
func (c *CityClock) AtLeast(t time.Time) {
	now := c.local()
	c.mu.Lock()
	defer c.mu.Unlock()
	if t.After(c.nowLocked(now)) {
		c.floor, c.at = t.Round(0), now
	}
}

// Load reads the floor saved in s and the creation time of the bundle s
// holds, and from then on saves to s (Save, Run). What the clock has seen
// before Load is kept if later.
func (c *CityClock) Load(s *Store) error {
	var saved, created time.Time
	err := s.db.View(func(tx *bolt.Tx) error {
		m := tx.Bucket(bMeta)
		if v := getU64(m, kClockFloor); v != 0 {
			saved = time.UnixMilli(int64(v)).UTC()
		}
		if info, ok := readInfo(m); ok {
			created = info.Created
		}
		return nil
	})
	if err != nil {
		return err
	}
	c.mu.Lock()
	c.store = s
	c.mu.Unlock()
	c.AtLeast(saved)
	c.AtLeast(created)
	return nil
}

// Unload stops saving to s, which is about to close (the edge locks, or
// its store is rewritten under a new key); the floor stays in memory and
// the next Load takes it with the saved one. It does nothing when the
// clock saves to another store. Stop Run on s first.
func (c *CityClock) Unload(s *Store) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.store == s {
		c.store = nil
	}
}

// Save stores Now as the floor, so that a restart does not go back
// before it; without a store (before Load) it does nothing.
func (c *CityClock) Save() error {
	c.mu.Lock()
	s := c.store
	c.mu.Unlock()
	if s == nil {
		return nil
	}
	t := c.Now()
	return s.db.Update(func(tx *bolt.Tx) error {
		return tx.Bucket(bMeta).Put(kClockFloor, u64(uint64(t.UnixMilli())))
	})
}

// Run saves the floor every minute until ctx ends, and once more then.
// Stop it before closing the store.
func (c *CityClock) Run(ctx context.Context) {
	t := time.NewTicker(saveEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			if err := c.Save(); err != nil {
				c.log.Warn("clock floor not saved", "err", err)
			}
			return
		case <-t.C:
			if err := c.Save(); err != nil {
				c.log.Warn("clock floor not saved", "err", err)
			}
		}
	}
}
