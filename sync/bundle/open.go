package bundle

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"crypto/x509"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/klauspost/compress/zstd"

	"github.com/xanode/xanode/certs"
	"github.com/xanode/xanode/node/registry"
	"github.com/xanode/xanode/sync/digest"
)

// Verifier says what Open trusts.
type Verifier struct {
	// Roots are the city roots the signer certificate must be issued by
	// (the edge's trust anchors); required.
	Roots *x509.CertPool
	// Now is when the signer certificate must be valid; required (an edge
	// passes its clock, tests a fixed time).
	Now time.Time
	// MaxSize caps the decompressed payload in bytes; zero, or anything
	// above MaxSize, means MaxSize.
	MaxSize uint64
}

// Bundle is an opened bundle: every check has passed, including the
// decoding, order and count of the entries and, for a full bundle, the
// subset digest.
type Bundle struct {
	Header
	raw   []byte       // entries as the rows of format 2
	state *digest.Hash // digest state of a full bundle's records
}

// Entry is one element of a bundle's payload.
type Entry struct {
	ID string
	// Citizen is the record as it is at version To; nil for a removal,
	// which only a delta has.
	Citizen *registry.Citizen
	// Raw is Citizen's canonical compact encoding, what subset digests
	// hash; nil for a removal. It points into the bundle: do not modify.
	Raw []byte
}

// Payload entry tags of a delta (see the package doc).
const (
	tagUpsert = 1
	tagRemove = 2
	// maxRemovedID bounds a removed ID, so its length is one byte.
	maxRemovedID = 64
)

// Open verifies a bundle and decompresses it. In order: framing and header
// bounds, the signer certificate (certs.VerifyDataSigner against v.Roots at
// v.Now), the signature over the header, the size limits, the payload hash,
// and only then decompression (no more than the signed raw size) and a pass
// over the entries that checks their encoding, order and count and, for a
// full bundle, the digest. A delta's digest is that of the subset after
// applying it, which only the holder of the subset before can check (the
// edge does, as it applies it). An expired bundle opens; check Expired.
func Open(data []byte, v Verifier) (*Bundle, error) { return OpenEach(data, v, nil) }

// OpenEach is Open that also calls each, if not nil, for every entry in ID
// order during Open's own pass over the payload, so that a large bundle is
// decoded once. each runs after the signature and payload hash have been
// verified but before a full bundle's digest is checked: whatever it keeps
// must be dropped if OpenEach fails. An error from each stops OpenEach and
// is returned.
func OpenEach(data []byte, v Verifier, each func(Entry) error) (*Bundle, error) {
	if v.Roots == nil || v.Now.IsZero() {
		return nil, fmt.Errorf("%w: verifier needs roots and a time", ErrInvalid)
	}
	limit := v.MaxSize
	if limit == 0 || limit > MaxSize {
		limit = MaxSize
	}
	h, payload, err := verify(data, v)
	if err != nil {
		return nil, err
	}
	if h.RawSize > limit || h.PayloadSize > limit {
		return nil, fmt.Errorf("%w: %d bytes raw, %d compressed; the limit is %d", ErrTooLarge, h.RawSize, h.PayloadSize, limit)
	}
	if sum := sha256.Sum256(payload); sum != h.PayloadHash {
		return nil, fmt.Errorf("%w: payload SHA-256 %x, signed %x", ErrPayloadHash, sum, h.PayloadHash)
	}
	raw, err := decompress(payload, h.RawSize)
	if err != nil {
		return nil, err
	}
	if h.Format == FormatColumns {
		if raw, err = rowsOf(raw, h); err != nil {
			return nil, err
		}
	}
	b := &Bundle{Header: *h, raw: raw}
	if each == nil {
		each = func(Entry) error { return nil }
	}
	if h.Kind == KindDelta {
		if err := b.walk(func(e Entry, _ int) error { return each(e) }); err != nil {
			return nil, err
		}
		return b, nil
	}
	state, err := b.digest(each)
	if err != nil {
		return nil, err
	}
	if sum := state.Sum(); sum != h.Digest {
		return nil, fmt.Errorf("%w: records give %x, signed %x", ErrDigestMismatch, sum, h.Digest)
	}
	b.state = &state
	return b, nil
}

