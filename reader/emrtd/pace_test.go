package emrtd

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/rand"
	"errors"
	"math/big"
	"testing"

	"github.com/xanode/xanode/reader/iso7816"
)

type paceGMVector struct {
	DocumentNumber string `json:"document_number_ascii"`
	DateOfBirth    string `json:"date_of_birth_ascii"`
	DateOfExpiry   string `json:"date_of_expiry_ascii"`
	KPassword      hexs   `json:"k_password"`
	KPi            hexs   `json:"k_pi"`
	PACEInfo       hexs   `json:"pace_info"`
	MSE            hexs   `json:"mse_set_at_command"`
	S              hexs   `json:"s"`
	Z              hexs   `json:"z"`
	GA1Cmd         hexs   `json:"ga1_command"`
	GA1Resp        hexs   `json:"ga1_response"`
	TermMapSK      hexs   `json:"terminal_mapping_private_key"`
	TermMapPK      hexs   `json:"terminal_mapping_public_key"`
	ChipMapSK      hexs   `json:"chip_mapping_private_key"`
	ChipMapPK      hexs   `json:"chip_mapping_public_key"`
	H              hexs   `json:"mapping_shared_secret_h"`
	MappedG        hexs   `json:"mapped_generator"`
	GA2Cmd         hexs   `json:"ga2_command"`
	GA2Resp        hexs   `json:"ga2_response"`
	TermSK         hexs   `json:"terminal_ephemeral_private_key"`
	TermPK         hexs   `json:"terminal_ephemeral_public_key"`
	ChipSK         hexs   `json:"chip_ephemeral_private_key"`
	ChipPK         hexs   `json:"chip_ephemeral_public_key"`
	K              hexs   `json:"shared_secret_k"`
	GA3Cmd         hexs   `json:"ga3_command"`
	GA3Resp        hexs   `json:"ga3_response"`
	KSEnc          hexs   `json:"ks_enc"`
	KSMac          hexs   `json:"ks_mac"`
	TIFDInput      hexs   `json:"t_ifd_input"`
	TICInput       hexs   `json:"t_ic_input"`
	TIFD           hexs   `json:"t_ifd"`
	TIC            hexs   `json:"t_ic"`
	GA4Cmd         hexs   `json:"ga4_command"`
	GA4Resp        hexs   `json:"ga4_response"`
}

func (v paceGMVector) setup(t *testing.T) (PACEInfo, pace, PACEPassword) {
	t.Helper()
	infos, err := ParseSecurityInfos(iso7816.EncodeTLV(0x31, v.PACEInfo.b(t)))
	if err != nil || len(infos.PACE) != 1 {
		t.Fatalf("PACEInfo: %+v %v", infos, err)
	}
	p, err := paceFor(infos.PACE[0])
	if err != nil {
		t.Fatal(err)
	}
	pw, err := MRZPassword(BACKey{DocumentNumber: v.DocumentNumber, DateOfBirth: v.DateOfBirth, DateOfExpiry: v.DateOfExpiry})
	if err != nil {
		t.Fatal(err)
	}
	return infos.PACE[0], p, pw
}

