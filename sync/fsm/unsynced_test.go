package fsm

import (
	"os"
	"path/filepath"
	"testing"
)

// TestStateLeftOpenByAStoppedMachineIsDiscarded: a state file written
// without fsync is kept across a clean close and across a process that
// died (same boot), and discarded when the machine stopped under it
// (another boot): raft then rebuilds it from the snapshot and the log.
func TestStateLeftOpenByAStoppedMachineIsDiscarded(t *testing.T) {
	boot := "boot-1"
	orig := bootID
	bootID = func() string { return boot }
	t.Cleanup(func() { bootID = orig })
	path := filepath.Join(t.TempDir(), "fsm.db")
	open := func() *FSM {
		t.Helper()
		f, err := Open(path, DefaultConfig())
		if err != nil {
			t.Fatal(err)
		}
		return f
	}
	applied := func(f *FSM) uint64 {
		t.Helper()
		st, err := f.Status()
		if err != nil {
			t.Fatal(err)
		}
		return st.AppliedIndex
	}

	l := &log{f: open()}
	if !l.f.unsynced {
		t.Fatal("a known boot did not make the file unsynced")
	}
	l.apply(t, &Command{Kind: KindAssign, Received: t0, Node: "edge-1", Communes: []string{commune}})
	if _, err := os.Stat(path + ".boot"); err != nil {
		t.Fatalf("no marker while open: %v", err)
	}
	l.f.Close()
	if _, err := os.Stat(path + ".boot"); !os.IsNotExist(err) {
		t.Fatalf("a clean close left the marker: %v", err)
	}

	boot = "boot-2" // rebooted after a clean close: kept
	f := open()
	if applied(f) != 1 {
		t.Fatal("a cleanly closed state was discarded after a reboot")
	}
	f.Close()

	// The process died (the marker stays) and came back in the same boot:
	// the page cache held every write, the file is kept.
	if err := os.WriteFile(path+".boot", []byte(boot+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	f = open()
	if applied(f) != 1 {
		t.Fatal("the state of a process that died was discarded in the same boot")
	}
	f.Close()

	// The machine stopped under the open file: discarded.
	if err := os.WriteFile(path+".boot", []byte("boot-2\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	boot = "boot-3"
	f = open()
	if applied(f) != 0 {
		t.Fatal("a state left open by a machine that stopped was kept")
	}
	f.Close()

	// Without a boot ID, commits fsync as before and no marker is made.
	boot = ""
	f = open()
	if f.unsynced {
		t.Fatal("unsynced without a boot ID")
	}
	if _, err := os.Stat(path + ".boot"); !os.IsNotExist(err) {
		t.Fatalf("a marker without a boot ID: %v", err)
	}
	f.Close()
}