// rowsOf turns a format-3 payload into the rows of format 2, which the
// rest of Open checks (order, encoding, count, digest) as it checks a
// format-2 payload. The rows are capped at MaxSize.
func rowsOf(raw []byte, h *Header) ([]byte, error) {
	cols, err := decodeColumns(raw, h.Kind, h.Count, h.Commune)
	if err != nil {
		if errors.Is(err, ErrOrder) {
			return nil, err
		}
		return nil, fmt.Errorf("%w: columns: %w", ErrMalformed, err)
	}
	return cols.rows(MaxSize)
}

// SubsetState returns the digest state of a full bundle's records, which
// an edge keeps to check the deltas that follow; nil for a delta.
func (b *Bundle) SubsetState() *digest.Hash {
	if b.state == nil {
		return nil
	}
	st := *b.state
	return &st
}

// verify checks the framing, header, signer and signature, and returns the
// header and the (still compressed, not yet hashed) payload.
func verify(data []byte, v Verifier) (*Header, []byte, error) {
	if len(data) < prefixSize || string(data[:len(magic)]) != magic {
		return nil, nil, fmt.Errorf("%w: not a bundle (no %q prefix)", ErrMalformed, magic)
	}
	n := binary.BigEndian.Uint32(data[len(magic):prefixSize])
	if n > MaxHeaderSize {
		return nil, nil, fmt.Errorf("%w: header of %d bytes, at most %d", ErrMalformed, n, MaxHeaderSize)
	}
	signedEnd := prefixSize + int(n)
	if len(data) < signedEnd+sigSize {
		return nil, nil, fmt.Errorf("%w: truncated: %d bytes, header and signature need %d", ErrMalformed, len(data), signedEnd+sigSize)
	}
	h, err := parseHeader(data[prefixSize:signedEnd])
	if err != nil {
		return nil, nil, err
	}
	payload := data[signedEnd+sigSize:]
	if uint64(len(payload)) != h.PayloadSize {
		return nil, nil, fmt.Errorf("%w: payload of %d bytes, header says %d (truncated or extended)", ErrMalformed, len(payload), h.PayloadSize)
	}
	pub, err := certs.VerifyDataSigner(h.Signer, v.Roots, v.Now)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: %w", ErrUntrustedSigner, err)
	}
	if !ed25519.Verify(pub, data[:signedEnd], data[signedEnd:signedEnd+sigSize]) {
		return nil, nil, fmt.Errorf("%w: signer %q (%s)", ErrBadSignature, h.Signer.Subject.CommonName, certs.Fingerprint(h.Signer))
	}
	return h, payload, nil
}

// ReadHeader reads a bundle's header and signature from the start of r
// and checks the header's own rules, but verifies nothing: it is for the
// city's cache of bundles it built itself (their versions, digest and
// creation time, and the signature as a validator for HTTP Range), never
// for deciding whether to trust a bundle.
func ReadHeader(r io.Reader) (*Header, []byte, error) {
	prefix := make([]byte, prefixSize)
	if _, err := io.ReadFull(r, prefix); err != nil || string(prefix[:len(magic)]) != magic {
		return nil, nil, fmt.Errorf("%w: not a bundle (no %q prefix)", ErrMalformed, magic)
	}
	n := binary.BigEndian.Uint32(prefix[len(magic):])
	if n > MaxHeaderSize {
		return nil, nil, fmt.Errorf("%w: header of %d bytes, at most %d", ErrMalformed, n, MaxHeaderSize)
	}
	rest := make([]byte, int(n)+sigSize)
	if _, err := io.ReadFull(r, rest); err != nil {
		return nil, nil, fmt.Errorf("%w: truncated header: %w", ErrMalformed, err)
	}
	h, err := parseHeader(rest[:n])
	if err != nil {
		return nil, nil, err
	}
	return h, rest[n:], nil
}

// decompress inflates payload to exactly size bytes. It streams into a
// buffer of the signed size and then asks for one byte more, so a frame
// that would inflate further is stopped there, whatever its header claims;
// the window cap bounds the decoder's own memory.
func decompress(payload []byte, size uint64) ([]byte, error) {
	dec, err := zstd.NewReader(bytes.NewReader(payload),
		zstd.WithDecoderConcurrency(1),
		zstd.WithDecoderMaxWindow(maxWindow),
		zstd.WithDecoderMaxMemory(MaxSize),
	)
	if err != nil {
		return nil, err
	}
	defer dec.Close()
	raw := make([]byte, size)
	if _, err := io.ReadFull(dec, raw); err != nil {
		return nil, fmt.Errorf("%w: payload does not decompress to the signed %d bytes: %w", ErrMalformed, size, err)
	}
	var one [1]byte
	if n, err := dec.Read(one[:]); n != 0 || err != io.EOF {
		return nil, fmt.Errorf("%w: payload decompresses to more than the signed %d bytes (%v)", ErrMalformed, size, err)
	}
	return raw, nil
}

