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

// columnEncoderOptions compress a format-3 payload. It is a tenth of the
// size of the same records in rows, so the best level costs less than the
// better level did on rows (DESIGN.md, "Performance budgets").
var columnEncoderOptions = []zstd.EOption{
	zstd.WithEncoderLevel(zstd.SpeedBestCompression),
	zstd.WithEncoderConcurrency(1),
	zstd.WithWindowSize(maxWindow),
}

// maxWindow is the compression window, and the largest Open accepts.
const maxWindow = 4 << 20

// Build writes a full bundle of records to w, signed with key, and returns
// its completed header. h supplies Kind (KindFull), Commune, To, Created,
// Officers (the commune's whole list; see Header) and optionally Expires;
// Build computes the other fields. Records must come
// in strictly ascending ID order (as a store keyed by ID yields them), or
// Build fails with ErrOrder and writes nothing. signer must be the
// certificate of key.
func Build(w io.Writer, h Header, records iter.Seq[*registry.Citizen], key ed25519.PrivateKey, signer *x509.Certificate) (Header, error) {
	if h.Kind != KindFull {
		return Header{}, fmt.Errorf("%w: Build makes full bundles, not kind %d", ErrUnsupported, h.Kind)
	}
	if err := prepare(&h, key, signer); err != nil {
		return Header{}, err
	}
	entries := func(yield func(Entry) bool) {
		for c := range records {
			if !yield(Entry{ID: c.ID, Citizen: c}) {
				return
			}
		}
	}
	payload, err := encodePayload(&h, entries)
	if err != nil {
		return Header{}, err
	}
	if err := seal(w, &h, payload, key); err != nil {
		return Header{}, err
	}
	return h, nil
}

// BuildDelta writes a delta bundle from h.From to h.To: upserts are the
// records as they are at To, removed the IDs that left the subset, each in
// strictly ascending ID order and no ID in both (else ErrOrder, and nothing
// is written). h supplies Kind (KindDelta), Commune, From, To, Created,
// Officers (the whole list at To, as in a full bundle), optionally
// Expires, and Digest: the digest of the whole subset at To, which the
// delta alone cannot give. With From == To and no entries it
// makes a refresh.
func BuildDelta(w io.Writer, h Header, upserts []*registry.Citizen, removed []string, key ed25519.PrivateKey, signer *x509.Certificate) (Header, error) {
	if h.Kind != KindDelta {
		return Header{}, fmt.Errorf("%w: BuildDelta makes deltas, not kind %d", ErrUnsupported, h.Kind)
	}
	if h.Digest == ([32]byte{}) {
		return Header{}, fmt.Errorf("%w: a delta needs the digest of the subset at version %d", ErrInvalid, h.To)
	}
	h.Count = uint64(len(upserts) + len(removed))
	if err := prepare(&h, key, signer); err != nil {
		return Header{}, err
	}
	payload, err := encodePayload(&h, mergeEntries(upserts, removed))
	if err != nil {
		return Header{}, err
	}
	if err := seal(w, &h, payload, key); err != nil {
		return Header{}, err
	}
	return h, nil
}

// mergeEntries yields upserts and removals in one ID order; encodePayload
// refuses any disorder or overlap that results.
func mergeEntries(upserts []*registry.Citizen, removed []string) iter.Seq[Entry] {
	return func(yield func(Entry) bool) {
		i, j := 0, 0
		for i < len(upserts) || j < len(removed) {
			var e Entry
			if j == len(removed) || i < len(upserts) && upserts[i].ID <= removed[j] {
				e, i = Entry{ID: upserts[i].ID, Citizen: upserts[i]}, i+1
			} else {
				e, j = Entry{ID: removed[j]}, j+1
			}
			if !yield(e) {
				return
			}
		}
	}
}

// prepare checks the caller's part of h and the key. The count it keeps
// (a delta's, known in advance) only serves the header checks; Build
// counts again.
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
	h.RawSize, h.PayloadSize = 0, 0
	switch {
	case h.Format == 0 || h.Format == FormatColumns:
		h.Format = FormatColumns
	case h.Format == FormatRows && h.Officers == nil || h.Format == formatNoOfficers && h.Officers == nil:
		h.Format = formatNoOfficers
	case h.Format != FormatRows:
		return fmt.Errorf("%w: format %d (with %d officers)", ErrInvalid, h.Format, len(h.Officers))
	}
	if err := h.checkFields(); err != nil {
		return fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	h.Count = 0
	return nil
}

// timeMilli keeps what the header can hold, so the returned header equals
// what Open will read.
func timeMilli(t time.Time) time.Time { return time.UnixMilli(t.UnixMilli()).UTC() }

