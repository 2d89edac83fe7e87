// Package presence is proof of presence: the evidence an office sends
// that a citizen's card was at its desk, and the city's check of it. The
// edge reads the chip and sends its files as read (EF.SOD, DG1, DG13, and
// EF.CardAccess, DG14 and DG15 when the card has them) with the chip's
// Active Authentication signature over a fresh challenge the city issued
// for that request. The city verifies everything itself, trusting nothing
// the edge concluded: passive authentication against its own CSCA store,
// DG1 and DG13 parsed and compared, EF.CardAccess against DG14, and the
// signature with DG15's key over exactly that challenge.
//
// Only Active Authentication makes a proof of presence in the strict
// sense: EF.SOD, DG1 and DG13 are the same at every read, so whoever read
// the card once can send them again. A card without DG15 yields verified
// chip data with AA false, which the city treats as such (a review, not
// an automatic change). That the challenge is one the city issued, for
// this request, and not used before is for the caller to check; Verify
// checks the signature over the challenge the proof names.
package presence

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/xanode/xanode/reader/emrtd"
)

// Errors of this package. A proof that cannot be decoded, or whose files
// do not parse, is ErrMalformed; one that parses but fails a check
// (passive authentication, a data group hash, DG1 against DG13,
// EF.CardAccess against DG14, Active Authentication) is ErrNotAuthentic.
var (
	// ErrMalformed means the proof's encoding, or a file in it, is not
	// what it must be: nothing in it was checked.
	ErrMalformed = errors.New("presence: malformed proof")
	// ErrNotAuthentic means the proof parses but does not establish the
	// card's data or its presence; Verified.Reasons lists why.
	ErrNotAuthentic = errors.New("presence: the chip data are not authentic")
	// ErrNoTrustStore means Verify was given no CSCA trust store.
	ErrNoTrustStore = errors.New("presence: no CSCA trust store to verify against")
)

// Size caps of a proof: every file far above what a CCCD holds (DG13 is
// about 1 KB, EF.SOD 2 KB, DG15 with an RSA-4096 key 550 bytes), the
// total bounding the work a hostile proof can cause.
const (
	MaxFileSize  = 64 << 10
	MaxTotalSize = 256 << 10
)

// Proof is one proof of presence: a card's files as the chip gave them,
// and its Active Authentication answer over the city's challenge. Files
// are whole, tag included; nil means the card has no such file.
type Proof struct {
	CardAccess []byte // EF.CardAccess; optional
	SOD        []byte // EF.SOD
	DG1        []byte
	DG13       []byte
	DG14       []byte // optional
	DG15       []byte // optional: the Active Authentication key
	// Challenge is the 8 bytes the city issued for this request.
	Challenge []byte
	// AASignature is the chip's answer to INTERNAL AUTHENTICATE with
	// Challenge; nil when the card has no DG15.
	AASignature []byte
}

// Wire format: magic, version, then fields as tag (1 byte), length (4
// bytes, big endian), value, in ascending tag order, each at most once,
// absent when empty. One proof has exactly one encoding.
var magic = []byte("XNPP")

const (
	version      = 1
	headerLen    = 5 // magic and version
	fieldHeadLen = 5
)

// field describes one field of the wire format, in tag order.
type field struct {
	tag      byte
	name     string
	required bool
	of       func(*Proof) *[]byte
}

var fields = []field{
	{1, "EF.SOD", true, func(p *Proof) *[]byte { return &p.SOD }},
	{2, "DG1", true, func(p *Proof) *[]byte { return &p.DG1 }},
	{3, "DG13", true, func(p *Proof) *[]byte { return &p.DG13 }},
	{4, "EF.CardAccess", false, func(p *Proof) *[]byte { return &p.CardAccess }},
	{5, "DG14", false, func(p *Proof) *[]byte { return &p.DG14 }},
	{6, "DG15", false, func(p *Proof) *[]byte { return &p.DG15 }},
	{7, "challenge", true, func(p *Proof) *[]byte { return &p.Challenge }},
	{8, "AA signature", false, func(p *Proof) *[]byte { return &p.AASignature }},
}

// maxEncodedSize bounds an encoding before it is looked at.
var maxEncodedSize = headerLen + len(fields)*fieldHeadLen + MaxTotalSize

