package bench

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/xanode/xanode/certs"
	"github.com/xanode/xanode/node/edge"
	"github.com/xanode/xanode/node/gen"
	"github.com/xanode/xanode/node/registry"
	"github.com/xanode/xanode/sync/bundle"
	"github.com/xanode/xanode/sync/digest"
)

func init() {
	Commands["bundle"] = Command{"signed subset bundles: size, build, verify + import, delta size and apply", benchBundle}
	Commands["lookup"] = Command{"edge store lookups by ID and name searches (encrypted at rest): p50/p99", benchLookup}
}

// edgeBenchCommune is the commune the edge benchmarks generate.
const edgeBenchCommune = "92101"

// edgeBench is a generated commune of the given size in a fresh edge
// store, with a dev PKI to sign its bundles; everything lives in dir.
type edgeBench struct {
	pki   *certs.PKI
	recs  []*registry.Citizen // sorted by ID
	full  []byte
	store *edge.Store
	im    *edge.Importer
	// format of the bundles built; 0 is Build's default
	format uint8
}

func benchFlags(name string, args []string, extra func(*flag.FlagSet)) (citizens int, seed int64, dir string, err error) {
	fs := flag.NewFlagSet("bench "+name, flag.ContinueOnError)
	fs.IntVar(&citizens, "citizens", 100_000, "residents of the generated commune")
	fs.Int64Var(&seed, "seed", 1, "generator seed")
	fs.StringVar(&dir, "dir", "", "folder for the store and the dev PKI (default: a temporary folder, removed after)")
	extra(fs)
	if err := fs.Parse(args); err != nil || citizens < 1 {
		return 0, 0, "", ErrUsage
	}
	return citizens, seed, dir, nil
}

// newBenchCommune generates the commune and builds its full bundle; the
// caller imports it.
func newBenchCommune(dir string, citizens int, seed int64) (*edgeBench, func(), error) {
	cleanup := func() {}
	if dir == "" {
		tmp, err := os.MkdirTemp("", "xanode-bench-")
		if err != nil {
			return nil, nil, err
		}
		dir, cleanup = tmp, func() { os.RemoveAll(tmp) }
	}
	p, err := certs.Init(filepath.Join(dir, "pki"), certs.InitOptions{})
	if err != nil {
		cleanup()
		return nil, nil, err
	}
	recs, err := gen.Citizens(gen.Options{Commune: edgeBenchCommune, Citizens: citizens, Seed: seed})
	if err != nil {
		cleanup()
		return nil, nil, err
	}
	slices.SortFunc(recs, func(a, b *registry.Citizen) int { return strings.Compare(a.ID, b.ID) })
	store, err := edge.OpenStore(filepath.Join(dir, "edge.db"))
	if err != nil {
		cleanup()
		return nil, nil, err
	}
	bc := &edgeBench{pki: p, recs: recs, store: store,
		im: &edge.Importer{Store: store, Commune: edgeBenchCommune, Roots: p.RootPool(), Now: time.Now}}
	return bc, func() { store.Close(); cleanup() }, nil
}

func (bc *edgeBench) build(h bundle.Header, up []*registry.Citizen, rm []string) ([]byte, error) {
	key, cert := bc.pki.DataSigner()
	var buf bytes.Buffer
	var err error
	h.Format = bc.format
	if h.Kind == bundle.KindFull {
		_, err = bundle.Build(&buf, h, slices.Values(up), key, cert)
	} else {
		_, err = bundle.BuildDelta(&buf, h, up, rm, key, cert)
	}
	return buf.Bytes(), err
}

