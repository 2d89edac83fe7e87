package bundle

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"crypto/x509"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/klauspost/compress/zstd"

	"github.com/xanode/xanode/node/registry"
	"github.com/xanode/xanode/sync/digest"
)

// deltaCase is a subset at version 100 and the changes that take it to
// version 140: some records changed, some removed, some added.
type deltaCase struct {
	base    []*registry.Citizen
	upserts []*registry.Citizen
	removed []string
	after   map[string]*registry.Citizen
}

func newDeltaCase(n int) deltaCase {
	all := genCitizens(n+n/10, 21)
	var dc deltaCase
	dc.after = map[string]*registry.Citizen{}
	for i, c := range all {
		switch {
		case i%11 == 10: // joins the commune in the delta
			dc.upserts = append(dc.upserts, c)
			dc.after[c.ID] = c
		case i%7 == 3: // leaves
			dc.base = append(dc.base, c)
			dc.removed = append(dc.removed, c.ID)
		case i%5 == 1: // changes address
			dc.base = append(dc.base, c)
			changed := *c
			changed.Values[registry.FieldCurrentAddress] = "Số 1, phố Xã Đàn" + communeSuffix
			changed.Version = 140
			dc.upserts = append(dc.upserts, &changed)
			dc.after[c.ID] = &changed
		default:
			dc.base = append(dc.base, c)
			dc.after[c.ID] = c
		}
	}
	return dc
}

func subsetDigest(recs map[string]*registry.Citizen) [32]byte {
	var d digest.Hash
	for _, c := range recs {
		d.Add([]byte(c.ID), registry.AppendCitizen(nil, c, false))
	}
	return d.Sum()
}

func deltaHeader(from, to uint64, sum [32]byte) Header {
	return Header{Kind: KindDelta, Commune: testCommune, From: from, To: to, Digest: sum, Created: testNow, Officers: testOfficers()}
}

