// Package fsm is the city's raft state machine: the population registry in
// bbolt and the deterministic rules that decide the outcome of every change
// (DESIGN.md, "Conflict resolution"). Apply is a pure function of (state, log entry): the
// FSM reads no clock, no randomness and no configuration that could differ
// between replicas, so every replica reaches the same state and the same
// outcomes, which the state digest makes checkable.
//
// The raft log command is Command (command.go): its Kind, the leader's
// receive time, its sender and one kind's payload (sync/wire's push batch,
// the registry's encoding of records, or JSON), encoded by Command.Encode
// and decoded and checked by DecodeCommand; the numbers of the kinds are
// part of the log format. What each kind answers is listed at
// FSM.ApplyBatch.
package fsm

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	gosync "sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/raft"
	bolt "go.etcd.io/bbolt"

	"github.com/xanode/xanode/node/quality"
	"github.com/xanode/xanode/node/registry"
	"github.com/xanode/xanode/sync/digest"
)

// cityNode is the node name the city stamps on imported and corrected data.
const cityNode = "city"

// Config holds the decision thresholds. Every replica must run with the
// same Config: it is part of the cluster's definition, not a node's.
type Config struct {
	Province     string        // province code for IDs assigned to births
	PoolFirst    int           // first serial of the birth ID pool
	PoolLast     int           // last serial of the birth ID pool
	ClampAfter   time.Duration // action times beyond receive time + this are clamped
	ReviewWindow time.Duration // competing residence registrations closer than this go to review
	// Quality holds the data-quality rules' thresholds (DESIGN.md, "Data
	// quality"); a zero value (CardAge 0) means quality.DefaultConfig().
	Quality quality.Config
}

// DefaultConfig is the configuration of DESIGN.md, "Conflict resolution", with a synthetic
// ID pool for Cần Thơ.
func DefaultConfig() Config {
	return Config{
		Province:     "092",
		PoolFirst:    900000,
		PoolLast:     999999,
		ClampAfter:   5 * time.Minute,
		ReviewWindow: 24 * time.Hour,
		Quality:      quality.DefaultConfig(),
	}
}

// Validate checks ranges.
func (c Config) Validate() error {
	switch {
	case len(c.Province) != 3:
		return fmt.Errorf("fsm: province %q must be 3 digits", c.Province)
	case c.PoolFirst < 0 || c.PoolLast > 999999 || c.PoolFirst > c.PoolLast:
		return fmt.Errorf("fsm: birth ID pool %d..%d must lie within 0..999999", c.PoolFirst, c.PoolLast)
	case c.ClampAfter <= 0 || c.ReviewWindow <= 0:
		return errors.New("fsm: clamp and review durations must be positive")
	}
	q := c.Quality
	if q.CardAge == 0 {
		q = quality.DefaultConfig()
	}
	return q.Validate()
}

