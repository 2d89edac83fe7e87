package bundle

import (
	"bytes"
	"slices"
	"strings"
	"testing"

	"github.com/xanode/xanode/node/registry"
)

// FuzzOpen: whatever the bytes, Open does not panic and fails with one of
// its own errors; a bundle that opens yields its records without error.
// Random bytes rarely pass the signature, so FuzzHeader and FuzzRecords
// reach the parsers behind it directly.
func FuzzOpen(f *testing.F) {
	p := mustPKI(f)
	key, cert := p.DataSigner()
	valid, _ := mustBuild(f, p, genCitizens(5, 9))
	empty, _ := mustBuild(f, p, nil)
	dc := newDeltaCase(6)
	delta := mustBuildDelta(f, key, cert, deltaHeader(3, 9, subsetDigest(dc.after)), dc.upserts, dc.removed)
	refresh := mustBuildDelta(f, key, cert, deltaHeader(9, 9, subsetDigest(dc.after)), nil, nil)
	v1 := forge(f, key, cert, genCitizens(3, 9), false, func(h *Header) { h.Officers = nil })
	noOfficers := forge(f, key, cert, genCitizens(3, 9), false, func(h *Header) { h.Officers = []Officer{} })
	rows := fullHeader()
	rows.Format = FormatRows
	var v2 bytes.Buffer
	if _, err := Build(&v2, rows, slices.Values(genCitizens(5, 9)), key, cert); err != nil {
		f.Fatal(err)
	}
	f.Add(v2.Bytes())
	f.Add(valid)
	f.Add(v1)
	f.Add(noOfficers)
	f.Add(empty)
	f.Add(valid[:len(valid)/2])
	f.Add(delta)
	f.Add(refresh)
	f.Add(delta[:len(delta)-3])
	f.Add([]byte(magic))
	v := verifierOf(p)
	f.Fuzz(func(t *testing.T, data []byte) {
		b, err := Open(data, v)
		if err != nil {
			if !isOpenError(err) {
				t.Fatalf("unclassified error: %v", err)
			}
			return
		}
		n := uint64(0)
		if err := b.Entries(func(Entry) error { n++; return nil }); err != nil || n != b.Count {
			t.Fatalf("opened bundle: Entries gave %d of %d entries, %v", n, b.Count, err)
		}
	})
}

// FuzzHeader: the header parser never panics, and a header it accepts has
// exactly one encoding, the one it was given (format 1, 2 or 3, officer
// list included). Seeds: both formats, an empty and a full officer list, and
// the corpus in testdata/fuzz/FuzzHeader.
func FuzzHeader(f *testing.F) {
	p := mustPKI(f)
	key, cert := p.DataSigner()
	header := func(data []byte) []byte { return data[prefixSize:headerEnd(data)] }
	valid, _ := mustBuild(f, p, genCitizens(2, 10))
	f.Add(header(valid))
	delta := mustBuildDelta(f, key, cert, deltaHeader(3, 9, subsetDigest(nil)), genCitizens(2, 10), nil)
	f.Add(header(delta))
	f.Add(header(forge(f, key, cert, genCitizens(2, 10), false, func(h *Header) { h.Officers = nil })))
	f.Add(header(forge(f, key, cert, genCitizens(2, 10), false, func(h *Header) { h.Officers = []Officer{} })))
	noList := fullHeader()
	noList.Officers = nil
	var b3 bytes.Buffer
	if _, err := Build(&b3, noList, slices.Values(genCitizens(2, 10)), key, cert); err != nil {
		f.Fatal(err)
	}
	f.Add(header(b3.Bytes()))
	f.Add([]byte{formatVersion, byte(KindFull), 1, '1'})
	f.Add([]byte{formatNoOfficers, byte(KindFull), 1, '1'})
	f.Fuzz(func(t *testing.T, data []byte) {
		h, err := parseHeader(data)
		if err != nil {
			if !isOpenError(err) {
				t.Fatalf("unclassified error: %v", err)
			}
			return
		}
		if again := appendHeader(nil, h); !bytes.Equal(again, data) {
			t.Fatalf("accepted header re-encodes differently:\n%x\n%x", data, again)
		}
	})
}

// FuzzRecords: decoding a payload, full or delta, never panics; a payload
// that decodes is the canonical encoding of what it decoded to.
func FuzzRecords(f *testing.F) {
	var raw, delta []byte
	for i, c := range genCitizens(3, 11) {
		raw = registry.AppendCitizen(raw, c, false)
		if i == 1 {
			delta = append(delta, removalBytes(c.ID)...)
		} else {
			delta = append(delta, upsertBytes(c, false)...)
		}
	}
	f.Add(raw, uint64(3), false)
	f.Add(raw[:len(raw)-1], uint64(3), false)
	f.Add(delta, uint64(3), true)
	f.Add(delta[:len(delta)-1], uint64(3), true)
	f.Fuzz(func(t *testing.T, raw []byte, count uint64, isDelta bool) {
		b := &Bundle{Header: Header{Kind: KindFull, Count: count}, raw: raw}
		if isDelta {
			b.Kind = KindDelta
		}
		var again []byte
		err := b.Entries(func(e Entry) error {
			again, _ = appendEntry(again, b.Kind, e)
			return nil
		})
		if err != nil {
			if !isOpenError(err) {
				t.Fatalf("unclassified error: %v", err)
			}
			return
		}
		if !bytes.Equal(again, raw) {
			t.Fatal("accepted payload is not canonical")
		}
	})
}

// FuzzColumns: decoding a format-3 payload, full or delta, never panics;
// a payload that decodes is exactly what encode writes for what it decoded
// to, and its rows are a payload that Open's checks accept or refuse with
// one of its own errors.
func FuzzColumns(f *testing.F) {
	full := columnsOf(KindFull, householdCase).encode()
	f.Add(full, uint64(len(householdCase)), false)
	f.Add(full[:len(full)-1], uint64(len(householdCase)), false)
	var entries []entryCase
	for _, c := range genCitizens(6, 12) {
		entries = append(entries, entryCase{c.ID, c})
	}
	f.Add(columnsOf(KindFull, entries).encode(), uint64(len(entries)), false)
	entries[2].c, entries[4].c = nil, nil
	f.Add(columnsOf(KindDelta, entries).encode(), uint64(len(entries)), true)
	f.Add(columnsOf(KindFull, nil).encode(), uint64(0), false)
	f.Fuzz(func(t *testing.T, raw []byte, count uint64, isDelta bool) {
		kind := KindFull
		if isDelta {
			kind = KindDelta
		}
		m, err := decodeColumns(raw, kind, count, testCommune)
		if err != nil {
			return
		}
		rows, err := m.rows(1 << 20)
		if err != nil {
			if !isOpenError(err) && !strings.Contains(err.Error(), "removed ID") {
				t.Fatalf("rows: unclassified error: %v", err)
			}
			return
		}
		if again := m.encode(); !bytes.Equal(again, raw) {
			t.Fatalf("accepted payload is not canonical:\n%x\n%x", raw, again)
		}
		b := &Bundle{Header: Header{Kind: kind, Count: count}, raw: rows}
		if err := b.Entries(func(Entry) error { return nil }); err != nil && !isOpenError(err) {
			t.Fatalf("rows: unclassified error: %v", err)
		}
	})
}
