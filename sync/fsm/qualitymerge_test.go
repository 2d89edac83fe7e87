package fsm

import (
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/raft"
	bolt "go.etcd.io/bbolt"

	"github.com/xanode/xanode/node/quality"
	"github.com/xanode/xanode/node/registry"
)

const (
	idAloneDup = "092175000201" // Võ Thị Hoa again, in the other commune, with her own household
	idChildDup = "092210000202" // Lê Minh Khôi again, in no household
)

// twin is a second registration of orig under id: the same person as the
// duplicate rule sees it.
func twin(orig *registry.Citizen, id, commune, household, relation string) *registry.Citizen {
	c := *orig
	c.ID = id
	c.Values[registry.FieldCardNumber] = id
	c.Values[registry.FieldCommune] = commune
	c.Values[registry.FieldHousehold], c.Values[registry.FieldRelation] = household, relation
	return &c
}

// twinTown is town with two duplicate pairs, found by the first sweep.
func twinTown(t *testing.T) *log {
	t.Helper()
	l := town(t)
	alone, _ := l.f.Citizen(idAlone)
	child, _ := l.f.Citizen(idChild)
	aloneDup := twin(alone, idAloneDup, other, "HK9", "Chủ hộ")
	aloneDup.Values[registry.FieldOldID] = "123456789"
	aloneDup.Values[registry.FieldReligion] = "Phật giáo"
	childDup := twin(child, idChildDup, commune, "", "")
	childDup.Values[registry.FieldFatherID] = ""
	l.apply(t, &Command{Kind: KindImport, Received: t0, Records: []*registry.Citizen{aloneDup, childDup}})
	l.sweep(t, t0)
	return l
}

func duplicateOf(t *testing.T, f *FSM, a, b string) *Finding {
	t.Helper()
	fs, err := f.Findings(FindingFilter{Rule: string(quality.RuleDuplicate), Citizen: a})
	if err != nil {
		t.Fatal(err)
	}
	for i := range fs {
		if fs[i].Other == b || fs[i].Citizen == b {
			return &fs[i]
		}
	}
	t.Fatalf("no duplicate finding of %s and %s: %+v", a, b, fs)
	return nil
}

func (l *log) merge(t *testing.T, id uint64, keep string) any {
	t.Helper()
	return l.apply(t, &Command{Kind: KindFindingReview, Received: t0.Add(time.Hour),
		Finding: &FindingOp{ID: id, Action: ReviewMerge, Keep: keep, Reason: "cùng một người, đã đối chiếu giấy khai sinh", By: "it"}})
}