// FSM implements raft.BatchingFSM over a bbolt file.
//
// Applied entries are committed to disk in groups (etcd's backend does the
// same): ApplyBatch writes into an open bbolt write transaction that is
// committed at most flushEvery later, by the next ApplyBatch or by a
// background flusher, and before any read, snapshot or close. The raft log
// is already durable, so a crash loses nothing: on restart raft restores
// the latest snapshot and replays the log, and the applied index kept in
// the same transaction as the state skips what the file already holds.
// What this saves is an fsync per raft entry on the commit path. Where the
// machine's boot can be told, commits skip the fsync altogether and a
// file a stopped machine left open is rebuilt instead (unsynced.go).
type FSM struct {
	cfg     Config
	path    string
	checker *quality.Checker // the data-quality rules (quality.go)

	mu gosync.RWMutex // held for reading by every use of db; for writing by Restore and Close
	db *bolt.DB
	h  *digest.Hash // state digest, in step with the applied state

	unsynced bool // commits skip the fsync (unsynced.go)

	wmu   gosync.Mutex // guards wtx and since; taken after mu
	wtx   *bolt.Tx     // applied entries not yet committed; nil when none
	since time.Time    // when wtx began
	// officers caches decoded officer accounts across batches (guarded by
	// wmu): every change reads its officer's account (officerCheck), and
	// decoding its JSON was a tenth of a change's apply.
	officers map[string]Officer
	// findings caches decoded findings across batches (guarded by wmu),
	// by ID with the bytes they were decoded from, as records does: the
	// re-check reads a touched citizen's findings several times an entry.
	findings map[uint64]cachedFinding
	// records caches decoded citizen records across batches (guarded by
	// wmu), written through: storeCitizen, the only writer of records,
	// keeps its entry in step with what it stores, so an entry is what
	// the store holds, committed or not, and is used without reading the
	// store (reading and comparing was a tenth of a replica's apply).
	// Restore, which replaces the state, clears it; so does reaching
	// maxRecordCache. TestReplicasAgree holds it to that: a replica
	// restored over its own later state reaches the others' digest.
	records map[string]*cachedCitizen
	// newest mirrors the history chain's index bLastHist for the citizens
	// recently written (guarded by wmu): storeNewest writes both, Restore
	// clears it with the state it replaces.
	newest map[string][]byte
	// lastHist is each citizen's newest history entry applied since the
	// last commit (guarded by wmu), stored in bLastHist by storeNewest
	// just before the commit: once a commit, not once a batch, for a
	// citizen the entries of several batches name.
	lastHist map[string][]byte
	// decided is, by node, the highest sequence number of its changes
	// decided (guarded by wmu; txn.mayBeDecided): above it a change is
	// new and its outcome is not looked up. Restore clears it.
	decided map[string]uint64
	// blockSize is the size of the last history block stored (guarded by
	// wmu), which the next one's buffer starts at.
	blockSize int

	stop     chan struct{} // closed by Close: ends the flusher
	stopOnce gosync.Once
	done     chan struct{}

	authMu  gosync.RWMutex // guards auth and revoked
	auth    map[string]nodeAuth
	revoked map[string]bool // serials on the fleet CA's revocation list (crl.go)

	observer atomic.Pointer[func([]Event)]
	onCRL    atomic.Pointer[func()]
	onCommit atomic.Pointer[func(time.Duration)]
}

// Event is something observers of the FSM act on once it is applied:
// edges to notify, connections to cut.
type Event struct {
	Kind     EventKind
	Commune  string   // EventSubset
	Version  uint64   // EventSubset: the commune's new subset version; EventTrust: the trust version
	Node     string   // EventRevoked, EventAssigned, EventDecided (the node that recorded the change)
	Reason   string   // EventRevoked
	Communes []string // EventAssigned
	Change   string   // EventDecided: the change ID
}

// EventKind says what an Event is about.
type EventKind int

// The events.
const (
	EventSubset   EventKind = iota + 1 // a commune's subset changed
	EventRevoked                       // a node was revoked or suspended
	EventAssigned                      // a node's communes changed
	EventCRL                           // the fleet CA's revocation list changed
	EventTrust                         // the CSCA trust set changed
	EventDecided                       // city IT decided a change that was under review
)

// Observe sets the function that hears the events of every applied batch,
// in log order, after the batch is applied. It runs on raft's apply path:
// it must return at once (queue, never block). nil stops observing.
func (f *FSM) Observe(fn func([]Event)) {
	if fn == nil {
		f.observer.Store(nil)
		return
	}
	f.observer.Store(&fn)
}

// OnCRL sets the function called after a new fleet revocation list took
// effect (applied, or brought by a snapshot): the raft transport closes
// the connections of certificates it now revokes. It runs on raft's apply
// path and must return promptly. nil stops it.
func (f *FSM) OnCRL(fn func()) {
	if fn == nil {
		f.onCRL.Store(nil)
		return
	}
	f.onCRL.Store(&fn)
}

// OnCommit sets the function told how long each commit of applied
// entries to the state file took (its fsync included), for metrics. It
// runs with the FSM's write lock held and must return at once.
func (f *FSM) OnCommit(fn func(time.Duration)) {
	if fn == nil {
		f.onCommit.Store(nil)
		return
	}
	f.onCommit.Store(&fn)
}

func (f *FSM) crlChanged() {
	if fn := f.onCRL.Load(); fn != nil {
		(*fn)()
	}
}

