package fsm

import (
	"bytes"
	"fmt"
	"io"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/raft"

	"github.com/xanode/xanode/node/registry"
)

// randomLog builds a log of n changes from many communes: overlapping
// registrations, corrections, retried (duplicate) changes, births (some
// duplicates), deaths, identifications, and invalid changes.
func randomLog(seed uint64, n int) []*raft.Log {
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	const communes, perCommune = 8, 40
	var people []*registry.Citizen
	for c := 0; c < communes; c++ {
		for i := 0; i < perCommune; i++ {
			female := rng.IntN(2) == 0
			year := 1940 + rng.IntN(80)
			sex := registry.SexMale
			if female {
				sex = registry.SexFemale
			}
			p := &registry.Citizen{ID: registry.MakeID("092", year, female, c*1000+i)}
			p.Values[registry.FieldFullName] = fmt.Sprintf("Người %d-%d", c, i)
			p.Values[registry.FieldBirthDate] = fmt.Sprintf("%04d-01-15", year)
			p.Values[registry.FieldSex] = sex
			p.Values[registry.FieldCommune] = fmt.Sprintf("921%02d", c)
			people = append(people, p)
		}
	}
	// Second registrations of some: duplicate pairs, which city IT tries
	// to merge below (keeping either side, under finding IDs it guesses).
	var twins [][2]string
	for k := 0; k < communes; k++ {
		p := people[k*perCommune+k]
		d := twin(p, registry.MakeID("092", p.BirthDate().Year, p.Values[registry.FieldSex] == registry.SexFemale, 900+k), p.Values[registry.FieldCommune], "", "")
		people = append(people, d)
		twins = append(twins, [2]string{p.ID, d.ID})
	}
	var logs []*raft.Log
	add := func(c *Command, stamp bool) {
		if stamp {
			c.From = senderFor(c)
		}
		logs = append(logs, &raft.Log{Index: uint64(len(logs) + 1), Type: raft.LogCommand, Data: c.Encode()})
	}
	add(&Command{Kind: KindImport, Received: t0, Records: people}, true)
	// The rules run from the first sweep on; later sweeps re-check ranges.
	add(&Command{Kind: KindQualitySweep, Received: t0, Sweep: &SweepOp{Limit: 100}}, true)
	for c := 0; c < communes; c++ {
		comm := fmt.Sprintf("921%02d", c)
		add(&Command{Kind: KindAssign, Received: t0, Node: fmt.Sprintf("edge-%d", c), Communes: []string{comm}}, true)
		acc := officerAdd("o", "Cán bộ", registry.SupervisorRole, byte(c))
		acc.Officer.Commune = comm
		add(acc, true)
	}
	seq := make([]uint64, communes)
	sent := make([][]*registry.Change, communes)
	total := 0
	for total < n {
		recv := t0.Add(time.Duration(len(logs)) * time.Second)
		// One push is one node's: its new changes in order, or a retry
		// of some it sent before. One in ten is a format-1 entry, as an
		// old log holds.
		c := rng.IntN(communes)
		var batch []*registry.Change
		if len(sent[c]) > 0 && rng.IntN(10) == 0 {
			from := rng.IntN(len(sent[c]))
			batch = sent[c][from:min(from+1+rng.IntN(3), len(sent[c]))]
		} else {
			for k := rng.IntN(8) + 1; k > 0; k-- {
				batch = append(batch, randomChange(rng, people, seq, c, recv))
			}
			sent[c] = append(sent[c], batch...)
		}
		total += len(batch)
		add(&Command{Kind: KindChanges, Received: recv, Changes: batch}, rng.IntN(10) != 0)
		if rng.IntN(15) == 0 {
			add(&Command{Kind: KindFindingReview, Received: recv, Finding: &FindingOp{ID: uint64(1 + rng.IntN(300)),
				Action: []string{ReviewConfirm, ReviewDismiss, ReviewReopen}[rng.IntN(3)], Reason: "city IT checked", By: "it"}}, true)
		}
		if rng.IntN(20) == 0 {
			add(&Command{Kind: KindFindingReview, Received: recv, Finding: &FindingOp{ID: uint64(1 + rng.IntN(150)),
				Action: ReviewMerge, Keep: twins[rng.IntN(len(twins))][rng.IntN(2)], Reason: "cùng một người", By: "it"}}, true)
		}
		if rng.IntN(40) == 0 {
			add(&Command{Kind: KindQualitySweep, Received: recv.Add(time.Duration(rng.IntN(400)) * 24 * time.Hour),
				Sweep: &SweepOp{From: people[rng.IntN(len(people))].ID, Limit: 1 + rng.IntN(200)}}, true)
		}
	}
	return logs
}

