package bundle

import (
	"crypto/ed25519"
	"crypto/x509"
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	"github.com/xanode/xanode/node/registry"
)

// Errors of Build and Open, wrapped with %w together with the value that
// was wrong; test for them with errors.Is. Every error of Open means the
// bundle must not be used.
var (
	ErrMalformed       = errors.New("malformed bundle")
	ErrUnsupported     = errors.New("unsupported bundle format or kind (upgrade this node)")
	ErrTooLarge        = errors.New("bundle exceeds the size limit")
	ErrUntrustedSigner = errors.New("bundle signer is not a trusted data-signing certificate")
	ErrBadSignature    = errors.New("bundle signature does not verify")
	ErrPayloadHash     = errors.New("bundle payload does not match its signed hash")
	ErrDigestMismatch  = errors.New("bundle records do not match the signed subset digest")
	ErrCount           = errors.New("bundle record count differs from the signed count")
	ErrOrder           = errors.New("bundle records are not in strictly ascending ID order")
	ErrInvalid         = errors.New("invalid bundle parameters")
)

// Kind says what a bundle's payload is.
type Kind uint8

// The kinds of bundle (see the package doc for their payloads).
const (
	// KindFull is a full snapshot of a commune's subset at version To;
	// From is 0.
	KindFull Kind = 1
	// KindDelta takes a subset from version From to version To: upserts
	// and removals. From == To with no entries is a refresh: the city
	// vouches again, with new creation and expiry times, for a version
	// that has not changed, so an edge of a quiet commune does not go
	// stale.
	KindDelta Kind = 2
)

// Format versions (see the package doc). Open reads all three; Build
// writes FormatColumns unless asked for FormatRows.
const (
	// FormatRows has the record-by-record payload; Build writes it as
	// format 1, the first format, when there is no officer list.
	FormatRows = 2
	// FormatColumns has the column-by-column payload and says in the
	// header whether an officer list follows.
	FormatColumns = 3

	formatNoOfficers = 1
	formatVersion    = FormatColumns
)

const (
	magic      = "XNBUNDLE"
	prefixSize = len(magic) + 4
	sigSize    = ed25519.SignatureSize
	// MaxHeaderSize bounds the header: the signer certificate (under
	// 1 KiB for the city's) and the officer list (a few hundred bytes per
	// officer at most, MaxOfficers of them).
	MaxHeaderSize = 256 << 10
	// MaxSize is the absolute cap on a bundle's decompressed payload.
	MaxSize = 1 << 30
	// DefaultExpiry is how long a bundle stays fresh (DESIGN.md, "Signed subsets").
	DefaultExpiry = 7 * 24 * time.Hour
	maxCommuneLen = 32
	// minRecordSize is the smallest compact citizen encoding (format,
	// ID length, one ID byte, version, field count), which bounds a credible
	// record count by the raw size.
	minRecordSize = 5
	// minEntrySize is the smallest delta entry: a removal of a one-byte ID
	// (tag, ID length, ID).
	minEntrySize = 3
	// In format 3 a record takes at least an ID code, a version and a
	// code per column; a delta's removal an ID code and its kind.
	minColumnRecord = uint64(2 + registry.NumFields - 1)
	minColumnEntry  = 2
)

// Header describes a bundle. Build fills Count, Digest, PayloadHash,
// PayloadSize, RawSize and Signer; the caller sets the rest.
type Header struct {
	// Format is the format version: FormatColumns, FormatRows, or 1 (a
	// format-2 header without officers). Open sets it; in Build zero
	// means FormatColumns, and FormatRows makes a bundle that an edge of a
	// release before format 3 opens (format 1 when Officers is nil).
	Format uint8

	// Officers is the commune's whole officer account list at version To,
	// in ascending user order. nil means the bundle says nothing about
	// officers (format 1, which Build writes only for a nil list); an
	// empty, non-nil list says the commune has none.
	Officers []Officer

	Kind        Kind
	Commune     string    // commune code: 1 to 32 of 0-9 A-Z a-z '-' '_'
	From, To    uint64    // subset versions; From is 0 for a full bundle
	Count       uint64    // number of records
	Digest      [32]byte  // digest.Hash Sum of the subset after applying
	Created     time.Time // kept to the millisecond
	Expires     time.Time // zero in Build means Created + DefaultExpiry
	PayloadHash [32]byte  // SHA-256 of the compressed payload
	PayloadSize uint64    // compressed payload bytes
	RawSize     uint64    // decompressed payload bytes
	Signer      *x509.Certificate
}

// Expired reports whether the bundle's data is stale at now.
func (h *Header) Expired(now time.Time) bool { return !now.Before(h.Expires) }

func validCommune(s string) error {
	if s == "" || len(s) > maxCommuneLen {
		return fmt.Errorf("commune code %q must have 1 to %d characters", s, maxCommuneLen)
	}
	for _, r := range s {
		if !(r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r == '-' || r == '_') {
			return fmt.Errorf("commune code %q may hold only letters, digits, '-' and '_'", s)
		}
	}
	return nil
}

// check holds the rules on a header's own fields, for Open.
func (h *Header) check() error {
	if err := h.checkFields(); err != nil {
		return err
	}
	if h.RawSize > MaxSize || h.PayloadSize > MaxSize {
		return fmt.Errorf("%w: %d bytes raw, %d compressed; at most %d", ErrTooLarge, h.RawSize, h.PayloadSize, MaxSize)
	}
	minSize := uint64(minRecordSize)
	switch {
	case h.Format == FormatColumns && h.Kind == KindDelta:
		minSize = minColumnEntry
	case h.Format == FormatColumns:
		minSize = minColumnRecord
	case h.Kind == KindDelta:
		minSize = minEntrySize
	}
	if h.Count > h.RawSize/minSize {
		return fmt.Errorf("%w: %d records cannot fit in %d bytes", ErrMalformed, h.Count, h.RawSize)
	}
	return nil
}

