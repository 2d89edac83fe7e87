package fsm

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"

	bolt "go.etcd.io/bbolt"

	"github.com/xanode/xanode/node/registry"
)

// The history chain (feature level 2; DESIGN.md, "Conflict resolution":
// feature levels). The history only grows, one entry per decided change,
// and each entry already holds the change's outcome. Up to level 1 every
// entry and every outcome was an element of the state digest: two digest
// elements a change, the largest single cost of a replica's apply. From
// the entry that raises the level to 2 on:
//
//   - history entries are hashed as a chain, h = SHA-256(h || seq(8) ||
//     entry), whose head is one record of the cluster bucket (kChain) and
//     so one digest element, replaced once per batch;
//   - outcomes are not digest elements: each is the outcome in its
//     change's history entry (record) or follows from the resolution
//     entry that changed it (resolve), so the chain covers them. Outcomes
//     stored before the raise stay elements until a resolution replaces
//     them; an outcome is one when its index is below the raise's.
//
// Replicas that batch entries differently reach the same head after the
// same entry, so their digests still agree entry by entry; Verify
// recomputes the chain from the stored history.
var kChain = []byte("history_chain")

// chainLen is the head record: the raise's index(8), the first chained
// sequence number(8), the hash(32).
const chainLen = 8 + 8 + sha256.Size

// histChain is the head of the history chain as a batch advances it.
type histChain struct {
	raised uint64 // index of the entry that raised the level to 2
	from   uint64 // first history sequence number in the chain
	h      [sha256.Size]byte
	dirty  bool
	buf    []byte
}

func decodeChain(v []byte) (*histChain, error) {
	if len(v) != chainLen {
		return nil, fmt.Errorf("fsm: history chain head of %d bytes", len(v))
	}
	c := &histChain{raised: binary.BigEndian.Uint64(v), from: binary.BigEndian.Uint64(v[8:])}
	copy(c.h[:], v[16:])
	return c, nil
}

func (c *histChain) encode() []byte {
	b := make([]byte, 0, chainLen)
	b = binary.BigEndian.AppendUint64(b, c.raised)
	b = binary.BigEndian.AppendUint64(b, c.from)
	return append(b, c.h[:]...)
}

// add chains the history entry seq → val.
func (c *histChain) add(seq, val []byte) {
	c.buf = append(append(append(c.buf[:0], c.h[:]...), seq...), val...)
	c.h = sha256.Sum256(c.buf)
	c.dirty = true
}

// chained reports whether an outcome stored with the index is covered by
// the chain rather than being a digest element of its own.
func (c *histChain) chained(index uint64) bool { return c != nil && index > c.raised }

// startChain begins the chain at the entry raising the level to 2: the
// next history entry is its first.
func (t *txn) startChain(index uint64) {
	t.chain = &histChain{raised: index, from: t.lastSeq() + 1, dirty: true}
}

// historyChain is the chain once the level is 2 (nil below).
func (t *txn) historyChain() *histChain {
	if t.chain == nil && !t.chainRead {
		t.chainRead = true
		if v := t.get(bCluster, kChain); v != nil {
			c, err := decodeChain(v)
			if err != nil {
				panic(err.Error())
			}
			t.chain = c
		}
	}
	return t.chain
}

// flushChain stores the head the batch reached: one digest element
// replaced per batch, not two added per change.
func (t *txn) flushChain() {
	if t.chain != nil && t.chain.dirty {
		t.put(bCluster, kChain, t.chain.encode(), true)
		t.chain.dirty = false
	}
}

// putOutcome stores an outcome over the one stored for the change, if any:
// an element of the digest below level 2, covered by the chain from it.
func (t *txn) putOutcome(key, val []byte, index uint64) {
	c := t.historyChain()
	if !c.chained(index) {
		t.put(bOutcomes, key, val, true)
		return
	}
	if old := t.get(bOutcomes, key); old != nil && !c.chained(outcomeIndex(old)) {
		t.h.Remove(digestKey(bOutcomes, key), old)
	}
	t.write(bOutcomes, key, val)
}

// outcomeIndex is the index a stored outcome was decided at.
func outcomeIndex(v []byte) uint64 {
	o, _, err := registry.DecodeOutcome(v)
	if err != nil {
		panic(fmt.Sprintf("fsm: stored outcome: %v", err))
	}
	return o.Index
}

