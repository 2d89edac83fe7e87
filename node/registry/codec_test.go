package registry

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
	"unsafe"
)

// sampleValues is a full record in fixed field order; tests set it in
// different orders to show that the encoding does not depend on history.
var sampleValues = []FieldValue{
	{FieldFullName, "Nguyễn Thị Thu Hà"},
	{FieldBirthDate, "1995-03-08"},
	{FieldSex, SexFemale},
	{FieldNationality, "Việt Nam"},
	{FieldEthnicity, "Kinh"},
	{FieldReligion, "Không"},
	{FieldBirthPlace, "Phường An Hòa, Quận Ninh Kiều, TP Cần Thơ"},
	{FieldHometown, "Xã Mỹ Khánh, Huyện Phong Điền, TP Cần Thơ"},
	{FieldPermanentAddress, "12/3 Đường Mậu Thân, Khu vực 2, Phường Xuân Khánh, Quận Ninh Kiều, TP Cần Thơ"},
	{FieldCommune, "92101"},
	{FieldHousehold, "HK92101-000012"},
	{FieldRelation, "Con"},
	{FieldFatherID, testFatherID},
	{FieldFatherName, "Nguyễn Văn Hùng"},
	{FieldOldID, "361234567"},
	{FieldCardNumber, "092195012345"},
	{FieldStatus, StatusAlive},
}

func sampleCitizen(reverse bool) *Citizen {
	c := &Citizen{ID: "092195012345"}
	n := len(sampleValues)
	for i := range n {
		j := i
		if reverse {
			j = n - 1 - i
		}
		fv := sampleValues[j]
		c.Set(fv.Field, fv.Value, Stamp{Index: uint64(100 + j), Time: MakeHLC(1_770_000_000_000+int64(j), uint16(j)), Node: "edge-92101"})
	}
	return c
}

func sampleChange() *Change {
	c := validChange(OpRegisterBirth)
	c.Seq = 300
	c.Sig = []byte{0xde, 0xad, 0xbe, 0xef}
	return c
}

func sampleOutcome() *Outcome {
	return &Outcome{
		Change:  "edge-92101/300",
		Result:  Merged,
		Reason:  "Họ tên đã được sửa bởi thay đổi khác",
		Index:   123456,
		Citizen: "092326000001",
		Lost: []Loss{
			{Field: FieldFullName, Winner: "Nguyễn Minh Khang", By: "edge-92102/7", Time: MakeHLC(1_770_000_000_500, 2)},
			{Field: FieldHometown, Winner: "Xã Nhơn Ái", By: "city/1", Time: MakeHLC(1_770_000_000_900, 0)},
		},
		Clamped: true,
	}
}

func TestCitizenRoundTrip(t *testing.T) {
	c := sampleCitizen(false)
	if c.Version != 100+uint64(len(sampleValues)-1) {
		t.Errorf("Version = %d, want the highest stamp index", c.Version)
	}
	for _, stamps := range []bool{true, false} {
		b := AppendCitizen([]byte("prefix"), c, stamps)
		got, rest, err := DecodeCitizen(b[len("prefix"):])
		if err != nil {
			t.Fatalf("stamps=%v: %v", stamps, err)
		}
		if len(rest) != 0 {
			t.Errorf("stamps=%v: %d bytes left over", stamps, len(rest))
		}
		want := *c
		if !stamps {
			want.Stamps = [NumFields]Stamp{}
		}
		if !reflect.DeepEqual(*got, want) {
			t.Errorf("stamps=%v: round trip\n got %+v\nwant %+v", stamps, got, want)
		}
	}
}

