//go:build pcsc

package pcsc_test

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/xanode/xanode/reader"
	"github.com/xanode/xanode/reader/emulator"
	"github.com/xanode/xanode/reader/pcsc"
	"github.com/xanode/xanode/reader/pcsc/pcsctest"
)

// viccATR is what vicc (and our emulator) answer to reset through vpcd.
var viccATR = []byte{0x3B, 0x95, 0x13, 0x81, 0x01, 0x80, 0x73, 0xFF, 0x01, 0x00, 0x0B}

// watcher runs a Monitor on the real pcscd and passes on the events of
// vpcd's readers (a developer's machine may have others).
type watcher struct {
	m      *pcsc.Monitor
	events chan pcsc.Event
	cancel context.CancelFunc
	done   chan error
	once   sync.Once
}

func startWatcher(t *testing.T) *watcher {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	w := &watcher{m: pcsc.NewMonitor(pcsc.MonitorConfig{MinBackoff: 100 * time.Millisecond, MaxBackoff: time.Second}),
		events: make(chan pcsc.Event, 100), cancel: cancel, done: make(chan error, 1)}
	go func() {
		w.done <- w.m.Run(ctx, func(ev pcsc.Event) {
			if ev.Reader.Name == "" || strings.HasPrefix(ev.Reader.Name, "Virtual PCD") {
				w.events <- ev
			}
		})
	}()
	t.Cleanup(func() { w.stop(t) })
	return w
}

// stop ends Run and checks that it returned promptly. Safe to call twice.
func (w *watcher) stop(t *testing.T) {
	t.Helper()
	w.once.Do(func() {
		w.cancel()
		select {
		case err := <-w.done:
			if err != nil {
				t.Errorf("Run: %v", err)
			}
		case <-time.After(2 * time.Second):
			t.Error("Run did not return within 2 s of its context ending")
		}
	})
}

// expect waits for the next events and checks their kinds and readers.
func (w *watcher) expect(t *testing.T, want ...string) []pcsc.Event {
	t.Helper()
	var got []pcsc.Event
	var names []string
	for range want {
		select {
		case ev := <-w.events:
			got = append(got, ev)
			names = append(names, strings.TrimSpace(ev.Kind.String()+" "+ev.Reader.Name))
		case <-time.After(30 * time.Second):
			t.Fatalf("events %q, then nothing for 30 s; want %q", names, want)
		}
	}
	if !slices.Equal(names, want) {
		t.Fatalf("events %q, want %q", names, want)
	}
	return got
}

// readerStates is Status or Monitor.Readers for vpcd's readers, in words.
func readerStates(states []pcsc.ReaderState, err error) string {
	if err != nil {
		return "error: " + err.Error()
	}
	var out []string
	for _, s := range states {
		if !strings.HasPrefix(s.Name, "Virtual PCD") {
			continue
		}
		if s.Card {
			out = append(out, s.Name+": card")
		} else {
			out = append(out, s.Name+": empty")
		}
	}
	return strings.Join(out, ", ")
}

// TestInteropMonitor watches vpcd's two readers through pcscd while cards
// are placed, read and lifted: one in each slot, then both at once.
func TestInteropMonitor(t *testing.T) {
	pcsctest.Require(t)
	dir, store := writeCard(t, emulator.ChipKeys{})
	w := startWatcher(t)
	w.expect(t, "reader added "+pcsctest.Slot0, "reader added "+pcsctest.Slot1)

	vicc := pcsctest.StartVICC(t, dir, "--quirk-cccd", "--reader-slot", "0")
	ev := w.expect(t, "card inserted "+pcsctest.Slot0)[0]
	if !slices.Equal(ev.Reader.ATR, viccATR) {
		t.Errorf("inserted card's ATR %X, want vicc's %X", ev.Reader.ATR, viccATR)
	}
	if s := readerStates(w.m.Readers()); s != pcsctest.Slot0+": card, "+pcsctest.Slot1+": empty" {
		t.Errorf("Readers: %s", s)
	}
	key, err := reader.KeyFromID(person.ID, "800721", "400721")
	if err != nil {
		t.Fatal(err)
	}
	res, err := readThrough(t, vicc.Reader, key, store)
	if err != nil {
		t.Fatal(err)
	}
	checkResult(t, res)

	// A second card, in the other reader, while the first stays.
	files, err := emulator.LoadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	card, err := emulator.New(files, emulator.Options{QuirkCCCD: true})
	if err != nil {
		t.Fatal(err)
	}
	lift := pcsctest.Serve(t, card, pcsctest.Port1)
	w.expect(t, "card inserted "+pcsctest.Slot1)
	both := pcsctest.Slot0 + ": card, " + pcsctest.Slot1 + ": card"
	if s := readerStates(pcsc.Status(context.Background())); s != both {
		t.Errorf("Status: %s", s)
	}
	if s := readerStates(w.m.Readers()); s != both {
		t.Errorf("Readers: %s", s)
	}
	// With a reader named, Open takes that one, not the first with a card.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := pcsc.Open(ctx, pcsctest.Slot1)
	if err != nil {
		t.Fatal(err)
	}
	if c.Reader != pcsctest.Slot1 {
		t.Errorf("Open(%q) connected to %q", pcsctest.Slot1, c.Reader)
	}
	c.Close()

	vicc.Stop()
	w.expect(t, "card removed "+pcsctest.Slot0)
	lift()
	w.expect(t, "card removed "+pcsctest.Slot1)

	// No card now: Open waits, then says so.
	short, cancelShort := context.WithTimeout(context.Background(), 600*time.Millisecond)
	defer cancelShort()
	if _, err := pcsc.Open(short, pcsctest.Slot0); !errors.Is(err, pcsc.ErrNoCard) || !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Open on an empty reader: %v", err)
	}
	if _, err := pcsc.Open(short, "No Such Reader 00 00"); !errors.Is(err, pcsc.ErrNoReader) {
		t.Errorf("Open on a reader that is not there: %v", err)
	}
	start := time.Now()
	w.stop(t)
	t.Logf("Run returned %v after its context ended", time.Since(start))
}

