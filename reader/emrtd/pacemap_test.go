package emrtd

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/rand"
	"encoding/asn1"
	"errors"
	"math/big"
	"strings"
	"testing"

	"github.com/xanode/xanode/reader/iso7816"
	"github.com/xanode/xanode/reader/keys"
)

type paceIMVector struct {
	OID       hexs `json:"oid"`
	KPi       hexs `json:"k_pi"`
	S         hexs `json:"s"`
	Z         hexs `json:"z"`
	T         hexs `json:"t"`
	R         hexs `json:"prf_r_s_t"`
	Rp        hexs `json:"prf_rp_s_t"`
	MappedG   hexs `json:"mapped_generator"`
	ChipSK    hexs `json:"chip_private_key"`
	ChipPK    hexs `json:"chip_public_key"`
	TermSK    hexs `json:"terminal_private_key"`
	TermPK    hexs `json:"terminal_public_key"`
	K         hexs `json:"shared_secret_k"`
	KSEnc     hexs `json:"ks_enc"`
	KSMac     hexs `json:"ks_mac"`
	TICInput  hexs `json:"t_ic_input"`
	TIFDInput hexs `json:"t_ifd_input"`
	TIC       hexs `json:"t_ic"`
	TIFD      hexs `json:"t_ifd"`
}

// h1CAN is the password of Appendix H.1: the standard says it uses G.1's
// MRZ, but its K_pi is KDF of this CAN (see testdata/vectors/README.md).
const h1CAN = "123456"

func oidFromValue(t testing.TB, v []byte) asn1.ObjectIdentifier {
	t.Helper()
	var oid asn1.ObjectIdentifier
	if _, err := asn1.Unmarshal(iso7816.EncodeTLV(0x06, v), &oid); err != nil {
		t.Fatal(err)
	}
	return oid
}

// TestPACEAppendixH1Steps recomputes every value of ICAO 9303-11 Appendix
// H.1 (integrated mapping, brainpoolP256r1, AES-128): the pseudo-random
// function R(s,t), R_p, the point encoding of Appendix B, keys and tokens.
func TestPACEAppendixH1Steps(t *testing.T) {
	var v paceIMVector
	loadVector(t, "pace_im_ecdh_appendix_h1", &v)
	info := PACEInfo{Protocol: oidFromValue(t, v.OID.b(t)), Version: 2, ParameterID: 13}
	if want := PACEInfoWith(IntegratedMapping, AES128, 13); !want.Protocol.Equal(info.Protocol) || info.Mapping() != IntegratedMapping {
		t.Fatalf("OID %v, PACEInfoWith gives %v", info.Protocol, want.Protocol)
	}
	p, err := paceFor(info)
	if err != nil || p.mapping != IntegratedMapping || p.cipher != AES128 || p.curve.Name != "brainpoolP256r1" {
		t.Fatalf("variant %+v: %v", p, err)
	}
	pw, _ := CANPassword(h1CAN)
	kpi, _ := p.kpi(pw)
	eq(t, "K_pi", kpi, v.KPi)
	s, err := p.nonce(kpi, v.Z.b(t), false)
	if err != nil {
		t.Fatal(err)
	}
	eq(t, "s", s, v.S)
	z, _ := p.nonce(kpi, s, true)
	eq(t, "z (chip)", z, v.Z)
	if p.nonceLen() != len(s) {
		t.Fatalf("nonce of %d bytes, the chip would pick %d", len(s), p.nonceLen())
	}
	r, err := p.prf(s, v.T.b(t))
	if err != nil {
		t.Fatal(err)
	}
	eq(t, "R(s,t)", r.FillBytes(make([]byte, len(v.R.b(t)))), v.R)
	rp := new(big.Int).Mod(r, p.curve.Params().P)
	eq(t, "R_p(s,t)", rp.FillBytes(make([]byte, 32)), v.Rp)
	gx, gy, err := p.encodePoint(rp)
	if err != nil {
		t.Fatal(err)
	}
	eq(t, "f_G(R_p)", p.curve.EncodePoint(gx, gy), v.MappedG)
	gx, gy, err = p.integratedMap(s, v.T.b(t))
	if err != nil {
		t.Fatal(err)
	}
	eq(t, "mapped G", p.curve.EncodePoint(gx, gy), v.MappedG)
	eq(t, "PK_IC", p.curve.EncodePoint(p.curve.ScalarMult(gx, gy, v.ChipSK.b(t))), v.ChipPK)
	eq(t, "PK_IFD", p.curve.EncodePoint(p.curve.ScalarMult(gx, gy, v.TermSK.b(t))), v.TermPK)
	x, y, _ := p.point(v.ChipPK.b(t))
	k := sharedX(p.curve, x, y, v.TermSK.b(t))
	eq(t, "K", k, v.K)
	x, y, _ = p.point(v.TermPK.b(t))
	eq(t, "K (chip)", sharedX(p.curve, x, y, v.ChipSK.b(t)), v.K)
	enc, _ := KDF(AES128, k, CounterEnc)
	mac, _ := KDF(AES128, k, CounterMAC)
	eq(t, "KSenc", enc, v.KSEnc)
	eq(t, "KSmac", mac, v.KSMac)
	eq(t, "T_IFD input", p.tokenInput(v.ChipPK.b(t)), v.TIFDInput)
	eq(t, "T_IC input", p.tokenInput(v.TermPK.b(t)), v.TICInput)
	tIFD, _ := p.token(mac, v.ChipPK.b(t))
	tIC, _ := p.token(mac, v.TermPK.b(t))
	eq(t, "T_IFD", tIFD, v.TIFD)
	eq(t, "T_IC", tIC, v.TIC)
}

