package bundle

import (
	"bytes"
	"encoding/binary"
	"strings"
	"testing"

	"github.com/xanode/xanode/node/registry"
)

// citizen makes a record of the given fields (field, value, field, value…).
func citizen(id string, version uint64, kv ...any) *registry.Citizen {
	c := &registry.Citizen{ID: id, Version: version}
	for i := 0; i < len(kv); i += 2 {
		c.Values[kv[i].(registry.Field)] = kv[i+1].(string)
	}
	return c
}

// entryCase is an entry of a payload: a record, or a removal (nil).
type entryCase struct {
	id string
	c  *registry.Citizen
}

func columnsOf(kind Kind, entries []entryCase) *columns {
	m := newColumns(kind, testCommune)
	for _, e := range entries {
		m.add(e.id, e.c)
	}
	return m
}

// wantRows is the format-2 payload of the entries.
func wantRows(kind Kind, entries []entryCase) []byte {
	var b []byte
	for _, e := range entries {
		b, _ = appendEntry(b, kind, Entry{ID: e.id, Citizen: e.c})
	}
	return b
}

// streamsOf splits a format-3 payload into its streams.
func streamsOf(t *testing.T, raw []byte) [][]byte {
	t.Helper()
	in := cursor{b: raw}
	s := make([][]byte, numStreams)
	for i := range s {
		s[i] = in.bytes()
	}
	if err := in.end("payload"); err != nil {
		t.Fatal(err)
	}
	return s
}

func joinStreams(s [][]byte) []byte {
	var b []byte
	for _, x := range s {
		b = binary.AppendUvarint(b, uint64(len(x)))
		b = append(b, x...)
	}
	return b
}

// columnIndex is the position of field f in columnOrder.
func columnIndex(f registry.Field) int {
	for k, c := range columnOrder {
		if c.field == f {
			return k
		}
	}
	panic("no column")
}

type wantCode struct {
	field  registry.Field
	record int
	code   byte
}

const (
	head  = "092080000101"
	wife  = "092182000102"
	child = "092212000103"
)

var householdCase = []entryCase{
	{head, citizen(head, 5, registry.FieldFullName, "Nguyễn Văn An", registry.FieldSex, "M",
		registry.FieldHousehold, "HK1", registry.FieldPermanentAddress, "Số 1 đường A",
		registry.FieldCurrentAddress, "Số 1 đường A", registry.FieldHometown, "Cần Thơ",
		registry.FieldSpouseID, wife, registry.FieldSpouseName, "Lê Thị Bình",
		registry.FieldBirthDate, "1980-03-04", registry.FieldCardNumber, head,
		registry.FieldCardExpiry, "2020-03-04", registry.FieldCommune, testCommune)},
	{wife, citizen(wife, 5, registry.FieldFullName, "Lê Thị Bình", registry.FieldSex, "F",
		registry.FieldHousehold, "HK1", registry.FieldPermanentAddress, "Số 1 đường A",
		registry.FieldCurrentAddress, "Số 9 đường B", registry.FieldHometown, "Cần Thơ",
		registry.FieldSpouseID, head, registry.FieldSpouseName, "Nguyễn Văn An",
		registry.FieldBirthDate, "1982", registry.FieldCommune, "99999")},
	{child, citizen(child, 7, registry.FieldFullName, "Nguyễn Văn Cường", registry.FieldSex, "F",
		registry.FieldHousehold, "HK1", registry.FieldPermanentAddress, "Số 1 đường A",
		registry.FieldFatherID, head, registry.FieldFatherName, "Nguyễn Văn An",
		registry.FieldMotherID, wife, registry.FieldMotherName, "Lê Thị Bình (mẹ)",
		registry.FieldBirthDate, "2012-07", registry.FieldCardNumber, "092212000999")},
}

