package emulator

import (
	"bytes"
	"context"
	"errors"
	"testing"

	"github.com/xanode/xanode/reader/emrtd"
	"github.com/xanode/xanode/reader/iso7816"
)

func TestPlainCommands(t *testing.T) {
	c, _ := mustCard(t, Options{})
	q, _ := mustCard(t, Options{QuirkCCCD: true})
	tests := []struct {
		name string
		card *Card
		apdu string
		want iso7816.StatusWord
	}{
		{"SELECT MF implicit", c, "00A4000C", iso7816.StatusOK},
		{"SELECT MF explicit", c, "00A4000C023F00", iso7816.StatusOK},
		{"SELECT MF, CCCD quirk", q, "00A4000C", iso7816.StatusINSNotSupported},
		{"SELECT MF explicit, CCCD quirk", q, "00A4000C023F00", iso7816.StatusINSNotSupported},
		{"SELECT absent EF.CardAccess", q, "00A4020C02011C", iso7816.StatusFileNotFound},
		{"SELECT other AID", c, "00A4040C07A0000002471002", iso7816.StatusFileNotFound},
		{"SELECT odd P1", c, "00A4080C02011E", 0x6A86},
		{"SELECT bad FID length", c, "00A4020C03011E00", iso7816.StatusWrongData},
		{"READ BINARY without EF", c, "00B0000004", iso7816.StatusNoCurrentEF},
		{"GET CHALLENGE wrong Le", c, "0084000004", iso7816.StatusWrongLength},
		{"EXTERNAL AUTHENTICATE without challenge", c, "0082000028" + string(bytes.Repeat([]byte("00"), 40)) + "28", iso7816.StatusConditionsNotMet},
		{"MSE:Set AT (PACE)", c, "0022C1A40F800A04007F00070202040202830101", iso7816.StatusINSNotSupported},
		{"INTERNAL AUTHENTICATE (AA)", c, "0088000008 0000000000000000 00", iso7816.StatusINSNotSupported},
		{"GENERAL AUTHENTICATE", c, "0086000002 7C00 00", iso7816.StatusINSNotSupported},
		{"UPDATE BINARY", c, "00D6000001 00", iso7816.StatusSecurityNotSatisfied},
		{"proprietary CLA", c, "80CA9F7F00", iso7816.StatusCLANotSupported},
		{"malformed APDU", c, "00A4", iso7816.StatusWrongLength},
		{"SM command without a session", c, "0CA4020C00", iso7816.StatusSMObjectsIncorrect},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, sw := raw(t, tc.card, tc.apdu); sw != tc.want {
				t.Fatalf("%s -> %v, want %v", tc.apdu, sw, tc.want)
			}
		})
	}
}

