package emrtd

import (
	"bytes"
	"context"
	"crypto/sha1"
	"encoding/binary"
	"errors"
	"testing"

	"github.com/xanode/xanode/reader/iso7816"
)

func TestCheckDigitsPart3(t *testing.T) {
	var v struct {
		Cases []struct {
			Name  string `json:"name"`
			Input string `json:"input_ascii"`
			Check int    `json:"check_digit"`
		} `json:"cases"`
	}
	loadVector(t, "check_digits_part3_appendix_a", &v)
	if len(v.Cases) == 0 {
		t.Fatal("no cases")
	}
	for _, c := range v.Cases {
		got, err := CheckDigit(c.Input)
		if err != nil || got != c.Check {
			t.Errorf("%s: CheckDigit(%q) = %d, %v; want %d", c.Name, c.Input, got, err, c.Check)
		}
	}
	if _, err := CheckDigit("ab1"); err == nil {
		t.Error("lower case accepted as MRZ characters")
	}
}

func TestMRZInformationTD1Specimen(t *testing.T) {
	var v struct {
		Doc      string `json:"document_number_ascii"`
		DocCheck int    `json:"document_number_check_digit"`
		DOB      string `json:"date_of_birth_ascii"`
		DOBCheck int    `json:"date_of_birth_check_digit"`
		Exp      string `json:"date_of_expiry_ascii"`
		ExpCheck int    `json:"date_of_expiry_check_digit"`
		Info     string `json:"bac_mrz_information_ascii"`
	}
	loadVector(t, "mrz_td1_specimen_part5", &v)
	for _, c := range []struct {
		f    string
		want int
	}{{v.Doc, v.DocCheck}, {v.DOB, v.DOBCheck}, {v.Exp, v.ExpCheck}} {
		if got, err := CheckDigit(c.f); err != nil || got != c.want {
			t.Errorf("CheckDigit(%q) = %d, %v; want %d", c.f, got, err, c.want)
		}
	}
	info, err := BACKey{DocumentNumber: v.Doc, DateOfBirth: v.DOB, DateOfExpiry: v.Exp}.MRZInformation()
	if err != nil || info != v.Info {
		t.Fatalf("MRZInformation = %q, %v; want %q", info, err, v.Info)
	}
}

func TestMRZInformationLongDocumentNumber(t *testing.T) {
	var v struct {
		Line2 string `json:"td1_line2_ascii"`
		Doc   string `json:"document_number_ascii"`
		Info  string `json:"mrz_information_ascii"`
		KSeed hexs   `json:"kseed"`
	}
	loadVector(t, "bac_appendix_d2_long_document_number", &v)
	k := BACKey{DocumentNumber: v.Doc, DateOfBirth: v.Line2[0:6], DateOfExpiry: v.Line2[8:14]}
	info, err := k.MRZInformation()
	if err != nil || info != v.Info {
		t.Fatalf("MRZInformation = %q, %v; want %q", info, err, v.Info)
	}
	seed, err := k.Seed()
	if err != nil {
		t.Fatal(err)
	}
	eq(t, "Kseed", seed, v.KSeed)
}

func TestBACKeyRejects(t *testing.T) {
	for _, k := range []BACKey{
		{DocumentNumber: "", DateOfBirth: "900115", DateOfExpiry: "300115"},
		{DocumentNumber: "09001234", DateOfBirth: "9001", DateOfExpiry: "300115"},
		{DocumentNumber: "09001234", DateOfBirth: "901315", DateOfExpiry: "300115"},
		{DocumentNumber: "09001234", DateOfBirth: "900115", DateOfExpiry: "30O115"},
		{DocumentNumber: "0900-1234", DateOfBirth: "900115", DateOfExpiry: "300115"},
	} {
		if _, err := k.Seed(); !errors.Is(err, ErrInvalidKey) {
			t.Errorf("%+v: err = %v, want ErrInvalidKey", k, err)
		}
	}
	// Unknown month and day are fillers in the MRZ, and still a valid key.
	if _, err := (BACKey{DocumentNumber: "123456789", DateOfBirth: "50<<<<", DateOfExpiry: "300115"}).Seed(); err != nil {
		t.Errorf("partial date of birth: %v", err)
	}
}

