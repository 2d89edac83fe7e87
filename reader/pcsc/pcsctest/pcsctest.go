// Package pcsctest is the kit of the PC/SC interop tests: it checks that
// pcscd runs with vsmartcard's vpcd driver, serialises the tests of all
// packages on its two virtual slots, and puts shared/cards' vicc emulator
// into a slot. Tests that use it skip without pcscd, or fail when
// XANODE_REQUIRE_PCSC=1 (CI).
package pcsctest

import (
	"bufio"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/xanode/xanode/reader/emulator"
	"github.com/xanode/xanode/reader/pcsc"
)

// HowTo says how to get the interop tests running.
const HowTo = `PC/SC interop tests need pcscd with vsmartcard's vpcd driver and the vicc emulator:
  apt-get install -y pcscd vsmartcard-vpcd vsmartcard-vpicc python3-pycryptodome libpcsclite-dev
  pcscd            # (re)start after installing vsmartcard-vpcd; without systemd it daemonizes
  pcsc_scan -r     # must list "Virtual PCD 00 00" and "Virtual PCD 00 01"
then: go test -tags pcsc ./reader/pcsc/   (XANODE_REQUIRE_PCSC=1 turns this skip into a failure)`

// The virtual readers vpcd gives, and the ports its driver listens on.
const (
	Slot0 = "Virtual PCD 00 00"
	Slot1 = "Virtual PCD 00 01"
	Port0 = "127.0.0.1:35963"
	Port1 = "127.0.0.1:35964"
)

// Required reports whether CI asks for the interop tests to run.
func Required() bool { return os.Getenv("XANODE_REQUIRE_PCSC") == "1" }

// Require skips the test, or fails it when XANODE_REQUIRE_PCSC=1, unless
// pcscd is reachable with both vpcd slots. Then it holds the slots for
// the test (see Lock).
func Require(t testing.TB) {
	t.Helper()
	fail := t.Skipf
	if Required() {
		fail = t.Fatalf
	}
	names, err := pcsc.Readers(context.Background())
	if err != nil {
		fail("pcscd not reachable (%v)\n%s", err, HowTo)
		return
	}
	for _, want := range []string{Slot0, Slot1} {
		if !slices.Contains(names, want) {
			fail("pcscd has no reader %q (readers: %q)\n%s", want, names, HowTo)
			return
		}
	}
	Lock(t)
}

// Lock holds the vpcd slots until the test ends: go test runs packages in
// parallel, and a slot takes one card at a time. The lock is a file lock,
// so it holds across the test binaries.
func Lock(t testing.TB) {
	t.Helper()
	f, err := os.OpenFile(filepath.Join(os.TempDir(), "xanode-vpcd.lock"), os.O_CREATE|os.O_RDWR, 0o666)
	if err != nil {
		t.Fatal(err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		f.Close()
		t.Fatalf("lock the vpcd slots: %v", err)
	}
	t.Cleanup(func() { f.Close() }) // closing releases the lock
}

// ViccScript is shared/cards/vicc_emrtd.py: under $XANODE_SHARED, else in
// shared/ beside the repository (CI clones it there too).
func ViccScript(t testing.TB) string {
	t.Helper()
	shared := os.Getenv("XANODE_SHARED")
	if shared == "" {
		root, err := moduleRoot()
		if err != nil {
			t.Fatal(err)
		}
		shared = filepath.Join(root, "..", "shared")
	}
	script := filepath.Join(shared, "cards", "vicc_emrtd.py")
	if _, err := os.Stat(script); err != nil {
		t.Fatalf("the shared card emulator is missing: %v", err)
	}
	return script
}

func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", os.ErrNotExist
		}
		dir = parent
	}
}

// VICC is a running vicc_emrtd.py.
type VICC struct {
	Reader string // the reader the card is in
	cmd    *exec.Cmd
	done   chan struct{}
}

// StartVICC runs shared/cards/vicc_emrtd.py with the card directory and
// args (e.g. "--reader-slot", "1") and returns once it printed READY,
// that is once pcscd has powered the card. The card is lifted when the
// test ends, if Stop was not called before.
func StartVICC(t testing.TB, dir string, args ...string) *VICC {
	t.Helper()
	cmd := exec.Command("/usr/bin/python3", append([]string{ViccScript(t), "--card", dir}, args...)...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	v := &VICC{cmd: cmd, done: make(chan struct{})}
	t.Cleanup(v.Stop)
	ready := make(chan string, 1)
	go func() {
		defer close(v.done)
		defer cmd.Wait()
		s := bufio.NewScanner(stdout)
		for s.Scan() {
			if name, ok := strings.CutPrefix(s.Text(), "READY "); ok {
				ready <- name
			}
		}
	}()
	select {
	case name := <-ready:
		v.Reader = name
		return v
	case <-v.done:
		t.Fatalf("vicc_emrtd.py exited before READY: %s", stderr.String())
	case <-time.After(30 * time.Second):
		t.Fatalf("vicc_emrtd.py not READY after 30 s: %s", stderr.String())
	}
	return nil
}

// Stop lifts the card (kills the emulator) and waits until pcscd can have
// seen the slot empty, so that the next card may go in (README). Safe to
// call twice.
func (v *VICC) Stop() {
	select {
	case <-v.done:
		return
	default:
	}
	v.cmd.Process.Kill()
	<-v.done
	time.Sleep(time.Second)
}

// Serve presents the software chip to pcscd through vpcd at addr (Port0
// or Port1) and returns once pcscd has read its ATR. The card is lifted
// when stop is called or the test ends.
func Serve(t testing.TB, card *emulator.Card, addr string) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan struct{})
	served := make(chan error, 1)
	go func() { served <- card.ServeVPCD(ctx, addr, func() { close(ready) }) }()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			if err := <-served; err != nil {
				t.Errorf("ServeVPCD: %v", err)
			}
			time.Sleep(time.Second) // let pcscd see the slot empty (README)
		})
	}
	t.Cleanup(stop)
	select {
	case <-ready:
	case err := <-served:
		t.Fatalf("ServeVPCD ended before pcscd read the ATR: %v", err)
	case <-time.After(30 * time.Second):
		t.Fatal("pcscd did not read the emulator's ATR within 30 s")
	}
	return stop
}