// TestCityITMergesADuplicatePair: the kept record takes what it lacks and
// nothing it states, the retired one leaves its household and its
// commune's subset with its history kept, a lookup names the record it
// went into, an office's change to it is refused, and the finding is fixed.
func TestCityITMergesADuplicatePair(t *testing.T) {
	l := twinTown(t)
	pair := duplicateOf(t, l.f, idAlone, idAloneDup)
	before, _ := l.f.SubsetVersion(other)
	res := l.merge(t, pair.ID, idAlone)
	fixed, ok := res.(*Finding)
	if !ok || fixed.State != FindingFixed || !strings.Contains(fixed.Reason, idAlone) {
		t.Fatalf("merge: %v", res)
	}
	kept, _ := l.f.Citizen(idAlone)
	gone, _ := l.f.Citizen(idAloneDup)
	for _, c := range []struct {
		rec         *registry.Citizen
		field       registry.Field
		want, label string
	}{
		{kept, registry.FieldOldID, "123456789", "an empty field of the kept record is filled"},
		{kept, registry.FieldReligion, "Phật giáo", "an empty field of the kept record is filled"},
		{kept, registry.FieldHousehold, "HK2", "the kept record keeps its household"},
		{kept, registry.FieldCardNumber, idAlone, "a field the kept record states is never overwritten"},
		{kept, registry.FieldStatus, registry.StatusAlive, "the kept record stays alive"},
		{gone, registry.FieldStatus, registry.StatusMerged, "the other record is retired"},
		{gone, registry.FieldHousehold, "", "the retired record leaves its household"},
		{gone, registry.FieldRelation, "", "the retired record leaves its household"},
		{gone, registry.FieldFullName, "Võ Thị Hoa", "the retired record keeps its data"},
	} {
		if got := c.rec.Get(c.field); got != c.want {
			t.Errorf("%s: %s of %s is %q, want %q", c.label, c.field, c.rec.ID, got, c.want)
		}
	}
	if into, _ := l.f.MergedInto(idAloneDup); into != idAlone {
		t.Errorf("MergedInto(%s) = %q", idAloneDup, into)
	}
	var inOther []string
	l.f.Subset(other, func(c *registry.Citizen) error { inOther = append(inOther, c.ID); return nil })
	d, _ := l.f.SubsetDelta(other, before)
	if slices.Contains(inOther, idAloneDup) || !slices.Contains(d.Removed, idAloneDup) {
		t.Errorf("the retired record is still in its commune's subset %v, delta removes %v", inOther, d.Removed)
	}
	for _, id := range []string{idAlone, idAloneDup} {
		h, _ := l.f.History(id)
		if len(h) == 0 || !strings.Contains(h[len(h)-1].Change.Note, "merged into "+idAlone) {
			t.Errorf("history of %s does not end with the merge: %+v", id, h)
		}
	}
	if fs, _ := l.f.Findings(FindingFilter{Citizen: idAloneDup}); slices.ContainsFunc(fs, func(f Finding) bool { return !f.Closed() }) {
		t.Errorf("the retired record still has findings needing attention: %+v", fs)
	}
	var fg []Figures
	fg, _, _, _ = l.f.QualityFigures()
	for _, x := range fg {
		if x.Commune == other && x.Citizens != 0 {
			t.Errorf("the retired record is still counted in %s: %+v", other, x)
		}
	}

	// The kept record takes the household place of the retired one when
	// it has none; an office's change to the retired record is refused.
	pair = duplicateOf(t, l.f, idChild, idChildDup)
	if _, ok := l.merge(t, pair.ID, idChildDup).(*Finding); !ok {
		t.Fatal("second merge refused")
	}
	kept, _ = l.f.Citizen(idChildDup)
	gone, _ = l.f.Citizen(idChild)
	if kept.Get(registry.FieldHousehold) != "HK1" || kept.Get(registry.FieldRelation) != "Con" || kept.Get(registry.FieldFatherID) != idHead ||
		gone.Get(registry.FieldHousehold) != "" {
		t.Errorf("household place: kept %v, retired %v", kept.Fields(), gone.Fields())
	}
	o := l.changes(t, t0.Add(2*time.Hour), change(1, registry.OpCorrect, idChild, "canbo01",
		registry.FieldValue{Field: registry.FieldReligion, Value: "Không"}))[0]
	if o.Result != registry.Rejected || !strings.Contains(o.Reason, idChildDup) {
		t.Errorf("a change to the retired record: %+v", o)
	}
}

// TestMergeNamesWhoReferToTheRetired: a merge's answer lists the records
// that name the retired ID as a parent or spouse (through the children
// and spouse indexes, whatever household they are in), found at the
// merge's index; the entry itself changes none of them, as every release
// before decided.
func TestMergeNamesWhoReferToTheRetired(t *testing.T) {
	const idDaughter, idHusband, idFormer, idStranger = "092305000302", "092070000301", "092068000303", "092066000304"
	l := twinTown(t)
	daughter := resident(idDaughter, "Trần Thị Ngọc", "2005-06-07", "F", "HK9", "Con")
	daughter.Values[registry.FieldMotherID] = idAloneDup
	// In her household (HK9), naming her as his wife.
	husband := resident(idHusband, "Trần Văn Tâm", "1970-08-09", "M", "HK9", "Chồng")
	husband.Values[registry.FieldSpouseID] = idAloneDup
	// In another household, named by her as her spouse.
	former := resident(idFormer, "Đỗ Văn Lực", "1968-02-03", "M", "HK8", "Chủ hộ")
	former.Values[registry.FieldSpouseID] = idAloneDup
	// In another household, naming her, not named by her: found through
	// the spouse index.
	stranger := resident(idStranger, "Phan Văn Khánh", "1966-04-05", "M", "HK7", "Chủ hộ")
	stranger.Values[registry.FieldSpouseID] = idAloneDup
	l.apply(t, &Command{Kind: KindImport, Received: t0, Records: []*registry.Citizen{daughter, husband, former, stranger}})
	l.apply(t, &Command{Kind: KindCorrect, Received: t0, Citizen: idAloneDup, Reason: "giấy chứng nhận kết hôn", By: "it",
		Patch: registry.Patch{{Field: registry.FieldSpouseID, Value: idFormer}}})
	pair := duplicateOf(t, l.f, idAlone, idAloneDup)
	fixed, ok := l.merge(t, pair.ID, idAlone).(*Finding)
	if !ok {
		t.Fatal("merge refused")
	}
	want := []Reference{{Citizen: idDaughter, Field: "mother_id"}, {Citizen: idStranger, Field: "spouse_id"}, {Citizen: idFormer, Field: "spouse_id"}, {Citizen: idHusband, Field: "spouse_id"}}
	if !slices.Equal(fixed.Referrers, want) {
		t.Errorf("referrers %+v, want %+v", fixed.Referrers, want)
	}
	for id, f := range map[string]registry.Field{idDaughter: registry.FieldMotherID, idHusband: registry.FieldSpouseID, idFormer: registry.FieldSpouseID, idStranger: registry.FieldSpouseID} {
		if c, _ := l.f.Citizen(id); c.Get(f) != idAloneDup {
			t.Errorf("the merge entry itself changed %s of %s to %q", f, id, c.Get(f))
		}
	}
	if fs, _ := l.f.Findings(FindingFilter{Citizen: idAlone}); slices.ContainsFunc(fs, func(f Finding) bool { return len(f.Referrers) > 0 }) {
		t.Error("a stored finding carries the merge's referrers")
	}
}

