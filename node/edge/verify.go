package edge

import (
	"bytes"
	"fmt"

	bolt "go.etcd.io/bbolt"

	"github.com/xanode/xanode/node/registry"
	"github.com/xanode/xanode/sync/digest"
)

// VerifySubset checks the subset held against itself: every record opens
// and is in canonical form, the records give the digest and the digest
// state kept with them, their number is the count kept, and the indexes
// hold exactly the records' entries. It reads the whole subset (about a
// second for 100,000 records), so it is for tests, operators and repairs,
// not for every start. No subset is not an error.
func (s *Store) VerifySubset() error {
	return s.db.View(func(tx *bolt.Tx) error {
		m := tx.Bucket(bMeta)
		info, ok := readInfo(m)
		if !ok {
			if tx.Bucket(bSubset).Stats().KeyN != 0 {
				return fmt.Errorf("%w: records without subset metadata", ErrCorrupt)
			}
			return nil
		}
		want := map[string]bool{}
		tl := newTokenLists()
		var state digest.Hash
		var n uint64
		err := tx.Bucket(bSubset).ForEach(func(k, v []byte) error {
			c, raw, err := s.record(k, v)
			if err != nil {
				return err
			}
			if !bytes.Equal(k, s.keys.hash("id", c.ID)) || !bytes.Equal(raw, registry.AppendCitizen(nil, c, false)) {
				return fmt.Errorf("%w: record %x is not stored under its ID, or not canonical", ErrCorrupt, k)
			}
			state.Add([]byte(c.ID), raw)
			n++
			tl.add(c, k)
			if hh := s.householdKey(c, k); hh != nil {
				want[string(hh)] = true
			}
			return nil
		})
		if err != nil {
			return err
		}
		var kept digest.Hash
		if err := kept.UnmarshalBinary(m.Get(kState)); err != nil || !kept.Equal(&state) {
			return fmt.Errorf("%w: the digest state kept is not that of the records (%v)", ErrCorrupt, err)
		}
		if state.Sum() != info.Digest || n != info.Count {
			return fmt.Errorf("%w: %d records with digest %x; kept %d records, digest %x", ErrCorrupt, n, state.Sum(), info.Count, info.Digest)
		}
		got := 0
		err = tx.Bucket(bHouseholds).ForEach(func(k, _ []byte) error {
			if !want[string(k)] {
				return fmt.Errorf("%w: %s entry %x names no record of that value", ErrCorrupt, bHouseholds, k)
			}
			got++
			return nil
		})
		if err != nil {
			return err
		}
		if got != len(want) {
			return fmt.Errorf("%w: %s holds %d entries, the records need %d", ErrCorrupt, bHouseholds, got, len(want))
		}
		return s.verifyTokens(tx, tl)
	})
}