// transcriptRand is the terminal's random source in a published run: raw
// bytes (the nonce t) and private keys, in the order asked for.
type transcriptRand struct {
	t     *testing.T
	items []randItem
}

type randItem struct {
	raw, scalar []byte
}

func (r *transcriptRand) Read(b []byte) (int, error) {
	if len(r.items) == 0 {
		r.t.Fatal("more randomness asked for than the transcript has")
	}
	it := r.items[0]
	r.items = r.items[1:]
	if it.scalar != nil { // randomScalar adds 1 to what it reads, mod n-1
		new(big.Int).Sub(new(big.Int).SetBytes(it.scalar), big.NewInt(1)).FillBytes(b)
		return len(b), nil
	}
	if len(it.raw) != len(b) {
		r.t.Fatalf("%d random bytes asked for, the transcript has %d", len(b), len(it.raw))
	}
	return copy(b, it.raw), nil
}

// gaCommand and gaResponse are the APDUs of PACE's GENERAL AUTHENTICATE
// (ICAO 9303-11 4.4.4.2, Table 4) around the given data objects.
func gaCommand(last bool, objects ...[]byte) []byte {
	c := iso7816.Command{CLA: 0x10, INS: 0x86, Data: iso7816.EncodeTLV(0x7C, objects...), Ne: 256}
	if last {
		c.CLA = 0
	}
	b, _ := c.Bytes()
	return b
}

func gaResponse(objects ...[]byte) []byte {
	return append(iso7816.EncodeTLV(0x7C, objects...), 0x90, 0x00)
}

