package cluster

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	gosync "sync"
	"testing"
	"time"

	"github.com/xanode/xanode/node/registry"
	"github.com/xanode/xanode/sync/fsm"
	"github.com/xanode/xanode/sync/fsm/fsmtest"
	"github.com/xanode/xanode/sync/metrics"
)

// TestConcurrentPushesShareEntries: pushes of several edges that reach the
// leader together share raft entries (group commit), every caller gets
// its own push's outcomes, a retried change is answered duplicate, a push
// its sender may not send is refused alone, and the replicas agree.
func TestConcurrentPushesShareEntries(t *testing.T) {
	regs := []*metrics.Registry{metrics.NewBare(), metrics.NewBare(), metrics.NewBare()}
	nodes := make([]*Node, 3)
	for i := range nodes {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		cfg := Config{ID: fmt.Sprintf("city-%d", i+1), Dir: t.TempDir(), Listener: ln, Bootstrap: i == 0,
			Raft: testRaftConfig(), FSM: fsm.DefaultConfig(), LogOutput: io.Discard, Metrics: regs[i]}
		if nodes[i], err = Open(cfg); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { nodes[i].Close() })
	}
	leader := nodes[0]
	waitFor(t, "bootstrap leader", leader.IsLeader)
	for _, n := range nodes[1:] {
		if err := leader.Join(n.ID(), n.RaftAddr()); err != nil {
			t.Fatal(err)
		}
	}
	const edges, pushes = 6, 30
	rec := &registry.Citizen{ID: "092090001234"}
	rec.Values[registry.FieldFullName] = "Lê Văn Cường"
	rec.Values[registry.FieldCommune] = "31117"
	applyOnLeader(t, nodes, &fsm.Command{Kind: fsm.KindImport, Records: []*registry.Citizen{rec}})
	for e := range edges {
		applyOnLeader(t, nodes, &fsm.Command{Kind: fsm.KindAssign, Node: fmt.Sprintf("edge-%d", e), Communes: []string{"31117"}})
	}
	applyOnLeader(t, nodes, fsmtest.Officer("31117", "o", registry.OfficerRole))

	// apply pushes through whichever node leads: leadership may move on a
	// loaded machine, and a push retried after that may find itself
	// applied already (duplicate).
	apply := func(cmd *fsm.Command) (any, error) {
		deadline := time.Now().Add(20 * time.Second)
		for {
			for _, n := range nodes {
				if !n.IsLeader() {
					continue
				}
				res, err := n.Apply(context.Background(), cmd)
				if !errors.Is(err, ErrNotLeader) {
					return res, err
				}
			}
			if time.Now().After(deadline) {
				return nil, errors.New("no leader for 20 s")
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	identify := func(node string, seq uint64) *registry.Change {
		return &registry.Change{Node: node, Seq: seq, Officer: "o", Op: registry.OpIdentify, Citizen: rec.ID, Commune: "31117", Base: 1}
	}
	var wg gosync.WaitGroup
	errs := make(chan error, edges+1)
	for e := range edges {
		wg.Add(1)
		go func() {
			defer wg.Done()
			node := fmt.Sprintf("edge-%d", e)
			for seq := uint64(1); seq <= pushes; seq++ {
				res, err := apply(fsmtest.Stamp(&fsm.Command{Kind: fsm.KindChanges, Changes: []*registry.Change{identify(node, seq)}}))
				if err != nil {
					errs <- fmt.Errorf("%s push %d: %w", node, seq, err)
					return
				}
				outs, ok := res.([]*registry.Outcome)
				if !ok || len(outs) != 1 || outs[0].Change != identify(node, seq).ID() ||
					outs[0].Result != registry.Applied && (outs[0].Result != registry.Duplicate || outs[0].Original != registry.Applied) {
					errs <- fmt.Errorf("%s push %d answered %T %+v", node, seq, res, res)
					return
				}
			}
		}()
	}
	wg.Add(1)
	go func() { // a push of another edge's change, among the others
		defer wg.Done()
		cmd := &fsm.Command{Kind: fsm.KindChanges, From: fsm.Sender{Role: registry.RoleEdge, ID: "edge-0"}, Changes: []*registry.Change{identify("edge-1", 99)}}
		if _, err := apply(cmd); !errors.Is(err, fsm.ErrForbidden) {
			errs <- fmt.Errorf("a push of another edge's change: %v", err)
		}
	}()
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	res, err := apply(fsmtest.Stamp(&fsm.Command{Kind: fsm.KindChanges, Changes: []*registry.Change{identify("edge-0", 1)}}))
	if err != nil || res.([]*registry.Outcome)[0].Result != registry.Duplicate {
		t.Fatalf("a retried change: %v %+v", err, res)
	}

	var proposed, entries float64
	for _, reg := range regs {
		var exp bytes.Buffer
		reg.WriteTo(&exp)
		for _, line := range strings.Split(exp.String(), "\n") {
			var v float64
			if _, err := fmt.Sscanf(line, "xanode_raft_pushes_total %g", &v); err == nil {
				proposed += v
			}
			if _, err := fmt.Sscanf(line, "xanode_raft_push_entries_total %g", &v); err == nil {
				entries += v
			}
		}
	}
	if proposed < edges*pushes+1 || entries >= proposed {
		t.Errorf("%g pushes went into %g entries: none shared one", proposed, entries)
	}
	t.Logf("%g pushes in %g entries", proposed, entries)

	waitFor(t, "every replica to apply every push", func() bool {
		a, _ := nodes[0].FSM().Status()
		b, _ := nodes[1].FSM().Status()
		c, _ := nodes[2].FSM().Status()
		return a == b && b == c
	})
}
