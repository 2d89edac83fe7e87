package fsm

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"strings"

	bolt "go.etcd.io/bbolt"

	"github.com/xanode/xanode/node/registry"
)

// ErrNotFound is returned when a record or outcome does not exist.
var ErrNotFound = errors.New("fsm: not found")

// Citizen reads one record, with its per-field stamps.
func (f *FSM) Citizen(id string) (*registry.Citizen, error) {
	var c *registry.Citizen
	err := f.view(func(tx *bolt.Tx) error {
		v := tx.Bucket(bCitizens).Get([]byte(id))
		if v == nil {
			return ErrNotFound
		}
		var err error
		c, _, err = registry.DecodeCitizen(v)
		return err
	})
	return c, err
}

// Subset calls fn for every citizen of a commune, in ID order, within one
// consistent read transaction, and returns the subset version it reflects:
// the last raft index that changed one of the commune's records.
func (f *FSM) Subset(commune string, fn func(*registry.Citizen) error) (uint64, error) {
	var applied uint64
	err := f.view(func(tx *bolt.Tx) error {
		applied = subsetVersion(tx, commune)
		prefix := append([]byte(commune), 0)
		people := tx.Bucket(bCitizens)
		cur := tx.Bucket(bByCommune).Cursor()
		for k, _ := cur.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = cur.Next() {
			c, _, err := registry.DecodeCitizen(people.Get(k[len(prefix):]))
			if err != nil {
				return err
			}
			if err := fn(c); err != nil {
				return err
			}
		}
		return nil
	})
	return applied, err
}

// Outcome returns the decision on a change, by change ID.
func (f *FSM) Outcome(changeID string) (*registry.Outcome, error) {
	var o *registry.Outcome
	err := f.view(func(tx *bolt.Tx) error {
		var err error
		if o, err = outcomeOf(tx, changeID); err == nil && o == nil {
			err = ErrNotFound
		}
		return err
	})
	return o, err
}

// MaxDecisions is the most change IDs one Decisions call looks up.
const MaxDecisions = 1000

// Decisions returns the decisions held now on changes that node recorded,
// by change ID, in the order asked; an ID the city never decided (its push
// not arrived yet) is left out. It is how an edge learns what city IT
// resolved about its changes that went to review (DESIGN.md, "Sync"): a
// read of the stored outcomes, which resolve replaces, so asking twice
// changes nothing. An ID of another node's change is refused with
// ErrForbidden, before anything is read.
func (f *FSM) Decisions(node string, ids []string) ([]*registry.Outcome, error) {
	if len(ids) > MaxDecisions {
		return nil, fmt.Errorf("fsm: %d change IDs, at most %d", len(ids), MaxDecisions)
	}
	for _, id := range ids {
		seq, ok := strings.CutPrefix(id, node+"/")
		if !ok || seq == "" || strings.Trim(seq, "0123456789") != "" {
			return nil, fmt.Errorf("%w: %s asks about change %.60q", ErrForbidden, node, id)
		}
	}
	var out []*registry.Outcome
	err := f.view(func(tx *bolt.Tx) error {
		for _, id := range ids {
			o, err := outcomeOf(tx, id)
			if err != nil {
				return fmt.Errorf("fsm: outcome of %s: %w", id, err)
			}
			if o == nil {
				continue
			}
			out = append(out, o)
		}
		return nil
	})
	return out, err
}

// Entry is one change of the history with its outcome.
type Entry struct {
	Seq     uint64 // position in the history; names a queued entry to resolve
	Change  *registry.Change
	Outcome *registry.Outcome
}

// History returns the changes recorded about a citizen, oldest first.
func (f *FSM) History(citizenID string) ([]Entry, error) {
	var out []Entry
	err := f.view(func(tx *bolt.Tx) error {
		var seqs []uint64
		// Entries recorded by older versions, in the (ID, seq) index.
		prefix := append([]byte(citizenID), 0)
		cur := tx.Bucket(bByCitizen).Cursor()
		for k, _ := cur.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = cur.Next() {
			seqs = append(seqs, binary.BigEndian.Uint64(k[len(prefix):]))
		}
		// Newer ones, in the citizen's chain, newest first.
		entries := map[uint64][]byte{}
		if k := tx.Bucket(bLastHist).Get([]byte(citizenID)); len(k) == 8 {
			for seq := binary.BigEndian.Uint64(k); seq != 0; {
				v, prev, err := historyEntry(tx, seq)
				if err != nil {
					return fmt.Errorf("fsm: history of %s: %w", citizenID, err)
				}
				if prev >= seq {
					return fmt.Errorf("fsm: history of %s: entry %d links to %d", citizenID, seq, prev)
				}
				seqs, entries[seq] = append(seqs, seq), v
				seq = prev
			}
		}
		slices.Sort(seqs)
		seqs = slices.Compact(seqs)
		for _, seq := range seqs {
			v, ok := entries[seq]
			if !ok {
				var err error
				if v, _, err = historyEntry(tx, seq); err != nil {
					return fmt.Errorf("fsm: history of %s: %w", citizenID, err)
				}
			}
			e, err := decodeEntry(v)
			if err != nil {
				return fmt.Errorf("fsm: history entry %d of %s: %w", seq, citizenID, err)
			}
			e.Seq = seq
			out = append(out, e)
		}
		return nil
	})
	return out, err
}