// TestPACEAppendixH1Transcript runs Session.PACE with integrated mapping
// against APDUs built from Appendix H.1's values (the standard prints
// none): the terminal must send exactly t and its key, and accept the
// chip's answers.
func TestPACEAppendixH1Transcript(t *testing.T) {
	var v paceIMVector
	loadVector(t, "pace_im_ecdh_appendix_h1", &v)
	info := PACEInfoWith(IntegratedMapping, AES128, 13)
	pw, _ := CANPassword(h1CAN)
	mse := append([]byte{0x00, 0x22, 0xC1, 0xA4, 0x0F, 0x80, 0x0A}, v.OID.b(t)...)
	mse = append(mse, 0x83, 0x01, 0x02)
	steps := func(ga2 []byte) []step {
		return []step{
			{mse, []byte{0x90, 0x00}},
			{gaCommand(false), gaResponse(iso7816.EncodeTLV(0x80, v.Z.b(t)))},
			{gaCommand(false, iso7816.EncodeTLV(0x81, v.T.b(t))), ga2},
			{gaCommand(false, iso7816.EncodeTLV(0x83, v.TermPK.b(t))), gaResponse(iso7816.EncodeTLV(0x84, v.ChipPK.b(t)))},
			{gaCommand(true, iso7816.EncodeTLV(0x85, v.TIFD.b(t))), gaResponse(iso7816.EncodeTLV(0x86, v.TIC.b(t)))},
		}
	}
	random := func() *transcriptRand {
		return &transcriptRand{t: t, items: []randItem{{raw: v.T.b(t)}, {scalar: v.TermSK.b(t)}}}
	}
	for _, tc := range []struct {
		name string
		ga2  []byte
		want error
	}{
		{"empty DO'82'", gaResponse(iso7816.EncodeTLV(0x82, nil)), nil},
		{"no DO'82'", gaResponse(), nil},
		{"mapping data in DO'82'", gaResponse(iso7816.EncodeTLV(0x82, v.ChipPK.b(t))), ErrProtocol},
		{"malformed answer", []byte{0x7C, 0x05, 0x82, 0x00, 0x90, 0x00}, ErrProtocol},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tr := &script{t: t, steps: steps(tc.ga2)}
			s := NewSession(tr, random())
			err := s.PACE(context.Background(), info, pw, false)
			if !errors.Is(err, tc.want) || (err == nil) != (tc.want == nil) {
				t.Fatalf("PACE: %v, want %v", err, tc.want)
			}
			if err != nil {
				return
			}
			if tr.i != 5 || !s.Secure() || s.ChipAuthenticationMapping() != nil {
				t.Fatalf("after PACE: %d APDUs, secure %v", tr.i, s.Secure())
			}
			want, _ := NewSuite(AES128, v.K.b(t))
			p, _ := want.Protect(iso7816.Command{INS: 0xA4, P1: 4, P2: 0x0C, Data: AID})
			got, _ := s.sm.Protect(iso7816.Command{INS: 0xA4, P1: 4, P2: 0x0C, Data: AID})
			if !bytes.Equal(p.Data, got.Data) {
				t.Fatal("session keys differ from KDF(K)")
			}
		})
	}
}

type paceCAMVector struct {
	paceGMVector
	StaticKeyInfo hexs `json:"chip_authentication_public_key_info"`
	StaticPK      hexs `json:"chip_static_public_key"`
	AIC           hexs `json:"encrypted_chip_authentication_data"`
	CAIC          hexs `json:"chip_authentication_data"`
	IV            hexs `json:"ca_data_iv"`
}

// i1StaticKey is the chip's static key of Appendix I.1, from its
// ChipAuthenticationPublicKeyInfo (key ID 13).
func (v paceCAMVector) staticKey(t *testing.T) ChipAuthenticationKey {
	t.Helper()
	infos, err := ParseSecurityInfos(iso7816.EncodeTLV(0x31, v.StaticKeyInfo.b(t)))
	if err != nil || len(infos.ChipAuthenticationKeys) != 1 {
		t.Fatalf("ChipAuthenticationPublicKeyInfo: %+v %v", infos, err)
	}
	k := infos.ChipAuthenticationKeys[0]
	pub := k.Key.(*ecdsa.PublicKey)
	c, _ := keys.Of(pub.Curve)
	if k.KeyID != 13 || !k.Protocol.Equal(OIDPKECDH) || !bytes.Equal(c.EncodePoint(pub.X, pub.Y), v.StaticPK.b(t)) {
		t.Fatalf("static key %+v", k)
	}
	return k
}