// TestInteropPCSCDRestart stops pcscd under a Monitor and starts it again:
// the monitor reports the readers gone, then back, and a card placed
// after the restart is seen and read. It stops the machine's pcscd, which
// would break the PC/SC tests of other packages that go test runs at the
// same time, so it runs only when XANODE_PCSCD_RESTART=1 (as root, with
// pcscd started by hand or by .ci/run, not by systemd).
func TestInteropPCSCDRestart(t *testing.T) {
	if os.Getenv("XANODE_PCSCD_RESTART") != "1" {
		t.Skip("restarts pcscd: run alone with XANODE_PCSCD_RESTART=1 (the fake pcscd covers reconnection in every run)")
	}
	pcsctest.Require(t)
	dir, store := writeCard(t, emulator.ChipKeys{})
	w := startWatcher(t)
	w.expect(t, "reader added "+pcsctest.Slot0, "reader added "+pcsctest.Slot1)
	pcsctest.StartVICC(t, dir, "--reader-slot", "0")
	w.expect(t, "card inserted "+pcsctest.Slot0)

	stopPCSCD(t)
	lost := w.expect(t, "card removed "+pcsctest.Slot0, "reader removed "+pcsctest.Slot0, "reader removed "+pcsctest.Slot1, "pcscd lost")
	if !errors.Is(lost[3].Err, pcsc.ErrNoService) {
		t.Errorf("pcscd lost: %v", lost[3].Err)
	}
	if _, err := w.m.Readers(); !errors.Is(err, pcsc.ErrNoService) {
		t.Errorf("Readers without pcscd: %v", err)
	}
	if _, err := pcsc.Readers(context.Background()); !errors.Is(err, pcsc.ErrNoService) || !strings.Contains(err.Error(), "systemctl start pcscd") {
		t.Errorf("Readers without pcscd: %v", err)
	}
	if out, err := exec.Command("pcscd").CombinedOutput(); err != nil { // it daemonizes
		t.Fatalf("start pcscd: %v\n%s", err, out)
	}
	w.expect(t, "pcscd back", "reader added "+pcsctest.Slot0, "reader added "+pcsctest.Slot1)
	vicc := pcsctest.StartVICC(t, dir, "--reader-slot", "0") // the first one left with pcscd
	w.expect(t, "card inserted "+pcsctest.Slot0)
	key, _ := reader.KeyFromID(person.ID, "800721", "400721")
	res, err := readThrough(t, vicc.Reader, key, store)
	if err != nil {
		t.Fatal(err)
	}
	checkResult(t, res)
}

// stopPCSCD stops the running pcscd and waits until it is gone.
func stopPCSCD(t *testing.T) {
	t.Helper()
	b, err := os.ReadFile("/run/pcscd/pcscd.pid")
	if err != nil {
		t.Fatalf("pcscd's pid file: %v", err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(strings.TrimRight(string(b), "\x00")))
	if err != nil {
		t.Fatalf("pcscd's pid file: %q", b)
	}
	if err := syscall.Kill(pid, syscall.SIGTERM); err != nil {
		t.Fatalf("stop pcscd (pid %d): %v", pid, err)
	}
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if syscall.Kill(pid, 0) != nil {
			return
		}
	}
	t.Fatalf("pcscd (pid %d) still runs 10 s after SIGTERM", pid)
}
