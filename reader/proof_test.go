package reader

import (
	"bytes"
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/xanode/xanode/reader/emrtd"
	"github.com/xanode/xanode/reader/emulator"
	"github.com/xanode/xanode/reader/presence"
)

var cityChallenge = []byte{0xC1, 0x7E, 0x00, 0x01, 0x02, 0x03, 0x04, 0x05}

// internalAuthenticate finds the INTERNAL AUTHENTICATE a read sent
// (protected, so only its header is plain) and reports whether it asked
// with extended length.
func internalAuthenticate(t *testing.T, sent [][]byte) (found, extended bool) {
	t.Helper()
	for _, c := range sent {
		if len(c) > 4 && c[1] == 0x88 {
			return true, c[4] == 0x00
		}
	}
	return false, false
}

// TestReadAAChallenge reads cards with Config.AAChallenge: the chip signs
// that challenge whenever the card has DG15, also after Chip
// Authentication, and a signature that does not verify fails the clone
// check whatever passed before.
func TestReadAAChallenge(t *testing.T) {
	caKey := mustECKey(t, "brainpoolP256r1")
	rsaAA := mustRSA(t)
	ecAA := mustECKey(t, "P-256")
	store := mustStore(t, mustPKI(t).CSCA)
	tests := []struct {
		name          string
		genuine, held emulator.ChipKeys
		extended      bool // the chip takes extended length
		clone         CloneCheck
		signed        bool // Result.AASignature set
	}{
		{"CA, then AA RSA-2048 over the challenge", emulator.ChipKeys{CA: caKey, AA: rsaAA}, emulator.ChipKeys{CA: caKey, AA: rsaAA}, false,
			CloneCheck{Method: CloneCheckCA, Status: StatusOK}, true},
		{"the same with extended length", emulator.ChipKeys{CA: caKey, AA: rsaAA}, emulator.ChipKeys{CA: caKey, AA: rsaAA}, true,
			CloneCheck{Method: CloneCheckCA, Status: StatusOK}, true},
		{"AA ECDSA only", emulator.ChipKeys{AA: ecAA}, emulator.ChipKeys{AA: ecAA}, false, CloneCheck{Method: CloneCheckAA, Status: StatusOK}, true},
		{"CA passes, AA key not the chip's", emulator.ChipKeys{CA: caKey, AA: rsaAA}, emulator.ChipKeys{CA: caKey, AA: ecAA}, false,
			CloneCheck{Method: CloneCheckAA, Status: StatusFailed}, true},
		{"CA passes, the chip refuses AA", emulator.ChipKeys{CA: caKey, AA: rsaAA}, emulator.ChipKeys{CA: caKey}, false,
			CloneCheck{Method: CloneCheckAA, Status: StatusFailed}, false},
		{"no DG15", emulator.ChipKeys{CA: caKey}, emulator.ChipKeys{CA: caKey}, false, CloneCheck{Method: CloneCheckCA, Status: StatusOK}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			files, opts := mappingCard(t, tc.genuine, tc.held)
			opts.ExtendedLength = tc.extended
			tr := &rewrite{card: mustCard(t, files, opts)}
			if tc.extended {
				tr.atr = emulator.ExtendedATR
			}
			res, err := Config{Trust: store, AAChallenge: cityChallenge}.Read(context.Background(), tr, CAN("012345"))
			if err != nil {
				t.Fatal(err)
			}
			got := res.CloneCheck
			got.Reason = ""
			if got != tc.clone || (res.AASignature != nil) != tc.signed || !bytes.Equal(res.AAChallenge, cityChallenge) {
				t.Fatalf("clone check %+v, signature %X", res.CloneCheck, res.AASignature)
			}
			if tc.clone.Status == StatusOK && res.Assurance != AssuranceChipCloningChecked || tc.clone.Status == StatusFailed && res.Assurance != AssuranceChipRead {
				t.Fatalf("assurance %s with clone check %+v", res.Assurance, res.CloneCheck)
			}
			found, extended := internalAuthenticate(t, tr.sent)
			if found != (tc.genuine.AA != nil) || extended != (tc.extended && tc.genuine.AA == rsaAA) {
				t.Fatalf("INTERNAL AUTHENTICATE sent %v, extended %v", found, extended)
			}
			if tc.signed && tc.clone.Status == StatusOK {
				pub, _ := emrtd.ParseDG15(res.Raw["DG15"])
				var info *emrtd.ActiveAuthenticationInfo
				if dg14, err := emrtd.ParseDG14(res.Raw["DG14"]); err == nil {
					info = dg14.ActiveAuthentication
				}
				if err := emrtd.VerifyActiveAuthentication(pub, info, cityChallenge, res.AASignature); err != nil {
					t.Fatalf("the signature kept does not verify: %v", err)
				}
			}
		})
	}
	_, err := Config{AAChallenge: []byte("short")}.Read(context.Background(), mustCard(t, mustFiles(t), emulator.Options{}), mustKey(t))
	if !errors.Is(err, ErrInvalidConfig) {
		t.Fatalf("5-byte challenge: %v", err)
	}
}

