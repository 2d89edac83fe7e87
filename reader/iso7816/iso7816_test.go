package iso7816

import (
	"bytes"
	"encoding/hex"
	"errors"
	"strings"
	"testing"
)

func unhex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		t.Fatalf("bad hex %q: %v", s, err)
	}
	return b
}

func TestCommandBytes(t *testing.T) {
	long := bytes.Repeat([]byte{0xAB}, 300)
	tests := []struct {
		name string
		cmd  Command
		want string
	}{
		{"case 1", Command{0x00, 0xA4, 0x00, 0x0C, nil, 0}, "00A4000C"},
		{"case 2S", Command{0x00, 0x84, 0x00, 0x00, nil, 8}, "0084000008"},
		{"case 2S Le=256", Command{0x00, 0xB0, 0x00, 0x00, nil, 256}, "00B0000000"},
		{"case 3S select AID", Command{0x00, 0xA4, 0x04, 0x0C, unhex(t, "A0000002471001"), 0}, "00A4040C07A0000002471001"},
		{"case 4S", Command{0x00, 0x82, 0x00, 0x00, unhex(t, "0102"), 0x28}, "0082000002010228"},
		{"case 2E", Command{0x00, 0xB0, 0x00, 0x00, nil, 1000}, "00B000000003E8"},
		{"case 2E Le=65536", Command{0x00, 0xB0, 0x00, 0x00, nil, 65536}, "00B00000000000"},
		{"case 3E", Command{0x00, 0xDA, 0x00, 0x00, long, 0}, "00DA0000" + "00012C" + strings.Repeat("AB", 300)},
		{"case 4E", Command{0x00, 0x2A, 0x00, 0x00, long, 256}, "002A0000" + "00012C" + strings.Repeat("AB", 300) + "0100"},
		{"case 4E forced by Ne", Command{0x00, 0x2A, 0x00, 0x00, []byte{1}, 257}, "002A0000" + "000001" + "01" + "0101"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tc.cmd.Bytes()
			if err != nil {
				t.Fatal(err)
			}
			if want := unhex(t, tc.want); !bytes.Equal(got, want) {
				t.Fatalf("Bytes() = %X, want %X", got, want)
			}
			back, err := ParseCommand(got)
			if err != nil {
				t.Fatalf("ParseCommand: %v", err)
			}
			if back.CLA != tc.cmd.CLA || back.INS != tc.cmd.INS || back.P1 != tc.cmd.P1 || back.P2 != tc.cmd.P2 ||
				!bytes.Equal(back.Data, tc.cmd.Data) || back.Ne != tc.cmd.Ne {
				t.Fatalf("round trip: got %+v, want %+v", back, tc.cmd)
			}
		})
	}
}

func TestCommandBytesRejects(t *testing.T) {
	for _, c := range []Command{
		{Data: make([]byte, MaxExtendedNc+1)},
		{Ne: -1},
		{Ne: MaxExtendedNe + 1},
	} {
		if _, err := c.Bytes(); err == nil {
			t.Errorf("Bytes() of Nc=%d Ne=%d: no error", len(c.Data), c.Ne)
		}
	}
}

func TestParseCommandMalformed(t *testing.T) {
	for _, s := range []string{
		"", "00A400", // too short
		"00A4040C07A000",      // Lc larger than the body
		"00A4040C02010203 04", // Lc 2 but 3 data bytes + Le + extra
		"00B00000 0000",       // extended length cut short
		"00B00000 000000 01",  // extended Lc 0
		"00DA0000 000002 01",  // extended Lc larger than the body
	} {
		if _, err := ParseCommand(unhex(t, s)); !errors.Is(err, ErrMalformed) {
			t.Errorf("ParseCommand(%s) err = %v, want ErrMalformed", s, err)
		}
	}
}

