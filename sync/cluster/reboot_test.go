package cluster

import (
	"net"
	"os"
	"path/filepath"
	"testing"

	"github.com/xanode/xanode/sync/fsm"
)

// TestNodeRebuildsAStateItsMachineLeftTorn: the state file is written
// without fsync; when the machine stopped under it, the node discards it
// and rebuilds the same state from the raft log alone, or from its
// snapshot and the log after it.
func TestNodeRebuildsAStateItsMachineLeftTorn(t *testing.T) {
	if _, err := os.ReadFile("/proc/sys/kernel/random/boot_id"); err != nil {
		t.Skip("no boot ID on this system: the state file is fsynced, nothing to rebuild")
	}
	dir := t.TempDir()
	n := startNode(t, "city-1", dir, true)
	waitFor(t, "bootstrap leader", n.IsLeader)
	nodes := []*Node{n}
	ids := seed(t, nodes, 50)
	var seq uint64
	for range 10 {
		applyOnLeader(t, nodes, identify(ids, &seq, 5))
	}
	addr := n.RaftAddr()

	// restart closes the node, leaves its state as a power cut would —
	// torn, and marked as open by an earlier boot — and starts it again on
	// the same address.
	restart := func(n *Node) *Node {
		t.Helper()
		if err := n.Close(); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "fsm.db.boot"), []byte("a boot before a power cut\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		// What the disk kept of the file: torn beyond use.
		if err := os.WriteFile(filepath.Join(dir, "fsm.db"), []byte("torn by a power cut"), 0o600); err != nil {
			t.Fatal(err)
		}
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		r := openOn(t, "city-1", dir, ln)
		waitFor(t, "the restarted node to lead", r.IsLeader)
		return r
	}
	same := func(n *Node, want fsm.Status) {
		t.Helper()
		waitFor(t, "the rebuilt state", func() bool {
			st, _ := n.FSM().Status()
			return st.Commands == want.Commands
		})
		if st, _ := n.FSM().Status(); st.Digest != want.Digest || st.Changes != want.Changes || st.Citizens != want.Citizens {
			t.Fatalf("rebuilt %+v, had %+v", st, want)
		}
	}

	want, _ := n.FSM().Status()
	n = restart(n) // no snapshot: the whole log
	same(n, want)

	if err := n.raft.Snapshot().Error(); err != nil {
		t.Fatal(err)
	}
	nodes = []*Node{n}
	for range 5 {
		applyOnLeader(t, nodes, identify(ids, &seq, 5))
	}
	want, _ = n.FSM().Status()
	n = restart(n) // the snapshot, then the log after it
	same(n, want)
}