// encodePayload encodes and compresses the entries and sets Count, RawSize,
// PayloadSize, PayloadHash and, for a full bundle, Digest. Entries are
// encoded as rows in batches, which go to the hasher (a full bundle's
// digest is taken over rows in every format) and, in format 2, first to
// the compressor; format 3 collects them as columns and compresses those
// at the end.
func encodePayload(h *Header, entries iter.Seq[Entry]) ([]byte, error) {
	var out bytes.Buffer
	sum := sha256.New()
	var (
		zw   *zstd.Encoder
		cols *columns
		err  error
	)
	if h.Format == FormatColumns {
		cols = newColumns(h.Kind, h.Commune)
	} else {
		if zw, err = zstd.NewWriter(io.MultiWriter(&out, sum), encoderOptions...); err != nil {
			return nil, err
		}
		defer zw.Close()
	}
	var hs *hasher
	if h.Kind == KindFull {
		hs = newHasher()
		defer hs.stop()
	}
	b := nextBatch(hs)
	flush := func() error {
		var err error
		if zw != nil {
			_, err = zw.Write(b.raw)
		}
		if hs != nil {
			hs.send(b)
		} else {
			b.reset()
		}
		b = nextBatch(hs)
		return err
	}
	prev, rows := "", uint64(0)
	for e := range entries {
		if h.Count > 0 && e.ID <= prev || e.ID == "" {
			return nil, fmt.Errorf("%w: entry %q after %q", ErrOrder, e.ID, prev)
		}
		n := len(b.raw)
		if b.raw, err = appendEntry(b.raw, h.Kind, e); err != nil {
			return nil, err
		}
		if rows += uint64(len(b.raw) - n); rows > MaxSize {
			return nil, fmt.Errorf("%w: more than %d bytes of records", ErrTooLarge, MaxSize)
		}
		if cols != nil {
			cols.add(e.ID, e.Citizen)
		}
		b.add(e.ID, len(b.raw))
		h.Count++
		prev = e.ID
		if b.full() {
			if err := flush(); err != nil {
				return nil, err
			}
		}
	}
	if err := flush(); err != nil {
		return nil, err
	}
	h.RawSize = rows
	if cols != nil {
		if h.RawSize, err = compressColumns(cols, io.MultiWriter(&out, sum)); err != nil {
			return nil, err
		}
	} else if err := zw.Close(); err != nil {
		return nil, err
	}
	if hs != nil {
		d := hs.finish()
		h.Digest = d.Sum()
	}
	h.PayloadSize = uint64(out.Len())
	copy(h.PayloadHash[:], sum.Sum(nil))
	return out.Bytes(), nil
}

// compressColumns writes the format-3 payload of cols to w, compressed,
// and returns its size before compression.
func compressColumns(cols *columns, w io.Writer) (uint64, error) {
	raw := cols.encode()
	if len(raw) > MaxSize {
		return 0, fmt.Errorf("%w: %d bytes of columns", ErrTooLarge, len(raw))
	}
	enc, err := zstd.NewWriter(nil, columnEncoderOptions...)
	if err != nil {
		return 0, err
	}
	defer enc.Close()
	_, err = w.Write(enc.EncodeAll(raw, nil))
	return uint64(len(raw)), err
}

// nextBatch returns an empty batch, from hs when there is one.
func nextBatch(hs *hasher) *batch {
	if hs != nil {
		return hs.next()
	}
	return newBatch()
}

// appendEntry appends e's encoding in a payload of kind k (see the package
// doc).
func appendEntry(b []byte, k Kind, e Entry) ([]byte, error) {
	if k == KindFull {
		return registry.AppendCitizen(b, e.Citizen, false), nil
	}
	if e.Citizen != nil {
		return registry.AppendCitizen(append(b, tagUpsert), e.Citizen, false), nil
	}
	if len(e.ID) > maxRemovedID {
		return nil, fmt.Errorf("%w: removed ID %q is longer than %d bytes", ErrInvalid, e.ID, maxRemovedID)
	}
	b = append(b, tagRemove, byte(len(e.ID)))
	return append(b, e.ID...), nil
}

// seal writes the framed header, its signature and the payload. The
// header must already describe payload.
func seal(w io.Writer, h *Header, payload []byte, key ed25519.PrivateKey) error {
	if len(h.Signer.Raw) > MaxHeaderSize/2 {
		return fmt.Errorf("%w: signer certificate of %d bytes", ErrInvalid, len(h.Signer.Raw))
	}
	hdr := appendHeader(nil, h)
	if len(hdr) > MaxHeaderSize {
		return fmt.Errorf("%w: header of %d bytes (%d officers), at most %d", ErrTooLarge, len(hdr), len(h.Officers), MaxHeaderSize)
	}
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
