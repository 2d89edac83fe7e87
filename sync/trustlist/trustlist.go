package trustlist

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"crypto/x509"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/xanode/xanode/certs"
)

// Errors of Build and Open, wrapped with the value that was wrong; test
// with errors.Is. Every error of Open means the list must not be used.
var (
	ErrMalformed       = errors.New("trustlist: malformed trust list")
	ErrUnsupported     = errors.New("trustlist: unsupported trust list format (upgrade this node)")
	ErrTooLarge        = errors.New("trustlist: trust list exceeds a size limit")
	ErrUntrustedSigner = errors.New("trustlist: signer is not a trusted data-signing certificate")
	ErrBadSignature    = errors.New("trustlist: signature does not verify")
	ErrPayloadHash     = errors.New("trustlist: items do not match their signed hash")
	ErrRollback        = errors.New("trustlist: older than the trust list held (a replayed list)")
	ErrInvalid         = errors.New("trustlist: invalid parameters")
)

// Kind says what an item is.
type Kind uint8

// The kinds of item.
const (
	KindCSCA Kind = 1 // a CSCA (or link) certificate
	KindCRL  Kind = 2 // a CSCA's certificate revocation list
)

// Limits of a list. A master list of every ICAO member holds a few
// hundred certificates of 1 to 2 KiB; a CRL of a large country, a few
// hundred KiB.
const (
	MaxHeaderSize = 16 << 10 // the signer certificate is under 1 KiB
	MaxItems      = 10000
	MaxItem       = 1 << 20
	MaxPayload    = 32 << 20
)

const (
	magic         = "XNTRUSTL"
	formatVersion = 1
	prefixSize    = len(magic) + 4
	sigSize       = ed25519.SignatureSize
	itemHead      = 5 // kind and length
)

// Item is a certificate or CRL, DER.
type Item struct {
	Kind Kind
	DER  []byte
}

// Fingerprint is the item's SHA-256, how the trust set names it.
func (it Item) Fingerprint() [32]byte { return sha256.Sum256(it.DER) }

// List is an opened trust list.
type List struct {
	Version uint64
	Created time.Time
	Items   []Item // in fingerprint order; DER points into the opened bytes
	Signer  *x509.Certificate
}

type header struct {
	version     uint64
	created     time.Time
	count       uint32
	payloadHash [32]byte
	payloadSize uint64
	signer      *x509.Certificate
}

// Build encodes items (in any order) as the list of version, created at
// created, signed with key, whose certificate is cert.
func Build(items []Item, version uint64, created time.Time, key ed25519.PrivateKey, cert *x509.Certificate) ([]byte, error) {
	if key == nil || cert == nil {
		return nil, fmt.Errorf("%w: no data-signing key or certificate", ErrInvalid)
	}
	if len(items) > MaxItems {
		return nil, fmt.Errorf("%w: %d items, at most %d", ErrTooLarge, len(items), MaxItems)
	}
	sorted := slices.Clone(items)
	slices.SortFunc(sorted, func(a, b Item) int {
		fa, fb := a.Fingerprint(), b.Fingerprint()
		return bytes.Compare(fa[:], fb[:])
	})
	var payload []byte
	for i, it := range sorted {
		if it.Kind != KindCSCA && it.Kind != KindCRL {
			return nil, fmt.Errorf("%w: item kind %d", ErrInvalid, it.Kind)
		}
		if len(it.DER) == 0 || len(it.DER) > MaxItem {
			return nil, fmt.Errorf("%w: item of %d bytes (1 to %d)", ErrTooLarge, len(it.DER), MaxItem)
		}
		if i > 0 && sorted[i-1].Fingerprint() == it.Fingerprint() {
			return nil, fmt.Errorf("%w: item %x given twice", ErrInvalid, it.Fingerprint())
		}
		payload = append(payload, byte(it.Kind))
		payload = binary.BigEndian.AppendUint32(payload, uint32(len(it.DER)))
		payload = append(payload, it.DER...)
	}
	if len(payload) > MaxPayload {
		return nil, fmt.Errorf("%w: %d bytes of items, at most %d", ErrTooLarge, len(payload), MaxPayload)
	}
	h := header{version: version, created: created.Truncate(time.Millisecond), count: uint32(len(sorted)),
		payloadHash: sha256.Sum256(payload), payloadSize: uint64(len(payload)), signer: cert}
	hb := appendHeader(nil, &h)
	if len(hb) > MaxHeaderSize {
		return nil, fmt.Errorf("%w: header of %d bytes, at most %d", ErrTooLarge, len(hb), MaxHeaderSize)
	}
	out := make([]byte, 0, prefixSize+len(hb)+sigSize+len(payload))
	out = append(out, magic...)
	out = binary.BigEndian.AppendUint32(out, uint32(len(hb)))
	out = append(out, hb...)
	out = append(out, ed25519.Sign(key, out)...)
	return append(out, payload...), nil
}

