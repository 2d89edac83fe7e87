// Package edge is the commune office's node: the local store with the
// verified subset and the outbox, the officer-facing services (lookup,
// identification, recording changes) and the sync loops that push the
// outbox to the city and pull new subsets.
package edge

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	gosync "sync"
	"time"

	"github.com/xanode/xanode/node/registry"
	"github.com/xanode/xanode/sync/bundle"
	"github.com/xanode/xanode/sync/client"
)

// City is the edge's view of the city cluster (package sync/client).
type City interface {
	Push(ctx context.Context, changes []*registry.Change) ([]*registry.Outcome, error)
	// Bundle fetches the commune's bundle for a node holding subset
	// version since (0: none), resuming the download partial keeps.
	Bundle(ctx context.Context, commune string, since uint64, partial client.Partial) ([]byte, error)
}

// Config of an edge node.
type Config struct {
	Node    string
	Commune string
	Store   *Store
	City    City
	// Import verifies a bundle and installs it in the store (see Importer).
	Import func(ctx context.Context, data []byte) (SubsetInfo, error)
	Clock  *registry.Clock // nil: wall clock
	// Units maps administrative units before the reform of 1 July 2025 to
	// those in force, so that identification takes an old address on a
	// card for the same place (Match); nil: addresses compare as text.
	Units *registry.UnitMap
	// HardLimit is how long after the creation of the bundle held last
	// the subset may back identification decisions (DESIGN.md, "Signed subsets",
	// freeze protection): past it Identify refuses with ErrFrozen and
	// Status says Frozen. 0: DefaultHardLimit.
	HardLimit time.Duration
	PushEvery time.Duration // 0: 5 s
	PullEvery time.Duration // 0: 5 min
	BatchSize int           // 0: 500
	Now       func() time.Time
	Log       *slog.Logger
	// Progress follows long downloads and imports (nil: not followed).
	Progress *Tracker
	// Notify is told of what open pages may want to re-read: a change
	// entered the outbox ("outbox"), an outcome arrived ("outcome"), the
	// sync state changed ("sync"). It must not block. Nil: nobody listens.
	Notify func(kind, change string)
}

// DefaultHardLimit is the freeze limit of DESIGN.md, "Signed subsets": 30 days after
// the bundle was made.
const DefaultHardLimit = 30 * 24 * time.Hour

// Event kinds passed to Config.Notify.
const (
	EventOutbox  = "outbox"
	EventOutcome = "outcome"
	EventSync    = "sync"
)

// Edge runs the services of one edge node.
type Edge struct {
	cfg       Config
	nudge     chan struct{}
	pullNow   chan struct{} // PullSoon
	decideNow chan struct{} // DecisionsSoon
	log       *slog.Logger

	mu        gosync.Mutex
	commune   string    // the commune served; changed by Reassign
	lastErr   error     // last sync failure, shown to the officer
	heldUntil time.Time // the city asked the box to wait until then (Edge.hold)
	batch     int       // current push batch size (0: BatchSize); see PushOnce
	// auditSize is the current audit batch (0: auditBatch); see PushAudit.
	auditSize int
}

// New checks the configuration and returns the edge.
func New(cfg Config) (*Edge, error) {
	if cfg.Node == "" || cfg.Commune == "" || cfg.Store == nil || cfg.City == nil || cfg.Import == nil {
		return nil, errors.New("edge: Node, Commune, Store, City and Import are required")
	}
	if cfg.HardLimit < 0 {
		return nil, fmt.Errorf("edge: HardLimit %v must not be negative (0 means %v)", cfg.HardLimit, DefaultHardLimit)
	}
	if cfg.HardLimit == 0 {
		cfg.HardLimit = DefaultHardLimit
	}
	if cfg.Clock == nil {
		cfg.Clock = registry.NewClock(nil)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.PushEvery == 0 {
		cfg.PushEvery = 5 * time.Second
	}
	if cfg.PullEvery == 0 {
		cfg.PullEvery = 5 * time.Minute
	}
	if cfg.BatchSize == 0 {
		cfg.BatchSize = 500
	}
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	if cfg.Notify == nil {
		cfg.Notify = func(string, string) {}
	}
	if err := cfg.Store.SetIdentity(cfg.Node, cfg.Commune); err != nil {
		return nil, err
	}
	return &Edge{cfg: cfg, commune: cfg.Commune, nudge: make(chan struct{}, 1), pullNow: make(chan struct{}, 1),
		decideNow: make(chan struct{}, 1), log: cfg.Log}, nil
}

// Progress is the download or import under way (zero: none).
func (e *Edge) Progress() Progress { return e.cfg.Progress.Get() }

// Commune is the commune the edge serves.
func (e *Edge) Commune() string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.commune
}

