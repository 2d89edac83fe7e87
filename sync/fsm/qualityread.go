package fsm

import (
	"encoding/json"
	"slices"
	"sort"
	"time"

	bolt "go.etcd.io/bbolt"
)

// FindingFilter says which findings Findings lists. Zero fields select
// everything.
type FindingFilter struct {
	Commune string   // findings about the commune's records (either of a pair)
	Citizen string   // findings about one citizen (either of a pair)
	Rule    string   // one rule
	States  []string // these states only
	Limit   int      // at most this many (0: no limit)
}

func (ff *FindingFilter) match(f *Finding) bool {
	return (ff.Rule == "" || string(f.Rule) == ff.Rule) && (len(ff.States) == 0 || slices.Contains(ff.States, f.State))
}

// stateRank orders states problems first: open, confirmed, dismissed, fixed.
func stateRank(s string) int {
	switch s {
	case FindingOpen:
		return 0
	case FindingConfirmed:
		return 1
	case FindingDismissed:
		return 2
	}
	return 3
}

// SortFindings orders findings problems first: open, then confirmed, then
// closed ones; within a state the newest first.
func SortFindings(fs []Finding) {
	sort.SliceStable(fs, func(i, j int) bool {
		if a, b := stateRank(fs[i].State), stateRank(fs[j].State); a != b {
			return a < b
		}
		return fs[i].ID > fs[j].ID
	})
}

// Findings lists the findings the filter selects, problems first.
func (f *FSM) Findings(ff FindingFilter) ([]Finding, error) {
	var out []Finding
	err := f.view(func(tx *bolt.Tx) error {
		b := tx.Bucket(bFindings)
		add := func(v []byte) error {
			var x Finding
			if err := json.Unmarshal(v, &x); err != nil {
				return err
			}
			if ff.match(&x) {
				out = append(out, x)
			}
			return nil
		}
		var index []byte
		var prefix string
		switch {
		case ff.Citizen != "":
			index, prefix = bFindingsCit, ff.Citizen
		case ff.Commune != "":
			index, prefix = bFindingsComm, ff.Commune
		default:
			return b.ForEach(func(_, v []byte) error { return add(v) })
		}
		p := append([]byte(prefix), 0)
		c := tx.Bucket(index).Cursor()
		for k, _ := c.Seek(p); k != nil && len(k) == len(p)+8 && string(k[:len(p)]) == string(p); k, _ = c.Next() {
			if err := add(b.Get(k[len(p):])); err != nil {
				return err
			}
		}
		return nil
	})
	SortFindings(out)
	if ff.Limit > 0 && len(out) > ff.Limit {
		out = out[:ff.Limit]
	}
	return out, err
}

// Finding returns one finding by ID.
func (f *FSM) Finding(id uint64) (*Finding, error) {
	var out *Finding
	err := f.view(func(tx *bolt.Tx) error {
		v := tx.Bucket(bFindings).Get(u64(id))
		if v == nil {
			return ErrNotFound
		}
		out = new(Finding)
		return json.Unmarshal(v, out)
	})
	return out, err
}

// QualityFigures returns every commune's figures now, and the weekly rows
// kept at the end of each week (oldest first), with whether the rules run.
func (f *FSM) QualityFigures() (now, weekly []Figures, on bool, err error) {
	err = f.view(func(tx *bolt.Tx) error {
		applied := meta(tx.Bucket(bMeta), kApplied)
		on = tx.Bucket(bMeta).Get(kQualityOn) != nil
		err := tx.Bucket(bQFigures).ForEach(func(k, v []byte) error {
			fg := newFigures(string(k))
			if err := json.Unmarshal(v, fg); err != nil {
				return err
			}
			fg.Applied = applied
			now = append(now, *fg)
			return nil
		})
		if err != nil {
			return err
		}
		return tx.Bucket(bQWeekly).ForEach(func(k, v []byte) error {
			fg := newFigures("")
			if err := json.Unmarshal(v, fg); err != nil {
				return err
			}
			fg.Week = string(k[:10])
			weekly = append(weekly, *fg)
			return nil
		})
	})
	return now, weekly, on, err
}

// QualitySwept returns when the city's last sweep went round (the receive
// time of its last entry); the zero time if none ever did. The leader
// sweeps again once this is old enough, so a restart or a new leader does
// not sweep twice.
func (f *FSM) QualitySwept() (time.Time, error) {
	var at time.Time
	err := f.view(func(tx *bolt.Tx) error {
		if ms := meta(tx.Bucket(bMeta), kQualitySwept); ms > 0 {
			at = time.UnixMilli(int64(ms)).UTC()
		}
		return nil
	})
	return at, err
}
