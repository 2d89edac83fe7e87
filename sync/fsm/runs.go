package fsm

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"slices"
	"strconv"
	"strings"

	bolt "go.etcd.io/bbolt"

	"github.com/xanode/xanode/node/registry"
)

// Outcome runs (feature level 3; DESIGN.md, "Conflict resolution": history
// blocks). The outcome a change is decided is the tail of its history
// entry. Up to level 2 it was also stored on its own, by change ID: a
// B+tree put a change, a sixth of a replica's apply, and most of the
// pages a commit wrote. From level 3 the history holds it alone, and
// bRuns finds a change's entry: an edge's push records its changes one
// after the other, numbered one after the other, so one record maps a run
// of them,
//
//	uvarint(len(node)) node seq(8) → entry(8) count(4)
//
// the changes node/seq … node/seq+count-1 being history entries entry …
// entry+count-1. Runs end with their log entry (historyblocks.go), so
// every replica stores the same. The outcomes bucket keeps what it held
// before the raise and the outcomes resolutions decide, which come first.
var bRuns = []byte("history_runs")

// runVal is a run's value: the first entry(8) and the count(4).
const runVal = 8 + 4

// run is a run the log entry being applied builds.
type run struct {
	node       string
	seq, entry uint64
	count      uint64
}

// runKey is the key of node's run starting at seq.
func runKey(node string, seq uint64) []byte {
	k := binary.AppendUvarint(make([]byte, 0, 2+len(node)+8), uint64(len(node)))
	k = append(k, node...)
	return binary.BigEndian.AppendUint64(k, seq)
}

// addRun notes that change node/seq is history entry entry.
func (t *txn) addRun(node string, seq, entry uint64) {
	// A run never wraps past the largest number (Authorize refuses a
	// change numbered 0, which would follow it; kept should that change).
	if r := t.runs[node]; r != nil && seq == r.seq+r.count && seq > r.seq && entry == r.entry+r.count && r.count < 1<<31 {
		r.count++
		return
	}
	if r := t.runs[node]; r != nil {
		t.storeRun(r)
	}
	if t.runs == nil {
		t.runs = map[string]*run{}
	}
	t.runs[node] = &run{node: node, seq: seq, entry: entry, count: 1}
}

func (t *txn) storeRun(r *run) {
	v := binary.BigEndian.AppendUint64(make([]byte, 0, runVal), r.entry)
	v = binary.BigEndian.AppendUint32(v, uint32(r.count))
	if err := t.tx.Bucket(bRuns).Put(runKey(r.node, r.seq), v); err != nil {
		panic(fmt.Sprintf("fsm: bbolt history runs: %v", err))
	}
}

// flushRuns stores the runs of the log entry just applied, in node order
// (runs of one node were stored as they ended).
func (t *txn) flushRuns() {
	if len(t.runs) == 0 {
		return
	}
	nodes := make([]string, 0, len(t.runs))
	for n := range t.runs {
		nodes = append(nodes, n)
	}
	slices.Sort(nodes)
	for _, n := range nodes {
		t.storeRun(t.runs[n])
	}
	clear(t.runs)
}

// runEntry finds the history entry of change node/seq through the runs
// stored (0, false: none maps it).
func runEntry(runs *bolt.Bucket, node string, seq uint64) (uint64, bool) {
	key := runKey(node, seq)
	prefix := key[:len(key)-8]
	c := runs.Cursor()
	k, v := c.Seek(key)
	if !bytes.Equal(k, key) {
		k, v = c.Prev()
	}
	if k == nil || len(k) != len(key) || !bytes.HasPrefix(k, prefix) || len(v) != runVal {
		return 0, false
	}
	first, n := binary.BigEndian.Uint64(k[len(prefix):]), uint64(binary.BigEndian.Uint32(v[8:]))
	if seq < first || seq-first >= n {
		return 0, false
	}
	return binary.BigEndian.Uint64(v) + (seq - first), true
}

// lastRun is the highest change number of node the stored runs map (0:
// none).
func lastRun(runs *bolt.Bucket, node string) uint64 {
	prefix := runKey(node, 0)
	prefix = prefix[:len(prefix)-8]
	c := runs.Cursor()
	end := append(bytes.Clone(prefix), 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff)
	k, v := c.Seek(end)
	switch {
	case k == nil:
		k, v = c.Last()
	case !bytes.Equal(k, end):
		k, v = c.Prev()
	}
	if k == nil || len(k) != len(prefix)+8 || !bytes.HasPrefix(k, prefix) || len(v) != runVal {
		return 0
	}
	return binary.BigEndian.Uint64(k[len(prefix):]) + uint64(binary.BigEndian.Uint32(v[8:])) - 1
}

// splitID parses a change ID into its node and number.
func splitID(id string) (string, uint64, bool) {
	i := strings.LastIndexByte(id, '/')
	if i < 0 {
		return "", 0, false
	}
	seq, err := strconv.ParseUint(id[i+1:], 10, 64)
	return id[:i], seq, err == nil
}