// TestPACEAppendixI1Steps recomputes Appendix I.1 (chip authentication
// mapping, brainpoolP256r1, AES-128): generic mapping as in G.1, then the
// IV, the decryption of A_IC and PK_Map,IC = CA_IC·PK_IC.
func TestPACEAppendixI1Steps(t *testing.T) {
	var v paceCAMVector
	loadVector(t, "pace_cam_ecdh_appendix_i1", &v)
	info, p, pw := v.setup(t)
	if info.Mapping() != ChipAuthenticationMapping || p.mapping != ChipAuthenticationMapping || p.cipher != AES128 ||
		!info.Protocol.Equal(PACEInfoWith(ChipAuthenticationMapping, AES128, 13).Protocol) {
		t.Fatalf("variant %v %+v", info, p)
	}
	eq(t, "password", pw.Secret, v.KPassword)
	kpi, _ := p.kpi(pw)
	eq(t, "K_pi", kpi, v.KPi)
	s, _ := p.nonce(kpi, v.Z.b(t), false)
	eq(t, "s", s, v.S)
	x, y, _ := p.point(v.ChipMapPK.b(t))
	hx, hy := p.curve.ScalarMult(x, y, v.TermMapSK.b(t))
	eq(t, "H", p.curve.EncodePoint(hx, hy), v.H)
	gx, gy, _ := p.mapGenerator(s, hx, hy)
	eq(t, "mapped G", p.curve.EncodePoint(gx, gy), v.MappedG)
	eq(t, "PK_IFD", p.curve.EncodePoint(p.curve.ScalarMult(gx, gy, v.TermSK.b(t))), v.TermPK)
	cx, cy, _ := p.point(v.ChipPK.b(t))
	k := sharedX(p.curve, cx, cy, v.TermSK.b(t))
	eq(t, "K", k, v.K)
	enc, _ := KDF(AES128, k, CounterEnc)
	mac, _ := KDF(AES128, k, CounterMAC)
	eq(t, "KSenc", enc, v.KSEnc)
	eq(t, "KSmac", mac, v.KSMac)
	eq(t, "T_IFD input", p.tokenInput(v.ChipPK.b(t)), v.TIFDInput)
	eq(t, "T_IC input", p.tokenInput(v.TermPK.b(t)), v.TICInput)
	tIFD, _ := p.token(mac, v.ChipPK.b(t))
	eq(t, "T_IFD", tIFD, v.TIFD)
	_, iv, _ := p.caDataCipher(k)
	eq(t, "IV = E(KSenc, -1)", iv, v.IV)
	ca, err := p.decryptCAData(k, v.AIC.b(t))
	if err != nil {
		t.Fatal(err)
	}
	eq(t, "CA_IC", ca, v.CAIC)
	aIC, _ := p.encryptCAData(k, ca)
	eq(t, "A_IC (chip)", aIC, v.AIC)
	answer, err := iso7816.Unwrap(v.GA4Resp.b(t)[:len(v.GA4Resp.b(t))-2], 0x7C)
	if err != nil {
		t.Fatal(err)
	}
	key := v.staticKey(t)
	if err := p.camProof(k, answer, x, y).Verify(key); err != nil {
		t.Fatalf("PK_Map,IC = CA_IC·PK_IC: %v", err)
	}
	// The same proof against another key, or under another K, fails.
	other, _ := ecdsa.GenerateKey(p.curve.Curve, rand.Reader)
	if err := p.camProof(k, answer, x, y).Verify(ChipAuthenticationKey{Protocol: OIDPKECDH, Key: &other.PublicKey}); !errors.Is(err, ErrChipAuthentication) {
		t.Fatalf("another static key: %v", err)
	}
	if err := p.camProof(v.KSEnc.b(t), answer, x, y).Verify(key); !errors.Is(err, ErrChipAuthentication) {
		t.Fatalf("another K: %v", err)
	}
}

