package node

import (
	"context"
	"testing"
	"time"

	"github.com/xanode/xanode/node/registry"
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
	res, err := RunSyncBench(context.Background(), SyncBench{Dir: t.TempDir(), Changes: 1000,
		Link: netem.Config{Latency: 150 * time.Millisecond, Bandwidth: 256000 / 8, ResetEvery: 24 << 10}})
	if err != nil {
		t.Fatal(err)
	}
	if res.CityChanges != 1000 {
		t.Fatalf("the city holds %d changes, want exactly 1000", res.CityChanges)
	}
	if res.AuditHeld < 1000 {
		t.Errorf("the city holds the edge's audit log through entry %d, want at least 1000", res.AuditHeld)
	}
	for r, n := range res.Outcomes {
		if r != registry.Applied && r != registry.Merged && r != registry.Superseded {
			t.Errorf("%d changes came back %s", n, r)
		}
	}
	t.Logf("1000 offline changes synced over 256 kbit/s, 300 ms RTT, resets every 24 KiB in %s (budget 30 s); %.0f bytes per change on the wire (both ways); outcomes %v; the audit log followed in %s more",
		res.Took.Round(time.Millisecond), res.BytesPerSync, res.Outcomes, res.AuditTook.Round(time.Millisecond))
}
