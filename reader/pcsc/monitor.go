package pcsc

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// system is PC/SC as this package needs it: libpcsclite in the pcsc build
// (sys_pcsclite.go), nothing without it (none.go), a simulated pcscd in the
// tests.
type system interface {
	// establish opens a context (a connection to pcscd).
	establish() (scContext, error)
}

// scContext is one SCARDCONTEXT. cancel may be called from any goroutine,
// also while getStatusChange waits, and wakes that wait with
// SCARD_E_CANCELLED; it does nothing to a wait that starts after it. The
// other methods are called from one goroutine at a time.
type scContext interface {
	// listReaders returns the readers' names; none is an empty list.
	listReaders() ([]string, error)
	// getStatusChange waits until the state of one of states differs from
	// its current field, or timeout passes (codeTimeout), and sets every
	// event and atr field.
	getStatusChange(states []readerState, timeout time.Duration) error
	cancel() error
	release() error
}

// readerState is one SCARD_READERSTATE.
type readerState struct {
	name    string
	current uint32 // the state the caller knows
	event   uint32 // the state now, set by getStatusChange
	atr     []byte // the card's answer to reset, set with event
}

// SCARD_STATE_* flags (pcsclite.h). The upper 16 bits of a reader's event
// state count the cards inserted and removed; those of the PnP
// notification reader count the readers.
const (
	stateUnaware     uint32 = 0x0000
	stateChanged     uint32 = 0x0002
	stateUnknown     uint32 = 0x0004
	stateUnavailable uint32 = 0x0008
	stateEmpty       uint32 = 0x0010
	statePresent     uint32 = 0x0020
	stateExclusive   uint32 = 0x0080
	stateInUse       uint32 = 0x0100
	stateMute        uint32 = 0x0200
)

// pnpReader is the pseudo reader whose state changes when a reader is
// plugged in or out.
const pnpReader = `\\?PnP?\Notification`

// statusWait bounds one wait for a change. Cancel ends a wait early; the
// bound only keeps a wait from outliving a connection that died silently.
const statusWait = time.Minute

// cancelRepeat is how often a cancellation is repeated until the wait it
// is meant for has ended (a wait that began just after a cancel would
// otherwise sit until statusWait).
const cancelRepeat = 100 * time.Millisecond

// EventKind says what happened.
type EventKind int

// Kinds of Event.
const (
	ReaderAdded   EventKind = iota + 1 // a reader was plugged in (or was there when the monitor connected)
	ReaderRemoved                      // a reader was unplugged (or pcscd went away: see ServiceLost)
	CardInserted                       // a card was placed in or on a reader
	CardRemoved                        // the card was lifted
	ServiceLost                        // pcscd cannot be reached; Event.Err says why
	ServiceBack                        // pcscd can be reached again after ServiceLost
)

func (k EventKind) String() string {
	switch k {
	case ReaderAdded:
		return "reader added"
	case ReaderRemoved:
		return "reader removed"
	case CardInserted:
		return "card inserted"
	case CardRemoved:
		return "card removed"
	case ServiceLost:
		return "pcscd lost"
	case ServiceBack:
		return "pcscd back"
	}
	return fmt.Sprintf("EventKind(%d)", int(k))
}

// ReaderState is what one reader holds.
type ReaderState struct {
	Name  string // the reader's PC/SC name
	Card  bool   // a card is in or on the reader
	Mute  bool   // the card does not answer the reset: place it again
	InUse bool   // a program (this one too, while it reads) holds the card
	ATR   []byte // the card's answer to reset; nil without a card
}

// Event is one change a Monitor saw.
type Event struct {
	Kind   EventKind
	Reader ReaderState // the reader's state after the change; for ReaderRemoved, the last known
	Err    error       // for ServiceLost: why pcscd cannot be reached
}

// MonitorConfig tunes a Monitor. Zero fields take the defaults.
type MonitorConfig struct {
	// MinBackoff is the wait before connecting to pcscd again after
	// losing it; it doubles at each failed try, up to MaxBackoff.
	// Defaults: 250 ms and 10 s.
	MinBackoff, MaxBackoff time.Duration
	// After is the clock the backoff waits on; nil: time.After.
	After func(time.Duration) <-chan time.Time
}

// Monitor follows the readers pcscd knows and the cards in them, several
// readers at once. Run does the watching; Readers tells what is known at
// any time, from any goroutine.
type Monitor struct {
	cfg     MonitorConfig
	sys     system
	running atomic.Bool

	mu      sync.Mutex
	readers map[string]ReaderState
	err     error // why no state is known; nil while connected
	lost    bool  // ServiceLost was sent and ServiceBack not yet
}

// errNotRunning is what Readers says before Run has connected and after it
// returned.
var errNotRunning = errors.New("pcsc: the reader monitor is not running")

