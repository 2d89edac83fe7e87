package node

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	gosync "sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/xanode/xanode/reader"
	"github.com/xanode/xanode/reader/emulator"
	"github.com/xanode/xanode/reader/pcsc"
	"github.com/xanode/xanode/reader/trust"
	"github.com/xanode/xanode/reader/vncard"
	"github.com/xanode/xanode/webui"
)

// fakeMonitor stands for pcsc.Monitor: the test sends the events Run
// emits and sets what Readers says.
type fakeMonitor struct {
	events chan pcsc.Event
	mu     gosync.Mutex
	states []pcsc.ReaderState
	err    error
}

func newFakeMonitor() *fakeMonitor { return &fakeMonitor{events: make(chan pcsc.Event)} }

func (m *fakeMonitor) Run(ctx context.Context, emit func(pcsc.Event)) error {
	for {
		select {
		case <-ctx.Done():
			return nil
		case ev := <-m.events:
			emit(ev)
		}
	}
}

func (m *fakeMonitor) Readers() ([]pcsc.ReaderState, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.states, m.err
}

func (m *fakeMonitor) set(states []pcsc.ReaderState, err error) {
	m.mu.Lock()
	m.states, m.err = states, err
	m.mu.Unlock()
}

// emulated is the software chip as a connected card.
type emulated struct {
	*emulator.Card
	closed atomic.Bool
}

func (e *emulated) Close() error { e.closed.Store(true); return nil }

var cardHolder = emulator.Person{
	ID: "092198012345", FullName: "Trần Đức Thắng", DateOfBirth: vncard.Date{Year: 1980, Month: 7, Day: 21}, Sex: "M",
	IssueDate: vncard.Date{Year: 2022, Month: 1, Day: 5}, ExpiryDate: vncard.Date{Year: 2040, Month: 7, Day: 21},
	Residence: "Số 5 Đường Mậu Thân, Phường Xuân Khánh, Quận Ninh Kiều, Cần Thơ",
	Face:      emulator.SampleFaceJPEG("092198012345"),
}

// testChip makes the card of cardHolder, with PACE announced or not, and
// the trust store holding its CSCA.
func testChip(t *testing.T, withPACE bool) (emulator.Files, *trust.Store) {
	t.Helper()
	pki, err := emulator.NewTestPKIWith(time.Now(), emulator.VietnamPKI)
	if err != nil {
		t.Fatal(err)
	}
	files, err := emulator.Build(cardHolder, pki.DocumentSigner)
	if err != nil {
		t.Fatal(err)
	}
	if withPACE {
		if err := emulator.AddPACE(files); err != nil {
			t.Fatal(err)
		}
	}
	store := trust.NewStore()
	if _, err := store.LoadBytes(pki.CSCA); err != nil {
		t.Fatal(err)
	}
	return files, store
}

// testReader is a PCSCReader on a fake monitor whose open hands out the
// chip (or fails with openErr), recording the reader asked for.
type testReader struct {
	*PCSCReader
	mon    *fakeMonitor
	mu     gosync.Mutex
	asked  []string
	opened []*emulated
}

func newTestReader(t *testing.T, cfg ReaderConfig, files emulator.Files, openErr error) *testReader {
	t.Helper()
	tr := &testReader{mon: newFakeMonitor()}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	open := func(ctx context.Context, name string) (cardConn, error) {
		tr.mu.Lock()
		defer tr.mu.Unlock()
		tr.asked = append(tr.asked, name)
		if openErr != nil {
			return nil, openErr
		}
		card, err := emulator.New(files, emulator.Options{QuirkCCCD: true})
		if err != nil {
			return nil, err
		}
		e := &emulated{Card: card}
		tr.opened = append(tr.opened, e)
		return e, nil
	}
	tr.PCSCReader = startReader(cfg, tr.mon, open)
	t.Cleanup(func() { tr.Close() })
	return tr
}

func mustKeys(t *testing.T, k webui.CardKey) []reader.Key {
	t.Helper()
	keys, err := accessKeys(k)
	if err != nil {
		t.Fatal(err)
	}
	return keys
}

