package registry

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// The canonical binary encoding: fixed order, unsigned varints, strings as
// length + bytes, only set fields, fields ascending. Equal values always give
// equal bytes, so digests and signatures can be taken over them; the decoders
// accept only those bytes (no padded varints, no empty fields), so a value
// has exactly one encoding.

// ErrEncoding is returned when bytes do not decode as the expected value.
var ErrEncoding = errors.New("malformed encoding")

const (
	// citizenFull (3) carries per-field stamps as a table: the distinct
	// stamps in order of first use by ascending field, then each field's
	// index into it. A record mostly holds few distinct stamps (an import
	// sets every field at once), so the table is much smaller than a stamp
	// per field. (Format 1, a stamp per field, was never released.)
	citizenFull    = 3
	citizenCompact = 2 // values only (edge bundles)
	changeFormat   = 1
	outcomeFormat  = 1
)

func appendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

// AppendCitizen appends the canonical encoding of c. With stamps false it
// omits per-field provenance (what an edge needs is the values and Version).
func AppendCitizen(b []byte, c *Citizen, stamps bool) []byte {
	format := byte(citizenCompact)
	if stamps {
		format = citizenFull
	}
	b = append(b, format)
	b = appendString(b, c.ID)
	b = binary.AppendUvarint(b, c.Version)
	var table []Stamp
	var ref [NumFields]int
	n := 0
	for f := Field(1); f < numFields; f++ {
		if !c.encodes(f, stamps) {
			continue
		}
		n++
		if stamps {
			ref[f] = stampIndex(&table, c.Stamps[f])
		}
	}
	if stamps {
		b = binary.AppendUvarint(b, uint64(len(table)))
		for _, s := range table {
			b = binary.AppendUvarint(b, s.Index)
			b = binary.AppendUvarint(b, uint64(s.Time))
			b = appendString(b, s.Node)
		}
	}
	b = binary.AppendUvarint(b, uint64(n))
	for f := Field(1); f < numFields; f++ {
		if !c.encodes(f, stamps) {
			continue
		}
		b = append(b, byte(f))
		b = appendString(b, c.Values[f])
		if stamps {
			b = binary.AppendUvarint(b, uint64(ref[f]))
		}
	}
	return b
}

// stampIndex returns s's position in the table, appending it if new.
func stampIndex(table *[]Stamp, s Stamp) int {
	for i, t := range *table {
		if t == s {
			return i
		}
	}
	*table = append(*table, s)
	return len(*table) - 1
}

// encodes reports whether field f is written: a set value, or, with
// stamps, a field that a change cleared (its stamp still decides conflicts).
func (c *Citizen) encodes(f Field, stamps bool) bool {
	return c.Values[f] != "" || (stamps && c.Stamps[f] != Stamp{})
}

// DecodeCitizen decodes one citizen from b and returns the rest of b.
func DecodeCitizen(b []byte) (*Citizen, []byte, error) {
	d := decoder{b: b}
	format := d.byte()
	if d.err == nil && format != citizenFull && format != citizenCompact {
		return nil, nil, fmt.Errorf("%w: citizen format %d", ErrEncoding, format)
	}
	full := format == citizenFull
	c := &Citizen{ID: d.string(), Version: d.uvarint()}
	var table []Stamp
	if full {
		k := d.count(3)
		for i := 0; i < k && d.err == nil; i++ {
			table = append(table, Stamp{Index: d.uvarint(), Time: HLC(d.uvarint()), Node: d.string()})
		}
	}
	n := d.count(2)
	prev, used := Field(0), 0
	for i := 0; i < n && d.err == nil; i++ {
		f := Field(d.byte())
		if !f.Valid() || f <= prev {
			d.fail("field %d out of order or unknown", f)
			break
		}
		prev = f
		c.Values[f] = d.string()
		if full {
			// Canonical: each field names a stamp already used or the next
			// new one, so the table is in order of first use.
			k := d.uvarint()
			if d.err != nil {
				break
			}
			if k > uint64(used) || k >= uint64(len(table)) {
				d.fail("field %s names stamp %d of %d (%d used)", f, k, len(table), used)
				break
			}
			if k == uint64(used) {
				used++
			}
			c.Stamps[f] = table[k]
		}
		if d.err == nil && !c.encodes(f, full) {
			// The encoder omits unset, unstamped fields; accepting one would
			// give a second encoding of the same record.
			d.fail("field %s is empty", f)
			break
		}
	}
	if d.err == nil && used != len(table) {
		d.fail("%d stamps in the table, %d used", len(table), used)
	}
	if d.err == nil && full {
		for i := 0; i < len(table); i++ {
			for j := i + 1; j < len(table); j++ {
				if table[i] == table[j] {
					d.fail("stamp %d repeats stamp %d", j, i)
				}
			}
		}
	}
	if d.err != nil {
		return nil, nil, d.err
	}
	return c, d.b, nil
}

