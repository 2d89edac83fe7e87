package fsm

import (
	"fmt"
	"syscall"
	"testing"
	"time"

	"github.com/hashicorp/raft"

	"github.com/xanode/xanode/node/registry"
)

// BenchmarkApplyChanges measures the FSM alone (no raft), at the release's
// feature level and with the data-quality rules on: batches of 100
// temporary-residence changes from one edge against 10,000 citizens, as
// raft hands committed entries to ApplyBatch; fresh, and after 500,000
// changes already in the history (the state's ageing, of DESIGN.md, "Performance budgets"'s
// "after 10M changes" budget, without raft and at a fraction of the time).
//
// "contended" is the load of `xanode bench compare`'s batched round as one
// replica sees it: four edges of one commune, entries of 300 changes over
// 1,000 citizens, so that most changes meet another edge's registration
// of the same citizen (the review queue) and the records stay warm.
func BenchmarkApplyChanges(b *testing.B) {
	b.Run("fresh", func(b *testing.B) { benchApply(b, 0, 10000, 1, 100) })
	b.Run("after500k", func(b *testing.B) { benchApply(b, 5000, 10000, 1, 100) })
	b.Run("contended", func(b *testing.B) { benchApply(b, 0, 1000, 4, 300) })
}

func benchApply(b *testing.B, aged, people, edges, batch int) {
	f, err := Open(b.TempDir()+"/fsm.db", DefaultConfig())
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	var recs []*registry.Citizen
	var ids []string
	for i := 0; i < people; i++ {
		c := &registry.Citizen{ID: registry.MakeID("092", 1980, i%2 == 0, i)}
		c.Values[registry.FieldFullName] = fmt.Sprintf("Người %d", i)
		c.Values[registry.FieldCommune] = commune
		c.Values[registry.FieldPermanentAddress] = "12 Mậu Thân, Phường Xuân Khánh"
		recs, ids = append(recs, c), append(ids, c.ID)
	}
	var index uint64
	for _, c := range []*Command{{Kind: KindImport, Received: t0, Records: recs},
		officerAdd("canbo01", "Nguyễn Thị Lan", registry.OfficerRole, 1)} {
		index++
		c.From = senderFor(c)
		f.Apply(&raft.Log{Index: index, Type: raft.LogCommand, Data: c.Encode()})
	}
	// The cluster at this release's feature level, as a city runs once
	// every node does.
	index++
	raise := &Command{Kind: KindLevel, Received: t0, Level: ReleaseLevel, From: Sender{Role: registry.RoleCity, ID: "city-1"}}
	f.Apply(&raft.Log{Index: index, Type: raft.LogCommand, Data: raise.Encode()})
	// The data-quality rules on, as a city has them (its first sweep):
	// every stored record is re-checked.
	index++
	sweep := &Command{Kind: KindQualitySweep, Received: t0, Sweep: &SweepOp{Limit: 1}}
	sweep.From = senderFor(sweep)
	f.Apply(&raft.Log{Index: index, Type: raft.LogCommand, Data: sweep.Encode()})
	for e := 1; e <= edges; e++ {
		index++
		c := &Command{Kind: KindAssign, Received: t0, Node: fmt.Sprintf("edge-%d", e), Communes: []string{commune}}
		c.From = senderFor(c)
		f.Apply(&raft.Log{Index: index, Type: raft.LogCommand, Data: c.Encode()})
	}
	var seq uint64
	var cpu0 time.Duration
	for i := 0; i < aged+b.N; i++ {
		if i == aged {
			b.ResetTimer()
			cpu0 = cpuTime()
		}
		cs := make([]*registry.Change, batch)
		for j := range cs {
			seq++
			cs[j] = &registry.Change{Node: fmt.Sprintf("edge-%d", 1+j*edges/batch), Seq: seq, Op: registry.OpRegisterTemporary, Officer: "canbo01",
				Citizen: ids[int(seq*7919)%len(ids)], Commune: commune, Time: registry.HLCFromTime(t0.Add(time.Duration(seq) * time.Millisecond)),
				Patch: registry.Patch{{Field: registry.FieldTemporaryAddress, Value: fmt.Sprintf("Số %d Đường 3 Tháng 2", seq)},
					{Field: registry.FieldTemporaryUntil, Value: "2027-12-31"}}}
		}
		index++
		received := t0.Add(time.Duration(seq) * time.Millisecond)
		var pushes []*Command
		for j := 0; j < len(cs); {
			k := j
			for k < len(cs) && cs[k].Node == cs[j].Node {
				k++
			}
			pushes = append(pushes, &Command{Kind: KindChanges, From: Sender{Role: registry.RoleEdge, ID: cs[j].Node},
				Received: received, Changes: cs[j:k]})
			j = k
		}
		cmd := pushes[0]
		if len(pushes) > 1 { // several edges' pushes grouped at the leader, as a city node does
			cmd = Group(Sender{Role: registry.RoleCity, ID: "city-1"}, received, pushes)
		}
		data := cmd.Encode()
		f.ApplyBatch([]*raft.Log{{Index: index, Type: raft.LogCommand, Data: data}})
	}
	b.ReportMetric(float64(b.N*batch)/b.Elapsed().Seconds(), "changes/s")
	// CPU per change says what the FSM costs on a machine others share,
	// where the wall time says more about them.
	b.ReportMetric(float64((cpuTime()-cpu0).Microseconds())/float64(b.N*batch), "cpu-µs/change")
}

// cpuTime is the process's CPU time so far (user and system).
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
