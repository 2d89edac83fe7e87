package vncard

import (
	"bytes"
	"fmt"
	"sort"
	"unicode/utf8"

	"github.com/xanode/xanode/reader/iso7816"
)

// ASN.1 tags of DG13.
const (
	tagDG13            iso7816.Tag = 0x6D
	tagInteger         iso7816.Tag = 0x02
	tagOID             iso7816.Tag = 0x06
	tagUTF8String      iso7816.Tag = 0x0C
	tagPrintableString iso7816.Tag = 0x13
	tagIA5String       iso7816.Tag = 0x16
	tagSequence        iso7816.Tag = 0x30
	tagSet             iso7816.Tag = 0x31
)

// oidUTF8 is 1.0.10646.1.0.8 (ISO 10646 in UTF-8), which DG13 names for its
// string encoding.
var oidUTF8 = []byte{0x28, 0xD3, 0x16, 0x01, 0x00, 0x08}

// Field numbers of DG13 (DESIGN.md, "Chip cards"). 15 and 16 are not confirmed.
const (
	FieldID              = 1
	FieldFullName        = 2
	FieldDateOfBirth     = 3
	FieldSex             = 4
	FieldNationality     = 5
	FieldEthnicity       = 6
	FieldReligion        = 7
	FieldHometown        = 8
	FieldResidence       = 9
	FieldCharacteristics = 10
	FieldIssueDate       = 11
	FieldExpiryDate      = 12
	FieldParents         = 13 // SEQUENCE { father, mother }
	FieldSpouse          = 14 // SEQUENCE { spouse }
	FieldOldID           = 15 // old 9-digit ID on some cards
)

// Field is one DG13 field as found on the card.
type Field struct {
	// Values are the field's strings: one for a plain field, one per
	// element for a SEQUENCE of strings (fields 13 and 14). Nil when the
	// value is of another type, which DER then holds.
	Values []string
	// Seq is true when the value is a SEQUENCE.
	Seq bool
	// DER is the field's value element as on the card.
	DER []byte
}

// DG13 is the Vietnamese data group 13. The named fields are decoded from
// Raw, which keeps every field as found, unknown ones included.
type DG13 struct {
	Version         int
	ID              string
	FullName        string
	DateOfBirth     Date // zero if the card's text is not a date; Raw keeps the text
	Sex             string
	Nationality     string
	Ethnicity       string
	Religion        string
	Hometown        string
	Residence       string
	Characteristics string
	IssueDate       Date
	ExpiryDate      Date // zero for cards without expiry ("Không thời hạn"); Raw keeps the text
	Father          string
	Mother          string
	Spouse          string
	OldID           string
	Raw             map[int]Field
}

// ParseDG13 reads 6D { SEQUENCE { INTEGER version, OID, SET OF SEQUENCE {
// INTEGER n, value } } }. Structure errors are errors; odd field contents
// (a date that does not parse, an unknown field or type) are kept in Raw.
func ParseDG13(b []byte) (*DG13, error) {
	fields, version, err := parseDG13Structure(b)
	if err != nil {
		return nil, fmt.Errorf("DG13: %w", err)
	}
	d := &DG13{Version: version, Raw: map[int]Field{}}
	for _, f := range fields {
		n, err := parseSmallInt(f.n)
		if err != nil {
			return nil, fmt.Errorf("DG13: field number: %w", err)
		}
		if n < 1 {
			return nil, fmt.Errorf("DG13: %w: field number %d (fields start at 1)", iso7816.ErrMalformed, n)
		}
		if _, dup := d.Raw[n]; dup {
			return nil, fmt.Errorf("DG13: %w: field %d twice", iso7816.ErrMalformed, n)
		}
		field, err := parseFieldValue(f.value)
		if err != nil {
			return nil, fmt.Errorf("DG13: field %d: %w", n, err)
		}
		d.Raw[n] = field
	}
	d.decodeNamed()
	return d, nil
}

type rawField struct{ n, value []byte }

func parseDG13Structure(b []byte) ([]rawField, int, error) {
	v, err := iso7816.Unwrap(b, tagDG13)
	if err != nil {
		return nil, 0, err
	}
	seq, err := iso7816.Unwrap(v, tagSequence)
	if err != nil {
		return nil, 0, err
	}
	ver, rest, err := iso7816.Next(seq, tagInteger)
	if err != nil {
		return nil, 0, err
	}
	version, err := parseSmallInt(ver)
	if err != nil {
		return nil, 0, fmt.Errorf("version: %w", err)
	}
	if _, rest, err = iso7816.Next(rest, tagOID); err != nil {
		return nil, 0, err
	}
	set, err := iso7816.Unwrap(rest, tagSet)
	if err != nil {
		return nil, 0, err
	}
	items, err := iso7816.ParseAll(set)
	if err != nil {
		return nil, 0, err
	}
	out := make([]rawField, 0, len(items))
	for _, it := range items {
		if it.Tag != tagSequence {
			return nil, 0, fmt.Errorf("%w: field element with tag %s", iso7816.ErrMalformed, it.Tag)
		}
		n, val, err := iso7816.Next(it.Value, tagInteger)
		if err != nil {
			return nil, 0, err
		}
		out = append(out, rawField{n: n, value: val})
	}
	return out, version, nil
}

