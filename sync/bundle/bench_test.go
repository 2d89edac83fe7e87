package bundle

import (
	"bytes"
	"slices"
	"testing"

	"github.com/xanode/xanode/node/registry"
)

// The budgets of DESIGN.md, "Performance budgets" for a full subset of 100k records:
// at most 80 bytes per record, build within 2 s, verify and import within
// 3 s (Open plus Records here; the edge's store adds its own cost).
const benchRecords = 100_000

func BenchmarkBuild100k(b *testing.B) {
	p := mustPKI(b)
	key, cert := p.DataSigner()
	recs := genCitizens(benchRecords, 42)
	var buf bytes.Buffer
	var h Header
	b.ReportAllocs()
	for b.Loop() {
		buf.Reset()
		var err error
		if h, err = Build(&buf, fullHeader(), slices.Values(recs), key, cert); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(buf.Len())/benchRecords, "bytes/record")
	b.ReportMetric(float64(h.RawSize)/benchRecords, "raw-bytes/record")
}

func BenchmarkOpen100k(b *testing.B) {
	p := mustPKI(b)
	data, _ := mustBuild(b, p, genCitizens(benchRecords, 42))
	v := verifierOf(p)
	b.ReportAllocs()
	for b.Loop() {
		bundle, err := Open(data, v)
		if err != nil {
			b.Fatal(err)
		}
		n := 0
		if err := bundle.Records(func(*registry.Citizen) error { n++; return nil }); err != nil || n != benchRecords {
			b.Fatalf("Records: %d records, %v", n, err)
		}
	}
}
