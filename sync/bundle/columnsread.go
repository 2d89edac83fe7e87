package bundle

import (
	"encoding/binary"
	"errors"
	"fmt"
	"strconv"

	"github.com/xanode/xanode/node/registry"
)

// decodeColumns reads a format-3 payload of count entries (see the package
// doc). It accepts only what encode writes for what it decodes to: every
// stream read to its end, minimal varints, every value with the code that
// choose gives it, dictionaries in order of first use without repeats.
// Memory stays within a small multiple of len(raw): every allocation is
// bounded by a stream's length.
func decodeColumns(raw []byte, kind Kind, count uint64, commune string) (*columns, error) {
	in := cursor{b: raw}
	s := make([]cursor, numStreams)
	for i := range s {
		s[i] = cursor{b: in.bytes()}
	}
	if in.err != nil || len(in.b) != 0 {
		return nil, fmt.Errorf("%d streams, then %d bytes: %w", numStreams, len(in.b), errors.Join(in.err, errTrailing))
	}
	if count > uint64(len(s[streamIDs].b)) {
		return nil, fmt.Errorf("%d entries in %d bytes of IDs", count, len(s[streamIDs].b))
	}
	m := newColumns(kind, commune)
	if err := m.decodeIDs(&s[streamIDs], int(count)); err != nil {
		return nil, err
	}
	if err := m.decodeKinds(&s[streamKinds]); err != nil {
		return nil, err
	}
	n := len(m.entry)
	m.version = make([]uint64, n)
	prev := uint64(0)
	for i := range m.version {
		m.version[i] = prev + uint64(unzigzag(s[streamVersions].uvarint()))
		prev = m.version[i]
	}
	if err := s[streamVersions].end("versions"); err != nil {
		return nil, err
	}
	var dicts [numGroups]dictionary
	for g := range dicts {
		dicts[g] = dictionary{strings: &s[streamStrings+g], index: make(map[string]struct{})}
	}
	for k := range columnOrder {
		c := &columnOrder[k]
		codes, data := &s[streamColumns+2*k], &s[streamColumns+2*k+1]
		if len(codes.b) != n {
			return nil, fmt.Errorf("column %s: %d codes for %d records", c.field, len(codes.b), n)
		}
		if err := m.decodeColumn(c, codes.b, data, &dicts[c.group]); err != nil {
			return nil, fmt.Errorf("column %s: %w", c.field, err)
		}
	}
	for g := range dicts {
		if err := dicts[g].strings.end("dictionary"); err != nil {
			return nil, err
		}
	}
	return m, nil
}

var errTrailing = errors.New("bytes left over")

func (m *columns) decodeIDs(in *cursor, count int) error {
	m.ids = make([]string, count)
	prev, after := int64(-1), true
	for e := range m.ids {
		v := in.uvarint()
		if in.err != nil {
			return fmt.Errorf("ID %d: %w", e+1, in.err)
		}
		var id string
		if v%2 == 0 {
			if !after || v/2 >= uint64(maxPersonalID-prev) {
				return fmt.Errorf("ID %d: no personal ID %d after %d", e+1, v/2, prev)
			}
			id = formatDigits(uint64(prev)+1+v/2, idLen)
		} else {
			if v/2 == 0 || v/2 > uint64(len(in.b)) {
				return fmt.Errorf("ID %d: %d bytes", e+1, v/2)
			}
			id = string(in.take(int(v / 2)))
			if _, ok := digits(id, idLen); ok && after {
				return fmt.Errorf("ID %d: personal ID %s spelled out", e+1, id)
			}
		}
		if e > 0 && id <= m.ids[e-1] {
			return fmt.Errorf("%w: entry %q after %q", ErrOrder, id, m.ids[e-1])
		}
		m.ids[e] = id
		n, ok := digits(id, idLen)
		prev, after = int64(n), ok
	}
	return in.end("IDs")
}

const maxPersonalID = 999_999_999_999

// decodeKinds numbers the records: every entry of a full bundle, the
// upserts of a delta.
func (m *columns) decodeKinds(in *cursor) error {
	m.record = make([]int32, len(m.ids))
	if m.kind == KindFull {
		for e := range m.record {
			m.record[e] = int32(e)
		}
		m.entry = m.record
		return in.end("entry kinds of a full bundle")
	}
	if len(in.b) != len(m.ids) {
		return fmt.Errorf("%d entry kinds for %d entries", len(in.b), len(m.ids))
	}
	for e, tag := range in.b {
		switch tag {
		case tagUpsert:
			m.record[e] = int32(len(m.entry))
			m.entry = append(m.entry, int32(e))
		case tagRemove:
			m.record[e] = -1
		default:
			return fmt.Errorf("entry %d: unknown kind %d", e+1, tag)
		}
	}
	return nil
}