// Validate checks the proof's shape, not its contents: the files a proof
// needs are there, each within MaxFileSize and all within MaxTotalSize,
// the challenge has emrtd.AAChallengeLen bytes, and a signature comes
// with the DG15 that verifies it. An error is ErrMalformed.
func (p Proof) Validate() error {
	total := 0
	for _, f := range fields {
		n := len(*f.of(&p))
		switch {
		case n == 0 && f.required:
			return fmt.Errorf("%w: no %s", ErrMalformed, f.name)
		case n > MaxFileSize:
			return fmt.Errorf("%w: %s of %d bytes, at most %d", ErrMalformed, f.name, n, MaxFileSize)
		}
		total += n
	}
	if total > MaxTotalSize {
		return fmt.Errorf("%w: %d bytes of files, at most %d", ErrMalformed, total, MaxTotalSize)
	}
	if len(p.Challenge) != emrtd.AAChallengeLen {
		return fmt.Errorf("%w: challenge of %d bytes, want %d", ErrMalformed, len(p.Challenge), emrtd.AAChallengeLen)
	}
	if len(p.AASignature) > 0 && len(p.DG15) == 0 {
		return fmt.Errorf("%w: an active authentication signature without the DG15 to verify it", ErrMalformed)
	}
	return nil
}

// Marshal encodes a valid proof in its one binary form.
func (p Proof) Marshal() ([]byte, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	out := append(append(make([]byte, 0, 1024), magic...), version)
	for _, f := range fields {
		v := *f.of(&p)
		if len(v) == 0 {
			continue
		}
		out = append(out, f.tag)
		out = binary.BigEndian.AppendUint32(out, uint32(len(v)))
		out = append(out, v...)
	}
	return out, nil
}

// Unmarshal decodes what Marshal made and refuses anything else: another
// magic or version, unknown, repeated, out of order, empty or oversized
// fields, truncation, trailing bytes, and proofs Validate refuses. The
// proof's files are copies, not parts of b.
func Unmarshal(b []byte) (*Proof, error) {
	if len(b) > maxEncodedSize {
		return nil, fmt.Errorf("%w: %d bytes, at most %d", ErrMalformed, len(b), maxEncodedSize)
	}
	if len(b) < headerLen || !bytes.Equal(b[:len(magic)], magic) {
		return nil, fmt.Errorf("%w: not a proof of presence (no %q header)", ErrMalformed, magic)
	}
	if b[len(magic)] != version {
		return nil, fmt.Errorf("%w: version %d, this build reads version %d", ErrMalformed, b[len(magic)], version)
	}
	p := &Proof{}
	rest, next := b[headerLen:], 0
	for len(rest) > 0 {
		if len(rest) < fieldHeadLen {
			return nil, fmt.Errorf("%w: %d bytes after the last field, too few for another", ErrMalformed, len(rest))
		}
		i, err := fieldAt(rest[0], next)
		if err != nil {
			return nil, err
		}
		f, n := fields[i], binary.BigEndian.Uint32(rest[1:fieldHeadLen])
		switch {
		case n == 0:
			return nil, fmt.Errorf("%w: empty %s (an absent file is left out)", ErrMalformed, f.name)
		case n > MaxFileSize:
			return nil, fmt.Errorf("%w: %s of %d bytes, at most %d", ErrMalformed, f.name, n, MaxFileSize)
		case uint64(n) > uint64(len(rest)-fieldHeadLen):
			return nil, fmt.Errorf("%w: %s of %d bytes cut short at %d", ErrMalformed, f.name, n, len(rest)-fieldHeadLen)
		}
		*f.of(p) = bytes.Clone(rest[fieldHeadLen : fieldHeadLen+int(n)])
		rest, next = rest[fieldHeadLen+int(n):], i+1
	}
	if err := p.Validate(); err != nil {
		return nil, err
	}
	return p, nil
}

// fieldAt finds the field of tag among fields[next:], the ones that may
// still come.
func fieldAt(tag byte, next int) (int, error) {
	for i, f := range fields {
		if f.tag != tag {
			continue
		}
		if i < next {
			return 0, fmt.Errorf("%w: %s repeated or out of order", ErrMalformed, f.name)
		}
		return i, nil
	}
	return 0, fmt.Errorf("%w: unknown field %d", ErrMalformed, tag)
}

// MarshalJSON encodes the proof as a JSON string holding Marshal's bytes
// in standard base64, so that a proof inside a JSON request keeps its one
// form and its size caps.
func (p Proof) MarshalJSON() ([]byte, error) {
	b, err := p.Marshal()
	if err != nil {
		return nil, err
	}
	return json.Marshal(base64.StdEncoding.EncodeToString(b))
}

// UnmarshalJSON decodes what MarshalJSON made, with Unmarshal's checks.
func (p *Proof) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("%w: not a JSON string: %v", ErrMalformed, err)
	}
	if len(s) > base64.StdEncoding.EncodedLen(maxEncodedSize) {
		return fmt.Errorf("%w: %d characters of base64, at most %d", ErrMalformed, len(s), base64.StdEncoding.EncodedLen(maxEncodedSize))
	}
	raw, err := base64.StdEncoding.Strict().DecodeString(s)
	if err != nil {
		return fmt.Errorf("%w: base64: %v", ErrMalformed, err)
	}
	q, err := Unmarshal(raw)
	if err != nil {
		return err
	}
	*p = *q
	return nil
}
