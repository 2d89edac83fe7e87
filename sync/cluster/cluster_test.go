package cluster

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"testing"
	"time"

	"github.com/hashicorp/raft"

	"github.com/xanode/xanode/node/registry"
	"github.com/xanode/xanode/sync/fsm"
)

// testRaftConfig uses timeouts in tens of milliseconds, as hashicorp/raft's
// own tests do.
func testRaftConfig() *raft.Config {
	c := raft.DefaultConfig()
	c.HeartbeatTimeout = 50 * time.Millisecond
	c.ElectionTimeout = 50 * time.Millisecond
	c.LeaderLeaseTimeout = 50 * time.Millisecond
	c.CommitTimeout = 5 * time.Millisecond
	return c
}

func startNode(t testing.TB, id, dir string, bootstrap bool) *Node {
	return startNodeWith(t, id, dir, bootstrap, testRaftConfig())
}

func startNodeWith(t testing.TB, id, dir string, bootstrap bool, rc *raft.Config) *Node {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	n, err := Open(Config{ID: id, Dir: dir, Listener: ln, Bootstrap: bootstrap,
		Raft: rc, FSM: fsm.DefaultConfig(), LogOutput: io.Discard})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestThreeNodesReplicateAndAgree(t *testing.T) {
	nodes := make([]*Node, 3)
	for i := range nodes {
		nodes[i] = startNode(t, fmt.Sprintf("city-%d", i+1), t.TempDir(), i == 0)
		t.Cleanup(func() { nodes[i].Close() })
	}
	leader := nodes[0]
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	waitFor(t, "bootstrap leader", leader.IsLeader)
	for _, n := range nodes[1:] {
		if err := leader.Join(n.ID(), n.RaftAddr()); err != nil {
			t.Fatal(err)
		}
	}
	rec := &registry.Citizen{ID: "092090001234"}
	rec.Values[registry.FieldFullName] = "Lê Văn Cường"
	rec.Values[registry.FieldCommune] = "31117"
	if _, err := leader.Apply(ctx, &fsm.Command{Kind: fsm.KindImport, Records: []*registry.Citizen{rec}}); err != nil {
		t.Fatal(err)
	}
	if _, err := leader.Apply(ctx, &fsm.Command{Kind: fsm.KindAssign, Node: "edge-1", Communes: []string{"31117"}}); err != nil {
		t.Fatal(err)
	}
	ch := &registry.Change{Node: "edge-1", Seq: 1, Op: registry.OpIdentify, Citizen: rec.ID, Commune: "31117", Base: 1}
	res, err := leader.Apply(ctx, &fsm.Command{Kind: fsm.KindChanges, Changes: []*registry.Change{ch}})
	if err != nil {
		t.Fatal(err)
	}
	if o := res.([]*registry.Outcome)[0]; o.Result != registry.Applied {
		t.Fatalf("outcome %+v", o)
	}

	var notLeader *NotLeaderError
	if _, err := nodes[1].Apply(ctx, &fsm.Command{Kind: fsm.KindChanges}); !errors.As(err, &notLeader) || notLeader.LeaderID != "city-1" {
		t.Fatalf("follower apply: %v", err)
	}

	want, _ := leader.FSM().Status()
	for _, n := range nodes[1:] {
		waitFor(t, n.ID()+" to catch up", func() bool {
			s, _ := n.FSM().Status()
			return s == want
		})
	}

	// The leader goes away: the others elect a new one and keep the state.
	leader.Close()
	waitFor(t, "a new leader", func() bool { return nodes[1].IsLeader() || nodes[2].IsLeader() })
	next := nodes[1]
	if nodes[2].IsLeader() {
		next = nodes[2]
	}
	ch2 := &registry.Change{Node: "edge-1", Seq: 1, Op: registry.OpIdentify, Citizen: rec.ID, Commune: "31117", Base: 1}
	res, err = next.Apply(ctx, &fsm.Command{Kind: fsm.KindChanges, Changes: []*registry.Change{ch2}})
	if err != nil {
		t.Fatal(err)
	}
	if o := res.([]*registry.Outcome)[0]; o.Result != registry.Duplicate || o.Original != registry.Applied {
		t.Fatalf("retry after failover: %+v", o)
	}
}