func TestRoundTripSequence(t *testing.T) {
	// Values decode one after another from one buffer: the rest is returned.
	var b []byte
	b = AppendCitizen(b, sampleCitizen(false), true)
	b = AppendChange(b, sampleChange())
	b = AppendOutcome(b, sampleOutcome())
	c, rest, err := DecodeCitizen(b)
	if err != nil || !reflect.DeepEqual(c, sampleCitizen(false)) {
		t.Fatalf("citizen: %v", err)
	}
	ch, rest, err := DecodeChange(rest)
	if err != nil || !reflect.DeepEqual(ch, sampleChange()) {
		t.Fatalf("change: %v\n got %+v\nwant %+v", err, ch, sampleChange())
	}
	o, rest, err := DecodeOutcome(rest)
	if err != nil || !reflect.DeepEqual(o, sampleOutcome()) {
		t.Fatalf("outcome: %v\n got %+v\nwant %+v", err, o, sampleOutcome())
	}
	if len(rest) != 0 {
		t.Errorf("%d bytes left over", len(rest))
	}
}

func TestChangeRoundTrip(t *testing.T) {
	for _, op := range []Op{OpImport, OpRegisterBirth, OpRegisterDeath, OpProcedure, OpIdentify} {
		for _, sig := range [][]byte{nil, {1, 2, 3}} {
			c := validChange(op)
			c.Sig = sig
			got, rest, err := DecodeChange(AppendChange(nil, c))
			if err != nil || len(rest) != 0 {
				t.Fatalf("%s: %v, %d bytes left", op, err, len(rest))
			}
			if !reflect.DeepEqual(got, c) {
				t.Errorf("%s: round trip\n got %+v\nwant %+v", op, got, c)
			}
			if err := got.ValidateV1(); err != nil {
				t.Errorf("%s: decoded change no longer valid: %v", op, err)
			}
		}
	}
}

func TestOutcomeRoundTrip(t *testing.T) {
	dup := &Outcome{Change: "edge-92101/300", Result: Duplicate, Original: Applied, Index: 123456, Citizen: testCitizenID}
	for _, o := range []*Outcome{sampleOutcome(), dup, {Change: "e/1", Result: Applied, Index: 1}, {}} {
		got, rest, err := DecodeOutcome(AppendOutcome(nil, o))
		if err != nil || len(rest) != 0 {
			t.Fatalf("%+v: %v, %d bytes left", o, err, len(rest))
		}
		if !reflect.DeepEqual(got, o) {
			t.Errorf("round trip\n got %+v\nwant %+v", got, o)
		}
	}
}

func TestSigningBytes(t *testing.T) {
	a, b := sampleChange(), sampleChange()
	b.Sig = []byte("another signature")
	if !bytes.Equal(a.SigningBytes(), b.SigningBytes()) {
		t.Error("SigningBytes depends on the signature")
	}
	full := AppendChange(nil, a)
	if !bytes.HasPrefix(full, a.SigningBytes()) {
		t.Error("the encoding does not start with the signed bytes")
	}
	b = sampleChange()
	b.Note = "x"
	if bytes.Equal(a.SigningBytes(), b.SigningBytes()) {
		t.Error("SigningBytes does not cover the note")
	}
}

func TestCanonicalEncoding(t *testing.T) {
	fwd, rev := sampleCitizen(false), sampleCitizen(true)
	for _, stamps := range []bool{true, false} {
		if !bytes.Equal(AppendCitizen(nil, fwd, stamps), AppendCitizen(nil, rev, stamps)) {
			t.Errorf("stamps=%v: same record set in a different order encodes differently", stamps)
		}
	}
	// A field set and then cleared leaves no trace in the encoding.
	cleared := sampleCitizen(false)
	cleared.Set(FieldFeatures, "Nốt ruồi C:1cm trên mép trái", Stamp{})
	cleared.Set(FieldFeatures, "", Stamp{})
	if !bytes.Equal(AppendCitizen(nil, cleared, false), AppendCitizen(nil, fwd, false)) {
		t.Error("a cleared field changes the compact encoding")
	}

	// The same patch given as maps filled in different orders.
	m1, m2 := map[string]string{}, map[string]string{}
	for i := range sampleValues {
		fv := sampleValues[i]
		m1[fv.Field.String()] = fv.Value
		fv = sampleValues[len(sampleValues)-1-i]
		m2[fv.Field.String()] = fv.Value
	}
	p1, err1 := PatchFromMap(m1)
	p2, err2 := PatchFromMap(m2)
	if err1 != nil || err2 != nil {
		t.Fatal(err1, err2)
	}
	c1, c2 := validChange(OpImport), validChange(OpImport)
	c1.Patch, c2.Patch = p1, p2
	if !bytes.Equal(AppendChange(nil, c1), AppendChange(nil, c2)) {
		t.Error("the same patch built in a different order encodes differently")
	}
	if !bytes.Equal(AppendOutcome(nil, sampleOutcome()), AppendOutcome(nil, sampleOutcome())) {
		t.Error("outcome encoding is not stable")
	}
}