func benchBundle(ctx context.Context, args []string) error {
	changes, compare, format := 0, true, 0
	citizens, seed, dir, err := benchFlags("bundle", args, func(fs *flag.FlagSet) {
		fs.IntVar(&changes, "changes", 1000, "changes in the delta")
		fs.IntVar(&format, "format", bundle.FormatColumns, "bundle format to build: 3 (columns) or 2 (rows, what edges before format 3 read)")
		fs.BoolVar(&compare, "compare", true, "also compress the plain JSON Lines export with gzip -9, xz -9 and zstd -19 (a minute or two)")
	})
	if err != nil || changes < 1 || changes > citizens || format != bundle.FormatColumns && format != bundle.FormatRows {
		fmt.Fprintln(os.Stderr, "usage: xanode bench bundle [--citizens N] [--changes N] [--seed S] [--dir DIR] [--format 3|2] [--compare=false]")
		return ErrUsage
	}
	bc, done, err := newBenchCommune(dir, citizens, seed)
	if err != nil {
		return err
	}
	defer done()
	bc.format = uint8(format)
	n := float64(citizens)
	runtime.GC() // the generator's garbage is not the build's
	start, cpu := time.Now(), cpuTime()
	bc.full, err = bc.build(bundle.Header{Kind: bundle.KindFull, Commune: edgeBenchCommune, To: 10, Created: time.Now()}, bc.recs, nil)
	if err != nil {
		return err
	}
	build, buildCPU := time.Since(start), cpuTime()-cpu
	fmt.Printf("full bundle, %d records: %.2f MB, %.1f bytes/record (budget ≤ 80, goal ≤ 40)\n", citizens, float64(len(bc.full))/1e6, float64(len(bc.full))/n)
	fmt.Printf("build:                   %s%s (budget ≤ 2 s)\n", build.Round(time.Millisecond), cpuNote(buildCPU))
	runtime.GC()
	start, cpu = time.Now(), cpuTime()
	if _, err := bc.im.Import(ctx, bc.full); err != nil {
		return err
	}
	fmt.Printf("verify + import:         %s%s (budget ≤ 3 s)\n", time.Since(start).Round(time.Millisecond), cpuNote(cpuTime()-cpu))

	// Five deltas in a row, each from the subset the last one left. The
	// garbage this benchmark made building them is collected before each
	// is applied, as an edge's would have been long before a pull.
	var took []time.Duration
	size, base := 0, bc.recs
	for v := uint64(10); v < 15; v++ {
		up, rm, after := benchChanges(base, changes, v)
		var d digest.Hash
		for _, c := range after {
			d.Add([]byte(c.ID), registry.AppendCitizen(nil, c, false))
		}
		delta, err := bc.build(bundle.Header{Kind: bundle.KindDelta, Commune: edgeBenchCommune, From: v, To: v + 1, Digest: d.Sum(), Created: time.Now()}, up, rm)
		if err != nil {
			return err
		}
		size = max(size, len(delta))
		runtime.GC()
		start = time.Now()
		if _, err := bc.im.Import(ctx, delta); err != nil {
			return err
		}
		took = append(took, time.Since(start))
		base = after
	}
	slices.Sort(took)
	fmt.Printf("delta of %d changes:   %.1f KB at most of 5, %.1f bytes/change (budget ≤ 150 KB for 1,000)\n",
		changes, float64(size)/1e3, float64(size)/float64(changes))
	fmt.Printf("delta verify + apply:    median %s, slowest %s of 5 (budget ≤ 200 ms for 1,000)\n",
		took[2].Round(100*time.Microsecond), took[4].Round(100*time.Microsecond))
	if !compare {
		return nil
	}
	return exportSizes(ctx, gen.Options{Commune: edgeBenchCommune, Citizens: citizens, Seed: seed}, len(bc.full))
}

// cpuNote adds the CPU time, on both cores, to a wall-clock time: on a
// machine other work shares, it shows what the wall clock measured of
// this benchmark.
func cpuNote(cpu time.Duration) string {
	if cpu <= 0 {
		return ""
	}
	return fmt.Sprintf(", %s of CPU", cpu.Round(time.Millisecond))
}

// benchChanges makes n changes to recs: a twentieth of them newcomers, a
// twentieth removals, the rest new current addresses; round varies them.
// It returns the delta's upserts and removals and the subset after them.
func benchChanges(recs []*registry.Citizen, n int, round uint64) (up []*registry.Citizen, rm []string, after []*registry.Citizen) {
	r := rand.New(rand.NewPCG(round, 42))
	newcomers, removals := n/20, n/20
	picked := map[int]bool{}
	for len(picked) < n-newcomers {
		picked[r.IntN(len(recs))] = true
	}
	for i, c := range recs {
		switch {
		case !picked[i]:
			after = append(after, c)
		case len(rm) < removals:
			rm = append(rm, c.ID)
		default:
			moved := *c
			moved.Values[registry.FieldCurrentAddress] = fmt.Sprintf("Số %d đường 3 tháng 2, phường Xuân Khánh", 1+r.IntN(300))
			up = append(up, &moved)
			after = append(after, &moved)
		}
	}
	for i := range newcomers {
		born := *recs[i]
		born.ID = registry.MakeID("092", 2026, i%2 == 0, 999999-int(round)*n-i)
		up = append(up, &born)
		after = append(after, &born)
	}
	slices.SortFunc(up, func(a, b *registry.Citizen) int { return strings.Compare(a.ID, b.ID) })
	return up, rm, after
}

