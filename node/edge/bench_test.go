package edge

import (
	"bytes"
	"context"
	"math/rand/v2"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/xanode/xanode/certs"
	"github.com/xanode/xanode/node/gen"
	"github.com/xanode/xanode/node/registry"
	"github.com/xanode/xanode/sync/bundle"
)

// The budgets of DESIGN.md, "Performance budgets" on a generated 100k-resident commune:
// a full bundle of at most 80 bytes per record, built within 2 s, verified
// and imported within 3 s; a 1,000-change delta of at most 150 KB, applied
// within 200 ms; lookup by ID p99 ≤ 100 µs and name search p99 ≤ 10 ms,
// encrypted at rest. Run with
//
//	go test -run XXX -bench . -benchtime 3x ./node/edge/
//
// (the lookups run b.N times each; -benchtime 20000x gives stable
// percentiles).
const benchResidents = 100_000

// benchFixture is the generated commune and its full bundle, made once
// for every benchmark (the PKI lives on in memory after its folder goes).
type benchFixture struct {
	pki  *certs.PKI
	recs []*registry.Citizen // sorted by ID
	full []byte
}

var (
	fixtureOnce sync.Once
	fixture     *benchFixture
)

func mustFixture(b *testing.B) *benchFixture {
	fixtureOnce.Do(func() {
		p, err := certs.Init(b.TempDir(), certs.InitOptions{CityNodes: []string{"city-1"}, Now: func() time.Time { return now.Add(-time.Hour) }})
		if err != nil {
			b.Fatal(err)
		}
		recs, err := gen.Citizens(gen.Options{Commune: commune, Citizens: benchResidents, Seed: 1})
		if err != nil {
			b.Fatal(err)
		}
		slices.SortFunc(recs, func(x, y *registry.Citizen) int { return strings.Compare(x.ID, y.ID) })
		fixture = &benchFixture{pki: p, recs: recs, full: buildFull(b, p, 10, recs)}
	})
	if fixture == nil {
		b.Fatal("no fixture")
	}
	return fixture
}

