package edge

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/xanode/xanode/certs"
	"github.com/xanode/xanode/node/gen"
	"github.com/xanode/xanode/node/registry"
)

// The crash test runs imports in a child process (this test binary, run
// again with crashDirEnv set) and kills it with SIGKILL partway. bbolt
// writes a transaction's pages and then its meta page, each after an
// fsync, so a kill at any moment leaves either the old subset or the new
// one, never a mix: the test checks that with VerifySubset, lookups and
// searches after every kill.
const (
	crashDirEnv  = "XANODE_EDGE_CRASH_DIR"
	crashModeEnv = "XANODE_EDGE_CRASH_MODE"
	crashRecords = 4000
	crashPause   = 2000 // the record after which the "pause" modes stop
)

// TestCrashHelper is the child's side; it does nothing in a normal run.
func TestCrashHelper(t *testing.T) {
	dir := os.Getenv(crashDirEnv)
	if dir == "" {
		t.Skip("the child process of TestCrashMidImport")
	}
	mode := os.Getenv(crashModeEnv)
	p, err := certs.Load(filepath.Join(dir, "pki"))
	if err != nil {
		t.Fatal(err)
	}
	s, err := OpenStore(filepath.Join(dir, "edge.db"))
	if err != nil {
		t.Fatal(err)
	}
	file := "full.xnb"
	if strings.HasPrefix(mode, "delta") {
		file = "delta.xnb"
	}
	data, err := os.ReadFile(filepath.Join(dir, file))
	if err != nil {
		t.Fatal(err)
	}
	if strings.HasSuffix(mode, "pause") {
		at := crashPause
		if file == "delta.xnb" {
			at = crashPause / 10
		}
		failPoint = func(n int) error {
			if n == at {
				fmt.Println("paused")
				time.Sleep(time.Hour)
			}
			return nil
		}
	}
	fmt.Println("importing")
	if _, err := importer(s, p).Import(context.Background(), data); err != nil {
		t.Fatal(err)
	}
	fmt.Println("imported")
	time.Sleep(time.Hour) // a kill after the commit must keep it too
}

type crashKit struct {
	dir      string
	before   []*registry.Citizen // the subset at version 10
	full     []*registry.Citizen // the full bundle's, version 20
	deltaTo  []*registry.Citizen // after the delta, version 11
	versions map[uint64][]*registry.Citizen
}