// AppendChange appends the canonical encoding of c, signature included.
func AppendChange(b []byte, c *Change) []byte {
	b = appendChangeBody(b, c)
	return appendString(b, string(c.Sig))
}

// SigningBytes is what a node signs: the canonical encoding without Sig.
func (c *Change) SigningBytes() []byte { return appendChangeBody(nil, c) }

func appendChangeBody(b []byte, c *Change) []byte {
	b = append(b, changeFormat)
	b = appendString(b, c.Node)
	b = binary.AppendUvarint(b, c.Seq)
	b = appendString(b, c.Officer)
	b = appendString(b, string(c.Op))
	b = appendString(b, c.Citizen)
	b = appendString(b, c.Commune)
	b = binary.AppendUvarint(b, c.Base)
	b = binary.AppendUvarint(b, uint64(len(c.Patch)))
	for _, fv := range c.Patch {
		b = append(b, byte(fv.Field))
		b = appendString(b, fv.Value)
	}
	b = binary.AppendUvarint(b, uint64(c.Time))
	b = appendString(b, c.Procedure)
	return appendString(b, c.Note)
}

// DecodeChange decodes one change from b and returns the rest of b. It
// checks the encoding only; call Validate for the rules.
func DecodeChange(b []byte) (*Change, []byte, error) { return (*ChangeDecoder)(nil).Decode(b) }

// ChangeDecoder decodes a run of changes (a push, a log entry's), keeping
// one copy of the strings that repeat from change to change — node,
// officer, operation, commune — instead of one per change: a push's
// changes name one node. The zero value shares nothing; NewChangeDecoder
// shares.
type ChangeDecoder struct{ seen map[string]string }

// NewChangeDecoder returns a decoder that shares repeated strings.
func NewChangeDecoder() *ChangeDecoder { return &ChangeDecoder{seen: map[string]string{}} }

// maxShared bounds the strings a ChangeDecoder keeps.
const maxShared = 64

// Decode decodes one change from b and returns the rest of b, as
// DecodeChange does.
func (cd *ChangeDecoder) Decode(b []byte) (*Change, []byte, error) {
	var seen map[string]string
	if cd != nil {
		seen = cd.seen
	}
	d := decoder{b: b}
	if f := d.byte(); d.err == nil && f != changeFormat {
		return nil, nil, fmt.Errorf("%w: change format %d", ErrEncoding, f)
	}
	c := &Change{
		Node:    d.shared(seen),
		Seq:     d.uvarint(),
		Officer: d.shared(seen),
		Op:      Op(d.shared(seen)),
		Citizen: d.string(),
		Commune: d.shared(seen),
		Base:    d.uvarint(),
	}
	n := d.count(2)
	if n > 0 {
		c.Patch = make(Patch, 0, n)
	}
	for i := 0; i < n && d.err == nil; i++ {
		c.Patch = append(c.Patch, FieldValue{Field(d.byte()), d.string()})
	}
	c.Time = HLC(d.uvarint())
	c.Procedure = d.string()
	c.Note = d.string()
	if sig := d.string(); sig != "" {
		c.Sig = []byte(sig)
	}
	if d.err != nil {
		return nil, nil, d.err
	}
	return c, d.b, nil
}