// parseFieldValue decodes the value element of a field. An empty value
// (the SEQUENCE holds only the number) is a field without text.
func parseFieldValue(b []byte) (Field, error) {
	if len(b) == 0 {
		return Field{Values: []string{""}}, nil
	}
	t, rest, err := iso7816.ParseTLV(b)
	if err != nil {
		return Field{}, err
	}
	if len(rest) != 0 {
		return Field{}, fmt.Errorf("%w: %d bytes after the value", iso7816.ErrMalformed, len(rest))
	}
	f := Field{DER: b}
	if t.Tag != tagSequence {
		if s, ok := decodeString(t); ok {
			f.Values = []string{s}
		}
		return f, nil
	}
	f.Seq = true
	elems, err := iso7816.ParseAll(t.Value)
	if err != nil {
		return Field{}, err
	}
	vals := make([]string, 0, len(elems))
	for _, e := range elems {
		s, ok := decodeString(e)
		if !ok {
			return f, nil // a SEQUENCE of something else: DER only
		}
		vals = append(vals, s)
	}
	f.Values = vals
	return f, nil
}

// decodeString accepts UTF8String, and the ASCII PrintableString and
// IA5String some cards use.
func decodeString(t iso7816.TLV) (string, bool) {
	switch t.Tag {
	case tagUTF8String:
		return string(t.Value), utf8.Valid(t.Value)
	case tagPrintableString, tagIA5String:
		for _, c := range t.Value {
			if c >= 0x80 {
				return "", false
			}
		}
		return string(t.Value), true
	}
	return "", false
}

func parseSmallInt(b []byte) (int, error) {
	if len(b) == 0 || len(b) > 3 || b[0]&0x80 != 0 {
		return 0, fmt.Errorf("%w: INTEGER %X is not a small non-negative number", iso7816.ErrMalformed, b)
	}
	n := 0
	for _, c := range b {
		n = n<<8 | int(c)
	}
	return n, nil
}

// Text returns the first string of field n, or "".
func (d *DG13) Text(n int) string {
	if f, ok := d.Raw[n]; ok && len(f.Values) > 0 {
		return f.Values[0]
	}
	return ""
}

func (d *DG13) decodeNamed() {
	for n, p := range map[int]*string{
		FieldID: &d.ID, FieldFullName: &d.FullName, FieldSex: &d.Sex, FieldNationality: &d.Nationality,
		FieldEthnicity: &d.Ethnicity, FieldReligion: &d.Religion, FieldHometown: &d.Hometown,
		FieldResidence: &d.Residence, FieldCharacteristics: &d.Characteristics, FieldOldID: &d.OldID,
	} {
		*p = d.Text(n)
	}
	for n, p := range map[int]*Date{FieldDateOfBirth: &d.DateOfBirth, FieldIssueDate: &d.IssueDate, FieldExpiryDate: &d.ExpiryDate} {
		*p, _ = ParseDate(d.Text(n)) // lenient: the text stays in Raw
	}
	if v := d.Raw[FieldParents].Values; len(v) > 0 {
		d.Father = v[0]
		if len(v) > 1 {
			d.Mother = v[1]
		}
	}
	d.Spouse = d.Text(FieldSpouse)
}

// Marshal encodes DG13 as the CCCD does: fields 1 to 14 always (empty text
// where unknown; 13 and 14 as SEQUENCEs of UTF8Strings), 15 when OldID is
// set, then any other field of Raw unchanged, in field number order.
func (d *DG13) Marshal() ([]byte, error) {
	fields := map[int][]byte{}
	for n, f := range d.Raw {
		if n < 1 {
			return nil, fmt.Errorf("DG13: field number %d", n)
		}
		fields[n] = f.DER
	}
	str := func(s string) []byte { return iso7816.EncodeTLV(tagUTF8String, []byte(s)) }
	for n, s := range map[int]string{
		FieldID: d.ID, FieldFullName: d.FullName, FieldDateOfBirth: d.DateOfBirth.DMY(), FieldSex: d.Sex,
		FieldNationality: d.Nationality, FieldEthnicity: d.Ethnicity, FieldReligion: d.Religion,
		FieldHometown: d.Hometown, FieldResidence: d.Residence, FieldCharacteristics: d.Characteristics,
		FieldIssueDate: d.IssueDate.DMY(), FieldExpiryDate: d.ExpiryDate.DMY(),
	} {
		if s != "" || fields[n] == nil {
			fields[n] = str(s)
		}
	}
	fields[FieldParents] = iso7816.EncodeTLV(tagSequence, str(d.Father), str(d.Mother))
	fields[FieldSpouse] = iso7816.EncodeTLV(tagSequence, str(d.Spouse))
	if d.OldID != "" {
		fields[FieldOldID] = str(d.OldID)
	}
	nums := make([]int, 0, len(fields))
	for n := range fields {
		nums = append(nums, n)
	}
	sort.Ints(nums)
	var set bytes.Buffer
	for _, n := range nums {
		set.Write(iso7816.EncodeTLV(tagSequence, encodeInt(n), fields[n]))
	}
	version := d.Version
	if version == 0 {
		version = 1
	}
	return iso7816.EncodeTLV(tagDG13, iso7816.EncodeTLV(tagSequence,
		encodeInt(version), iso7816.EncodeTLV(tagOID, oidUTF8), iso7816.EncodeTLV(tagSet, set.Bytes()))), nil
}

// encodeInt is a DER INTEGER of a small non-negative number.
func encodeInt(n int) []byte {
	var b []byte
	for v := n; ; v >>= 8 {
		b = append([]byte{byte(v)}, b...)
		if v < 0x80 {
			break
		}
	}
	return iso7816.EncodeTLV(tagInteger, b)
}
