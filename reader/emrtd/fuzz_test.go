package emrtd

import (
	"bytes"
	"errors"
	"math/big"
	"testing"

	"github.com/xanode/xanode/reader/iso7816"
)

// FuzzUnprotect feeds arbitrary response APDUs to the terminal's unwrapping
// with the D.4 session: it must never panic, and whatever it accepts must
// have passed the MAC (so only the published responses get through).
func FuzzUnprotect(f *testing.F) {
	var v smVector
	loadVector(f, "sm_3des_appendix_d4", &v)
	for _, s := range v.steps() {
		f.Add(s.s.ProtectedResponse.b(f))
	}
	f.Add([]byte{0x69, 0x88})
	f.Fuzz(func(t *testing.T, b []byte) {
		sm := d4Session(t, v, v.Select.SSCCommand)
		r, err := sm.Unprotect(b)
		if err == nil && r.SW != iso7816.StatusOK {
			t.Fatalf("accepted %X with status %v", b, r.SW)
		}
		// The object grammar alone, without the MAC, must not panic either.
		_, _ = parseObjects(b, doCryptogram, doCryptogramOdd, doStatus)
	})
}

// FuzzUnprotectCommand is the card side: what the emulator does with
// whatever a terminal sends.
func FuzzUnprotectCommand(f *testing.F) {
	var v smVector
	loadVector(f, "sm_3des_appendix_d4", &v)
	for _, s := range v.steps() {
		f.Add(s.s.Protected.b(f))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := iso7816.ParseCommand(b)
		if err != nil {
			return
		}
		sm := d4Session(t, v, v.SSCInitial)
		_, _ = sm.UnprotectCommand(c)
	})
}

func FuzzParseCOM(f *testing.F) {
	f.Add(hexs("60145F0104303130365F36063034303030305C026175").b(f))
	f.Add(hexs("60035C0161").b(f))
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := ParseCOM(b)
		if err != nil {
			return
		}
		if _, err := c.Marshal(); err != nil {
			t.Fatalf("parsed %X but cannot encode: %v", b, err)
		}
	})
}

// camFixture is Appendix I.1's run as the terminal has it after step 4:
// the variant, K, the chip's mapping key and its static key from DG14.
func camFixture(t testing.TB) (v paceCAMVector, p pace, k []byte, mapX, mapY *big.Int, key ChipAuthenticationKey) {
	loadVector(t, "pace_cam_ecdh_appendix_i1", &v)
	p, err := paceFor(PACEInfoWith(ChipAuthenticationMapping, AES128, 13))
	if err != nil {
		t.Fatal(err)
	}
	if mapX, mapY, err = p.point(v.ChipMapPK.b(t)); err != nil {
		t.Fatal(err)
	}
	infos, err := ParseSecurityInfos(iso7816.EncodeTLV(0x31, v.StaticKeyInfo.b(t)))
	if err != nil || len(infos.ChipAuthenticationKeys) != 1 {
		t.Fatalf("static key: %v", err)
	}
	return v, p, v.K.b(t), mapX, mapY, infos.ChipAuthenticationKeys[0]
}

// FuzzPACEAnswer feeds arbitrary GENERAL AUTHENTICATE answer data to the
// terminal's parsers of integrated mapping's step 2 and chip
// authentication mapping's step 4, with Appendix I.1's session: no panic,
// and a proof that verifies must carry the published A_IC.
func FuzzPACEAnswer(f *testing.F) {
	v, p, k, mapX, mapY, key := camFixture(f)
	ga4 := v.GA4Resp.b(f)
	f.Add(ga4[:len(ga4)-2])
	f.Add([]byte{0x7C, 0x02, 0x82, 0x00})
	f.Add([]byte{0x7C, 0x00})
	f.Fuzz(func(t *testing.T, data []byte) {
		answer, err := iso7816.Unwrap(data, tagDynamicAuthentication)
		if err != nil {
			return
		}
		if integratedMappingAnswer(answer) == nil {
			if v, _, _ := iso7816.Find(answer, 0x82); len(v) != 0 {
				t.Fatalf("integrated mapping accepted mapping data %X", v)
			}
		}
		if err := p.camProof(k, answer, mapX, mapY).Verify(key); err == nil {
			if aIC, _, _ := iso7816.Find(answer, tagEncryptedCAData); !bytes.Equal(aIC, v.AIC.b(t)) {
				t.Fatalf("proof verified with A_IC %X", aIC)
			}
		} else if !errors.Is(err, ErrChipAuthentication) {
			t.Fatalf("refused with %v, not ErrChipAuthentication", err)
		}
	})
}

// FuzzCAMData feeds arbitrary bytes as A_IC (deciphered under Appendix
// I.1's KSenc) and as deciphered CA data: no panic; CA_IC is accepted only
// whole, in range and padded, and only the published A_IC yields the
// published CA_IC.
func FuzzCAMData(f *testing.F) {
	v, p, k, _, _, _ := camFixture(f)
	f.Add(v.AIC.b(f))
	f.Add(Pad(v.CAIC.b(f), 16))
	f.Add(make([]byte, 48))
	f.Fuzz(func(t *testing.T, b []byte) {
		n := p.curve.Params().N
		if ca, err := p.decryptCAData(k, b); err == nil {
			if len(ca) != 32 {
				t.Fatalf("CA_IC of %d bytes", len(ca))
			}
			if bytes.Equal(ca, v.CAIC.b(t)) != bytes.Equal(b, v.AIC.b(t)) {
				t.Fatalf("A_IC %X deciphers to CA_IC %X", b, ca)
			}
		}
		if ca, err := p.parseCAData(b); err == nil {
			x := new(big.Int).SetBytes(ca)
			if !bytes.Equal(Pad(ca, 16), b) || x.Sign() == 0 || x.Cmp(n) >= 0 {
				t.Fatalf("accepted CA data %X as %X", b, ca)
			}
		}
	})
}
