package emrtd

import (
	"bytes"
	"errors"
	"testing"

	"github.com/xanode/xanode/reader/iso7816"
)

func d4Session(t testing.TB, v smVector, ssc hexs) *SecureMessaging {
	t.Helper()
	suite, err := NewTDESSuite(v.KSEnc.b(t), v.KSMac.b(t))
	if err != nil {
		t.Fatal(err)
	}
	sm, err := NewSecureMessaging(suite, ssc.b(t))
	if err != nil {
		t.Fatal(err)
	}
	return sm
}

// TestSMAppendixD4 checks every intermediate of ICAO 9303-11 D.4, on the
// terminal side and on the card side.
func TestSMAppendixD4(t *testing.T) {
	var v smVector
	loadVector(t, "sm_3des_appendix_d4", &v)
	ssc := v.SSCInitial
	for _, st := range v.steps() {
		s := st.s
		t.Run(st.name, func(t *testing.T) {
			cmd, err := iso7816.ParseCommand(s.Unprotected.b(t))
			if err != nil {
				t.Fatal(err)
			}
			// Intermediates, from the same helpers Protect uses.
			sm := d4Session(t, v, ssc)
			eq(t, "padded header", Pad([]byte{cmd.CLA | claSM, cmd.INS, cmd.P1, cmd.P2}, 8), s.HeaderPadded)
			sm.incrementSSC()
			eq(t, "SSC for the command", sm.SSC(), s.SSCCommand)
			dos, err := sm.commandObjects(cmd)
			if err != nil {
				t.Fatal(err)
			}
			if s.DO87 != "" {
				eq(t, "padded data", Pad(cmd.Data, 8), s.DataPadded)
				eq(t, "encrypted data", dos[3:], s.Encrypted)
				eq(t, "DO87", dos, s.DO87)
			} else {
				eq(t, "DO97", dos, s.DO97)
			}
			m := append(s.HeaderPadded.b(t), dos...)
			eq(t, "M", m, s.M)
			n := Pad(append(sm.SSC(), m...), 8)
			eq(t, "N", n, s.N)
			cc, _ := sm.suite.MAC(n)
			eq(t, "CC", cc, s.CC)

			// The whole command, terminal side.
			term := d4Session(t, v, ssc)
			p, err := term.Protect(cmd)
			if err != nil {
				t.Fatal(err)
			}
			raw, _ := p.Bytes()
			eq(t, "protected command", raw, s.Protected)
			if !bytes.HasSuffix(p.Data, s.DO8E.b(t)) {
				t.Errorf("protected data %X does not end with DO8E %s", p.Data, s.DO8E)
			}
			eq(t, "terminal SSC after the command", term.SSC(), s.SSCCommand)

			// Card side: unwrap the command, wrap the response.
			card := d4Session(t, v, ssc)
			pc, _ := iso7816.ParseCommand(s.Protected.b(t))
			plain, err := card.UnprotectCommand(pc)
			if err != nil {
				t.Fatal(err)
			}
			back, _ := plain.Bytes()
			eq(t, "card's plain command", back, s.Unprotected)
			resp, err := card.ProtectResponse(iso7816.Response{Data: s.Decrypted.b(t), SW: iso7816.StatusOK})
			if err != nil {
				t.Fatal(err)
			}
			eq(t, "card's protected response", resp, s.ProtectedResponse)
			eq(t, "card SSC after the response", card.SSC(), s.SSCResponse)

			// Response MAC input K and CC', then the terminal unwraps.
			k := s.K
			if k == "" {
				k = hexs(string(s.KUnpadded) + "80")
			}
			rdata := s.ProtectedResponse.b(t)
			macd := rdata[:len(rdata)-2-10]
			eq(t, "K", Pad(append(s.SSCResponse.b(t), macd...), 8)[:len(k.b(t))], k)
			ccr, _ := sm.suite.MAC(Pad(append(s.SSCResponse.b(t), macd...), 8))
			eq(t, "CC'", ccr, s.CCResponse)
			r, err := term.Unprotect(rdata)
			if err != nil {
				t.Fatal(err)
			}
			if r.SW != iso7816.StatusOK {
				t.Errorf("SW = %v", r.SW)
			}
			eq(t, "decrypted data", r.Data, s.Decrypted)
			eq(t, "terminal SSC after the response", term.SSC(), s.SSCResponse)
		})
		ssc = s.SSCResponse
	}
}