// Reassign makes the edge serve another commune, as city IT decided: the
// old commune's subset is purged at once (nobody may be identified against
// it any more), and the new one is pulled. The outbox and the audit log
// stay: changes already recorded still reach the city.
func (e *Edge) Reassign(commune string) error {
	if commune == e.Commune() {
		return nil
	}
	if err := e.cfg.Store.SetIdentity(e.cfg.Node, commune); err != nil {
		return err
	}
	e.mu.Lock()
	old := e.commune
	e.commune = commune
	e.mu.Unlock()
	e.log.Warn("reassigned by city IT: old subset purged, pulling the new one", "from", old, "to", commune)
	e.cfg.Notify(EventSync, "")
	e.PullSoon()
	return nil
}

// PullSoon wakes the pull loop (the city said the subset changed).
func (e *Edge) PullSoon() {
	select {
	case e.pullNow <- struct{}{}:
	default:
	}
}

// A box that has not reached the city for longer than its hard limit
// serves no personal data: Lookup, Search and Household refuse with a
// *FrozenError, like Identify, until a bundle arrives. Its data may be a
// month out of date, and a box out of contact that long may be out of
// the office's hands.

// Lookup returns a citizen of the local subset.
func (e *Edge) Lookup(id string) (*registry.Citizen, error) {
	if err := e.CheckFrozen(); err != nil {
		return nil, err
	}
	return e.cfg.Store.Citizen(id)
}

// Search finds citizens by name and date of birth (Store.Search).
func (e *Edge) Search(q Query) (Result, error) {
	if err := e.CheckFrozen(); err != nil {
		return Result{}, err
	}
	return e.cfg.Store.Search(q)
}

// Household lists a household's members (Store.Household).
func (e *Edge) Household(id string) ([]*registry.Citizen, error) {
	if err := e.CheckFrozen(); err != nil {
		return nil, err
	}
	return e.cfg.Store.Household(id)
}

// CheckFrozen returns a *FrozenError past the hard limit, and nil before
// it or without a subset (which holds nobody to serve). Callers that
// audit before they read ask it first, so that a refused read is not
// recorded as a view.
func (e *Edge) CheckFrozen() error {
	info, err := e.cfg.Store.Subset()
	switch {
	case errors.Is(err, ErrNoSubset):
		return nil
	case err != nil:
		return err
	}
	if at := e.freezesAt(info); !e.cfg.Now().Before(at) {
		return &FrozenError{Created: info.Created, Since: at}
	}
	return nil
}

// Draft is what an officer submits; Record turns it into a change.
type Draft struct {
	Officer   string
	Op        registry.Op
	Citizen   string // empty for a birth
	Patch     map[string]string
	Procedure string
	Note      string
	// Base is the record version the officer saw, for a citizen who is
	// not in the subset (a visitor whose record the city released); 0
	// takes the local record's version, if any.
	Base uint64
}

// Record validates a draft, stamps it with this node's identity, the next
// sequence number and an HLC time, and stores it in the outbox. The change
// is durable when Record returns; the push loop is woken at once.
func (e *Edge) Record(d Draft) (*registry.Change, error) {
	patch, err := registry.PatchFromMap(d.Patch)
	if err != nil {
		return nil, err
	}
	c := &registry.Change{
		Node: e.cfg.Node, Officer: d.Officer, Op: d.Op, Citizen: d.Citizen,
		Commune: e.Commune(), Patch: patch, Procedure: d.Procedure, Note: d.Note,
		Time: e.cfg.Clock.Now(),
	}
	if c.Op != registry.OpRegisterBirth {
		cit, err := e.cfg.Store.Citizen(d.Citizen)
		if err != nil && !errors.Is(err, ErrNotFound) {
			return nil, err
		}
		if cit != nil {
			c.Base = cit.Version
		} else {
			c.Base = d.Base
		}
	}
	if err := e.cfg.Store.Record(c, e.cfg.Now()); err != nil {
		return nil, err
	}
	e.cfg.Notify(EventOutbox, c.ID())
	e.SyncNow()
	return c, nil
}

