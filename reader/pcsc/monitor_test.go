package pcsc

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
)

var (
	atrA = []byte{0x3B, 0x95, 0x13, 0x81}
	atrB = []byte{0x3B, 0x8F, 0x80, 0x01}
)

// watch runs a Monitor on sys until the test ends and returns its events.
func watch(t *testing.T, sys system, cfg MonitorConfig) (*Monitor, <-chan Event) {
	t.Helper()
	m := newMonitor(cfg, sys)
	events := make(chan Event, 100)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- m.Run(ctx, func(ev Event) { events <- ev }) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Run: %v", err)
			}
		case <-time.After(5 * time.Second):
			t.Error("Run did not return after its context ended")
		}
	})
	return m, events
}

// ev is an expected event, written as "card inserted A" or "pcscd lost".
func describe(e Event) string {
	s := e.Kind.String()
	if e.Reader.Name != "" {
		s += " " + e.Reader.Name
	}
	if e.Reader.Mute {
		s += " (mute)"
	}
	return s
}

// expect reads len(want) events and compares them, in order.
func expect(t *testing.T, events <-chan Event, want ...string) []Event {
	t.Helper()
	var got []Event
	for range want {
		select {
		case ev := <-events:
			got = append(got, ev)
		case <-time.After(5 * time.Second):
			t.Fatalf("events %q, then nothing; want %q", describeAll(got), want)
		}
	}
	if g := describeAll(got); !slices.Equal(g, want) {
		t.Fatalf("events %q, want %q", g, want)
	}
	return got
}

func describeAll(evs []Event) []string {
	out := make([]string, len(evs))
	for i, e := range evs {
		out[i] = describe(e)
	}
	return out
}

// quiet checks that no event arrives for a moment.
func quiet(t *testing.T, events <-chan Event) {
	t.Helper()
	select {
	case ev := <-events:
		t.Fatalf("unexpected event %q", describe(ev))
	case <-time.After(50 * time.Millisecond):
	}
}

func snapshot(t *testing.T, m *Monitor) string {
	t.Helper()
	rs, err := m.Readers()
	if err != nil {
		return "error: " + err.Error()
	}
	var parts []string
	for _, r := range rs {
		s := r.Name
		if r.Card {
			s += fmt.Sprintf(" card %X", r.ATR)
		}
		if r.Mute {
			s += " mute"
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, "; ")
}

func TestMonitorReadersAndCards(t *testing.T) {
	f := newFakePCSC("A", "B")
	f.insert("A", atrA, false)
	m, events := watch(t, f, MonitorConfig{})
	got := expect(t, events, "reader added A", "reader added B", "card inserted A")
	if !slices.Equal(got[2].Reader.ATR, atrA) || !got[2].Reader.Card {
		t.Errorf("insert event %+v, want the card's ATR", got[2].Reader)
	}
	if s := snapshot(t, m); s != "A card 3B951381; B" {
		t.Errorf("Readers: %s", s)
	}
	steps := []struct {
		name string
		do   func()
		want []string
		snap string
	}{
		{"card in B", func() { f.insert("B", atrB, false) }, []string{"card inserted B"}, "A card 3B951381; B card 3B8F8001"},
		{"card out of A", func() { f.lift("A") }, []string{"card removed A"}, "A; B card 3B8F8001"},
		{"reader C plugged", func() { f.plug("C") }, []string{"reader added C"}, "A; B card 3B8F8001; C"},
		{"mute card in C", func() { f.insert("C", nil, true) }, []string{"card inserted C (mute)"}, "A; B card 3B8F8001; C card  mute"},
		{"B unplugged with its card", func() { f.unplug("B") }, []string{"card removed B", "reader removed B"}, "A; C card  mute"},
		{"card swapped in A between two waits", func() {
			f.insert("A", atrA, false)
			expect(t, events, "card inserted A")
			f.swap("A", atrB)
		}, []string{"card removed A", "card inserted A"}, "A card 3B8F8001; C card  mute"},
		{"A and C unplugged", func() { f.unplug("A"); f.unplug("C") }, []string{"card removed A", "reader removed A", "card removed C", "reader removed C"}, ""},
	}
	for _, s := range steps {
		s.do()
		expect(t, events, s.want...)
		if got := snapshot(t, m); got != s.snap {
			t.Errorf("%s: Readers %q, want %q", s.name, got, s.snap)
		}
	}
	quiet(t, events)
}

func TestMonitorUnknownReaderError(t *testing.T) {
	f := newFakePCSC("A", "B")
	f.unknownReaderErr = true
	_, events := watch(t, f, MonitorConfig{})
	expect(t, events, "reader added A", "reader added B")
	f.unplug("A")
	expect(t, events, "reader removed A")
	f.insert("B", atrB, false)
	expect(t, events, "card inserted B")
}

// TestMonitorReconnect stops pcscd under the monitor: it reports the
// readers gone and pcscd lost, tries again with doubling waits, and once
// pcscd is back reports it and the readers again.
func TestMonitorReconnect(t *testing.T) {
	f := newFakePCSC("A")
	f.insert("A", atrA, false)
	clock := newFakeClock()
	m, events := watch(t, f, MonitorConfig{MinBackoff: time.Second, MaxBackoff: 4 * time.Second, After: clock.After})
	expect(t, events, "reader added A", "card inserted A")

	f.stop()
	lost := expect(t, events, "card removed A", "reader removed A", "pcscd lost")
	if !errors.Is(lost[2].Err, ErrNoService) {
		t.Errorf("ServiceLost says %v, want ErrNoService", lost[2].Err)
	}
	if _, err := m.Readers(); !errors.Is(err, ErrNoService) || !strings.Contains(err.Error(), "systemctl start pcscd") {
		t.Errorf("Readers while pcscd is down: %v", err)
	}
	var waits []time.Duration
	for range 4 {
		waits = append(waits, <-clock.asked)
		clock.fire <- time.Now() // the next try fails too: pcscd is still down
	}
	if want := []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 4 * time.Second}; !slices.Equal(waits, want) {
		t.Errorf("backoff %v, want %v", waits, want)
	}
	quiet(t, events) // pcscd lost is said once per outage

	f.start()
	<-clock.asked
	clock.fire <- time.Now()
	expect(t, events, "pcscd back", "reader added A", "card inserted A")
	if s := snapshot(t, m); s != "A card 3B951381" {
		t.Errorf("Readers after pcscd came back: %s", s)
	}

	// A restart between two calls leaves the old context invalid; the
	// backoff starts again from the minimum after a working session.
	f.restart()
	lost = expect(t, events, "card removed A", "reader removed A", "pcscd lost")
	if !hasCode(lost[2].Err, codeInvalidHandle) || !errors.Is(lost[2].Err, ErrNoService) {
		t.Errorf("after a restart: %v", lost[2].Err)
	}
	if d := <-clock.asked; d != time.Second {
		t.Errorf("backoff after a working session %v, want the minimum", d)
	}
	clock.fire <- time.Now()
	expect(t, events, "pcscd back", "reader added A", "card inserted A")
}