// TestPACEAppendixI1Transcript runs Session.PACE with chip authentication
// mapping against Appendix I.1's APDUs (GA2/GA3 built from its keys, as
// the standard prints only their values), then checks the proof.
func TestPACEAppendixI1Transcript(t *testing.T) {
	var v paceCAMVector
	loadVector(t, "pace_cam_ecdh_appendix_i1", &v)
	info, _, pw := v.setup(t)
	ga4 := v.GA4Resp.b(t)
	answer4, _ := iso7816.Unwrap(ga4[:len(ga4)-2], 0x7C)
	token, _, _ := iso7816.Find(answer4, 0x86)
	aIC := v.AIC.b(t)
	flipped := append([]byte(nil), aIC...)
	flipped[5] ^= 1
	for _, tc := range []struct {
		name string
		ga4  []byte
		want error // of CAMProof.Verify
	}{
		{"published", ga4, nil},
		{"A_IC changed", gaResponse(iso7816.EncodeTLV(0x86, token), iso7816.EncodeTLV(0x8A, flipped)), ErrChipAuthentication},
		{"A_IC cut", gaResponse(iso7816.EncodeTLV(0x86, token), iso7816.EncodeTLV(0x8A, aIC[:32])), ErrChipAuthentication},
		{"A_IC not whole blocks", gaResponse(iso7816.EncodeTLV(0x86, token), iso7816.EncodeTLV(0x8A, aIC[:40])), ErrChipAuthentication},
		{"no A_IC", gaResponse(iso7816.EncodeTLV(0x86, token)), ErrChipAuthentication},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tr := &script{t: t, steps: []step{
				{v.MSE.b(t), []byte{0x90, 0x00}},
				{gaCommand(false), v.GA1Resp.b(t)},
				{gaCommand(false, iso7816.EncodeTLV(0x81, v.TermMapPK.b(t))), gaResponse(iso7816.EncodeTLV(0x82, v.ChipMapPK.b(t)))},
				{gaCommand(false, iso7816.EncodeTLV(0x83, v.TermPK.b(t))), gaResponse(iso7816.EncodeTLV(0x84, v.ChipPK.b(t)))},
				{v.GA4Cmd.b(t), tc.ga4},
			}}
			s := NewSession(tr, &transcriptRand{t: t, items: []randItem{{scalar: v.TermMapSK.b(t)}, {scalar: v.TermSK.b(t)}}})
			if err := s.PACE(context.Background(), info, pw, false); err != nil {
				t.Fatal(err)
			}
			proof := s.ChipAuthenticationMapping()
			if tr.i != 5 || !s.Secure() || proof == nil {
				t.Fatalf("after PACE: %d APDUs, secure %v, proof %v", tr.i, s.Secure(), proof)
			}
			err := proof.Verify(v.staticKey(t))
			if !errors.Is(err, tc.want) || (err == nil) != (tc.want == nil) {
				t.Fatalf("verify: %v, want %v", err, tc.want)
			}
		})
	}
}

