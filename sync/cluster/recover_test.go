package cluster

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/hashicorp/raft"

	"github.com/xanode/xanode/node/registry"
	"github.com/xanode/xanode/sync/fsm"
)

// TestRecoverFromMajorityLoss: of three nodes two are lost with their
// data. The survivor, stopped, is recovered to a configuration of itself
// at a new address; it leads alone, keeps its state and indexes, and two
// fresh nodes join and reach its state.
func TestRecoverFromMajorityLoss(t *testing.T) {
	dirs := []string{t.TempDir(), t.TempDir(), t.TempDir()}
	nodes := make([]*Node, 3)
	for i := range nodes {
		nodes[i] = startNode(t, fmt.Sprintf("city-%d", i+1), dirs[i], i == 0)
		t.Cleanup(func() { nodes[i].Close() })
	}
	waitFor(t, "bootstrap leader", nodes[0].IsLeader)
	for _, n := range nodes[1:] {
		if err := nodes[0].Join(n.ID(), n.RaftAddr()); err != nil {
			t.Fatal(err)
		}
	}
	ids := seed(t, nodes, 50)
	var seq uint64
	for i := 0; i < 5; i++ {
		applyOnLeader(t, nodes, identify(ids, &seq, 10))
	}
	survivor := 2
	caughtUp := func() fsm.Status {
		want, _ := nodes[leaderOf(t, nodes)].FSM().Status()
		waitFor(t, "the survivor to catch up", func() bool {
			s, _ := nodes[survivor].FSM().Status()
			return s.AppliedIndex == want.AppliedIndex
		})
		return want
	}
	// Part of the survivor's state comes from its snapshot, the rest from
	// its log.
	caughtUp()
	if err := nodes[survivor].raft.Snapshot().Error(); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 5; i++ {
		applyOnLeader(t, nodes, identify(ids, &seq, 10))
	}
	want := caughtUp()

	t.Run("refused while the node runs", func(t *testing.T) {
		_, err := Recover(RecoverConfig{Dir: dirs[survivor], ID: "city-3", RaftAddr: "127.0.0.1:1", FSM: fsm.DefaultConfig()})
		if err == nil || !strings.Contains(err.Error(), "stop the node first") {
			t.Fatalf("got %v", err)
		}
	})

	for i := range nodes {
		nodes[i].Close()
		if i != survivor {
			os.RemoveAll(dirs[i])
		}
	}

	t.Run("refused for another node's ID", func(t *testing.T) {
		_, err := Recover(RecoverConfig{Dir: dirs[survivor], ID: "city-7", RaftAddr: "127.0.0.1:1", FSM: fsm.DefaultConfig()})
		if err == nil || !strings.Contains(err.Error(), `"city-7" is not in the configuration`) || !strings.Contains(err.Error(), "city-3 at") {
			t.Fatalf("got %v", err)
		}
	})

	ln := listen(t)
	rec, err := Recover(RecoverConfig{Dir: dirs[survivor], ID: "city-3", RaftAddr: ln.Addr().String(), FSM: fsm.DefaultConfig()})
	if err != nil {
		t.Fatal(err)
	}
	if len(rec.Before) != 3 || rec.Status.Digest != want.Digest || rec.Status.AppliedIndex != want.AppliedIndex || rec.LastIndex < want.AppliedIndex {
		t.Fatalf("recovered %+v, the cluster had %+v", rec, want)
	}

	r := openOn(t, "city-3", dirs[survivor], ln)
	waitFor(t, "the survivor to lead alone", r.IsLeader)
	servers, _ := r.Servers()
	if len(servers) != 1 || servers[0].ID != "city-3" || servers[0].Address != raft.ServerAddress(ln.Addr().String()) {
		t.Fatalf("configuration after the recovery: %+v", servers)
	}
	if st, _ := r.FSM().Status(); st.Digest != want.Digest {
		t.Fatalf("the survivor's state changed in the recovery: %+v, want %+v", st, want)
	}
	fresh := []*Node{startNode(t, "city-4", t.TempDir(), false), startNode(t, "city-5", t.TempDir(), false)}
	for _, n := range fresh {
		t.Cleanup(func() { n.Close() })
		if err := r.Join(n.ID(), n.RaftAddr()); err != nil {
			t.Fatal(err)
		}
	}
	res, err := r.Apply(context.Background(), identify(ids, &seq, 1))
	if err != nil {
		t.Fatal(err)
	}
	outs, ok := res.([]*registry.Outcome)
	if !ok || len(outs) != 1 {
		t.Fatalf("a write answered %#v, want one outcome", res)
	}
	if o := outs[0]; o.Result != registry.Applied || o.Index <= rec.LastIndex {
		t.Fatalf("a write after the recovery: %+v, recovered at index %d", o, rec.LastIndex)
	}
	final, _ := r.FSM().Status()
	for _, n := range fresh {
		waitFor(t, n.ID()+" to reach the survivor's state", func() bool {
			s, _ := n.FSM().Status()
			return s.Digest == final.Digest && s.AppliedIndex == final.AppliedIndex
		})
	}
}