func appendHeader(b []byte, h *header) []byte {
	b = append(b, formatVersion)
	b = binary.BigEndian.AppendUint64(b, h.version)
	b = binary.BigEndian.AppendUint64(b, uint64(h.created.UnixMilli()))
	b = binary.BigEndian.AppendUint32(b, h.count)
	b = append(b, h.payloadHash[:]...)
	b = binary.BigEndian.AppendUint64(b, h.payloadSize)
	b = binary.BigEndian.AppendUint16(b, uint16(len(h.signer.Raw)))
	return append(b, h.signer.Raw...)
}

// parseHeader decodes exactly b as a header; it verifies nothing.
func parseHeader(b []byte) (*header, error) {
	const fixed = 1 + 8 + 8 + 4 + 32 + 8 + 2
	if len(b) < fixed {
		return nil, fmt.Errorf("%w: header of %d bytes, at least %d", ErrMalformed, len(b), fixed)
	}
	if b[0] != formatVersion {
		return nil, fmt.Errorf("%w: format %d", ErrUnsupported, b[0])
	}
	h := &header{version: binary.BigEndian.Uint64(b[1:]), created: time.UnixMilli(int64(binary.BigEndian.Uint64(b[9:]))).UTC(),
		count: binary.BigEndian.Uint32(b[17:])}
	copy(h.payloadHash[:], b[21:53])
	h.payloadSize = binary.BigEndian.Uint64(b[53:])
	n := int(binary.BigEndian.Uint16(b[61:]))
	if len(b) != fixed+n {
		return nil, fmt.Errorf("%w: signer of %d bytes in a header of %d", ErrMalformed, n, len(b))
	}
	if h.count > MaxItems || h.payloadSize > MaxPayload {
		return nil, fmt.Errorf("%w: %d items in %d bytes; at most %d in %d", ErrTooLarge, h.count, h.payloadSize, MaxItems, MaxPayload)
	}
	if uint64(h.count)*(itemHead+1) > h.payloadSize {
		return nil, fmt.Errorf("%w: %d items cannot fit in %d bytes", ErrMalformed, h.count, h.payloadSize)
	}
	cert, err := x509.ParseCertificate(b[fixed:])
	if err != nil {
		return nil, fmt.Errorf("%w: signer certificate: %v", ErrMalformed, err)
	}
	h.signer = cert
	return h, nil
}

// Verifier says what Open trusts.
type Verifier struct {
	// Roots are the city roots the signer must be issued by (the edge's
	// trust anchor); required.
	Roots *x509.CertPool
	// Now is when the signer certificate must be valid; required.
	Now time.Time
	// Held is the version of the list the caller holds (0: none): an
	// older list is ErrRollback. The same version opens, so that a list
	// fetched again from another city node is not an error.
	Held uint64
}

