package bundle

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/xanode/xanode/certs"
	"github.com/xanode/xanode/node/registry"
	"github.com/xanode/xanode/sync/digest"
)

// openErrors are the errors Open may return; anything else is a bug.
var openErrors = []error{ErrMalformed, ErrUnsupported, ErrTooLarge, ErrUntrustedSigner,
	ErrBadSignature, ErrPayloadHash, ErrDigestMismatch, ErrCount, ErrOrder}

func isOpenError(err error) bool {
	return slices.ContainsFunc(openErrors, func(e error) bool { return errors.Is(err, e) })
}

func collect(t *testing.T, b *Bundle) []*registry.Citizen {
	t.Helper()
	var got []*registry.Citizen
	if err := b.Records(func(c *registry.Citizen) error { got = append(got, c); return nil }); err != nil {
		t.Fatalf("Records: %v", err)
	}
	return got
}

func TestRoundTrip(t *testing.T) {
	p := mustPKI(t)
	for _, n := range []int{0, 1, 1000} {
		recs := genCitizens(n, 1)
		data, h := mustBuild(t, p, recs)
		b, err := Open(data, verifierOf(p))
		if err != nil {
			t.Fatalf("%d records: Open: %v", n, err)
		}
		got := collect(t, b)
		if len(got) != n || b.Count != uint64(n) {
			t.Fatalf("%d records: got %d, header says %d", n, len(got), b.Count)
		}
		for i, c := range got {
			if c.ID != recs[i].ID || c.Version != recs[i].Version || c.Values != recs[i].Values {
				t.Fatalf("record %d: got %+v, want %+v", i, c.Values, recs[i].Values)
			}
		}
		var d digest.Hash
		for _, c := range recs {
			d.Add([]byte(c.ID), registry.AppendCitizen(nil, c, false))
		}
		if b.Digest != d.Sum() || h.Digest != d.Sum() {
			t.Fatal("header digest is not the digest of the subset")
		}
		if !b.Signer.Equal(h.Signer) || b.Created != h.Created || b.Expires != h.Expires ||
			b.Commune != testCommune || b.To != 4242 || b.RawSize != h.RawSize || b.PayloadHash != h.PayloadHash {
			t.Fatalf("opened header %+v differs from the built one %+v", b.Header, h)
		}
		if b.Expires != testNow.Add(DefaultExpiry) || b.Expired(testNow) || !b.Expired(b.Expires) {
			t.Fatalf("expiry %v", b.Expires)
		}
		// The same subset gives the same bytes.
		if again, _ := mustBuild(t, p, recs); !bytes.Equal(again, data) {
			t.Fatalf("%d records: two builds differ", n)
		}
	}
}

// TestEveryFlippedByteIsRefused: whichever byte of a bundle is changed,
// full or delta, format 3 or 2, Open refuses it before any entry reaches
// the caller.
func TestEveryFlippedByteIsRefused(t *testing.T) {
	p := mustPKI(t)
	key, cert := p.DataSigner()
	full, _ := mustBuild(t, p, genCitizens(3, 2))
	dc := newDeltaCase(6)
	delta := mustBuildDelta(t, key, cert, deltaHeader(3, 9, subsetDigest(dc.after)), dc.upserts, dc.removed)
	rows := fullHeader()
	rows.Format = FormatRows
	var old bytes.Buffer
	if _, err := Build(&old, rows, slices.Values(genCitizens(3, 2)), key, cert); err != nil {
		t.Fatal(err)
	}
	v := verifierOf(p)
	for name, data := range map[string][]byte{"full": full, "delta": delta, "format 2": old.Bytes()} {
		h, _, err := ReadHeader(bytes.NewReader(data))
		if err != nil {
			t.Fatal(err)
		}
		sigStart := len(data) - int(h.PayloadSize) - ed25519.SignatureSize
		payloadStart := sigStart + ed25519.SignatureSize
		for i := range data {
			bad := bytes.Clone(data)
			bad[i] ^= 0xff
			used := 0
			_, err := OpenEach(bad, v, func(Entry) error { used++; return nil })
			var want error
			switch {
			case i < len(magic):
				want = ErrMalformed
			case i >= payloadStart:
				want = ErrPayloadHash
			case i >= sigStart:
				want = ErrBadSignature
			}
			if err == nil || !isOpenError(err) || (want != nil && !errors.Is(err, want)) || used != 0 {
				t.Fatalf("%s: byte %d of %d flipped: %v, want %v; %d entries used", name, i, len(data), err, want, used)
			}
		}
	}
}

