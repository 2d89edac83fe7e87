package bench

import (
	"context"
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/xanode/xanode/node"
	"github.com/xanode/xanode/sync/netem"
)

func init() {
	Commands["sync"] = Command{"offline edge catching up over a poor link: time and bytes per change", benchSync}
}

func benchSync(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("bench sync", flag.ContinueOnError)
	n := fs.Int("changes", 1000, "changes recorded while offline")
	kbit := fs.Int("kbit", 256, "link bandwidth, kbit/s each way")
	rtt := fs.Duration("rtt", 300*time.Millisecond, "round-trip time")
	reset := fs.Int("reset-kib", 24, "reset every connection after this many KiB (0: never)")
	if err := fs.Parse(args); err != nil || *n < 1 {
		return ErrUsage
	}
	dir, err := os.MkdirTemp("", "xanode-bench-sync-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	res, err := node.RunSyncBench(ctx, node.SyncBench{Dir: dir, Changes: *n,
		Link: netem.Config{Latency: *rtt / 2, Bandwidth: *kbit * 1000 / 8, ResetEvery: int64(*reset) << 10}})
	if err != nil {
		return err
	}
	fmt.Printf("%d offline changes over %d kbit/s, %s RTT, resets every %d KiB: synced in %s (budget 30 s), %.0f bytes per change (both ways)\n",
		*n, *kbit, *rtt, *reset, res.Took.Round(time.Millisecond), res.BytesPerSync)
	fmt.Printf("city holds %d changes (exactly once: %v); outcomes on the edge: %v\n", res.CityChanges, res.CityChanges == uint64(*n), res.Outcomes)
	return nil
}
