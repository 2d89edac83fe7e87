package edge

import (
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/xanode/xanode/node/registry"
)

// Report computes a commune's monthly figures from this box alone, for
// when the city cannot be reached: residents from the subset held, the
// changes recorded here whose action time falls in [from, to) with the
// outcomes held. Moves in are the permanent registrations of people who
// were not residents when recorded and that the city applied; moves out
// are recorded by the other commune's office and are unknown here (-1).
func (s *Store) Report(commune, month string, from, to time.Time, today registry.Date, now time.Time) (*registry.Report, error) {
	r := registry.NewReport(commune, month, registry.ReportEdge, now)
	r.MovesOut = -1
	err := s.db.View(func(tx *bolt.Tx) error {
		if info, ok := readInfo(tx.Bucket(bMeta)); !ok || info.Commune != commune {
			return nil
		}
		return tx.Bucket(bSubset).ForEach(func(k, v []byte) error {
			c, _, err := s.record(k, v)
			if err == nil {
				r.CountResident(c, today)
			}
			return err
		})
	})
	if err != nil {
		return nil, err
	}
	err = s.EachChange(func(rc Recorded) bool {
		c, o := rc.Change, rc.Outcome
		if t := c.Time.Time(); c.Commune != commune || t.Before(from) || !t.Before(to) {
			return true
		}
		r.CountChange(c, o)
		if moved, _ := c.Patch.Get(registry.FieldCommune); c.Op == registry.OpRegisterPermanent && c.Base == 0 &&
			moved == commune && o != nil && (o.Result == registry.Applied || o.Result == registry.Merged) {
			r.MovesIn++
		}
		return true
	})
	return r, err
}
