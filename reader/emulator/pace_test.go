package emulator

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/rand"
	"errors"
	"strings"
	"testing"

	"github.com/xanode/xanode/reader/emrtd"
	"github.com/xanode/xanode/reader/iso7816"
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

// TestPACEVariants has the chip announce each mapping through
// Options.PACE and runs it with the terminal of package emrtd: EF.CardAccess
// says what the options say, PACE opens secure messaging, and chip
// authentication mapping's proof fits the chip's key.
func TestPACEVariants(t *testing.T) {
	ca := mustECKey(t, "brainpoolP256r1")
	can, _ := emrtd.CANPassword("012345")
	for _, info := range []emrtd.PACEInfo{
		emrtd.PACEInfoFor(emrtd.AES128, 13),
		emrtd.PACEInfoWith(emrtd.IntegratedMapping, emrtd.AES128, 13),
		emrtd.PACEInfoWith(emrtd.IntegratedMapping, emrtd.TDES, 13),
		emrtd.PACEInfoWith(emrtd.IntegratedMapping, emrtd.AES256, 13),
		emrtd.PACEInfoWith(emrtd.ChipAuthenticationMapping, emrtd.AES128, 13),
		emrtd.PACEInfoWith(emrtd.ChipAuthenticationMapping, emrtd.AES256, 13),
	} {
		t.Run(info.String(), func(t *testing.T) {
			// The options' EF.CardAccess replaces the files' (the CCCD's GM).
			files, err := Build(testPerson, mustPKI(t).DocumentSigner)
			if err != nil {
				t.Fatal(err)
			}
			if err := AddPACE(files); err != nil {
				t.Fatal(err)
			}
			c, err := New(files, Options{PACE: []emrtd.PACEInfo{info}, ChipKeys: ChipKeys{CA: ca}})
			if err != nil {
				t.Fatal(err)
			}
			s := emrtd.NewSession(c, nil)
			ctx := context.Background()
			b, err := s.ReadFile(ctx, emrtd.FileCardAccess)
			if err != nil {
				t.Fatal(err)
			}
			infos, err := emrtd.ParseSecurityInfos(b)
			if err != nil || len(infos.PACE) != 1 || infos.PACE[0].String() != info.String() {
				t.Fatalf("EF.CardAccess announces %v (%v)", infos, err)
			}
			if err := s.PACE(ctx, info, can, false); err != nil {
				t.Fatal(err)
			}
			if err := s.SelectApplication(ctx); err != nil {
				t.Fatalf("secure messaging after PACE: %v", err)
			}
			proof := s.ChipAuthenticationMapping()
			if (proof != nil) != (info.Mapping() == emrtd.ChipAuthenticationMapping) {
				t.Fatalf("proof %v", proof)
			}
			if proof != nil {
				if err := proof.Verify(emrtd.ChipAuthenticationKey{Protocol: emrtd.OIDPKECDH, Key: &ca.PublicKey}); err != nil {
					t.Fatal(err)
				}
			}
			wrong, _ := emrtd.CANPassword("012346")
			if err := emrtd.NewSession(c, nil).PACE(ctx, info, wrong, false); !errors.Is(err, emrtd.ErrAccessDenied) {
				t.Fatalf("wrong CAN: %v", err)
			}
		})
	}
}

// TestPACEChipRefuses sends the chip PACE commands it must refuse.
func TestPACEChipRefuses(t *testing.T) {
	files, err := Build(testPerson, mustPKI(t).DocumentSigner)
	if err != nil {
		t.Fatal(err)
	}
	im := emrtd.PACEInfoWith(emrtd.IntegratedMapping, emrtd.AES128, 13)
	// MSE:Set AT with CAN for id-PACE-ECDH-{GM,IM}-AES-CBC-CMAC-128.
	const mseGM, mseIM = "0022C1A40F800A04007F00070202040202830102", "0022C1A40F800A04007F00070202040402830102"
	tests := []struct {
		name  string
		pace  []emrtd.PACEInfo
		apdus []string
		want  iso7816.StatusWord
	}{
		{"variant not announced", []emrtd.PACEInfo{im}, []string{mseGM}, iso7816.StatusWrongData},
		{"parameter ID not announced", []emrtd.PACEInfo{im}, []string{mseIM[:8] + "12" + mseIM[10:] + "84010C"}, iso7816.StatusWrongData},
		{"unknown parameter ID announced", []emrtd.PACEInfo{emrtd.PACEInfoWith(emrtd.IntegratedMapping, emrtd.AES128, 99)},
			[]string{mseIM}, iso7816.StatusWrongData},
		{"IM: t too short", []emrtd.PACEInfo{im}, []string{mseIM, "10860000027C0000", "10860000107C0E810C" + strings.Repeat("11", 12) + "00"}, iso7816.StatusWrongData},
		{"IM: no t", []emrtd.PACEInfo{im}, []string{mseIM, "10860000027C0000", "10860000047C02820000"}, iso7816.StatusWrongData},
		{"IM: t", []emrtd.PACEInfo{im}, []string{mseIM, "10860000027C0000", "10860000147C1281 10" + strings.Repeat("11", 16) + "00"}, iso7816.StatusOK},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := New(files, Options{PACE: tc.pace})
			if err != nil {
				t.Fatal(err)
			}
			var sw iso7816.StatusWord
			for _, apdu := range tc.apdus {
				_, sw = raw(t, c, apdu)
			}
			if sw != tc.want {
				t.Fatalf("%v, want %v", sw, tc.want)
			}
		})
	}
	cam := emrtd.PACEInfoWith(emrtd.ChipAuthenticationMapping, emrtd.AES128, 13)
	if _, err := New(files, Options{PACE: []emrtd.PACEInfo{cam}}); err == nil {
		t.Fatal("chip authentication mapping without a chip key accepted")
	}
}

// TestPACEIntegratedMappingAnswer checks the chip's answer to the mapping
// step of integrated mapping: an empty DO'82' (ICAO 9303-11 4.4.5.2.2).
func TestPACEIntegratedMappingAnswer(t *testing.T) {
	files, err := Build(testPerson, mustPKI(t).DocumentSigner)
	if err != nil {
		t.Fatal(err)
	}
	c, err := New(files, Options{PACE: []emrtd.PACEInfo{emrtd.PACEInfoWith(emrtd.IntegratedMapping, emrtd.AES128, 13)}})
	if err != nil {
		t.Fatal(err)
	}
	raw(t, c, "0022C1A40F800A04007F00070202040402830102")
	if z, sw := raw(t, c, "10860000027C0000"); sw != iso7816.StatusOK || len(z) != 20 {
		t.Fatalf("encrypted nonce %X %v", z, sw)
	}
	if out, sw := raw(t, c, "10860000147C128110"+strings.Repeat("A5", 16)+"00"); sw != iso7816.StatusOK || !bytes.Equal(out, []byte{0x7C, 0x02, 0x82, 0x00}) {
		t.Fatalf("mapping answer %X %v", out, sw)
	}
}
