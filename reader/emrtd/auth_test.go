package emrtd

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"errors"
	"math/big"
	"testing"

	"github.com/xanode/xanode/reader/iso7816"
	"github.com/xanode/xanode/reader/keys"
)

func TestActiveAuthenticationAppendixF(t *testing.T) {
	var v struct {
		RndIFD hexs `json:"rnd_ifd"`
		Cmd    hexs `json:"internal_authenticate_command"`
		M1     hexs `json:"m1"`
		M      hexs `json:"m"`
		H      hexs `json:"h"`
		F      hexs `json:"f"`
	}
	loadVector(t, "active_authentication_appendix_f", &v)
	eq(t, "M", append(v.M1.b(t), v.RndIFD.b(t)...), v.M)
	h := sha1.Sum(v.M.b(t))
	eq(t, "H", h[:], v.H)
	f, err := EncodeISO9796(v.M1.b(t), v.RndIFD.b(t), 128)
	if err != nil {
		t.Fatal(err)
	}
	eq(t, "F", f, v.F)
	cmd, _ := iso7816.Command{INS: insInternalAuthenticate, Data: v.RndIFD.b(t), Ne: 256}.Bytes()
	eq(t, "INTERNAL AUTHENTICATE", cmd, v.Cmd)
	// The key behind S is not published; openISO9796 must accept F itself.
	if m1, err := openISO9796(f, v.RndIFD.b(t)); err != nil || !bytes.Equal(m1, v.M1.b(t)) {
		t.Fatalf("open F: %X %v", m1, err)
	}
}

func TestActiveAuthenticationPassport(t *testing.T) {
	var v struct {
		DG15      hexs `json:"ef_dg15"`
		Modulus   hexs `json:"modulus"`
		Challenge hexs `json:"challenge"`
		Signature hexs `json:"signature"`
		M1        hexs `json:"m1"`
	}
	loadVector(t, "active_authentication_rsa_pymrtd_passport", &v)
	pub, err := ParseDG15(v.DG15.b(t))
	if err != nil {
		t.Fatal(err)
	}
	r, ok := pub.(*rsa.PublicKey)
	if !ok || !bytes.Equal(r.N.Bytes(), v.Modulus.b(t)) || r.E != 65537 {
		t.Fatalf("DG15 key %+v", pub)
	}
	m1, err := RecoverISO9796(r, v.Challenge.b(t), v.Signature.b(t))
	if err != nil {
		t.Fatal(err)
	}
	eq(t, "M1", m1, v.M1)
	if err := VerifyActiveAuthentication(pub, nil, v.Challenge.b(t), v.Signature.b(t)); err != nil {
		t.Fatal(err)
	}
	other := v.Challenge.b(t)
	other[0] ^= 1
	if err := VerifyActiveAuthentication(pub, nil, other, v.Signature.b(t)); !errors.Is(err, ErrActiveAuthentication) {
		t.Fatalf("other challenge: %v", err)
	}
}

func TestActiveAuthenticationSignVerify(t *testing.T) {
	rsaKey, _ := rsa.GenerateKey(rand.Reader, 1024)
	bp, _ := keys.CurveByName("brainpoolP256r1")
	ecKey, _ := ecdsa.GenerateKey(bp.Curve, rand.Reader)
	alg, _ := keys.PlainECDSA(crypto.SHA256)
	info := &ActiveAuthenticationInfo{Version: 1, SignatureAlgorithm: alg.Algorithm}
	for _, key := range []crypto.Signer{rsaKey, ecKey} {
		challenge := []byte("12345678")
		sig, err := SignActiveAuthentication(key, challenge, nil)
		if err != nil {
			t.Fatal(err)
		}
		if err := VerifyActiveAuthentication(key.Public(), info, challenge, sig); err != nil {
			t.Fatalf("%T: %v", key, err)
		}
		dg15, _ := MarshalDG15(key.Public())
		if pub, err := ParseDG15(dg15); err != nil || !pub.(interface{ Equal(crypto.PublicKey) bool }).Equal(key.Public()) {
			t.Fatalf("DG15 round trip: %v", err)
		}
		sig[len(sig)/2] ^= 1
		if err := VerifyActiveAuthentication(key.Public(), info, challenge, sig); !errors.Is(err, ErrActiveAuthentication) {
			t.Fatalf("%T broken signature: %v", key, err)
		}
	}
	if err := VerifyActiveAuthentication(&rsaKey.PublicKey, nil, []byte("12345678"), []byte{1}); !errors.Is(err, ErrActiveAuthentication) {
		t.Fatalf("short signature: %v", err)
	}
}