// TestPCSCReaderTap reads the chip as the officer UI asks: PACE with the
// CAN, and BAC with the dates when the chip has no PACE; passive
// authentication against the trust store given.
func TestPCSCReaderTap(t *testing.T) {
	id := cardHolder.ID
	withDates := webui.CardKey{ID: id, BirthDate: "1980-07-21", ExpiryDate: "2040-07-21"}
	tests := []struct {
		name       string
		pace       bool
		key        webui.CardKey
		wantAccess string
		wantErr    error
	}{
		{"CAN from the ID, chip with PACE", true, webui.CardKey{ID: id}, reader.AccessPACE, nil},
		{"CAN typed, chip with PACE", true, webui.CardKey{CAN: id[6:]}, reader.AccessPACE, nil},
		{"ID and dates, chip with PACE: the CAN opens it", true, withDates, reader.AccessPACE, nil},
		{"ID and dates, chip without PACE: BAC", false, withDates, reader.AccessBAC, nil},
		{"ID only, chip without PACE", false, webui.CardKey{ID: id}, "", reader.ErrPACENotSupported},
		{"wrong CAN", true, webui.CardKey{CAN: "000000"}, "", reader.ErrAccessDenied},
		{"wrong date, chip without PACE", false, webui.CardKey{ID: id, BirthDate: "1980-07-22", ExpiryDate: "2040-07-21"}, "", reader.ErrAccessDenied},
		{"no key", true, webui.CardKey{}, "", ErrKeyRequired},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			files, store := testChip(t, tt.pace)
			tr := newTestReader(t, ReaderConfig{Reader: "any", Trust: NewCSCATrust(store)}, files, nil)
			res, err := tr.Tap(context.Background(), mustKeys(t, tt.key))
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("Tap: %v, want %v", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if res.ID != id || res.Access != tt.wantAccess || res.PA.Status != reader.StatusOK || res.Assurance != reader.AssuranceChipVerified {
				t.Errorf("read %s over %s, PA %+v, %s", res.ID, res.Access, res.PA, res.Assurance)
			}
			if !slices.Contains(res.Files, "DG2") || res.Face == nil || res.Face.Format != vncard.FormatJPEG {
				t.Errorf("the face was not read (files %v): the officer UI shows it", res.Files)
			}
			if len(tr.asked) != 1 || tr.asked[0] != "" || !tr.opened[0].closed.Load() {
				t.Errorf("asked for readers %q (want one for any reader); card closed: %v", tr.asked, tr.opened[0].closed.Load())
			}
		})
	}
}

func TestPCSCReaderOpenErrors(t *testing.T) {
	files, _ := testChip(t, true)
	noService := fmt.Errorf("pcsc: connect to pcscd: %w", pcsc.ErrNoService)
	tests := []struct {
		name    string
		openErr error
		want    []error
	}{
		{"no card placed", fmt.Errorf("%w in any reader: %w", pcsc.ErrNoCard, context.DeadlineExceeded), []error{ErrNoCard, pcsc.ErrNoCard}},
		{"pcscd not running", noService, []error{ErrNoReader, pcsc.ErrNoService}},
		{"no reader", fmt.Errorf("pcsc: %w", pcsc.ErrNoReader), []error{ErrNoReader}},
		{"other", errors.New("pcsc: SCARD_E_SHARING_VIOLATION"), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tr := newTestReader(t, ReaderConfig{Reader: "ACS ACR1252 PICC 00 00"}, files, tt.openErr)
			_, err := tr.Tap(context.Background(), mustKeys(t, webui.CardKey{CAN: "012345"}))
			if err == nil {
				t.Fatal("Tap succeeded")
			}
			for _, w := range tt.want {
				if !errors.Is(err, w) {
					t.Errorf("Tap: %v, want it to match %v", err, w)
				}
			}
			if tt.want == nil && (errors.Is(err, ErrNoCard) || errors.Is(err, ErrNoReader)) {
				t.Errorf("Tap: %v, classified", err)
			}
			if len(tr.asked) != 1 || tr.asked[0] != "ACS ACR1252 PICC 00 00" {
				t.Errorf("asked for %q", tr.asked)
			}
		})
	}
	// The officer's own time ran out: the context's error stays.
	tr := newTestReader(t, ReaderConfig{}, files, fmt.Errorf("%w: %w", pcsc.ErrNoCard, context.DeadlineExceeded))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := tr.Tap(ctx, []reader.Key{reader.CAN("012345")}); err == nil || errors.Is(err, ErrNoCard) {
		t.Errorf("Tap with its context ended: %v", err)
	}
}

