package registry

import (
	"sync"
	"testing"
	"time"
)

// fakeWall is a wall clock the test moves by hand.
type fakeWall struct {
	mu sync.Mutex
	t  time.Time
}

func (w *fakeWall) now() time.Time { w.mu.Lock(); defer w.mu.Unlock(); return w.t }

func (w *fakeWall) set(t time.Time) { w.mu.Lock(); w.t = t; w.mu.Unlock() }

func TestHLCParts(t *testing.T) {
	ts := time.Date(2026, 5, 15, 8, 30, 0, 123_000_000, time.UTC)
	h := MakeHLC(ts.UnixMilli(), 7)
	if h.Millis() != ts.UnixMilli() || !h.Time().Equal(ts) || uint16(h) != 7 {
		t.Errorf("MakeHLC parts: millis %d time %v logical %d", h.Millis(), h.Time(), uint16(h))
	}
	if HLCFromTime(ts) != MakeHLC(ts.UnixMilli(), 0) {
		t.Error("HLCFromTime differs from MakeHLC(ms, 0)")
	}
	if MakeHLC(-5, 3) != MakeHLC(0, 3) {
		t.Error("negative milliseconds are not clamped to 0")
	}
	if !(MakeHLC(1000, 0) > MakeHLC(999, 65535)) {
		t.Error("a later millisecond does not order after any counter")
	}
}

func TestClockMonotonic(t *testing.T) {
	start := time.Date(2026, 5, 15, 8, 0, 0, 0, time.UTC)
	wall := &fakeWall{t: start}
	c := NewClock(wall.now)

	first := c.Now()
	if first != HLCFromTime(start) {
		t.Errorf("first Now() = %v, want the wall time", first)
	}
	prev := first
	step := func(what string) {
		t.Helper()
		h := c.Now()
		if h <= prev {
			t.Fatalf("%s: Now() = %d, not after %d", what, h, prev)
		}
		prev = h
	}
	for range 5 {
		step("wall clock standing still")
	}
	if prev != MakeHLC(start.UnixMilli(), 5) {
		t.Errorf("standing still: got %d, want counter 5", prev)
	}
	wall.set(start.Add(-time.Hour))
	for range 3 {
		step("wall clock gone back")
	}
	if prev.Millis() != start.UnixMilli() {
		t.Errorf("a clock that went back moved the physical part to %v", prev.Time())
	}
	wall.set(start.Add(time.Second))
	step("wall clock moved on")
	if prev != HLCFromTime(start.Add(time.Second)) {
		t.Errorf("after the wall moved on: got %v, want the wall time", prev.Time())
	}
}

func TestClockObserve(t *testing.T) {
	start := time.Date(2026, 5, 15, 8, 0, 0, 0, time.UTC)
	wall := &fakeWall{t: start}
	c := NewClock(wall.now)
	local := c.Now()

	remote := MakeHLC(start.Add(10*time.Minute).UnixMilli(), 4) // a remote clock ahead of ours
	c.Observe(remote)
	if h := c.Now(); h <= remote {
		t.Errorf("Now() after Observe(later) = %d, want > %d", h, remote)
	}

	c.Observe(local) // an earlier remote changes nothing
	h := c.Now()
	if h != remote+2 {
		t.Errorf("Now() after Observe(earlier) = %d, want %d", h, remote+2)
	}
}

func TestClockConcurrent(t *testing.T) {
	c := NewClock(nil)
	const goroutines, each = 4, 500
	got := make(chan HLC, goroutines*each)
	var wg sync.WaitGroup
	for range goroutines {
		wg.Go(func() {
			for range each {
				got <- c.Now()
			}
		})
	}
	wg.Wait()
	close(got)
	seen := make(map[HLC]bool, goroutines*each)
	for h := range got {
		if seen[h] {
			t.Fatalf("timestamp %d issued twice", h)
		}
		seen[h] = true
	}
}
