package bench

import (
	"context"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"runtime"
	"runtime/pprof"
	"slices"
	"time"

	"github.com/xanode/xanode/node/gen"
	"github.com/xanode/xanode/node/quality"
	"github.com/xanode/xanode/node/registry"
)

func init() {
	Commands["quality"] = Command{"data-quality rules over a population with known defects: recall, precision, time", benchQuality}
}

// benchQuality measures the data-quality rules (DESIGN.md, "Data
// quality"): it generates a population with known defects of every kind
// (or reads one made by `xanode gen --defects`), runs every rule over it
// once, and compares the findings with the truth, rule by rule; then it
// re-checks random citizens as the city does for each change.
func benchQuality(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("bench quality", flag.ContinueOnError)
	citizens := fs.Int("citizens", 100_000, "citizens to generate")
	perRule := fs.Int("defects", 100, "defects of each rule's kind to inject")
	seed := fs.Int64("seed", 1, "generator seed")
	commune := fs.String("commune", "92101", "commune to generate")
	in := fs.String("in", "", "read the population from this `file` (xanode gen --defects) instead of generating")
	truthFile := fs.String("truth", "", "the truth `file` written with --in's population")
	rechecks := fs.Int("recheck", 2000, "random citizens to re-check one at a time (the incremental cost of a change)")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the full pass (or, with --fsm, of the state machine's part) to this `file`")
	fsmCitizens := fs.Int("fsm", 0, "also load this many citizens into the city's state machine, with the rules on and off, and time changes through it")
	fsmChanges := fs.Int("fsm-changes", 2000, "with --fsm: corrections to apply, one entry each")
	if err := fs.Parse(args); err != nil || fs.NArg() > 0 || (*in == "") != (*truthFile == "") {
		fmt.Fprintln(os.Stderr, "usage: xanode bench quality [--citizens N --defects N --seed S --commune C | --in FILE --truth FILE] [--recheck N] [--fsm N [--fsm-changes N]]")
		return ErrUsage
	}
	k, err := quality.NewChecker(quality.DefaultConfig())
	if err != nil {
		return err
	}
	p := quality.NewPopulation(k)
	start := time.Now()
	var truth *gen.Truth
	if *in != "" {
		truth, err = loadTruthPopulation(p, *in, *truthFile)
	} else {
		truth, err = gen.GenerateWithDefects(gen.Options{Commune: *commune, Citizens: *citizens, Seed: *seed}, *perRule, p.Add)
	}
	if err != nil {
		return err
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	for _, r := range truth.Reads {
		p.Confirm(r.Citizen, r.Date)
		p.AddRead(quality.Read{Citizen: r.Citizen, Assurance: r.Assurance, Fields: r.Fields})
	}
	loaded := time.Since(start)
	if *cpuProfile != "" && *fsmCitizens == 0 {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
	}
	start, cpu := time.Now(), cpuSeconds()
	p.Seal()
	findings := p.Check(truth.AsOf)
	took, cpuTook := time.Since(start), cpuSeconds()-cpu
	pprof.StopCPUProfile()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	fmt.Printf("population: %d citizens, %d defects, %d reads, as of %s; loaded in %s\n",
		p.Len(), len(truth.Defects), len(truth.Reads), truth.AsOf, loaded.Round(time.Millisecond))
	fmt.Printf("full pass: %s wall, %.1f s CPU (%.1f µs per citizen; %.1f s per million), %d findings; heap %d MB\n",
		took.Round(time.Millisecond), cpuTook, float64(took.Microseconds())/float64(p.Len()),
		took.Seconds()*1e6/float64(p.Len()), len(findings), ms.HeapAlloc>>20)
	ok := printScores(findings, truth)
	if took.Seconds()*1e6/float64(p.Len()) > 60 {
		fmt.Println("budget NOT met: the full pass would take more than 60 s per million citizens")
		ok = false
	}
	if *rechecks > 0 {
		benchRecheck(p, truth.AsOf, *rechecks, *seed)
	}
	if *fsmCitizens > 0 {
		if *cpuProfile != "" {
			f, err := os.Create(*cpuProfile)
			if err != nil {
				return err
			}
			defer f.Close()
			pprof.StartCPUProfile(f)
			defer pprof.StopCPUProfile()
		}
		if err := benchQualityFSM(*fsmCitizens, *fsmChanges, *seed); err != nil {
			return err
		}
	}
	if !ok {
		return fmt.Errorf("bench quality: a budget was not met")
	}
	return nil
}

// loadTruthPopulation reads a population file and its truth file.
func loadTruthPopulation(p *quality.Population, popFile, truthFile string) (*gen.Truth, error) {
	f, err := os.Open(truthFile)
	if err != nil {
		return nil, err
	}
	truth, err := gen.ReadTruth(f)
	f.Close()
	if err != nil {
		return nil, err
	}
	pf, err := os.Open(popFile)
	if err != nil {
		return nil, err
	}
	defer pf.Close()
	return truth, gen.ReadJSONL(pf, p.Add)
}

// printScores compares findings with the truth, rule by rule, and reports
// whether the budgets of DESIGN.md, "Data quality" are met: recall ≥ 0.99
// on every exact rule, recall and precision ≥ 0.95 on duplicates.
func printScores(findings []quality.Finding, truth *gen.Truth) bool {
	want := map[string]quality.Rule{}
	for _, d := range truth.Defects {
		want[d.Key()] = d.Rule
	}
	type score struct{ truth, found, tp int }
	scores := map[quality.Rule]*score{}
	for _, r := range quality.Rules() {
		scores[r.Rule] = &score{}
	}
	for _, r := range want {
		scores[r].truth++
	}
	for _, f := range findings {
		s := scores[f.Rule]
		s.found++
		if _, ok := want[f.Key()]; ok {
			s.tp++
		}
	}
	ok := true
	fmt.Printf("%-18s %6s %6s %6s %6s %6s  %-9s %-9s\n", "rule", "truth", "found", "tp", "fp", "fn", "recall", "precision")
	for _, info := range quality.Rules() {
		s := scores[info.Rule]
		recall, precision := share(s.tp, s.truth), share(s.tp, s.found)
		mark := ""
		switch {
		case s.truth == 0:
			mark = "  (no defects of this kind)"
		case info.Exact && recall < 0.99:
			mark, ok = "  recall below 0.99", false
		case !info.Exact && (recall < 0.95 || precision < 0.95):
			mark, ok = "  below 0.95", false
		}
		fmt.Printf("%-18s %6d %6d %6d %6d %6d  %-9.4f %-9.4f%s\n", info.Rule, s.truth, s.found, s.tp, s.found-s.tp, s.truth-s.tp,
			recall, precision, mark)
	}
	return ok
}

// share is a/b as a recall or precision: 1 when there was nothing to find.
func share(a, b int) float64 {
	if b == 0 {
		return 1
	}
	return float64(a) / float64(b)
}

// benchRecheck re-checks n random citizens one at a time, as the city
// does for the citizen a change touches: its record rules, its children's,
// its household and its duplicate candidates.
func benchRecheck(p *quality.Population, asOf registry.Date, n int, seed int64) {
	ids := p.IDs()
	r := rand.New(rand.NewPCG(uint64(seed), 7))
	took := make([]time.Duration, n)
	for i := range took {
		id := ids[r.IntN(len(ids))]
		start := time.Now()
		p.Recheck([]string{id}, asOf)
		took[i] = time.Since(start)
	}
	slices.Sort(took)
	var sum time.Duration
	for _, d := range took {
		sum += d
	}
	fmt.Printf("incremental: %d single-citizen re-checks, mean %.1f µs, p50 %.1f µs, p99 %.1f µs\n", n,
		float64(sum.Microseconds())/float64(n), us(took[n/2]), us(took[n*99/100]))
}

func us(d time.Duration) float64 { return float64(d.Nanoseconds()) / 1e3 }