// signISO9796 signs M1 || challenge as an RSA chip does, with the SHA-1
// trailer (BC) or the hash named by its ISO/IEC 10118 number (xx CC), and
// sends n - S instead of S when flip is set (ISO 9796-2 allows either).
func signISO9796(t *testing.T, k *rsa.PrivateKey, hash crypto.Hash, challenge []byte, flip bool) []byte {
	t.Helper()
	trailer := []byte{0xBC}
	if hash != crypto.SHA1 {
		for b, h := range iso9796Hashes {
			if h == hash {
				trailer = []byte{b, 0xCC}
			}
		}
	}
	m1 := make([]byte, k.Size()-1-hash.Size()-len(trailer))
	if _, err := rand.Read(m1); err != nil {
		t.Fatal(err)
	}
	d := hash.New()
	d.Write(m1)
	d.Write(challenge)
	f := append(append(append([]byte{0x6A}, m1...), d.Sum(nil)...), trailer...)
	s := new(big.Int).Exp(new(big.Int).SetBytes(f), k.D, k.N)
	if flip {
		s.Sub(k.N, s)
	}
	return s.FillBytes(make([]byte, k.Size()))
}

// TestActiveAuthenticationLargeRSA verifies ISO/IEC 9796-2 signatures of
// keys of 2048 bits and more (ICAO's recommendation, what made cards
// carry), with the SHA-1 and SHA-256 trailers, S or n - S.
func TestActiveAuthenticationLargeRSA(t *testing.T) {
	challenge := []byte("\x01\x02\x03\x04\x05\x06\x07\x08")
	for _, bits := range []int{2048, 3072} {
		k, err := rsa.GenerateKey(rand.Reader, bits)
		if err != nil {
			t.Fatal(err)
		}
		for _, hash := range []crypto.Hash{crypto.SHA1, crypto.SHA256} {
			for _, flip := range []bool{false, true} {
				sig := signISO9796(t, k, hash, challenge, flip)
				if err := VerifyActiveAuthentication(&k.PublicKey, nil, challenge, sig); err != nil {
					t.Fatalf("RSA-%d %v flip=%v: %v", bits, hash, flip, err)
				}
				other := append([]byte(nil), challenge...)
				other[7] ^= 1
				if err := VerifyActiveAuthentication(&k.PublicKey, nil, other, sig); !errors.Is(err, ErrActiveAuthentication) {
					t.Fatalf("RSA-%d %v: another challenge: %v", bits, hash, err)
				}
			}
		}
		// What the emulator signs (SHA-1, random M1) at this size.
		sig, err := SignActiveAuthentication(k, challenge, nil)
		if err != nil || len(sig) != bits/8 {
			t.Fatalf("RSA-%d: signature of %d bytes, %v", bits, len(sig), err)
		}
		if err := VerifyActiveAuthentication(&k.PublicKey, nil, challenge, sig); err != nil {
			t.Fatalf("RSA-%d emulator signature: %v", bits, err)
		}
	}
}