// Recent lists the latest recorded changes with their outcomes.
func (e *Edge) Recent(n int) ([]Recorded, error) { return e.cfg.Store.Recent(n) }

// SyncNow wakes the push loop.
func (e *Edge) SyncNow() {
	select {
	case e.nudge <- struct{}{}:
	default:
	}
}

// Status is the edge's state for the UI and GET /v1/status.
type Status struct {
	Node      string
	Commune   string
	Subset    SubsetInfo
	HasSubset bool
	// Stale: the subset is past its expiry; it is still served, and the
	// UI and telemetry say it may be out of date.
	Stale bool
	// Frozen: the subset is past the hard limit (FreezesAt), so
	// identification decisions must not rely on it; Identify refuses.
	// Frozen implies Stale with the default limits.
	Frozen    bool
	FreezesAt time.Time // Subset.Created + Config.HardLimit; zero without a subset
	Queue     Queue
	LastError string
	// HeldUntil is when the city asked this box to send its changes again
	// (its 429 over the box's sending limit); zero when it did not, or a
	// push went through since.
	HeldUntil time.Time
	CheckedAt time.Time
}

// Status reads the current state.
func (e *Edge) Status() (Status, error) {
	st := Status{Node: e.cfg.Node, Commune: e.Commune(), CheckedAt: e.cfg.Now()}
	info, err := e.cfg.Store.Subset()
	switch {
	case err == nil:
		st.Subset, st.HasSubset = info, true
		st.Stale = st.CheckedAt.After(info.Expires)
		st.FreezesAt = e.freezesAt(info)
		st.Frozen = !st.CheckedAt.Before(st.FreezesAt)
	case !errors.Is(err, ErrNoSubset):
		return st, err
	}
	if st.Queue, err = e.cfg.Store.Queue(); err != nil {
		return st, err
	}
	e.mu.Lock()
	if e.lastErr != nil {
		st.LastError = e.lastErr.Error()
	}
	st.HeldUntil = e.heldUntil
	e.mu.Unlock()
	return st, nil
}

// freezesAt is when the subset stops backing identification decisions.
func (e *Edge) freezesAt(info SubsetInfo) time.Time { return info.Created.Add(e.cfg.HardLimit) }

// Run pushes and pulls until ctx ends.
func (e *Edge) Run(ctx context.Context) error {
	var wg gosync.WaitGroup
	wg.Add(3)
	go func() { defer wg.Done(); e.pushLoop(ctx) }()
	go func() { defer wg.Done(); e.pullLoop(ctx) }()
	go func() { defer wg.Done(); e.decisionLoop(ctx) }()
	wg.Wait()
	return nil
}

// setErr records the last sync failure (nil: the last exchange worked) and
// tells listeners when that changes.
func (e *Edge) setErr(err error) {
	e.mu.Lock()
	changed := (e.lastErr == nil) != (err == nil) || (err != nil && e.lastErr.Error() != err.Error())
	e.lastErr = err
	e.mu.Unlock()
	if changed {
		e.cfg.Notify(EventSync, "")
	}
}

// pushLoop drains the outbox whenever woken or on its timer, backing off
// with jitter while the city cannot be reached.
func (e *Edge) pushLoop(ctx context.Context) {
	backoff := time.Duration(0)
	for {
		wait := e.cfg.PushEvery
		if backoff > 0 {
			wait = backoff
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-e.nudge:
			t.Stop()
			if backoff > 0 {
				continue // a new change does not cut a backoff short
			}
		case <-t.C:
		}
		if err := e.PushOnce(ctx); err != nil {
			if ctx.Err() != nil {
				return
			}
			backoff = retryAfter(err, backoff)
			e.hold(err, backoff)
			e.log.Warn("push failed", "err", err, "retry_in", backoff.Round(time.Millisecond))
			continue
		}
		backoff = 0
		e.hold(nil, 0)
		if err := e.PushAudit(ctx); err != nil && ctx.Err() == nil {
			e.log.Warn("audit push failed; retrying with the next push", "err", err)
		}
	}
}