// TestPACEAppendixG1Steps recomputes every intermediate value of ICAO
// 9303-11 Appendix G.1 (generic mapping, brainpoolP256r1, AES-128).
func TestPACEAppendixG1Steps(t *testing.T) {
	var v paceGMVector
	loadVector(t, "pace_gm_ecdh_appendix_g1", &v)
	_, p, pw := v.setup(t)
	if p.curve.Name != "brainpoolP256r1" || p.cipher != AES128 {
		t.Fatalf("variant %s %v", p.curve.Name, p.cipher)
	}
	eq(t, "password", pw.Secret, v.KPassword)
	kpi, _ := p.kpi(pw)
	eq(t, "K_pi", kpi, v.KPi)
	s, err := p.nonce(kpi, v.Z.b(t), false)
	if err != nil {
		t.Fatal(err)
	}
	eq(t, "s", s, v.S)
	z, _ := p.nonce(kpi, s, true)
	eq(t, "z (chip)", z, v.Z)
	g := p.curve.Params()
	eq(t, "PK_map_IFD", p.curve.EncodePoint(p.curve.ScalarBaseMult(v.TermMapSK.b(t))), v.TermMapPK)
	eq(t, "PK_map_IC", p.curve.EncodePoint(p.curve.ScalarBaseMult(v.ChipMapSK.b(t))), v.ChipMapPK)
	x, y, _ := p.point(v.ChipMapPK.b(t))
	hx, hy := p.curve.ScalarMult(x, y, v.TermMapSK.b(t))
	eq(t, "H", p.curve.EncodePoint(hx, hy), v.H)
	gx, gy, err := p.mapGenerator(s, hx, hy)
	if err != nil {
		t.Fatal(err)
	}
	eq(t, "mapped G", p.curve.EncodePoint(gx, gy), v.MappedG)
	eq(t, "PK_IFD", p.curve.EncodePoint(p.curve.ScalarMult(gx, gy, v.TermSK.b(t))), v.TermPK)
	eq(t, "PK_IC", p.curve.EncodePoint(p.curve.ScalarMult(gx, gy, v.ChipSK.b(t))), v.ChipPK)
	cx, cy, _ := p.point(v.ChipPK.b(t))
	k := sharedX(p.curve, cx, cy, v.TermSK.b(t))
	eq(t, "K", k, v.K)
	enc, _ := KDF(AES128, k, CounterEnc)
	mac, _ := KDF(AES128, k, CounterMAC)
	eq(t, "KSenc", enc, v.KSEnc)
	eq(t, "KSmac", mac, v.KSMac)
	tIFD, _ := p.token(mac, v.ChipPK.b(t))
	tIC, _ := p.token(mac, v.TermPK.b(t))
	eq(t, "T_IFD", tIFD, v.TIFD)
	eq(t, "T_IC", tIC, v.TIC)
	if g.Gx.Cmp(gx) == 0 {
		t.Fatal("mapping did not change the generator")
	}
}

// scalarSource feeds randomScalar the bytes that make it return the given
// private keys, so a run reproduces a published transcript.
type scalarSource struct {
	t    *testing.T
	keys [][]byte
	n    *big.Int
}

func (r *scalarSource) Read(b []byte) (int, error) {
	if len(r.keys) == 0 {
		r.t.Fatal("more randomness asked for than the transcript has")
	}
	k := new(big.Int).SetBytes(r.keys[0])
	r.keys = r.keys[1:]
	k.Sub(k, big.NewInt(1)).FillBytes(b)
	return len(b), nil
}

// TestPACEAppendixG1Transcript runs Session.PACE against the APDUs of
// Appendix G.1 with the published keys in place of random ones.
func TestPACEAppendixG1Transcript(t *testing.T) {
	var v paceGMVector
	loadVector(t, "pace_gm_ecdh_appendix_g1", &v)
	info, _, pw := v.setup(t)
	tr := &script{t: t, steps: []step{
		{v.MSE.b(t), []byte{0x90, 0x00}},
		{v.GA1Cmd.b(t), v.GA1Resp.b(t)},
		{v.GA2Cmd.b(t), v.GA2Resp.b(t)},
		{v.GA3Cmd.b(t), v.GA3Resp.b(t)},
		{v.GA4Cmd.b(t), v.GA4Resp.b(t)},
	}}
	s := NewSession(tr, &scalarSource{t: t, keys: [][]byte{v.TermMapSK.b(t), v.TermSK.b(t)}})
	if err := s.PACE(context.Background(), info, pw, false); err != nil {
		t.Fatal(err)
	}
	if tr.i != 5 || !s.Secure() || !bytes.Equal(s.sm.SSC(), make([]byte, 16)) {
		t.Fatalf("after PACE: %d APDUs, secure %v", tr.i, s.Secure())
	}
	want, _ := NewSuite(AES128, v.K.b(t))
	p, _ := want.Protect(iso7816.Command{INS: 0xA4, P1: 4, P2: 0x0C, Data: AID})
	got, _ := s.sm.Protect(iso7816.Command{INS: 0xA4, P1: 4, P2: 0x0C, Data: AID})
	if !bytes.Equal(p.Data, got.Data) {
		t.Fatal("session keys differ from KDF(K)")
	}
	// A chip that refuses the terminal's token: wrong password.
	tr = &script{t: t, steps: []step{
		{nil, []byte{0x90, 0x00}}, {nil, v.GA1Resp.b(t)}, {nil, v.GA2Resp.b(t)}, {nil, v.GA3Resp.b(t)}, {nil, []byte{0x63, 0x00}},
	}}
	s = NewSession(tr, &scalarSource{t: t, keys: [][]byte{v.TermMapSK.b(t), v.TermSK.b(t)}})
	if err := s.PACE(context.Background(), info, pw, false); !errors.Is(err, ErrAccessDenied) {
		t.Fatalf("token refused: %v", err)
	}
	// A chip without PACE.
	tr = &script{t: t, steps: []step{{nil, []byte{0x6D, 0x00}}}}
	if err := NewSession(tr, nil).PACE(context.Background(), info, pw, true); !errors.Is(err, ErrPACENotSupported) {
		t.Fatalf("6D00: %v", err)
	}
}

