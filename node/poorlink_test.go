package node

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/xanode/xanode/certs"
	"github.com/xanode/xanode/node/edge"
	"github.com/xanode/xanode/node/gen"
	"github.com/xanode/xanode/node/registry"
	"github.com/xanode/xanode/sync/fsm"
	"github.com/xanode/xanode/sync/netem"
)

// TestOfflineEdgeCatchesUpOverAPoorLink: an edge that was offline records
// 1,000 changes; the link comes back at 256 kbit/s with a 300 ms round
// trip and drops every few tens of kilobytes. Every change must reach the
// city exactly once and its outcome come back. The time it took and the
// bytes per change are logged against the budget (30 s), not asserted:
// budgets are measured, not timed tests.
func TestOfflineEdgeCatchesUpOverAPoorLink(t *testing.T) {
	if testing.Short() {
		t.Skip("slow link test")
	}
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	ctx := context.Background()
	dir := t.TempDir()
	pki, err := certs.Init(filepath.Join(dir, "pki"), certs.InitOptions{CityNodes: []string{"city-1"}})
	if err != nil {
		t.Fatal(err)
	}
	city, err := StartCity(ctx, CityConfig{ID: "city-1", Dir: filepath.Join(dir, "city"), RaftAddr: "127.0.0.1:0",
		APIAddr: "127.0.0.1:0", PKI: pki, Bootstrap: true, Raft: RaftTimeouts(150 * time.Millisecond),
		FSM: fsm.DefaultConfig(), Log: quiet, RaftLog: io.Discard})
	if err != nil {
		t.Fatal(err)
	}
	defer city.Close()
	for !city.Node().IsLeader() {
		time.Sleep(10 * time.Millisecond)
	}
	people, err := gen.Citizens(gen.Options{Commune: "92101", Citizens: 200, Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	mustApply(t, city, &fsm.Command{Kind: fsm.KindImport, Records: people})
	mustApply(t, city, &fsm.Command{Kind: fsm.KindAssign, Node: "edge-1", Communes: []string{"92101"}})

	link, err := netem.Start(city.apiLn.Addr().String(), netem.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer link.Close()
	cred, err := pki.IssueNodeKey("edge-1", certs.RoleEdge, nil, time.Hour, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	edgeDir := filepath.Join(dir, "edge")
	if err := WriteEdgeCredentials(edgeDir, cred, pki.RootPEM(), EdgeIdentity{Node: "edge-1", Commune: "92101",
		City: []string{"https://" + link.Addr()}}); err != nil {
		t.Fatal(err)
	}
	e, err := StartEdge(ctx, EdgeConfig{Dir: edgeDir, Listen: "127.0.0.1:0", PushEvery: time.Second, PullEvery: time.Hour, Log: quiet})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	waitUntil(t, "the edge's first subset", 30*time.Second, func() bool { _, err := e.Store.Subset(); return err == nil })

	// The uplink goes down; the office keeps working.
	link.SetDown(true)
	for i := 0; i < 1000; i++ {
		p := people[(i*7)%len(people)]
		if _, err := e.Edge.Record(edge.Draft{Officer: "canbo01", Op: registry.OpRegisterTemporary, Citizen: p.ID,
			Patch: map[string]string{"temporary_address": fmt.Sprintf("Số %d Đường 3 Tháng 2", i), "temporary_until": "2027-06-30"}}); err != nil {
			t.Fatal(err)
		}
	}
	time.Sleep(1500 * time.Millisecond) // pushes fail meanwhile and back off

	// It comes back poor: 256 kbit/s, 150 ms each way, a reset every 24 KiB.
	up0, down0 := link.Stats()
	link.Set(netem.Config{Latency: 150 * time.Millisecond, Bandwidth: 256000 / 8, ResetEvery: 24 << 10})
	link.SetDown(false)
	start := time.Now()
	waitUntil(t, "the outbox to drain", 120*time.Second, func() bool {
		q, err := e.Store.Queue()
		return err == nil && q.Pending == 0
	})
	took := time.Since(start)
	up, down := link.Stats()
	perChange := float64((up-up0)+(down-down0)) / 1000

	st, err := city.Node().FSM().Status()
	if err != nil {
		t.Fatal(err)
	}
	if st.Changes != 1000 {
		t.Fatalf("the city holds %d changes, want exactly 1000", st.Changes)
	}
	recent, err := e.Edge.Recent(1000)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range recent {
		if r.Outcome == nil || r.Outcome.Result == registry.Rejected || r.Outcome.Result == registry.Duplicate {
			t.Fatalf("change %s: outcome %+v", r.Change.ID(), r.Outcome)
		}
	}
	t.Logf("1000 offline changes synced over 256 kbit/s, 300 ms RTT, resets every 24 KiB in %s (budget 30 s); %.0f bytes per change on the wire (both ways)", took.Round(time.Millisecond), perChange)
}

func mustApply(t *testing.T, c *City, cmd *fsm.Command) {
	t.Helper()
	if _, err := c.Node().Apply(context.Background(), cmd); err != nil {
		t.Fatal(err)
	}
}

func waitUntil(t *testing.T, what string, d time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", d, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