func mustBuildDelta(t testing.TB, key ed25519.PrivateKey, cert *x509.Certificate, h Header, up []*registry.Citizen, rm []string) []byte {
	t.Helper()
	var buf bytes.Buffer
	if _, err := BuildDelta(&buf, h, up, rm, key, cert); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestDeltaApplies builds a full bundle and a delta, and applies the delta
// to the full bundle's records and digest state as an edge does: the result
// is the subset after the delta, digest included.
func TestDeltaApplies(t *testing.T) {
	p := mustPKI(t)
	key, cert := p.DataSigner()
	dc := newDeltaCase(300)
	fullData, _ := mustBuild(t, p, dc.base)
	full, err := Open(fullData, verifierOf(p))
	if err != nil {
		t.Fatal(err)
	}
	if full.SubsetState() == nil || full.SubsetState().Sum() != full.Digest {
		t.Fatal("a full bundle's digest state is not its digest")
	}
	held := map[string][]byte{}
	for _, c := range dc.base {
		held[c.ID] = registry.AppendCitizen(nil, c, false)
	}
	state := full.SubsetState()

	data := mustBuildDelta(t, key, cert, deltaHeader(4242, 4300, subsetDigest(dc.after)), dc.upserts, dc.removed)
	if again := mustBuildDelta(t, key, cert, deltaHeader(4242, 4300, subsetDigest(dc.after)), dc.upserts, dc.removed); !bytes.Equal(again, data) {
		t.Fatal("two builds of the same delta differ")
	}
	d, err := Open(data, verifierOf(p))
	if err != nil {
		t.Fatal(err)
	}
	if d.Kind != KindDelta || d.From != 4242 || d.To != 4300 || d.Count != uint64(len(dc.upserts)+len(dc.removed)) || d.SubsetState() != nil {
		t.Fatalf("opened delta header %+v", d.Header)
	}
	var prev string
	err = d.Entries(func(e Entry) error {
		if e.ID <= prev {
			t.Fatalf("entry %s after %s", e.ID, prev)
		}
		prev = e.ID
		if old, ok := held[e.ID]; ok {
			state.Remove([]byte(e.ID), old)
			delete(held, e.ID)
		}
		if e.Citizen != nil {
			if !bytes.Equal(e.Raw, registry.AppendCitizen(nil, e.Citizen, false)) {
				t.Fatalf("entry %s: Raw is not the record's encoding", e.ID)
			}
			state.Add([]byte(e.ID), e.Raw)
			held[e.ID] = bytes.Clone(e.Raw)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if state.Sum() != d.Digest {
		t.Fatal("the digest state after applying the delta is not the signed digest")
	}
	if len(held) != len(dc.after) {
		t.Fatalf("%d records after the delta, want %d", len(held), len(dc.after))
	}
	n := 0
	d.Records(func(*registry.Citizen) error { n++; return nil })
	if n != len(dc.upserts) {
		t.Fatalf("Records gave %d upserts, want %d", n, len(dc.upserts))
	}
}

func TestRefresh(t *testing.T) {
	p := mustPKI(t)
	key, cert := p.DataSigner()
	sum := subsetDigest(nil)
	d, err := Open(mustBuildDelta(t, key, cert, deltaHeader(77, 77, sum), nil, nil), verifierOf(p))
	if err != nil {
		t.Fatal(err)
	}
	if d.Count != 0 || d.From != 77 || d.To != 77 {
		t.Fatalf("refresh header %+v", d.Header)
	}
	var buf bytes.Buffer
	if _, err := BuildDelta(&buf, deltaHeader(77, 77, sum), nil, []string{"001"}, key, cert); !errors.Is(err, ErrInvalid) || buf.Len() != 0 {
		t.Fatalf("a refresh with entries: %v, %d bytes written", err, buf.Len())
	}
}

func TestBuildDeltaErrors(t *testing.T) {
	p := mustPKI(t)
	key, cert := p.DataSigner()
	recs := genCitizens(6, 22)
	ids := func(cs []*registry.Citizen) []string {
		var out []string
		for _, c := range cs {
			out = append(out, c.ID)
		}
		return out
	}
	sum := subsetDigest(nil)
	tests := []struct {
		name string
		h    Header
		up   []*registry.Citizen
		rm   []string
		want error
	}{
		{"upserts out of order", deltaHeader(1, 2, sum), []*registry.Citizen{recs[1], recs[0]}, nil, ErrOrder},
		{"removals out of order", deltaHeader(1, 2, sum), nil, []string{recs[3].ID, recs[2].ID}, ErrOrder},
		{"upsert and removal of one ID", deltaHeader(1, 2, sum), recs[:2], ids(recs[1:3]), ErrOrder},
		{"removal of an empty ID", deltaHeader(1, 2, sum), nil, []string{""}, ErrOrder},
		{"removal of an overlong ID", deltaHeader(1, 2, sum), nil, []string{strings.Repeat("9", 65)}, ErrInvalid},
		{"no digest", deltaHeader(1, 2, [32]byte{}), recs, nil, ErrInvalid},
		{"from version 0", deltaHeader(0, 2, sum), recs, nil, ErrInvalid},
		{"backwards", deltaHeader(3, 2, sum), recs, nil, ErrInvalid},
		{"full kind", Header{Kind: KindFull, Commune: testCommune, To: 2, Digest: sum, Created: testNow}, recs, nil, ErrUnsupported},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			_, err := BuildDelta(&buf, tt.h, tt.up, tt.rm, key, cert)
			if !errors.Is(err, tt.want) {
				t.Fatalf("BuildDelta: %v, want %v", err, tt.want)
			}
			if buf.Len() != 0 {
				t.Fatalf("BuildDelta wrote %d bytes despite the error", buf.Len())
			}
		})
	}
}

// forgeDelta signs a delta whose payload is raw as given: bundles
// BuildDelta would refuse to make.
func forgeDelta(t testing.TB, key ed25519.PrivateKey, cert *x509.Certificate, raw []byte, count uint64, mutate func(*Header)) []byte {
	t.Helper()
	h := deltaHeader(10, 20, subsetDigest(nil))
	h.Expires = h.Created.Add(DefaultExpiry)
	h.Signer = cert
	enc, err := zstd.NewWriter(nil, encoderOptions...)
	if err != nil {
		t.Fatal(err)
	}
	payload := enc.EncodeAll(raw, nil)
	h.Count, h.RawSize, h.PayloadSize = count, uint64(len(raw)), uint64(len(payload))
	h.PayloadHash = sha256.Sum256(payload)
	h.Format = FormatRows
	if mutate != nil {
		mutate(&h)
	}
	rowsFormat(&h)
	var buf bytes.Buffer
	if err := seal(&buf, &h, payload, key); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func upsertBytes(c *registry.Citizen, stamps bool) []byte {
	return registry.AppendCitizen([]byte{tagUpsert}, c, stamps)
}

func removalBytes(id string) []byte { return append([]byte{tagRemove, byte(len(id))}, id...) }

func TestDeltaSignedButInconsistent(t *testing.T) {
	p := mustPKI(t)
	key, cert := p.DataSigner()
	recs := genCitizens(4, 23)
	a, b, c := upsertBytes(recs[0], false), removalBytes(recs[1].ID), upsertBytes(recs[2], false)
	join := func(parts ...[]byte) []byte { return bytes.Join(parts, nil) }
	tests := []struct {
		name  string
		raw   []byte
		count uint64
		want  error
	}{
		{"entries reordered", join(c, a, b), 3, ErrOrder},
		{"an ID both upserted and removed", join(a, removalBytes(recs[0].ID)), 2, ErrOrder},
		{"unknown tag", join(a, []byte{7}, b[1:]), 2, ErrMalformed},
		{"removal of an empty ID", join(a, []byte{tagRemove, 0}), 2, ErrMalformed},
		{"removal cut short", join(a, b[:len(b)-1]), 2, ErrMalformed},
		{"record with stamps", join(upsertBytes(recs[0], true), b), 2, ErrMalformed},
		{"record cut short", join(a[:len(a)-1]), 1, ErrMalformed},
		{"one entry more than signed", join(a, b, c), 2, ErrCount},
		{"one entry fewer than signed", join(a, b, c), 4, ErrCount},
		{"untagged record", join(a[1:]), 1, ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Open(forgeDelta(t, key, cert, tt.raw, tt.count, nil), verifierOf(p))
			if !errors.Is(err, tt.want) {
				t.Fatalf("Open: %v, want %v", err, tt.want)
			}
		})
	}
	good := join(a, b, c)
	if _, err := Open(forgeDelta(t, key, cert, good, 3, nil), verifierOf(p)); err != nil {
		t.Fatalf("the well-formed forgery does not open: %v", err)
	}
	for _, mutate := range []func(*Header){
		func(h *Header) { h.From = 0 },
		func(h *Header) { h.From = h.To + 1 },
		func(h *Header) { h.From = h.To },
	} {
		if _, err := Open(forgeDelta(t, key, cert, good, 3, mutate), verifierOf(p)); !errors.Is(err, ErrMalformed) {
			t.Errorf("versions out of order: %v, want ErrMalformed", err)
		}
	}
}

// TestDeltaTamperedOrResigned: every flipped byte, every truncation and a
// signature by another key are refused.
func TestDeltaTamperedOrResigned(t *testing.T) {
	p, other := mustPKI(t), mustPKI(t)
	key, cert := p.DataSigner()
	otherKey, otherCert := other.DataSigner()
	dc := newDeltaCase(4)
	h := deltaHeader(5, 6, subsetDigest(dc.after))
	data := mustBuildDelta(t, key, cert, h, dc.upserts, dc.removed)
	v := verifierOf(p)
	if _, err := Open(data, v); err != nil {
		t.Fatal(err)
	}
	for i := range data {
		bad := bytes.Clone(data)
		bad[i] ^= 0x40
		if _, err := Open(bad, v); err == nil || !isOpenError(err) {
			t.Fatalf("byte %d of %d changed: %v", i, len(data), err)
		}
	}
	for n := range len(data) {
		if _, err := Open(data[:n], v); !errors.Is(err, ErrMalformed) {
			t.Fatalf("truncated to %d of %d bytes: %v, want ErrMalformed", n, len(data), err)
		}
	}
	resigned := mustBuildDelta(t, otherKey, otherCert, h, dc.upserts, dc.removed)
	if _, err := Open(resigned, v); !errors.Is(err, ErrUntrustedSigner) {
		t.Fatalf("signed by another city: %v, want ErrUntrustedSigner", err)
	}
	// The trusted certificate on a header signed with another key.
	hdrEnd := len(data) - int(mustOpenHeader(t, data, v).PayloadSize) - ed25519.SignatureSize
	forged := bytes.Clone(data)
	copy(forged[hdrEnd:], ed25519.Sign(otherKey, data[:hdrEnd]))
	if _, err := Open(forged, v); !errors.Is(err, ErrBadSignature) {
		t.Fatalf("trusted certificate, another key: %v, want ErrBadSignature", err)
	}
}

func mustOpenHeader(t *testing.T, data []byte, v Verifier) Header {
	t.Helper()
	b, err := Open(data, v)
	if err != nil {
		t.Fatal(err)
	}
	return b.Header
}

// TestDeltaRecordsSorted checks the merge helper on its own: whatever the
// split between upserts and removals, the payload is in ID order.
func TestDeltaRecordsSorted(t *testing.T) {
	recs := genCitizens(50, 24)
	var up []*registry.Citizen
	var rm []string
	for i, c := range recs {
		if i%3 == 0 {
			rm = append(rm, c.ID)
		} else {
			up = append(up, c)
		}
	}
	var got []string
	for e := range mergeEntries(up, rm) {
		got = append(got, e.ID)
	}
	if !slices.IsSorted(got) || len(got) != len(recs) {
		t.Fatalf("merged %d entries, sorted %v", len(got), slices.IsSorted(got))
	}
}

func TestReadHeader(t *testing.T) {
	p := mustPKI(t)
	data, h := mustBuild(t, p, genCitizens(3, 25))
	got, sig, err := ReadHeader(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	if got.Digest != h.Digest || got.To != h.To || got.Created != h.Created || len(sig) != ed25519.SignatureSize {
		t.Fatalf("ReadHeader gave %+v", got)
	}
	sigStart := len(data) - int(h.PayloadSize) - ed25519.SignatureSize
	if !bytes.Equal(sig, data[sigStart:sigStart+ed25519.SignatureSize]) {
		t.Fatal("ReadHeader's signature is not the bundle's")
	}
	for _, n := range []int{0, 5, prefixSize + 3, sigStart + 10} {
		if _, _, err := ReadHeader(bytes.NewReader(data[:n])); !errors.Is(err, ErrMalformed) {
			t.Errorf("truncated to %d bytes: %v", n, err)
		}
	}
}

func TestOpenEach(t *testing.T) {
	p := mustPKI(t)
	key, cert := p.DataSigner()
	recs := genCitizens(30, 26)
	data, _ := mustBuild(t, p, recs)
	var seen []string
	b, err := OpenEach(data, verifierOf(p), func(e Entry) error { seen = append(seen, e.ID); return nil })
	if err != nil || len(seen) != 30 || b.Count != 30 {
		t.Fatalf("OpenEach: %v, saw %d entries", err, len(seen))
	}
	for i, id := range seen {
		if id != recs[i].ID {
			t.Fatalf("entry %d is %s, want %s", i, id, recs[i].ID)
		}
	}
	stop := errors.New("stop")
	if _, err := OpenEach(data, verifierOf(p), func(Entry) error { return stop }); !errors.Is(err, stop) {
		t.Fatalf("an error of each: %v", err)
	}
	dc := newDeltaCase(10)
	delta := mustBuildDelta(t, key, cert, deltaHeader(1, 2, subsetDigest(dc.after)), dc.upserts, dc.removed)
	n := 0
	if _, err := OpenEach(delta, verifierOf(p), func(Entry) error { n++; return nil }); err != nil || n != len(dc.upserts)+len(dc.removed) {
		t.Fatalf("OpenEach of a delta: %v, %d entries", err, n)
	}
	// each sees a full bundle's records before its digest is checked; the
	// error still comes.
	bad := forge(t, key, cert, recs, false, func(h *Header) { h.Digest[0] ^= 1 })
	n = 0
	if _, err := OpenEach(bad, verifierOf(p), func(Entry) error { n++; return nil }); !errors.Is(err, ErrDigestMismatch) || n != 30 {
		t.Fatalf("OpenEach of a wrong digest: %v after %d entries", err, n)
	}
}
