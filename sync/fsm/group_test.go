package fsm

import (
	"errors"
	"reflect"
	"regexp"
	"testing"
	"time"

	"github.com/xanode/xanode/node/registry"
)

var entryRef = regexp.MustCompile(`at index [0-9]+`)

// groupPushes are pushes of two edges that meet: an application, a
// competing registration, a retried change beside a new one, a push whose
// sender did not record its change, and a change from the future measured
// against its own push's receive time.
func groupPushes() []*Command {
	edge := func(id string) Sender { return Sender{Role: registry.RoleEdge, ID: id} }
	return []*Command{
		{Kind: KindChanges, From: edge("edge-1"), Received: t0, Changes: []*registry.Change{temp("edge-1", 1, 1, "5 Nguyễn Trãi", t0)}},
		{Kind: KindChanges, From: edge("edge-2"), Received: t0, Changes: []*registry.Change{temp("edge-2", 1, 1, "9 Hòa Bình", t0.Add(time.Hour))}},
		{Kind: KindChanges, From: edge("edge-1"), Received: t0.Add(time.Second), Changes: []*registry.Change{
			temp("edge-1", 1, 1, "5 Nguyễn Trãi", t0), temp("edge-1", 2, 1, "6 Nguyễn Trãi", t0.Add(2*time.Hour))}},
		{Kind: KindChanges, From: edge("edge-2"), Received: t0, Changes: []*registry.Change{temp("edge-1", 3, 1, "x", t0)}},
		{Kind: KindChanges, From: edge("edge-2"), Received: t0.Add(3 * time.Hour), Changes: []*registry.Change{temp("edge-2", 2, 1, "8 Hòa Bình", t0.Add(30*time.Hour))}},
	}
}

// TestGroupDecidesEachPushAsItsOwnEntry applies the same pushes as
// consecutive KindChanges entries on one replica and as one KindGroup entry
// on another: every push gets the same answer (but for the outcome's
// index, the entry that holds it), and the records end the same.
func TestGroupDecidesEachPushAsItsOwnEntry(t *testing.T) {
	sep, grp := seeded(t), seeded(t)
	var want []any
	for _, p := range groupPushes() {
		want = append(want, sep.apply(t, p))
	}
	res := grp.apply(t, Group(Sender{Role: registry.RoleCity, ID: "city-1"}, t0.Add(3*time.Hour), groupPushes()))
	got, ok := res.([]any)
	if !ok || len(got) != len(want) {
		t.Fatalf("group response %T %v", res, res)
	}
	for i := range want {
		we, wantErr := want[i].(error)
		ge, gotErr := got[i].(error)
		if wantErr || gotErr {
			if !wantErr || !gotErr || !errors.Is(ge, ErrForbidden) || we.Error() != ge.Error() {
				t.Errorf("push %d: %v as an entry, %v in a group", i, want[i], got[i])
			}
			continue
		}
		wo, go_ := want[i].([]*registry.Outcome), got[i].([]*registry.Outcome)
		if len(wo) != len(go_) {
			t.Fatalf("push %d: %d outcomes as an entry, %d in a group", i, len(wo), len(go_))
		}
		for k := range wo {
			a, b := *wo[k], *go_[k]
			if b.Index != grp.index {
				t.Errorf("push %d change %d: index %d, the group is entry %d", i, k, b.Index, grp.index)
			}
			// A reason may name the entry that holds a competing change.
			a.Index, b.Index = 0, 0
			a.Reason, b.Reason = entryRef.ReplaceAllString(a.Reason, "at index N"), entryRef.ReplaceAllString(b.Reason, "at index N")
			if !reflect.DeepEqual(a, b) {
				t.Errorf("push %d change %d:\n as an entry %+v\n in a group  %+v", i, k, a, b)
			}
		}
	}
	// The second push competed with the first; the last was clamped to
	// its own push's receive time, not the group's.
	if o := got[1].([]*registry.Outcome)[0]; o.Result != registry.NeedsReview {
		t.Errorf("competing registration in the group: %+v", o)
	}
	if o := got[2].([]*registry.Outcome); o[0].Result != registry.Duplicate || o[1].Result != registry.Applied {
		t.Errorf("retried and new change in the group: %+v %+v", o[0], o[1])
	}
	if o := got[4].([]*registry.Outcome)[0]; !o.Clamped {
		t.Errorf("a change 27 h ahead of its push was not clamped: %+v", o)
	}
	a, _ := sep.f.Citizen(idAn)
	b, _ := grp.f.Citizen(idAn)
	if a.Values != b.Values {
		t.Errorf("records differ:\n as entries %v\n as a group %v", a.Values, b.Values)
	}
	sa, _ := sep.f.Status()
	sb, _ := grp.f.Status()
	if sa.Changes != sb.Changes {
		t.Errorf("history holds %d changes after entries, %d after the group", sa.Changes, sb.Changes)
	}
}

