package fsm

import (
	"errors"
	"strings"
	"testing"

	"github.com/xanode/xanode/node/registry"
)

// TestDecisionsComeBack: a change that went to review is decided by city
// IT; the FSM tells its observers which node's change was decided, and
// Decisions gives the edge the final outcome (a birth with its assigned
// ID), for its own changes only.
func TestDecisionsComeBack(t *testing.T) {
	l := seeded(t)
	birth := func(seq uint64) *registry.Change {
		return &registry.Change{Node: "edge-1", Seq: seq, Officer: "canbo01", Op: registry.OpRegisterBirth,
			Citizen: registry.ProvisionalID("edge-1", seq), Commune: commune, Time: registry.HLCFromTime(t0),
			Patch: registry.Patch{
				{Field: registry.FieldFullName, Value: "Nguyễn Thị Mai"}, {Field: registry.FieldBirthDate, Value: "2026-11-20"},
				{Field: registry.FieldSex, Value: "F"}, {Field: registry.FieldCommune, Value: commune},
				{Field: registry.FieldMotherName, Value: "Trần Thị Bình"},
			}}
	}
	l.changes(t, t0, birth(1))
	if o := l.changes(t, t0, birth(2))[0]; o.Result != registry.NeedsReview {
		t.Fatalf("the second identical birth: %+v", o)
	}
	got, err := l.f.Decisions("edge-1", []string{"edge-1/2", "edge-1/99", "edge-1/1"})
	if err != nil || len(got) != 2 || got[0].Change != "edge-1/2" || got[0].Result != registry.NeedsReview || got[1].Result != registry.Applied {
		t.Fatalf("decisions before review: %+v %v", got, err)
	}
	var events []Event
	l.f.Observe(func(evs []Event) { events = append(events, evs...) })
	q, _ := l.f.Reviews()
	res := l.apply(t, &Command{Kind: KindResolve, Received: t0, Entry: q[0].Seq, Accept: true, Reason: "hai trẻ sinh đôi", By: "admin"})
	if o, ok := res.(*registry.Outcome); !ok || o.Result != registry.Applied {
		t.Fatalf("resolution: %v", res)
	}
	decided := false
	for _, ev := range events {
		decided = decided || (ev.Kind == EventDecided && ev.Node == "edge-1" && ev.Change == "edge-1/2")
	}
	if !decided {
		t.Fatalf("events after the resolution: %+v", events)
	}
	got, err = l.f.Decisions("edge-1", []string{"edge-1/2"})
	if err != nil || len(got) != 1 {
		t.Fatalf("decisions after review: %+v %v", got, err)
	}
	d := got[0]
	if d.Result != registry.Applied || !strings.Contains(d.Reason, "hai trẻ sinh đôi") || d.Citizen == "" || registry.IsProvisional(d.Citizen) {
		t.Fatalf("the decision: %+v", d)
	}
	if c, err := l.f.Citizen(d.Citizen); err != nil || c.Get(registry.FieldFullName) != "Nguyễn Thị Mai" {
		t.Fatalf("the accepted birth's record %s: %v", d.Citizen, err)
	}
	// A push retried after the decision gets the decision as its original.
	if o := l.changes(t, t0, birth(2))[0]; o.Result != registry.Duplicate || o.Original != registry.Applied || o.Citizen != d.Citizen {
		t.Fatalf("retried push after review: %+v", o)
	}
	for _, ids := range [][]string{{"edge-1/1"}, {"edge-2/1/"}, {"edge-2/"}, {"edge-2/x"}, {"edge-2"}} {
		if _, err := l.f.Decisions("edge-2", ids); !errors.Is(err, ErrForbidden) {
			t.Errorf("edge-2 asking about %q: %v", ids, err)
		}
	}
	if _, err := l.f.Decisions("edge-1", make([]string, MaxDecisions+1)); err == nil {
		t.Error("more than MaxDecisions change IDs were looked up")
	}
}
