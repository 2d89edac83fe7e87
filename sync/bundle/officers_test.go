package bundle

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// headerEnd is the offset of the signature in a bundle.
func headerEnd(data []byte) int {
	return prefixSize + int(binary.BigEndian.Uint32(data[len(magic):prefixSize]))
}

// TestOfficersRoundTrip: full bundles, deltas and refreshes carry the
// whole officer list and give it back as built; an empty list stays
// empty, not absent.
func TestOfficersRoundTrip(t *testing.T) {
	p := mustPKI(t)
	key, cert := p.DataSigner()
	dc := newDeltaCase(8)
	for _, list := range [][]Officer{testOfficers(), {}} {
		full := fullHeader()
		full.Officers = list
		var buf bytes.Buffer
		if _, err := Build(&buf, full, slices.Values(genCitizens(4, 30)), key, cert); err != nil {
			t.Fatal(err)
		}
		dh := deltaHeader(3, 9, subsetDigest(dc.after))
		dh.Officers = list
		rh := deltaHeader(9, 9, subsetDigest(dc.after))
		rh.Officers = list
		for name, data := range map[string][]byte{
			"full":    buf.Bytes(),
			"delta":   mustBuildDelta(t, key, cert, dh, dc.upserts, dc.removed),
			"refresh": mustBuildDelta(t, key, cert, rh, nil, nil),
		} {
			if data[prefixSize] != formatVersion {
				t.Fatalf("%s: format %d, want %d", name, data[prefixSize], formatVersion)
			}
			b, err := Open(data, verifierOf(p))
			if err != nil {
				t.Fatalf("%s with %d officers: %v", name, len(list), err)
			}
			if b.Officers == nil || !reflect.DeepEqual(b.Officers, list) {
				t.Fatalf("%s: officers %+v, built %+v", name, b.Officers, list)
			}
		}
	}
}

// TestFormat1Opens: a bundle without an officer list (what cities made
// before format 2, and what Build makes of FormatRows without one) still
// opens, and says nothing about officers.
func TestFormat1Opens(t *testing.T) {
	p := mustPKI(t)
	key, cert := p.DataSigner()
	recs := genCitizens(5, 31)
	h := fullHeader()
	h.Officers = nil
	h.Format = FormatRows
	var buf bytes.Buffer
	if _, err := Build(&buf, h, slices.Values(recs), key, cert); err != nil {
		t.Fatal(err)
	}
	data := buf.Bytes()
	if data[prefixSize] != formatNoOfficers {
		t.Fatalf("format %d, want %d", data[prefixSize], formatNoOfficers)
	}
	b, err := Open(data, verifierOf(p))
	if err != nil {
		t.Fatal(err)
	}
	if b.Officers != nil || len(collect(t, b)) != len(recs) {
		t.Fatalf("format 1: officers %v, %d records", b.Officers, b.Count)
	}
	// The same header with an empty list is format 2, and a different
	// header: the signature tells them apart.
	h.Officers = []Officer{}
	buf.Reset()
	if _, err := Build(&buf, h, slices.Values(recs), key, cert); err != nil {
		t.Fatal(err)
	}
	if b2, err := Open(buf.Bytes(), verifierOf(p)); err != nil || b2.Officers == nil || len(b2.Officers) != 0 {
		t.Fatalf("empty list: %v, %v", b2, err)
	}
	// A format-1 header followed by an officer list is not format 1.
	n := headerEnd(data) - prefixSize
	hdr := append(bytes.Clone(data[prefixSize:prefixSize+n]), 0, 0)
	if _, err := parseHeader(hdr); !errors.Is(err, ErrMalformed) {
		t.Fatalf("format 1 with a trailing list: %v", err)
	}
}

// TestOfficersSigned: the signature covers the officer list, so a
// changed account (a hash swapped, a disabled flag cleared, an officer
// dropped) is refused.
func TestOfficersSigned(t *testing.T) {
	p := mustPKI(t)
	data, _ := mustBuild(t, p, genCitizens(3, 32))
	end := headerEnd(data)
	list := appendOfficers(nil, testOfficers())
	start := end - len(list)
	if !bytes.Equal(data[start:end], list) {
		t.Fatal("the officer list is not at the end of the header")
	}
	for i := start; i < end; i++ {
		bad := bytes.Clone(data)
		bad[i] ^= 0x01
		if _, err := Open(bad, verifierOf(p)); err == nil || !isOpenError(err) {
			t.Fatalf("officer list byte %d flipped: %v", i-start, err)
		}
	}
	// The disabled account enabled with the first one's hash, the bytes
	// re-framed: still refused, now by the signature alone.
	forged := testOfficers()
	forged[1].Disabled, forged[1].Salt, forged[1].Hash = false, forged[0].Salt, forged[0].Hash
	forged[1].Time, forged[1].Memory, forged[1].Threads = 3, 64<<10, 2
	swapped := appendOfficers(nil, forged)
	bad := slices.Concat(data[:start], swapped, data[end:])
	binary.BigEndian.PutUint32(bad[len(magic):], uint32(end-prefixSize+len(swapped)-len(list)))
	if _, err := Open(bad, verifierOf(p)); !errors.Is(err, ErrBadSignature) {
		t.Fatalf("re-enabled account: %v, want ErrBadSignature", err)
	}
}