// TestGroupReplicasAgree: replicas applying the same group entry reach the
// same state, and a replay of it changes nothing.
func TestGroupReplicasAgree(t *testing.T) {
	a, b := seeded(t), seeded(t)
	g := Group(Sender{Role: registry.RoleCity, ID: "city-1"}, t0, groupPushes())
	a.apply(t, g)
	b.apply(t, g)
	sa, _ := a.f.Status()
	sb, _ := b.f.Status()
	if sa != sb {
		t.Fatalf("replicas differ: %+v vs %+v", sa, sb)
	}
}

func TestGroupAuthorization(t *testing.T) {
	city := Sender{Role: registry.RoleCity, ID: "city-1"}
	push := groupPushes()[0]
	many := make([]*Command, MaxGroup+1)
	for i := range many {
		many[i] = push
	}
	cases := map[string]*Command{
		"an edge may not group":   Group(Sender{Role: registry.RoleEdge, ID: "edge-1"}, t0, []*Command{push}),
		"nor city IT":             Group(Sender{Role: registry.RoleAdmin, ID: "admin"}, t0, []*Command{push}),
		"an empty group":          Group(city, t0, nil),
		"too many pushes":         Group(city, t0, many),
		"a push without a sender": Group(city, t0, []*Command{{Kind: KindChanges, Received: t0, Changes: push.Changes}}),
		"a command not a push":    Group(city, t0, []*Command{{Kind: KindImport, From: Sender{Role: registry.RoleAdmin, ID: "admin"}, Received: t0}}),
	}
	for name, c := range cases {
		if err := c.Authorize(); !errors.Is(err, ErrForbidden) {
			t.Errorf("%s: %v", name, err)
		}
	}
	// A push its sender may not send is refused on its own when the group
	// is applied (TestGroupDecidesEachPushAsItsOwnEntry), not the group.
	if err := Group(city, t0, groupPushes()).Authorize(); err != nil {
		t.Errorf("a group of pushes: %v", err)
	}
}

func TestGroupEncoding(t *testing.T) {
	g := Group(Sender{Role: registry.RoleCity, ID: "city-2"}, t0.Add(time.Minute), groupPushes())
	b := g.Encode()
	d, err := DecodeCommand(b)
	if err != nil {
		t.Fatal(err)
	}
	if d.Kind != KindGroup || d.From != g.From || !d.Received.Equal(g.Received) || len(d.Pushes) != len(g.Pushes) {
		t.Fatalf("decoded %+v", d)
	}
	for i, p := range d.Pushes {
		if p.From != g.Pushes[i].From || !p.Received.Equal(g.Pushes[i].Received) || len(p.Changes) != len(g.Pushes[i].Changes) {
			t.Errorf("push %d decoded %+v, was %+v", i, p, g.Pushes[i])
		}
	}
	for _, cut := range []int{1, len(b) / 2, len(b) - 1} {
		if _, err := DecodeCommand(b[:cut]); !errors.Is(err, ErrCommand) {
			t.Errorf("cut at %d of %d: %v", cut, len(b), err)
		}
	}
}
