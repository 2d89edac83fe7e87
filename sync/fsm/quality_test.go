package fsm

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/hashicorp/raft"
	bolt "go.etcd.io/bbolt"

	"github.com/xanode/xanode/node/quality"
	"github.com/xanode/xanode/node/registry"
)

// resident is a complete record of commune: no rule finds anything in it.
func resident(id, name, dob, sex, household, relation string) *registry.Citizen {
	c := &registry.Citizen{ID: id}
	for f, v := range map[registry.Field]string{
		registry.FieldFullName: name, registry.FieldBirthDate: dob, registry.FieldSex: sex,
		registry.FieldNationality: "Việt Nam", registry.FieldCommune: commune, registry.FieldStatus: registry.StatusAlive,
		registry.FieldBirthPlace:       "Phường Ninh Kiều, TP Cần Thơ",
		registry.FieldPermanentAddress: "12 Đường Mậu Thân, Phường Ninh Kiều, TP Cần Thơ",
		registry.FieldHousehold:        household, registry.FieldRelation: relation,
		registry.FieldCardNumber: id, registry.FieldCardIssued: "2022-03-04",
		registry.FieldMotherName: "Trần Thị Lan " + name, registry.FieldFeatures: "Nốt ruồi " + id,
	} {
		c.Values[f] = v
	}
	return c
}

const (
	idHead  = "092080000101" // male, 1980
	idWife  = "092182000102" // female, 1982
	idChild = "092210000103" // male, 2010
	idAlone = "092175000104" // female, 1975
)

// town is a household of three and a woman living alone in commune,
// edge-1 assigned it with the officer canbo01, edge-3 assigned other.
func town(t *testing.T) *log {
	l := &log{f: mustOpen(t)}
	child := resident(idChild, "Lê Minh Khôi", "2010-04-05", "M", "HK1", "Con")
	child.Values[registry.FieldFatherID] = idHead
	l.apply(t, &Command{Kind: KindImport, Received: t0, Records: []*registry.Citizen{
		resident(idHead, "Lê Văn Hùng", "1980-01-02", "M", "HK1", "Chủ hộ"),
		resident(idWife, "Phạm Thị Mai", "1982-03-04", "F", "HK1", "Vợ"),
		child,
		resident(idAlone, "Võ Thị Hoa", "1975-05-06", "F", "HK2", "Chủ hộ"),
	}})
	l.apply(t, &Command{Kind: KindAssign, Received: t0, Node: "edge-1", Communes: []string{commune}})
	l.apply(t, &Command{Kind: KindAssign, Received: t0, Node: "edge-3", Communes: []string{other}})
	l.apply(t, officerAdd("canbo01", "Nguyễn Thị Lan", registry.SupervisorRole, 1))
	return l
}

func (l *log) sweep(t *testing.T, at time.Time) *SweepResult {
	t.Helper()
	res, ok := l.apply(t, &Command{Kind: KindQualitySweep, Received: at, Sweep: &SweepOp{Limit: MaxSweep}}).(*SweepResult)
	if !ok {
		t.Fatal("sweep refused")
	}
	return res
}

func (l *log) correct(t *testing.T, at time.Time, id string, kv ...string) {
	t.Helper()
	m := map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	p, err := registry.PatchFromMap(m)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := l.apply(t, &Command{Kind: KindCorrect, Received: at, Citizen: id, Patch: p, Reason: "test", By: "it"}).(*registry.Outcome); !ok {
		t.Fatal("correction refused")
	}
}

// states maps each finding's key to its state.
func states(t *testing.T, f *FSM) map[string]string {
	t.Helper()
	fs, err := f.Findings(FindingFilter{})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, x := range fs {
		out[x.Key] = x.State
	}
	return out
}

func wantStates(t *testing.T, f *FSM, want map[string]string) {
	t.Helper()
	got := states(t, f)
	for k, v := range want {
		if got[k] != v {
			t.Errorf("finding %s is %q, want %q", k, got[k], v)
		}
	}
	for k, v := range got {
		if _, ok := want[k]; !ok {
			t.Errorf("unexpected finding %s (%s)", k, v)
		}
	}
}