// TestBACAppendixD checks every intermediate of ICAO 9303-11 D.1-D.3.
func TestBACAppendixD(t *testing.T) {
	var v bacVector
	loadVector(t, "bac_appendix_d", &v)
	key := BACKey{DocumentNumber: v.DocumentNumber, DateOfBirth: v.DateOfBirth, DateOfExpiry: v.DateOfExpiry}
	info, err := key.MRZInformation()
	if err != nil || info != v.MRZInformation {
		t.Fatalf("MRZInformation = %q, %v; want %q", info, err, v.MRZInformation)
	}
	for _, c := range []struct{ field, want string }{
		{v.DocumentNumber, v.DocumentNumberCheck}, {v.DateOfBirth, v.DateOfBirthCheck}, {v.DateOfExpiry, v.DateOfExpiryCheck},
	} {
		if got, _ := CheckDigitChar(c.field); string(got) != c.want {
			t.Errorf("check digit of %s = %c, want %s", c.field, got, c.want)
		}
	}
	h := sha1.Sum([]byte(info))
	eq(t, "SHA-1(MRZ information)", h[:], v.SHA1MRZ)
	seed, err := key.Seed()
	if err != nil {
		t.Fatal(err)
	}
	eq(t, "Kseed", seed, v.KSeed)
	for _, c := range []struct {
		counter      uint32
		sha, pre, ok hexs
	}{{1, v.SHA1Counter1, v.KEncBeforeParity, v.KEnc}, {2, v.SHA1Counter2, v.KMacBeforeParity, v.KMac}} {
		h := sha1.Sum(binary.BigEndian.AppendUint32(append([]byte(nil), seed...), c.counter))
		eq(t, "SHA-1(Kseed||c)", h[:], c.sha)
		eq(t, "key before parity", h[:16], c.pre)
	}
	keys, err := DeriveBACKeys(key)
	if err != nil {
		t.Fatal(err)
	}
	eq(t, "Kenc", keys.Enc, v.KEnc)
	eq(t, "Kmac", keys.MAC, v.KMac)

	term := &bacTerminal{keys: keys, rndIC: v.RndIC.b(t), rndIFD: v.RndIFD.b(t), kIFD: v.KIFD.b(t)}
	data, err := term.command()
	if err != nil {
		t.Fatal(err)
	}
	eq(t, "E.IFD || M.IFD", data, v.ExtAuthData)
	eq(t, "E.IFD", data[:32], v.EIFD)
	eq(t, "M.IFD", data[32:], v.MIFD)

	// The chip's side, with K.IC injected.
	resp, chipSM, err := AnswerExternalAuthenticate(keys, v.RndIC.b(t), v.KIC.b(t), data)
	if err != nil {
		t.Fatal(err)
	}
	eq(t, "E.IC || M.IC", resp, v.ExtAuthResp)
	eq(t, "E.IC", resp[:32], v.EIC)
	eq(t, "M.IC", resp[32:], v.MIC)
	eq(t, "chip SSC", chipSM.SSC(), v.SSC)

	sm, err := term.finish(resp)
	if err != nil {
		t.Fatal(err)
	}
	eq(t, "terminal SSC", sm.SSC(), v.SSC)
	seedXOR := make([]byte, 16)
	for i := range seedXOR {
		seedXOR[i] = v.KIFD.b(t)[i] ^ v.KIC.b(t)[i]
	}
	eq(t, "session key seed", seedXOR, v.SessionSeed)
	ks, err := bacKeysFromSeed(seedXOR)
	if err != nil {
		t.Fatal(err)
	}
	eq(t, "KSenc", ks.Enc, v.KSEnc)
	eq(t, "KSmac", ks.MAC, v.KSMac)
}

// TestSessionTranscriptAppendixD runs the Session against the published
// transcript D.3 + D.4 APDU for APDU: BAC with the injected RND.IFD and
// K.IFD, then reading EF.COM in 4 + 18 bytes under secure messaging.
func TestSessionTranscriptAppendixD(t *testing.T) {
	var b bacVector
	loadVector(t, "bac_appendix_d", &b)
	var d smVector
	loadVector(t, "sm_3des_appendix_d4", &d)
	tr := &script{t: t, steps: []step{
		{b.GetChallengeCmd.b(t), b.GetChallengeResp.b(t)},
		{b.ExtAuthCmd.b(t), append(b.ExtAuthResp.b(t), 0x90, 0x00)},
	}}
	for _, s := range d.steps() {
		tr.steps = append(tr.steps, step{s.s.Protected.b(t), s.s.ProtectedResponse.b(t)})
	}
	rnd := bytes.NewReader(append(b.RndIFD.b(t), b.KIFD.b(t)...))
	s := NewSession(tr, rnd)
	ctx := context.Background()
	if err := s.BAC(ctx, BACKey{DocumentNumber: b.DocumentNumber, DateOfBirth: b.DateOfBirth, DateOfExpiry: b.DateOfExpiry}); err != nil {
		t.Fatalf("BAC: %v", err)
	}
	eq(t, "SSC after BAC", s.sm.SSC(), d.SSCInitial)
	com, err := s.ReadFile(ctx, FileCOM)
	if err != nil {
		t.Fatalf("ReadFile(COM): %v", err)
	}
	eq(t, "EF.COM", com, d.EFCOM)
	eq(t, "SSC after reading", s.sm.SSC(), d.Read18.SSCResponse)
	if s.APDUs() != 5 || tr.i != len(tr.steps) {
		t.Fatalf("APDUs = %d, script at %d of %d", s.APDUs(), tr.i, len(tr.steps))
	}
}