// NewMonitor returns a Monitor on this machine's pcscd.
func NewMonitor(cfg MonitorConfig) *Monitor { return newMonitor(cfg, defaultSystem) }

func newMonitor(cfg MonitorConfig, sys system) *Monitor {
	if cfg.MinBackoff <= 0 {
		cfg.MinBackoff = 250 * time.Millisecond
	}
	if cfg.MaxBackoff < cfg.MinBackoff {
		cfg.MaxBackoff = max(10*time.Second, cfg.MinBackoff)
	}
	if cfg.After == nil {
		cfg.After = time.After
	}
	return &Monitor{cfg: cfg, sys: sys, readers: map[string]ReaderState{}, err: errNotRunning}
}

// Readers returns the readers known now, by name, or why none are known:
// pcscd cannot be reached (an error matching ErrNoService), or the monitor
// is not running.
func (m *Monitor) Readers() ([]ReaderState, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.err != nil {
		return nil, m.err
	}
	out := make([]ReaderState, 0, len(m.readers))
	for _, r := range m.readers {
		r.ATR = slices.Clone(r.ATR)
		out = append(out, r)
	}
	slices.SortFunc(out, func(a, b ReaderState) int { return strings.Compare(a.Name, b.Name) })
	return out, nil
}

// Run watches until ctx ends, and returns nil then; it returns an error
// only when the binary has no PC/SC support (ErrNotBuilt), or when Run is
// already running. It first reports every reader present (ReaderAdded) and
// every card in one (CardInserted), then each change. When pcscd goes away
// it reports every card and reader removed, then ServiceLost, and connects
// again with backoff; once back, ServiceBack and the readers again.
//
// emit is called from Run's goroutine, one event at a time, and must
// return promptly; it may call Readers, which already shows the change.
func (m *Monitor) Run(ctx context.Context, emit func(Event)) error {
	if !m.running.CompareAndSwap(false, true) {
		return errors.New("pcsc: Monitor.Run is already running")
	}
	defer m.running.Store(false)
	defer m.stopped()
	wait := m.cfg.MinBackoff
	for {
		connected, err := m.session(ctx, emit)
		if ctx.Err() != nil {
			return nil
		}
		if errors.Is(err, ErrNotBuilt) {
			return err
		}
		if connected {
			wait = m.cfg.MinBackoff
		}
		emitAll(emit, m.down(err))
		select {
		case <-ctx.Done():
			return nil
		case <-m.cfg.After(wait):
		}
		wait = min(2*wait, m.cfg.MaxBackoff)
	}
}

func (m *Monitor) stopped() {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.readers, m.err, m.lost = map[string]ReaderState{}, errNotRunning, false
}

func emitAll(emit func(Event), evs []Event) {
	for _, ev := range evs {
		emit(ev)
	}
}

// session connects to pcscd and follows the readers until ctx ends (nil)
// or the connection fails. connected says whether it got that far.
func (m *Monitor) session(ctx context.Context, emit func(Event)) (connected bool, err error) {
	c, err := m.sys.establish()
	if err != nil {
		return false, err
	}
	defer c.release()
	stop := cancelOnDone(ctx, c)
	defer stop()
	emitAll(emit, m.up())
	names, err := c.listReaders()
	if err != nil {
		return true, err
	}
	var evs []Event
	states := []readerState{{name: pnpReader}}
	states, evs = m.reconcile(names, states)
	emitAll(emit, evs)
	for ctx.Err() == nil {
		err := c.getStatusChange(states, statusWait)
		relist := false
		switch {
		case err == nil:
			relist, evs = m.apply(states)
			emitAll(emit, evs)
		case hasCode(err, codeTimeout, codeCancelled):
			continue // the loop checks ctx
		case hasCode(err, codeUnknownReader, codeReaderGone):
			relist = true // a reader left between listing and waiting
		default:
			return true, err
		}
		if relist {
			if names, err = c.listReaders(); err != nil {
				return true, err
			}
			states, evs = m.reconcile(names, states)
			emitAll(emit, evs)
		}
	}
	return true, nil
}

// cancelOnDone cancels c's waits once ctx ends, until stop is called.
func cancelOnDone(ctx context.Context, c scContext) (stop func()) {
	quit, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		select {
		case <-quit:
			return
		case <-ctx.Done():
		}
		tick := time.NewTicker(cancelRepeat)
		defer tick.Stop()
		for {
			c.cancel()
			select {
			case <-quit:
				return
			case <-tick.C:
			}
		}
	}()
	return func() { close(quit); <-done }
}

// up records a working connection; after an outage it says so.
func (m *Monitor) up() []Event {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.err = nil
	if m.lost {
		m.lost = false
		return []Event{{Kind: ServiceBack}}
	}
	return nil
}