func TestQualityWaitsForTheFirstSweep(t *testing.T) {
	l := town(t)
	l.correct(t, t0, idAlone, "sex", "M") // against the ID's digit
	if got := states(t, l.f); len(got) != 0 {
		t.Fatalf("findings before the first sweep: %v", got)
	}
	partial := l.apply(t, &Command{Kind: KindQualitySweep, Received: t0, Sweep: &SweepOp{Limit: 2}}).(*SweepResult)
	if swept, _ := l.f.QualitySwept(); partial.Next == "" || !swept.IsZero() {
		t.Fatalf("a sweep half way: %+v, went round at %v", partial, swept)
	}
	if res := l.sweep(t, t0.Add(time.Minute)); res.Checked != 4 || res.Next != "" {
		t.Fatalf("sweep %+v", res)
	}
	if swept, _ := l.f.QualitySwept(); !swept.Equal(t0.Add(time.Minute)) {
		t.Fatalf("the sweep went round at %v", swept)
	}
	wantStates(t, l.f, map[string]string{"id_sex|" + idAlone: FindingOpen})
	_, _, on, _ := l.f.QualityFigures()
	if !on {
		t.Fatal("the rules are off after a sweep")
	}
}

// TestFindingsFollowTheRecords: a change re-checks the record it touches,
// its household, its children and its look-alikes; what is put right is
// fixed, what goes wrong again reopens.
func TestFindingsFollowTheRecords(t *testing.T) {
	l := town(t)
	l.sweep(t, t0)
	wantStates(t, l.f, map[string]string{})

	at := t0.Add(time.Hour)
	l.correct(t, at, idHead, "relation", "Con", "birth_date", "2000-01-02") // no head; the ID says 1980; a father 10 years older
	wantStates(t, l.f, map[string]string{
		"household_head|HK1": FindingOpen, "id_birth_year|" + idHead: FindingOpen,
		"id_century|" + idHead: FindingOpen, "parent_age|" + idChild: FindingOpen,
	})
	l.correct(t, at.Add(time.Hour), idHead, "relation", "Chủ hộ", "birth_date", "1980-01-02")
	wantStates(t, l.f, map[string]string{
		"household_head|HK1": FindingFixed, "id_birth_year|" + idHead: FindingFixed,
		"id_century|" + idHead: FindingFixed, "parent_age|" + idChild: FindingFixed,
	})
	l.correct(t, at.Add(2*time.Hour), idHead, "relation", "Con")
	got := states(t, l.f)
	if got["household_head|HK1"] != FindingOpen {
		t.Fatalf("household finding found again: %v", got)
	}
	hh, _ := l.f.Findings(FindingFilter{Rule: "household_head"})
	if len(hh) != 1 || len(hh[0].History) != 2 || hh[0].History[1].State != FindingFixed || hh[0].Reason != "found again" {
		t.Fatalf("history of the household finding: %+v", hh)
	}

	// A second record of the wife, written without diacritics.
	dup := resident("092182999999", "Pham Thi Mai", "1982-03-04", "F", "HK9", "Chủ hộ")
	dup.Values[registry.FieldMotherName] = "Tran Thi Lan Pham Thi Mai"
	dup.Values[registry.FieldFeatures] = "Nốt ruồi " + idWife
	l.apply(t, &Command{Kind: KindImport, Received: at.Add(3 * time.Hour), Records: []*registry.Citizen{dup}})
	key := "duplicate|" + idWife + "|092182999999"
	if got := states(t, l.f)[key]; got != FindingOpen {
		t.Fatalf("duplicate %s is %q", key, got)
	}
	l.correct(t, at.Add(4*time.Hour), "092182999999", "full_name", "Pham Thi Hoa")
	if got := states(t, l.f)[key]; got != FindingFixed {
		t.Fatalf("duplicate after renaming is %q", got)
	}
}

// TestTimeRulesMoveWithTheSweep: a rule that moves with the date alone is
// judged by the date of the entry, at the next sweep.
func TestTimeRulesMoveWithTheSweep(t *testing.T) {
	l := town(t)
	l.correct(t, t0, idAlone, "temporary_address", "Số 4, Phường Tân An, TP Cần Thơ", "temporary_until", "2027-01-31")
	l.sweep(t, t0)
	if got := states(t, l.f)["temporary_expired|"+idAlone]; got != "" {
		t.Fatalf("temporary residence before its end: %q", got)
	}
	l.sweep(t, time.Date(2027, 2, 2, 0, 0, 0, 0, time.UTC))
	if got := states(t, l.f)["temporary_expired|"+idAlone]; got != FindingOpen {
		t.Fatalf("temporary residence after its end: %q", got)
	}
}