// AuditCity is the optional part of City that takes the audit log: it
// returns the last sequence number the city holds for this node, which is
// also how the city asks for entries again after a gap.
type AuditCity interface {
	PushAudit(ctx context.Context, entries []AuditEntry) (through uint64, err error)
}

// auditBatch is the most audit entries in one push; a failed push halves
// the batch (a link that drops every few tens of kilobytes must still get
// them through), a good one grows it again.
const auditBatch = 200

// PushAudit sends the audit entries the city does not hold yet, in order.
func (e *Edge) PushAudit(ctx context.Context) error {
	ac, ok := e.cfg.City.(AuditCity)
	if !ok {
		return nil
	}
	for {
		sent, err := e.cfg.Store.AuditSent()
		if err != nil {
			return err
		}
		e.mu.Lock()
		size := e.auditSize
		e.mu.Unlock()
		if size == 0 {
			size = auditBatch
		}
		entries, err := e.cfg.Store.AuditAfter(sent, size)
		if err != nil || len(entries) == 0 {
			return err
		}
		through, err := ac.PushAudit(ctx, entries)
		e.mu.Lock()
		if err != nil {
			e.auditSize = max(1, size/2)
		} else {
			e.auditSize = min(auditBatch, size+size/4+1)
		}
		e.mu.Unlock()
		if err != nil {
			return err
		}
		if err := e.cfg.Store.SetAuditSent(through); err != nil {
			return err
		}
		if through < entries[len(entries)-1].Seq {
			return nil // the city asked to resend from an earlier point: next round
		}
	}
}

// retryAfter is how long to wait after a failed try: the next backoff,
// or longer when the city said when to come back (a 429's Retry-After
// over the box's hourly limit; at most an hour).
func retryAfter(err error, backoff time.Duration) time.Duration {
	next := nextBackoff(backoff)
	var se *client.StatusError
	if errors.As(err, &se) && se.RetryAfter > next {
		return min(se.RetryAfter, time.Hour)
	}
	return next
}

// hold notes until when the city asked the box to hold its changes (a 429
// with Retry-After: the box is over its sending limit), which the
// officer's pages say; a push that went through clears it.
func (e *Edge) hold(err error, wait time.Duration) {
	var until time.Time
	if se := (*client.StatusError)(nil); errors.As(err, &se) && se.Code == http.StatusTooManyRequests && se.RetryAfter > 0 {
		until = e.cfg.Now().Add(wait)
	}
	e.mu.Lock()
	e.heldUntil = until
	e.mu.Unlock()
}

// nextBackoff doubles a retry delay up to a ceiling, with jitter over its
// upper half so that a commune's edges do not retry in step. The ceiling
// is short (10 s) because a commune uplink that comes back should be used
// at once: the officer is waiting for outcomes, and a retry is one small
// request.
func nextBackoff(d time.Duration) time.Duration {
	const lo, hi = 500 * time.Millisecond, 10 * time.Second
	d = min(hi, max(lo, 2*d))
	return d/2 + rand.N(d/2+1)
}