// Open verifies a trust list and returns its items. In order: framing and
// header bounds, the signer (certs.VerifyDataSigner against v.Roots at
// v.Now), the signature, the version against v.Held, the payload's size
// and hash, and only then the items: kinds, lengths, strictly ascending
// fingerprints, and their count.
func Open(data []byte, v Verifier) (*List, error) {
	if v.Roots == nil || v.Now.IsZero() {
		return nil, fmt.Errorf("%w: verifier needs roots and a time", ErrInvalid)
	}
	if len(data) < prefixSize || string(data[:len(magic)]) != magic {
		return nil, fmt.Errorf("%w: not a trust list (no %q prefix)", ErrMalformed, magic)
	}
	n := binary.BigEndian.Uint32(data[len(magic):prefixSize])
	if n > MaxHeaderSize {
		return nil, fmt.Errorf("%w: header of %d bytes, at most %d", ErrMalformed, n, MaxHeaderSize)
	}
	signedEnd := prefixSize + int(n)
	if len(data) < signedEnd+sigSize {
		return nil, fmt.Errorf("%w: truncated: %d bytes, header and signature need %d", ErrMalformed, len(data), signedEnd+sigSize)
	}
	h, err := parseHeader(data[prefixSize:signedEnd])
	if err != nil {
		return nil, err
	}
	pub, err := certs.VerifyDataSigner(h.signer, v.Roots, v.Now)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrUntrustedSigner, err)
	}
	if !ed25519.Verify(pub, data[:signedEnd], data[signedEnd:signedEnd+sigSize]) {
		return nil, fmt.Errorf("%w: signer %q (%s)", ErrBadSignature, h.signer.Subject.CommonName, certs.Fingerprint(h.signer))
	}
	if h.version < v.Held {
		return nil, fmt.Errorf("%w: version %d, held %d", ErrRollback, h.version, v.Held)
	}
	payload := data[signedEnd+sigSize:]
	if uint64(len(payload)) != h.payloadSize {
		return nil, fmt.Errorf("%w: %d bytes of items, the header says %d (truncated or extended)", ErrMalformed, len(payload), h.payloadSize)
	}
	if sum := sha256.Sum256(payload); sum != h.payloadHash {
		return nil, fmt.Errorf("%w: SHA-256 %x, signed %x", ErrPayloadHash, sum, h.payloadHash)
	}
	items, err := parseItems(payload, h.count)
	if err != nil {
		return nil, err
	}
	return &List{Version: h.version, Created: h.created, Items: items, Signer: h.signer}, nil
}

// parseItems decodes exactly count items from b, in strictly ascending
// fingerprint order.
func parseItems(b []byte, count uint32) ([]Item, error) {
	items := make([]Item, 0, count)
	var last [32]byte
	for len(b) > 0 {
		if len(b) < itemHead {
			return nil, fmt.Errorf("%w: item %d truncated", ErrMalformed, len(items)+1)
		}
		it := Item{Kind: Kind(b[0])}
		size := binary.BigEndian.Uint32(b[1:])
		if it.Kind != KindCSCA && it.Kind != KindCRL {
			return nil, fmt.Errorf("%w: item %d of kind %d", ErrMalformed, len(items)+1, it.Kind)
		}
		if size == 0 || size > MaxItem || uint64(size) > uint64(len(b)-itemHead) {
			return nil, fmt.Errorf("%w: item %d of %d bytes, %d left", ErrMalformed, len(items)+1, size, len(b)-itemHead)
		}
		it.DER, b = b[itemHead:itemHead+int(size)], b[itemHead+int(size):]
		fp := it.Fingerprint()
		if len(items) > 0 && bytes.Compare(fp[:], last[:]) <= 0 {
			return nil, fmt.Errorf("%w: item %d is not in fingerprint order", ErrMalformed, len(items)+1)
		}
		if uint32(len(items)) == count {
			return nil, fmt.Errorf("%w: more items than the %d signed", ErrMalformed, count)
		}
		items, last = append(items, it), fp
	}
	if uint32(len(items)) != count {
		return nil, fmt.Errorf("%w: %d items, %d signed", ErrMalformed, len(items), count)
	}
	return items, nil
}