// TestColumns: each case round-trips (the rows Open checks are those of
// format 2 for the same entries, and decoding then encoding gives the
// same payload), and the values named are coded as said.
func TestColumns(t *testing.T) {
	outsider := "092070000555" // in the bundle, not in the household
	cases := []struct {
		name    string
		kind    Kind
		entries []entryCase
		want    []wantCode
	}{
		{name: "empty", kind: KindFull},
		{name: "household", kind: KindFull, entries: householdCase, want: []wantCode{
			{registry.FieldHousehold, 0, codeDict},
			{registry.FieldHousehold, 1, codeDict},
			{registry.FieldPermanentAddress, 0, codeDict},
			{registry.FieldPermanentAddress, 1, codeAsBefore},
			{registry.FieldPermanentAddress, 2, codeAsBefore},
			{registry.FieldCurrentAddress, 0, codeDerived},
			{registry.FieldCurrentAddress, 1, codeDict},
			{registry.FieldCurrentAddress, 2, codeAbsent},
			{registry.FieldHometown, 1, codeAsBefore},
			{registry.FieldSex, 0, codeDerived},
			{registry.FieldSex, 1, codeDerived},
			{registry.FieldSex, 2, codeAsBefore}, // the ID says male, the mother before is F
			{registry.FieldSpouseID, 0, codeMember},
			{registry.FieldSpouseName, 0, codeDerived},
			{registry.FieldSpouseName, 1, codeDerived},
			{registry.FieldFatherID, 2, codeMember},
			{registry.FieldFatherName, 2, codeDerived},
			{registry.FieldMotherName, 2, codeDict},
			{registry.FieldBirthDate, 0, codeDate},
			{registry.FieldBirthDate, 1, codeYear},
			{registry.FieldBirthDate, 2, codeMonth},
			{registry.FieldCardNumber, 0, codeDerived},
			{registry.FieldCardNumber, 2, codeDigits},
			{registry.FieldCardExpiry, 0, codeDate},
			{registry.FieldCommune, 0, codeDerived},
			{registry.FieldCommune, 1, codeDict},
		}},
		{name: "links", kind: KindFull, entries: []entryCase{
			{outsider, citizen(outsider, 1, registry.FieldFullName, "Trần Văn Dũng")},
			{child, citizen(child, 1, registry.FieldHousehold, "HK2", registry.FieldFatherID, outsider,
				registry.FieldFatherName, "Trần Văn Dũng", registry.FieldMotherID, "092190123456",
				registry.FieldSpouseID, "không rõ", registry.FieldOldID, "361234567")},
			{"092212000104", citizen("092212000104", 1, registry.FieldOldID, "36123456",
				registry.FieldFatherID, outsider)},
		}, want: []wantCode{
			{registry.FieldFatherID, 1, codeRecord},
			{registry.FieldFatherName, 1, codeDerived},
			{registry.FieldMotherID, 1, codeDigits},
			{registry.FieldSpouseID, 1, codeDict},
			{registry.FieldOldID, 1, codeDigits},
			{registry.FieldOldID, 2, codeDict},
			{registry.FieldFatherID, 2, codeRecord}, // no household: no predecessor
		}},
		{name: "dates", kind: KindFull, entries: []entryCase{
			{"000000000000", citizen("000000000000", 0, registry.FieldBirthDate, "1900-13-45",
				registry.FieldCardIssued, "không rõ", registry.FieldDeathDate, "0000-00-00",
				registry.FieldTemporaryUntil, "2026-1-1", registry.FieldAbsenceEnd, "9999")},
		}, want: []wantCode{
			{registry.FieldBirthDate, 0, codeDate},
			{registry.FieldCardIssued, 0, codeDict},
			{registry.FieldDeathDate, 0, codeDate},
			{registry.FieldTemporaryUntil, 0, codeDict},
			{registry.FieldAbsenceEnd, 0, codeYear},
		}},
		{name: "other IDs", kind: KindFull, entries: []entryCase{
			{"0", citizen("0", 1, registry.FieldSex, "M")},
			{"001090000001", citizen("001090000001", 1, registry.FieldSex, "M")},
			{"001090000005", citizen("001090000005", 1, registry.FieldCardNumber, "001090000005")},
			{"P-edge-1-7", citizen("P-edge-1-7", 1<<63, registry.FieldSex, "F")},
			{"P-edge-1-8", citizen("P-edge-1-8", 3, registry.FieldCardNumber, "P-edge-1-8")},
		}, want: []wantCode{
			{registry.FieldSex, 0, codeDict},
			{registry.FieldSex, 1, codeDerived},
			{registry.FieldCardNumber, 2, codeDerived},
			{registry.FieldSex, 3, codeDict},
			{registry.FieldCardNumber, 4, codeDerived},
		}},
		{name: "delta", kind: KindDelta, entries: []entryCase{
			{"001090000001", nil},
			householdCase[0],
			{"092090000001", nil},
			householdCase[2],
			{"P-edge-1-7", nil},
		}, want: []wantCode{
			{registry.FieldPermanentAddress, 1, codeAsBefore},
			{registry.FieldFatherID, 1, codeMember},
			{registry.FieldMotherID, 1, codeDigits},
		}},
		{name: "removals only", kind: KindDelta, entries: []entryCase{{"001090000001", nil}, {"x", nil}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			raw := columnsOf(tc.kind, tc.entries).encode()
			m, err := decodeColumns(raw, tc.kind, uint64(len(tc.entries)), testCommune)
			if err != nil {
				t.Fatalf("decode: %v", err)
			}
			rows, err := m.rows(MaxSize)
			if err != nil || !bytes.Equal(rows, wantRows(tc.kind, tc.entries)) {
				t.Fatalf("rows differ from format 2's (%v)", err)
			}
			if again := m.encode(); !bytes.Equal(again, raw) {
				t.Fatal("decoded columns encode differently")
			}
			s := streamsOf(t, raw)
			for _, w := range tc.want {
				codes := s[streamColumns+2*columnIndex(w.field)]
				if codes[w.record] != w.code {
					t.Errorf("%s of record %d: code %d, want %d", w.field, w.record, codes[w.record], w.code)
				}
			}
		})
	}
}

