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
	"github.com/xanode/xanode/sync/fsm/fsmtest"
)

// testRaftConfig uses short timeouts, as hashicorp/raft's own tests do,
// but not so short that fsyncs on a loaded two-core machine running the
// race detector make leadership flap: 150 ms.
func testRaftConfig() *raft.Config {
	c := raft.DefaultConfig()
	c.HeartbeatTimeout = 150 * time.Millisecond
	c.ElectionTimeout = 150 * time.Millisecond
	c.LeaderLeaseTimeout = 150 * time.Millisecond
	c.CommitTimeout = 5 * time.Millisecond
	return c
}

// applyOnLeader applies a command on whichever node leads, retrying while
// leadership moves.
func applyOnLeader(t testing.TB, nodes []*Node, cmd *fsm.Command) any {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		for _, n := range nodes {
			if n.raft == nil || !n.IsLeader() {
				continue
			}
			res, err := n.Apply(context.Background(), fsmtest.Stamp(cmd))
			if err == nil {
				return res
			}
			if !errors.Is(err, ErrNotLeader) {
				t.Fatal(err)
			}
		}
		if time.Now().After(deadline) {
			t.Fatal("no leader accepted the command within 15 s")
		}
		time.Sleep(20 * time.Millisecond)
	}
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
	// Long enough for a loaded machine under the race detector: it is
	// only reached when the condition never comes.
	deadline := time.Now().Add(45 * time.Second)
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
	applyOnLeader(t, nodes, &fsm.Command{Kind: fsm.KindImport, Records: []*registry.Citizen{rec}})
	applyOnLeader(t, nodes, &fsm.Command{Kind: fsm.KindAssign, Node: "edge-1", Communes: []string{"31117"}})
	applyOnLeader(t, nodes, fsmtest.Officer("31117", "o", registry.OfficerRole))
	ch := &registry.Change{Node: "edge-1", Seq: 1, Officer: "o", Op: registry.OpIdentify, Citizen: rec.ID, Commune: "31117", Base: 1}
	res := applyOnLeader(t, nodes, &fsm.Command{Kind: fsm.KindChanges, Changes: []*registry.Change{ch}})
	if o := res.([]*registry.Outcome)[0]; o.Result != registry.Applied {
		t.Fatalf("outcome %+v", o)
	}

	cur := leaderOf(t, nodes)
	follower := nodes[(cur+1)%3]
	var notLeader *NotLeaderError
	if _, err := follower.Apply(ctx, fsmtest.Stamp(&fsm.Command{Kind: fsm.KindChanges})); !errors.As(err, &notLeader) || notLeader.LeaderID == follower.ID() {
		t.Fatalf("follower apply: %v", err)
	}

	want, _ := nodes[cur].FSM().Status()
	for _, n := range nodes {
		waitFor(t, n.ID()+" to catch up", func() bool {
			s, _ := n.FSM().Status()
			return s.Digest == want.Digest && s.AppliedIndex >= want.AppliedIndex
		})
	}

	// The leader goes away: the others elect a new one and keep the state;
	// a retried change is recognised.
	nodes[cur].Close()
	rest := append(append([]*Node(nil), nodes[:cur]...), nodes[cur+1:]...)
	ch2 := &registry.Change{Node: "edge-1", Seq: 1, Officer: "o", Op: registry.OpIdentify, Citizen: rec.ID, Commune: "31117", Base: 1}
	res = applyOnLeader(t, rest, &fsm.Command{Kind: fsm.KindChanges, Changes: []*registry.Change{ch2}})
	if o := res.([]*registry.Outcome)[0]; o.Result != registry.Duplicate || o.Original != registry.Applied {
		t.Fatalf("retry after failover: %+v", o)
	}
}

func leaderOf(t *testing.T, nodes []*Node) int {
	t.Helper()
	idx := -1
	waitFor(t, "a leader", func() bool {
		for i, n := range nodes {
			if n.IsLeader() {
				idx = i
				return true
			}
		}
		return false
	})
	return idx
}

// TestNewNodeCatchesUpFromSnapshot: after the log is compacted into a
// snapshot, a node that joins receives the FSM state by InstallSnapshot
// (streamed from a bbolt read transaction) and reaches the same digest.
func TestNewNodeCatchesUpFromSnapshot(t *testing.T) {
	rc := testRaftConfig()
	rc.SnapshotThreshold, rc.TrailingLogs = 16, 4
	leader := startNodeWith(t, "city-1", t.TempDir(), true, rc)
	t.Cleanup(func() { leader.Close() })
	waitFor(t, "bootstrap leader", leader.IsLeader)
	nodes := []*Node{leader}
	for i := 0; i < 40; i++ {
		rec := &registry.Citizen{ID: registry.MakeID("092", 1990, i%2 == 0, i)}
		rec.Values[registry.FieldFullName] = fmt.Sprintf("Người %d", i)
		rec.Values[registry.FieldCommune] = "92101"
		applyOnLeader(t, nodes, &fsm.Command{Kind: fsm.KindImport, Records: []*registry.Citizen{rec}})
	}
	if err := leader.raft.Snapshot().Error(); err != nil {
		t.Fatal(err)
	}
	late := startNodeWith(t, "city-2", t.TempDir(), false, rc)
	t.Cleanup(func() { late.Close() })
	if err := leader.Join(late.ID(), late.RaftAddr()); err != nil {
		t.Fatal(err)
	}
	want, _ := leader.FSM().Status()
	waitFor(t, "the new node to restore the snapshot", func() bool {
		s, _ := late.FSM().Status()
		return s.Digest == want.Digest && s.Citizens == 40
	})
	// Joining again with a changed address replaces the old entry.
	if err := leader.Join(late.ID(), "127.0.0.1:1"); err != nil {
		t.Fatal(err)
	}
	servers, _ := leader.Servers()
	if len(servers) != 2 || string(servers[1].Address) != "127.0.0.1:1" {
		t.Fatalf("configuration after rejoin: %+v", servers)
	}
	if err := leader.Remove(late.ID()); err != nil {
		t.Fatal(err)
	}
	if servers, _ := leader.Servers(); len(servers) != 1 {
		t.Fatalf("configuration after remove: %+v", servers)
	}
}
