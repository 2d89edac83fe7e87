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
//
// "compare" is that load as `xanode bench compare` makes it, entry for
// entry: the benchmark's citizens (name, birth date, sex), pushes of 200
// changes from one of four edges, about one and a half pushes grouped in
// an entry, 500 addresses. The entries are encoded before the timer starts,
// so only the state machine is measured.
func BenchmarkApplyChanges(b *testing.B) {
	b.Run("fresh", func(b *testing.B) { benchApply(b, benchLoad{people: 10000, edges: 1, batch: 100}) })
	b.Run("after500k", func(b *testing.B) { benchApply(b, benchLoad{aged: 5000, people: 10000, edges: 1, batch: 100}) })
	b.Run("contended", func(b *testing.B) { benchApply(b, benchLoad{people: 1000, edges: 4, batch: 300}) })
	b.Run("compare", func(b *testing.B) {
		benchApply(b, benchLoad{people: 1000, edges: 4, batch: 300, push: 200, addresses: 500, full: true})
	})
}

// benchLoad shapes BenchmarkApplyChanges' entries: batch changes an entry
// over people citizens, from edges edges taking turns, push changes at a
// time (0: batch/edges); addresses distinct addresses (0: every change
// its own); full records carry a birth date and sex, as the city's do;
// aged entries are applied before the timer starts.
type benchLoad struct {
	aged, people, edges, batch, push, addresses int
	full                                        bool
}

func benchApply(b *testing.B, l benchLoad) {
	f, err := Open(b.TempDir()+"/fsm.db", DefaultConfig())
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	var recs []*registry.Citizen
	var ids []string
	for i := 0; i < l.people; i++ {
		c := &registry.Citizen{ID: registry.MakeID("092", 1980, i%2 == 0, i)}
		c.Values[registry.FieldFullName] = fmt.Sprintf("Người %d", i)
		c.Values[registry.FieldCommune] = commune
		c.Values[registry.FieldPermanentAddress] = "12 Mậu Thân, Phường Xuân Khánh"
		if l.full {
			c.ID = registry.MakeID("092", 1950+i%60, i%2 == 1, 990000-i)
			c.Values[registry.FieldFullName] = fmt.Sprintf("Công Dân Thử %d", i)
			c.Values[registry.FieldBirthDate] = fmt.Sprintf("%04d-06-15", 1950+i%60)
			c.Values[registry.FieldSex] = map[bool]string{false: registry.SexMale, true: registry.SexFemale}[i%2 == 1]
		}
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
	for e := 1; e <= l.edges; e++ {
		index++
		c := &Command{Kind: KindAssign, Received: t0, Node: fmt.Sprintf("edge-%d", e), Communes: []string{commune}}
		c.From = senderFor(c)
		f.Apply(&raft.Log{Index: index, Type: raft.LogCommand, Data: c.Encode()})
	}
	push := l.push
	if push == 0 {
		push = l.batch / l.edges
	}
	var seq uint64
	edgeSeq := make([]uint64, l.edges)
	entry := func(i int) *raft.Log {
		cs := make([]*registry.Change, l.batch)
		for j := range cs {
			seq++
			e := (i*l.batch + j) / push % l.edges
			edgeSeq[e]++
			addr := seq
			if l.addresses > 0 {
				addr %= uint64(l.addresses)
			}
			cs[j] = &registry.Change{Node: fmt.Sprintf("edge-%d", 1+e), Seq: edgeSeq[e], Op: registry.OpRegisterTemporary, Officer: "canbo01",
				Citizen: ids[int(seq*7919)%len(ids)], Commune: commune, Time: registry.HLCFromTime(t0.Add(time.Duration(seq) * time.Millisecond)),
				Patch: registry.Patch{{Field: registry.FieldTemporaryAddress, Value: fmt.Sprintf("Số %d Đường 3 Tháng 2", addr)},
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
		return &raft.Log{Index: index, Type: raft.LogCommand, Data: cmd.Encode()}
	}
	for i := 0; i < l.aged; i++ {
		f.ApplyBatch([]*raft.Log{entry(i)})
	}
	logs := make([]*raft.Log, b.N)
	for i := range logs {
		logs[i] = entry(l.aged + i)
	}
	b.ResetTimer()
	cpu0 := cpuTime()
	for _, l := range logs {
		f.ApplyBatch([]*raft.Log{l})
	}
	b.ReportMetric(float64(b.N*l.batch)/b.Elapsed().Seconds(), "changes/s")
	// CPU per change says what the FSM costs on a machine others share,
	// where the wall time says more about them.
	b.ReportMetric(float64((cpuTime()-cpu0).Microseconds())/float64(b.N*l.batch), "cpu-µs/change")
}

// cpuTime is the process's CPU time so far (user and system).
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