// TestPCSCReaderOneAtATime: concurrent taps use the reader in turn.
func TestPCSCReaderOneAtATime(t *testing.T) {
	files, store := testChip(t, true)
	var inUse, most atomic.Int32
	mon := newFakeMonitor()
	open := func(ctx context.Context, name string) (cardConn, error) {
		if n := inUse.Add(1); n > most.Load() {
			most.Store(n)
		}
		card, err := emulator.New(files, emulator.Options{})
		return &countedCard{Card: card, inUse: &inUse}, err
	}
	r := startReader(ReaderConfig{Trust: NewCSCATrust(store), Log: slog.New(slog.NewTextHandler(io.Discard, nil))}, mon, open)
	defer r.Close()
	var wg gosync.WaitGroup
	errs := make(chan error, 4)
	for range 4 {
		wg.Go(func() {
			_, err := r.Tap(context.Background(), []reader.Key{reader.CAN(cardHolder.ID[6:])})
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	if most.Load() != 1 {
		t.Errorf("%d taps used the reader at once", most.Load())
	}
}

type countedCard struct {
	*emulator.Card
	inUse *atomic.Int32
}

func (c *countedCard) Close() error { c.inUse.Add(-1); return nil }

func TestPCSCReaderStatus(t *testing.T) {
	a, b := "Reader A", "Reader B"
	tests := []struct {
		name     string
		reader   string
		states   []pcsc.ReaderState
		err      error
		want     string
		wantName string
	}{
		{"pcscd down", "", nil, fmt.Errorf("pcsc: %w", pcsc.ErrNoService), webui.ReaderDown, ""},
		{"no reader", "", nil, nil, webui.ReaderNone, ""},
		{"reader ready", "", []pcsc.ReaderState{{Name: a}}, nil, webui.ReaderReady, a},
		{"card in the second of two", "any", []pcsc.ReaderState{{Name: a}, {Name: b, Card: true}}, nil, webui.ReaderCard, b},
		{"card in another reader than ours", a, []pcsc.ReaderState{{Name: a}, {Name: b, Card: true}}, nil, webui.ReaderReady, a},
		{"our reader is not there", a, []pcsc.ReaderState{{Name: b, Card: true}}, nil, webui.ReaderNone, ""},
		{"card in ours", b, []pcsc.ReaderState{{Name: a}, {Name: b, Card: true, Mute: true}}, nil, webui.ReaderCard, b},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tr := newTestReader(t, ReaderConfig{Reader: tt.reader}, nil, nil)
			tr.mon.set(tt.states, tt.err)
			st := tr.ReaderStatus()
			if st.State != tt.want || st.Name != tt.wantName || !st.NeedsKey {
				t.Errorf("ReaderStatus %+v, want %s %q, needing a key", st, tt.want, tt.wantName)
			}
		})
	}
}

// TestWatchReader: the events of the configured reader reach open pages
// (a card placed also as a card event), those of other readers do not.
func TestWatchReader(t *testing.T) {
	tr := newTestReader(t, ReaderConfig{Reader: "Reader A"}, nil, nil)
	h := newHub()
	ch, cancel := h.Subscribe()
	defer cancel()
	watchReader(tr.PCSCReader, h)
	for _, tt := range []struct {
		ev   pcsc.Event
		want []string
	}{
		{pcsc.Event{Kind: pcsc.ReaderAdded, Reader: pcsc.ReaderState{Name: "Reader A"}}, []string{webui.EventReader}},
		{pcsc.Event{Kind: pcsc.CardInserted, Reader: pcsc.ReaderState{Name: "Reader B", Card: true}}, nil},
		{pcsc.Event{Kind: pcsc.CardInserted, Reader: pcsc.ReaderState{Name: "Reader A", Card: true}}, []string{webui.EventCard, webui.EventReader}},
		{pcsc.Event{Kind: pcsc.CardRemoved, Reader: pcsc.ReaderState{Name: "Reader A"}}, []string{webui.EventReader}},
		{pcsc.Event{Kind: pcsc.ServiceLost, Err: pcsc.ErrNoService}, []string{webui.EventReader}},
	} {
		tr.mon.events <- tt.ev
		var got []string
		for range tt.want {
			select {
			case ev := <-ch:
				got = append(got, ev.Kind)
			case <-time.After(5 * time.Second):
				t.Fatalf("%s: no UI event", tt.ev.Kind)
			}
		}
		select {
		case ev := <-ch:
			got = append(got, ev.Kind)
		case <-time.After(20 * time.Millisecond):
		}
		if !slices.Equal(got, tt.want) {
			t.Errorf("%s in %q: UI events %q, want %q", tt.ev.Kind, tt.ev.Reader.Name, got, tt.want)
		}
	}
	// Emulated cards report no state and are not watched.
	watchReader(&SampleCards{}, h)
}

func TestAccessKeys(t *testing.T) {
	id := "092198012345"
	tests := []struct {
		name string
		key  webui.CardKey
		want []reader.Key
		err  bool
	}{
		{"nothing typed", webui.CardKey{}, nil, false},
		{"ID: its last 6 digits", webui.CardKey{ID: id}, []reader.Key{reader.CAN("012345")}, false},
		{"CAN", webui.CardKey{CAN: "654321"}, []reader.Key{reader.CAN("654321")}, false},
		{"ID and dates: CAN, then BAC with the last 9 digits", webui.CardKey{ID: id, BirthDate: "1980-07-21", ExpiryDate: "2040-07-21"},
			[]reader.Key{reader.CAN("012345"), reader.MRZKey{DocumentNumber: "198012345", DateOfBirth: "800721", DateOfExpiry: "400721"}}, false},
		{"short ID", webui.CardKey{ID: "09219801234"}, nil, true},
		{"CAN with dates", webui.CardKey{CAN: "654321", BirthDate: "1980-07-21", ExpiryDate: "2040-07-21"}, nil, true},
		{"one date", webui.CardKey{ID: id, BirthDate: "1980-07-21"}, nil, true},
		{"bad date", webui.CardKey{ID: id, BirthDate: "1980-13-21", ExpiryDate: "2040-07-21"}, nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := accessKeys(tt.key)
			if tt.err {
				if err == nil || !errors.Is(err, reader.ErrInvalidKey) {
					t.Errorf("accessKeys: %v, %v; want an invalid key", got, err)
				}
				return
			}
			if err != nil || !slices.Equal(got, tt.want) {
				t.Errorf("accessKeys: %#v, %v; want %#v", got, err, tt.want)
			}
		})
	}
}

