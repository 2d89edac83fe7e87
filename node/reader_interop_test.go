//go:build pcsc

package node

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/xanode/xanode/node/registry"
	"github.com/xanode/xanode/reader"
	"github.com/xanode/xanode/reader/emulator"
	"github.com/xanode/xanode/reader/pcsc/pcsctest"
	"github.com/xanode/xanode/reader/trust"
	"github.com/xanode/xanode/webui"
)

// waitStatus waits until the reader reports state.
func waitStatus(t *testing.T, r *PCSCReader, state string) webui.ReaderStatus {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		st := r.ReaderStatus()
		if st.State == state {
			return st
		}
		if time.Now().After(deadline) {
			t.Fatalf("reader status %+v, want %s", st, state)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// waitChange waits for the reader's change notice.
func waitChange(t *testing.T, changes <-chan bool, inserted bool) {
	t.Helper()
	for {
		select {
		case got := <-changes:
			if got == inserted {
				return
			}
		case <-time.After(30 * time.Second):
			t.Fatalf("no change notice (inserted %v) within 30 s", inserted)
		}
	}
}

// TestInteropReaderSource is the officer UI's reader on pcscd: the state
// it shows, and taps with the keys the officer types, on vicc (which
// announces PACE but refuses it: the dates open it with BAC) and on our
// emulator through vpcd (PACE with the CAN).
func TestInteropReaderSource(t *testing.T) {
	pcsctest.Require(t)
	pki, err := emulator.NewTestPKIWith(time.Now(), emulator.VietnamPKI)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := emulator.WriteCard(dir, cardHolder, pki, emulator.ChipKeys{}, true); err != nil {
		t.Fatal(err)
	}
	store := trust.NewStore()
	if _, err := store.LoadBytes(pki.CSCA); err != nil {
		t.Fatal(err)
	}
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	r, err := OpenPCSCReader(ReaderConfig{Reader: pcsctest.Slot0, Trust: NewCSCATrust(store), CardWait: 500 * time.Millisecond, Log: quiet})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	changes := make(chan bool, 100)
	r.OnChange(func(inserted bool) { changes <- inserted })
	if st := waitStatus(t, r, webui.ReaderReady); st.Name != pcsctest.Slot0 || !st.NeedsKey {
		t.Errorf("status %+v", st)
	}
	ctx := context.Background()
	id := cardHolder.ID
	if _, err := r.Tap(ctx, mustKeys(t, webui.CardKey{ID: id})); !errors.Is(err, ErrNoCard) {
		t.Fatalf("tap on an empty reader: %v", err)
	}

	vicc := pcsctest.StartVICC(t, dir, "--quirk-cccd", "--reader-slot", "0")
	waitChange(t, changes, true)
	waitStatus(t, r, webui.ReaderCard)
	if _, err := r.Tap(ctx, mustKeys(t, webui.CardKey{ID: id})); !errors.Is(tapError(err), webui.ErrNeedDates) {
		t.Fatalf("CAN on a chip that refuses PACE: %v", err)
	}
	wrong := webui.CardKey{ID: id, BirthDate: "1980-07-21", ExpiryDate: "2040-07-22"}
	if _, err := r.Tap(ctx, mustKeys(t, wrong)); !errors.Is(tapError(err), webui.ErrWrongKey) {
		t.Fatalf("wrong expiry date: %v", err)
	}
	res, err := r.Tap(ctx, mustKeys(t, webui.CardKey{ID: id, BirthDate: "1980-07-21", ExpiryDate: "2040-07-21"}))
	if err != nil {
		t.Fatal(err)
	}
	if res.ID != id || res.Access != reader.AccessBAC || res.PA.Status != reader.StatusOK || res.Assurance != reader.AssuranceChipVerified {
		t.Errorf("read %s over %s, PA %+v, %s", res.ID, res.Access, res.PA, res.Assurance)
	}
	if f := ChipFields(res); f[registry.FieldPermanentAddress] != cardHolder.Residence {
		t.Errorf("chip fields %v", f)
	}
	vicc.Stop()
	waitChange(t, changes, false)
	waitStatus(t, r, webui.ReaderReady)

	// Any reader: our emulator in the other slot, with PACE.
	anyReader, err := OpenPCSCReader(ReaderConfig{Reader: "any", Trust: NewCSCATrust(store), Log: quiet})
	if err != nil {
		t.Fatal(err)
	}
	defer anyReader.Close()
	files, err := emulator.LoadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	card, err := emulator.New(files, emulator.Options{QuirkCCCD: true})
	if err != nil {
		t.Fatal(err)
	}
	pcsctest.Serve(t, card, pcsctest.Port1)
	res, err = anyReader.Tap(ctx, mustKeys(t, webui.CardKey{CAN: id[6:]}))
	if err != nil {
		t.Fatal(err)
	}
	if res.Access != reader.AccessPACE || res.PA.Status != reader.StatusOK {
		t.Errorf("any reader: read over %s, PA %+v", res.Access, res.PA)
	}
}
