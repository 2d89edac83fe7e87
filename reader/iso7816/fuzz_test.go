package iso7816

import (
	"bytes"
	"testing"
)

func FuzzParseTLV(f *testing.F) {
	for _, s := range []string{
		"60145F0104303130365F36063034303030305C026175",
		"8709019FF0EC34F9922651990290008E08AD55CC17140B2DED",
		"77820456", "5F8101 01 AA", "3080", "308400000001",
	} {
		f.Add(unhex(f, s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		all, err := ParseAll(b)
		if err != nil {
			return
		}
		// Re-encoding with minimal lengths must parse to the same objects.
		var enc []byte
		for _, o := range all {
			enc = AppendTLV(enc, o.Tag, o.Value)
		}
		again, err := ParseAll(enc)
		if err != nil || len(again) != len(all) {
			t.Fatalf("re-encoded %X does not parse back: %v", enc, err)
		}
		for i := range all {
			if again[i].Tag != all[i].Tag || !bytes.Equal(again[i].Value, all[i].Value) {
				t.Fatalf("object %d changed: %v vs %v", i, again[i], all[i])
			}
		}
	})
}

func FuzzParseResponse(f *testing.F) {
	f.Add(unhex(f, "4608F919887022129000"))
	f.Add(unhex(f, "6A82"))
	f.Add([]byte{0x90})
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := ParseResponse(b)
		if err != nil {
			if len(b) >= 2 {
				t.Fatalf("rejected %X: %v", b, err)
			}
			return
		}
		if !bytes.Equal(r.Bytes(), b) {
			t.Fatalf("round trip %X -> %X", b, r.Bytes())
		}
	})
}

func FuzzParseCommand(f *testing.F) {
	for _, s := range []string{
		"00A4000C", "0084000008", "00A4040C07A0000002471001", "00B000000003E8",
		"0CA4020C158709016375432908C044F68E08BF8B92D635FF24F800",
	} {
		f.Add(unhex(f, s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := ParseCommand(b)
		if err != nil {
			return
		}
		enc, err := c.Bytes()
		if err != nil {
			t.Fatalf("parsed %X but cannot encode %+v: %v", b, c, err)
		}
		back, err := ParseCommand(enc)
		if err != nil || back.INS != c.INS || back.Ne != c.Ne || !bytes.Equal(back.Data, c.Data) {
			t.Fatalf("%X -> %+v -> %X -> %+v (%v)", b, c, enc, back, err)
		}
	})
}

func FuzzATR(f *testing.F) {
	f.Add([]byte{0x3B, 0x95, 0x13, 0x81, 0x01, 0x80, 0x73, 0xFF, 0x01, 0x00, 0x0B})
	f.Fuzz(func(t *testing.T, atr []byte) {
		if h, err := HistoricalBytes(atr); err == nil && len(h) > len(atr) {
			t.Fatal("more historical bytes than the ATR has")
		}
		_ = ExtendedLength(atr)
	})
}