func TestKDFExamples(t *testing.T) {
	var v struct {
		Cases []struct {
			Alg     string `json:"alg"`
			K       hexs   `json:"k"`
			Counter uint32 `json:"counter"`
			Out     hexs   `json:"out"`
			From    string `json:"from"`
		} `json:"cases"`
	}
	loadVector(t, "kdf_examples", &v)
	ciphers := map[string]Cipher{"3DES": TDES, "AES-128": AES128}
	for _, c := range v.Cases {
		alg, ok := ciphers[c.Alg]
		if !ok {
			t.Fatalf("unknown alg %q", c.Alg)
		}
		got, err := KDF(alg, c.K.b(t), c.Counter)
		if err != nil {
			t.Fatal(err)
		}
		eq(t, c.Alg+" KDF from "+c.From, got, c.Out)
	}
	for _, c := range []Cipher{AES192, AES256} {
		got, err := KDF(c, []byte("secret"), CounterEnc)
		if err != nil || len(got) != c.KeySize() {
			t.Errorf("%v: %d bytes, %v", c, len(got), err)
		}
	}
	if _, err := KDF(Cipher(0), nil, 1); err == nil {
		t.Error("unknown cipher accepted")
	}
}

func TestRetailMAC(t *testing.T) {
	var v struct {
		Cases []struct {
			Name      string `json:"name"`
			Key       hexs   `json:"key"`
			NoPadding string `json:"data_no_padding_ascii"`
			Unpadded  hexs   `json:"data_unpadded"`
			MAC       hexs   `json:"mac"`
		} `json:"cases"`
	}
	loadVector(t, "retail_mac_iso9797_1_alg3", &v)
	for _, c := range v.Cases {
		data := []byte(c.NoPadding)
		if c.NoPadding == "" {
			data = Pad(c.Unpadded.b(t), 8)
		}
		got, err := RetailMAC(c.Key.b(t), data)
		if err != nil {
			t.Fatalf("%s: %v", c.Name, err)
		}
		eq(t, c.Name, got, c.MAC)
	}
	if _, err := RetailMAC(make([]byte, 16), make([]byte, 7)); err == nil {
		t.Error("unpadded data accepted")
	}
	if _, err := RetailMAC(make([]byte, 8), make([]byte, 8)); err == nil {
		t.Error("short key accepted")
	}
}

func TestPadding(t *testing.T) {
	tests := []struct {
		in   string
		bs   int
		want string
	}{
		{"", 8, "8000000000000000"},
		{"01", 8, "0180000000000000"},
		{"01020304050607", 8, "0102030405060780"},
		{"0102030405060708", 8, "01020304050607088000000000000000"},
		{"01", 16, "01800000000000000000000000000000"},
	}
	for _, tc := range tests {
		got := Pad(hexs(tc.in).b(t), tc.bs)
		eq(t, "Pad("+tc.in+")", got, hexs(tc.want))
		back, err := Unpad(got, tc.bs)
		if err != nil || !bytes.Equal(back, hexs(tc.in).b(t)) {
			t.Errorf("Unpad(%X) = %X, %v", got, back, err)
		}
	}
	for _, bad := range []string{"", "0000000000000000", "0102030405060708", "8000000000000000" + "0000000000000000", "0180000000000001"} {
		if _, err := Unpad(hexs(bad).b(t), 8); err == nil {
			t.Errorf("Unpad(%s) accepted", bad)
		}
	}
}

func TestUnprotectRejects(t *testing.T) {
	var v smVector
	loadVector(t, "sm_3des_appendix_d4", &v)
	good := v.Read4.ProtectedResponse.b(t) // 87 09 01 <8> 99 02 9000 8E 08 <8> 9000
	mut := func(f func(b []byte) []byte) []byte { return f(append([]byte(nil), good...)) }
	tests := []struct {
		name string
		resp []byte
		want error
	}{
		{"bare 6988", hexs("6988").b(t), iso7816.StatusSMObjectsIncorrect},
		{"bare 9000", hexs("9000").b(t), ErrSecureMessaging},
		{"one byte", []byte{0x90}, ErrProtocol},
		{"MAC flipped", mut(func(b []byte) []byte { b[len(b)-3] ^= 1; return b }), ErrSecureMessaging},
		{"cryptogram flipped", mut(func(b []byte) []byte { b[5] ^= 1; return b }), ErrSecureMessaging},
		{"outer SW differs", mut(func(b []byte) []byte { b[len(b)-1] = 0x01; return b }), ErrSecureMessaging},
		{"no MAC", append(good[:15:15], 0x90, 0x00), ErrSecureMessaging},
		{"truncated object", append(good[:20:20], 0x90, 0x00), ErrSecureMessaging},
		{"unknown object", append(hexs("530100").b(t), good...), ErrSecureMessaging},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			sm := d4Session(t, v, v.Read4.SSCCommand)
			if _, err := sm.Unprotect(tc.resp); !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
		})
	}
	// Without DO'99' the MAC may verify, but the answer is still refused.
	card := d4Session(t, v, v.Read4.SSCCommand)
	card.incrementSSC()
	dos := iso7816.AppendTLV(nil, doCryptogram, append([]byte{1}, make([]byte, 8)...))
	cc, _ := card.mac(dos)
	resp := append(iso7816.AppendTLV(dos, doMAC, cc), 0x90, 0x00)
	if _, err := d4Session(t, v, v.Read4.SSCCommand).Unprotect(resp); !errors.Is(err, ErrSecureMessaging) {
		t.Fatalf("no DO'99': err = %v", err)
	}
}

