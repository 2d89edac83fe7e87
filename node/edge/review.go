package edge

import (
	"encoding/json"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/xanode/xanode/sync/wire"
)

// The office's "cần rà soát" list (DESIGN.md, "Data quality"): the city's
// open findings about the commune's residents, as last received, kept
// sealed like every personal datum so that the officer can work it while
// the city is out of reach. It is replaced whole at each fetch; an officer
// resolves a finding with a change (registry.OpFindingResolve), which
// travels in the outbox like any other.

var (
	bReviewList = []byte("review_list") // "list" → sealed reviewList (JSON)
	kReviewList = []byte("list")
)

type reviewList struct {
	Fetched  time.Time      `json:"fetched"`
	Findings []wire.Finding `json:"findings"`
}

// SaveReviewList keeps the findings the city sent at fetched.
func (s *Store) SaveReviewList(fetched time.Time, fs []wire.Finding) error {
	v, err := json.Marshal(reviewList{Fetched: fetched, Findings: fs})
	if err != nil {
		return err
	}
	return s.db.Update(func(tx *bolt.Tx) error {
		return tx.Bucket(bReviewList).Put(kReviewList, s.keys.seal(bReviewList, kReviewList, v))
	})
}

// ReviewList returns the findings last received and when; a zero time
// when none was received yet.
func (s *Store) ReviewList() (time.Time, []wire.Finding, error) {
	var l reviewList
	err := s.db.View(func(tx *bolt.Tx) error {
		v := tx.Bucket(bReviewList).Get(kReviewList)
		if v == nil {
			return nil
		}
		plain, err := s.keys.open(bReviewList, kReviewList, v)
		if err != nil {
			return err
		}
		if err := json.Unmarshal(plain, &l); err != nil {
			return fmt.Errorf("%w: review list: %w", ErrCorrupt, err)
		}
		return nil
	})
	return l.Fetched, l.Findings, err
}

// dropReviewList forgets the list: it is the commune's, and the node no
// longer serves it (reassigned or purged). A full bundle of the same
// commune keeps it.
func dropReviewList(tx *bolt.Tx) error {
	if b := tx.Bucket(bReviewList); b != nil {
		return b.Delete(kReviewList)
	}
	return nil
}
