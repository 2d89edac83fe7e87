package edge

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/xanode/xanode/node/registry"
)

// Buckets of the edge's bbolt file.
var (
	bMeta     = []byte("meta")
	bSubset   = []byte("subset")   // citizen ID → registry.AppendCitizen(compact)
	bOutbox   = []byte("outbox")   // seq → change, until its outcome is held
	bChanges  = []byte("changes")  // seq → change: every change recorded here
	bOutcomes = []byte("outcomes") // seq → outcome from the city

	kNode    = []byte("node")
	kCommune = []byte("commune")
	kVersion = []byte("subset_version")
	kDigest  = []byte("subset_digest")
	kCreated = []byte("bundle_created")
	kExpires = []byte("bundle_expires")
	kCount   = []byte("subset_count")
	kSeq     = []byte("seq")
	kSynced  = []byte("last_synced")
)

// Errors of the store.
var (
	ErrNotFound = errors.New("edge: not in the local subset")
	ErrNoSubset = errors.New("edge: no verified subset yet")
)

// Store is the edge's local state in one bbolt file: the verified subset,
// the outbox of recorded changes and the outcomes the city returned.
type Store struct {
	db *bolt.DB
}

// OpenStore opens or creates the store at path.
func OpenStore(path string) (*Store, error) {
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: time.Second, FreelistType: bolt.FreelistMapType})
	if err != nil {
		return nil, fmt.Errorf("edge: open %s: %w", path, err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		for _, b := range [][]byte{bMeta, bSubset, bOutbox, bChanges, bOutcomes} {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("edge: init %s: %w", path, err)
	}
	return &Store{db: db}, nil
}

// Close closes the file.
func (s *Store) Close() error { return s.db.Close() }

// SubsetInfo describes the subset held.
type SubsetInfo struct {
	Commune string
	Version uint64
	Digest  [32]byte
	Count   uint64
	Created time.Time
	Expires time.Time
}

// Subset returns what subset is held; ErrNoSubset if none.
func (s *Store) Subset() (SubsetInfo, error) {
	var info SubsetInfo
	err := s.db.View(func(tx *bolt.Tx) error {
		m := tx.Bucket(bMeta)
		if m.Get(kVersion) == nil {
			return ErrNoSubset
		}
		info.Commune = string(m.Get(kCommune))
		info.Version = getU64(m, kVersion)
		info.Count = getU64(m, kCount)
		copy(info.Digest[:], m.Get(kDigest))
		info.Created = time.UnixMilli(int64(getU64(m, kCreated))).UTC()
		info.Expires = time.UnixMilli(int64(getU64(m, kExpires))).UTC()
		return nil
	})
	return info, err
}

// ReplaceSubset swaps in a full subset in one transaction: a crash or an
// error midway leaves the previous subset whole. fill calls put for every
// record, which the caller has verified.
func (s *Store) ReplaceSubset(info SubsetInfo, fill func(put func(*registry.Citizen) error) error) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		if err := tx.DeleteBucket(bSubset); err != nil {
			return err
		}
		b, err := tx.CreateBucket(bSubset)
		if err != nil {
			return err
		}
		b.FillPercent = 0.95 // keys arrive in order
		var buf []byte
		var n uint64
		err = fill(func(c *registry.Citizen) error {
			buf = registry.AppendCitizen(buf[:0], c, false)
			n++
			return b.Put([]byte(c.ID), bytes.Clone(buf))
		})
		if err != nil {
			return err
		}
		if n != info.Count {
			return fmt.Errorf("edge: subset has %d records, header says %d", n, info.Count)
		}
		m := tx.Bucket(bMeta)
		for k, v := range map[string][]byte{
			string(kCommune): []byte(info.Commune),
			string(kVersion): u64(info.Version),
			string(kCount):   u64(n),
			string(kDigest):  info.Digest[:],
			string(kCreated): u64(uint64(info.Created.UnixMilli())),
			string(kExpires): u64(uint64(info.Expires.UnixMilli())),
		} {
			if err := m.Put([]byte(k), v); err != nil {
				return err
			}
		}
		return nil
	})
}

// Citizen looks up one record of the subset.
func (s *Store) Citizen(id string) (*registry.Citizen, error) {
	var c *registry.Citizen
	err := s.db.View(func(tx *bolt.Tx) error {
		v := tx.Bucket(bSubset).Get([]byte(id))
		if v == nil {
			return ErrNotFound
		}
		var err error
		c, _, err = registry.DecodeCitizen(v)
		return err
	})
	return c, err
}

// Identity returns the node ID and commune the store belongs to.
func (s *Store) Identity() (node, commune string, err error) {
	err = s.db.View(func(tx *bolt.Tx) error {
		m := tx.Bucket(bMeta)
		node, commune = string(m.Get(kNode)), string(m.Get(kCommune))
		return nil
	})
	return node, commune, err
}