func identify(seq uint64, citizen, node, note string, at time.Time) *registry.Change {
	return &registry.Change{Node: node, Seq: seq, Officer: "canbo01", Op: registry.OpIdentify, Citizen: citizen,
		Commune: commune, Base: 1, Time: registry.HLCFromTime(at), Note: note}
}

// TestChipReadBecomesFindings: an office's read that differs from the
// record becomes one finding per field, with the read's assurance and
// who read it; correcting the record fixes it.
func TestChipReadBecomesFindings(t *testing.T) {
	l := town(t)
	l.sweep(t, t0)
	note := "chip-verified; full_name: card «Võ Thị Hòa», record «Võ Thị Hoa»; birth_date: card «1975-05-06», record «1975-05-07»"
	if o := l.changes(t, t0, identify(1, idAlone, "edge-1", note, t0))[0]; o.Result != registry.Applied {
		t.Fatalf("identification %+v", o)
	}
	fs, _ := l.f.Findings(FindingFilter{Citizen: idAlone})
	if len(fs) != 1 || fs[0].Rule != quality.RuleChipMismatch || fs[0].Chip != "Võ Thị Hòa" || fs[0].Assurance != "chip-verified" ||
		fs[0].Node != "edge-1" || fs[0].Read != "edge-1/1" || !slices.Equal(fs[0].Fields, []string{"full_name"}) {
		// The birth date agrees with the city's record: the office's copy was behind.
		t.Fatalf("findings %+v", fs)
	}
	l.correct(t, t0.Add(time.Hour), idAlone, "full_name", "Võ Thị Hòa")
	if got := states(t, l.f)["chip_mismatch|"+idAlone+"|full_name"]; got != FindingFixed {
		t.Fatalf("after the correction: %q", got)
	}
	// A read that agrees now (the record was corrected since) is no finding.
	l.changes(t, t0, identify(2, idAlone, "edge-1", "chip-read; full_name: card «Võ Thị Hòa», record «Võ Thị Hoa»", t0))
	if n := len(states(t, l.f)); n != 1 {
		t.Fatalf("%d findings", n)
	}
}

func resolve(seq uint64, citizen, node string, id uint64, note string) *registry.Change {
	return &registry.Change{Node: node, Seq: seq, Officer: "canbo01", Op: registry.OpFindingResolve, Citizen: citizen,
		Commune: commune, Base: 1, Time: registry.HLCFromTime(t0), Procedure: registry.FindingRef(id), Note: note}
}

// TestOfficerResolvesFindings: an office resolves a finding about its own
// resident through a change; another citizen's finding, an unknown one or
// one closed already is not its to resolve.
func TestOfficerResolvesFindings(t *testing.T) {
	l := town(t)
	l.sweep(t, t0)
	l.correct(t, t0, idAlone, "sex", "M")
	l.correct(t, t0, idWife, "card_number", "")
	fs, _ := l.f.Findings(FindingFilter{})
	ids := map[string]uint64{}
	for _, f := range fs {
		ids[f.Key] = f.ID
	}
	sexID, cardID := ids["id_sex|"+idAlone], ids["no_card|"+idWife]
	for _, tc := range []struct {
		name string
		c    *registry.Change
		want registry.Result
	}{
		{"dismissed by the office", resolve(1, idAlone, "edge-1", sexID, registry.FindingNote(registry.ResolutionDismissed, "giấy khai sinh ghi Nam")), registry.Applied},
		{"closed already", resolve(2, idAlone, "edge-1", sexID, registry.FindingNote(registry.ResolutionFixed, "x")), registry.Superseded},
		{"another citizen's finding", resolve(3, idAlone, "edge-1", cardID, registry.FindingNote(registry.ResolutionFixed, "x")), registry.Rejected},
		{"unknown finding", resolve(4, idAlone, "edge-1", 999, registry.FindingNote(registry.ResolutionFixed, "x")), registry.Rejected},
		{"another commune's office", resolve(1, idWife, "edge-3", cardID, registry.FindingNote(registry.ResolutionFixed, "x")), registry.Rejected},
		{"fixed by the office", resolve(5, idWife, "edge-1", cardID, registry.FindingNote(registry.ResolutionFixed, "đã làm thẻ")), registry.Applied},
	} {
		if o := l.changes(t, t0, tc.c)[0]; o.Result != tc.want {
			t.Errorf("%s: %s (%s), want %s", tc.name, o.Result, o.Reason, tc.want)
		}
	}
	f, _ := l.f.Finding(sexID)
	if f.State != FindingDismissed || f.By != "officer canbo01 at edge-1" || f.Reason != "giấy khai sinh ghi Nam" {
		t.Fatalf("dismissed finding %+v", f)
	}
	// Dismissed stays dismissed when checked again; the card finding an
	// officer marked fixed while the card is still missing opens again.
	l.sweep(t, t0.Add(time.Hour))
	wantStates(t, l.f, map[string]string{"id_sex|" + idAlone: FindingDismissed, "no_card|" + idWife: FindingOpen})
}