func TestCheckPACE(t *testing.T) {
	for _, tc := range []struct {
		info PACEInfo
		name string
		ok   bool
	}{
		{PACEInfoFor(AES128, 13), "id-PACE-ECDH-GM-AES-CBC-CMAC-128 on domain parameters 13 (brainpoolP256r1)", true},
		{PACEInfoWith(IntegratedMapping, AES256, 16), "id-PACE-ECDH-IM-AES-CBC-CMAC-256 on domain parameters 16 (brainpoolP384r1)", true},
		{PACEInfoWith(IntegratedMapping, TDES, 12), "id-PACE-ECDH-IM-3DES-CBC-CBC on domain parameters 12 (P-256)", true},
		{PACEInfoWith(ChipAuthenticationMapping, AES192, 17), "id-PACE-ECDH-CAM-AES-CBC-CMAC-192 on domain parameters 17 (brainpoolP512r1)", true},
		{PACEInfoWith(IntegratedMapping, AES128, 10), "id-PACE-ECDH-IM-AES-CBC-CMAC-128 on domain parameters 10 (P-224)", false}, // p ≡ 1 mod 4
		{PACEInfoWith(ChipAuthenticationMapping, TDES, 13), "id-PACE-ECDH-CAM-3DES-CBC-CBC on domain parameters 13 (brainpoolP256r1)", false},
		{PACEInfoFor(AES128, 99), "id-PACE-ECDH-GM-AES-CBC-CMAC-128 on domain parameters 99", false},
		{PACEInfo{Protocol: protocolOID(oidPACE, arcDH, AES128), ParameterID: 0}, "id-PACE-DH-GM-AES-CBC-CMAC-128 on domain parameters 0", false},
		{PACEInfo{Protocol: protocolOID(oidPACE, arcDHIM, AES128), ParameterID: -1}, "id-PACE-DH-IM-AES-CBC-CMAC-128", false},
		{PACEInfo{Protocol: asn1.ObjectIdentifier{1, 2, 3}, ParameterID: -1}, "1.2.3", false},
	} {
		if got := tc.info.String(); got != tc.name {
			t.Errorf("String() = %q, want %q", got, tc.name)
		}
		err := CheckPACE(tc.info)
		if (err == nil) != tc.ok || (err != nil && (!errors.Is(err, ErrPACENotSupported) || !strings.Contains(err.Error(), tc.name))) {
			t.Errorf("%s: %v", tc.name, err)
		}
		infos := &SecurityInfos{PACE: []PACEInfo{tc.info}}
		if _, ok := SupportedPACE(infos); ok != tc.ok {
			t.Errorf("%s: SupportedPACE %v", tc.name, ok)
		}
	}
}

// TestPACEMappingsAgainstChip runs every mapping, cipher and curve family
// between Session.PACE and PACEChip, with both passwords, a wrong one, and
// for chip authentication mapping a genuine and a cloned chip.
func TestPACEMappingsAgainstChip(t *testing.T) {
	can, _ := CANPassword("345678")
	mrz, _ := MRZPassword(BACKey{DocumentNumber: "195012345", DateOfBirth: "950308", DateOfExpiry: "350308"})
	wrong, _ := CANPassword("345679")
	for _, tc := range []struct {
		m  Mapping
		c  Cipher
		id int
	}{
		{IntegratedMapping, AES128, 13}, {IntegratedMapping, AES192, 13}, {IntegratedMapping, AES256, 13},
		{IntegratedMapping, TDES, 13}, {IntegratedMapping, AES128, 12}, {IntegratedMapping, AES256, 15},
		{IntegratedMapping, AES128, 18}, {IntegratedMapping, AES128, 17}, {IntegratedMapping, AES192, 14},
		{ChipAuthenticationMapping, AES128, 13}, {ChipAuthenticationMapping, AES192, 12},
		{ChipAuthenticationMapping, AES256, 16}, {ChipAuthenticationMapping, AES128, 18},
	} {
		info := PACEInfoWith(tc.m, tc.c, tc.id)
		t.Run(info.String(), func(t *testing.T) {
			curve, _ := keys.CurveByParameterID(tc.id)
			static, _ := ecdsa.GenerateKey(curve.Curve, rand.Reader)
			key := ChipAuthenticationKey{Protocol: OIDPKECDH, Key: &static.PublicKey}
			for _, pw := range []PACEPassword{can, mrz} {
				s := NewSession(&paceCard{info: info, pw: pw, static: static}, nil)
				if err := s.PACE(context.Background(), info, pw, true); err != nil {
					t.Fatal(err)
				}
				if _, err := s.call(context.Background(), "SELECT", iso7816.Command{INS: 0xA4, P1: 4, P2: 0x0C, Data: AID}); err != nil {
					t.Fatalf("secure messaging after PACE: %v", err)
				}
				proof := s.ChipAuthenticationMapping()
				if (proof != nil) != (tc.m == ChipAuthenticationMapping) {
					t.Fatalf("proof %v after %v", proof, tc.m)
				}
				if proof == nil {
					continue
				}
				if err := proof.Verify(key); err != nil {
					t.Fatalf("genuine chip: %v", err)
				}
				clone, _ := ecdsa.GenerateKey(curve.Curve, rand.Reader)
				s = NewSession(&paceCard{info: info, pw: pw, static: clone}, nil)
				if err := s.PACE(context.Background(), info, pw, false); err != nil {
					t.Fatal(err)
				}
				if err := s.ChipAuthenticationMapping().Verify(key); !errors.Is(err, ErrChipAuthentication) {
					t.Fatalf("cloned chip: %v", err)
				}
			}
			if err := NewSession(&paceCard{info: info, pw: can, static: static}, nil).PACE(context.Background(), info, wrong, false); !errors.Is(err, ErrAccessDenied) {
				t.Fatalf("wrong CAN: %v", err)
			}
		})
	}
}