// TestMergeRefusals: only an open or confirmed duplicate pair merges, into
// one of its two records, neither retired before, and only by city IT.
func TestMergeRefusals(t *testing.T) {
	l := twinTown(t)
	l.correct(t, t0, idWife, "sex", "M") // an id_sex finding: no pair
	var notPair uint64
	fs, _ := l.f.Findings(FindingFilter{Citizen: idWife})
	for _, f := range fs {
		if f.Rule == quality.RuleIDSex {
			notPair = f.ID
		}
	}
	pair := duplicateOf(t, l.f, idAlone, idAloneDup)
	dismissed := duplicateOf(t, l.f, idChild, idChildDup)
	l.apply(t, &Command{Kind: KindFindingReview, Received: t0, Finding: &FindingOp{ID: dismissed.ID, Action: ReviewDismiss, Reason: "hai người", By: "it"}})
	for _, c := range []struct {
		name string
		op   FindingOp
	}{
		{"not a duplicate finding", FindingOp{ID: notPair, Keep: idWife}},
		{"keep not of the pair", FindingOp{ID: pair.ID, Keep: idHead}},
		{"a dismissed pair", FindingOp{ID: dismissed.ID, Keep: idChild}},
		{"no reason", FindingOp{ID: pair.ID, Keep: idAlone, Reason: "-"}},
		{"keep not an ID", FindingOp{ID: pair.ID, Keep: "P-edge-1-1"}},
		{"unknown finding", FindingOp{ID: 9999, Keep: idAlone}},
	} {
		t.Run(c.name, func(t *testing.T) {
			op := c.op
			op.Action, op.By = ReviewMerge, "it"
			switch op.Reason {
			case "":
				op.Reason = "x"
			case "-":
				op.Reason = ""
			}
			if _, ok := l.apply(t, &Command{Kind: KindFindingReview, Received: t0, Finding: &op}).(error); !ok {
				t.Fatal("applied")
			}
			for _, id := range []string{idAlone, idAloneDup, idChild, idChildDup} {
				if a, _ := l.f.Citizen(id); a.Merged() {
					t.Fatalf("a refused merge retired %s", id)
				}
			}
		})
	}
	// Merged once, the pair is closed and a side retired: no second merge.
	if _, ok := l.merge(t, pair.ID, idAloneDup).(*Finding); !ok {
		t.Fatal("merge refused")
	}
	res, isErr := l.merge(t, pair.ID, idAlone).(error)
	if !isErr || !errors.Is(res, ErrMerge) {
		t.Fatalf("second merge of the pair: %v", res)
	}
	edge := &Command{Kind: KindFindingReview, Received: t0, From: Sender{Role: registry.RoleEdge, ID: "edge-1"},
		Finding: &FindingOp{ID: pair.ID, Action: ReviewMerge, Keep: idAlone, Reason: "x"}}
	if err := edge.Authorize(); err == nil {
		t.Fatal("an edge may merge")
	}
	// A city correction may take the merge back: the record is a resident again.
	l.correct(t, t0.Add(3*time.Hour), idAlone, "status", registry.StatusAlive)
	if into, _ := l.f.MergedInto(idAlone); into != "" {
		t.Fatalf("after the correction MergedInto = %q", into)
	}
	var in []string
	l.f.Subset(commune, func(c *registry.Citizen) error { in = append(in, c.ID); return nil })
	if !slices.Contains(in, idAlone) {
		t.Fatalf("the record taken back is not in its subset: %v", in)
	}
}