func TestCityITReviewsFindings(t *testing.T) {
	l := town(t)
	l.sweep(t, t0)
	l.correct(t, t0, idAlone, "sex", "M")
	fs, _ := l.f.Findings(FindingFilter{})
	id := fs[0].ID
	review := func(action, reason string) any {
		return l.apply(t, &Command{Kind: KindFindingReview, Received: t0, Finding: &FindingOp{ID: id, Action: action, Reason: reason, By: "it"}})
	}
	for _, step := range []struct {
		action, want string
		ok           bool
	}{
		{ReviewReopen, FindingOpen, false}, {ReviewConfirm, FindingConfirmed, true}, {ReviewConfirm, FindingConfirmed, false},
		{ReviewDismiss, FindingDismissed, true}, {ReviewReopen, FindingOpen, true},
	} {
		_, isErr := review(step.action, "checked").(error)
		f, _ := l.f.Finding(id)
		if isErr == step.ok || f.State != step.want {
			t.Fatalf("%s: error %v, state %s; want ok %v, %s", step.action, isErr, f.State, step.ok, step.want)
		}
	}
	if _, ok := l.apply(t, &Command{Kind: KindFindingReview, Received: t0, Finding: &FindingOp{ID: id, Action: ReviewDismiss}}).(error); !ok {
		t.Fatal("a dismissal without a reason was applied")
	}
	edge := &Command{Kind: KindFindingReview, Received: t0, From: Sender{Role: registry.RoleEdge, ID: "edge-1"},
		Finding: &FindingOp{ID: id, Action: ReviewDismiss, Reason: "x"}}
	if err := edge.Authorize(); err == nil {
		t.Fatal("an edge may send a finding review")
	}
}

// TestQualityFigures: the figures kept in step with every change equal a
// count from scratch, and a new week keeps the one that ended.
func TestQualityFigures(t *testing.T) {
	l := town(t)
	l.sweep(t, t0)
	l.correct(t, t0, idAlone, "sex", "M", "card_number", "")
	l.correct(t, t0, idChild, "status", "deceased", "death_date", "2020-01-01")
	now, weekly, _, err := l.f.QualityFigures()
	if err != nil || len(now) != 1 || len(weekly) != 0 {
		t.Fatalf("figures %+v weekly %+v: %v", now, weekly, err)
	}
	fg := now[0]
	if fg.Citizens != 4 || fg.Alive != 3 || fg.Fields["card_number"] != 3 || fg.Fields["full_name"] != 4 ||
		fg.Findings["id_sex"][FindingOpen] != 1 || fg.Findings["no_card"][FindingOpen] != 1 || fg.Findings["dead_in_household"][FindingOpen] != 1 {
		t.Fatalf("figures %+v", fg)
	}
	l.sweep(t, t0.Add(8*24*time.Hour))
	_, weekly, _, _ = l.f.QualityFigures()
	if len(weekly) != 1 || weekly[0].Week != "2026-11-23" || weekly[0].Findings["id_sex"][FindingOpen] != 1 {
		t.Fatalf("weekly %+v", weekly)
	}
}