func TestTruncatedOrExtended(t *testing.T) {
	p := mustPKI(t)
	data, h := mustBuild(t, p, genCitizens(10, 3))
	sigStart := len(data) - int(h.PayloadSize) - ed25519.SignatureSize
	for _, n := range []int{0, 4, prefixSize, prefixSize + 10, sigStart, sigStart + 10, len(data) - 1} {
		if _, err := Open(data[:n], verifierOf(p)); !errors.Is(err, ErrMalformed) {
			t.Errorf("truncated to %d of %d bytes: %v, want ErrMalformed", n, len(data), err)
		}
	}
	if _, err := Open(append(bytes.Clone(data), 0), verifierOf(p)); !errors.Is(err, ErrMalformed) {
		t.Errorf("one byte appended: %v, want ErrMalformed", err)
	}
}

func TestSigners(t *testing.T) {
	p, other := mustPKI(t), mustPKI(t)
	recs := genCitizens(20, 4)
	key, cert := p.DataSigner()
	otherKey, otherCert := other.DataSigner()
	edPub, edKey, _ := ed25519.GenerateKey(rand.Reader)
	fleetCert, err := p.IssueNode("edge-00367", certs.RoleEdge, edPub, nil, 0, testNow)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		data []byte
		v    Verifier
		want error
	}{
		{"trusted", forge(t, key, cert, recs, false, nil), verifierOf(p), nil},
		{"another city's signer", forge(t, otherKey, otherCert, recs, false, nil), verifierOf(p), ErrUntrustedSigner},
		{"trusted certificate, another key", forge(t, otherKey, cert, recs, false, nil), verifierOf(p), ErrBadSignature},
		{"fleet (TLS) certificate", forge(t, edKey, fleetCert, recs, false, nil), verifierOf(p), ErrUntrustedSigner},
		{"signer expired", forge(t, key, cert, recs, false, nil),
			Verifier{Roots: p.RootPool(), Now: testNow.Add(3 * 365 * 24 * time.Hour)}, ErrUntrustedSigner},
		{"signer not valid yet", forge(t, key, cert, recs, false, nil),
			Verifier{Roots: p.RootPool(), Now: testNow.Add(-time.Hour)}, ErrUntrustedSigner},
		{"no roots", forge(t, key, cert, recs, false, nil), Verifier{Now: testNow}, ErrInvalid},
		{"no time", forge(t, key, cert, recs, false, nil), Verifier{Roots: p.RootPool()}, ErrInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Open(tt.data, tt.v)
			if !errors.Is(err, tt.want) || (err == nil) != (tt.want == nil) {
				t.Fatalf("Open: %v, want %v", err, tt.want)
			}
		})
	}
}

