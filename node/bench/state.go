package bench

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/hashicorp/raft"

	"github.com/xanode/xanode/node/gen"
	"github.com/xanode/xanode/node/registry"
	"github.com/xanode/xanode/sync/fsm"
)

func init() {
	Commands["state"] = Command{"a large city state in one FSM: load rate, snapshot and restore time, peak memory", benchState}
}

// benchState builds an FSM of N citizens spread over the generator's
// communes, then measures a raft snapshot of it (streamed from a bbolt read
// transaction to a file) and its restore on a fresh FSM. Opt-in: 4M
// citizens need a few GB of disk and minutes.
func benchState(_ context.Context, args []string) error {
	fs := flag.NewFlagSet("bench state", flag.ContinueOnError)
	n := fs.Int("citizens", 4000000, "citizens in the state")
	dir := fs.String("dir", "", "working folder (default: a temporary one, removed afterwards)")
	if err := fs.Parse(args); err != nil || *n < 1 {
		return ErrUsage
	}
	if *dir == "" {
		d, err := os.MkdirTemp("", "xanode-bench-state-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(d)
		*dir = d
	}
	f, err := fsm.Open(filepath.Join(*dir, "fsm.db"), fsm.DefaultConfig())
	if err != nil {
		return err
	}
	defer f.Close()
	peakAnon := sampleAnon()
	defer peakAnon()
	start := time.Now()
	loaded, err := loadState(f, *n)
	if err != nil {
		return err
	}
	took := time.Since(start)
	st, _ := f.Status()
	fi, _ := os.Stat(filepath.Join(*dir, "fsm.db"))
	fmt.Printf("loaded %d citizens in %s (%.0f/s); fsm.db %d MB; digest %x\n",
		loaded, took.Round(time.Millisecond), float64(loaded)/took.Seconds(), fi.Size()>>20, st.Digest[:8])

	start = time.Now()
	snap, err := f.Snapshot()
	if err != nil {
		return err
	}
	sinkPath := filepath.Join(*dir, "snapshot")
	sink, err := os.Create(sinkPath)
	if err != nil {
		return err
	}
	if err := snap.Persist(&fileSink{File: sink}); err != nil {
		return err
	}
	snap.Release()
	snapTook := time.Since(start)

	start = time.Now()
	g, err := fsm.Open(filepath.Join(*dir, "restored.db"), fsm.DefaultConfig())
	if err != nil {
		return err
	}
	defer g.Close()
	rc, err := os.Open(sinkPath)
	if err != nil {
		return err
	}
	if err := g.Restore(rc); err != nil {
		return err
	}
	restoreTook := time.Since(start)
	rst, _ := g.Status()
	if rst.Digest != st.Digest {
		return fmt.Errorf("restored digest %x differs from %x", rst.Digest, st.Digest)
	}
	fmt.Printf("snapshot %s + restore %s = %s (budget 60 s), digests equal\n",
		snapTook.Round(time.Millisecond), restoreTook.Round(time.Millisecond), (snapTook + restoreTook).Round(time.Millisecond))
	fmt.Printf("peak resident memory: %s anonymous (heap, stacks: budget 1.5 GB), %s with the bbolt file pages mapped (reclaimable)\n", peakAnon(), peakRSS())
	return nil
}

// loadState applies generated populations as import commands, 5,000
// records a raft entry, 20 entries a batch, as a leader would.
func loadState(f *fsm.FSM, n int) (int, error) {
	communes := gen.Communes()
	per := (n + len(communes) - 1) / len(communes)
	var index uint64
	var logs []*raft.Log
	var recs []*registry.Citizen
	loaded := 0
	flush := func(force bool) {
		if len(recs) > 0 && (force || len(recs) == 5000) {
			index++
			cmd := &fsm.Command{Kind: fsm.KindImport, From: fsm.Sender{Role: registry.RoleAdmin, ID: "bench"}, Received: time.Now(), Records: recs}
			logs = append(logs, &raft.Log{Index: index, Type: raft.LogCommand, Data: cmd.Encode()})
			recs = nil
		}
		if len(logs) > 0 && (force || len(logs) == 20) {
			f.ApplyBatch(logs)
			logs = nil
		}
	}
	for _, c := range communes {
		k := min(per, n-loaded)
		if k <= 0 {
			break
		}
		err := gen.Generate(gen.Options{Commune: c.Code, Citizens: k, Seed: 1}, func(r *registry.Citizen) error {
			recs = append(recs, r)
			flush(false)
			return nil
		})
		if err != nil {
			return loaded, err
		}
		loaded += k
	}
	flush(true)
	return loaded, nil
}

type fileSink struct{ *os.File }

func (s *fileSink) ID() string    { return "bench" }
func (s *fileSink) Cancel() error { return s.Close() }

// peakRSS reads the process's high-water resident memory (Linux).
func peakRSS() string {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		return fmt.Sprintf("%d MB (Go heap; /proc unavailable)", m.Sys>>20)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "VmHWM:") {
			return strings.TrimSpace(strings.TrimPrefix(line, "VmHWM:"))
		}
	}
	return "unknown"
}

// sampleAnon samples the process's anonymous resident memory (what the
// kernel cannot reclaim by dropping file pages) every 100 ms; the returned
// function stops sampling and reports the peak.
func sampleAnon() func() string {
	var peak int64
	stop := make(chan struct{})
	done := make(chan struct{})
	read := func() {
		b, err := os.ReadFile("/proc/self/status")
		if err != nil {
			return
		}
		for _, line := range strings.Split(string(b), "\n") {
			if f := strings.Fields(line); len(f) >= 2 && f[0] == "RssAnon:" {
				var kb int64
				fmt.Sscan(f[1], &kb)
				peak = max(peak, kb)
			}
		}
	}
	go func() {
		defer close(done)
		t := time.NewTicker(100 * time.Millisecond)
		defer t.Stop()
		for {
			read()
			select {
			case <-stop:
				return
			case <-t.C:
			}
		}
	}()
	var once bool
	return func() string {
		if !once {
			once = true
			close(stop)
			<-done
		}
		return fmt.Sprintf("%d MB", peak>>10)
	}
}