func TestSecurityInfos(t *testing.T) {
	var v struct {
		PACEInfo   hexs `json:"pace_info"`
		CAKeyInfo  hexs `json:"chip_authentication_public_key_info"`
		StaticKey  hexs `json:"chip_static_public_key"`
		OIDContent hexs `json:"oid"`
	}
	loadVector(t, "pace_cam_ecdh_appendix_i1", &v)
	set := iso7816.EncodeTLV(0x31, v.PACEInfo.b(t), v.CAKeyInfo.b(t))
	s, err := ParseSecurityInfos(set)
	if err != nil {
		t.Fatal(err)
	}
	if len(s.PACE) != 1 || s.PACE[0].ParameterID != 13 || s.PACE[0].Version != 2 || !bytes.Equal(oidValue(s.PACE[0].Protocol), v.OIDContent.b(t)) {
		t.Fatalf("PACE infos %+v", s.PACE)
	}
	if len(s.ChipAuthenticationKeys) != 1 {
		t.Fatalf("CA keys %+v", s.ChipAuthenticationKeys)
	}
	k := s.ChipAuthenticationKeys[0].Key.(*ecdsa.PublicKey)
	c, _ := keys.Of(k.Curve)
	if c.Name != "brainpoolP256r1" || !bytes.Equal(c.EncodePoint(k.X, k.Y), v.StaticKey.b(t)) {
		t.Fatalf("CA key on %s", c.Name)
	}
	if c, ecdh, ok := CipherOf(s.PACE[0].Protocol); !ok || !ecdh || c != AES128 {
		t.Fatalf("CipherOf = %v %v %v", c, ecdh, ok)
	}
	// Round trip through Marshal, as the emulator writes DG14.
	s.ChipAuthentication = []ChipAuthenticationInfo{{Protocol: protocolOID(oidCA, arcECDH, AES128), Version: 1, KeyID: 7}}
	s.ActiveAuthentication = &ActiveAuthenticationInfo{Version: 1, SignatureAlgorithm: OIDActiveAuthentication}
	dg14, err := s.MarshalDG14(nil)
	if err != nil {
		t.Fatal(err)
	}
	back, err := ParseDG14(dg14)
	if err != nil || len(back.ChipAuthentication) != 1 || back.ChipAuthentication[0].KeyID != 7 || back.ActiveAuthentication == nil ||
		len(back.PACE) != 1 || len(back.ChipAuthenticationKeys) != 1 {
		t.Fatalf("DG14 round trip: %+v, %v", back, err)
	}
}

// caCard answers Chip Authentication like a chip holding priv, after BAC
// keys set up by hand: enough to check the terminal's messages.
type caCard struct {
	t    *testing.T
	sm   *SecureMessaging
	priv *ecdsa.PrivateKey
	c    Cipher
	next *SecureMessaging
}

func (cc *caCard) Transmit(_ context.Context, raw []byte) ([]byte, error) {
	cmd, err := iso7816.ParseCommand(raw)
	if err != nil {
		return nil, err
	}
	plain, err := cc.sm.UnprotectCommand(cmd)
	if err != nil {
		return iso7816.Response{SW: iso7816.StatusSMObjectsIncorrect}.Bytes(), nil
	}
	resp := iso7816.Response{SW: iso7816.StatusOK}
	switch plain.INS {
	case insMSE:
		if plain.P2 == mseKAT {
			pk, _ := iso7816.Unwrap(plain.Data, 0x91)
			cc.next, err = AnswerChipAuthentication(cc.priv, cc.c, pk)
		}
	case insGeneralAuthenticate:
		inner, _ := iso7816.Unwrap(plain.Data, tagDynamicAuthentication)
		pk, _ := iso7816.Unwrap(inner, 0x80)
		cc.next, err = AnswerChipAuthentication(cc.priv, cc.c, pk)
		resp.Data = []byte{0x7C, 0x00}
	}
	if err != nil {
		cc.t.Fatal(err)
	}
	out, err := cc.sm.ProtectResponse(resp)
	if cc.next != nil {
		cc.sm, cc.next = cc.next, nil
	}
	return out, err
}