// flushEvery bounds how long applied entries wait to be committed to the
// state file. A commit holds up the entries behind it; at 10 ms, under
// load every batch paid one (DESIGN.md, "Performance budgets"). Reads
// commit first, so readers never wait for it.
const flushEvery = 100 * time.Millisecond

var boltOptions = &bolt.Options{
	Timeout: time.Second,
	// A long snapshot read holds the mmap lock; growing the map would make
	// writers wait for it. Reserve address space up front instead.
	InitialMmapSize: 1 << 30,
	FreelistType:    bolt.FreelistMapType,
	NoFreelistSync:  true,
}

// Open opens (or creates) the FSM state at path.
func Open(path string, cfg Config) (*FSM, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	qcfg := cfg.Quality
	if qcfg.CardAge == 0 {
		qcfg = quality.DefaultConfig()
	}
	checker, err := quality.NewChecker(qcfg)
	if err != nil {
		return nil, err
	}
	f := &FSM{cfg: cfg, path: path, checker: checker, stop: make(chan struct{}), done: make(chan struct{}), officers: map[string]Officer{}, findings: map[uint64]cachedFinding{},
		records: map[string]*cachedCitizen{}, newest: map[string][]byte{}, lastHist: map[string][]byte{},
		decided: map[string]uint64{}}
	if f.unsynced, err = openUnsynced(path); err != nil {
		return nil, err
	}
	if err := f.open(); err != nil {
		return nil, err
	}
	go f.flusher()
	return f, nil
}

// flusher commits applied entries that have waited flushEvery.
func (f *FSM) flusher() {
	defer close(f.done)
	t := time.NewTicker(flushEvery / 2)
	defer t.Stop()
	for {
		select {
		case <-f.stop:
			return
		case <-t.C:
		}
		f.mu.RLock()
		f.wmu.Lock()
		if f.wtx != nil && time.Since(f.since) >= flushEvery {
			f.commitLocked()
		}
		f.wmu.Unlock()
		f.mu.RUnlock()
	}
}

// commitLocked commits the pending write transaction, if any. The caller
// holds mu (for reading at least) and wmu.
func (f *FSM) commitLocked() {
	if f.wtx == nil {
		return
	}
	start := time.Now()
	f.storeNewest()
	err := f.wtx.Commit()
	f.wtx = nil
	if fn := f.onCommit.Load(); fn != nil {
		(*fn)(time.Since(start))
	}
	if err != nil {
		// The disk failed under committed entries: continuing would let
		// this replica diverge silently. Stop; raft replays the log on
		// restart.
		panic(fmt.Sprintf("fsm: commit failed: %v", err))
	}
}

// storeNewest stores each citizen's newest history entry applied since the
// last commit (lastHist) in bLastHist, in ID order, and mirrors it in
// newest.
func (f *FSM) storeNewest() {
	if len(f.lastHist) == 0 {
		return
	}
	if len(f.newest)+len(f.lastHist) > maxNewest {
		clear(f.newest)
	}
	last := f.wtx.Bucket(bLastHist)
	for _, id := range slices.Sorted(maps.Keys(f.lastHist)) {
		if err := last.Put([]byte(id), f.lastHist[id]); err != nil {
			panic(fmt.Sprintf("fsm: bbolt history chain: %v", err))
		}
		f.newest[id] = f.lastHist[id]
	}
	clear(f.lastHist)
}

// flush commits pending applied entries, so that a reader sees them.
func (f *FSM) flush() {
	f.wmu.Lock()
	f.commitLocked()
	f.wmu.Unlock()
}