// withMerges appends to logs city IT's merge of every duplicate pair still
// needing attention after them (a probe replica names the findings),
// keeping either side, each followed by a correction of the pair and a
// merge that is refused (the pair is closed by then); then a sweep.
func withMerges(t *testing.T, logs []*raft.Log) []*raft.Log {
	t.Helper()
	probe := mustOpen(t)
	probe.ApplyBatch(logs)
	pairs, err := probe.Findings(FindingFilter{Rule: string(quality.RuleDuplicate), States: []string{FindingOpen, FindingConfirmed}})
	if err != nil || len(pairs) == 0 {
		t.Fatalf("no duplicate pair to merge (%v)", err)
	}
	last := logs[len(logs)-1]
	cmd, err := DecodeCommand(last.Data)
	if err != nil {
		t.Fatal(err)
	}
	out := slices.Clone(logs)
	add := func(c *Command) {
		c.From = senderFor(c)
		out = append(out, &raft.Log{Index: uint64(len(out) + 1), Type: raft.LogCommand, Data: c.Encode()})
	}
	for i, p := range pairs {
		at := cmd.Received.Add(time.Duration(i+1) * time.Minute)
		keep := []string{p.Citizen, p.Other}[i%2]
		add(&Command{Kind: KindFindingReview, Received: at, Finding: &FindingOp{ID: p.ID, Action: ReviewMerge, Keep: keep, Reason: "cùng một người", By: "it"}})
		add(&Command{Kind: KindCorrect, Received: at, Citizen: keep, Patch: registry.Patch{{Field: registry.FieldReligion, Value: "Không"}}, Reason: "x", By: "it"})
		add(&Command{Kind: KindFindingReview, Received: at, Finding: &FindingOp{ID: p.ID, Action: ReviewMerge, Keep: p.Citizen, Reason: "lần nữa", By: "it"}})
	}
	add(&Command{Kind: KindQualitySweep, Received: cmd.Received.Add(24 * time.Hour), Sweep: &SweepOp{Limit: MaxSweep}})
	return out
}

// TestSpouseIndexBuiltForOlderStates: a state written before the spouse
// index gets it at open, from the records.
func TestSpouseIndexBuiltForOlderStates(t *testing.T) {
	path := filepath.Join(t.TempDir(), "fsm.db")
	f, err := Open(path, DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	wife := resident("092305000311", "Lê Thị Hoa", "1975-01-02", "F", "HK1", "Vợ")
	wife.Values[registry.FieldSpouseID] = "092070000312"
	husband := resident("092070000312", "Lê Văn Bình", "1970-03-04", "M", "HK1", "Chủ hộ")
	f.Apply(&raft.Log{Index: 1, Type: raft.LogCommand, Data: (&Command{Kind: KindImport, Received: t0,
		From: Sender{Role: registry.RoleAdmin, ID: "admin"}, Records: []*registry.Citizen{wife, husband}}).Encode()})
	f.Close()
	spouses := func() []string {
		db, err := bolt.Open(path, 0o600, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		var keys []string
		db.View(func(tx *bolt.Tx) error {
			return tx.Bucket(bQSpouses).ForEach(func(k, _ []byte) error { keys = append(keys, strings.ReplaceAll(string(k), "\x00", " ")); return nil })
		})
		return keys
	}
	want := []string{"092070000312 092305000311"}
	if got := spouses(); !slices.Equal(got, want) {
		t.Fatalf("spouse index kept as records are stored: %q, want %q", got, want)
	}
	// As a release before the index left it.
	db, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		if err := tx.DeleteBucket(bQSpouses); err != nil {
			return err
		}
		return tx.Bucket(bMeta).Delete(kSpouseIndex)
	})
	db.Close()
	if err != nil {
		t.Fatal(err)
	}
	f, err = Open(path, DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	f.Close()
	if got := spouses(); !slices.Equal(got, want) {
		t.Fatalf("spouse index built at open: %q, want %q", got, want)
	}
}