func TestUnprotectCommandRejects(t *testing.T) {
	var v smVector
	loadVector(t, "sm_3des_appendix_d4", &v)
	good, _ := iso7816.ParseCommand(v.Read4.Protected.b(t))
	tests := []struct {
		name string
		cmd  iso7816.Command
	}{
		{"plain CLA", iso7816.Command{CLA: 0x00, INS: 0xB0, Data: good.Data}},
		{"header changed", iso7816.Command{CLA: 0x0C, INS: 0xB0, P2: 1, Data: good.Data}},
		{"no MAC", iso7816.Command{CLA: 0x0C, INS: 0xB0, Data: good.Data[:3]}},
		{"status object in a command", iso7816.Command{CLA: 0x0C, INS: 0xB0, Data: append(hexs("99029000").b(t), good.Data...)}},
	}
	if _, err := d4Session(t, v, v.Select.SSCResponse).UnprotectCommand(good); err != nil {
		t.Fatalf("the untouched command fails: %v", err)
	}
	for _, tc := range tests {
		sm := d4Session(t, v, v.Select.SSCResponse)
		if _, err := sm.UnprotectCommand(tc.cmd); !errors.Is(err, ErrSecureMessaging) {
			t.Errorf("%s: err = %v", tc.name, err)
		}
	}
}

func TestProtectExtendedAndOddINS(t *testing.T) {
	suite, _ := NewTDESSuite(make([]byte, 16), bytes.Repeat([]byte{1}, 16))
	term, _ := NewSecureMessaging(suite, make([]byte, 8))
	card, _ := NewSecureMessaging(suite, make([]byte, 8))
	for _, c := range []iso7816.Command{
		{INS: 0xB1, P1: 0, P2: 0, Data: []byte{0x54, 0x02, 0x80, 0x00}, Ne: 256},
		{INS: 0xB0, Ne: 1000},
		{INS: 0xB0, Ne: 65536},
		{INS: 0xD6, Data: bytes.Repeat([]byte{7}, 300)},
	} {
		p, err := term.Protect(c)
		if err != nil {
			t.Fatal(err)
		}
		raw, _ := p.Bytes()
		pc, err := iso7816.ParseCommand(raw)
		if err != nil {
			t.Fatal(err)
		}
		got, err := card.UnprotectCommand(pc)
		if err != nil {
			t.Fatalf("INS %02X: %v", c.INS, err)
		}
		if got.INS != c.INS || got.Ne != c.Ne || !bytes.Equal(got.Data, c.Data) {
			t.Fatalf("round trip %+v -> %+v", c, got)
		}
		resp, _ := card.ProtectResponse(iso7816.Response{SW: iso7816.StatusFileNotFound})
		r, err := term.Unprotect(resp)
		if err != nil || r.SW != iso7816.StatusFileNotFound || len(r.Data) != 0 {
			t.Fatalf("protected error status: %v %v", r, err)
		}
	}
	if _, err := term.Protect(iso7816.Command{CLA: 0x0C}); err == nil {
		t.Fatal("double protection accepted")
	}
	if _, err := NewSecureMessaging(suite, make([]byte, 16)); err == nil {
		t.Fatal("16-byte SSC accepted for 3DES")
	}
}

func TestSSCWraps(t *testing.T) {
	suite, _ := NewTDESSuite(make([]byte, 16), make([]byte, 16))
	sm, _ := NewSecureMessaging(suite, hexs("00000000FFFFFFFF").b(t))
	sm.incrementSSC()
	eq(t, "SSC", sm.SSC(), "0000000100000000")
	sm, _ = NewSecureMessaging(suite, hexs("FFFFFFFFFFFFFFFF").b(t))
	sm.incrementSSC()
	eq(t, "SSC", sm.SSC(), "0000000000000000")
}