func TestChipAuthentication(t *testing.T) {
	for _, tc := range []struct {
		curve  string
		cipher Cipher
	}{{"brainpoolP256r1", AES128}, {"P-256", AES256}, {"brainpoolP384r1", TDES}, {"P-384", AES192}} {
		c, _ := keys.CurveByName(tc.curve)
		priv, _ := ecdsa.GenerateKey(c.Curve, rand.Reader)
		info := ChipAuthenticationInfo{Protocol: protocolOID(oidCA, arcECDH, tc.cipher), Version: 1, KeyID: -1}
		key := ChipAuthenticationKey{Protocol: protocolArc(oidPK, arcECDH), Key: &priv.PublicKey, KeyID: -1}
		for _, clone := range []bool{false, true} {
			bacKeys, _ := NewSuite(TDES, []byte("bac"))
			cardSM, _ := NewSuite(TDES, []byte("bac"))
			cardKey := priv
			if clone {
				cardKey, _ = ecdsa.GenerateKey(c.Curve, rand.Reader)
			}
			card := &caCard{t: t, sm: cardSM, priv: cardKey, c: tc.cipher}
			s := &Session{t: card, sm: bacKeys}
			if err := s.ChipAuthentication(context.Background(), info, key); err != nil {
				t.Fatalf("%s %v: %v", tc.curve, tc.cipher, err)
			}
			_, err := s.Transmit(context.Background(), iso7816.Command{INS: 0xA4, P1: 2, P2: 0x0C, Data: []byte{1, 1}})
			if clone != errors.Is(err, ErrChipAuthentication) || (!clone && err != nil) {
				t.Fatalf("%s %v clone=%v: %v", tc.curve, tc.cipher, clone, err)
			}
			if !clone && s.sm.suite.BlockSize() != map[bool]int{true: 8, false: 16}[tc.cipher == TDES] {
				t.Fatalf("%v session with %d-byte blocks", tc.cipher, s.sm.suite.BlockSize())
			}
		}
	}
	// DH Chip Authentication is announced by some chips and not done here.
	s := &Session{sm: &SecureMessaging{}}
	dh := ChipAuthenticationInfo{Protocol: protocolOID(oidCA, arcDH, AES128)}
	if err := s.ChipAuthentication(context.Background(), dh, ChipAuthenticationKey{Key: big.NewInt(1)}); !errors.Is(err, ErrUnsupported) {
		t.Fatalf("DH: %v", err)
	}
}

func FuzzParseDG14(f *testing.F) {
	c, _ := keys.CurveByName("brainpoolP256r1")
	priv, _ := ecdsa.GenerateKey(c.Curve, rand.Reader)
	s := &SecurityInfos{
		ChipAuthentication:     []ChipAuthenticationInfo{{Protocol: protocolOID(oidCA, arcECDH, AES128), Version: 1, KeyID: -1}},
		ChipAuthenticationKeys: []ChipAuthenticationKey{{Protocol: protocolArc(oidPK, arcECDH), Key: &priv.PublicKey, KeyID: -1}},
		PACE:                   []PACEInfo{{Protocol: protocolOID(oidPACE, arcECDH, AES128), Version: 2, ParameterID: 13}},
	}
	dg14, _ := s.MarshalDG14(nil)
	f.Add(dg14)
	rsaKey, _ := rsa.GenerateKey(rand.Reader, 1024)
	dg15, _ := MarshalDG15(&rsaKey.PublicKey)
	f.Add(dg15)
	f.Fuzz(func(t *testing.T, b []byte) {
		if s, err := ParseDG14(b); err == nil {
			if _, err := s.Marshal(); err != nil {
				t.Fatalf("parsed DG14 does not marshal: %v", err)
			}
		}
		_, _ = ParseSecurityInfos(b)
		if pub, err := ParseDG15(b); err == nil {
			_ = VerifyActiveAuthentication(pub, nil, b, b)
		}
	})
}
