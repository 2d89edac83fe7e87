package bundle

import (
	"bytes"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/xanode/xanode/node/registry"
)

// entriesOf opens data and returns its entries, Raw included.
func entriesOf(t *testing.T, data []byte, v Verifier) (*Bundle, []Entry) {
	t.Helper()
	var got []Entry
	b, err := OpenEach(data, v, func(e Entry) error {
		e.Raw = bytes.Clone(e.Raw)
		got = append(got, e)
		return nil
	})
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	return b, got
}

// TestEarlierReleaseBundlesOpen opens bundles that the release before
// format 3 wrote (testdata/format2: a full bundle and a delta in format
// 2, and a format-1 full bundle, signed by the root in root.pem, made by
// kit_test.go's generator): they open as they did, and hold the same
// entries, bytes for the digest included, as the same records built
// today in format 3.
func TestEarlierReleaseBundlesOpen(t *testing.T) {
	read := func(name string) []byte {
		b, err := os.ReadFile("testdata/format2/" + name)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM(read("root.pem")) {
		t.Fatal("root.pem holds no certificate")
	}
	v := Verifier{Roots: roots, Now: testNow.Add(time.Hour)}
	p := mustPKI(t)
	key, cert := p.DataSigner()
	dc := newDeltaCase(30)
	for _, tc := range []struct {
		file    string
		format  uint8
		rebuild func(h Header) []byte
	}{
		{"full.bundle", FormatRows, func(h Header) []byte {
			var buf bytes.Buffer
			if _, err := Build(&buf, h, slices.Values(genCitizens(40, 51)), key, cert); err != nil {
				t.Fatal(err)
			}
			return buf.Bytes()
		}},
		{"format1.bundle", formatNoOfficers, func(h Header) []byte {
			var buf bytes.Buffer
			if _, err := Build(&buf, h, slices.Values(genCitizens(5, 52)), key, cert); err != nil {
				t.Fatal(err)
			}
			return buf.Bytes()
		}},
		{"delta.bundle", FormatRows, func(h Header) []byte {
			return mustBuildDelta(t, key, cert, h, dc.upserts, dc.removed)
		}},
	} {
		old, oldEntries := entriesOf(t, read(tc.file), v)
		if old.Format != tc.format {
			t.Fatalf("%s: format %d, want %d", tc.file, old.Format, tc.format)
		}
		h := old.Header
		h.Format, h.Signer = 0, nil
		now, nowEntries := entriesOf(t, tc.rebuild(h), verifierOf(p))
		if now.Format != FormatColumns || now.Digest != old.Digest || now.Count != old.Count ||
			!reflect.DeepEqual(now.Officers, old.Officers) {
			t.Fatalf("%s: rebuilt in format 3 as %+v, was %+v", tc.file, now.Header, old.Header)
		}
		if !reflect.DeepEqual(nowEntries, oldEntries) {
			t.Fatalf("%s: format 3 gives other entries than format %d", tc.file, old.Format)
		}
		if old.Kind == KindFull && now.SubsetState().Sum() != old.SubsetState().Sum() {
			t.Fatalf("%s: digest states differ", tc.file)
		}
	}
}

// TestBuildFormatRows: Build writes format 2 (format 1 without officers)
// when asked, for edges of an earlier release, with the same entries as
// format 3; other formats are refused.
func TestBuildFormatRows(t *testing.T) {
	p := mustPKI(t)
	key, cert := p.DataSigner()
	recs := genCitizens(50, 53)
	_, want := entriesOf(t, func() []byte { d, _ := mustBuild(t, p, recs); return d }(), verifierOf(p))
	for _, officers := range [][]Officer{testOfficers(), nil} {
		h := fullHeader()
		h.Format, h.Officers = FormatRows, officers
		var buf bytes.Buffer
		built, err := Build(&buf, h, slices.Values(recs), key, cert)
		if err != nil {
			t.Fatal(err)
		}
		wantFormat := uint8(FormatRows)
		if officers == nil {
			wantFormat = formatNoOfficers
		}
		b, got := entriesOf(t, buf.Bytes(), verifierOf(p))
		if built.Format != wantFormat || b.Format != wantFormat || buf.Bytes()[prefixSize] != wantFormat {
			t.Fatalf("format %d (built %d), want %d", b.Format, built.Format, wantFormat)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatal("format 2 gives other entries than format 3")
		}
	}
	for _, f := range []uint8{4, 255} {
		h := fullHeader()
		h.Format = f
		if _, err := Build(&bytes.Buffer{}, h, slices.Values(recs), key, cert); !errors.Is(err, ErrInvalid) {
			t.Fatalf("format %d: %v, want ErrInvalid", f, err)
		}
	}
	h := fullHeader()
	h.Format = formatNoOfficers
	if _, err := Build(&bytes.Buffer{}, h, slices.Values(recs), key, cert); !errors.Is(err, ErrInvalid) {
		t.Fatalf("format 1 with officers: %v, want ErrInvalid", err)
	}
}

// TestFormat3WithoutOfficers: format 3 says in its header whether it
// carries an officer list; without one it opens with Officers nil.
func TestFormat3WithoutOfficers(t *testing.T) {
	p := mustPKI(t)
	key, cert := p.DataSigner()
	h := fullHeader()
	h.Officers = nil
	var buf bytes.Buffer
	if _, err := Build(&buf, h, slices.Values(genCitizens(3, 54)), key, cert); err != nil {
		t.Fatal(err)
	}
	b, err := Open(buf.Bytes(), verifierOf(p))
	if err != nil || b.Format != FormatColumns || b.Officers != nil {
		t.Fatalf("format %d, officers %v: %v", b.Format, b.Officers, err)
	}
	// An officer flag other than 0 or 1 is refused.
	hdr := bytes.Clone(buf.Bytes()[prefixSize:headerEnd(buf.Bytes())])
	hdr[len(hdr)-1] = 2
	if _, err := parseHeader(hdr); !errors.Is(err, ErrMalformed) {
		t.Fatalf("officer flag 2: %v", err)
	}
}

// TestEveryFieldRoundTrips: records with every field of the registry set
// come back from format 3 as they went in — a field added to the registry
// without a column is caught here, not by an edge's importer.
func TestEveryFieldRoundTrips(t *testing.T) {
	p := mustPKI(t)
	recs := genCitizens(20, 99)
	for i, c := range recs {
		for _, col := range columnOrder {
			if c.Values[col.field] != "" {
				continue
			}
			var v string
			switch col.kind {
			case kindDate:
				v = fmt.Sprintf("20%02d-07-%02d", 10+i%15, 1+i%28)
			case kindID:
				v = recs[(i+1)%len(recs)].ID
			case kindDigits:
				v = strings.Repeat(fmt.Sprint(1+i%9), col.width)
			default:
				v = fmt.Sprintf("giá trị %s số %d", col.field, i)
			}
			c.Values[col.field] = v
		}
		for f := 1; f < registry.NumFields; f++ {
			if c.Values[f] == "" {
				t.Fatalf("field %s has no column", registry.Field(f))
			}
		}
	}
	data, _ := mustBuild(t, p, recs)
	_, got := entriesOf(t, data, verifierOf(p))
	if len(got) != len(recs) {
		t.Fatalf("%d entries for %d records", len(got), len(recs))
	}
	for i, e := range got {
		if e.Citizen == nil || !reflect.DeepEqual(*e.Citizen, *recs[i]) {
			t.Fatalf("record %d came back as %+v, want %+v", i, e.Citizen, recs[i])
		}
	}
}