func TestDecodeTruncated(t *testing.T) {
	encodings := map[string][]byte{
		"citizen full":    AppendCitizen(nil, sampleCitizen(false), true),
		"citizen compact": AppendCitizen(nil, sampleCitizen(false), false),
		"change":          AppendChange(nil, sampleChange()),
		"outcome":         AppendOutcome(nil, sampleOutcome()),
	}
	for name, b := range encodings {
		for n := range len(b) {
			if err := decodeAny(name, b[:n]); !errors.Is(err, ErrEncoding) {
				t.Fatalf("%s cut to %d of %d bytes: error %v, want ErrEncoding", name, n, len(b), err)
			}
		}
	}
}

// decodeAny decodes b as the kind the name starts with.
func decodeAny(name string, b []byte) error {
	var err error
	switch name[:3] {
	case "cit":
		_, _, err = DecodeCitizen(b)
	case "cha":
		_, _, err = DecodeChange(b)
	default:
		_, _, err = DecodeOutcome(b)
	}
	return err
}

func TestDecodeMalformed(t *testing.T) {
	tests := []struct {
		name string
		b    []byte
		want string // part of the error: the check that refused it
	}{
		{"citizen unknown format", []byte{9, 0, 0, 0}, "citizen format 9"},
		{"citizen field 0", []byte{citizenCompact, 0, 0, 1, 0, 1, 'x'}, "out of order or unknown"},
		{"citizen unknown field", []byte{citizenCompact, 0, 0, 1, byte(NumFields), 1, 'x'}, "out of order or unknown"},
		{"citizen fields out of order", []byte{citizenCompact, 0, 0, 2, 3, 1, 'x', 2, 1, 'y'}, "out of order"},
		{"citizen field repeated", []byte{citizenCompact, 0, 0, 2, 3, 1, 'x', 3, 1, 'y'}, "out of order"},
		{"citizen empty value", []byte{citizenCompact, 0, 0, 1, 1, 0}, "is empty"},
		{"citizen count beyond data", []byte{citizenCompact, 0, 0, 200, 1, 1, 'x'}, "exceeds the data"},
		{"citizen huge string", []byte{citizenCompact, 0xff, 0xff, 0xff, 0xff, 0x0f}, "string of"},
		{"citizen varint overflow", []byte{citizenCompact, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01}, "overflows"},
		{"citizen padded varint", []byte{citizenCompact, 0x80, 0x00, 0, 0}, "non-minimal"},
		{"citizen truncated stamp", []byte{citizenFull, 0, 0, 1, 5, 0xff, 0xff, 0xff}, "truncated"},
		{"citizen unused stamp", []byte{citizenFull, 0, 0, 1, 5, 0, 0, 0}, "used"},
		{"citizen stamp out of first-use order", []byte{citizenFull, 0, 0, 2, 1, 0, 0, 2, 0, 0, 1, 1, 1, 'a', 1, 2, 1, 'b', 0}, "names stamp"},
		{"change unknown format", []byte{7}, "change format 7"},
		{"change patch count beyond data", []byte{changeFormat, 0, 1, 0, 0, 0, 0, 0, 0x7f, 0, 0}, "exceeds the data"},
		{"outcome unknown format", []byte{0, 0, 0, 0, 0, 0, 0, 0, 0}, "outcome format 0"},
		{"outcome clamped not a bool", []byte{outcomeFormat, 0, 0, 0, 0, 0, 0, 0, 2}, "clamped flag 2"},
		{"outcome lost count beyond data", []byte{outcomeFormat, 0, 0, 0, 0, 0, 0, 5, 0, 0, 0, 0}, "exceeds the data"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := decodeAny(tt.name, tt.b)
			if !errors.Is(err, ErrEncoding) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v, want ErrEncoding mentioning %q", err, tt.want)
			}
		})
	}
}