// PushOnce sends the outbox in batches until it is empty and stores each
// outcome. A change leaves the outbox only with its outcome.
//
// The batch adapts to the link: a failed push halves it (down to one
// change) so that a link that drops every few kilobytes still gets
// changes through, and each success grows it by a quarter back towards
// BatchSize (slower up than down, so it settles below what breaks).
//
// Proofs of presence read while the city was out of reach go first
// (SendProofs): the changes they back are out of the office's reach
// without them.
func (e *Edge) PushOnce(ctx context.Context) error {
	if err := e.SendProofs(ctx); err != nil {
		e.setErr(err)
		return err
	}
	for {
		e.mu.Lock()
		size := e.batch
		e.mu.Unlock()
		if size == 0 {
			size = e.cfg.BatchSize
		}
		pending, err := e.cfg.Store.Pending(size)
		if err != nil {
			return err
		}
		if len(pending) == 0 {
			return e.cfg.Store.dropSettledProofs()
		}
		outs, err := e.cfg.City.Push(ctx, pending)
		e.mu.Lock()
		if err != nil {
			e.batch = max(1, size/2)
		} else {
			e.batch = min(e.cfg.BatchSize, size+size/4+1)
		}
		e.mu.Unlock()
		if err != nil {
			e.setErr(err)
			return err
		}
		for _, o := range outs {
			// A duplicate answers a retry of our own push whose first
			// answer was lost on the way: the decision that counts is the
			// original one.
			if o.Result == registry.Duplicate && o.Original != "" {
				o.Result, o.Original = o.Original, ""
			}
		}
		if err := e.cfg.Store.Settle(e.cfg.Node, outs, e.cfg.Now()); err != nil {
			return err
		}
		e.setErr(nil)
		for _, o := range outs {
			e.cfg.Notify(EventOutcome, o.Change)
		}
		e.log.Info("pushed", "changes", len(pending))
	}
}

func (e *Edge) pullLoop(ctx context.Context) {
	backoff := time.Duration(0)
	for {
		err := e.PullOnce(ctx)
		wait := e.cfg.PullEvery
		if err != nil && ctx.Err() == nil {
			backoff = retryAfter(err, backoff)
			wait = backoff
			e.log.Warn("pull failed", "err", err, "retry_in", wait.Round(time.Millisecond))
		} else {
			backoff = 0
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		case <-e.pullNow:
			t.Stop()
			if !e.outboxSettled(ctx, wait) {
				return
			}
		}
	}
}

// outboxSettled waits, up to limit, until the outbox is empty. A city
// notification after our own pushes would otherwise pull a delta over a
// slow link while the rest of the outbox still waits to go up: the pushes
// come first, and one pull after them brings every change back.
func (e *Edge) outboxSettled(ctx context.Context, limit time.Duration) bool {
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		q, err := e.cfg.Store.Queue()
		if err != nil || q.Pending == 0 {
			return true
		}
		select {
		case <-ctx.Done():
			return false
		case <-time.After(time.Second):
		}
	}
	return true
}

// PullOnce fetches the commune's bundle for the version held (a delta, a
// refresh or a full bundle, as the city decides) and installs it. A delta
// that does not apply, because the subset held is not the one it starts
// from or it does not reach its signed digest, is followed at once by a
// full bundle.
func (e *Edge) PullOnce(ctx context.Context) error {
	since := uint64(0)
	info, err := e.cfg.Store.Subset()
	switch {
	case err == nil:
		since = info.Version
	case !errors.Is(err, ErrNoSubset):
		return err
	}
	err = e.pull(ctx, since)
	if since != 0 && (errors.Is(err, ErrNeedFull) || errors.Is(err, bundle.ErrDigestMismatch)) {
		e.log.Warn("delta refused; asking for a full bundle", "err", err)
		err = e.pull(ctx, 0)
	}
	e.setErr(err)
	return err
}

func (e *Edge) pull(ctx context.Context, since uint64) error {
	var partial client.Partial = e.cfg.Store.Partial()
	if e.cfg.Progress != nil {
		partial = trackedPartial{e.cfg.Store.Partial(), e.cfg.Progress}
		defer e.cfg.Progress.Stop()
	}
	data, err := e.cfg.City.Bundle(ctx, e.Commune(), since, partial)
	if err != nil {
		return err
	}
	if err := e.cfg.Store.Contact(e.cfg.Now()); err != nil {
		e.log.Warn("last contact with the city not saved", "err", err)
	}
	info, err := e.cfg.Import(ctx, data)
	if errors.Is(err, ErrNotNewer) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("edge: bundle refused: %w", err)
	}
	e.cfg.Notify(EventSync, "")
	e.log.Info("subset installed", "commune", info.Commune, "version", info.Version, "records", info.Count)
	return nil
}