// TestProofEndToEnd makes cards as `xanode card make` does, reads each
// through the emulator with the city's challenge, builds the proof of
// presence, sends it through its encoding, and has the city verify it
// with the CSCA written beside the card.
func TestProofEndToEnd(t *testing.T) {
	pki, err := emulator.NewTestPKIWith(time.Now(), emulator.VietnamPKI)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name   string
		ca, aa bool
	}{{"chip and active authentication", true, true}, {"active authentication only", false, true}, {"no DG15", true, false}} {
		t.Run(tc.name, func(t *testing.T) {
			chip, err := emulator.NewChipKeys(tc.ca, tc.aa)
			if err != nil {
				t.Fatal(err)
			}
			dir := t.TempDir()
			if err := emulator.WriteCard(dir, person, pki, chip, true); err != nil {
				t.Fatal(err)
			}
			files, err := emulator.LoadDir(dir)
			if err != nil {
				t.Fatal(err)
			}
			held, err := emulator.LoadChipKeys(dir)
			if err != nil {
				t.Fatal(err)
			}
			store := mustStore(t)
			if _, err := store.Load(filepath.Join(dir, "csca.pem")); err != nil {
				t.Fatal(err)
			}
			card := mustCard(t, files, emulator.Options{QuirkCCCD: true, ChipKeys: held})
			res, err := Config{Trust: store, AAChallenge: cityChallenge}.Read(context.Background(), card, CAN(person.ID[6:]))
			if err != nil {
				t.Fatal(err)
			}
			if res.Assurance != AssuranceChipCloningChecked || res.CardAccess.Status != StatusOK {
				t.Fatalf("read: assurance %s, EF.CardAccess %+v, clone check %+v", res.Assurance, res.CardAccess, res.CloneCheck)
			}
			p, err := res.Proof()
			if err != nil {
				t.Fatal(err)
			}
			b, err := p.Marshal()
			if err != nil {
				t.Fatal(err)
			}
			atCity, err := presence.Unmarshal(b)
			if err != nil {
				t.Fatal(err)
			}
			v, err := presence.Verify(atCity, store, time.Now())
			if err != nil {
				t.Fatal(err)
			}
			if v.ID != person.ID || v.DG13.FullName != person.FullName || v.AA != tc.aa || !strings.Contains(v.CSCA, "xanode test CSCA") ||
				!strings.Contains(v.DocumentSigner, "xanode test Document Signer") {
				t.Fatalf("verified %+v", v)
			}
			t.Logf("proof of %d bytes, %d APDUs, notes %q", len(b), res.APDUs, v.Notes)
			// The same proof offered for another request of the city.
			atCity.Challenge = []byte("another!")
			if _, err := presence.Verify(atCity, store, time.Now()); tc.aa != errors.Is(err, presence.ErrNotAuthentic) {
				t.Fatalf("another challenge: %v", err)
			}
		})
	}
	res, err := Read(context.Background(), mustCard(t, mustFiles(t), emulator.Options{}), mustKey(t))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := res.Proof(); !errors.Is(err, ErrNoProof) {
		t.Fatalf("proof of a read without a challenge: %v", err)
	}
}