func TestDecodeGarbage(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	valid := [][]byte{
		AppendCitizen(nil, sampleCitizen(false), true),
		AppendChange(nil, sampleChange()),
		AppendOutcome(nil, sampleOutcome()),
	}
	for i := range 20000 {
		var b []byte
		if i%2 == 0 { // random bytes
			b = make([]byte, r.IntN(64))
			for j := range b {
				b[j] = byte(r.Uint32())
			}
		} else { // a valid encoding with a few bytes flipped
			b = bytes.Clone(valid[r.IntN(len(valid))])
			for range 1 + r.IntN(3) {
				b[r.IntN(len(b))] ^= byte(1 + r.IntN(255))
			}
		}
		for _, name := range []string{"citizen", "change", "outcome"} {
			if err := decodeAny(name, b); err != nil && !errors.Is(err, ErrEncoding) {
				t.Fatalf("%s of %x: error %v is not ErrEncoding", name, b, err)
			}
		}
	}
}

// TestClearedFieldKeepsItsStamp: a field cleared by a change keeps the
// change's stamp through the stamped encoding, so later conflicts on it
// are decided the same before and after a snapshot.
func TestClearedFieldKeepsItsStamp(t *testing.T) {
	c := &Citizen{ID: "092090001234"}
	c.Set(FieldFullName, "Nguyễn Văn An", Stamp{Index: 1, Node: "city"})
	c.Set(FieldOtherName, "", Stamp{Index: 9, Time: 77, Node: "edge-1"})
	got, _, err := DecodeCitizen(AppendCitizen(nil, c, true))
	if err != nil {
		t.Fatal(err)
	}
	if got.Stamps[FieldOtherName] != c.Stamps[FieldOtherName] || *got != *c {
		t.Fatalf("stamp of a cleared field lost: %+v", got.Stamps[FieldOtherName])
	}
	compact, _, err := DecodeCitizen(AppendCitizen(nil, c, false))
	if err != nil || compact.Values[FieldOtherName] != "" {
		t.Fatalf("compact: %v", err)
	}
}

// TestChangeDecoderShares: a run decoded with a sharing decoder is what
// decoding each change alone gives, and a node named twice is one string.
func TestChangeDecoderShares(t *testing.T) {
	var b []byte
	var want []*Change
	for i, node := range []string{"edge-1", "edge-2", "edge-1"} {
		c := sampleChange()
		c.Node, c.Seq = node, uint64(i+1)
		b = AppendChange(b, c)
		w, _, err := DecodeChange(AppendChange(nil, c))
		if err != nil {
			t.Fatal(err)
		}
		want = append(want, w)
	}
	dec := NewChangeDecoder()
	var got []*Change
	for len(b) > 0 {
		c, rest, err := dec.Decode(b)
		if err != nil {
			t.Fatal(err)
		}
		got, b = append(got, c), rest
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("shared decoding:\n%+v\nwant\n%+v", got, want)
	}
	if unsafe.StringData(got[0].Node) != unsafe.StringData(got[2].Node) || unsafe.StringData(got[0].Officer) != unsafe.StringData(got[1].Officer) {
		t.Fatal("repeated strings decoded as copies of their own")
	}
}