// dictionary is a group's strings as the decoder meets them.
type dictionary struct {
	strings *cursor
	list    []string
	index   map[string]struct{}
	last    uint64 // the index of the entry get returned last
}

// get returns the entry back entries before the next new one (0: the
// next new one, read from the strings stream).
func (d *dictionary) get(back uint64) (string, error) {
	if back > uint64(len(d.list)) {
		return "", fmt.Errorf("dictionary entry %d back of %d", back, len(d.list))
	}
	k := uint64(len(d.list)) - back
	d.last = k
	if back > 0 {
		return d.list[k], nil
	}
	n := d.strings.uvarint()
	if d.strings.err != nil || n > uint64(len(d.strings.b)) {
		return "", fmt.Errorf("dictionary entry %d: %d bytes: %w", k, n, errors.Join(d.strings.err, errShort))
	}
	v := string(d.strings.take(int(n)))
	if _, dup := d.index[v]; dup || v == "" {
		return "", fmt.Errorf("dictionary entry %d: %q again", k, v)
	}
	d.index[v] = struct{}{}
	d.list = append(d.list, v)
	return v, nil
}

var errShort = errors.New("truncated")

func (m *columns) decodeColumn(c *column, codes []byte, data *cursor, d *dictionary) error {
	col := makeStrs(len(codes))
	m.values[c.field] = col
	household := c.field == registry.FieldHousehold
	if household {
		m.household = make([]int32, len(codes))
	}
	var nums [3]uint64
	for i, code := range codes {
		if code >= numCodes {
			return fmt.Errorf("record %d: unknown code %d", i+1, code)
		}
		n := codeData[code]
		for j := range n {
			nums[j] = data.uvarint()
		}
		if data.err != nil {
			return fmt.Errorf("record %d: %w", i+1, data.err)
		}
		v, err := m.value(c, i, code, nums[:n], d)
		if err != nil {
			return fmt.Errorf("record %d: %w", i+1, err)
		}
		if household {
			m.household[i] = -1
			if code == codeDict {
				m.household[i] = int32(d.last)
			}
		}
		if got := m.choose(c, i, v); got.code != code {
			return fmt.Errorf("record %d: %q coded %d, canonical %d", i+1, v, code, got.code)
		}
		col.set(i, v)
	}
	if household {
		m.linkHouseholds(len(d.list))
	}
	return data.end("data")
}

// codeData is how many numbers each code takes from the data stream.
var codeData = [numCodes]int{codeDict: 1, codeDate: 3, codeMonth: 2, codeYear: 1, codeDigits: 1, codeMember: 1, codeRecord: 1}

// value decodes one value from its code and numbers. The caller checks
// that choose gives the same code.
func (m *columns) value(c *column, i int, code byte, nums []uint64, d *dictionary) (string, error) {
	switch code {
	case codeAbsent:
		return "", nil
	case codeAsBefore:
		if m.previous == nil || m.previous[i] < 0 {
			return "", errors.New("no earlier record of the household")
		}
		return m.values[c.field].at(int(m.previous[i])), nil
	case codeDerived:
		if c.derive == nil {
			return "", errors.New("the column derives nothing")
		}
		return c.derive(m, i), nil // "" is refused as not canonical
	case codeDict:
		return d.get(nums[0])
	case codeDate, codeMonth, codeYear:
		if c.kind != kindDate {
			return "", errors.New("a date in a column of no dates")
		}
		return m.date(c, i, code, nums)
	case codeDigits:
		width := c.width
		if c.kind == kindID {
			width = idLen
		}
		if c.kind != kindID && c.kind != kindDigits || nums[0] >= pow10(width) {
			return "", fmt.Errorf("number %d in %d digits", nums[0], width)
		}
		return formatDigits(nums[0], width), nil
	case codeMember:
		if c.kind != kindID || m.household == nil || m.household[i] < 0 {
			return "", errors.New("a household member, but no household")
		}
		recs := m.members[m.household[i]]
		if nums[0] >= uint64(len(recs)) {
			return "", fmt.Errorf("member %d of %d", nums[0], len(recs))
		}
		return m.ids[m.entry[recs[nums[0]]]], nil
	default: // codeRecord
		e := int64(m.entry[i]) + unzigzag(nums[0])
		if c.kind != kindID || e < 0 || e >= int64(len(m.ids)) {
			return "", fmt.Errorf("entry %d of %d", e, len(m.ids))
		}
		return m.ids[e], nil
	}
}