func benchLookup(ctx context.Context, args []string) error {
	lookups, searches := 0, 0
	citizens, seed, dir, err := benchFlags("lookup", args, func(fs *flag.FlagSet) {
		fs.IntVar(&lookups, "lookups", 20000, "lookups by ID")
		fs.IntVar(&searches, "searches", 2000, "name searches (half with the date of birth)")
	})
	if err != nil || lookups < 1 || searches < 1 {
		fmt.Fprintln(os.Stderr, "usage: xanode bench lookup [--citizens N] [--lookups N] [--searches N] [--seed S] [--dir DIR]")
		return ErrUsage
	}
	bc, done, err := newBenchCommune(dir, citizens, seed)
	if err != nil {
		return err
	}
	defer done()
	if bc.full, err = bc.build(bundle.Header{Kind: bundle.KindFull, Commune: edgeBenchCommune, To: 10, Created: time.Now()}, bc.recs, nil); err != nil {
		return err
	}
	if _, err := bc.im.Import(ctx, bc.full); err != nil {
		return err
	}
	runtime.GC() // the import's garbage, long gone on a serving edge
	r := rand.New(rand.NewPCG(uint64(seed), 7))
	took := make([]time.Duration, lookups)
	for i := range took {
		id := bc.recs[r.IntN(len(bc.recs))].ID
		start := time.Now()
		if _, err := bc.store.Citizen(id); err != nil {
			return fmt.Errorf("lookup %s: %w", id, err)
		}
		took[i] = time.Since(start)
	}
	printLatency(fmt.Sprintf("lookup by ID (%d):", lookups), took, "100µs")
	took = make([]time.Duration, searches)
	cpu := make([]time.Duration, searches)
	for i := range took {
		c := bc.recs[r.IntN(len(bc.recs))]
		birth := c.BirthDate()
		if i%2 == 1 {
			birth = registry.Date{}
		}
		start := time.Now()
		var found edge.Result
		cpu[i], err = threadCPU(func() (err error) {
			found, err = bc.store.Search(edge.Query{Name: c.Get(registry.FieldFullName), Birth: birth, Limit: 20})
			return err
		})
		if err != nil || found.Total == 0 {
			return fmt.Errorf("search for %s: %d found, %v", c.Get(registry.FieldFullName), found.Total, err)
		}
		took[i] = time.Since(start)
	}
	printLatency(fmt.Sprintf("name search (%d):", searches), took, "10ms")
	printLatency("  … its CPU time:", cpu, "10ms")
	// Parts of names, as officers type them: the first two words of a name
	// (a family and a middle name, thousands share them), and its last two
	// words cut to a prefix.
	took = make([]time.Duration, searches)
	for i := range took {
		words := strings.Fields(registry.FoldName(bc.recs[r.IntN(len(bc.recs))].Get(registry.FieldFullName)))
		q := strings.Join(words[:min(2, len(words))], " ")
		if i%2 == 1 && len(words) >= 2 {
			last := words[len(words)-1]
			q = words[len(words)-2] + " " + last[:min(len(last), 2)]
		}
		start := time.Now()
		cpu[i], err = threadCPU(func() error {
			_, err := bc.store.Search(edge.Query{Name: q, Limit: 20})
			return err
		})
		if err != nil {
			return fmt.Errorf("search for %s: %v", q, err)
		}
		took[i] = time.Since(start)
	}
	printLatency(fmt.Sprintf("name parts (%d):", searches), took, "10ms")
	printLatency("  … its CPU time:", cpu, "10ms")
	return nil
}

func printLatency(what string, took []time.Duration, budget string) {
	slices.Sort(took)
	pct := func(p float64) time.Duration { return took[min(len(took)-1, int(p*float64(len(took))))] }
	round := func(d time.Duration) time.Duration { return d.Round(time.Microsecond) }
	fmt.Printf("%-24s p50 %s  p90 %s  p99 %s  max %s (budget p99 ≤ %s)\n", what,
		round(pct(0.5)), round(pct(0.9)), round(pct(0.99)), round(took[len(took)-1]), budget)
}