func TestMonitorWithoutPCSCD(t *testing.T) {
	f := newFakePCSC("A")
	f.stop()
	clock := newFakeClock()
	m, events := watch(t, f, MonitorConfig{After: clock.After})
	got := expect(t, events, "pcscd lost")
	if !errors.Is(got[0].Err, ErrNoService) {
		t.Errorf("ServiceLost: %v", got[0].Err)
	}
	if _, err := m.Readers(); !errors.Is(err, ErrNoService) {
		t.Errorf("Readers: %v", err)
	}
	f.start()
	<-clock.asked
	clock.fire <- time.Now()
	expect(t, events, "pcscd back", "reader added A")
}

// TestMonitorCancelPrompt ends the context just before the monitor starts
// to wait, so that the first SCardCancel comes before the wait and does
// nothing (as in pcsclite): Run must still return well before statusWait.
func TestMonitorCancelPrompt(t *testing.T) {
	f := newFakePCSC("A")
	ctx, cancel := context.WithCancel(context.Background())
	f.beforeWait = func() {
		cancel()
		time.Sleep(3 * cancelRepeat / 2) // the first cancel is spent
	}
	m := newMonitor(MonitorConfig{}, f)
	start := time.Now()
	if err := m.Run(ctx, func(Event) {}); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("Run took %v to return after its context ended", d)
	}
	if _, err := m.Readers(); !errors.Is(err, errNotRunning) {
		t.Errorf("Readers after Run: %v", err)
	}
}

func TestMonitorRunOnce(t *testing.T) {
	f := newFakePCSC("A")
	m, events := watch(t, f, MonitorConfig{})
	expect(t, events, "reader added A")
	if err := m.Run(context.Background(), func(Event) {}); err == nil {
		t.Error("a second Run at the same time was accepted")
	}
}

func TestMonitorNotBuilt(t *testing.T) {
	m := newMonitor(MonitorConfig{}, noPCSC{})
	err := m.Run(context.Background(), func(ev Event) { t.Errorf("event %s", describe(ev)) })
	if !errors.Is(err, ErrNotBuilt) {
		t.Errorf("Run: %v, want ErrNotBuilt", err)
	}
	if _, err := m.Readers(); !errors.Is(err, errNotRunning) {
		t.Errorf("Readers: %v", err)
	}
}

type noPCSC struct{}

func (noPCSC) establish() (scContext, error) { return nil, ErrNotBuilt }