func randomChange(rng *rand.Rand, people []*registry.Citizen, seq []uint64, node int, recv time.Time) *registry.Change {
	seq[node]++
	c := node
	if rng.IntN(20) == 0 {
		c = (c + 1) % len(seq) // acting for a commune it does not hold, or a neighbour's citizen
	}
	p := people[c*len(people)/len(seq)+rng.IntN(len(people)/len(seq))]
	ch := &registry.Change{Node: fmt.Sprintf("edge-%d", node), Seq: seq[node], Officer: "o", Citizen: p.ID, Commune: fmt.Sprintf("921%02d", c),
		Base: []uint64{0, 1, 1, 1, uint64(rng.IntN(5000))}[rng.IntN(5)], Time: registry.HLCFromTime(recv.Add(time.Duration(rng.IntN(7200)-3600) * time.Second))}
	switch rng.IntN(7) {
	case 0, 1:
		ch.Op = registry.OpRegisterTemporary
		ch.Patch = registry.Patch{{Field: registry.FieldTemporaryAddress, Value: fmt.Sprintf("Số %d", rng.IntN(5))},
			{Field: registry.FieldTemporaryUntil, Value: "2027-01-01"}}
	case 2:
		ch.Op = registry.OpCorrect
		ch.Patch = registry.Patch{{Field: registry.FieldReligion, Value: []string{"Không", "Phật giáo", "Công giáo"}[rng.IntN(3)]}}
	case 3:
		ch.Op = registry.OpRegisterBirth
		ch.Citizen = registry.ProvisionalID(ch.Node, ch.Seq)
		ch.Patch = registry.Patch{{Field: registry.FieldFullName, Value: fmt.Sprintf("Bé %d", rng.IntN(3))},
			{Field: registry.FieldBirthDate, Value: "2026-11-01"}, {Field: registry.FieldSex, Value: registry.SexFemale},
			{Field: registry.FieldCommune, Value: ch.Commune}, {Field: registry.FieldMotherID, Value: p.ID}}
	case 4:
		ch.Op = registry.OpRegisterDeath
		ch.Patch = registry.Patch{{Field: registry.FieldStatus, Value: registry.StatusDeceased}, {Field: registry.FieldDeathDate, Value: "2026-10-01"}}
	case 5:
		ch.Op = registry.OpIdentify
		if rng.IntN(2) == 0 { // the card differs: a data-quality finding
			ch.Note = fmt.Sprintf("chip-verified; full_name: card «Người %d», record «%s»", rng.IntN(9), p.Values[registry.FieldFullName])
		}
		if rng.IntN(4) == 0 { // or the office resolves some finding
			ch.Op, ch.Procedure = registry.OpFindingResolve, registry.FindingRef(uint64(1+rng.IntN(400)))
			ch.Note = registry.FindingNote([]string{registry.ResolutionFixed, registry.ResolutionDismissed}[rng.IntN(2)], "đã xử lý")
		}
	default:
		ch.Op = registry.OpRegisterTemporary // invalid: a required field is missing
		ch.Patch = registry.Patch{{Field: registry.FieldTemporaryAddress, Value: "x"}}
	}
	return ch
}

