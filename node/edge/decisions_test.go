package edge

import (
	"context"
	"errors"
	"path/filepath"
	"slices"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/xanode/xanode/node/registry"
)

// decidingCity is a fakeCity that also answers for decisions.
type decidingCity struct {
	*fakeCity
	decisions func(ids []string) ([]*registry.Outcome, error)
}

func (d *decidingCity) Decisions(_ context.Context, ids []string) ([]*registry.Outcome, error) {
	return d.decisions(ids)
}

// TestDecisionsAfterReview: a birth goes to review and leaves the outbox;
// asking the city brings nothing while it is under review, then city IT's
// decision, stored with the change, filed under the final ID, with a
// notice for the officer who recorded it; asking again changes nothing.
func TestDecisionsAfterReview(t *testing.T) {
	p := mustPKI(t)
	s := mustStore(t)
	im := importer(s, p)
	if _, err := im.Import(context.Background(), makeBundle(t, p, commune, 10, sampleRecords())); err != nil {
		t.Fatal(err)
	}
	const final = "092326900000"
	reviewed := false
	var asked [][]string
	city := &decidingCity{fakeCity: &fakeCity{push: func(cs []*registry.Change) ([]*registry.Outcome, error) {
		outs := make([]*registry.Outcome, len(cs))
		for i, c := range cs {
			outs[i] = &registry.Outcome{Change: c.ID(), Result: registry.Applied, Index: 11, Citizen: c.Citizen}
			if c.Op == registry.OpRegisterBirth {
				outs[i].Result, outs[i].Reason = registry.NeedsReview, "same child as a recorded birth"
			}
		}
		return outs, nil
	}}, decisions: func(ids []string) ([]*registry.Outcome, error) {
		asked = append(asked, ids)
		o := &registry.Outcome{Change: ids[0], Result: registry.NeedsReview, Index: 11, Citizen: registry.ProvisionalID("edge-1", 1)}
		if reviewed {
			o.Result, o.Reason, o.Index, o.Citizen = registry.Applied, "resolved by admin: twins", 40, final
		}
		return []*registry.Outcome{o}, nil
	}}
	var events []string
	e, err := New(Config{Node: "edge-1", Commune: commune, Store: s, City: city, Import: im.Import, Now: func() time.Time { return now },
		Notify: func(kind, change string) {
			if kind == EventDecision {
				events = append(events, change)
			}
		}})
	if err != nil {
		t.Fatal(err)
	}
	birth, err := e.Record(Draft{Officer: "canbo01", Op: registry.OpRegisterBirth, Patch: map[string]string{
		"full_name": "Nguyễn Thị Mai", "birth_date": "2026-11-20", "sex": "F", "commune": commune}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.Record(Draft{Officer: "lan", Op: registry.OpIdentify, Citizen: "092090001234"}); err != nil {
		t.Fatal(err)
	}
	if err := e.PushOnce(context.Background()); err != nil {
		t.Fatal(err)
	}
	if ids, _ := s.UnderReview(10); !slices.Equal(ids, []string{"edge-1/1"}) {
		t.Fatalf("under review: %v", ids)
	}
	if n, err := e.FetchDecisions(context.Background()); n != 0 || err != nil || len(events) != 0 {
		t.Fatalf("while under review: %d %v %v", n, err, events)
	}
	if id, err := s.FinalID(birth.Citizen); id != "" || err != nil {
		t.Fatalf("final ID while under review: %q %v", id, err)
	}
	reviewed = true
	if n, err := e.FetchDecisions(context.Background()); n != 1 || err != nil || !slices.Equal(events, []string{"edge-1/1"}) {
		t.Fatalf("after review: %d %v %v", n, err, events)
	}
	if ids, _ := s.UnderReview(10); len(ids) != 0 {
		t.Fatalf("still under review: %v", ids)
	}
	recent, _ := e.Recent(10)
	r := recent[1]
	if r.Change.ID() != "edge-1/1" || r.Outcome.Result != registry.NeedsReview || r.Decision == nil || r.Decision.Result != registry.Applied {
		t.Fatalf("the birth as recorded: %+v", r)
	}
	if h, _ := s.History(final, 10); len(h) != 1 || h[0].Decision == nil {
		t.Fatalf("history of the final ID: %+v", h)
	}
	if id, err := s.FinalID(birth.Citizen); id != final || err != nil {
		t.Fatalf("final ID: %q %v", id, err)
	}
	for _, bad := range []string{"P-edge-2-1", "P-edge-1-2", "P-edge-1-99", "092090001234", "P-edge-1-01"} {
		if _, err := s.FinalID(bad); !errors.Is(err, ErrNotFound) {
			t.Errorf("final ID of %s: %v", bad, err)
		}
	}
	if ns, _ := s.Notices("lan", 10); len(ns) != 0 {
		t.Fatalf("another officer's notices: %+v", ns)
	}
	ns, _ := s.Notices("canbo01", 10)
	if len(ns) != 1 || ns[0].Decision == nil {
		t.Fatalf("notices: %+v", ns)
	}
	if err := s.DismissNotice("edge-1", "lan", "edge-1/1"); !errors.Is(err, ErrNoNotice) {
		t.Fatalf("another officer dismissed the notice: %v", err)
	}
	if err := s.DismissNotice("edge-1", "canbo01", "edge-1/1"); err != nil {
		t.Fatal(err)
	}
	if ns, _ := s.Notices("canbo01", 10); len(ns) != 0 {
		t.Fatalf("notices after dismissing: %+v", ns)
	}
	asked = nil
	if n, err := e.FetchDecisions(context.Background()); n != 0 || err != nil || asked != nil {
		t.Fatalf("asking again: %d %v, asked %v", n, err, asked)
	}
}

// TestUnderReviewFromOlderStore: a store written before decisions came
// back lists its changes under review from their outcomes when opened.
func TestUnderReviewFromOlderStore(t *testing.T) {
	path := filepath.Join(t.TempDir(), "edge.db")
	s, err := OpenStore(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.SetIdentity("edge-1", commune); err != nil {
		t.Fatal(err)
	}
	for _, c := range []*registry.Change{
		{Officer: "canbo01", Node: "edge-1", Op: registry.OpIdentify, Citizen: "092090001234", Commune: commune},
		{Officer: "canbo01", Node: "edge-1", Op: registry.OpIdentify, Citizen: "092090001234", Commune: commune},
	} {
		if err := s.Append(c); err != nil {
			t.Fatal(err)
		}
	}
	outs := []*registry.Outcome{{Change: "edge-1/1", Result: registry.Applied}, {Change: "edge-1/2", Result: registry.NeedsReview}}
	if err := s.Settle("edge-1", outs, now); err != nil {
		t.Fatal(err)
	}
	s.db.Update(func(tx *bolt.Tx) error {
		for _, b := range [][]byte{bReview, bDecisions, bNotices} {
			tx.DeleteBucket(b)
		}
		return nil
	})
	s.Close()
	if s, err = OpenStore(path); err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if ids, _ := s.UnderReview(10); !slices.Equal(ids, []string{"edge-1/2"}) {
		t.Fatalf("under review after the upgrade: %v", ids)
	}
}