// Reviews returns the conflict queue: changes decided needs_review.
func (f *FSM) Reviews() ([]Entry, error) {
	var out []Entry
	err := f.view(func(tx *bolt.Tx) error {
		return tx.Bucket(bReview).ForEach(func(k, _ []byte) error {
			if len(k) != 8 {
				return fmt.Errorf("fsm: conflict queue key %x", k)
			}
			v, _, err := historyEntry(tx, binary.BigEndian.Uint64(k))
			if err != nil {
				return err
			}
			e, err := decodeEntry(v)
			if err == nil {
				e.Seq = binary.BigEndian.Uint64(k)
				out = append(out, e)
			}
			return err
		})
	})
	return out, err
}

func decodeEntry(v []byte) (Entry, error) {
	c, rest, err := registry.DecodeChange(v)
	if err != nil {
		return Entry{}, err
	}
	o, _, err := registry.DecodeOutcome(rest)
	if err != nil {
		return Entry{}, err
	}
	return Entry{Change: c, Outcome: o}, nil
}

// NodeCommunes returns the communes a node may act for.
func (f *FSM) NodeCommunes(node string) ([]string, error) {
	var out []string
	err := f.view(func(tx *bolt.Tx) error {
		for _, c := range strings.Split(string(tx.Bucket(bNodes).Get([]byte(node))), ",") {
			if c != "" {
				out = append(out, c)
			}
		}
		return nil
	})
	return out, err
}

func subsetVersion(tx *bolt.Tx, commune string) uint64 {
	if v := tx.Bucket(bSubsetVer).Get([]byte(commune)); len(v) == 8 {
		return binary.BigEndian.Uint64(v)
	}
	return 0
}

// SubsetVersion returns a commune's subset version (0: no records yet).
func (f *FSM) SubsetVersion(commune string) (uint64, error) {
	var v uint64
	err := f.view(func(tx *bolt.Tx) error { v = subsetVersion(tx, commune); return nil })
	return v, err
}

// Delta is what changed in a commune's subset between two versions.
type Delta struct {
	From, To uint64
	Upserts  []*registry.Citizen // current records, in ID order
	Removed  []string            // IDs that left the commune, in ID order
}

// SubsetDelta returns the changes to a commune's subset after version
// since, up to its current version, read in one consistent transaction. A
// record changed several times appears once, as it is now.
func (f *FSM) SubsetDelta(commune string, since uint64) (*Delta, error) {
	var d *Delta
	err := f.view(func(tx *bolt.Tx) error {
		d = &Delta{From: since, To: subsetVersion(tx, commune)}
		prefix := append([]byte(commune), 0)
		seek := binary.BigEndian.AppendUint64(bytes.Clone(prefix), since+1)
		last := map[string]byte{}
		cur := tx.Bucket(bSubsetLog).Cursor()
		for k, v := cur.Seek(seek); k != nil && bytes.HasPrefix(k, prefix); k, v = cur.Next() {
			last[string(k[len(prefix)+8:])] = v[0]
		}
		ids := make([]string, 0, len(last))
		for id := range last {
			ids = append(ids, id)
		}
		slices.Sort(ids)
		people := tx.Bucket(bCitizens)
		for _, id := range ids {
			v := people.Get([]byte(id))
			if last[id] == 'r' || v == nil {
				d.Removed = append(d.Removed, id)
				continue
			}
			c, _, err := registry.DecodeCitizen(v)
			if err != nil {
				return err
			}
			if c.Get(registry.FieldCommune) != commune || c.Merged() { // moved away again since, or retired
				d.Removed = append(d.Removed, id)
				continue
			}
			d.Upserts = append(d.Upserts, c)
		}
		return nil
	})
	return d, err
}

// Peers returns the city nodes' API URLs by node ID, as of the last
// commit (at most flushEvery behind the applied state). A node's URL
// changes when it joins or moves; the leader's registration loop and a
// follower's forwarding ask far more often, and a read that committed the
// pending entries first (view) cost the leader a commit each time.
func (f *FSM) Peers() (map[string]string, error) {
	out := map[string]string{}
	err := f.viewCommitted(func(tx *bolt.Tx) error {
		return tx.Bucket(bPeers).ForEach(func(k, v []byte) error {
			out[string(k)] = string(v)
			return nil
		})
	})
	return out, err
}