// TestReplicasAgree applies the same random log on several FSMs, in
// different batchings and across a snapshot and restore, and requires
// identical state digests and identical outcomes.
func TestReplicasAgree(t *testing.T) {
	n := 3000
	if testing.Short() {
		n = 500
	}
	logs := withMerges(t, randomLog(42, n))
	results := map[registry.Result]int{}
	var want [32]byte
	var wantOuts [][]byte
	for r, batch := range []int{1, 7, 64, len(logs)} {
		f := mustOpen(t)
		var outs [][]byte
		for i := 0; i < len(logs); i += batch {
			for _, res := range f.ApplyBatch(logs[i:min(i+batch, len(logs))]) {
				if os, ok := res.([]*registry.Outcome); ok {
					for _, o := range os {
						outs = append(outs, registry.AppendOutcome(nil, o))
						if r == 0 {
							results[o.Result]++
						}
					}
				}
			}
		}
		st, _ := f.Status()
		if r == 0 {
			want, wantOuts = st.Digest, outs
			fs, _ := f.Findings(FindingFilter{})
			byState := map[string]int{}
			for _, x := range fs {
				byState[x.State]++
			}
			if byState[FindingOpen] == 0 || byState[FindingFixed] == 0 || byState[FindingDismissed] == 0 {
				t.Errorf("the random log made too few kinds of findings: %v", byState)
			}
			t.Logf("findings by state: %v", byState)
			merged := 0
			for _, x := range fs {
				if into, _ := f.MergedInto(x.Other); x.Rule == "duplicate" && into != "" {
					merged++
				}
				if into, _ := f.MergedInto(x.Citizen); x.Rule == "duplicate" && into != "" {
					merged++
				}
			}
			if merged == 0 {
				t.Errorf("the random log merged no duplicate pair")
			}
			t.Logf("records merged: %d", merged)
		} else if st.Digest != want {
			t.Fatalf("replica with batches of %d: digest %x, want %x", batch, st.Digest, want)
		}
		for i := range outs {
			if !bytes.Equal(outs[i], wantOuts[i]) {
				t.Fatalf("replica with batches of %d decided change %d differently", batch, i)
			}
		}
	}
	for _, res := range []registry.Result{registry.Applied, registry.Merged, registry.Superseded, registry.Rejected, registry.Duplicate, registry.NeedsReview} {
		if results[res] == 0 {
			t.Errorf("the random log produced no %s outcome: %v", res, results)
		}
	}
	t.Logf("outcomes over %d changes: %v", n, results)

	// Snapshot halfway, restore on a fresh FSM, apply the rest.
	a := mustOpen(t)
	a.ApplyBatch(logs[:len(logs)/2])
	snap, err := a.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	sink := &memSink{Buffer: &buf}
	if err := snap.Persist(sink); err != nil {
		t.Fatal(err)
	}
	snap.Release()
	b, err := Open(filepath.Join(t.TempDir(), "fsm.db"), DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if err := b.Restore(io.NopCloser(&buf)); err != nil {
		t.Fatal(err)
	}
	b.ApplyBatch(logs) // the first half is skipped by index
	if st, _ := b.Status(); st.Digest != want {
		t.Fatalf("restored replica: digest %x, want %x", st.Digest, want)
	}
	restoreOverUsed(t, logs, snapshotOf(t, a), want)
	// A replica behind, handed a newer snapshot (a follower catching up).
	behind, ahead := mustOpen(t), mustOpen(t)
	behind.ApplyBatch(logs[:len(logs)/2])
	ahead.ApplyBatch(logs[:3*len(logs)/4])
	if err := behind.Restore(io.NopCloser(bytes.NewReader(snapshotOf(t, ahead)))); err != nil {
		t.Fatal(err)
	}
	// First, a push the snapshot holds, sent again: duplicates for both.
	var resent *raft.Log
	for _, l := range logs[len(logs)/2+10 : 3*len(logs)/4] {
		if c, err := DecodeCommand(l.Data); err == nil && c.Kind == KindChanges && len(c.Changes) > 0 {
			resent = &raft.Log{Index: uint64(3*len(logs)/4) + 1, Type: raft.LogCommand, Data: l.Data}
			break
		}
	}
	if resent == nil {
		t.Fatal("no push in the log's third quarter")
	}
	outcomes := func(f *FSM) string {
		var b strings.Builder
		for _, res := range f.ApplyBatch([]*raft.Log{resent}) {
			os, _ := res.([]*registry.Outcome)
			for _, o := range os {
				fmt.Fprintf(&b, "%+v\n", *o)
			}
		}
		return b.String()
	}
	if got, want := outcomes(behind), outcomes(ahead); got != want {
		t.Fatalf("a push sent again to a replica restored from a newer snapshot:\n%s\nwant\n%s", got, want)
	}
	sb, _ := behind.Status()
	sa, _ := ahead.Status()
	if sb.Digest != sa.Digest {
		t.Fatalf("replica restored from a newer snapshot: digest %x, want %x", sb.Digest, sa.Digest)
	}
}

func snapshotOf(t *testing.T, f *FSM) []byte {
	t.Helper()
	snap, err := f.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	defer snap.Release()
	var buf bytes.Buffer
	if err := snap.Persist(&memSink{Buffer: &buf}); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// restoreOverUsed restores the snapshot of the log's first half onto a
// replica that applied all of it, its caches warm with the records as
// they end, and applies the second half again: it must reach the same
// state as any replica (what the FSM keeps decoded across batches must go
// with the state it mirrored).
func restoreOverUsed(t *testing.T, logs []*raft.Log, snap []byte, want [32]byte) {
	t.Helper()
	c := mustOpen(t)
	c.ApplyBatch(logs)
	if err := c.Restore(io.NopCloser(bytes.NewReader(snap))); err != nil {
		t.Fatal(err)
	}
	for i := len(logs) / 2; i < len(logs); i += 50 {
		c.ApplyBatch(logs[i:min(i+50, len(logs))])
	}
	if st, _ := c.Status(); st.Digest != want {
		t.Fatalf("replica restored over its own later state: digest %x, want %x", st.Digest, want)
	}
}

type memSink struct{ *bytes.Buffer }

func (m *memSink) ID() string    { return "mem" }
func (m *memSink) Cancel() error { return nil }
func (m *memSink) Close() error  { return nil }