// digest decodes every record of a full bundle (checking them as Records
// does), passes each to each, and returns the digest state of the subset;
// the hashing runs beside the decoding.
func (b *Bundle) digest(each func(Entry) error) (digest.Hash, error) {
	hs := newHasher()
	defer hs.stop()
	bt, start := hs.next(), 0
	err := b.walk(func(e Entry, end int) error {
		if err := each(e); err != nil {
			return err
		}
		bt.raw = b.raw[start:end]
		bt.add(e.ID, end-start)
		if bt.full() {
			hs.send(bt)
			bt, start = hs.next(), end
		}
		return nil
	})
	if err != nil {
		return digest.Hash{}, err
	}
	hs.send(bt)
	return hs.finish(), nil
}

// Records decodes the records in ID order and calls fn for each: every
// record of a full bundle, the upserts of a delta. The first error of fn
// stops it and is returned. Open has checked the records already, so with
// a fn that does not fail, Records does not fail.
func (b *Bundle) Records(fn func(*registry.Citizen) error) error {
	return b.Entries(func(e Entry) error {
		if e.Citizen == nil {
			return nil
		}
		return fn(e.Citizen)
	})
}

// Entries calls fn for every entry in ID order: records, and a delta's
// removals. The first error of fn stops it and is returned.
func (b *Bundle) Entries(fn func(Entry) error) error {
	return b.walk(func(e Entry, _ int) error { return fn(e) })
}

// walk decodes every entry, checking encoding, order and count, and calls
// fn with the entry and the offset in the payload where it ends.
func (b *Bundle) walk(fn func(e Entry, end int) error) error {
	rest := b.raw
	var (
		n       uint64
		prev    string
		scratch []byte
	)
	for len(rest) > 0 {
		e, next, err := b.entry(rest, &scratch)
		if err != nil {
			return fmt.Errorf("%w: entry %d: %w", ErrMalformed, n+1, err)
		}
		if n > 0 && e.ID <= prev || e.ID == "" {
			return fmt.Errorf("%w: entry %q after %q", ErrOrder, e.ID, prev)
		}
		n++
		if n > b.Count {
			return fmt.Errorf("%w: more than the %d signed", ErrCount, b.Count)
		}
		if err := fn(e, len(b.raw)-len(next)); err != nil {
			return err
		}
		prev, rest = e.ID, next
	}
	if n != b.Count {
		return fmt.Errorf("%w: %d entries, %d signed", ErrCount, n, b.Count)
	}
	return nil
}

// entry decodes the entry at the start of p and returns the rest. Only
// the canonical encoding is accepted (compact records, no stamps, no
// overlong varints), so equal subsets are equal bytes on every edge.
func (b *Bundle) entry(p []byte, scratch *[]byte) (Entry, []byte, error) {
	if b.Kind == KindDelta {
		tag := p[0]
		p = p[1:]
		switch {
		case tag == tagRemove && len(p) > 0 && p[0] > 0 && p[0] <= maxRemovedID && len(p) > int(p[0]):
			n := int(p[0])
			return Entry{ID: string(p[1 : 1+n])}, p[1+n:], nil
		case tag == tagRemove:
			return Entry{}, nil, fmt.Errorf("removal without an ID of 1 to %d bytes", maxRemovedID)
		case tag != tagUpsert:
			return Entry{}, nil, fmt.Errorf("unknown entry tag %d", tag)
		}
	}
	c, next, err := registry.DecodeCitizen(p)
	if err != nil {
		return Entry{}, nil, err
	}
	enc := p[:len(p)-len(next)]
	if b.Format == FormatColumns {
		// rowsOf wrote enc with AppendCitizen: canonical already.
		return Entry{ID: c.ID, Citizen: c, Raw: enc}, next, nil
	}
	*scratch = registry.AppendCitizen((*scratch)[:0], c, false)
	if !bytes.Equal(enc, *scratch) {
		return Entry{}, nil, fmt.Errorf("record %q is not in canonical compact encoding", c.ID)
	}
	return Entry{ID: c.ID, Citizen: c, Raw: enc}, next, nil
}
