package cluster

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/hashicorp/raft"

	"github.com/xanode/xanode/node/registry"
	"github.com/xanode/xanode/sync/fsm"
	"github.com/xanode/xanode/sync/fsm/fsmtest"
)

// benchCluster starts three nodes on loopback with fsync on (the default)
// and production-like batching, seeded with citizens and an assigned node.
func benchCluster(b *testing.B) (*Node, []string) {
	b.Helper()
	nodes := make([]*Node, 3)
	for i := range nodes {
		// Production timeouts: under full load on two cores, tens of
		// milliseconds would make leadership flap.
		nodes[i] = startNodeWith(b, fmt.Sprintf("city-%d", i+1), b.TempDir(), i == 0, raft.DefaultConfig())
		b.Cleanup(func() { nodes[i].Close() })
	}
	for !nodes[0].IsLeader() {
		time.Sleep(10 * time.Millisecond)
	}
	for _, n := range nodes[1:] {
		if err := nodes[0].Join(n.ID(), n.RaftAddr()); err != nil {
			b.Fatal(err)
		}
	}
	var recs []*registry.Citizen
	var ids []string
	for i := 0; i < 1000; i++ {
		c := &registry.Citizen{ID: registry.MakeID("092", 1980, false, i)}
		c.Values[registry.FieldFullName] = fmt.Sprintf("Người %d", i)
		c.Values[registry.FieldCommune] = "92101"
		recs, ids = append(recs, c), append(ids, c.ID)
	}
	ctx := context.Background()
	if _, err := nodes[0].Apply(ctx, fsmtest.Stamp(&fsm.Command{Kind: fsm.KindImport, Records: recs})); err != nil {
		b.Fatal(err)
	}
	if _, err := nodes[0].Apply(ctx, fsmtest.Stamp(&fsm.Command{Kind: fsm.KindAssign, Node: "edge-1", Communes: []string{"92101"}})); err != nil {
		b.Fatal(err)
	}
	if _, err := nodes[0].Apply(ctx, fsmtest.Officer("92101", "o", registry.OfficerRole)); err != nil {
		b.Fatal(err)
	}
	return nodes[0], ids
}

func changesFor(ids []string, seq *uint64, n int) []*registry.Change {
	cs := make([]*registry.Change, n)
	for i := range cs {
		*seq++
		cs[i] = &registry.Change{Node: "edge-1", Seq: *seq, Officer: "o", Op: registry.OpRegisterTemporary,
			Citizen: ids[int(*seq)%len(ids)], Commune: "92101", Time: registry.HLCFromTime(time.Now()),
			Patch: registry.Patch{{Field: registry.FieldTemporaryAddress, Value: fmt.Sprintf("Số %d", *seq)},
				{Field: registry.FieldTemporaryUntil, Value: "2027-12-31"}}}
	}
	return cs
}

// BenchmarkApplyOne: one change per raft entry, one client at a time.
func BenchmarkApplyOne(b *testing.B) {
	leader, ids := benchCluster(b)
	var seq uint64
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := leader.Apply(context.Background(), fsmtest.Stamp(&fsm.Command{Kind: fsm.KindChanges, Changes: changesFor(ids, &seq, 1)})); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "changes/s")
}

// BenchmarkApplyBatched: batches of 100 changes from 4 concurrent clients.
func BenchmarkApplyBatched(b *testing.B) {
	leader, ids := benchCluster(b)
	const batch = 100
	var seqs [4]uint64
	b.ResetTimer()
	b.SetParallelism(2) // 2 × GOMAXPROCS(2) = 4 clients
	var next = make(chan int, 4)
	for i := 0; i < 4; i++ {
		next <- i
	}
	b.RunParallel(func(pb *testing.PB) {
		c := <-next
		for pb.Next() {
			cs := changesFor(ids, &seqs[c], batch)
			for _, ch := range cs {
				ch.Seq = ch.Seq*4 + uint64(c)
			}
			if _, err := leader.Apply(context.Background(), fsmtest.Stamp(&fsm.Command{Kind: fsm.KindChanges, Changes: cs})); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N*batch)/b.Elapsed().Seconds(), "changes/s")
}
