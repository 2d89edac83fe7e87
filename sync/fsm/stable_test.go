package fsm

import (
	"crypto/sha256"
	"encoding/hex"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hashicorp/raft"

	"github.com/xanode/xanode/node/registry"
)

var update = flag.Bool("update", false, "rewrite testdata/stable.golden from this build")

// TestStateIsStable: a fixed log (the random log of TestReplicasAgree, with
// merges) leads to the state digest and outcomes a release recorded in
// testdata/stable.golden. Replicas of two releases run side by side during
// a rolling upgrade, so a change that only makes the state machine faster
// must leave every stored byte as it was; one that changes the state on
// purpose needs a new log format (DESIGN.md, "Conflict resolution": log formats) and -update.
// stable2.golden and stable3.golden are the same log from feature levels
// 2 and 3 on (the raise first): a release keeps every level it implements
// as it was.
func TestStateIsStable(t *testing.T) {
	logs := withMerges(t, randomLog(42, 3000))
	t.Run("level 1", func(t *testing.T) { stableAt(t, logs, "stable.golden") })
	t.Run("level 2", func(t *testing.T) { stableAt(t, withRaise(logs, 0, 2), "stable2.golden") })
	t.Run("level 3", func(t *testing.T) { stableAt(t, withRaise(logs, 0, 3), "stable3.golden") })
}

func stableAt(t *testing.T, logs []*raft.Log, golden string) {
	f := mustOpen(t)
	outs := sha256.New()
	for i := 0; i < len(logs); i += 64 {
		for _, res := range f.ApplyBatch(logs[i:min(i+64, len(logs))]) {
			if os, ok := res.([]*registry.Outcome); ok {
				for _, o := range os {
					outs.Write(registry.AppendOutcome(nil, o))
				}
			}
		}
	}
	st, err := f.Status()
	if err != nil {
		t.Fatal(err)
	}
	got := "digest " + hex.EncodeToString(st.Digest[:]) + "\noutcomes " + hex.EncodeToString(outs.Sum(nil)) + "\n"
	path := filepath.Join("testdata", golden)
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if got != string(want) {
		t.Fatalf("the fixed log leads elsewhere than it did:\n got %s\nwant %s", strings.TrimSpace(got), strings.TrimSpace(string(want)))
	}
}
