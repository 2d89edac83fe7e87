package bench

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/hashicorp/raft"

	"github.com/xanode/xanode/node/gen"
	"github.com/xanode/xanode/node/registry"
	"github.com/xanode/xanode/sync/fsm"
)

// benchQualityFSM measures what the rules cost the city per change: it
// loads n citizens (with defects) into two FSMs, one with the rules on (a
// sweep first) and one without, then applies the same city corrections
// to both, one entry each, and reports the time per entry of each and the
// difference — the incremental re-check of what each change touches.
func benchQualityFSM(n, changes int, seed int64) error {
	dir, err := os.MkdirTemp("", "xanode-bench-quality-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	var recs []*registry.Citizen
	if _, err := gen.GenerateWithDefects(gen.Options{Commune: "92101", Citizens: n, Seed: seed}, max(1, n/1000),
		func(c *registry.Citizen) error { recs = append(recs, c); return nil }); err != nil {
		return err
	}
	admin := fsm.Sender{Role: registry.RoleAdmin, ID: "bench"}
	at := time.Date(2026, 6, 30, 2, 0, 0, 0, time.UTC)
	var load []*raft.Log
	add := func(logs []*raft.Log, c *fsm.Command) []*raft.Log {
		return append(logs, &raft.Log{Index: uint64(len(logs) + 1), Type: raft.LogCommand, Data: c.Encode()})
	}
	for i := 0; i < len(recs); i += 5000 {
		load = add(load, &fsm.Command{Kind: fsm.KindImport, From: admin, Received: at, Records: recs[i:min(i+5000, len(recs))]})
	}
	r := rand.New(rand.NewPCG(uint64(seed), 11))
	var edits []*fsm.Command
	for range changes {
		c := recs[r.IntN(len(recs))]
		var p registry.Patch
		switch r.IntN(4) {
		case 0:
			p = registry.Patch{{Field: registry.FieldFullName, Value: c.Get(registry.FieldFullName) + " Anh"}}
		case 1:
			p = registry.Patch{{Field: registry.FieldReligion, Value: "Phật giáo"}}
		case 2:
			p = registry.Patch{{Field: registry.FieldRelation, Value: "Con"}}
		default:
			p = registry.Patch{{Field: registry.FieldTemporaryAddress, Value: "Số 5, Phường Tân An, TP Cần Thơ"},
				{Field: registry.FieldTemporaryUntil, Value: "2027-01-01"}}
		}
		edits = append(edits, &fsm.Command{Kind: fsm.KindCorrect, From: admin, Received: at, Citizen: c.ID, Patch: p, Reason: "bench", By: "bench"})
	}
	for _, on := range []bool{false, true} {
		f, err := fsm.Open(filepath.Join(dir, fmt.Sprintf("fsm-%v.db", on)), fsm.DefaultConfig())
		if err != nil {
			return err
		}
		logs := slices.Clone(load)
		if on {
			logs = append([]*raft.Log{{Index: 0, Type: raft.LogCommand,
				Data: (&fsm.Command{Kind: fsm.KindQualitySweep, From: fsm.Sender{Role: registry.RoleCity, ID: "bench"}, Received: at,
					Sweep: &fsm.SweepOp{Limit: 1}}).Encode()}}, logs...)
			for i := range logs {
				logs[i] = &raft.Log{Index: uint64(i + 1), Type: raft.LogCommand, Data: logs[i].Data}
			}
		}
		start, cpu := time.Now(), cpuSeconds()
		for i := 0; i < len(logs); i += 20 {
			f.ApplyBatch(logs[i:min(i+20, len(logs))])
		}
		loadTook, loadCPU := time.Since(start), cpuSeconds()-cpu
		next := uint64(len(logs))
		took := make([]time.Duration, len(edits))
		cpu = cpuSeconds()
		for i, e := range edits {
			next++
			start := time.Now()
			f.Apply(&raft.Log{Index: next, Type: raft.LogCommand, Data: e.Encode()})
			took[i] = time.Since(start)
		}
		editCPU := cpuSeconds() - cpu
		findings, _ := f.Findings(fsm.FindingFilter{})
		f.Close()
		slices.Sort(took)
		var sum time.Duration
		for _, d := range took {
			sum += d
		}
		label := "rules off"
		if on {
			label = "rules on "
		}
		fmt.Printf("fsm, %s: import of %d citizens %s (%.0f µs CPU each); %d corrections one entry each: mean %.0f µs, p50 %.0f µs, p99 %.0f µs, %.0f µs CPU each; %d findings\n",
			label, len(recs), loadTook.Round(time.Millisecond), loadCPU*1e6/float64(len(recs)), len(edits),
			float64(sum.Microseconds())/float64(len(edits)), us(took[len(took)/2]), us(took[len(took)*99/100]),
			editCPU*1e6/float64(len(edits)), len(findings))
	}
	return nil
}