// SetIdentity records which node this store belongs to and its commune.
// A store that already belongs to another node refuses: its outbox holds
// that node's changes.
func (s *Store) SetIdentity(node, commune string) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		m := tx.Bucket(bMeta)
		if old := m.Get(kNode); old != nil && string(old) != node {
			return fmt.Errorf("edge: data folder belongs to node %s, not %s", old, node)
		}
		if err := m.Put(kNode, []byte(node)); err != nil {
			return err
		}
		return m.Put(kCommune, []byte(commune))
	})
}

// Append stores a new change in the outbox under the next sequence number,
// which it sets on c (with the provisional ID of a birth), in one
// transaction: once Append returns, the change survives a crash.
func (s *Store) Append(c *registry.Change) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		m := tx.Bucket(bMeta)
		seq := getU64(m, kSeq) + 1
		c.Seq = seq
		if c.Op == registry.OpRegisterBirth && c.Citizen == "" {
			c.Citizen = registry.ProvisionalID(c.Node, seq)
		}
		if err := c.Validate(); err != nil {
			return err
		}
		v := registry.AppendChange(nil, c)
		if err := tx.Bucket(bChanges).Put(u64(seq), v); err != nil {
			return err
		}
		if err := tx.Bucket(bOutbox).Put(u64(seq), v); err != nil {
			return err
		}
		return m.Put(kSeq, u64(seq))
	})
}

// Pending returns up to max changes still waiting for their outcome,
// oldest first.
func (s *Store) Pending(max int) ([]*registry.Change, error) {
	var out []*registry.Change
	err := s.db.View(func(tx *bolt.Tx) error {
		cur := tx.Bucket(bOutbox).Cursor()
		for k, v := cur.First(); k != nil && len(out) < max; k, v = cur.Next() {
			c, _, err := registry.DecodeChange(v)
			if err != nil {
				return fmt.Errorf("edge: outbox entry %x: %w", k, err)
			}
			out = append(out, c)
		}
		return nil
	})
	return out, err
}

// Settle stores the outcomes of pushed changes and removes those changes
// from the outbox, in one transaction. Outcomes of changes this node did
// not record are refused.
func (s *Store) Settle(node string, outs []*registry.Outcome, at time.Time) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		for _, o := range outs {
			seq, err := seqOf(node, o.Change)
			if err != nil {
				return err
			}
			if tx.Bucket(bChanges).Get(u64(seq)) == nil {
				return fmt.Errorf("edge: outcome for unknown change %s", o.Change)
			}
			if err := tx.Bucket(bOutcomes).Put(u64(seq), registry.AppendOutcome(nil, o)); err != nil {
				return err
			}
			if err := tx.Bucket(bOutbox).Delete(u64(seq)); err != nil {
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
}

// Recent returns the latest n recorded changes, newest first.
func (s *Store) Recent(n int) ([]Recorded, error) {
	var out []Recorded
	err := s.db.View(func(tx *bolt.Tx) error {
		outcomes := tx.Bucket(bOutcomes)
		cur := tx.Bucket(bChanges).Cursor()
		for k, v := cur.Last(); k != nil && len(out) < n; k, v = cur.Prev() {
			c, _, err := registry.DecodeChange(v)
			if err != nil {
				return err
			}
			r := Recorded{Change: c}
			if ov := outcomes.Get(k); ov != nil {
				if r.Outcome, _, err = registry.DecodeOutcome(ov); err != nil {
					return err
				}
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
		if _, v := b.Cursor().First(); v != nil {
			if c, _, err := registry.DecodeChange(v); err == nil {
				q.Oldest = c.Time.Time()
			}
		}
		if ms := getU64(tx.Bucket(bMeta), kSynced); ms != 0 {
			q.LastSynced = time.UnixMilli(int64(ms)).UTC()
		}
		return nil
	})
	return q, err
}

func u64(n uint64) []byte { return binary.BigEndian.AppendUint64(nil, n) }

func getU64(b *bolt.Bucket, k []byte) uint64 {
	if v := b.Get(k); len(v) == 8 {
		return binary.BigEndian.Uint64(v)
	}
	return 0
}

// Sample returns up to n records of the subset that keep returns true for,
// spread over the subset (every k-th record), in ID order.
func (s *Store) Sample(n int, keep func(*registry.Citizen) bool) ([]*registry.Citizen, error) {
	var out []*registry.Citizen
	err := s.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(bSubset)
		step := max(1, b.Stats().KeyN/(n+1))
		i := 0
		return b.ForEach(func(k, v []byte) error {
			i++
			if len(out) >= n || i%step != 0 {
				return nil
			}
			c, _, err := registry.DecodeCitizen(v)
			if err != nil {
				return err
			}
			if keep(c) {
				out = append(out, c)
			}
			return nil
		})
	})
	return out, err
}