// AppendOutcome appends the canonical encoding of o.
func AppendOutcome(b []byte, o *Outcome) []byte {
	b = append(b, outcomeFormat)
	b = appendString(b, o.Change)
	b = appendString(b, string(o.Result))
	b = appendString(b, string(o.Original))
	b = appendString(b, o.Reason)
	b = binary.AppendUvarint(b, o.Index)
	b = appendString(b, o.Citizen)
	b = binary.AppendUvarint(b, uint64(len(o.Lost)))
	for _, l := range o.Lost {
		b = append(b, byte(l.Field))
		b = appendString(b, l.Winner)
		b = appendString(b, l.By)
		b = binary.AppendUvarint(b, uint64(l.Time))
	}
	clamped := byte(0)
	if o.Clamped {
		clamped = 1
	}
	return append(b, clamped)
}

// DecodeOutcome decodes one outcome from b and returns the rest of b.
func DecodeOutcome(b []byte) (*Outcome, []byte, error) {
	d := decoder{b: b}
	if f := d.byte(); d.err == nil && f != outcomeFormat {
		return nil, nil, fmt.Errorf("%w: outcome format %d", ErrEncoding, f)
	}
	o := &Outcome{
		Change:   d.string(),
		Result:   Result(d.string()),
		Original: Result(d.string()),
		Reason:   d.string(),
		Index:    d.uvarint(),
		Citizen:  d.string(),
	}
	n := d.count(4)
	for i := 0; i < n && d.err == nil; i++ {
		o.Lost = append(o.Lost, Loss{Field: Field(d.byte()), Winner: d.string(), By: d.string(), Time: HLC(d.uvarint())})
	}
	clamped := d.byte()
	if clamped > 1 {
		d.fail("clamped flag %d is not 0 or 1", clamped)
	}
	o.Clamped = clamped == 1
	if d.err != nil {
		return nil, nil, d.err
	}
	return o, d.b, nil
}

// decoder reads the canonical encoding; the first error sticks and every
// later read returns a zero value, so callers check once at the end.
type decoder struct {
	b   []byte
	err error
}

func (d *decoder) fail(format string, a ...any) {
	if d.err == nil {
		d.err = fmt.Errorf("%w: %s", ErrEncoding, fmt.Sprintf(format, a...))
	}
}

func (d *decoder) byte() byte {
	if d.err != nil {
		return 0
	}
	if len(d.b) == 0 {
		d.fail("truncated")
		return 0
	}
	v := d.b[0]
	d.b = d.b[1:]
	return v
}

func (d *decoder) uvarint() uint64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Uvarint(d.b)
	if n == 0 {
		d.fail("truncated")
		return 0
	}
	if n < 0 {
		d.fail("varint overflows 64 bits")
		return 0
	}
	if n > 1 && d.b[n-1] == 0 {
		// A zero last byte means a shorter encoding exists: refuse it, so
		// that decoding accepts exactly the bytes the encoder produces.
		d.fail("non-minimal varint")
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *decoder) string() string { return d.shared(nil) }

// shared is string, returning the copy seen holds of an equal string
// (and keeping this one there while it has room).
func (d *decoder) shared(seen map[string]string) string {
	n := d.uvarint()
	if d.err != nil {
		return ""
	}
	if n > uint64(len(d.b)) {
		d.fail("string of %d bytes, %d left", n, len(d.b))
		return ""
	}
	b := d.b[:n]
	d.b = d.b[n:]
	if s, ok := seen[string(b)]; ok {
		return s
	}
	s := string(b)
	if seen != nil && len(seen) < maxShared {
		seen[s] = s
	}
	return s
}

// count reads an element count, refusing counts that the remaining bytes
// cannot hold (each element takes at least min bytes).
func (d *decoder) count(min int) int {
	n := d.uvarint()
	if d.err == nil && n > uint64(len(d.b)/min) {
		d.fail("count %d exceeds the data", n)
		return 0
	}
	return int(n)
}