func TestParseResponse(t *testing.T) {
	tests := []struct {
		in      string
		data    string
		sw      StatusWord
		wantErr bool
	}{
		{in: "9000", sw: StatusOK},
		{in: "4608F919887022129000", data: "4608F91988702212", sw: StatusOK},
		{in: "6A82", sw: StatusFileNotFound},
		{in: "01026282", data: "0102", sw: StatusEndOfFile},
		{in: "90", wantErr: true},
		{in: "", wantErr: true},
	}
	for _, tc := range tests {
		r, err := ParseResponse(unhex(t, tc.in))
		if tc.wantErr {
			if !errors.Is(err, ErrMalformed) {
				t.Errorf("ParseResponse(%s) err = %v, want ErrMalformed", tc.in, err)
			}
			continue
		}
		if err != nil {
			t.Fatalf("ParseResponse(%s): %v", tc.in, err)
		}
		if !bytes.Equal(r.Data, unhex(t, tc.data)) || r.SW != tc.sw {
			t.Errorf("ParseResponse(%s) = %X %v, want %s %v", tc.in, r.Data, r.SW, tc.data, tc.sw)
		}
		if got := r.Bytes(); !bytes.Equal(got, unhex(t, tc.in)) {
			t.Errorf("Bytes() = %X, want %s", got, tc.in)
		}
	}
}

func TestStatusWord(t *testing.T) {
	tests := []struct {
		sw        StatusWord
		ok, done  bool
		errIsNil  bool
		textMatch string
	}{
		{StatusOK, true, true, true, "9000 (success)"},
		{StatusEndOfFile, false, true, false, "6282"},
		{StatusVerificationFailed, false, true, false, "6300"},
		{0x6110, false, true, false, "6110"},
		{StatusFileNotFound, false, false, false, "6A82 (file not found)"},
		{0x9001, false, false, false, "9001"},
	}
	for _, tc := range tests {
		if tc.sw.OK() != tc.ok || tc.sw.Completed() != tc.done || (tc.sw.Err() == nil) != tc.errIsNil {
			t.Errorf("%v: OK %v Completed %v Err %v", tc.sw, tc.sw.OK(), tc.sw.Completed(), tc.sw.Err())
		}
		if !strings.Contains(tc.sw.String(), tc.textMatch) {
			t.Errorf("String() = %q, want it to contain %q", tc.sw.String(), tc.textMatch)
		}
	}
	var err error = StatusFileNotFound
	if !errors.Is(err, StatusFileNotFound) || errors.Is(err, StatusWrongP1P2) {
		t.Error("errors.Is does not tell status words apart")
	}
	var sw StatusWord
	if !errors.As(err, &sw) || sw != StatusFileNotFound {
		t.Error("errors.As does not recover the status word")
	}
}

func TestATR(t *testing.T) {
	for _, tc := range []struct {
		atr      string
		hist     string
		extended bool
	}{
		{"3B951381018073FF01000B", "8073FF0100", false}, // vicc's
		{"3B951381018073FF01C0CB", "8073FF01C0", true},  // the same with extended Lc/Le
		{"3B8880010000000000718100F9", "0000000000718100", false},
		{"3B8F8001804F0CA000000306030001000000006A", "804F0CA0000003060300010000000000"[:30], false},
	} {
		atr, _ := hex.DecodeString(tc.atr)
		h, err := HistoricalBytes(atr)
		if err != nil {
			t.Fatalf("%s: %v", tc.atr, err)
		}
		if got := hex.EncodeToString(h); !strings.EqualFold(got, tc.hist) {
			t.Errorf("%s: historical %s, want %s", tc.atr, got, tc.hist)
		}
		if ExtendedLength(atr) != tc.extended {
			t.Errorf("%s: extended = %v", tc.atr, !tc.extended)
		}
	}
	for _, bad := range []string{"", "3B", "3B95", "3B9513"} {
		b, _ := hex.DecodeString(bad)
		if _, err := HistoricalBytes(b); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}
