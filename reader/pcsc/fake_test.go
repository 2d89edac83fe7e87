package pcsc

import (
	"slices"
	"sync"
	"time"
)

// fakePCSC simulates pcscd for the Monitor: readers plugged and unplugged,
// cards placed and lifted, the daemon stopped and restarted. Its
// getStatusChange computes the states the way pcsclite does (card counter
// in a reader's upper 16 bits, reader count in the PnP reader's) and, like
// SCardCancel, cancel wakes only a wait in progress.
type fakePCSC struct {
	mu      sync.Mutex
	up      bool
	gen     int           // bumped by every stop and restart: older contexts are dead
	wake    chan struct{} // closed and replaced at every change
	readers map[string]*fakeReader
	order   []string // as pcscd lists them: in order of plugging
	// unknownReaderErr makes a wait on an unplugged reader fail with
	// SCARD_E_UNKNOWN_READER instead of reporting it unknown.
	unknownReaderErr bool
	// beforeWait, if set, runs in getStatusChange before it blocks.
	beforeWait func()
	contexts   int // contexts established
}

type fakeReader struct {
	card, mute bool
	atr        []byte
	count      uint32 // cards inserted and removed
}

func newFakePCSC(readers ...string) *fakePCSC {
	f := &fakePCSC{up: true, wake: make(chan struct{}), readers: map[string]*fakeReader{}}
	for _, r := range readers {
		f.plug(r)
	}
	return f
}

// change runs fn under the lock and wakes every wait.
func (f *fakePCSC) change(fn func()) {
	f.mu.Lock()
	defer f.mu.Unlock()
	fn()
	close(f.wake)
	f.wake = make(chan struct{})
}

func (f *fakePCSC) plug(name string) {
	f.change(func() {
		f.readers[name] = &fakeReader{}
		f.order = append(f.order, name)
	})
}

func (f *fakePCSC) unplug(name string) {
	f.change(func() {
		delete(f.readers, name)
		f.order = slices.DeleteFunc(f.order, func(n string) bool { return n == name })
	})
}

func (f *fakePCSC) insert(name string, atr []byte, mute bool) {
	f.change(func() {
		r := f.readers[name]
		r.card, r.mute, r.atr = true, mute, atr
		r.count++
	})
}

func (f *fakePCSC) lift(name string) {
	f.change(func() {
		r := f.readers[name]
		r.card, r.mute, r.atr = false, false, nil
		r.count++
	})
}

// swap lifts the card and places another between two waits.
func (f *fakePCSC) swap(name string, atr []byte) {
	f.change(func() {
		r := f.readers[name]
		r.atr = atr
		r.count += 2
	})
}

func (f *fakePCSC) stop() { f.change(func() { f.up = false; f.gen++ }) }

func (f *fakePCSC) start() { f.change(func() { f.up = true }) }

// restart stops and starts pcscd between two calls of a client.
func (f *fakePCSC) restart() { f.change(func() { f.gen++ }) }

func (f *fakePCSC) establish() (scContext, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.up {
		return nil, &codeError{op: "connect to pcscd", code: codeNoService}
	}
	f.contexts++
	return &fakeContext{f: f, gen: f.gen}, nil
}

type fakeContext struct {
	f   *fakePCSC
	gen int

	mu      sync.Mutex
	waiting chan struct{} // closed by cancel; nil when no wait is in progress
}

// deadLocked says why a context of an old generation fails.
func (c *fakeContext) deadLocked(op string) error {
	switch {
	case !c.f.up:
		return &codeError{op: op, code: codeCommError}
	case c.gen != c.f.gen:
		return &codeError{op: op, code: codeInvalidHandle}
	}
	return nil
}

func (c *fakeContext) listReaders() ([]string, error) {
	c.f.mu.Lock()
	defer c.f.mu.Unlock()
	if err := c.deadLocked("list readers"); err != nil {
		return nil, err
	}
	return slices.Clone(c.f.order), nil
}

func (c *fakeContext) stateLocked(name string) (uint32, []byte, bool) {
	if name == pnpReader {
		return uint32(len(c.f.order)) << 16, nil, true
	}
	r, ok := c.f.readers[name]
	switch {
	case !ok:
		return stateUnknown, nil, false
	case !r.card:
		return r.count<<16 | stateEmpty, nil, true
	case r.mute:
		return r.count<<16 | statePresent | stateMute, nil, true
	}
	return r.count<<16 | statePresent, slices.Clone(r.atr), true
}

func (c *fakeContext) getStatusChange(states []readerState, timeout time.Duration) error {
	hookDone := false
	for {
		c.f.mu.Lock()
		if err := c.deadLocked("wait for reader changes"); err != nil {
			c.f.mu.Unlock()
			return err
		}
		changed := false
		for i := range states {
			ev, atr, known := c.stateLocked(states[i].name)
			if !known && c.f.unknownReaderErr {
				c.f.mu.Unlock()
				return &codeError{op: "wait for reader changes", code: codeUnknownReader}
			}
			if ev != states[i].current&^stateChanged {
				ev |= stateChanged
				changed = true
			}
			states[i].event, states[i].atr = ev, atr
		}
		wake, hook := c.f.wake, c.f.beforeWait
		c.f.mu.Unlock()
		if changed {
			return nil
		}
		if timeout == 0 {
			return &codeError{op: "wait for reader changes", code: codeTimeout}
		}
		if hook != nil && !hookDone {
			hookDone = true
			hook()
		}
		cancelled := make(chan struct{})
		c.mu.Lock()
		c.waiting = cancelled
		c.mu.Unlock()
		select {
		case <-wake:
		case <-cancelled:
			return &codeError{op: "wait for reader changes", code: codeCancelled}
		case <-time.After(timeout):
			return &codeError{op: "wait for reader changes", code: codeTimeout}
		}
		c.mu.Lock()
		c.waiting = nil
		c.mu.Unlock()
	}
}

func (c *fakeContext) cancel() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.waiting != nil {
		close(c.waiting)
		c.waiting = nil
	}
	return nil
}

func (c *fakeContext) release() error { return nil }

// fakeClock hands out backoff waits that fire when the test says so, and
// records how long each was.
type fakeClock struct {
	asked chan time.Duration
	fire  chan time.Time
}

func newFakeClock() *fakeClock {
	return &fakeClock{asked: make(chan time.Duration, 100), fire: make(chan time.Time)}
}

func (c *fakeClock) After(d time.Duration) <-chan time.Time {
	c.asked <- d
	return c.fire
}
