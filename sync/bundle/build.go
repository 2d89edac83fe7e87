package bundle

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"crypto/x509"
	"encoding/binary"
	"fmt"
	"io"
	"iter"
	"time"

	"github.com/klauspost/compress/zstd"

	"github.com/xanode/xanode/node/registry"
)

// encoderOptions fix the compression so that a given library version turns
// the same raw payload into the same bytes (one goroutine: block splitting
// does not depend on scheduling). The window spans a few thousand records,
// enough to reuse the names and addresses of a commune.
var encoderOptions = []zstd.EOption{
	zstd.WithEncoderLevel(zstd.SpeedBetterCompression),
	zstd.WithEncoderConcurrency(1),
	zstd.WithWindowSize(maxWindow),
}

// maxWindow is the compression window, and the largest Open accepts.
const maxWindow = 4 << 20

// Build writes a full bundle of records to w, signed with key, and returns
// its completed header. h supplies Kind (KindFull), Commune, To, Created
// and optionally Expires; Build computes the other fields. Records must come
// in strictly ascending ID order (as a store keyed by ID yields them), or
// Build fails with ErrOrder and writes nothing. signer must be the
// certificate of key.
func Build(w io.Writer, h Header, records iter.Seq[*registry.Citizen], key ed25519.PrivateKey, signer *x509.Certificate) (Header, error) {
	if err := prepare(&h, key, signer); err != nil {
		return Header{}, err
	}
	payload, err := encodePayload(&h, records)
	if err != nil {
		return Header{}, err
	}
	if err := seal(w, &h, payload, key); err != nil {
		return Header{}, err
	}
	return h, nil
}

// prepare checks the caller's part of h and the key.
func prepare(h *Header, key ed25519.PrivateKey, signer *x509.Certificate) error {
	if signer == nil || len(key) != ed25519.PrivateKeySize {
		return fmt.Errorf("%w: no signer certificate or no Ed25519 key", ErrInvalid)
	}
	if pub, ok := signer.PublicKey.(ed25519.PublicKey); !ok || !pub.Equal(key.Public()) {
		return fmt.Errorf("%w: the key is not the key of signer %q", ErrInvalid, signer.Subject.CommonName)
	}
	if h.Created.IsZero() {
		return fmt.Errorf("%w: no creation time", ErrInvalid)
	}
	h.Created = timeMilli(h.Created)
	if h.Expires.IsZero() {
		h.Expires = h.Created.Add(DefaultExpiry)
	}
	h.Expires = timeMilli(h.Expires)
	h.Signer = signer
	h.Count, h.RawSize, h.PayloadSize = 0, 0, 0
	if err := h.check(); err != nil {
		return fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	return nil
}

// timeMilli keeps what the header can hold, so the returned header equals
// what Open will read.
func timeMilli(t time.Time) time.Time { return time.UnixMilli(t.UnixMilli()).UTC() }

// encodePayload compresses the records and sets Count, Digest, RawSize,
// PayloadSize and PayloadHash. Records are encoded in batches that go first
// to the compressor and then to the hasher, which digests them meanwhile.
func encodePayload(h *Header, records iter.Seq[*registry.Citizen]) ([]byte, error) {
	var out bytes.Buffer
	sum := sha256.New()
	zw, err := zstd.NewWriter(io.MultiWriter(&out, sum), encoderOptions...)
	if err != nil {
		return nil, err
	}
	defer zw.Close()
	hs := newHasher()
	defer hs.stop()
	b := hs.next()
	flush := func() error {
		_, err := zw.Write(b.raw)
		hs.send(b)
		b = hs.next()
		return err
	}
	prev := ""
	for c := range records {
		if h.Count > 0 && c.ID <= prev || c.ID == "" {
			return nil, fmt.Errorf("%w: record %q after %q", ErrOrder, c.ID, prev)
		}
		n := len(b.raw)
		b.raw = registry.AppendCitizen(b.raw, c, false)
		h.RawSize += uint64(len(b.raw) - n)
		if h.RawSize > MaxSize {
			return nil, fmt.Errorf("%w: more than %d bytes of records", ErrTooLarge, MaxSize)
		}
		b.add(c.ID, len(b.raw))
		h.Count++
		prev = c.ID
		if b.full() {
			if err := flush(); err != nil {
				return nil, err
			}
		}
	}
	if err := flush(); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	h.Digest = hs.finish()
	h.PayloadSize = uint64(out.Len())
	copy(h.PayloadHash[:], sum.Sum(nil))
	return out.Bytes(), nil
}

// seal writes the framed header, its signature and the payload. The
// header must already describe payload.
func seal(w io.Writer, h *Header, payload []byte, key ed25519.PrivateKey) error {
	if len(h.Signer.Raw) > MaxHeaderSize/2 {
		return fmt.Errorf("%w: signer certificate of %d bytes", ErrInvalid, len(h.Signer.Raw))
	}
	hdr := appendHeader(nil, h)
	signed := append([]byte(magic), 0, 0, 0, 0)
	binary.BigEndian.PutUint32(signed[len(magic):], uint32(len(hdr)))
	signed = append(signed, hdr...)
	signed = append(signed, ed25519.Sign(key, signed)...)
	if _, err := w.Write(signed); err != nil {
		return err
	}
	_, err := w.Write(payload)
	return err
}