// store returns a store holding the fixture's subset.
func (f *benchFixture) store(b *testing.B) (*Store, *Importer) {
	s, err := OpenStore(filepath.Join(b.TempDir(), "edge.db"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	im := importer(s, f.pki)
	if _, err := im.Import(context.Background(), f.full); err != nil {
		b.Fatal(err)
	}
	return s, im
}

func buildFull(b *testing.B, p *certs.PKI, version uint64, recs []*registry.Citizen) []byte {
	key, cert := p.DataSigner()
	var buf bytes.Buffer
	h := bundle.Header{Kind: bundle.KindFull, Commune: commune, To: version, Created: now}
	if _, err := bundle.Build(&buf, h, slices.Values(recs), key, cert); err != nil {
		b.Fatal(err)
	}
	return buf.Bytes()
}

func BenchmarkBuildFull100k(b *testing.B) {
	f := mustFixture(b)
	var data []byte
	for b.Loop() {
		data = buildFull(b, f.pki, 10, f.recs)
	}
	b.ReportMetric(float64(len(data))/benchResidents, "bytes/record")
}

func BenchmarkVerifyImportFull100k(b *testing.B) {
	f := mustFixture(b)
	s, err := OpenStore(filepath.Join(b.TempDir(), "edge.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	im := importer(s, f.pki)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		// Each import must be newer than the last: sign the same records
		// at increasing times.
		b.StopTimer()
		data := f.full
		if i > 0 {
			data = buildFullAt(b, f.pki, f.recs, now.Add(time.Duration(i)*time.Minute))
		}
		b.StartTimer()
		if _, err := im.Import(context.Background(), data); err != nil {
			b.Fatal(err)
		}
	}
}

func buildFullAt(b *testing.B, p *certs.PKI, recs []*registry.Citizen, created time.Time) []byte {
	key, cert := p.DataSigner()
	var buf bytes.Buffer
	h := bundle.Header{Kind: bundle.KindFull, Commune: commune, To: 10, Created: created}
	if _, err := bundle.Build(&buf, h, slices.Values(recs), key, cert); err != nil {
		b.Fatal(err)
	}
	return buf.Bytes()
}

// changeSet returns the subset after 1,000 changes: 900 residents with a
// new current address, 50 removed and 50 newcomers, as a delta's upserts
// and removals and the whole subset after it.
func changeSet(recs []*registry.Citizen, round int) (up []*registry.Citizen, rm []string, after []*registry.Citizen) {
	r := rand.New(rand.NewPCG(uint64(round), 7))
	picked := map[int]bool{}
	for len(picked) < 950 {
		picked[r.IntN(len(recs))] = true
	}
	n := 0
	for i, c := range recs {
		switch {
		case !picked[i]:
			after = append(after, c)
		case n < 50:
			rm = append(rm, c.ID)
			n++
		default:
			moved := *c
			moved.Values[registry.FieldCurrentAddress] = "Số " + strings.Repeat("1", 1+round%3) + " đường 3 tháng 2, phường Xuân Khánh"
			moved.Version = uint64(100 + round)
			up = append(up, &moved)
			after = append(after, &moved)
		}
	}
	for i := range 50 {
		c := *recs[i]
		c.ID = registry.MakeID("092", 2026, i%2 == 0, 990000+round*50+i)
		c.Values[registry.FieldFullName] = "Trẻ Mới Sinh " + strings.Repeat("A", i%5)
		up = append(up, &c)
		after = append(after, &c)
	}
	slices.SortFunc(up, func(x, y *registry.Citizen) int { return strings.Compare(x.ID, y.ID) })
	return up, rm, after
}

func buildDelta(b *testing.B, p *certs.PKI, from, to uint64, up []*registry.Citizen, rm []string, after []*registry.Citizen) []byte {
	key, cert := p.DataSigner()
	var buf bytes.Buffer
	h := bundle.Header{Kind: bundle.KindDelta, Commune: commune, From: from, To: to, Digest: digestOf(after), Created: now}
	if _, err := bundle.BuildDelta(&buf, h, up, rm, key, cert); err != nil {
		b.Fatal(err)
	}
	return buf.Bytes()
}

func BenchmarkApplyDelta1000(b *testing.B) {
	f := mustFixture(b)
	_, im := f.store(b)
	base, version := f.recs, uint64(10)
	size := 0
	for b.Loop() {
		b.StopTimer()
		up, rm, after := changeSet(base, int(version))
		data := buildDelta(b, f.pki, version, version+1, up, rm, after)
		size = len(data)
		runtime.GC() // the garbage of making the delta is not the edge's
		b.StartTimer()
		if _, err := im.Import(context.Background(), data); err != nil {
			b.Fatal(err)
		}
		base, version = after, version+1
	}
	b.ReportMetric(float64(size)/1000, "KB/delta")
}

// percentile returns the p-th percentile of ds, which it sorts.
func percentile(ds []time.Duration, p float64) time.Duration {
	slices.Sort(ds)
	return ds[min(len(ds)-1, int(float64(len(ds))*p/100))]
}

func BenchmarkLookupByID(b *testing.B) {
	f := mustFixture(b)
	s, _ := f.store(b)
	r := rand.New(rand.NewPCG(1, 2))
	var took []time.Duration
	for b.Loop() {
		id := f.recs[r.IntN(len(f.recs))].ID
		start := time.Now()
		if _, err := s.Citizen(id); err != nil {
			b.Fatal(err)
		}
		took = append(took, time.Since(start))
	}
	b.ReportMetric(float64(percentile(took, 99).Microseconds()), "p99-µs")
}

func BenchmarkSearchName(b *testing.B) {
	f := mustFixture(b)
	s, _ := f.store(b)
	r := rand.New(rand.NewPCG(3, 4))
	var took []time.Duration
	for i := 0; b.Loop(); i++ {
		c := f.recs[r.IntN(len(f.recs))]
		birth := c.BirthDate()
		if i%2 == 1 {
			birth = registry.Date{} // half the searches give no date
		}
		start := time.Now()
		got, err := s.Search(Query{Name: c.Get(registry.FieldFullName), Birth: birth, Limit: 20})
		if err != nil || got.Total == 0 {
			b.Fatalf("search for %s: %d found, %v", c.Get(registry.FieldFullName), got.Total, err)
		}
		took = append(took, time.Since(start))
	}
	b.ReportMetric(float64(percentile(took, 99).Microseconds()), "p99-µs")
}

// BenchmarkSearchNameParts: what officers type when they do not have the
// whole name: the first two words (a family and a middle name, thousands
// share them) or the last two, the last cut to two letters.
func BenchmarkSearchNameParts(b *testing.B) {
	f := mustFixture(b)
	s, _ := f.store(b)
	r := rand.New(rand.NewPCG(5, 6))
	var took []time.Duration
	for i := 0; b.Loop(); i++ {
		words := strings.Fields(registry.FoldName(f.recs[r.IntN(len(f.recs))].Get(registry.FieldFullName)))
		q := strings.Join(words[:min(2, len(words))], " ")
		if i%2 == 1 && len(words) >= 2 {
			last := words[len(words)-1]
			q = words[len(words)-2] + " " + last[:min(len(last), 2)]
		}
		start := time.Now()
		if _, err := s.Search(Query{Name: q, Limit: 20}); err != nil {
			b.Fatalf("search for %s: %v", q, err)
		}
		took = append(took, time.Since(start))
	}
	b.ReportMetric(float64(percentile(took, 99).Microseconds()), "p99-µs")
}