func (f *FSM) open() error {
	opts := *boltOptions
	opts.NoSync = f.unsynced
	// Growing the file (every AllocSize, 16 MiB) truncates it and fsyncs
	// it, flushing every page the unsynced commits left in the page cache:
	// a stall of the apply path each time. An unsynced file is not
	// trusted after a machine's crash anyway (unsynced.go), so it grows as
	// it is written.
	opts.NoGrowSync = f.unsynced
	db, err := bolt.Open(f.path, 0o600, &opts)
	if err != nil {
		return fmt.Errorf("fsm: open %s: %w", f.path, err)
	}
	h := digest.New()
	err = db.Update(func(tx *bolt.Tx) error {
		if err := createBuckets(tx); err != nil {
			return err
		}
		if n := levelOf(tx); n > ReleaseLevel {
			// A node started on an older release than its state's
			// (level.go): it would decide otherwise than the others.
			return fmt.Errorf("%w: the state is at feature level %d and this release implements %d: run a release that does", ErrLevelAhead, n, ReleaseLevel)
		}
		buildQualityIndex(&txn{tx: tx, h: h})
		buildSpouseIndex(&txn{tx: tx, h: h})
		if v := tx.Bucket(bMeta).Get(kDigest); v != nil {
			if err := h.UnmarshalBinary(v); err != nil {
				return err
			}
		}
		if err := f.loadAuth(tx); err != nil {
			return err
		}
		return f.loadCRL(tx)
	})
	if err != nil {
		db.Close()
		return fmt.Errorf("fsm: init %s: %w", f.path, err)
	}
	f.db, f.h = db, h
	return nil
}

// Close commits what is pending, stops the flusher, syncs and closes the
// bbolt file. Safe to call twice.
func (f *FSM) Close() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.db == nil {
		return nil
	}
	f.stopOnce.Do(func() { close(f.stop) })
	f.mu.Unlock()
	<-f.done // the flusher takes mu for reading: let it finish
	f.mu.Lock()
	f.flush()
	var err error
	if f.unsynced {
		err = f.db.Sync()
	}
	err = errors.Join(err, f.db.Close())
	f.db = nil
	if f.unsynced && err == nil {
		err = closeUnsynced(f.path)
	}
	return err
}

// Apply applies one log entry.
func (f *FSM) Apply(l *raft.Log) any { return f.ApplyBatch([]*raft.Log{l})[0] }

// ApplyBatch applies committed entries in one bbolt transaction, with the
// last applied index stored in the same transaction so that a replay after
// a restart skips what is already applied. The response to a KindChanges
// entry is []*registry.Outcome; to KindGroup, []any holding each push's
// response in order; to KindImport, the number of records; to KindResolve
// and KindCorrect, the *registry.Outcome; to KindEnroll, KindAudit,
// KindPresence, KindTrust, KindNodeKey, KindFindingReview and
// KindQualitySweep, an *EnrollResult, *AuditResult, *Presence,
// *TrustResult, *NodeKeyResult, *Finding and *SweepResult (sync/cluster's
// typed commands give them so); a malformed or refused entry yields an
// error (the same on every replica).
func (f *FSM) ApplyBatch(logs []*raft.Log) []any {
	out, events := f.applyBatch(logs)
	if fn := f.observer.Load(); fn != nil && len(events) > 0 {
		(*fn)(events)
	}
	for _, e := range events {
		if e.Kind == EventCRL {
			f.crlChanged()
			break
		}
	}
	return out
}

func (f *FSM) applyBatch(logs []*raft.Log) ([]any, []Event) {
	f.mu.RLock()
	defer f.mu.RUnlock()
	f.wmu.Lock()
	defer f.wmu.Unlock()
	if f.wtx == nil {
		tx, err := f.db.Begin(true)
		if err != nil {
			panic(fmt.Sprintf("fsm: begin for entries %d..%d: %v", logs[0].Index, logs[len(logs)-1].Index, err))
		}
		f.wtx, f.since = tx, time.Now()
	}
	tx := f.wtx
	out := make([]any, len(logs))
	t := &txn{tx: tx, h: f.h, officers: f.officers, findings: f.findings, records: f.records, newest: f.newest, lastHist: f.lastHist, decided: f.decided}
	t.block.size = f.blockSize
	// Records of ~600 bytes fill a 4 KiB page in a few; bbolt's default
	// split at half a page would leave the file half empty under the
	// random order in which IDs arrive. Pack pages fuller.
	tx.Bucket(bCitizens).FillPercent = 0.9
	// The history and the subset log only grow at their ends (increasing
	// sequence numbers and raft indexes): a split there should leave the
	// left page full, not half empty.
	tx.Bucket(bHistory).FillPercent = 1.0
	tx.Bucket(bSubsetLog).FillPercent = 1.0
	applied, commands := t.counter(kApplied), t.counter(kCommands)
	for i, l := range logs {
		if l.Index <= applied {
			continue
		}
		applied = l.Index
		if l.Type == raft.LogCommand {
			out[i] = f.applyCommand(t, l)
			t.flushBlock()
			f.checkQuality(t)
			commands++
		}
	}
	f.blockSize = t.block.size
	t.flushFigures()
	t.flushIndexes()
	t.flushBatch()
	t.setCounter(kApplied, applied)
	t.setCounter(kCommands, commands)
	v, err := f.h.MarshalBinary()
	if err == nil {
		err = tx.Bucket(bMeta).Put(kDigest, v)
	}
	if err != nil {
		panic(fmt.Sprintf("fsm: entries %d..%d: %v", logs[0].Index, logs[len(logs)-1].Index, err))
	}
	if time.Since(f.since) >= flushEvery {
		f.commitLocked()
	}
	return out, t.events
}

