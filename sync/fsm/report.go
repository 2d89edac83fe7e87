package fsm

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/xanode/xanode/node/registry"
)

// reportSlack is how long before a month a change may have been recorded
// and still reach the city in it: an edge offline up to its freeze limit
// pushes its outbox later. The history is read back from its newest
// entry until entries are this much older than the month.
const reportSlack = 45 * 24 * time.Hour

// Report computes a commune's figures for the month [from, to) from the
// city's state (DESIGN.md, "Reports"): its residents now by status; the
// changes every office recorded for the commune with an action time in
// the month, by their outcome now; the residents whose permanent
// residence moved in or out by a change of the month, from the commune's
// subset log (a record joining or leaving the commune's subset) and the
// history entry that moved it; identifications by assurance.
func (f *FSM) Report(commune, month string, from, to time.Time, today registry.Date, now time.Time) (*registry.Report, error) {
	r := registry.NewReport(commune, month, registry.ReportCity, now)
	err := f.view(func(tx *bolt.Tx) error {
		prefix := append([]byte(commune), 0)
		people := tx.Bucket(bCitizens)
		cur := tx.Bucket(bByCommune).Cursor()
		for k, _ := cur.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = cur.Next() {
			c, _, err := registry.DecodeCitizen(people.Get(k[len(prefix):]))
			if err != nil {
				return err
			}
			r.CountResident(c, today)
		}
		// The month's history, newest first, back to reportSlack before it.
		type moved struct {
			index   uint64
			citizen string
		}
		movers := map[moved]registry.Op{}
		stop := from.Add(-reportSlack)
		err := historyBack(tx, func(seq uint64, v []byte) (bool, error) {
			e, err := decodeEntry(v)
			if err != nil {
				return false, fmt.Errorf("fsm: history entry %d: %w", seq, err)
			}
			t := e.Change.Time.Time()
			if t.Before(stop) {
				return false, nil
			}
			if t.Before(from) || !t.Before(to) {
				return true, nil
			}
			if e.Change.Commune == commune {
				r.CountChange(e.Change, e.Outcome)
			}
			if e.Outcome != nil && (e.Outcome.Result == registry.Applied || e.Outcome.Result == registry.Merged) {
				movers[moved{e.Outcome.Index, e.Outcome.Citizen}] = e.Change.Op
			}
			return true, nil
		})
		if err != nil {
			return err
		}
		// Joins and departures of the commune's subset, in log order.
		present := map[string]bool{}
		lc := tx.Bucket(bSubsetLog).Cursor()
		for k, v := lc.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = lc.Next() {
			index := binary.BigEndian.Uint64(k[len(prefix):])
			id := string(k[len(prefix)+8:])
			op, inMonth := movers[moved{index, id}]
			switch {
			case v[0] == 'r':
				present[id] = false
				if inMonth {
					r.MovesOut++
				}
			case !present[id]:
				present[id] = true
				if inMonth && (op == registry.OpRegisterPermanent || op == registry.OpCorrect) {
					r.MovesIn++
				}
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return r, nil
}
