package edge

import (
	bolt "go.etcd.io/bbolt"

	"github.com/xanode/xanode/node/registry"
)

// RecentWhere returns the latest n recorded changes that keep accepts,
// newest first, with their outcomes: the outbox page leaves card reads
// out this way.
func (s *Store) RecentWhere(n int, keep func(*registry.Change) bool) ([]Recorded, error) {
	var out []Recorded
	err := s.db.View(func(tx *bolt.Tx) error {
		cur := tx.Bucket(bChanges).Cursor()
		for k, _ := cur.Last(); k != nil && len(out) < n; k, _ = cur.Prev() {
			c, err := s.change(tx, k)
			if err != nil {
				return err
			}
			if !keep(c) {
				continue
			}
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

// EachChange calls fn with every change recorded here and its outcome
// (nil while it waits), oldest first, within one read transaction, until
// fn returns false.
func (s *Store) EachChange(fn func(Recorded) bool) error {
	return s.db.View(func(tx *bolt.Tx) error {
		cur := tx.Bucket(bChanges).Cursor()
		for k, _ := cur.First(); k != nil; k, _ = cur.Next() {
			r, err := s.recorded(tx, k)
			if err != nil {
				return err
			}
			if !fn(r) {
				return nil
			}
		}
		return nil
	})
}