// checkFields holds the rules that do not depend on the payload's sizes,
// which Build checks before it encodes anything.
func (h *Header) checkFields() error {
	switch h.Kind {
	case KindFull:
		if h.From != 0 {
			return fmt.Errorf("%w: full bundle from version %d, want 0", ErrMalformed, h.From)
		}
	case KindDelta:
		// From 0 would be a full bundle in disguise, without the digest
		// check that Open makes of full bundles.
		if h.From == 0 || h.From > h.To || h.From == h.To && h.Count != 0 {
			return fmt.Errorf("%w: delta from version %d to %d with %d entries", ErrMalformed, h.From, h.To, h.Count)
		}
	default:
		return fmt.Errorf("%w: kind %d", ErrUnsupported, h.Kind)
	}
	if err := validCommune(h.Commune); err != nil {
		return fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	if !h.Expires.After(h.Created) {
		return fmt.Errorf("%w: expires %v, not after created %v", ErrMalformed, h.Expires, h.Created)
	}
	if err := checkOfficers(h.Officers); err != nil {
		return fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	return nil
}

// appendHeader appends the header encoding of h.Format (see the package
// doc), which Build or parseHeader has set.
func appendHeader(b []byte, h *Header) []byte {
	b = append(b, h.Format, byte(h.Kind), byte(len(h.Commune)))
	b = append(b, h.Commune...)
	b = binary.BigEndian.AppendUint64(b, h.From)
	b = binary.BigEndian.AppendUint64(b, h.To)
	b = binary.BigEndian.AppendUint64(b, h.Count)
	b = append(b, h.Digest[:]...)
	b = binary.BigEndian.AppendUint64(b, uint64(h.Created.UnixMilli()))
	b = binary.BigEndian.AppendUint64(b, uint64(h.Expires.UnixMilli()))
	b = append(b, h.PayloadHash[:]...)
	b = binary.BigEndian.AppendUint64(b, h.PayloadSize)
	b = binary.BigEndian.AppendUint64(b, h.RawSize)
	b = binary.BigEndian.AppendUint16(b, uint16(len(h.Signer.Raw)))
	b = append(b, h.Signer.Raw...)
	if h.Format == FormatColumns {
		if h.Officers == nil {
			return append(b, 0)
		}
		b = append(b, 1)
	}
	if h.Officers != nil {
		b = appendOfficers(b, h.Officers)
	}
	return b
}

// parseHeader decodes exactly b as a header. It checks the encoding and the
// header's own rules, not the signature.
func parseHeader(b []byte) (*Header, error) {
	r := reader{b: b}
	version := r.byte()
	if r.ok() && version != FormatColumns && version != FormatRows && version != formatNoOfficers {
		return nil, fmt.Errorf("%w: format version %d", ErrUnsupported, version)
	}
	h := &Header{Format: version, Kind: Kind(r.byte())}
	h.Commune = string(r.bytes(int(r.byte())))
	h.From, h.To, h.Count = r.uint64(), r.uint64(), r.uint64()
	copy(h.Digest[:], r.bytes(32))
	h.Created = time.UnixMilli(int64(r.uint64())).UTC()
	h.Expires = time.UnixMilli(int64(r.uint64())).UTC()
	copy(h.PayloadHash[:], r.bytes(32))
	h.PayloadSize, h.RawSize = r.uint64(), r.uint64()
	der := r.bytes(int(r.uint16()))
	if !r.ok() {
		return nil, fmt.Errorf("%w: header truncated", ErrMalformed)
	}
	officers := version == FormatRows
	if version == FormatColumns {
		switch flag := r.byte(); {
		case !r.ok():
			return nil, fmt.Errorf("%w: header truncated", ErrMalformed)
		case flag > 1:
			return nil, fmt.Errorf("%w: officer list flag %d", ErrMalformed, flag)
		default:
			officers = flag == 1
		}
	}
	if officers {
		var err error
		if h.Officers, err = readOfficers(&r); err != nil {
			return nil, fmt.Errorf("%w: %w", ErrMalformed, err)
		}
	}
	if len(r.b) != 0 {
		return nil, fmt.Errorf("%w: %d bytes after the header fields", ErrMalformed, len(r.b))
	}
	if err := h.check(); err != nil {
		return nil, err
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, fmt.Errorf("%w: signer certificate: %w", ErrMalformed, err)
	}
	h.Signer = cert
	return h, nil
}

// reader reads fixed-width fields; after the first short read every read
// returns zero and ok reports false, so callers check once.
type reader struct {
	b   []byte
	bad bool
}

func (r *reader) ok() bool { return !r.bad }

func (r *reader) bytes(n int) []byte {
	if r.bad || n > len(r.b) {
		r.bad = true
		return nil
	}
	v := r.b[:n]
	r.b = r.b[n:]
	return v
}

func (r *reader) byte() byte {
	if v := r.bytes(1); v != nil {
		return v[0]
	}
	return 0
}

func (r *reader) uint16() uint16 {
	if v := r.bytes(2); v != nil {
		return binary.BigEndian.Uint16(v)
	}
	return 0
}

func (r *reader) uint32() uint32 {
	if v := r.bytes(4); v != nil {
		return binary.BigEndian.Uint32(v)
	}
	return 0
}

func (r *reader) uint64() uint64 {
	if v := r.bytes(8); v != nil {
		return binary.BigEndian.Uint64(v)
	}
	return 0
}
