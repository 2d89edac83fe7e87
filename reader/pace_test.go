package reader

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/xanode/xanode/reader/emrtd"
	"github.com/xanode/xanode/reader/emulator"
)

// paceFiles is a card whose EF.CardAccess announces PACE like the CCCD's.
func paceFiles(t testing.TB, infos ...emrtd.PACEInfo) emulator.Files {
	t.Helper()
	files := mustFiles(t)
	if err := emulator.AddPACE(files, infos...); err != nil {
		t.Fatal(err)
	}
	return files
}

// noPACE answers 6D00 to MSE, as the vicc emulator does.
type noPACE struct{ card Transport }

func (n noPACE) Transmit(ctx context.Context, cmd []byte) ([]byte, error) {
	if len(cmd) > 1 && cmd[0]&0x0C == 0 && cmd[1] == 0x22 {
		return []byte{0x6D, 0x00}, nil
	}
	return n.card.Transmit(ctx, cmd)
}

func TestReadPACE(t *testing.T) {
	files := paceFiles(t)
	store := mustStore(t, mustPKI(t).CSCA)
	for _, key := range []Key{CAN("012345"), mustKey(t)} {
		res, err := Config{Trust: store}.Read(context.Background(), mustCard(t, files, emulator.Options{QuirkCCCD: true}), key)
		if err != nil {
			t.Fatalf("%T: %v", key, err)
		}
		if res.Access != AccessPACE || res.ID != person.ID || res.PA.Status != StatusOK || res.Assurance != AssuranceChipVerified ||
			!bytes.Equal(res.Raw["DG13"], files["DG13"]) || len(res.Warnings) != 0 {
			t.Fatalf("%T: access %s, PA %+v, warnings %q", key, res.Access, res.PA, res.Warnings)
		}
		t.Logf("PACE with %T: %d APDUs", key, res.APDUs)
	}
	if _, err := Read(context.Background(), mustCard(t, files, emulator.Options{}), CAN("012346")); !errors.Is(err, ErrAccessDenied) {
		t.Fatalf("wrong CAN: %v", err)
	}
	if _, err := Read(context.Background(), mustCard(t, files, emulator.Options{}), CAN("01234")); !errors.Is(err, ErrInvalidKey) {
		t.Fatalf("short CAN: %v", err)
	}
	wrongMRZ := mustKey(t)
	wrongMRZ.DateOfBirth = "950309"
	if _, err := Read(context.Background(), mustCard(t, files, emulator.Options{}), wrongMRZ); !errors.Is(err, ErrAccessDenied) {
		t.Fatalf("wrong MRZ over PACE: %v", err)
	}
	// A chip without EF.CardAccess cannot be opened with a CAN.
	if _, err := Read(context.Background(), mustCard(t, mustFiles(t), emulator.Options{}), CAN("012345")); !errors.Is(err, ErrPACENotSupported) {
		t.Fatalf("CAN without PACE: %v", err)
	}
}

func TestReadPACERefusedFallsBackToBAC(t *testing.T) {
	files := paceFiles(t)
	res, err := Read(context.Background(), noPACE{mustCard(t, files, emulator.Options{QuirkCCCD: true})}, mustKey(t))
	if err != nil {
		t.Fatal(err)
	}
	if res.Access != AccessBAC || len(res.Warnings) != 1 || !bytes.Equal(res.Raw["DG1"], files["DG1"]) {
		t.Fatalf("access %s, warnings %q", res.Access, res.Warnings)
	}
	if _, err := Read(context.Background(), noPACE{mustCard(t, files, emulator.Options{})}, CAN("012345")); !errors.Is(err, ErrPACENotSupported) {
		t.Fatalf("CAN, PACE refused: %v", err)
	}
	// PACE variants this reader does not run (DH) mean BAC.
	dh := emrtd.PACEInfo{Protocol: []int{0, 4, 0, 127, 0, 7, 2, 2, 4, 1, 2}, Version: 2, ParameterID: 0}
	res, err = Read(context.Background(), mustCard(t, paceFiles(t, dh), emulator.Options{}), mustKey(t))
	if err != nil || res.Access != AccessBAC {
		t.Fatalf("DH PACE only: %v %+v", err, res)
	}
}

func TestReadPACEWithChipAuthentication(t *testing.T) {
	caKey := mustECKey(t, "brainpoolP256r1")
	files, _ := mappingCard(t, emulator.ChipKeys{CA: caKey}, emulator.ChipKeys{CA: caKey})
	store := mustStore(t, mustPKI(t).CSCA)
	for _, clone := range []bool{false, true} {
		held := emulator.ChipKeys{CA: caKey}
		want := CloneCheck{Method: CloneCheckCA, Status: StatusOK}
		if clone {
			held.CA = mustECKey(t, "brainpoolP256r1")
			want.Status = StatusFailed
		}
		res, err := Config{Trust: store}.Read(context.Background(), mustCard(t, files, emulator.Options{QuirkCCCD: true, ChipKeys: held}), CAN("012345"))
		if err != nil {
			t.Fatal(err)
		}
		got := res.CloneCheck
		got.Reason = ""
		if res.Access != AccessPACE || got != want || res.PA.Status != StatusOK {
			t.Fatalf("clone=%v: access %s, clone check %+v, PA %+v", clone, res.Access, res.CloneCheck, res.PA)
		}
	}
}

// TestReadPACEBadAnswers breaks every answer of a PACE read: an error or
// the genuine data, never a panic.
func TestReadPACEBadAnswers(t *testing.T) {
	files := paceFiles(t, emrtd.PACEInfoFor(emrtd.AES128, 12))
	good, err := Read(context.Background(), mustCard(t, files, emulator.Options{}), CAN("012345"))
	if err != nil {
		t.Fatal(err)
	}
	for at := 0; at < good.APDUs; at++ {
		for _, m := range mutations {
			t.Run(fmt.Sprintf("APDU %d %s", at, m.name), func(t *testing.T) {
				tr := &faulty{card: mustCard(t, files, emulator.Options{}), at: at, mutate: m.f}
				res, err := Read(context.Background(), tr, CAN("012345"))
				if err == nil && !bytes.Equal(res.Raw["DG13"], files["DG13"]) {
					t.Fatal("accepted changed data")
				}
			})
		}
	}
}