func TestSignedButInconsistent(t *testing.T) {
	p := mustPKI(t)
	key, cert := p.DataSigner()
	recs := genCitizens(20, 5)
	swapped := slices.Clone(recs)
	swapped[3], swapped[4] = swapped[4], swapped[3]
	dup := append(slices.Clone(recs[:5]), recs[4])
	tests := []struct {
		name   string
		recs   []*registry.Citizen
		stamps bool
		mutate func(*Header)
		want   error
	}{
		{"records reordered", swapped, false, nil, ErrOrder},
		{"record repeated", dup, false, nil, ErrOrder},
		{"one record more than signed", recs, false, func(h *Header) { h.Count-- }, ErrCount},
		{"one record fewer than signed", recs, false, func(h *Header) { h.Count++ }, ErrCount},
		{"digest of another subset", recs, false, func(h *Header) { h.Digest[0] ^= 1 }, ErrDigestMismatch},
		{"records with stamps", recs, true, nil, ErrMalformed},
		{"raw size too small", recs, false, func(h *Header) { h.RawSize-- }, ErrMalformed},
		{"raw size too large", recs, false, func(h *Header) { h.RawSize++ }, ErrMalformed},
		{"raw size over the cap", recs, false, func(h *Header) { h.RawSize = MaxSize + 1 }, ErrTooLarge},
		{"payload hash", recs, false, func(h *Header) { h.PayloadHash[31] ^= 1 }, ErrPayloadHash},
		{"count beyond the raw size", recs, false, func(h *Header) { h.Count = h.RawSize }, ErrMalformed},
		{"unknown kind", recs, false, func(h *Header) { h.Kind = 3 }, ErrUnsupported},
		{"delta from version 0", recs, false, func(h *Header) { h.Kind = KindDelta }, ErrMalformed},
		{"full from a version", recs, false, func(h *Header) { h.From = 7 }, ErrMalformed},
		{"expires before created", recs, false, func(h *Header) { h.Expires = h.Created }, ErrMalformed},
		{"bad commune code", recs, false, func(h *Header) { h.Commune = "00 367" }, ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Open(forge(t, key, cert, tt.recs, tt.stamps, tt.mutate), verifierOf(p))
			if !errors.Is(err, tt.want) {
				t.Fatalf("Open: %v, want %v", err, tt.want)
			}
		})
	}
}

func TestMaxSize(t *testing.T) {
	p := mustPKI(t)
	data, h := mustBuild(t, p, genCitizens(50, 6))
	v := verifierOf(p)
	v.MaxSize = h.RawSize - 1
	if _, err := Open(data, v); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("Open over MaxSize: %v, want ErrTooLarge", err)
	}
	v.MaxSize = h.RawSize
	if _, err := Open(data, v); err != nil {
		t.Fatalf("Open at MaxSize: %v", err)
	}
}

func TestBuildErrors(t *testing.T) {
	p, other := mustPKI(t), mustPKI(t)
	key, cert := p.DataSigner()
	otherKey, _ := other.DataSigner()
	recs := genCitizens(10, 7)
	unsorted := slices.Clone(recs)
	unsorted[0], unsorted[9] = unsorted[9], unsorted[0]
	noID := []*registry.Citizen{{}}
	tests := []struct {
		name   string
		mutate func(*Header)
		recs   []*registry.Citizen
		key    ed25519.PrivateKey
		want   error
	}{
		{"unsorted records", nil, unsorted, key, ErrOrder},
		{"record without ID", nil, noID, key, ErrOrder},
		{"no creation time", func(h *Header) { h.Created = time.Time{} }, recs, key, ErrInvalid},
		{"delta kind", func(h *Header) { h.Kind = 2 }, recs, key, ErrUnsupported},
		{"no commune", func(h *Header) { h.Commune = "" }, recs, key, ErrInvalid},
		{"from a version", func(h *Header) { h.From = 1 }, recs, key, ErrInvalid},
		{"expires before created", func(h *Header) { h.Expires = testNow.Add(-time.Hour) }, recs, key, ErrInvalid},
		{"key of another signer", nil, recs, otherKey, ErrInvalid},
		{"no key", nil, recs, nil, ErrInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := fullHeader()
			if tt.mutate != nil {
				tt.mutate(&h)
			}
			var buf bytes.Buffer
			_, err := Build(&buf, h, slices.Values(tt.recs), tt.key, cert)
			if !errors.Is(err, tt.want) {
				t.Fatalf("Build: %v, want %v", err, tt.want)
			}
			if buf.Len() != 0 {
				t.Fatalf("Build wrote %d bytes despite the error", buf.Len())
			}
		})
	}
}

func TestRecordsStopsOnCallbackError(t *testing.T) {
	p := mustPKI(t)
	data, _ := mustBuild(t, p, genCitizens(10, 8))
	b, err := Open(data, verifierOf(p))
	if err != nil {
		t.Fatal(err)
	}
	stop := errors.New("stop")
	n := 0
	err = b.Records(func(*registry.Citizen) error {
		if n++; n == 3 {
			return stop
		}
		return nil
	})
	if !errors.Is(err, stop) || n != 3 {
		t.Fatalf("Records: %v after %d records, want stop after 3", err, n)
	}
}
