package iso7816

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

func TestParseTLV(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		tag     Tag
		value   string
		rest    string
		wantErr error
	}{
		{name: "one-byte tag", in: "870901 6375432908C044F6", tag: 0x87, value: "016375432908C044F6"},
		{name: "two-byte tag", in: "5F01 04 30313037", tag: 0x5F01, value: "30313037"},
		{name: "three-byte tag", in: "5F8101 01 AA", tag: 0x5F8101, value: "AA"},
		{name: "long form 81", in: "87 81 03 010203 FF", tag: 0x87, value: "010203", rest: "FF"},
		{name: "long form 82", in: "77 82 0002 0A0B", tag: 0x77, value: "0A0B"},
		{name: "empty value", in: "5C00", tag: 0x5C, value: ""},
		{name: "rest kept", in: "990290008E08FA855A5D4C50A8ED", tag: 0x99, value: "9000", rest: "8E08FA855A5D4C50A8ED"},
		{name: "empty", in: "", wantErr: ErrTruncated},
		{name: "tag cut short", in: "5F", wantErr: ErrTruncated},
		{name: "tag too long", in: "5F818101 01 00", wantErr: ErrMalformed},
		{name: "length missing", in: "87", wantErr: ErrTruncated},
		{name: "indefinite length", in: "30 80 0000", wantErr: ErrMalformed},
		{name: "length of length too big", in: "30 85 0000000001 00", wantErr: ErrMalformed},
		{name: "length bytes cut short", in: "30 82 01", wantErr: ErrTruncated},
		{name: "value cut short", in: "30 05 0102", wantErr: ErrTruncated},
		{name: "huge length", in: "30 84 FFFFFFFF 00", wantErr: ErrMalformed},
		{name: "long length beyond data", in: "30 84 7FFFFFFF 00", wantErr: ErrTruncated},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, rest, err := ParseTLV(unhex(t, tc.in))
			if tc.wantErr != nil {
				if !errors.Is(err, tc.wantErr) {
					t.Fatalf("err = %v, want %v", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.Tag != tc.tag || !bytes.Equal(got.Value, unhex(t, tc.value)) || !bytes.Equal(rest, unhex(t, tc.rest)) {
				t.Fatalf("got %s %X rest %X, want %s %s rest %s", got.Tag, got.Value, rest, tc.tag, tc.value, tc.rest)
			}
		})
	}
}

func TestParseHeaderLearnsFileLength(t *testing.T) {
	// The first 4 bytes of a file are enough to size it (ICAO 9303 reading).
	tag, h, n, err := ParseHeader(unhex(t, "77820456"))
	if err != nil || tag != 0x77 || h != 4 || n != 0x456 {
		t.Fatalf("ParseHeader = %v %d %d %v", tag, h, n, err)
	}
	tag, h, n, err = ParseHeader(unhex(t, "60145F01"))
	if err != nil || tag != 0x60 || h != 2 || n != 0x14 {
		t.Fatalf("ParseHeader = %v %d %d %v", tag, h, n, err)
	}
}

func TestEncodeRoundTrip(t *testing.T) {
	for _, n := range []int{0, 1, 0x7F, 0x80, 0xFF, 0x100, 0xFFFF, 0x10000} {
		v := bytes.Repeat([]byte{0x5A}, n)
		for _, tag := range []Tag{0x04, 0x5F1F, 0x7F61, 0x5F8101} {
			enc := EncodeTLV(tag, v)
			got, rest, err := ParseTLV(enc)
			if err != nil || got.Tag != tag || !bytes.Equal(got.Value, v) || len(rest) != 0 {
				t.Fatalf("tag %s len %d: got %s %d rest %d err %v", tag, n, got.Tag, len(got.Value), len(rest), err)
			}
		}
	}
	if got := EncodeTLV(0x30, []byte{1}, []byte{2, 3}); !bytes.Equal(got, []byte{0x30, 3, 1, 2, 3}) {
		t.Fatalf("EncodeTLV concatenation = %X", got)
	}
}

func TestLengthEncodings(t *testing.T) {
	tests := []struct {
		n    int
		want string
	}{
		{0, "00"}, {0x7F, "7F"}, {0x80, "8180"}, {0xFF, "81FF"}, {0x100, "820100"},
		{0x10000, "83010000"}, {0x1000000, "8401000000"},
	}
	for _, tc := range tests {
		if got := AppendLength(nil, tc.n); !bytes.Equal(got, unhex(t, tc.want)) {
			t.Errorf("AppendLength(%d) = %X, want %s", tc.n, got, tc.want)
		}
	}
}

func TestNestedHelpers(t *testing.T) {
	// EF.COM of ICAO 9303-11 D.4.
	com := unhex(t, "60145F0104303130365F36063034303030305C026175")
	v, err := Unwrap(com, 0x60)
	if err != nil {
		t.Fatal(err)
	}
	ver, rest, err := Next(v, 0x5F01)
	if err != nil || string(ver) != "0106" {
		t.Fatalf("Next(5F01) = %q, %v", ver, err)
	}
	if _, _, err := Next(rest, 0x5C); !errors.Is(err, ErrMalformed) {
		t.Fatalf("Next with the wrong tag: err = %v", err)
	}
	list, ok, err := Find(v, 0x5C)
	if err != nil || !ok || !bytes.Equal(list, []byte{0x61, 0x75}) {
		t.Fatalf("Find(5C) = %X %v %v", list, ok, err)
	}
	if _, ok, err := Find(v, 0x5F1F); ok || err != nil {
		t.Fatalf("Find(absent) = %v %v", ok, err)
	}
	if _, err := Unwrap(append(com, 0), 0x60); !errors.Is(err, ErrMalformed) {
		t.Fatalf("Unwrap with trailing byte: err = %v", err)
	}
	if _, err := Unwrap(com, 0x61); !errors.Is(err, ErrMalformed) {
		t.Fatalf("Unwrap with wrong tag: err = %v", err)
	}
	if _, _, err := Find(append(v, 0x30), 0x5C); err == nil {
		t.Fatal("Find accepted a truncated object after the match")
	}
	if !Tag(0x60).Constructed() || Tag(0x5F01).Constructed() || !Tag(0x7F61).Constructed() {
		t.Fatal("Constructed() wrong")
	}
	if !strings.EqualFold(Tag(0x5F1F).String(), "5F1F") {
		t.Fatalf("String() = %s", Tag(0x5F1F))
	}
}