// derived dumps the derived buckets of data quality.
func derived(t *testing.T, f *FSM) string {
	var buf bytes.Buffer
	err := f.view(func(tx *bolt.Tx) error {
		for _, b := range [][]byte{bQBlocks, bQHouseholds, bQChildren, bQFigures} {
			tx.Bucket(b).ForEach(func(k, v []byte) error { fmt.Fprintf(&buf, "%s %q %q\n", b, k, v); return nil })
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return buf.String()
}

// TestQualityIndexBuiltForOldState: a state written before the derived
// buckets existed gets them at open, as they would have been kept.
func TestQualityIndexBuiltForOldState(t *testing.T) {
	l := town(t)
	l.sweep(t, t0)
	l.correct(t, t0, idAlone, "sex", "M")
	want := derived(t, l.f)
	path := l.f.path
	l.f.Close()
	db, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	db.Update(func(tx *bolt.Tx) error {
		for _, b := range [][]byte{bQBlocks, bQHouseholds, bQChildren, bQFigures} {
			tx.DeleteBucket(b)
		}
		return tx.Bucket(bMeta).Delete(kQualityIndex)
	})
	db.Close()
	f, err := Open(path, DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if got := derived(t, f); got != want {
		t.Fatalf("rebuilt:\n%s\nkept:\n%s", got, want)
	}
}

// TestQualityDeterministic: two replicas applying one log with findings,
// reads and resolutions in different batchings reach the same findings
// and digest.
func TestQualityDeterministic(t *testing.T) {
	var logs []*raft.Log
	add := func(c *Command) {
		c.From = senderFor(c)
		logs = append(logs, &raft.Log{Index: uint64(len(logs) + 1), Type: raft.LogCommand, Data: c.Encode()})
	}
	add(&Command{Kind: KindQualitySweep, Received: t0, Sweep: &SweepOp{Limit: 10}})
	var people []*registry.Citizen
	for i := 0; i < 60; i++ {
		id := registry.MakeID("092", 1950+i%50, i%3 == 0, 1000+i)
		c := resident(id, fmt.Sprintf("Nguyễn Văn %c", 'A'+i%7), fmt.Sprintf("%d-0%d-1%d", 1950+i%50, 1+i%9, i%10), "M", fmt.Sprintf("HK%d", i/4), "Con")
		if i%4 == 0 {
			c.Values[registry.FieldRelation] = "Chủ hộ"
		}
		people = append(people, c)
	}
	// Six second registrations: duplicate pairs that city IT merges below.
	for i := 0; i < 6; i++ {
		people = append(people, twin(people[i*9], registry.MakeID("092", 1950+(i*9)%50, (i*9)%3 == 0, 2000+i), commune, "", ""))
	}
	add(&Command{Kind: KindImport, Received: t0, Records: people})
	add(&Command{Kind: KindAssign, Received: t0, Node: "edge-1", Communes: []string{commune}})
	add(officerAdd("canbo01", "Nguyễn Thị Lan", registry.SupervisorRole, 1))
	for i := 0; i < 40; i++ {
		p := people[i%len(people)]
		at := t0.Add(time.Duration(i) * time.Hour)
		switch i % 4 {
		case 0:
			add(&Command{Kind: KindChanges, Received: at, Changes: []*registry.Change{identify(uint64(i+1), p.ID, "edge-1",
				"chip-read; full_name: card «Nguyễn Văn Z», record «x»", at)}})
		case 1:
			add(&Command{Kind: KindChanges, Received: at, Changes: []*registry.Change{resolve(uint64(i+1), p.ID, "edge-1", uint64(1+i%9),
				registry.FindingNote(registry.ResolutionFixed, "x"))}})
		case 2:
			add(&Command{Kind: KindCorrect, Received: at, Citizen: p.ID, Patch: registry.Patch{{Field: registry.FieldRelation, Value: "Chủ hộ"}}, Reason: "x", By: "it"})
		default:
			add(&Command{Kind: KindQualitySweep, Received: at.Add(time.Duration(i) * 24 * time.Hour), Sweep: &SweepOp{From: p.ID, Limit: 17}})
		}
	}
	// City IT merges the pairs the log so far finds (a probe replica names
	// their findings), keeping either side, and tries a merge that must be
	// refused; offices and sweeps go on after.
	probe := mustOpen(t)
	probe.ApplyBatch(logs)
	pairs, _ := probe.Findings(FindingFilter{Rule: string(quality.RuleDuplicate)})
	if len(pairs) < 3 {
		t.Fatalf("only %d duplicate findings: the log merges little", len(pairs))
	}
	for i, p := range pairs {
		at := t0.Add(time.Duration(50+i) * time.Hour)
		keep := []string{p.Citizen, p.Other, people[0].ID}[i%3] // the third: not of the pair, refused
		add(&Command{Kind: KindFindingReview, Received: at, Finding: &FindingOp{ID: p.ID, Action: ReviewMerge, Keep: keep, Reason: "cùng một người", By: "it"}})
		add(&Command{Kind: KindCorrect, Received: at, Citizen: p.Citizen, Patch: registry.Patch{{Field: registry.FieldReligion, Value: "Không"}}, Reason: "x", By: "it"})
	}
	add(&Command{Kind: KindQualitySweep, Received: t0.Add(90 * 24 * time.Hour), Sweep: &SweepOp{Limit: MaxSweep}})
	var want [32]byte
	var wantFindings string
	for r, batch := range []int{1, 5, len(logs)} {
		f := mustOpen(t)
		for i := 0; i < len(logs); i += batch {
			f.ApplyBatch(logs[i:min(i+batch, len(logs))])
		}
		st, _ := f.Status()
		fs, _ := f.Findings(FindingFilter{})
		b, _ := json.Marshal(fs)
		if r == 0 {
			want, wantFindings = st.Digest, string(b)
			if len(fs) < 10 {
				t.Fatalf("only %d findings: the log tests little", len(fs))
			}
			merged := 0
			for _, p := range pairs {
				for _, id := range []string{p.Citizen, p.Other} {
					if into, _ := f.MergedInto(id); into != "" {
						merged++
					}
				}
			}
			if merged < 2 {
				t.Fatalf("%d records merged: the log tests little", merged)
			}
			continue
		}
		if st.Digest != want || string(b) != wantFindings {
			t.Fatalf("batches of %d: digest %x, want %x; findings equal: %v", batch, st.Digest, want, string(b) == wantFindings)
		}
	}
}

// TestFindingStoredWithEnglishEvidence: a finding stored before evidence
// was structured (an English sentence) reads as that text, writes back as
// the same string, and takes structured evidence when the rule finds it
// again.
func TestFindingStoredWithEnglishEvidence(t *testing.T) {
	l := town(t)
	l.sweep(t, t0)
	l.correct(t, t0, idAlone, "sex", "M")
	fs, _ := l.f.Findings(FindingFilter{Citizen: idAlone})
	if len(fs) != 1 || fs[0].Evidence[0].Key != "id_sex" {
		t.Fatalf("findings %+v", fs)
	}
	const old = "ID digit 1 encodes female, record says M"
	path := l.f.path
	l.f.Close()
	db, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bFindings)
		v := b.Get(u64(fs[0].ID))
		var raw map[string]any
		if err := json.Unmarshal(v, &raw); err != nil {
			return err
		}
		raw["evidence"] = old
		nv, _ := json.Marshal(raw)
		return b.Put(u64(fs[0].ID), nv)
	})
	db.Close()
	if err != nil {
		t.Fatal(err)
	}
	f, err := Open(path, DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	l = &log{f: f, index: l.index}
	defer f.Close()
	got, _ := f.Finding(fs[0].ID)
	if got.Evidence.English() != old {
		t.Fatalf("old evidence reads as %q", got.Evidence.English())
	}
	if b, _ := json.Marshal(got); !bytes.Contains(b, []byte(`"evidence":"`+old+`"`)) {
		t.Fatalf("old evidence writes back as %s", b)
	}
	l.correct(t, t0.Add(time.Hour), idAlone, "full_name", "Võ Thị Hoà")
	got, _ = f.Finding(fs[0].ID)
	if len(got.Evidence) != 1 || got.Evidence[0].Key != "id_sex" || got.Evidence[0].Args["sex"] != "M" {
		t.Fatalf("found again: evidence %+v", got.Evidence)
	}
}