// TestCAMProofKeys checks that a proof is held only against an ECDH key on
// PACE's curve.
func TestCAMProofKeys(t *testing.T) {
	info := PACEInfoWith(ChipAuthenticationMapping, AES128, 13)
	bp, _ := keys.CurveByName("brainpoolP256r1")
	p256, _ := keys.CurveByName("P-256")
	static, _ := ecdsa.GenerateKey(bp.Curve, rand.Reader)
	pw, _ := CANPassword("345678")
	s := NewSession(&paceCard{info: info, pw: pw, static: static}, nil)
	if err := s.PACE(context.Background(), info, pw, false); err != nil {
		t.Fatal(err)
	}
	onP256, _ := ecdsa.GenerateKey(p256.Curve, rand.Reader)
	for _, tc := range []struct {
		name string
		key  ChipAuthenticationKey
		want error
	}{
		{"genuine", ChipAuthenticationKey{Protocol: OIDPKECDH, Key: &static.PublicKey}, nil},
		{"other curve", ChipAuthenticationKey{Protocol: OIDPKECDH, Key: &onP256.PublicKey}, ErrUnsupported},
		{"DH key", ChipAuthenticationKey{Protocol: protocolArc(oidPK, arcDH), Key: &static.PublicKey}, ErrUnsupported},
		{"no key", ChipAuthenticationKey{Protocol: OIDPKECDH}, ErrUnsupported},
	} {
		if err := s.ChipAuthenticationMapping().Verify(tc.key); !errors.Is(err, tc.want) || (err == nil) != (tc.want == nil) {
			t.Errorf("%s: %v, want %v", tc.name, err, tc.want)
		}
	}
	// A CAM chip needs its static key, on PACE's curve.
	for _, k := range []*ecdsa.PrivateKey{nil, onP256} {
		if _, err := NewPACEChip(info, pw, k, randReader{}); !errors.Is(err, ErrUnsupported) {
			t.Errorf("chip key %v: %v", k != nil, err)
		}
	}
}

func TestSupportedPACEPrefers(t *testing.T) {
	gm := PACEInfoFor(AES128, 13)
	im := PACEInfoWith(IntegratedMapping, AES128, 13)
	cam := PACEInfoWith(ChipAuthenticationMapping, AES128, 13)
	unknown := PACEInfoWith(ChipAuthenticationMapping, AES128, 99)
	for _, tc := range []struct {
		offered []PACEInfo
		want    PACEInfo
	}{
		{[]PACEInfo{gm}, gm},
		{[]PACEInfo{gm, im}, im},
		{[]PACEInfo{gm, im, cam}, cam},
		{[]PACEInfo{unknown, gm}, gm},
		{[]PACEInfo{PACEInfoFor(AES256, 13), gm}, PACEInfoFor(AES256, 13)},
	} {
		got, ok := SupportedPACE(&SecurityInfos{PACE: tc.offered})
		if !ok || got.String() != tc.want.String() {
			t.Errorf("%v: chose %v", tc.offered, got)
		}
	}
	if _, ok := SupportedPACE(&SecurityInfos{PACE: []PACEInfo{unknown}}); ok {
		t.Error("chose an unknown variant")
	}
}
