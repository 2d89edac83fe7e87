package iso7816

import (
	"fmt"
)

// Tag is a BER-TLV tag held as its encoded bytes, e.g. 0x5F1F or 0x7F61.
type Tag uint32

// Limits that keep parsing of card bytes bounded: ISO 7816-4 tags have at
// most three bytes and no eMRTD object comes near 2^32 bytes.
const (
	maxTagBytes    = 3
	maxLengthBytes = 4
)

// Constructed reports whether the tag marks a constructed data object (one
// whose value is itself a series of BER-TLVs).
func (t Tag) Constructed() bool { return t.firstByte()&0x20 != 0 }

func (t Tag) firstByte() byte {
	for t > 0xFF {
		t >>= 8
	}
	return byte(t)
}

func (t Tag) String() string { return fmt.Sprintf("%02X", uint32(t)) }

// AppendTag appends the encoded tag.
func AppendTag(dst []byte, t Tag) []byte {
	switch {
	case t > 0xFFFFFF:
		return append(dst, byte(t>>24), byte(t>>16), byte(t>>8), byte(t))
	case t > 0xFFFF:
		return append(dst, byte(t>>16), byte(t>>8), byte(t))
	case t > 0xFF:
		return append(dst, byte(t>>8), byte(t))
	}
	return append(dst, byte(t))
}

// AppendLength appends a DER length: short form below 128, else the shortest
// long form.
func AppendLength(dst []byte, n int) []byte {
	switch {
	case n < 0x80:
		return append(dst, byte(n))
	case n <= 0xFF:
		return append(dst, 0x81, byte(n))
	case n <= 0xFFFF:
		return append(dst, 0x82, byte(n>>8), byte(n))
	case n <= 0xFFFFFF:
		return append(dst, 0x83, byte(n>>16), byte(n>>8), byte(n))
	}
	return append(dst, 0x84, byte(n>>24), byte(n>>16), byte(n>>8), byte(n))
}

// AppendTLV appends one data object.
func AppendTLV(dst []byte, t Tag, value []byte) []byte {
	dst = AppendTag(dst, t)
	dst = AppendLength(dst, len(value))
	return append(dst, value...)
}

// EncodeTLV returns one data object; values are concatenated children for a
// constructed tag.
func EncodeTLV(t Tag, values ...[]byte) []byte {
	n := 0
	for _, v := range values {
		n += len(v)
	}
	b := make([]byte, 0, n+8)
	b = AppendTag(b, t)
	b = AppendLength(b, n)
	for _, v := range values {
		b = append(b, v...)
	}
	return b
}

// ParseHeader decodes the tag and length at the start of b. It needs only
// the header bytes, so a reader can learn a file's size from its first few
// bytes; valueLen may exceed what b holds.
func ParseHeader(b []byte) (tag Tag, headerLen, valueLen int, err error) {
	if len(b) == 0 {
		return 0, 0, 0, fmt.Errorf("%w: empty data object", ErrTruncated)
	}
	i := 1
	tag = Tag(b[0])
	if b[0]&0x1F == 0x1F { // tag number continues in the next bytes
		for {
			if i >= len(b) {
				return 0, 0, 0, fmt.Errorf("%w: tag cut short", ErrTruncated)
			}
			if i >= maxTagBytes {
				return 0, 0, 0, fmt.Errorf("%w: tag longer than %d bytes", ErrMalformed, maxTagBytes)
			}
			tag = tag<<8 | Tag(b[i])
			i++
			if b[i-1]&0x80 == 0 {
				break
			}
		}
	}
	if i >= len(b) {
		return 0, 0, 0, fmt.Errorf("%w: length of tag %s missing", ErrTruncated, tag)
	}
	first := b[i]
	i++
	if first < 0x80 {
		return tag, i, int(first), nil
	}
	n := int(first & 0x7F)
	if n == 0 {
		return 0, 0, 0, fmt.Errorf("%w: indefinite length under tag %s", ErrMalformed, tag)
	}
	if n > maxLengthBytes {
		return 0, 0, 0, fmt.Errorf("%w: %d-byte length under tag %s", ErrMalformed, n, tag)
	}
	if i+n > len(b) {
		return 0, 0, 0, fmt.Errorf("%w: length of tag %s cut short", ErrTruncated, tag)
	}
	var l uint64
	for _, c := range b[i : i+n] {
		l = l<<8 | uint64(c)
	}
	if l > 1<<31-1 {
		return 0, 0, 0, fmt.Errorf("%w: length %d under tag %s", ErrMalformed, l, tag)
	}
	return tag, i + n, int(l), nil
}

// TLV is one BER-TLV data object. Value aliases the parsed bytes.
type TLV struct {
	Tag   Tag
	Value []byte
}

// ParseTLV decodes the data object at the start of b and returns the bytes
// after it.
func ParseTLV(b []byte) (TLV, []byte, error) {
	tag, h, n, err := ParseHeader(b)
	if err != nil {
		return TLV{}, nil, err
	}
	if n > len(b)-h {
		return TLV{}, nil, fmt.Errorf("%w: tag %s claims %d bytes, %d left", ErrTruncated, tag, n, len(b)-h)
	}
	return TLV{Tag: tag, Value: b[h : h+n : h+n]}, b[h+n:], nil
}

// ParseAll decodes a series of data objects that fills b exactly.
func ParseAll(b []byte) ([]TLV, error) {
	var out []TLV
	for len(b) > 0 {
		t, rest, err := ParseTLV(b)
		if err != nil {
			return nil, err
		}
		out = append(out, t)
		b = rest
	}
	return out, nil
}

// Unwrap returns the value of the single data object that fills b exactly
// and carries tag want: the usual shape of an eMRTD elementary file.
func Unwrap(b []byte, want Tag) ([]byte, error) {
	t, rest, err := ParseTLV(b)
	if err != nil {
		return nil, err
	}
	if t.Tag != want {
		return nil, fmt.Errorf("%w: tag %s, want %s", ErrMalformed, t.Tag, want)
	}
	if len(rest) != 0 {
		return nil, fmt.Errorf("%w: %d bytes after tag %s", ErrMalformed, len(rest), want)
	}
	return t.Value, nil
}

// Next decodes the next data object of a constructed value and requires
// tag want, for walking a fixed sequence of children.
func Next(b []byte, want Tag) (value, rest []byte, err error) {
	t, rest, err := ParseTLV(b)
	if err != nil {
		return nil, nil, err
	}
	if t.Tag != want {
		return nil, nil, fmt.Errorf("%w: tag %s where %s was expected", ErrMalformed, t.Tag, want)
	}
	return t.Value, rest, nil
}

// Find returns the value of the first child with tag want in a series of
// data objects, and whether it was there. Malformed data is an error even
// after a match, so callers never act on half-valid input.
func Find(b []byte, want Tag) ([]byte, bool, error) {
	all, err := ParseAll(b)
	if err != nil {
		return nil, false, err
	}
	for _, t := range all {
		if t.Tag == want {
			return t.Value, true, nil
		}
	}
	return nil, false, nil
}