// TestColumnsRefused: payloads that encode would not write are refused,
// each for its own reason.
func TestColumnsRefused(t *testing.T) {
	raw := columnsOf(KindFull, householdCase).encode()
	col := func(f registry.Field) int { return streamColumns + 2*columnIndex(f) }
	cases := []struct {
		name   string
		count  uint64
		mutate func(s [][]byte) [][]byte
		want   string
	}{
		{"more entries than IDs", 4, nil, "ID 4"},
		{"fewer entries", 2, nil, "IDs"},
		{"a stream missing", 3, func(s [][]byte) [][]byte { return s[:len(s)-1] }, "streams"},
		{"a stream more", 3, func(s [][]byte) [][]byte { return append(s, nil) }, "streams"},
		{"non-minimal varint", 3, func(s [][]byte) [][]byte {
			s[streamVersions] = append([]byte{0x8a, 0x00}, s[streamVersions][1:]...)
			return s
		}, "non-minimal"},
		{"kinds in a full bundle", 3, func(s [][]byte) [][]byte { s[streamKinds] = []byte{1, 1, 1}; return s }, "kinds"},
		{"IDs out of order", 3, func(s [][]byte) [][]byte {
			n, _ := digits(head, idLen)
			s[streamIDs] = append(binary.AppendUvarint(nil, 2*n), 3, '0', 3, '1')
			return s
		}, "after"},
		{"personal ID spelled out", 1, func(s [][]byte) [][]byte {
			s[streamIDs] = append(binary.AppendUvarint(nil, 2*idLen+1), head...)
			return s
		}, "spelled out"},
		{"unknown code", 3, func(s [][]byte) [][]byte { s[col(registry.FieldOtherName)][0] = numCodes; return s }, "unknown code"},
		{"as before without a predecessor", 3, func(s [][]byte) [][]byte {
			s[col(registry.FieldOtherName)][0] = codeAsBefore
			return s
		}, "no earlier record"},
		{"derived where nothing is", 3, func(s [][]byte) [][]byte {
			s[col(registry.FieldOtherName)][0] = codeDerived
			return s
		}, "derives nothing"},
		{"derived value absent", 3, func(s [][]byte) [][]byte {
			s[col(registry.FieldFatherName)][0] = codeDerived
			return s
		}, "canonical"},
		{"a dictionary entry where the value is derived", 3, func(s [][]byte) [][]byte {
			// The wife's current address names the household's
			// permanent address (places: hometown 0, address 1), which
			// it would be coded as.
			s[col(registry.FieldCurrentAddress)+1] = []byte{1}
			return s
		}, "canonical"},
		{"a dictionary entry skipped", 3, func(s [][]byte) [][]byte {
			s[col(registry.FieldCurrentAddress)+1] = []byte{3}
			return s
		}, "dictionary entry 3 back of 2"},
		{"data left over", 3, func(s [][]byte) [][]byte {
			s[col(registry.FieldOtherName)+1] = []byte{0}
			return s
		}, "left over"},
		{"a string left over", 3, func(s [][]byte) [][]byte {
			s[streamStrings+groupOther] = appendString(s[streamStrings+groupOther], "x")
			return s
		}, "left over"},
		{"a string repeated", 3, func(s [][]byte) [][]byte {
			// Household HK1 spelled a second time as a new entry.
			s[col(registry.FieldHousehold)+1] = []byte{0, 1, 0}
			s[streamStrings+groupHouseholds] = appendString(s[streamStrings+groupHouseholds], "HK1")
			return s
		}, "again"},
		{"a member beyond the household", 3, func(s [][]byte) [][]byte {
			s[col(registry.FieldFatherID)+1] = []byte{9}
			return s
		}, "member 9 of 3"},
		{"a date out of range", 3, func(s [][]byte) [][]byte {
			d := s[col(registry.FieldBirthDate)+1]
			s[col(registry.FieldBirthDate)+1] = append(binary.AppendUvarint(nil, zigzag(9000)), d[1:]...)
			return s
		}, "out of range"},
		{"a number too long", 3, func(s [][]byte) [][]byte {
			s[col(registry.FieldCardNumber)+1] = binary.AppendUvarint(nil, 1e12)
			return s
		}, "digits"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			bad := raw
			if tc.mutate != nil {
				var s [][]byte
				for _, x := range streamsOf(t, raw) {
					s = append(s, bytes.Clone(x))
				}
				bad = joinStreams(tc.mutate(s))
			}
			_, err := decodeColumns(bad, KindFull, tc.count, testCommune)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("decode: %v, want an error naming %q", err, tc.want)
			}
		})
	}
}
