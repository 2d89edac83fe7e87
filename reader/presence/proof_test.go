package presence

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
)

// sampleProof is a proof with every field set, small enough to read.
func sampleProof() Proof {
	return Proof{
		CardAccess: []byte{0x31, 0x00}, SOD: []byte{0x77, 0x00}, DG1: []byte{0x61, 0x00}, DG13: []byte{0x6D, 0x00},
		DG14: []byte{0x6E, 0x00}, DG15: []byte{0x6F, 0x00}, Challenge: []byte("12345678"), AASignature: []byte{0xAA, 0xBB},
	}
}

// encodeFields builds an encoding by hand: magic, version, then (tag,
// value) pairs as given, so that tests can break the format's rules.
func encodeFields(version byte, fields ...any) []byte {
	out := append([]byte("XNPP"), version)
	for i := 0; i+1 < len(fields); i += 2 {
		v := fields[i+1].([]byte)
		out = append(out, byte(fields[i].(int)))
		out = binary.BigEndian.AppendUint32(out, uint32(len(v)))
		out = append(out, v...)
	}
	return out
}

func TestProofRoundTrip(t *testing.T) {
	for _, p := range []Proof{sampleProof(), {SOD: []byte{1}, DG1: []byte{2}, DG13: []byte{3}, Challenge: []byte("abcdefgh")}} {
		b, err := p.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		back, err := Unmarshal(b)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(*back, p) {
			t.Fatalf("round trip:\n%+v\nwant\n%+v", *back, p)
		}
		// The decoded proof owns its bytes.
		b[len(b)-1] ^= 0xFF
		if !reflect.DeepEqual(*back, p) {
			t.Fatal("the decoded proof shares the encoding's bytes")
		}
		j, err := json.Marshal(struct{ Proof Proof }{p})
		if err != nil {
			t.Fatal(err)
		}
		var fromJSON struct{ Proof Proof }
		if err := json.Unmarshal(j, &fromJSON); err != nil || !reflect.DeepEqual(fromJSON.Proof, p) {
			t.Fatalf("JSON %s: %+v, %v", j, fromJSON.Proof, err)
		}
	}
	want := encodeFields(1, 1, []byte{0x77, 0x00}, 2, []byte{0x61, 0x00}, 3, []byte{0x6D, 0x00}, 4, []byte{0x31, 0x00},
		5, []byte{0x6E, 0x00}, 6, []byte{0x6F, 0x00}, 7, []byte("12345678"), 8, []byte{0xAA, 0xBB})
	if b, _ := sampleProof().Marshal(); !bytes.Equal(b, want) {
		t.Fatalf("encoding\n%X\nwant\n%X", b, want)
	}
}

func TestProofMalformed(t *testing.T) {
	big := make([]byte, MaxFileSize+1)
	full := make([]byte, MaxFileSize)
	base := []any{1, []byte{0x77}, 2, []byte{0x61}, 3, []byte{0x6D}}
	with := func(extra ...any) []any { return append(append([]any(nil), base...), extra...) }
	good := encodeFields(1, with(7, []byte("12345678"))...)
	tests := []struct {
		name string
		b    []byte
		says string
	}{
		{"empty", nil, "no \"XNPP\" header"},
		{"other magic", append([]byte("XNPQ"), good[4:]...), "no \"XNPP\" header"},
		{"other version", encodeFields(2, with(7, []byte("12345678"))...), "version 2"},
		{"no challenge", encodeFields(1, base...), "no challenge"},
		{"no EF.SOD", encodeFields(1, 2, []byte{0x61}, 3, []byte{0x6D}, 7, []byte("12345678")), "no EF.SOD"},
		{"short challenge", encodeFields(1, with(7, []byte("1234567"))...), "challenge of 7 bytes"},
		{"long challenge", encodeFields(1, with(7, []byte("123456789"))...), "challenge of 9 bytes"},
		{"signature without DG15", encodeFields(1, with(7, []byte("12345678"), 8, []byte{1})...), "without the DG15"},
		{"unknown field", encodeFields(1, with(7, []byte("12345678"), 9, []byte{1})...), "unknown field 9"},
		{"field repeated", encodeFields(1, with(3, []byte{0x6D}, 7, []byte("12345678"))...), "DG13 repeated or out of order"},
		{"fields out of order", encodeFields(1, 2, []byte{0x61}, 1, []byte{0x77}, 3, []byte{0x6D}, 7, []byte("12345678")), "EF.SOD repeated or out of order"},
		{"empty field", encodeFields(1, with(5, []byte{}, 7, []byte("12345678"))...), "empty DG14"},
		{"file too large", encodeFields(1, with(5, big, 7, []byte("12345678"))...), "DG14 of 65537 bytes"},
		{"files too large together", encodeFields(1, 1, full, 2, full, 3, full, 4, full, 5, full, 7, []byte("12345678")), "bytes, at most"},
		{"truncated value", good[:len(good)-1], "challenge of 8 bytes cut short at 7"},
		{"truncated header", good[:len(good)-10], "too few for another"},
		{"trailing byte", append(append([]byte(nil), good...), 0x07), "too few for another"},
		{"length beyond the input", append(encodeFields(1, base...), 7, 0x00, 0x00, 0x01, 0x00, 0x01), "challenge of 256 bytes cut short at 1"},
		{"length beyond the cap", append(encodeFields(1, base...), 7, 0xFF, 0xFF, 0xFF, 0xFF), "challenge of 4294967295 bytes, at most 65536"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Unmarshal(tc.b)
			if !errors.Is(err, ErrMalformed) || !strings.Contains(err.Error(), tc.says) {
				t.Fatalf("err = %v, want ErrMalformed saying %q", err, tc.says)
			}
		})
	}
	if _, err := Unmarshal(good); err != nil {
		t.Fatalf("the base case fails: %v", err)
	}
	if _, err := Unmarshal(make([]byte, maxEncodedSize+1)); !errors.Is(err, ErrMalformed) {
		t.Fatalf("oversized input: %v", err)
	}
	p := sampleProof()
	p.DG15 = big
	if _, err := p.Marshal(); !errors.Is(err, ErrMalformed) {
		t.Fatalf("Marshal of an oversized DG15: %v", err)
	}
	var q Proof
	for _, j := range []string{`"not base64!"`, `123`, `"WE5QUAE="`} {
		if err := json.Unmarshal([]byte(j), &q); !errors.Is(err, ErrMalformed) {
			t.Fatalf("JSON %s: %v", j, err)
		}
	}
}

// FuzzUnmarshal feeds arbitrary bytes to Unmarshal: no panic, and what it
// accepts is valid and encodes back to the very same bytes (one proof, one
// encoding).
func FuzzUnmarshal(f *testing.F) {
	good, _ := sampleProof().Marshal()
	f.Add(good)
	f.Add(good[:len(good)-1])
	f.Add(encodeFields(1, 1, []byte{0x77}, 2, []byte{0x61}, 3, []byte{0x6D}, 7, []byte("12345678")))
	f.Add(encodeFields(1, 3, []byte{0x6D}, 1, []byte{0x77}))
	f.Add([]byte("XNPP"))
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := Unmarshal(b)
		if err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("error %v is not ErrMalformed", err)
			}
			return
		}
		if err := p.Validate(); err != nil {
			t.Fatalf("accepted an invalid proof: %v", err)
		}
		again, err := p.Marshal()
		if err != nil || !bytes.Equal(again, b) {
			t.Fatalf("accepted %X, which encodes as %X (%v)", b, again, err)
		}
	})
}