// TestOfficersRefused: Build refuses a list that breaks a rule, naming
// it, and Open refuses the same list even when it is correctly signed.
func TestOfficersRefused(t *testing.T) {
	p := mustPKI(t)
	key, cert := p.DataSigner()
	many := make([]Officer, MaxOfficers+1)
	for i := range many {
		many[i] = testOfficers()[0]
		many[i].User = fmt.Sprintf("canbo%04d", i)
	}
	tests := []struct {
		name   string
		mutate func([]Officer) []Officer
		want   string
	}{
		{"unsorted", func(l []Officer) []Officer { l[0], l[2] = l[2], l[0]; return l }, "ascending"},
		{"duplicate", func(l []Officer) []Officer { l[1].User = l[0].User; return l }, "ascending"},
		{"upper-case user", func(l []Officer) []Officer { l[0].User = "CanBo01"; return l }, "user name"},
		{"long user", func(l []Officer) []Officer { l[0].User = strings.Repeat("a", 33); return l }, "user name"},
		{"no name", func(l []Officer) []Officer { l[0].Name = ""; return l }, "full name"},
		{"long name", func(l []Officer) []Officer { l[0].Name = strings.Repeat("Đ", 65); return l }, "full name"},
		{"control in name", func(l []Officer) []Officer { l[0].Name = "Lan\x00"; return l }, "full name"},
		{"bad role", func(l []Officer) []Officer { l[0].Role = "admin"; return l }, "role"},
		{"disabled with hash", func(l []Officer) []Officer { l[1].Hash = l[0].Hash; return l }, "disabled"},
		{"short salt", func(l []Officer) []Officer { l[0].Salt = l[0].Salt[:8]; return l }, "salt"},
		{"no hash", func(l []Officer) []Officer { l[0].Hash = nil; return l }, "hash"},
		{"cheap memory", func(l []Officer) []Officer { l[0].Memory = 8 << 10; return l }, "memory"},
		{"huge memory", func(l []Officer) []Officer { l[0].Memory = 2 << 20; return l }, "memory"},
		{"no passes", func(l []Officer) []Officer { l[0].Time = 0; return l }, "time"},
		{"many passes", func(l []Officer) []Officer { l[0].Time = 11; return l }, "time"},
		{"no threads", func(l []Officer) []Officer { l[0].Threads = 0; return l }, "threads"},
		{"too many", func([]Officer) []Officer { return many }, "at most"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := fullHeader()
			h.Officers = tt.mutate(testOfficers())
			var buf bytes.Buffer
			_, err := Build(&buf, h, slices.Values(genCitizens(2, 33)), key, cert)
			if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), tt.want) || buf.Len() != 0 {
				t.Fatalf("Build: %v (wrote %d bytes), want ErrInvalid naming %q", err, buf.Len(), tt.want)
			}
			if tt.name == "bad role" {
				return // the encoding has no byte for it (TestReadOfficers)
			}
			data := forge(t, key, cert, genCitizens(2, 33), false, func(fh *Header) { fh.Officers = h.Officers })
			if _, err := Open(data, verifierOf(p)); !errors.Is(err, ErrMalformed) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Open of a signed bad list: %v, want ErrMalformed naming %q", err, tt.want)
			}
		})
	}
}

// TestOfficersAtTheLimit: the largest list allowed, with the largest
// fields, fits under MaxHeaderSize and opens.
func TestOfficersAtTheLimit(t *testing.T) {
	p := mustPKI(t)
	key, cert := p.DataSigner()
	list := make([]Officer, MaxOfficers)
	for i := range list {
		list[i] = Officer{User: fmt.Sprintf("%s%04d", strings.Repeat("x", MaxUserLen-4), i), Name: strings.Repeat("ễ", MaxNameLen/3),
			Role: RoleSupervisor, Salt: bytes.Repeat([]byte{1}, MaxSaltLen), Hash: bytes.Repeat([]byte{2}, MaxHashLen),
			Time: MaxArgonTime, Memory: MaxArgonMemory, Threads: MaxArgonThreads}
	}
	h := fullHeader()
	h.Officers = list
	var buf bytes.Buffer
	if _, err := Build(&buf, h, slices.Values(genCitizens(1, 34)), key, cert); err != nil {
		t.Fatal(err)
	}
	b, err := Open(buf.Bytes(), verifierOf(p))
	if err != nil || len(b.Officers) != MaxOfficers {
		t.Fatalf("Open: %v", err)
	}
	if n := headerEnd(buf.Bytes()) - prefixSize; n > MaxHeaderSize {
		t.Fatalf("header of %d bytes", n)
	}
}

// TestReadOfficers: every truncation of an officer list is refused,
// never read as a shorter list, and so are unknown roles and flags.
func TestReadOfficers(t *testing.T) {
	enc := appendOfficers(nil, testOfficers())
	for n := range len(enc) {
		r := reader{b: enc[:n]}
		if list, err := readOfficers(&r); err == nil {
			t.Fatalf("%d of %d bytes read as %d officers", n, len(enc), len(list))
		}
	}
	roleAt := 2 + 1 + len("canbo01") + 1 + len("Nguyễn Thị Lan")
	for _, c := range []struct {
		at   int
		v    byte
		want string
	}{{roleAt, 3, "unknown role"}, {roleAt, 0, "unknown role"}, {roleAt + 1, 2, "unknown flags"}} {
		bad := bytes.Clone(enc)
		bad[c.at] = c.v
		r := reader{b: bad}
		if _, err := readOfficers(&r); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("byte %d set to %d: %v, want %q", c.at, c.v, err, c.want)
		}
	}
	r := reader{b: enc}
	if list, err := readOfficers(&r); err != nil || !reflect.DeepEqual(list, testOfficers()) || len(r.b) != 0 {
		t.Fatalf("whole list: %v, %v", list, err)
	}
}