// checkOutcome checks a chained history entry against the outcome stored
// for its change: the entry's own, or a later one (a resolution's).
func checkOutcome(outcomes *bolt.Bucket, seq, entry []byte) error {
	c, rest, err := registry.DecodeChange(entry)
	if err != nil {
		return fmt.Errorf("%w: history entry %x: %v", ErrDigestMismatch, seq, err)
	}
	o, _, err := registry.DecodeOutcome(rest)
	if err != nil {
		return fmt.Errorf("%w: history entry %x: %v", ErrDigestMismatch, seq, err)
	}
	stored := outcomes.Get([]byte(o.Change))
	if stored != nil && !bytes.Equal(stored, rest) {
		if later, _, err := registry.DecodeOutcome(stored); err == nil && later.Index > o.Index {
			return nil
		}
	}
	if !bytes.Equal(stored, rest) {
		return fmt.Errorf("%w: the outcome stored for %s is not the one its history entry %x records", ErrDigestMismatch, c.ID(), seq)
	}
	return nil
}

// verifyChain recomputes the digest's share of the history and the
// outcomes for Verify: below the chain, each record is an element; from
// it, the history is hashed as the chain and must reach the stored head,
// and each chained entry's outcome must be the one stored for its change.
func verifyChain(tx *bolt.Tx, add func(bucket, k, v []byte)) error {
	var c *histChain
	if cl := tx.Bucket(bCluster); cl != nil { // absent from state files older than the levels
		if v := cl.Get(kChain); v != nil {
			var err error
			if c, err = decodeChain(v); err != nil {
				return err
			}
		}
	}
	hist, outcomes := tx.Bucket(bHistory), tx.Bucket(bOutcomes)
	if hist == nil || outcomes == nil {
		return errors.New("fsm: no history or outcomes bucket: not an FSM state file")
	}
	var chain histChain // the chain as Verify recomputes it
	err := hist.ForEach(func(k, v []byte) error {
		if c == nil || len(k) != 8 || binary.BigEndian.Uint64(k) < c.from {
			add(bHistory, k, v)
			return nil
		}
		chain.add(k, v)
		return checkOutcome(outcomes, k, v)
	})
	if err != nil {
		return err
	}
	// From level 3, the blocks (historyblocks.go): every entry chained,
	// their sequence numbers following the history's one by one, each
	// change mapped to its entry by the runs (runs.go).
	next, entries := uint64(0), uint64(0)
	runs := tx.Bucket(bRuns)
	if k, _ := hist.Cursor().Last(); len(k) == 8 {
		next = binary.BigEndian.Uint64(k) + 1
	}
	if blocks := tx.Bucket(bHistBlocks); blocks != nil { // absent from state files older than level 3
		err = blocks.ForEach(func(k, v []byte) error {
			if c == nil {
				return fmt.Errorf("%w: history blocks without the history chain", ErrDigestMismatch)
			}
			var bad error
			err := eachInBlock(k, v, func(seq, prev uint64, entry []byte) bool {
				switch {
				case next != 0 && seq != next:
					bad = fmt.Errorf("%w: history entry %d where %d was due", ErrDigestMismatch, seq, next)
				case prev >= seq:
					bad = fmt.Errorf("%w: history entry %d links to %d", ErrDigestMismatch, seq, prev)
				case runs == nil:
					bad = fmt.Errorf("%w: history blocks without their runs", ErrDigestMismatch)
				default:
					chain.add(u64(seq), entry)
					bad = checkRun(outcomes, runs, seq, entry)
					entries++
				}
				next = seq + 1
				return bad == nil
			})
			if err != nil {
				return fmt.Errorf("%w: %v", ErrDigestMismatch, err)
			}
			return bad
		})
		if err != nil {
			return err
		}
	}
	if c != nil && chain.h != c.h {
		return fmt.Errorf("%w: the history does not reach the chain's head", ErrDigestMismatch)
	}
	if runs != nil {
		if err := verifyRuns(runs, entries); err != nil {
			return err
		}
	}
	return outcomes.ForEach(func(k, v []byte) error {
		o, _, err := registry.DecodeOutcome(v)
		if err != nil {
			return fmt.Errorf("%w: outcome of %s: %v", ErrDigestMismatch, k, err)
		}
		if !c.chained(o.Index) {
			add(bOutcomes, k, v)
		}
		return nil
	})
}