// down records a lost (or never made) connection: every card and reader
// is gone as far as anyone can tell. ServiceLost is reported once per
// outage, with the first reason; Readers gives the latest.
func (m *Monitor) down(err error) []Event {
	m.mu.Lock()
	defer m.mu.Unlock()
	evs := m.removeLocked(func(string) bool { return true })
	m.err = err
	if !m.lost {
		m.lost = true
		evs = append(evs, Event{Kind: ServiceLost, Err: err})
	}
	return evs
}

// removeLocked forgets the readers gone says are gone, sorted by name,
// lifting their cards first.
func (m *Monitor) removeLocked(gone func(string) bool) []Event {
	var names []string
	for n := range m.readers {
		if gone(n) {
			names = append(names, n)
		}
	}
	slices.Sort(names)
	var evs []Event
	for _, n := range names {
		r := m.readers[n]
		if r.Card {
			evs = append(evs, Event{Kind: CardRemoved, Reader: ReaderState{Name: n}})
		}
		delete(m.readers, n)
		evs = append(evs, Event{Kind: ReaderRemoved, Reader: ReaderState{Name: n}})
	}
	return evs
}

// reconcile takes the reader list: readers no longer listed are removed,
// new ones added. It returns the states to wait on: the PnP reader first,
// then every reader, those already watched with what is known of them and
// new ones as unaware, so that the next wait reports their cards at once.
func (m *Monitor) reconcile(names []string, old []readerState) ([]readerState, []Event) {
	listed := map[string]bool{}
	for _, n := range names {
		listed[n] = true
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	evs := m.removeLocked(func(n string) bool { return !listed[n] })
	known := map[string]uint32{}
	for _, st := range old {
		known[st.name] = st.current
	}
	states := []readerState{{name: pnpReader, current: known[pnpReader]}}
	for _, n := range names {
		if n == pnpReader {
			continue
		}
		if _, ok := m.readers[n]; !ok {
			m.readers[n] = ReaderState{Name: n}
			evs = append(evs, Event{Kind: ReaderAdded, Reader: ReaderState{Name: n}})
			known[n] = stateUnaware
		}
		states = append(states, readerState{name: n, current: known[n]})
	}
	return states, evs
}

// apply takes the states one wait returned: the cards placed and lifted,
// and whether the reader list may have changed.
func (m *Monitor) apply(states []readerState) (relist bool, evs []Event) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for i := range states {
		st := &states[i]
		ev, before := st.event, st.current
		if ev&stateChanged == 0 {
			continue
		}
		st.current = ev &^ stateChanged
		if st.name == pnpReader || ev&(stateUnknown|stateUnavailable) != 0 {
			relist = true
			continue
		}
		old, ok := m.readers[st.name]
		if !ok {
			continue // not listed any more: the relist removes it
		}
		now := ReaderState{Name: st.name, Card: ev&statePresent != 0, Mute: ev&stateMute != 0,
			InUse: ev&(stateInUse|stateExclusive) != 0}
		if now.Card {
			now.ATR = slices.Clone(st.atr)
		}
		m.readers[st.name] = now
		// Both present, but the card count moved: the card was swapped
		// between two waits.
		swapped := old.Card && now.Card && before != stateUnaware && before>>16 != ev>>16
		if old.Card && (!now.Card || swapped) {
			evs = append(evs, Event{Kind: CardRemoved, Reader: ReaderState{Name: st.name}})
		}
		if now.Card && (!old.Card || swapped) {
			evs = append(evs, Event{Kind: CardInserted, Reader: cloneState(now)})
		}
	}
	return relist, evs
}

func cloneState(r ReaderState) ReaderState {
	r.ATR = slices.Clone(r.ATR)
	return r
}

// Readers lists the PC/SC readers pcscd knows; none is an empty list.
func Readers(ctx context.Context) ([]string, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	c, err := defaultSystem.establish()
	if err != nil {
		return nil, err
	}
	defer c.release()
	return c.listReaders()
}

// Status lists the PC/SC readers pcscd knows and what each holds, now.
func Status(ctx context.Context) ([]ReaderState, error) { return status(ctx, defaultSystem) }

func status(ctx context.Context, sys system) ([]ReaderState, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	c, err := sys.establish()
	if err != nil {
		return nil, err
	}
	defer c.release()
	names, err := c.listReaders()
	if err != nil || len(names) == 0 {
		return nil, err
	}
	states := make([]readerState, len(names))
	for i, n := range names {
		states[i] = readerState{name: n, current: stateUnaware}
	}
	if err := c.getStatusChange(states, 0); err != nil && !hasCode(err, codeTimeout) {
		return nil, err
	}
	out := make([]ReaderState, len(states))
	for i, st := range states {
		out[i] = ReaderState{Name: st.name, Card: st.event&statePresent != 0, Mute: st.event&stateMute != 0,
			InUse: st.event&(stateInUse|stateExclusive) != 0}
		if out[i].Card {
			out[i].ATR = slices.Clone(st.atr)
		}
	}
	return out, nil
}
