package reader

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/rsa"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/xanode/xanode/reader/emrtd"
	"github.com/xanode/xanode/reader/emulator"
	"github.com/xanode/xanode/reader/keys"
)

func mustECKey(t testing.TB, curve string) *ecdsa.PrivateKey {
	t.Helper()
	c, _ := keys.CurveByName(curve)
	k, err := ecdsa.GenerateKey(c.Curve, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// chipCard builds a card whose DG14/DG15 announce genuine, and whose chip
// holds held (the same keys for a genuine chip, others for a clone).
func chipCard(t testing.TB, genuine, held emulator.ChipKeys) emulator.Files {
	t.Helper()
	files := mustFiles(t)
	if err := emulator.AddChipKeys(files, genuine, mustPKI(t).DocumentSigner); err != nil {
		t.Fatal(err)
	}
	return files
}

func TestCloneCheck(t *testing.T) {
	caKey := mustECKey(t, "brainpoolP256r1")
	ecAA := mustECKey(t, "P-256")
	rsaAAKey := mustRSA(t)
	store := mustStore(t, mustPKI(t).CSCA)
	other := emulator.ChipKeys{CA: mustECKey(t, "brainpoolP256r1"), AA: mustECKey(t, "P-256")}
	tests := []struct {
		name          string
		genuine, held emulator.ChipKeys
		trust         bool
		want          CloneCheck
		assurance     Assurance
	}{
		{"CA AES", emulator.ChipKeys{CA: caKey}, emulator.ChipKeys{CA: caKey}, true,
			CloneCheck{Method: "ca", Status: StatusOK}, AssuranceChipCloningChecked},
		{"CA 3DES", emulator.ChipKeys{CA: caKey, CACipher: emrtd.TDES}, emulator.ChipKeys{CA: caKey}, true,
			CloneCheck{Method: "ca", Status: StatusOK}, AssuranceChipCloningChecked},
		{"CA and AA: CA decides", emulator.ChipKeys{CA: caKey, AA: rsaAAKey}, emulator.ChipKeys{CA: caKey, AA: rsaAAKey}, true,
			CloneCheck{Method: "ca", Status: StatusOK}, AssuranceChipCloningChecked},
		{"AA RSA", emulator.ChipKeys{AA: rsaAAKey}, emulator.ChipKeys{AA: rsaAAKey}, true,
			CloneCheck{Method: "aa", Status: StatusOK}, AssuranceChipCloningChecked},
		{"AA ECDSA", emulator.ChipKeys{AA: ecAA}, emulator.ChipKeys{AA: ecAA}, true,
			CloneCheck{Method: "aa", Status: StatusOK}, AssuranceChipCloningChecked},
		{"CA refused, AA passes", emulator.ChipKeys{CA: caKey, AA: ecAA}, emulator.ChipKeys{AA: ecAA}, true,
			CloneCheck{Method: "aa", Status: StatusOK}, AssuranceChipCloningChecked},
		{"no PA: CA proves nothing", emulator.ChipKeys{CA: caKey}, emulator.ChipKeys{CA: caKey}, false,
			CloneCheck{Method: "ca", Status: StatusNotChecked}, AssuranceChipRead},
		{"clone, CA", emulator.ChipKeys{CA: caKey}, other, true,
			CloneCheck{Method: "ca", Status: StatusFailed}, AssuranceChipRead},
		{"clone, CA 3DES", emulator.ChipKeys{CA: caKey, CACipher: emrtd.TDES}, other, true,
			CloneCheck{Method: "ca", Status: StatusFailed}, AssuranceChipRead},
		{"clone, CA and AA", emulator.ChipKeys{CA: caKey, AA: rsaAAKey}, emulator.ChipKeys{CA: other.CA, AA: rsaAAKey}, true,
			CloneCheck{Method: "ca", Status: StatusFailed}, AssuranceChipRead},
		{"clone, AA RSA", emulator.ChipKeys{AA: rsaAAKey}, emulator.ChipKeys{AA: mustRSA(t)}, true,
			CloneCheck{Method: "aa", Status: StatusFailed}, AssuranceChipRead},
		{"clone, AA ECDSA", emulator.ChipKeys{AA: ecAA}, other, true,
			CloneCheck{Method: "aa", Status: StatusFailed}, AssuranceChipRead},
		{"clone without keys", emulator.ChipKeys{CA: caKey, AA: ecAA}, emulator.ChipKeys{}, true,
			CloneCheck{Method: "aa", Status: StatusFailed}, AssuranceChipRead},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			files := chipCard(t, tc.genuine, tc.held)
			cfg := Config{}
			if tc.trust {
				cfg.Trust = store
			}
			res, err := cfg.Read(context.Background(), mustCard(t, files, emulator.Options{QuirkCCCD: true, ChipKeys: tc.held}), mustKey(t))
			if err != nil {
				t.Fatal(err)
			}
			got := res.CloneCheck
			got.Reason = ""
			if got != tc.want || res.Assurance != tc.assurance {
				t.Fatalf("clone check %+v, assurance %s; want %+v, %s", res.CloneCheck, res.Assurance, tc.want, tc.assurance)
			}
			if tc.want.Status != StatusOK && res.CloneCheck.Reason == "" {
				t.Fatal("no reason given")
			}
			if tc.trust && res.PA.Status != StatusOK {
				t.Fatalf("PA %+v", res.PA)
			}
			// Whatever the clone check says, the data are the card's.
			for _, name := range []string{"DG1", "DG13", "SOD"} {
				if !bytes.Equal(res.Raw[name], files[name]) {
					t.Fatalf("%s read differs", name)
				}
			}
			t.Logf("%s: %d APDUs, files %v", tc.name, res.APDUs, res.Files)
		})
	}
}

// mustRSA makes an RSA-2048 Active Authentication key, as made cards get.
func mustRSA(t testing.TB) crypto.Signer {
	t.Helper()
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// TestCloneCheckBadAnswers breaks every answer of a read with Chip and
// Active Authentication: never a panic, and never a clone check that
// passes on a changed answer.
func TestCloneCheckBadAnswers(t *testing.T) {
	caKey := mustECKey(t, "P-256")
	keys := emulator.ChipKeys{CA: caKey, AA: mustECKey(t, "P-256")}
	files := chipCard(t, keys, keys)
	store := mustStore(t, mustPKI(t).CSCA)
	good, err := Config{Trust: store}.Read(context.Background(), mustCard(t, files, emulator.Options{ChipKeys: keys}), mustKey(t))
	if err != nil || good.Assurance != AssuranceChipCloningChecked {
		t.Fatalf("genuine: %v %+v", err, good)
	}
	for at := 0; at < good.APDUs; at++ {
		for _, m := range mutations {
			t.Run(fmt.Sprintf("APDU %d %s", at, m.name), func(t *testing.T) {
				tr := &faulty{card: mustCard(t, files, emulator.Options{ChipKeys: keys}), at: at, mutate: m.f}
				res, err := Config{Trust: store}.Read(context.Background(), tr, mustKey(t))
				if err != nil {
					return
				}
				if res.CloneCheck.Status == StatusOK && !reflect.DeepEqual(res.Raw, good.Raw) {
					t.Fatalf("clone check ok on changed data")
				}
				if res.Assurance == AssuranceChipCloningChecked && !strings.Contains(strings.Join(res.Files, " "), "DG14") {
					t.Fatal("cloning checked without DG14")
				}
			})
		}
	}
}