func TestPlainReadRefused(t *testing.T) {
	c, files := mustCard(t, Options{})
	raw(t, c, "00A4040C07A0000002471001")
	if _, sw := raw(t, c, "00A4020C020101"); sw != iso7816.StatusOK {
		t.Fatalf("plain SELECT DG1 -> %v", sw)
	}
	if _, sw := raw(t, c, "00B0000004"); sw != iso7816.StatusSecurityNotSatisfied {
		t.Fatalf("plain READ BINARY -> %v, want 6982", sw)
	}
	open, _ := mustCard(t, Options{AllowPlainRead: true})
	raw(t, open, "00A4040C07A0000002471001")
	raw(t, open, "00A4020C020101")
	if d, sw := raw(t, open, "00B0000004"); sw != iso7816.StatusOK || !bytes.Equal(d, files["DG1"][:4]) {
		t.Fatalf("plain READ BINARY with AllowPlainRead -> %X %v", d, sw)
	}
	// EF.DIR lives in the MF; from the LDS1 application it is not found.
	withDir := Files{"DIR": {0x61, 0x00}, "DG1": files["DG1"]}
	d, err := New(withDir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if got, sw := raw(t, d, "00A4020C022F00"); sw != iso7816.StatusOK {
		t.Fatalf("SELECT EF.DIR in the MF -> %v", sw)
	} else if got, sw = raw(t, d, "00B0000002"); sw != iso7816.StatusOK || !bytes.Equal(got, []byte{0x61, 0}) {
		t.Fatalf("plain READ of EF.DIR -> %X %v", got, sw)
	}
	raw(t, d, "00A4040C07A0000002471001")
	if _, sw := raw(t, d, "00A4020C022F00"); sw != iso7816.StatusFileNotFound {
		t.Fatalf("SELECT EF.DIR from LDS1 -> %v", sw)
	}
}

func TestBACWrongKey(t *testing.T) {
	for _, tc := range []struct {
		opts Options
		want iso7816.StatusWord
	}{{Options{}, iso7816.StatusVerificationFailed}, {Options{BACFailSW: 0x6988}, 0x6988}} {
		c, _ := mustCard(t, tc.opts)
		s := emrtd.NewSession(c, nil)
		wrong := testKey
		wrong.DateOfBirth = "950309"
		err := s.BAC(context.Background(), wrong)
		var sw iso7816.StatusWord
		if !errors.Is(err, emrtd.ErrAccessDenied) || !errors.As(err, &sw) || sw != tc.want {
			t.Fatalf("wrong key: %v", err)
		}
		// The challenge was used up: retrying EXTERNAL AUTHENTICATE alone fails.
		if _, sw := raw(t, c, "0082000028"+string(bytes.Repeat([]byte("00"), 40))+"28"); sw != iso7816.StatusConditionsNotMet {
			t.Fatalf("second attempt on one challenge -> %v", sw)
		}
	}
}

func TestSecureReads(t *testing.T) {
	c, files := mustCard(t, Options{QuirkCCCD: true})
	s := secure(t, c)
	ctx := context.Background()
	for _, name := range []string{"COM", "DG1", "DG13", "SOD"} {
		f, _ := emrtd.FileByName(name)
		got, err := s.ReadFile(ctx, f)
		if err != nil || !bytes.Equal(got, files[name]) {
			t.Fatalf("%s: %d bytes, %v", name, len(got), err)
		}
	}
	sod := files["SOD"]
	call := func(c iso7816.Command) iso7816.Response {
		t.Helper()
		r, err := s.Transmit(ctx, c)
		if err != nil {
			t.Fatalf("%+v: %v", c, err)
		}
		return r
	}
	if r := call(iso7816.Command{INS: 0xA4, P1: 2, P2: 0x0C, Data: []byte{0x01, 0x1D}}); r.SW != iso7816.StatusOK {
		t.Fatalf("SELECT SOD -> %v", r.SW)
	}
	if r := call(iso7816.Command{INS: 0xB0, Ne: 256}); r.SW != iso7816.StatusOK || !bytes.Equal(r.Data, sod[:231]) {
		t.Fatalf("Le=00 -> %d bytes %v, want 231", len(r.Data), r.SW)
	}
	n := len(sod)
	if r := call(iso7816.Command{INS: 0xB0, P1: byte((n - 5) >> 8), P2: byte(n - 5), Ne: 16}); r.SW != iso7816.StatusEndOfFile || !bytes.Equal(r.Data, sod[n-5:]) {
		t.Fatalf("Le past the end -> %X %v", r.Data, r.SW)
	}
	if r := call(iso7816.Command{INS: 0xB0, P1: byte((n + 5) >> 8), P2: byte(n + 5), Ne: 16}); r.SW != iso7816.StatusWrongP1P2 {
		t.Fatalf("offset past the end -> %v (protected)", r.SW)
	}
	if r := call(iso7816.Command{INS: 0xB0, P1: 0x80 | 13, P2: 0, Ne: 4}); r.SW != iso7816.StatusOK || !bytes.Equal(r.Data, files["DG13"][:4]) {
		t.Fatalf("READ BINARY by SFI -> %X %v", r.Data, r.SW)
	}
	for _, fid := range [][]byte{{0x2F, 0x00}, {0x01, 0x1C}, {0x01, 0x02}, {0x01, 0x0E}} {
		if r := call(iso7816.Command{INS: 0xA4, P1: 2, P2: 0x0C, Data: fid}); r.SW != iso7816.StatusFileNotFound {
			t.Fatalf("SELECT %X -> %v, want protected 6A82", fid, r.SW)
		}
	}
	for _, tc := range []struct {
		cmd  iso7816.Command
		want iso7816.StatusWord
	}{
		{iso7816.Command{INS: 0x88, Data: make([]byte, 8), Ne: 256}, iso7816.StatusINSNotSupported},
		{iso7816.Command{INS: 0x22, P1: 0x41, P2: 0xA6, Data: []byte{0x91, 0x01, 0x04}}, iso7816.StatusINSNotSupported},
		{iso7816.Command{INS: 0xD6, Data: []byte{0}}, iso7816.StatusSecurityNotSatisfied},
	} {
		if r := call(tc.cmd); r.SW != tc.want {
			t.Fatalf("INS %02X -> %v, want %v", tc.cmd.INS, r.SW, tc.want)
		}
	}
	// Every error above was protected, so the counters are still in step.
	if got, err := s.ReadFile(ctx, emrtd.FileCOM); err != nil || !bytes.Equal(got, files["COM"]) {
		t.Fatalf("EF.COM after errors: %v", err)
	}
}

func TestOversizeError(t *testing.T) {
	c, _ := mustCard(t, Options{OversizeError: true})
	s := secure(t, c)
	ctx := context.Background()
	s.Transmit(ctx, iso7816.Command{INS: 0xA4, P1: 2, P2: 0x0C, Data: []byte{0x01, 0x1D}})
	if r, err := s.Transmit(ctx, iso7816.Command{INS: 0xB0, Ne: 256}); err != nil || r.SW != iso7816.StatusWrongLength {
		t.Fatalf("Le=00 with OversizeError -> %v %v", r.SW, err)
	}
	if _, err := s.ReadFile(ctx, emrtd.FileSOD); err != nil {
		t.Fatalf("223-byte reads with OversizeError: %v", err)
	}
}

func TestSMAbort(t *testing.T) {
	c, _ := mustCard(t, Options{})
	corrupt := false
	tr := &tap{card: c, onCmd: func(cmd []byte) []byte {
		if corrupt {
			cmd = append([]byte(nil), cmd...)
			cmd[len(cmd)-2] ^= 1 // last MAC byte, before Le
		}
		return cmd
	}}
	s := secure(t, tr)
	ctx := context.Background()
	corrupt = true
	_, err := s.ReadFile(ctx, emrtd.FileCOM)
	var sw iso7816.StatusWord
	if !errors.Is(err, emrtd.ErrSecureMessaging) || !errors.As(err, &sw) || sw != iso7816.StatusSMObjectsIncorrect {
		t.Fatalf("bad MAC: %v, want a bare 6988", err)
	}
	if s.Secure() {
		t.Fatal("session still secure after an SM error")
	}
	// The card dropped its session too: a well-formed SM command gets 6988.
	corrupt = false
	s2 := secure(t, tr)
	raw(t, c, "00A4040C07A0000002471001") // a plain command ends the card's session
	if _, err := s2.ReadFile(ctx, emrtd.FileCOM); !errors.As(err, &sw) || sw != iso7816.StatusSMObjectsIncorrect {
		t.Fatalf("SM after a plain command: %v", err)
	}
}

func TestPlainErrors(t *testing.T) {
	c, _ := mustCard(t, Options{PlainErrors: true})
	s := secure(t, c)
	_, err := s.ReadFile(context.Background(), emrtd.DataGroupFile(14))
	if !errors.Is(err, emrtd.ErrSecureMessaging) || !errors.Is(err, iso7816.StatusFileNotFound) {
		t.Fatalf("unprotected 6A82: %v", err)
	}
}

func TestReset(t *testing.T) {
	c, _ := mustCard(t, Options{})
	s := secure(t, c)
	c.Reset()
	if _, err := s.ReadFile(context.Background(), emrtd.FileCOM); !errors.Is(err, emrtd.ErrSecureMessaging) {
		t.Fatalf("read after a power cycle: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := c.Transmit(ctx, []byte{0, 0xA4, 0, 0x0C}); !errors.Is(err, context.Canceled) {
		t.Fatalf("Transmit with a done context: %v", err)
	}
}

func TestNewRejects(t *testing.T) {
	_, files := mustCard(t, Options{})
	for name, f := range map[string]Files{
		"unknown file": {"DG1": files["DG1"], "PHOTO": {1}},
		"no DG1":       {"COM": files["COM"]},
		"bad DG1":      {"DG1": {0x61, 0x00}},
	} {
		if _, err := New(f, Options{}); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if _, err := New(Files{"COM": files["COM"]}, Options{Key: &testKey}); err != nil {
		t.Errorf("no DG1 but a key: %v", err)
	}
	if _, err := New(Files{"COM": files["COM"]}, Options{Key: &emrtd.BACKey{}}); err == nil {
		t.Error("empty key accepted")
	}
}