func TestBACWrongKey(t *testing.T) {
	var b bacVector
	loadVector(t, "bac_appendix_d", &b)
	for _, sw := range []string{"6300", "6988", "6982", "6F00"} {
		t.Run(sw, func(t *testing.T) {
			tr := &script{t: t, steps: []step{
				{nil, b.GetChallengeResp.b(t)},
				{nil, hexs(sw).b(t)},
			}}
			s := NewSession(tr, nil)
			err := s.BAC(context.Background(), BACKey{DocumentNumber: "123456789", DateOfBirth: "900101", DateOfExpiry: "300101"})
			if !errors.Is(err, ErrAccessDenied) {
				t.Fatalf("err = %v, want ErrAccessDenied", err)
			}
			var got iso7816.StatusWord
			if !errors.As(err, &got) || got.Error() == "" || s.Secure() {
				t.Fatalf("status not carried (%v) or session secure", got)
			}
		})
	}
}

func TestBACBadCardAnswers(t *testing.T) {
	var b bacVector
	loadVector(t, "bac_appendix_d", &b)
	good := append(b.ExtAuthResp.b(t), 0x90, 0x00)
	flipped := append([]byte(nil), good...)
	flipped[3] ^= 0x01 // E.IC changed: M.IC no longer matches
	otherNonce := append([]byte(nil), good...)
	key := BACKey{DocumentNumber: b.DocumentNumber, DateOfBirth: b.DateOfBirth, DateOfExpiry: b.DateOfExpiry}
	tests := []struct {
		name      string
		challenge []byte
		auth      []byte
		rnd       []byte
		want      error
	}{
		{"short challenge", hexs("4608F9199000").b(t), nil, nil, ErrProtocol},
		{"no status word", []byte{0x90}, nil, nil, ErrProtocol},
		{"challenge refused", hexs("6D00").b(t), nil, nil, iso7816.StatusINSNotSupported},
		{"card cryptogram tampered", b.GetChallengeResp.b(t), flipped, nil, ErrProtocol},
		{"short card cryptogram", b.GetChallengeResp.b(t), good[10:], nil, ErrProtocol},
		{"nonce mismatch", b.GetChallengeResp.b(t), otherNonce, append(b.RndIFD.b(t)[:7], 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0), ErrProtocol},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tr := &script{t: t, steps: []step{{nil, tc.challenge}, {nil, tc.auth}}}
			rnd := tc.rnd
			if rnd == nil {
				rnd = append(b.RndIFD.b(t), b.KIFD.b(t)...)
			}
			s := NewSession(tr, bytes.NewReader(rnd))
			err := s.BAC(context.Background(), key)
			if !errors.Is(err, tc.want) || s.Secure() {
				t.Fatalf("err = %v (secure %v), want %v", err, s.Secure(), tc.want)
			}
		})
	}
}

func TestAnswerExternalAuthenticateWrongKey(t *testing.T) {
	var b bacVector
	loadVector(t, "bac_appendix_d", &b)
	keys, _ := DeriveBACKeys(BACKey{DocumentNumber: b.DocumentNumber, DateOfBirth: b.DateOfBirth, DateOfExpiry: b.DateOfExpiry})
	other, _ := DeriveBACKeys(BACKey{DocumentNumber: "L898902C", DateOfBirth: "690807", DateOfExpiry: b.DateOfExpiry})
	term := &bacTerminal{keys: other, rndIC: b.RndIC.b(t), rndIFD: b.RndIFD.b(t), kIFD: b.KIFD.b(t)}
	data, _ := term.command()
	if _, _, err := AnswerExternalAuthenticate(keys, b.RndIC.b(t), b.KIC.b(t), data); !errors.Is(err, ErrAccessDenied) {
		t.Fatalf("wrong key: err = %v", err)
	}
	// Right key but a stale challenge: the terminal did not answer ours.
	term = &bacTerminal{keys: keys, rndIC: make([]byte, 8), rndIFD: b.RndIFD.b(t), kIFD: b.KIFD.b(t)}
	data, _ = term.command()
	if _, _, err := AnswerExternalAuthenticate(keys, b.RndIC.b(t), b.KIC.b(t), data); !errors.Is(err, ErrAccessDenied) {
		t.Fatalf("stale challenge: err = %v", err)
	}
	if _, _, err := AnswerExternalAuthenticate(keys, b.RndIC.b(t), b.KIC.b(t), data[:39]); !errors.Is(err, ErrProtocol) {
		t.Fatalf("short data: err = %v", err)
	}
}