func newCrashKit(t *testing.T) *crashKit {
	t.Helper()
	dir := t.TempDir()
	p, err := certs.Init(filepath.Join(dir, "pki"), certs.InitOptions{CityNodes: []string{"city-1"}, Now: func() time.Time { return now.Add(-time.Hour) }})
	if err != nil {
		t.Fatal(err)
	}
	all, err := gen.Citizens(gen.Options{Commune: "92101", Citizens: crashRecords + 1000, Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range all {
		c.Values[registry.FieldCommune] = commune
	}
	k := &crashKit{dir: dir, before: all[:1000], full: all[1000:]}
	// The delta renames 1,000 of the first subset's residents and adds
	// 1,000 newcomers.
	var up []*registry.Citizen
	for _, c := range all[:1000] {
		r := *c
		r.Values[registry.FieldFullName] += " Mới"
		up = append(up, &r)
	}
	up = append(up, all[1000:2000]...)
	k.deltaTo = up
	k.versions = map[uint64][]*registry.Citizen{10: k.before, 20: k.full, 11: k.deltaTo}
	os.WriteFile(filepath.Join(dir, "full.xnb"), makeBundle(t, p, commune, 20, k.full), 0o600)
	os.WriteFile(filepath.Join(dir, "delta.xnb"), makeDelta(t, p, deltaOpts{from: 10, to: 11}, up, nil, k.deltaTo), 0o600)
	s := mustStoreIn(t, dir)
	defer s.Close()
	if _, err := importer(s, p).Import(context.Background(), makeBundle(t, p, commune, 10, k.before)); err != nil {
		t.Fatal(err)
	}
	return k
}

// reset puts the store back to version 10.
func (k *crashKit) reset(t *testing.T) {
	t.Helper()
	p, _ := certs.Load(filepath.Join(k.dir, "pki"))
	s := mustStoreIn(t, k.dir)
	defer s.Close()
	if err := s.Purge(); err != nil {
		t.Fatal(err)
	}
	if _, err := importer(s, p).Import(context.Background(), makeBundle(t, p, commune, 10, k.before)); err != nil {
		t.Fatal(err)
	}
}

// run starts the child in mode, waits for it to print wait, then for
// delay, and kills it. It returns how long after printing "importing" the
// child printed wait.
func (k *crashKit) run(t *testing.T, mode, wait string, delay time.Duration) time.Duration {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashHelper$", "-test.v")
	cmd.Env = append(os.Environ(), crashDirEnv+"="+k.dir, crashModeEnv+"="+mode)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := bufio.NewScanner(out)
	seen := false
	var start time.Time
	for lines.Scan() {
		if lines.Text() == "importing" {
			start = time.Now()
		}
		if lines.Text() == wait {
			seen = true
			break
		}
	}
	took := time.Since(start)
	time.Sleep(delay)
	cmd.Process.Kill()
	go func() {
		for lines.Scan() {
		}
	}()
	if err := cmd.Wait(); err == nil || !seen {
		t.Fatalf("%s: child ended by itself (%v) or never printed %q", mode, err, wait)
	}
	return took
}

// check opens the store after a kill and returns the version it holds,
// having checked that every record of that version is there and nothing
// else.
func (k *crashKit) check(t *testing.T, what string) uint64 {
	t.Helper()
	s := mustStoreIn(t, k.dir)
	defer s.Close()
	info, err := s.Subset()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	want, ok := k.versions[info.Version]
	if !ok || info.Count != uint64(len(want)) {
		t.Fatalf("%s: store holds version %d with %d records", what, info.Version, info.Count)
	}
	if err := s.VerifySubset(); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	for _, i := range []int{0, len(want) / 2, len(want) - 1} {
		c, err := s.Citizen(want[i].ID)
		if err != nil || c.Values != want[i].Values {
			t.Fatalf("%s: record %s: %v", what, want[i].ID, err)
		}
		found, err := s.Search(Query{Name: c.Get(registry.FieldFullName), Birth: c.BirthDate(), Limit: 50})
		if err != nil || !slices.ContainsFunc(found.Matches, func(f Found) bool { return f.Citizen.ID == c.ID }) {
			t.Fatalf("%s: search for %s: %v", what, c.Get(registry.FieldFullName), err)
		}
	}
	if _, err := s.Citizen(registry.MakeID("092", 1901, false, 999999)); !errors.Is(err, ErrNotFound) {
		t.Fatalf("%s: lookup of a stranger: %v", what, err)
	}
	return info.Version
}

func TestCrashMidImport(t *testing.T) {
	if testing.Short() {
		t.Skip("starts child processes")
	}
	k := newCrashKit(t)
	// Killed while the import writes records: the previous subset stays.
	for _, mode := range []string{"full-pause", "delta-pause"} {
		k.run(t, mode, "paused", 0)
		if v := k.check(t, mode); v != 10 {
			t.Fatalf("%s: killed mid-import, the store holds version %d, want 10", mode, v)
		}
	}
	// Killed after the commit: the new subset stays.
	took := k.run(t, "full", "imported", 0)
	if v := k.check(t, "after commit"); v != 20 {
		t.Fatalf("killed after the commit, the store holds version %d, want 20", v)
	}
	// Killed at moments spread over an import as long as that one, the
	// commit included: one version or the other, whole.
	got := map[uint64]int{}
	for _, pct := range []time.Duration{30, 90, 100, 110} {
		k.reset(t)
		d := took * pct / 100
		k.run(t, "full", "importing", d)
		got[k.check(t, fmt.Sprintf("killed %v (%d%%) into the import", d, pct))]++
	}
	t.Logf("an import took %v; timed kills left versions %v", took, got)
}
