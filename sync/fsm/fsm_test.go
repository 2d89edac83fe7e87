package fsm

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/hashicorp/raft"

	"github.com/xanode/xanode/node/registry"
)

var t0 = time.Date(2026, 11, 27, 8, 0, 0, 0, time.UTC)

func mustOpen(t *testing.T) *FSM {
	t.Helper()
	f, err := Open(filepath.Join(t.TempDir(), "fsm.db"), DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

// log feeds commands to an FSM as raft would, numbering entries.
type log struct {
	f     *FSM
	index uint64
}

// apply stamps c with the sender the authority table expects, unless the
// test set one, and applies it as the next entry.
func (l *log) apply(t *testing.T, c *Command) any {
	t.Helper()
	if c.Legacy() {
		c.From = senderFor(c)
	}
	return l.applyLegacy(t, c)
}

// applyLegacy applies c as it is: without a sender it is an entry of log
// format 1.
func (l *log) applyLegacy(t *testing.T, c *Command) any {
	t.Helper()
	l.index++
	return l.f.Apply(&raft.Log{Index: l.index, Type: raft.LogCommand, Data: c.Encode()})
}

// senderFor is the sender that may send c: the node it names for an
// edge's command, "admin" for city IT, "city-1" for a city node.
func senderFor(c *Command) Sender {
	role := KindSender(c.Kind)
	id := map[registry.Role]string{registry.RoleAdmin: "admin", registry.RoleCity: "city-1"}[role]
	switch {
	case c.Kind == KindChanges && len(c.Changes) > 0:
		id = c.Changes[0].Node
	case c.Fleet != nil && role == registry.RoleEdge:
		id = c.Fleet.Node
	case c.Presence != nil:
		id = c.Presence.Node
	}
	if id == "" {
		id = "edge-1"
	}
	return Sender{Role: role, ID: id}
}

func (l *log) changes(t *testing.T, at time.Time, cs ...*registry.Change) []*registry.Outcome {
	t.Helper()
	out := l.apply(t, &Command{Kind: KindChanges, Received: at, Changes: cs})
	os, ok := out.([]*registry.Outcome)
	if !ok {
		t.Fatalf("response %T %v", out, out)
	}
	return os
}

const (
	commune = "31117"
	other   = "31120"
	idAn    = "092090001234" // male, born 1990
)

func person(id, name, dob, sex, comm string) *registry.Citizen {
	c := &registry.Citizen{ID: id}
	c.Values[registry.FieldFullName] = name
	c.Values[registry.FieldBirthDate] = dob
	c.Values[registry.FieldSex] = sex
	c.Values[registry.FieldCommune] = comm
	c.Values[registry.FieldPermanentAddress] = "12 Mậu Thân, Phường Xuân Khánh"
	return c
}

// seeded is two citizens, edge-1 and edge-2 assigned commune, and the
// supervisor account canbo01 in commune (at index 4).
func seeded(t *testing.T) *log {
	l := seededBare(t)
	l.apply(t, officerAdd("canbo01", "Nguyễn Thị Lan", registry.SupervisorRole, 1))
	return l
}

// seededBare is seeded without the officer account.
func seededBare(t *testing.T) *log {
	l := &log{f: mustOpen(t)}
	l.apply(t, &Command{Kind: KindImport, Received: t0, Records: []*registry.Citizen{
		person(idAn, "Nguyễn Văn An", "1990-05-01", "M", commune),
		person("092190004321", "Trần Thị Bình", "1990-07-02", "F", other),
	}})
	l.apply(t, &Command{Kind: KindAssign, Received: t0, Node: "edge-1", Communes: []string{commune}})
	l.apply(t, &Command{Kind: KindAssign, Received: t0, Node: "edge-2", Communes: []string{commune}})
	return l
}

func temp(node string, seq, base uint64, addr string, at time.Time) *registry.Change {
	return &registry.Change{
		Node: node, Seq: seq, Officer: "canbo01", Op: registry.OpRegisterTemporary,
		Citizen: idAn, Commune: commune, Base: base, Time: registry.HLCFromTime(at),
		Patch: registry.Patch{
			{Field: registry.FieldTemporaryAddress, Value: addr},
			{Field: registry.FieldTemporaryUntil, Value: "2027-06-30"},
		},
	}
}

func TestOutcomes(t *testing.T) {
	l := seeded(t)
	base := uint64(1)
	cases := []struct {
		name   string
		change *registry.Change
		want   registry.Result
	}{
		{"applied", temp("edge-1", 1, base, "5 Nguyễn Trãi", t0), registry.Applied},
		{"duplicate", temp("edge-1", 1, base, "5 Nguyễn Trãi", t0), registry.Duplicate},
		{"unknown citizen", func() *registry.Change {
			c := temp("edge-1", 2, base, "x", t0)
			c.Citizen = "092090009999"
			return c
		}(), registry.Rejected},
		{"node not assigned", temp("edge-9", 1, base, "x", t0), registry.Rejected},
		{"invalid patch", func() *registry.Change {
			c := temp("edge-1", 3, base, "x", t0)
			c.Patch = c.Patch[:1]
			return c
		}(), registry.Rejected},
		{"other commune's citizen", func() *registry.Change {
			c := temp("edge-1", 4, base, "x", t0)
			c.Citizen = "092190004321"
			return c
		}(), registry.Rejected},
		{"competing registration within the window", temp("edge-2", 1, base, "9 Hòa Bình", t0.Add(time.Hour)), registry.NeedsReview},
		{"older action loses every field", temp("edge-2", 2, base, "7 Lý Tự Trọng", t0.Add(-48*time.Hour)), registry.Superseded},
	}
	for _, tc := range cases {
		o := l.changes(t, t0, tc.change)[0]
		if o.Result != tc.want {
			t.Errorf("%s: got %s (%s), want %s", tc.name, o.Result, o.Reason, tc.want)
		}
	}
	c, err := l.f.Citizen(idAn)
	if err != nil {
		t.Fatal(err)
	}
	if got := c.Get(registry.FieldTemporaryAddress); got != "5 Nguyễn Trãi" {
		t.Errorf("temporary address %q", got)
	}
	h, _ := l.f.History(idAn)
	// applied, two rejections, needs_review, superseded: the duplicate is
	// not recorded twice, the other rejections are under other citizens.
	if len(h) != 5 {
		t.Errorf("history of %s has %d entries, want 5", idAn, len(h))
	}
}

func TestDuplicateReturnsOriginal(t *testing.T) {
	l := seeded(t)
	first := l.changes(t, t0, temp("edge-1", 1, 1, "5 Nguyễn Trãi", t0))[0]
	again := l.changes(t, t0, temp("edge-1", 1, 1, "5 Nguyễn Trãi", t0))[0]
	if again.Result != registry.Duplicate || again.Original != first.Result || again.Index != first.Index {
		t.Fatalf("duplicate %+v of %+v", again, first)
	}
	st, _ := l.f.Status()
	if st.Changes != 1 {
		t.Fatalf("history has %d entries, want 1", st.Changes)
	}
}

func TestMergedAndClamped(t *testing.T) {
	l := seeded(t)
	fix := func(seq uint64, at time.Time, fv ...registry.FieldValue) *registry.Change {
		return &registry.Change{Node: "edge-1", Seq: seq, Officer: "canbo01", Op: registry.OpCorrect, Citizen: idAn,
			Commune: commune, Base: 1, Time: registry.HLCFromTime(at), Patch: fv}
	}
	l.changes(t, t0.Add(2*time.Hour), fix(1, t0.Add(time.Hour), registry.FieldValue{Field: registry.FieldReligion, Value: "Phật giáo"}))
	o := l.changes(t, t0, fix(2, t0, registry.FieldValue{Field: registry.FieldEthnicity, Value: "Kinh"},
		registry.FieldValue{Field: registry.FieldReligion, Value: "Không"}))[0]
	if o.Result != registry.Merged || len(o.Lost) != 1 || o.Lost[0].Winner != "Phật giáo" {
		t.Fatalf("merge outcome %+v", o)
	}
	o = l.changes(t, t0, fix(3, t0.Add(3*time.Minute), registry.FieldValue{Field: registry.FieldOtherName, Value: "Tư"}))[0]
	if o.Clamped {
		t.Fatal("3 minutes ahead of the receive time is within the allowed skew")
	}
	o = l.changes(t, t0.Add(2*time.Hour), fix(4, t0.Add(30*time.Hour), registry.FieldValue{Field: registry.FieldOtherName, Value: "Út"}))[0]
	if !o.Clamped || o.Result != registry.Applied {
		t.Fatalf("far-future change: %+v", o)
	}
}

func TestBirthGetsPoolID(t *testing.T) {
	l := seeded(t)
	birth := func(seq uint64) *registry.Change {
		return &registry.Change{Node: "edge-1", Seq: seq, Officer: "canbo01", Op: registry.OpRegisterBirth,
			Citizen: registry.ProvisionalID("edge-1", seq), Commune: commune, Time: registry.HLCFromTime(t0),
			Patch: registry.Patch{
				{Field: registry.FieldFullName, Value: "Nguyễn Thị Mai"},
				{Field: registry.FieldBirthDate, Value: "2026-11-20"},
				{Field: registry.FieldSex, Value: "F"},
				{Field: registry.FieldCommune, Value: commune},
				{Field: registry.FieldFatherID, Value: idAn},
			}}
	}
	o := l.changes(t, t0, birth(1))[0]
	if o.Result != registry.Applied || o.Citizen != "092326900000" {
		t.Fatalf("birth outcome %+v", o)
	}
	if err := registry.CheckID(o.Citizen, registry.Date{Year: 2026, Month: 11, Day: 20}, "F"); err != nil {
		t.Fatal(err)
	}
	if o := l.changes(t, t0, birth(2))[0]; o.Result != registry.NeedsReview {
		t.Fatalf("second identical birth: %+v", o)
	}
	if rs, _ := l.f.Reviews(); len(rs) != 1 {
		t.Fatalf("review queue has %d entries", len(rs))
	}
}

// TestDeterministicAcrossBatching applies one log as single entries and in
// one batch on two replicas and requires equal digests.
func TestDeterministicAcrossBatching(t *testing.T) {
	a, b := seeded(t), seeded(t)
	var logs []*raft.Log
	for i := uint64(1); i <= 50; i++ {
		node := []string{"edge-1", "edge-2"}[i%2]
		cmd := &Command{Kind: KindChanges, Received: t0, Changes: []*registry.Change{
			temp(node, i, i%7, "Số "+string(rune('0'+i%10)), t0.Add(time.Duration(i)*time.Minute*37)),
		}}
		b.index++
		logs = append(logs, &raft.Log{Index: b.index, Type: raft.LogCommand, Data: cmd.Encode()})
		a.apply(t, cmd)
	}
	b.f.ApplyBatch(logs)
	sa, _ := a.f.Status()
	sb, _ := b.f.Status()
	if sa.Digest != sb.Digest || sa.AppliedIndex != sb.AppliedIndex {
		t.Fatalf("replicas differ: %x@%d vs %x@%d", sa.Digest, sa.AppliedIndex, sb.Digest, sb.AppliedIndex)
	}
	// Replaying entries already applied changes nothing.
	b.f.ApplyBatch(logs)
	if sb2, _ := b.f.Status(); sb2 != sb {
		t.Fatal("replay changed the state")
	}
}

func TestSubsetVersionsAndDeltas(t *testing.T) {
	l := seeded(t)
	v0, _ := l.f.SubsetVersion(commune)
	if v0 != 4 {
		t.Fatalf("subset version after the seed %d, want 4 (the officer account's index)", v0)
	}
	l.changes(t, t0, temp("edge-1", 1, 1, "5 Nguyễn Trãi", t0))
	// An identification changes no record: the version stays.
	l.changes(t, t0, &registry.Change{Node: "edge-1", Seq: 2, Officer: "canbo01", Op: registry.OpIdentify, Citizen: idAn, Commune: commune, Base: 1})
	v1, _ := l.f.SubsetVersion(commune)
	if v1 != 5 {
		t.Fatalf("version %d, want 5 (the registration's index)", v1)
	}
	// A permanent move from `other` into `commune`.
	l.apply(t, &Command{Kind: KindAssign, Received: t0, Node: "edge-1", Communes: []string{commune, other}})
	move := &registry.Change{Node: "edge-1", Seq: 3, Officer: "canbo01", Op: registry.OpRegisterPermanent, Citizen: "092190004321",
		Commune: commune, Base: 1, Time: registry.HLCFromTime(t0), Patch: registry.Patch{
			{Field: registry.FieldPermanentAddress, Value: "8 Hòa Bình"}, {Field: registry.FieldCommune, Value: commune}}}
	if o := l.changes(t, t0, move)[0]; o.Result != registry.Applied {
		t.Fatalf("move: %+v", o)
	}
	d, err := l.f.SubsetDelta(commune, v0)
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Upserts) != 2 || d.Upserts[0].ID != idAn || d.Upserts[1].ID != "092190004321" || len(d.Removed) != 0 {
		t.Fatalf("delta into %s: %+v", commune, d)
	}
	dOther, _ := l.f.SubsetDelta(other, 0)
	if len(dOther.Removed) != 1 || len(dOther.Upserts) != 0 {
		t.Fatalf("delta of %s: upserts %d removed %v", other, len(dOther.Upserts), dOther.Removed)
	}
	var ids []string
	l.f.Subset(other, func(c *registry.Citizen) error { ids = append(ids, c.ID); return nil })
	if len(ids) != 0 {
		t.Fatalf("%s still lists %v", other, ids)
	}
	if none, _ := l.f.SubsetDelta(commune, d.To); len(none.Upserts)+len(none.Removed) != 0 {
		t.Fatalf("empty delta expected, got %+v", none)
	}
}

func TestConflictQueueResolution(t *testing.T) {
	l := seeded(t)
	l.changes(t, t0, temp("edge-1", 1, 1, "5 Nguyễn Trãi", t0))
	o := l.changes(t, t0, temp("edge-2", 1, 1, "9 Hòa Bình", t0.Add(time.Hour)))[0]
	if o.Result != registry.NeedsReview {
		t.Fatalf("%+v", o)
	}
	q, _ := l.f.Reviews()
	if len(q) != 1 {
		t.Fatalf("queue %d", len(q))
	}
	entry := q[0].Seq
	if res := l.apply(t, &Command{Kind: KindResolve, Received: t0, Entry: entry + 100, Accept: true, Reason: "x", By: "admin"}); res == nil {
		t.Fatal("resolving an entry not in the queue succeeded")
	}
	res := l.apply(t, &Command{Kind: KindResolve, Received: t0, Entry: entry, Accept: true, Reason: "đã xác minh tại nhà", By: "admin"})
	ro, ok := res.(*registry.Outcome)
	if !ok || ro.Result != registry.Applied {
		t.Fatalf("resolution: %v", res)
	}
	if c, _ := l.f.Citizen(idAn); c.Get(registry.FieldTemporaryAddress) != "9 Hòa Bình" {
		t.Fatalf("accepted change not applied: %q", c.Get(registry.FieldTemporaryAddress))
	}
	if q, _ := l.f.Reviews(); len(q) != 0 {
		t.Fatal("resolved entry still queued")
	}
	if o, _ := l.f.Outcome("edge-2/1"); o.Result != registry.Applied || o.Reason == "" {
		t.Fatalf("the edge's outcome was not updated: %+v", o)
	}
	if res := l.apply(t, &Command{Kind: KindResolve, Received: t0, Entry: entry, Accept: false, Reason: "again", By: "admin"}); res == nil {
		t.Fatal("an entry was resolved twice")
	}
}

func TestDeathIsTerminalExceptByCityCorrection(t *testing.T) {
	l := seeded(t)
	death := &registry.Change{Node: "edge-1", Seq: 1, Officer: "canbo01", Op: registry.OpRegisterDeath, Citizen: idAn, Commune: commune, Base: 1,
		Time: registry.HLCFromTime(t0), Patch: registry.Patch{{Field: registry.FieldStatus, Value: registry.StatusDeceased},
			{Field: registry.FieldDeathDate, Value: "2026-11-20"}}}
	if o := l.changes(t, t0, death)[0]; o.Result != registry.Applied {
		t.Fatalf("death: %+v", o)
	}
	if o := l.changes(t, t0, temp("edge-1", 2, 9, "x y", t0))[0]; o.Result != registry.Rejected {
		t.Fatalf("change to a deceased citizen: %+v", o)
	}
	res := l.apply(t, &Command{Kind: KindCorrect, Received: t0, Citizen: idAn, By: "admin", Reason: "khai tử nhầm người",
		Patch: registry.Patch{{Field: registry.FieldStatus, Value: registry.StatusAlive}, {Field: registry.FieldDeathDate, Value: ""}}})
	if o, ok := res.(*registry.Outcome); !ok || o.Result != registry.Applied {
		t.Fatalf("city correction: %v", res)
	}
	if c, _ := l.f.Citizen(idAn); c.Deceased() {
		t.Fatal("the correction did not revive the record")
	}
	if res := l.apply(t, &Command{Kind: KindCorrect, Received: t0, Citizen: idAn, By: "admin",
		Patch: registry.Patch{{Field: registry.FieldReligion, Value: "Không"}}}); res == nil {
		t.Fatal("a correction without grounds was accepted")
	}
}