func (m *columns) date(c *column, i int, code byte, nums []uint64) (string, error) {
	ref := c.ref(m, i)
	part := func(base int, u uint64, limit int64) (int64, error) {
		v := int64(base) + unzigzag(u)
		if v < 0 || v > limit {
			return 0, fmt.Errorf("date part %d out of range", v)
		}
		return v, nil
	}
	y, err := part(ref.year, nums[0], 9999)
	if err != nil {
		return "", err
	}
	b := make([]byte, 0, 10)
	b = append(b, formatDigits(uint64(y), 4)...)
	if code == codeYear {
		return string(b), nil
	}
	mo, err := part(ref.month, nums[1], 99)
	if err != nil {
		return "", err
	}
	b = append(append(b, '-'), formatDigits(uint64(mo), 2)...)
	if code == codeMonth {
		return string(b), nil
	}
	d, err := part(ref.day, nums[2], 99)
	if err != nil {
		return "", err
	}
	return string(append(append(b, '-'), formatDigits(uint64(d), 2)...)), nil
}

func pow10(n int) uint64 {
	p := uint64(1)
	for range n {
		p *= 10
	}
	return p
}

// formatDigits writes n in exactly width digits (n < 10^width).
func formatDigits(n uint64, width int) string {
	var buf [20]byte
	b := strconv.AppendUint(buf[:0], n, 10)
	if len(b) >= width {
		return string(b)
	}
	out := make([]byte, width)
	pad := width - len(b)
	for i := range pad {
		out[i] = '0'
	}
	copy(out[pad:], b)
	return string(out)
}

// rows writes the entries in the payload encoding of format 2, which is
// what Open checks and hands out (Entry.Raw, the subset digest), so that
// both formats give the same bytes for the same records.
func (m *columns) rows(limit uint64) ([]byte, error) {
	// Room for every record at its longest encoding, so that the rows are
	// written without growing the buffer.
	size := uint64(0)
	for _, id := range m.ids {
		size += 2 + 2*binary.MaxVarintLen64 + uint64(len(id))
	}
	for f := 1; f < registry.NumFields; f++ {
		for _, chunk := range m.values[f] {
			for _, v := range chunk {
				if v != "" {
					size += 1 + binary.MaxVarintLen64 + uint64(len(v))
				}
			}
		}
	}
	b := make([]byte, 0, min(size, limit+1))
	var c registry.Citizen
	for e, id := range m.ids {
		r := m.record[e]
		if m.kind == KindDelta {
			if r < 0 {
				if len(id) > maxRemovedID {
					return nil, fmt.Errorf("removed ID %q is longer than %d bytes", id, maxRemovedID)
				}
				b = append(b, tagRemove, byte(len(id)))
				b = append(b, id...)
				continue
			}
			b = append(b, tagUpsert)
		}
		c.ID, c.Version = id, m.version[r]
		for f := 1; f < registry.NumFields; f++ {
			c.Values[f] = m.values[f].at(int(r))
		}
		b = registry.AppendCitizen(b, &c, false)
		if uint64(len(b)) > limit {
			return nil, fmt.Errorf("%w: records of more than %d bytes", ErrTooLarge, limit)
		}
	}
	return b, nil
}

// cursor reads a payload stream; the first error sticks, and every later
// read returns zero.
type cursor struct {
	b   []byte
	err error
}

// uvarint reads a minimal unsigned varint.
func (c *cursor) uvarint() uint64 {
	if c.err != nil {
		return 0
	}
	v, n := binary.Uvarint(c.b)
	switch {
	case n == 0:
		c.err = errShort
	case n < 0:
		c.err = errors.New("varint overflows 64 bits")
	case n > 1 && c.b[n-1] == 0:
		c.err = errors.New("non-minimal varint")
	}
	if c.err != nil {
		return 0
	}
	c.b = c.b[n:]
	return v
}

// bytes reads a length and that many bytes.
func (c *cursor) bytes() []byte {
	n := c.uvarint()
	if c.err == nil && n > uint64(len(c.b)) {
		c.err = errShort
	}
	if c.err != nil {
		return nil
	}
	return c.take(int(n))
}

func (c *cursor) take(n int) []byte {
	v := c.b[:n:n]
	c.b = c.b[n:]
	return v
}

// end reports a read error or bytes left over in the stream.
func (c *cursor) end(what string) error {
	if c.err != nil {
		return fmt.Errorf("%s: %w", what, c.err)
	}
	if len(c.b) != 0 {
		return fmt.Errorf("%s: %d %w", what, len(c.b), errTrailing)
	}
	return nil
}
