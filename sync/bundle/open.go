package bundle

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"crypto/x509"
	"encoding/binary"
	"fmt"
	"io"
	"time"

	"github.com/klauspost/compress/zstd"

	"github.com/xanode/xanode/certs"
	"github.com/xanode/xanode/node/registry"
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
// decoding, order and count of the records and the subset digest.
type Bundle struct {
	Header
	raw []byte // decompressed payload
}

// Open verifies a bundle and decompresses it. In order: framing and header
// bounds, the signer certificate (certs.VerifyDataSigner against v.Roots at
// v.Now), the signature over the header, the size limits, the payload hash,
// and only then decompression (no more than the signed raw size) and a pass
// over the records that checks their encoding, order, count and digest. An
// expired bundle opens; check Expired.
func Open(data []byte, v Verifier) (*Bundle, error) {
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
	b := &Bundle{Header: *h, raw: raw}
	sum, err := b.digest()
	if err != nil {
		return nil, err
	}
	if sum != h.Digest {
		return nil, fmt.Errorf("%w: records give %x, signed %x", ErrDigestMismatch, sum, h.Digest)
	}
	return b, nil
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

// digest decodes every record (checking them as Records does) and returns
// the digest of the subset; the hashing runs beside the decoding.
func (b *Bundle) digest() ([32]byte, error) {
	hs := newHasher()
	defer hs.stop()
	bt, start := hs.next(), 0
	err := b.walk(func(c *registry.Citizen, end int) error {
		bt.raw = b.raw[start:end]
		bt.add(c.ID, end-start)
		if bt.full() {
			hs.send(bt)
			bt, start = hs.next(), end
		}
		return nil
	})
	if err != nil {
		return [32]byte{}, err
	}
	hs.send(bt)
	return hs.finish(), nil
}

// Records decodes the records in ID order and calls fn for each; the first
// error of fn stops it and is returned. Open has checked the records
// already, so with a fn that does not fail, Records does not fail.
func (b *Bundle) Records(fn func(*registry.Citizen) error) error {
	return b.walk(func(c *registry.Citizen, _ int) error { return fn(c) })
}

// walk decodes every record, checking encoding, order and count, and calls
// fn with the record and the offset in the payload where it ends.
func (b *Bundle) walk(fn func(c *registry.Citizen, end int) error) error {
	rest := b.raw
	var (
		n       uint64
		prev    string
		scratch []byte
	)
	for len(rest) > 0 {
		c, next, err := registry.DecodeCitizen(rest)
		if err != nil {
			return fmt.Errorf("%w: record %d: %w", ErrMalformed, n+1, err)
		}
		enc := rest[:len(rest)-len(next)]
		// Only the canonical compact encoding is accepted (no stamps, no
		// overlong varints), so equal subsets are equal bytes on every edge.
		scratch = registry.AppendCitizen(scratch[:0], c, false)
		if !bytes.Equal(enc, scratch) {
			return fmt.Errorf("%w: record %q is not in canonical compact encoding", ErrMalformed, c.ID)
		}
		if n > 0 && c.ID <= prev || c.ID == "" {
			return fmt.Errorf("%w: record %q after %q", ErrOrder, c.ID, prev)
		}
		n++
		if n > b.Count {
			return fmt.Errorf("%w: more than the %d signed", ErrCount, b.Count)
		}
		if err := fn(c, len(b.raw)-len(next)); err != nil {
			return err
		}
		prev, rest = c.ID, next
	}
	if n != b.Count {
		return fmt.Errorf("%w: %d records, %d signed", ErrCount, n, b.Count)
	}
	return nil
}