func (f *FSM) applyCommand(t *txn, l *raft.Log) any {
	cmd, err := DecodeCommand(l.Data)
	if err != nil {
		return err
	}
	if !cmd.Legacy() {
		// The city refused it before it reached the log; checked again
		// because the log is the contract between replicas.
		if err := cmd.Authorize(); err != nil {
			return err
		}
	}
	f.beginQuality(t, l.Index, cmd.Received)
	switch cmd.Kind {
	case KindChanges:
		return f.applyChanges(t, l.Index, cmd)
	case KindGroup:
		return f.applyGroup(t, l.Index, cmd)
	case KindImport:
		stamp := registry.Stamp{Index: l.Index, Time: registry.HLCFromTime(cmd.Received), Node: cityNode}
		for _, r := range cmd.Records {
			importRecord(t, r, stamp)
		}
		return len(cmd.Records)
	case KindAssign:
		v := []byte(joinCommunes(cmd.Communes))
		t.put(bNodes, []byte(cmd.Node), v, true)
		t.events = append(t.events, Event{Kind: EventAssigned, Node: cmd.Node, Communes: cmd.Communes})
		return nil
	case KindPeer:
		t.put(bPeers, []byte(cmd.Node), []byte(cmd.URL), true)
		return nil
	case KindResolve:
		return errOr(f.resolve(t, l.Index, cmd.Received, cmd))
	case KindCorrect:
		return errOr(f.correct(t, l.Index, cmd.Received, cmd))
	case KindOfficer:
		return f.applyOfficer(t, l.Index, cmd)
	case KindCRL:
		return f.applyCRL(t, cmd)
	case KindTrust:
		return f.applyTrust(t, l.Index, cmd)
	case KindChallenge:
		return f.applyChallenge(t, cmd)
	case KindPresence:
		return f.applyPresence(t, l.Index, cmd)
	case KindNodeKey:
		return f.applyNodeKey(t, cmd)
	case KindFindingReview:
		return f.applyReview(t, l.Index, cmd)
	case KindQualitySweep:
		return f.applySweep(t, cmd.Sweep, cmd.Received)
	case KindLevel:
		return f.applyLevel(t, l.Index, cmd)
	default:
		if cmd.Kind.fleet() {
			return f.applyFleet(t, l.Index, cmd)
		}
	}
	return fmt.Errorf("fsm: unhandled command kind %d", cmd.Kind)
}

// applyChanges decides a push's changes in order.
func (f *FSM) applyChanges(t *txn, index uint64, cmd *Command) []*registry.Outcome {
	outs := make([]*registry.Outcome, len(cmd.Changes))
	for i, c := range cmd.Changes {
		outs[i] = f.applyChange(t, cmd, index, c)
	}
	return outs
}

// importRecord replaces a record with the imported values, stamped as a
// city change.
func importRecord(t *txn, r *registry.Citizen, stamp registry.Stamp) {
	old := loadCitizen(t, r.ID)
	oldCommune := ""
	if old != nil {
		oldCommune = old.Get(registry.FieldCommune)
	}
	c := &registry.Citizen{ID: r.ID}
	for fld := registry.Field(1); int(fld) < registry.NumFields; fld++ {
		if v := r.Values[fld]; v != "" {
			c.Set(fld, v, stamp)
		}
	}
	if c.Get(registry.FieldStatus) == "" {
		c.Set(registry.FieldStatus, registry.StatusAlive, stamp)
	}
	storeCitizen(t, c, oldCommune)
}

