package edge

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/xanode/xanode/node/registry"
)

// Changes carry personal data (the citizen's ID, new addresses, a
// correction's grounds), so they are sealed like the subset; the outbox
// only lists the sequence numbers still waiting for an outcome.

// historyKey is the history index key of change seq about citizen.
func (s *Store) historyKey(citizen string, seq []byte) []byte {
	return append(s.keys.hash("citizen", citizen), seq...)
}

// Append stores a new change in the outbox under the next sequence number,
// which it sets on c (with the provisional ID of a birth), in one
// transaction: once Append returns, the change survives a crash.
func (s *Store) Append(c *registry.Change) error {
	return s.db.Update(func(tx *bolt.Tx) error { return s.appendChange(tx, c) })
}

// Record appends c to the outbox and its audit entry ("recorded", by the
// change's officer, at at) in one transaction: the officer's action is
// recorded whole or not at all, so a retry after an error never records
// it twice and no change leaves without its audit entry.
func (s *Store) Record(c *registry.Change, at time.Time) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		if err := s.appendChange(tx, c); err != nil {
			return err
		}
		return s.audit(tx, at, c.Officer, AuditRecord, c.Citizen, c.ID()+" "+string(c.Op))
	})
}

func (s *Store) appendChange(tx *bolt.Tx, c *registry.Change) error {
	m := tx.Bucket(bMeta)
	seq := getU64(m, kSeq) + 1
	c.Seq = seq
	if c.Op == registry.OpRegisterBirth && c.Citizen == "" {
		c.Citizen = registry.ProvisionalID(c.Node, seq)
	}
	if err := c.Validate(); err != nil {
		return err
	}
	k := u64(seq)
	if err := tx.Bucket(bChanges).Put(k, s.keys.seal(bChanges, k, registry.AppendChange(nil, c))); err != nil {
		return err
	}
	if err := tx.Bucket(bOutbox).Put(k, []byte{}); err != nil {
		return err
	}
	if err := tx.Bucket(bHistory).Put(s.historyKey(c.Citizen, k), []byte{}); err != nil {
		return err
	}
	return m.Put(kSeq, k)
}

// change reads and decrypts the change stored under seq k.
func (s *Store) change(tx *bolt.Tx, k []byte) (*registry.Change, error) {
	v := tx.Bucket(bChanges).Get(k)
	if v == nil {
		return nil, fmt.Errorf("%w: change %d is listed but not stored", ErrCorrupt, bytesU64(k))
	}
	plain, err := s.keys.open(bChanges, k, v)
	if err != nil {
		return nil, err
	}
	c, _, err := registry.DecodeChange(plain)
	if err != nil {
		return nil, fmt.Errorf("%w: change %d: %w", ErrCorrupt, bytesU64(k), err)
	}
	return c, nil
}

// outcome reads the outcome of change seq k; nil while it has none.
func (s *Store) outcome(tx *bolt.Tx, k []byte) (*registry.Outcome, error) {
	return s.sealedOutcome(tx, bOutcomes, k, "outcome of")
}

// sealedOutcome reads the sealed outcome stored under change seq k in
// bucket (the city's outcome, or city IT's decision after review); nil
// when there is none. what names it in a corruption error.
func (s *Store) sealedOutcome(tx *bolt.Tx, bucket, k []byte, what string) (*registry.Outcome, error) {
	v := tx.Bucket(bucket).Get(k)
	if v == nil {
		return nil, nil
	}
	plain, err := s.keys.open(bucket, k, v)
	if err != nil {
		return nil, err
	}
	o, _, err := registry.DecodeOutcome(plain)
	if err != nil {
		return nil, fmt.Errorf("%w: %s change %d: %w", ErrCorrupt, what, bytesU64(k), err)
	}
	return o, nil
}

func bytesU64(k []byte) uint64 {
	if len(k) != 8 {
		return 0
	}
	return binary.BigEndian.Uint64(k)
}

// Pending returns up to max changes still waiting for their outcome,
// oldest first.
func (s *Store) Pending(max int) ([]*registry.Change, error) {
	var out []*registry.Change
	err := s.db.View(func(tx *bolt.Tx) error {
		cur := tx.Bucket(bOutbox).Cursor()
		for k, _ := cur.First(); k != nil && len(out) < max; k, _ = cur.Next() {
			c, err := s.change(tx, k)
			if err != nil {
				return err
			}
			out = append(out, c)
		}
		return nil
	})
	return out, err
}

