package emrtd

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/rand"
	"encoding/asn1"
	"errors"
	"strings"
	"testing"

	"github.com/xanode/xanode/reader/iso7816"
	"github.com/xanode/xanode/reader/keys"
)

// cardAccessOf is EF.CardAccess announcing infos.
func cardAccessOf(t testing.TB, infos ...PACEInfo) []byte {
	t.Helper()
	b, err := (&SecurityInfos{PACE: infos}).Marshal()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// chipDG14 is a DG14 with a Chip Authentication key, repeating cardAccess.
func chipDG14(t testing.TB, cardAccess []byte) []byte {
	t.Helper()
	c, _ := keys.CurveByName("brainpoolP256r1")
	priv, err := ecdsa.GenerateKey(c.Curve, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	s := &SecurityInfos{
		ChipAuthentication:     []ChipAuthenticationInfo{{Protocol: ChipAuthenticationOID(AES128), Version: 1, KeyID: -1}},
		ChipAuthenticationKeys: []ChipAuthenticationKey{{Protocol: OIDPKECDH, Key: &priv.PublicKey, KeyID: -1}},
	}
	dg14, err := s.MarshalDG14(cardAccess)
	if err != nil {
		t.Fatal(err)
	}
	return dg14
}

func TestCheckCardAccess(t *testing.T) {
	gm := PACEInfoFor(AES128, 13)
	im := PACEInfoWith(IntegratedMapping, AES128, 13)
	// A SecurityInfo this package does not know (Terminal Authentication)
	// must be repeated all the same.
	ta, _ := asn1.Marshal(struct {
		Protocol asn1.ObjectIdentifier
		Version  int
	}{asn1.ObjectIdentifier{0, 4, 0, 127, 0, 7, 2, 2, 2}, 1})
	cardAccess := cardAccessOf(t, gm)
	both := cardAccessOf(t, gm, im)
	withTA := iso7816.EncodeTLV(0x31, append(append([]byte(nil), cardAccess[2:]...), ta...))
	tests := []struct {
		name             string
		cardAccess, dg14 []byte
		says             string // "" when consistent
	}{
		{"repeated in DG14", cardAccess, chipDG14(t, cardAccess), ""},
		{"two variants", both, chipDG14(t, both), ""},
		{"an unknown SecurityInfo repeated", withTA, chipDG14(t, withTA), ""},
		{"no PACE anywhere", nil, chipDG14(t, nil), ""},
		{"DG14 without EF.CardAccess's infos (cards made before)", cardAccess, chipDG14(t, nil), "EF.CardAccess announces PACEInfo id-PACE-ECDH-GM-AES-CBC-CMAC-128"},
		{"rewritten to another variant", cardAccessOf(t, im), chipDG14(t, cardAccess), "EF.CardAccess announces PACEInfo id-PACE-ECDH-IM"},
		{"an unknown SecurityInfo not repeated", withTA, chipDG14(t, cardAccess), "SecurityInfo 0.4.0.127.0.7.2.2.2"},
		{"one variant removed", cardAccess, chipDG14(t, both), "DG14 announces PACEInfo id-PACE-ECDH-IM"},
		{"every variant removed", []byte{0x31, 0x00}, chipDG14(t, cardAccess), "DG14 announces PACEInfo id-PACE-ECDH-GM"},
		{"EF.CardAccess hidden", nil, chipDG14(t, cardAccess), "which EF.CardAccess does not"},
		{"EF.CardAccess garbage", []byte{0x31, 0x03, 0x02, 0x01, 0x01}, chipDG14(t, nil), "EF.CardAccess: "},
		{"DG14 garbage", cardAccess, []byte{0x6E, 0x02, 0x31, 0x01}, "DG14: "},
		{"DG14 not DG14", cardAccess, cardAccess, "DG14: "},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := CheckCardAccess(tc.cardAccess, tc.dg14)
			if tc.says == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if !errors.Is(err, ErrCardAccessMismatch) || !strings.Contains(err.Error(), tc.says) {
				t.Fatalf("err = %v, want ErrCardAccessMismatch saying %q", err, tc.says)
			}
		})
	}
}

// TestMarshalDG14CardAccess checks that DG14 repeats EF.CardAccess's
// SecurityInfos once each, in DER order, and still parses.
func TestMarshalDG14CardAccess(t *testing.T) {
	gm := PACEInfoFor(AES128, 13)
	cardAccess := cardAccessOf(t, gm, PACEInfoWith(IntegratedMapping, AES128, 13))
	s := &SecurityInfos{PACE: []PACEInfo{gm}, ActiveAuthentication: &ActiveAuthenticationInfo{Version: 1, SignatureAlgorithm: OIDActiveAuthentication}}
	dg14, err := s.MarshalDG14(cardAccess)
	if err != nil {
		t.Fatal(err)
	}
	v, _ := iso7816.Unwrap(dg14, tagDG14)
	elems, err := SplitSecurityInfos(v)
	if err != nil || len(elems) != 3 {
		t.Fatalf("DG14 holds %d SecurityInfos (%v), want 3", len(elems), err)
	}
	for i := 1; i < len(elems); i++ {
		if bytes.Compare(elems[i-1], elems[i]) >= 0 {
			t.Fatalf("SecurityInfos %d and %d out of DER order", i-1, i)
		}
	}
	back, err := ParseDG14(dg14)
	if err != nil || len(back.PACE) != 2 || back.ActiveAuthentication == nil {
		t.Fatalf("DG14 back: %+v, %v", back, err)
	}
	if err := CheckCardAccess(cardAccess, dg14); err != nil {
		t.Fatal(err)
	}
	if _, err := s.MarshalDG14([]byte{0x30, 0x00}); err == nil {
		t.Fatal("DG14 made with an EF.CardAccess that is no SET OF SecurityInfo")
	}
}

// FuzzCheckCardAccess feeds arbitrary EF.CardAccess and DG14 contents to
// the comparison: no panic, and a pass only when every SecurityInfo of
// EF.CardAccess is in DG14.
func FuzzCheckCardAccess(f *testing.F) {
	cardAccess := cardAccessOf(f, PACEInfoFor(AES128, 13))
	f.Add(cardAccess, chipDG14(f, cardAccess))
	f.Add(cardAccess, chipDG14(f, nil))
	f.Add([]byte(nil), chipDG14(f, cardAccess))
	f.Add([]byte{0x31, 0x00}, []byte{0x6E, 0x02, 0x31, 0x00})
	f.Fuzz(func(t *testing.T, cardAccess, dg14 []byte) {
		if err := CheckCardAccess(cardAccess, dg14); err != nil {
			if !errors.Is(err, ErrCardAccessMismatch) {
				t.Fatalf("error %v is not ErrCardAccessMismatch", err)
			}
			return
		}
		v, err := iso7816.Unwrap(dg14, tagDG14)
		if err != nil {
			t.Fatalf("passed with a DG14 that does not unwrap: %v", err)
		}
		signed, _ := SplitSecurityInfos(v)
		announced, _ := SplitSecurityInfos(cardAccess)
		for _, a := range announced {
			if !containsBytes(signed, a) {
				t.Fatalf("passed with %X not in DG14", a)
			}
		}
	})
}
