package edge

import (
	gosync "sync"
	"time"
)

// Transfer phases shown to the officer and the operator.
const (
	PhaseDownload = "download" // a bundle coming from the city (bytes)
	PhaseImport   = "import"   // a full bundle being verified and installed (records)
)

// Progress is a long transfer or import under way: how far, and how much
// is left. Nothing under way: the zero Progress.
type Progress struct {
	Phase   string    // PhaseDownload or PhaseImport; "" when idle
	Done    int64     // bytes or records so far (a resumed download counts what it had)
	Total   int64     // bytes or records in all; 0: unknown
	Resumed int64     // of Done, what an earlier attempt had kept
	Started time.Time // when this phase started
}

// Left estimates the time to the end from the pace so far (0: unknown).
func (p Progress) Left(now time.Time) time.Duration {
	gained := p.Done - p.Resumed
	elapsed := now.Sub(p.Started)
	if p.Total <= 0 || gained <= 0 || elapsed <= 0 || p.Done >= p.Total {
		return 0
	}
	return time.Duration(float64(elapsed) * float64(p.Total-p.Done) / float64(gained))
}

// Tracker holds the current Progress for readers (the UI, status, logs)
// while the sync loop and the importer update it. Updates are cheap; the
// notify function hears of them at most every tick, so that open pages
// refresh without being flooded.
type Tracker struct {
	mu     gosync.Mutex
	p      Progress
	now    func() time.Time
	notify func()
	tick   time.Duration
	last   time.Time
}

// NewTracker returns a tracker; notify (may be nil) is called at most
// every tick while progress is made, and at each start and end.
func NewTracker(now func() time.Time, tick time.Duration, notify func()) *Tracker {
	if now == nil {
		now = time.Now
	}
	if notify == nil {
		notify = func() {}
	}
	return &Tracker{now: now, notify: notify, tick: tick}
}

// Get returns the current progress.
func (t *Tracker) Get() Progress {
	if t == nil {
		return Progress{}
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.p
}

// Start begins a phase with done units already there (a resumed download).
func (t *Tracker) Start(phase string, done, total int64) {
	if t == nil {
		return
	}
	t.mu.Lock()
	t.p = Progress{Phase: phase, Done: done, Resumed: done, Total: total, Started: t.now()}
	t.last = t.p.Started
	t.mu.Unlock()
	t.notify()
}

// Set records how far the phase is.
func (t *Tracker) Set(done, total int64) {
	if t == nil {
		return
	}
	t.mu.Lock()
	t.p.Done, t.p.Total = done, total
	now := t.now()
	tell := now.Sub(t.last) >= t.tick
	if tell {
		t.last = now
	}
	t.mu.Unlock()
	if tell {
		t.notify()
	}
}

// Stop ends the phase.
func (t *Tracker) Stop() {
	if t == nil {
		return
	}
	t.mu.Lock()
	t.p = Progress{}
	t.mu.Unlock()
	t.notify()
}

// Progress implements the sync client's optional progress report for a
// download: done bytes of total (-1: unknown).
func (t *Tracker) download(done, total int64) {
	if total < 0 {
		total = 0
	}
	if p := t.Get(); p.Phase != PhaseDownload {
		t.Start(PhaseDownload, done, total)
		return
	}
	t.Set(done, total)
}

// trackedPartial is the store's partial download that also reports the
// download's progress to a tracker.
type trackedPartial struct {
	*PartialDownload
	t *Tracker
}

// Progress is called by the sync client as bytes arrive.
func (p trackedPartial) Progress(done, total int64) { p.t.download(done, total) }