func TestStatus(t *testing.T) {
	f := newFakePCSC("A", "B", "C")
	f.insert("B", atrB, false)
	f.insert("C", nil, true)
	got, err := status(context.Background(), f)
	if err != nil {
		t.Fatal(err)
	}
	want := []ReaderState{{Name: "A"}, {Name: "B", Card: true, ATR: atrB}, {Name: "C", Card: true, Mute: true}}
	if len(got) != len(want) {
		t.Fatalf("Status %+v", got)
	}
	for i := range want {
		g, w := got[i], want[i]
		if g.Name != w.Name || g.Card != w.Card || g.Mute != w.Mute || !slices.Equal(g.ATR, w.ATR) {
			t.Errorf("Status[%d] = %+v, want %+v", i, g, w)
		}
	}
	empty := newFakePCSC()
	if got, err := status(context.Background(), empty); err != nil || len(got) != 0 {
		t.Errorf("no readers: %v, %v", got, err)
	}
	f.stop()
	if _, err := status(context.Background(), f); !errors.Is(err, ErrNoService) {
		t.Errorf("pcscd down: %v", err)
	}
}

func TestCodeErrors(t *testing.T) {
	for _, tt := range []struct {
		code                        uint32
		noService, noReader, noCard bool
		wantText, wantNoText        string
	}{
		{codeNoService, true, false, false, "start it with `systemctl start pcscd`", ""},
		{codeServiceStopped, true, false, false, "pcscd is not running", ""},
		{codeInvalidHandle, true, false, false, "SCARD_E_INVALID_HANDLE", ""},
		{codeCommError, true, false, false, "SCARD_F_COMM_ERROR", ""},
		{codeNoReaders, false, true, false, "plug one in", "pcscd is not running"},
		{codeRemovedCard, false, false, true, "the card was lifted", "pcscd"},
		{codeNoSmartcard, false, false, true, "SCARD_E_NO_SMARTCARD", "pcscd"},
		{0x80100099, false, false, false, "PC/SC error 0x80100099", "pcscd"},
	} {
		err := error(&codeError{op: "connect", code: tt.code})
		wrapped := fmt.Errorf("reading: %w", err)
		if errors.Is(wrapped, ErrNoService) != tt.noService || errors.Is(wrapped, ErrNoReader) != tt.noReader ||
			errors.Is(wrapped, ErrNoCard) != tt.noCard {
			t.Errorf("0x%X: Is(ErrNoService) %v, Is(ErrNoReader) %v, Is(ErrNoCard) %v", tt.code,
				errors.Is(wrapped, ErrNoService), errors.Is(wrapped, ErrNoReader), errors.Is(wrapped, ErrNoCard))
		}
		if !strings.Contains(err.Error(), tt.wantText) || (tt.wantNoText != "" && strings.Contains(err.Error(), tt.wantNoText)) {
			t.Errorf("0x%X: %q", tt.code, err)
		}
		if !hasCode(wrapped, tt.code) || hasCode(wrapped, tt.code+1) {
			t.Errorf("hasCode(0x%X) wrong", tt.code)
		}
	}
	if hasCode(errors.New("other"), codeNoService) {
		t.Error("hasCode on a foreign error")
	}
}

func TestEventKindString(t *testing.T) {
	seen := map[string]bool{}
	for k := ReaderAdded; k <= ServiceBack; k++ {
		s := k.String()
		if strings.HasPrefix(s, "EventKind(") || seen[s] {
			t.Errorf("%d: %q", k, s)
		}
		seen[s] = true
	}
	if s := EventKind(99).String(); s != "EventKind(99)" {
		t.Errorf("unknown kind: %q", s)
	}
}

func TestSplitMultiString(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want []string
	}{
		{"", []string{}},
		{"\x00", []string{}},
		{"\x00\x00", []string{}},
		{"Virtual PCD 00 00\x00\x00", []string{"Virtual PCD 00 00"}},
		{"A\x00B 01\x00\x00", []string{"A", "B 01"}},
		{"A\x00B", []string{"A", "B"}}, // cut short: the last name still counts
		{"A\x00\x00B\x00\x00", []string{"A"}},
	} {
		if got := splitMultiString([]byte(tt.in)); !slices.Equal(got, tt.want) {
			t.Errorf("%q: %q, want %q", tt.in, got, tt.want)
		}
	}
}

func FuzzSplitMultiString(f *testing.F) {
	f.Add([]byte("Virtual PCD 00 00\x00Virtual PCD 00 01\x00\x00"))
	f.Add([]byte{0})
	f.Fuzz(func(t *testing.T, b []byte) {
		names := splitMultiString(b)
		joined := 0
		for _, n := range names {
			if n == "" || strings.IndexByte(n, 0) >= 0 {
				t.Fatalf("name %q", n)
			}
			joined += len(n) + 1
		}
		if joined > len(b)+1 {
			t.Fatalf("%d names from %d bytes", len(names), len(b))
		}
	})
}