func TestTapError(t *testing.T) {
	for _, tt := range []struct {
		err  error
		want error
	}{
		{fmt.Errorf("emrtd: BAC: %w", reader.ErrAccessDenied), webui.ErrWrongKey},
		{fmt.Errorf("%w: no PACEInfo", reader.ErrPACENotSupported), webui.ErrNeedDates},
		{reader.ErrNotCard, webui.ErrNotIDCard},
		{ErrKeyRequired, webui.ErrKeyRequired},
		{fmt.Errorf("%w: %w", ErrNoCard, pcsc.ErrNoCard), webui.ErrNoCard},
		{fmt.Errorf("%w: %w", ErrNoReader, pcsc.ErrNoService), webui.ErrNoReader},
	} {
		got := tapError(tt.err)
		if !errors.Is(got, tt.want) || !errors.Is(got, tt.err) {
			t.Errorf("tapError(%v) = %v, want it to match %v and keep the cause", tt.err, got, tt.want)
		}
	}
	other := errors.New("bbolt: closed")
	if got := tapError(other); got != other {
		t.Errorf("tapError(%v) = %v, want it unchanged", other, got)
	}
}

// TestSampleCardsKeys: the emulated reader reads without a key, picks the
// card a key names, and refuses a wrong one as a chip would.
func TestSampleCardsKeys(t *testing.T) {
	dir := t.TempDir()
	pki, err := emulator.NewTestPKIWith(time.Now(), emulator.VietnamPKI)
	if err != nil {
		t.Fatal(err)
	}
	if err := pki.WritePEM(dir); err != nil {
		t.Fatal(err)
	}
	other := cardHolder
	other.ID, other.FullName = "079190004321", "Lê Văn Tám"
	for _, p := range []emulator.Person{cardHolder, other} {
		chip, err := emulator.NewChipKeys(true, false)
		if err != nil {
			t.Fatal(err)
		}
		if err := emulator.WriteCard(dir+"/"+p.ID, p, pki, chip, true); err != nil {
			t.Fatal(err)
		}
	}
	sc, err := LoadCards(dir)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for _, tt := range []struct {
		name    string
		key     webui.CardKey
		wantID  string
		wantErr error
		access  string
	}{
		{"the CAN names the second card", webui.CardKey{ID: other.ID}, other.ID, nil, reader.AccessPACE},
		{"again: not the next in turn", webui.CardKey{CAN: other.ID[6:]}, other.ID, nil, reader.AccessPACE},
		{"the dates name the first", webui.CardKey{ID: cardHolder.ID, BirthDate: "1980-07-21", ExpiryDate: "2040-07-21"}, cardHolder.ID, nil, reader.AccessPACE},
		{"no key: the first card (folders in name order) with its own", webui.CardKey{}, other.ID, nil, reader.AccessPACE},
		{"no key again: the one after", webui.CardKey{}, cardHolder.ID, nil, reader.AccessPACE},
		{"a CAN no card has", webui.CardKey{CAN: "999999"}, "", reader.ErrAccessDenied, ""},
	} {
		res, err := sc.Tap(ctx, mustKeys(t, tt.key))
		if tt.wantErr != nil {
			if !errors.Is(err, tt.wantErr) {
				t.Errorf("%s: %v, want %v", tt.name, err, tt.wantErr)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", tt.name, err)
			continue
		}
		if res.ID != tt.wantID || res.Access != tt.access || res.PA.Status != reader.StatusOK {
			t.Errorf("%s: read %s over %s, PA %s", tt.name, res.ID, res.Access, res.PA.Status)
		}
	}
}
