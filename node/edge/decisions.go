package edge

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/xanode/xanode/node/registry"
)

// A change the city sent to review leaves the outbox with its needs_review
// outcome; city IT's decision comes later (DESIGN.md, "Sync"). The store
// keeps the changes still under review, the decisions that came back and,
// for each, a notice to the officer who recorded the change until they
// have seen it.
var (
	bReview    = []byte("review")    // seq → nothing: held outcome needs_review, no decision yet
	bDecisions = []byte("decisions") // seq → sealed outcome: city IT's decision after review
	bNotices   = []byte("notices")   // seq → sealed officer user: a decision that officer has not seen
)

// EventDecision is the kind passed to Config.Notify when a decision on a
// change under review arrived.
const EventDecision = "decision"

// initDecisions creates the buckets of decisions; a store of an older
// version gets its changes under review listed from their outcomes.
func (s *Store) initDecisions(tx *bolt.Tx) error {
	fresh := tx.Bucket(bReview) == nil
	for _, name := range [][]byte{bReview, bDecisions, bNotices} {
		if _, err := tx.CreateBucketIfNotExists(name); err != nil {
			return err
		}
	}
	if !fresh {
		return nil
	}
	review := tx.Bucket(bReview)
	return tx.Bucket(bOutcomes).ForEach(func(k, _ []byte) error {
		o, err := s.outcome(tx, k)
		if err != nil || o == nil || o.Result != registry.NeedsReview {
			return err
		}
		return review.Put(k, []byte{})
	})
}

// decision reads city IT's decision on change seq k; nil when none came.
func (s *Store) decision(tx *bolt.Tx, k []byte) (*registry.Outcome, error) {
	return s.sealedOutcome(tx, bDecisions, k, "decision on")
}

// UnderReview lists up to max changes of this node whose outcome is
// needs_review and on which no decision came yet, oldest first, by ID.
func (s *Store) UnderReview(max int) ([]string, error) {
	var out []string
	err := s.db.View(func(tx *bolt.Tx) error {
		node := string(tx.Bucket(bMeta).Get(kNode))
		cur := tx.Bucket(bReview).Cursor()
		for k, _ := cur.First(); k != nil && len(out) < max; k, _ = cur.Next() {
			out = append(out, node+"/"+strconv.FormatUint(bytesU64(k), 10))
		}
		return nil
	})
	return out, err
}

// Decide stores the decisions among outs, the city's current outcomes of
// changes under review here: each that is no longer needs_review becomes
// the change's decision, with a notice to the officer who recorded it; a
// decision that gives the citizen another ID (a birth accepted: the
// provisional ID's final one) files the change in that citizen's history
// too. Outcomes of changes not under review (decided already, or never
// sent to review) are ignored, so a repeated answer changes nothing. It
// returns the changes decided now, with their decisions.
func (s *Store) Decide(node string, outs []*registry.Outcome) ([]Recorded, error) {
	var decided []Recorded
	err := s.db.Update(func(tx *bolt.Tx) error {
		decided = decided[:0]
		for _, o := range outs {
			seq, err := seqOf(node, o.Change)
			if err != nil {
				return err
			}
			k := u64(seq)
			if tx.Bucket(bReview).Get(k) == nil || o.Result == registry.NeedsReview || o.Result == registry.Duplicate {
				continue
			}
			c, err := s.change(tx, k)
			if err != nil {
				return err
			}
			if err := tx.Bucket(bDecisions).Put(k, s.keys.seal(bDecisions, k, registry.AppendOutcome(nil, o))); err != nil {
				return err
			}
			if err := tx.Bucket(bNotices).Put(k, s.keys.seal(bNotices, k, []byte(c.Officer))); err != nil {
				return err
			}
			if o.Citizen != "" && o.Citizen != c.Citizen {
				if err := tx.Bucket(bHistory).Put(s.historyKey(o.Citizen, k), []byte{}); err != nil {
					return err
				}
			}
			if err := tx.Bucket(bReview).Delete(k); err != nil {
				return err
			}
			first, err := s.outcome(tx, k)
			if err != nil {
				return err
			}
			decided = append(decided, Recorded{Change: c, Outcome: first, Decision: o})
		}
		return nil
	})
	return decided, err
}

// Notices returns up to max decisions the officer user has not dismissed,
// on changes they recorded, newest first.
func (s *Store) Notices(user string, max int) ([]Recorded, error) {
	var out []Recorded
	err := s.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(bNotices)
		cur := b.Cursor()
		for k, v := cur.Last(); k != nil && len(out) < max; k, v = cur.Prev() {
			who, err := s.keys.open(bNotices, k, v)
			if err != nil {
				return err
			}
			if string(who) != user {
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

// ErrNoNotice: the officer has no such notice (another officer's, or
// dismissed already).
var ErrNoNotice = errors.New("edge: no such notice for this officer")

// DismissNotice removes the officer's notice of the decision on change.
func (s *Store) DismissNotice(node, user, change string) error {
	seq, err := seqOf(node, change)
	if err != nil {
		return err
	}
	k := u64(seq)
	return s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bNotices)
		v := b.Get(k)
		if v == nil {
			return ErrNoNotice
		}
		who, err := s.keys.open(bNotices, k, v)
		if err != nil {
			return err
		}
		if string(who) != user {
			return ErrNoNotice
		}
		return b.Delete(k)
	})
}