func TestCANPassword(t *testing.T) {
	pw, err := CANPassword("012345")
	if err != nil || pw.Ref != PasswordCAN || string(pw.Secret) != "012345" {
		t.Fatalf("%+v %v", pw, err)
	}
	for _, bad := range []string{"12345", "1234567", "12a456", ""} {
		if _, err := CANPassword(bad); !errors.Is(err, ErrInvalidKey) {
			t.Errorf("CAN %q: %v", bad, err)
		}
	}
}

// paceCard is a Transport that answers PACE with PACEChip.
type paceCard struct {
	info   PACEInfo
	pw     PACEPassword
	static *ecdsa.PrivateKey // for chip authentication mapping
	chip   *PACEChip
	sm     *SecureMessaging
}

func (c *paceCard) Transmit(_ context.Context, raw []byte) ([]byte, error) {
	// Like vpcd, a transport may reuse its buffer: the chip must copy
	// what it keeps.
	defer func() {
		for i := range raw {
			raw[i] = 0xEE
		}
	}()
	cmd, err := iso7816.ParseCommand(raw)
	if err != nil {
		return nil, err
	}
	switch {
	case cmd.INS == insMSE:
		c.chip, err = NewPACEChip(c.info, c.pw, c.static, randReader{})
		if err != nil {
			return []byte{0x6A, 0x80}, nil
		}
		return []byte{0x90, 0x00}, nil
	case cmd.INS == insGeneralAuthenticate && c.sm == nil:
		out, sm, err := c.chip.Step(cmd.Data)
		if errors.Is(err, ErrAccessDenied) {
			return []byte{0x63, 0x00}, nil
		} else if err != nil {
			return []byte{0x6A, 0x80}, nil
		}
		c.sm = sm
		return iso7816.Response{Data: out, SW: iso7816.StatusOK}.Bytes(), nil
	case c.sm != nil:
		if _, err := c.sm.UnprotectCommand(cmd); err != nil {
			return []byte{0x69, 0x88}, nil
		}
		return c.sm.ProtectResponse(iso7816.Response{SW: iso7816.StatusOK})
	}
	return []byte{0x6D, 0x00}, nil
}

type randReader struct{}

func (randReader) Read(b []byte) (int, error) { return rand.Read(b) }

func TestPACEAgainstChip(t *testing.T) {
	can, _ := CANPassword("345678")
	mrz, _ := MRZPassword(BACKey{DocumentNumber: "195012345", DateOfBirth: "950308", DateOfExpiry: "350308"})
	for _, v := range []struct {
		id int
		c  Cipher
	}{{13, AES128}, {13, AES256}, {13, TDES}, {12, AES128}, {15, AES192}, {17, AES128}} {
		id, c := v.id, v.c
		info := PACEInfoFor(c, id)
		for _, pw := range []PACEPassword{can, mrz} {
			card := &paceCard{info: info, pw: pw}
			s := NewSession(card, nil)
			if err := s.PACE(context.Background(), info, pw, true); err != nil {
				t.Fatalf("parameters %d %v: %v", id, c, err)
			}
			if _, err := s.call(context.Background(), "SELECT", iso7816.Command{INS: 0xA4, P1: 4, P2: 0x0C, Data: AID}); err != nil {
				t.Fatalf("parameters %d %v: secure messaging after PACE: %v", id, c, err)
			}
		}
		wrong, _ := CANPassword("345679")
		if err := NewSession(&paceCard{info: info, pw: can}, nil).PACE(context.Background(), info, wrong, false); !errors.Is(err, ErrAccessDenied) {
			t.Fatalf("wrong CAN: %v", err)
		}
	}
}