func joinCommunes(cs []string) string {
	b := make([]byte, 0, 6*len(cs))
	for i, c := range cs {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, c...)
	}
	return string(b)
}

// Snapshot captures the state for raft. Persist streams a consistent bbolt
// read transaction, so writers keep going while it runs.
func (f *FSM) Snapshot() (raft.FSMSnapshot, error) {
	f.mu.RLock()
	defer f.mu.RUnlock()
	f.flush() // the snapshot must hold every entry applied so far
	tx, err := f.db.Begin(false)
	if err != nil {
		return nil, fmt.Errorf("fsm: snapshot: %w", err)
	}
	return &snapshot{tx: tx}, nil
}

type snapshot struct{ tx *bolt.Tx }

func (s *snapshot) Persist(sink raft.SnapshotSink) error {
	if _, err := s.tx.WriteTo(sink); err != nil {
		sink.Cancel()
		return fmt.Errorf("fsm: write snapshot: %w", err)
	}
	return sink.Close()
}

func (s *snapshot) Release() { s.tx.Rollback() }

// Restore replaces the state with a snapshot: it is written beside the live
// file, synced, and renamed over it, so a crash leaves one or the other.
func (f *FSM) Restore(rc io.ReadCloser) error {
	defer rc.Close()
	tmp := f.path + ".restore"
	w, err := os.OpenFile(tmp, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
	if err != nil {
		return fmt.Errorf("fsm: restore: %w", err)
	}
	if _, err := io.Copy(w, rc); err != nil {
		w.Close()
		return fmt.Errorf("fsm: restore: copy: %w", err)
	}
	if err := w.Sync(); err != nil {
		w.Close()
		return fmt.Errorf("fsm: restore: sync: %w", err)
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("fsm: restore: %w", err)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.wmu.Lock()
	if f.wtx != nil {
		f.wtx.Rollback() // replaced by the snapshot anyway
		f.wtx = nil
	}
	clear(f.newest) // it mirrored the state replaced
	clear(f.lastHist)
	clear(f.records)
	clear(f.decided)
	f.wmu.Unlock()
	if err := f.db.Close(); err != nil {
		return fmt.Errorf("fsm: restore: close: %w", err)
	}
	if err := os.Rename(tmp, f.path); err != nil {
		return fmt.Errorf("fsm: restore: rename: %w", err)
	}
	if err := f.open(); err != nil {
		return err
	}
	f.crlChanged()
	return nil
}

// Status is a summary of the state.
type Status struct {
	AppliedIndex uint64
	Commands     uint64 // command entries applied (not raft's own entries)
	Citizens     uint64
	Changes      uint64 // entries in the change history
	Level        uint64 // the cluster's feature level (level.go)
	Digest       [32]byte
}

// Status reads the summary in one consistent view.
func (f *FSM) Status() (Status, error) {
	var s Status
	err := f.view(func(tx *bolt.Tx) error {
		var err error
		s, err = statusOf(tx)
		return err
	})
	return s, err
}

func meta(b *bolt.Bucket, k []byte) uint64 {
	if v := b.Get(k); len(v) == 8 {
		return binary.BigEndian.Uint64(v)
	}
	return 0
}

// ErrClosed is returned by reads after Close.
var ErrClosed = errors.New("fsm: closed")

// viewCommitted runs fn on the committed state, without committing the
// entries applied since: for reads that may lag by flushEvery.
func (f *FSM) viewCommitted(fn func(*bolt.Tx) error) error {
	f.mu.RLock()
	defer f.mu.RUnlock()
	if f.db == nil {
		return ErrClosed
	}
	return f.db.View(fn)
}

// view reads in a consistent read transaction that includes every applied
// entry (pending ones are committed first: reads are rare on a city node,
// applies are not).
func (f *FSM) view(fn func(*bolt.Tx) error) error {
	f.mu.RLock()
	defer f.mu.RUnlock()
	if f.db == nil {
		return ErrClosed
	}
	f.flush()
	return f.db.View(fn)
}

// errOr makes a (value, error) pair one FSM response.
func errOr(o *registry.Outcome, err error) any {
	if err != nil {
		return err
	}
	return o
}