// FinalID returns the personal ID the city assigned to the birth this node
// recorded under provisional (registry.ProvisionalID), at once or after
// review; "" while none is assigned. Another node's provisional ID, or one
// that names no birth recorded here, is ErrNotFound.
func (s *Store) FinalID(provisional string) (string, error) {
	node, seq, ok := parseProvisional(provisional)
	if !ok {
		return "", fmt.Errorf("%w: %q is not a provisional ID", ErrNotFound, provisional)
	}
	var final string
	err := s.db.View(func(tx *bolt.Tx) error {
		if string(tx.Bucket(bMeta).Get(kNode)) != node || tx.Bucket(bChanges).Get(u64(seq)) == nil {
			return ErrNotFound
		}
		r, err := s.recorded(tx, u64(seq))
		if err != nil {
			return err
		}
		if r.Change.Citizen != provisional {
			return ErrNotFound
		}
		for _, o := range []*registry.Outcome{r.Decision, r.Outcome} {
			if o != nil && o.Result != registry.Rejected && o.Citizen != "" && !registry.IsProvisional(o.Citizen) {
				final = o.Citizen
				return nil
			}
		}
		return nil
	})
	return final, err
}

// parseProvisional splits "P-node-seq".
func parseProvisional(id string) (node string, seq uint64, ok bool) {
	rest, ok := strings.CutPrefix(id, "P-")
	i := strings.LastIndexByte(rest, '-')
	if !ok || i <= 0 {
		return "", 0, false
	}
	seq, err := strconv.ParseUint(rest[i+1:], 10, 64)
	if err != nil || registry.ProvisionalID(rest[:i], seq) != id {
		return "", 0, false
	}
	return rest[:i], seq, true
}

// DecisionCity is the optional part of City that answers with the
// decisions it holds on this node's changes (client.Client.Decisions).
type DecisionCity interface {
	Decisions(ctx context.Context, ids []string) ([]*registry.Outcome, error)
}

// decisionBatch is the most change IDs asked about at once.
const decisionBatch = 500

// FetchDecisions asks the city about every change still under review here
// and stores the decisions that came (Store.Decide); it returns how many
// came. Safe to repeat: a decision held is not asked about again.
func (e *Edge) FetchDecisions(ctx context.Context) (int, error) {
	dc, ok := e.cfg.City.(DecisionCity)
	if !ok {
		return 0, nil
	}
	ids, err := e.cfg.Store.UnderReview(decisionBatch)
	if err != nil || len(ids) == 0 {
		return 0, err
	}
	outs, err := dc.Decisions(ctx, ids)
	if err != nil {
		e.setErr(err)
		return 0, err
	}
	decided, err := e.cfg.Store.Decide(e.cfg.Node, outs)
	if err != nil {
		return 0, err
	}
	e.setErr(nil)
	if err := e.cfg.Store.Contact(e.cfg.Now()); err != nil {
		e.log.Warn("last contact with the city not saved", "err", err)
	}
	for _, r := range decided {
		e.log.Info("decision after review", "change", r.Change.ID(), "result", r.Decision.Result, "citizen", r.Decision.Citizen)
		e.cfg.Notify(EventDecision, r.Change.ID())
	}
	return len(decided), nil
}

// DecisionsSoon asks for the decisions on the changes under review now,
// as when the city says one was decided (a hint: the loop also asks on
// the pull timer).
func (e *Edge) DecisionsSoon() {
	select {
	case e.decideNow <- struct{}{}:
	default:
	}
}

// decisionLoop asks for decisions at start, on the pull timer and when
// told. A hint that finds nothing decided yet (the city node asked may lag
// the one that sent the hint) is followed by a few more asks, backing off.
func (e *Edge) decisionLoop(ctx context.Context) {
	retries, backoff := 0, time.Duration(0)
	for {
		n, err := e.FetchDecisions(ctx)
		if ctx.Err() != nil {
			return
		}
		if err != nil {
			e.log.Warn("asking the city for decisions failed", "err", err)
		}
		wait := e.cfg.PullEvery
		if n == 0 && retries > 0 {
			retries--
			backoff = nextBackoff(backoff)
			wait = backoff
		} else {
			retries, backoff = 0, 0
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-e.decideNow:
			t.Stop()
			retries, backoff = 3, 0
		case <-t.C:
		}
	}
}

// Contact records a successful exchange with the city at at: what the
// officer UI shows as the last contact.
func (s *Store) Contact(at time.Time) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		m := tx.Bucket(bMeta)
		if ms := uint64(at.UnixMilli()); ms > getU64(m, kSynced) {
			return m.Put(kSynced, u64(ms))
		}
		return nil
	})
}