// outcomeOf returns the outcome stored for a change (nil: none): the
// outcomes bucket's (a resolution's, or one from before level 3), or the
// tail of the history entry a run maps the change to.
func outcomeOf(tx *bolt.Tx, id string) (*registry.Outcome, error) {
	if v := tx.Bucket(bOutcomes).Get([]byte(id)); v != nil {
		o, _, err := registry.DecodeOutcome(v)
		return o, err
	}
	node, seq, ok := splitID(id)
	if !ok {
		return nil, nil
	}
	entry, ok := runEntry(tx.Bucket(bRuns), node, seq)
	if !ok {
		return nil, nil
	}
	v, _, err := historyEntry(tx, entry)
	if err != nil {
		return nil, err
	}
	return entryOutcomeOf(v, id)
}

// entryOutcomeOf decodes a history entry's outcome, which must be of
// change id.
func entryOutcomeOf(entry []byte, id string) (*registry.Outcome, error) {
	e, err := decodeEntry(entry)
	if err == nil && e.Outcome.Change != id {
		err = fmt.Errorf("fsm: the history entry of %s records %s", id, e.Outcome.Change)
	}
	return e.Outcome, err
}

// decidedOutcome is outcomeOf in the batch: also the entries and runs of
// the log entry being applied.
func (t *txn) decidedOutcome(c *registry.Change) (*registry.Outcome, error) {
	id := c.ID()
	if v := t.get(bOutcomes, []byte(id)); v != nil {
		o, _, err := registry.DecodeOutcome(v)
		return o, err
	}
	if t.level() < 3 {
		return nil, nil
	}
	var entry uint64
	if r := t.runs[c.Node]; r != nil && c.Seq >= r.seq && c.Seq-r.seq < r.count {
		entry = r.entry + (c.Seq - r.seq)
	} else if e, ok := runEntry(t.tx.Bucket(bRuns), c.Node, c.Seq); ok {
		entry = e // a run stored already, perhaps one the log entry ended
	} else {
		return nil, nil
	}
	v := t.block.entry(entry)
	if v == nil {
		var err error
		if v, _, err = historyEntry(t.tx, entry); err != nil {
			return nil, err
		}
	}
	return entryOutcomeOf(v, id)
}

// verifyRuns checks the runs stored against the history blocks for
// Verify: each block entry's change is mapped to it (checkRun), runs of a
// node do not overlap, and they map as many changes as the blocks hold,
// so none maps a change the history does not record there.
func verifyRuns(runs *bolt.Bucket, entries uint64) error {
	var mapped uint64
	var lastNode []byte
	var next uint64
	err := runs.ForEach(func(k, v []byte) error {
		n, m := binary.Uvarint(k)
		if m <= 0 || uint64(len(k)-m) != n+8 || len(v) != runVal {
			return fmt.Errorf("%w: history run %x", ErrDigestMismatch, k)
		}
		node, seq := k[m:m+int(n)], binary.BigEndian.Uint64(k[m+int(n):])
		count := uint64(binary.BigEndian.Uint32(v[8:]))
		if bytes.Equal(node, lastNode) && seq < next {
			return fmt.Errorf("%w: history runs of %s overlap at %d", ErrDigestMismatch, node, seq)
		}
		lastNode, next, mapped = append(lastNode[:0], node...), seq+count, mapped+count
		return nil
	})
	if err == nil && mapped != entries {
		err = fmt.Errorf("%w: the history runs map %d changes, the history blocks hold %d", ErrDigestMismatch, mapped, entries)
	}
	return err
}

// checkRun checks a block entry (seq) against what is stored for its
// change: a run mapping it there and, if the outcomes bucket holds one,
// a later outcome (a resolution's).
func checkRun(outcomes, runs *bolt.Bucket, seq uint64, entry []byte) error {
	e, err := decodeEntry(entry)
	if err != nil {
		return fmt.Errorf("%w: history entry %d: %v", ErrDigestMismatch, seq, err)
	}
	c, o := e.Change, e.Outcome
	if o.Change != c.ID() {
		return fmt.Errorf("%w: history entry %d records %s's outcome as %s's", ErrDigestMismatch, seq, c.ID(), o.Change)
	}
	if e, ok := runEntry(runs, c.Node, c.Seq); !ok || e != seq {
		return fmt.Errorf("%w: no history run maps %s to entry %d", ErrDigestMismatch, c.ID(), seq)
	}
	if stored := outcomes.Get([]byte(o.Change)); stored != nil {
		if later, _, err := registry.DecodeOutcome(stored); err != nil || later.Index <= o.Index {
			return fmt.Errorf("%w: the outcome stored for %s is not a later resolution's", ErrDigestMismatch, o.Change)
		}
	}
	return nil
}