// Settle stores the outcomes of pushed changes and removes those changes
// from the outbox, in one transaction. Outcomes of changes this node did
// not record are refused. An outcome that gives the change's citizen
// another ID (a birth's assigned personal ID) files the change in that
// citizen's history too.
func (s *Store) Settle(node string, outs []*registry.Outcome, at time.Time) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		for _, o := range outs {
			seq, err := seqOf(node, o.Change)
			if err != nil {
				return err
			}
			k := u64(seq)
			if tx.Bucket(bChanges).Get(k) == nil {
				return fmt.Errorf("edge: outcome for unknown change %s", o.Change)
			}
			c, err := s.change(tx, k)
			if err != nil {
				return err
			}
			if err := tx.Bucket(bOutcomes).Put(k, s.keys.seal(bOutcomes, k, registry.AppendOutcome(nil, o))); err != nil {
				return err
			}
			if o.Citizen != "" && o.Citizen != c.Citizen {
				if err := tx.Bucket(bHistory).Put(s.historyKey(o.Citizen, k), []byte{}); err != nil {
					return err
				}
			}
			if err := tx.Bucket(bOutbox).Delete(k); err != nil {
				return err
			}
			review := tx.Bucket(bReview)
			if o.Result == registry.NeedsReview && tx.Bucket(bDecisions).Get(k) == nil {
				err = review.Put(k, []byte{})
			} else {
				err = review.Delete(k)
			}
			if err != nil {
				return err
			}
		}
		return tx.Bucket(bMeta).Put(kSynced, u64(uint64(at.UnixMilli())))
	})
}

func seqOf(node, changeID string) (uint64, error) {
	var seq uint64
	if _, err := fmt.Sscanf(changeID, node+"/%d", &seq); err != nil || changeID != fmt.Sprintf("%s/%d", node, seq) {
		return 0, fmt.Errorf("edge: outcome for change %q of another node", changeID)
	}
	return seq, nil
}

// Recorded is one change recorded on this node with its outcome, if held.
type Recorded struct {
	Change  *registry.Change
	Outcome *registry.Outcome // nil while in the outbox
	// Decision is city IT's decision on a change whose outcome was
	// needs_review; nil until it came.
	Decision *registry.Outcome
}

func (s *Store) recorded(tx *bolt.Tx, k []byte) (Recorded, error) {
	c, err := s.change(tx, k)
	if err != nil {
		return Recorded{}, err
	}
	o, err := s.outcome(tx, k)
	if err != nil {
		return Recorded{}, err
	}
	d, err := s.decision(tx, k)
	return Recorded{Change: c, Outcome: o, Decision: d}, err
}

// Recent returns the latest n recorded changes, newest first.
func (s *Store) Recent(n int) ([]Recorded, error) {
	var out []Recorded
	err := s.db.View(func(tx *bolt.Tx) error {
		cur := tx.Bucket(bChanges).Cursor()
		for k, _ := cur.Last(); k != nil && len(out) < n; k, _ = cur.Prev() {
			r, err := s.recorded(tx, k)
			if err != nil {
				return err
			}
			out = append(out, r)
		}
		return nil
	})
	return out, err
}

// History returns the latest n changes recorded on this node about a
// citizen, newest first, with their outcomes: the changes whose citizen is
// id, and births whose outcome assigned id. Identifications count.
func (s *Store) History(id string, n int) ([]Recorded, error) {
	var out []Recorded
	err := s.db.View(func(tx *bolt.Tx) error {
		prefix := s.keys.hash("citizen", id)
		cur := tx.Bucket(bHistory).Cursor()
		// Seek past the last key of the prefix, then walk back.
		end := append(bytes.Clone(prefix), bytes.Repeat([]byte{0xff}, 9)...)
		k, _ := cur.Seek(end)
		if k == nil {
			k, _ = cur.Last()
		} else {
			k, _ = cur.Prev()
		}
		for ; k != nil && bytes.HasPrefix(k, prefix) && len(out) < n; k, _ = cur.Prev() {
			r, err := s.recorded(tx, k[len(prefix):])
			if err != nil {
				return err
			}
			out = append(out, r)
		}
		return nil
	})
	return out, err
}

// Queue summarises the outbox.
type Queue struct {
	Pending    int
	Oldest     time.Time // action time of the oldest pending change
	LastSynced time.Time
}

// Queue reads the outbox summary.
func (s *Store) Queue() (Queue, error) {
	var q Queue
	err := s.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(bOutbox)
		q.Pending = b.Stats().KeyN
		if k, _ := b.Cursor().First(); k != nil {
			c, err := s.change(tx, k)
			if err != nil {
				return err
			}
			q.Oldest = c.Time.Time()
		}
		if ms := getU64(tx.Bucket(bMeta), kSynced); ms != 0 {
			q.LastSynced = time.UnixMilli(int64(ms)).UTC()
		}
		return nil
	})
	return q, err
}

// AdvanceSeq makes the next change's sequence number at least next. A
// re-imaged box that enrolls again under its node ID starts above what the
// city already holds from the old box, whose changes would otherwise
// shadow the new ones as duplicates.
func (s *Store) AdvanceSeq(next uint64) error {
	if next == 0 {
		return nil
	}
	return s.db.Update(func(tx *bolt.Tx) error {
		m := tx.Bucket(bMeta)
		if getU64(m, kSeq) >= next-1 {
			return nil
		}
		return m.Put(kSeq, u64(next-1))
	})
}
