package bench

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	gosync "sync"
	"sync/atomic"
	"time"
)

func init() {
	Commands["compare"] = Command{"xanode and rqlite side by side on this machine, alternating rounds: rates, p99 and ratios", benchCompare}
}

// defaultLoads are the push figures of DESIGN.md, "Performance budgets":
// batched, one client's one-change pushes, four clients' one-change pushes.
const defaultLoads = "4x200:100000,1x1:3000,4x1:8000"

// compareFlags are the options of `xanode bench compare`.
type compareFlags struct {
	rqlited    string // path of rqlited; "" to look it up on the PATH
	rounds     int
	loads      []pushLoad
	dir        string // where the clusters' folders go; "" a temporary one
	profile    string // folder for CPU profiles and log timings; "" none
	profileSec int
	people     int
	cityFlags  []string // more flags for every xanode city node
	rqliteTLS  bool     // rqlite with HTTPS, client certificates and mutual TLS between nodes
	cityBin    string   // the xanode binary the city nodes run; "" this one
}

func parseCompareFlags(args []string, out io.Writer) (compareFlags, error) {
	var f compareFlags
	fs := flag.NewFlagSet("bench compare", flag.ContinueOnError)
	fs.SetOutput(out)
	fs.StringVar(&f.rqlited, "rqlited", "", "`path` of rqlited (rqlite v10); empty: rqlited on the PATH")
	fs.IntVar(&f.rounds, "rounds", 3, "rounds; each starts a fresh cluster of each system, the two in alternating order")
	loads := fs.String("loads", defaultLoads, "loads as CLIENTSxBATCH:CHANGES, comma separated")
	fs.StringVar(&f.dir, "dir", "", "folder for the clusters' data (empty: a temporary folder, removed after)")
	fs.StringVar(&f.profile, "profile", "", "instead of comparing: profile xanode under each load once, writing CPU profiles of the leader and a follower and where their time went (timings.txt) to this `folder`")
	fs.IntVar(&f.profileSec, "profile-seconds", 10, "length of each CPU profile; the load goes on pushing until it is taken")
	fs.IntVar(&f.people, "citizens", 1000, "citizens the changes are spread over")
	fs.BoolVar(&f.rqliteTLS, "rqlite-tls", false, "run rqlite with HTTPS, client certificates and mutual TLS between its nodes, as xanode always runs (default: rqlite's plain HTTP and raft)")
	fs.StringVar(&f.cityBin, "city-bin", "", "xanode `binary` the city nodes run (another release, to compare releases through the same harness); empty: this one")
	cityFlags := fs.String("city-flags", "", "more flags for every xanode city node, space separated (e.g. --no-group-commit)")
	if err := fs.Parse(args); err != nil {
		return f, ErrUsage
	}
	f.cityFlags = strings.Fields(*cityFlags)
	var err error
	if f.loads, err = parseLoads(*loads); err != nil {
		fmt.Fprintf(out, "bench compare: --loads: %v\n", err)
		return f, ErrUsage
	}
	if f.rounds < 1 || f.profileSec < 1 || f.people < 1 || fs.NArg() > 0 {
		fmt.Fprintln(out, "usage: xanode bench compare [--rqlited PATH] [--rounds 3] [--loads "+defaultLoads+"] [--dir DIR] [--profile DIR]")
		return f, ErrUsage
	}
	return f, nil
}

// parseLoads reads "4x200:100000,1x1:3000": clients × batch : changes.
func parseLoads(s string) ([]pushLoad, error) {
	var out []pushLoad
	for _, part := range strings.Split(s, ",") {
		shape, changes, ok := strings.Cut(strings.TrimSpace(part), ":")
		clients, batch, ok2 := strings.Cut(shape, "x")
		if !ok || !ok2 {
			return nil, fmt.Errorf("%q is not CLIENTSxBATCH:CHANGES", part)
		}
		var l pushLoad
		for _, v := range []struct {
			s string
			p *int
		}{{clients, &l.Clients}, {batch, &l.Batch}, {changes, &l.Changes}} {
			n, err := strconv.Atoi(v.s)
			if err != nil || n < 1 {
				return nil, fmt.Errorf("%q: %q is not a positive number", part, v.s)
			}
			*v.p = n
		}
		if l.Changes < l.Clients {
			return nil, fmt.Errorf("%q: fewer changes than clients", part)
		}
		out = append(out, l)
	}
	return out, nil
}

// findRqlited is the rqlited to run, or a message saying why there is none.
func findRqlited(flagPath string) (string, string) {
	if flagPath != "" {
		if fi, err := os.Stat(flagPath); err != nil || fi.IsDir() {
			return "", fmt.Sprintf("bench compare: skipped: --rqlited %s is not a file", flagPath)
		}
		return flagPath, ""
	}
	p, err := exec.LookPath("rqlited")
	if err != nil {
		return "", "bench compare: skipped: rqlited is not on the PATH; build rqlite v10 (go install ./cmd/rqlited in its source) and put it on the PATH or give --rqlited PATH"
	}
	return p, ""
}

// figures are one system's results of one load over the rounds.
type figures []loadResult

func (f figures) medianRate() float64 {
	return median(f, func(r loadResult) float64 { return r.Rate() })
}

func (f figures) medianP99() time.Duration {
	return time.Duration(median(f, func(r loadResult) float64 { return float64(r.Pct(0.99)) }))
}

// medianCPU is the median server CPU per change, in µs.
func (f figures) medianCPU() float64 {
	return median(f, func(r loadResult) float64 { return float64(r.CPUPerChange().Nanoseconds()) / 1e3 })
}

func median[T any](xs []T, val func(T) float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	v := make([]float64, len(xs))
	for i, x := range xs {
		v[i] = val(x)
	}
	slices.Sort(v)
	if len(v)%2 == 1 {
		return v[len(v)/2]
	}
	return (v[len(v)/2-1] + v[len(v)/2]) / 2
}

// ratio is a/b, 0 when b is.
func ratio(a, b float64) float64 {
	if b == 0 {
		return 0
	}
	return a / b
}

func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}

func benchCompare(ctx context.Context, args []string) error {
	f, err := parseCompareFlags(args, os.Stderr)
	if err != nil {
		return err
	}
	if f.profile != "" {
		return profileXanode(ctx, f)
	}
	bin, skip := findRqlited(f.rqlited)
	if skip != "" {
		fmt.Println(skip)
		return nil
	}
	dir := f.dir
	if dir == "" {
		if dir, err = os.MkdirTemp("", "xanode-compare-"); err != nil {
			return err
		}
		defer os.RemoveAll(dir)
	}
	rqMode := "plain HTTP and raft"
	if f.rqliteTLS {
		rqMode = "HTTPS with client certificates, mutual TLS raft"
	}
	fmt.Printf("xanode against %s (%s), %d rounds, load average at start %s\n", bin, rqMode, f.rounds, loadAverage())
	c := &comparison{f: f, bin: bin, xan: make([]figures, len(f.loads)), rq: make([]figures, len(f.loads))}
	for round := range f.rounds {
		rdir := filepath.Join(dir, fmt.Sprintf("round-%d", round+1))
		if err := c.round(ctx, rdir, round); err != nil {
			if ctx.Err() != nil {
				return err
			}
			// Both systems or neither: a ratio needs the two.
			fmt.Printf("  round %d left out: %v\n", round+1, err)
			c.drop()
		}
		if f.dir == "" {
			os.RemoveAll(rdir)
		}
	}
	if len(c.xan[0]) == 0 {
		return errors.New("bench compare: no round completed")
	}
	c.printMedians()
	return nil
}

// drop forgets the results of a round that did not complete for both.
func (c *comparison) drop() {
	n := min(len(c.xan[0]), len(c.rq[0]))
	for i := range c.xan {
		c.xan[i], c.rq[i] = c.xan[i][:n], c.rq[i][:n]
	}
}

// comparison holds each system's results, per load, over the rounds.
type comparison struct {
	f       compareFlags
	bin     string
	xan, rq []figures
}

// round runs both systems on fresh clusters, xanode first in even rounds
// and rqlite first in odd ones. A system whose run fails (leadership lost
// on a loaded machine) is run once more on another fresh cluster.
func (c *comparison) round(ctx context.Context, dir string, round int) error {
	run := func(name string, into []figures, once func(dir string) ([]loadResult, error)) error {
		res, err := once(filepath.Join(dir, name))
		if err != nil {
			fmt.Printf("  %s: %v; once more on a fresh cluster\n", name, err)
			res, err = once(filepath.Join(dir, name+"-again"))
		}
		if err != nil {
			return err
		}
		for i, r := range res {
			into[i] = append(into[i], r)
		}
		return nil
	}
	runX := func() error {
		return run("xanode", c.xan, func(d string) ([]loadResult, error) { return compareXanode(ctx, d, c.f, false) })
	}
	runR := func() error {
		return run("rqlite", c.rq, func(d string) ([]loadResult, error) { return compareRqlite(ctx, c.bin, d, c.f) })
	}
	order, first := []func() error{runX, runR}, "xanode"
	if round%2 == 1 {
		order, first = []func() error{runR, runX}, "rqlite"
	}
	fmt.Printf("round %d (%s first), load average %s\n", round+1, first, loadAverage())
	for _, r := range order {
		if err := r(); err != nil {
			return err
		}
	}
	for i, l := range c.f.loads {
		x, r := c.xan[i][len(c.xan[i])-1], c.rq[i][len(c.rq[i])-1]
		fmt.Printf("  %-6s xanode %8.0f/s p99 %-9s %5.0f µs CPU/change   rqlite %8.0f/s p99 %-9s %5.0f µs CPU/change   ratio %.2f\n", l,
			x.Rate(), x.Pct(0.99).Round(10*time.Microsecond), float64(x.CPUPerChange().Nanoseconds())/1e3,
			r.Rate(), r.Pct(0.99).Round(10*time.Microsecond), float64(r.CPUPerChange().Nanoseconds())/1e3, ratio(x.Rate(), r.Rate()))
	}
	return nil
}

func (c *comparison) printMedians() {
	fmt.Printf("medians over %d rounds (load average at end %s):\n", len(c.xan[0]), loadAverage())
	fmt.Printf("  %-6s %10s %10s %9s %10s %10s %9s %7s %9s\n", "load", "xanode/s", "p99", "µs CPU/ch", "rqlite/s", "p99", "µs CPU/ch", "ratio", "CPU ratio")
	for i, l := range c.f.loads {
		x, r := c.xan[i], c.rq[i]
		xc, rc := x.medianCPU(), r.medianCPU()
		fmt.Printf("  %-6s %10.0f %10s %9.0f %10.0f %10s %9.0f %7.2f %9.2f\n", l,
			x.medianRate(), x.medianP99().Round(10*time.Microsecond), xc,
			r.medianRate(), r.medianP99().Round(10*time.Microsecond), rc,
			ratio(x.medianRate(), r.medianRate()), ratio(rc, xc))
	}
	fmt.Println("  (ratio: xanode's rate over rqlite's; CPU ratio: rqlite's server CPU per change over xanode's, all three nodes together)")
}

// profileXanode runs each load once on a fresh xanode cluster with
// profiles taken (--profile): it needs no rqlited and compares nothing.
func profileXanode(ctx context.Context, f compareFlags) error {
	if err := os.MkdirAll(f.profile, 0o755); err != nil {
		return err
	}
	dir := f.dir
	if dir == "" {
		var err error
		if dir, err = os.MkdirTemp("", "xanode-profile-"); err != nil {
			return err
		}
		defer os.RemoveAll(dir)
	}
	fmt.Printf("profiling xanode under each load, load average at start %s\n", loadAverage())
	res, err := compareXanode(ctx, dir, f, true)
	for i, r := range res {
		fmt.Printf("  %-6s xanode %8.0f/s p50 %-9s p99 %s\n", f.loads[i], r.Rate(), r.Pct(0.5).Round(10*time.Microsecond), r.Pct(0.99).Round(10*time.Microsecond))
	}
	if err == nil {
		fmt.Printf("profiles and %s in %s (go tool pprof -top FILE)\n", "timings.txt", f.profile)
	}
	return err
}

// compareXanode runs every load on a fresh xanode cluster. With profile,
// each load is also profiled (see profileLoad).
func compareXanode(ctx context.Context, dir string, f compareFlags, profile bool) ([]loadResult, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	c, err := startBenchCity(ctx, dir, f.cityBin, profile, f.cityFlags...)
	if err != nil {
		return nil, fmt.Errorf("xanode cluster: %w", err)
	}
	defer c.stop()
	urls := c.urls()
	if _, err := benchSetup(ctx, urls[0], c.pki, f.people, 1); err != nil {
		return nil, fmt.Errorf("xanode setup: %w", err)
	}
	var out []loadResult
	for i, l := range f.loads {
		run := fmt.Sprintf("cmp%d-%d", time.Now().UnixNano()%1e6, i)
		var res loadResult
		cpu0 := c.cpu()
		if profile {
			res, err = profileLoad(ctx, c, urls, f, run, l)
		} else {
			res, err = runPushLoad(ctx, urls, c.pki, run, l, f.people, nil)
		}
		res.CPU = c.cpu() - cpu0
		if err != nil {
			return out, fmt.Errorf("xanode load %s: %w (logs in %s)", l, err, dir)
		}
		out = append(out, res)
	}
	return out, nil
}

func compareRqlite(ctx context.Context, bin, dir string, f compareFlags) ([]loadResult, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	c, err := startRqlite(ctx, bin, dir, f.rqliteTLS)
	if err != nil {
		return nil, fmt.Errorf("rqlite cluster: %w", err)
	}
	defer c.stop()
	var out []loadResult
	for i, l := range f.loads {
		cpu0 := c.cpu()
		res, err := c.runLoad(ctx, fmt.Sprintf("cmp-%d", i), l, f.people)
		res.CPU = c.cpu() - cpu0
		if err != nil {
			return out, fmt.Errorf("rqlite load %s: %w (logs in %s)", l, err, dir)
		}
		out = append(out, res)
	}
	return out, nil
}

// timingSeries are the series that say where a commit's time went on a
// node (sync/cluster's observer and the API's commit latency).
var timingSeries = []string{
	"xanode_raft_log_write_seconds_sum", "xanode_raft_log_write_seconds_count", "xanode_raft_log_entries_total",
	"xanode_fsm_apply_seconds_sum", "xanode_fsm_apply_seconds_count", "xanode_fsm_entries_total",
	"xanode_raft_apply_seconds_sum", "xanode_raft_apply_seconds_count",
	"xanode_fsm_commit_seconds_sum", "xanode_fsm_commit_seconds_count",
	"process_cpu_seconds_total", "xanode_raft_pushes_total", "xanode_raft_push_entries_total",
}

// profileLoad runs a load while CPU profiles of the leader and a follower
// are taken (the load goes on until both are), and writes where each
// node's time went: log writes (fsync included), FSM batches, commits and
// CPU, from the differences of their series over the load.
func profileLoad(ctx context.Context, c *benchCity, urls []string, f compareFlags, run string, l pushLoad) (loadResult, error) {
	leader := c.leader()
	follower := (leader + 1) % 3
	nodes := []struct {
		name string
		i    int
	}{{"leader", leader}, {"follower", follower}}
	before := make([]map[string]float64, len(nodes))
	for k, n := range nodes {
		m, err := c.scrape(n.i, timingSeries...)
		if err != nil {
			return loadResult{}, err
		}
		before[k] = m
	}
	var done atomic.Bool
	var wg gosync.WaitGroup
	errs := make([]error, len(nodes))
	for k, n := range nodes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[k] = profileCPU(ctx, c.pprof[n.i], f.profileSec, filepath.Join(f.profile, fmt.Sprintf("%s-%s.pprof", strings.ReplaceAll(l.String(), "×", "x"), n.name)))
		}()
	}
	go func() { wg.Wait(); done.Store(true) }()
	// The clients (this process) are profiled too: they share the
	// machine with the nodes.
	clients, err := os.Create(filepath.Join(f.profile, fmt.Sprintf("%s-clients.pprof", strings.ReplaceAll(l.String(), "×", "x"))))
	if err != nil {
		return loadResult{}, err
	}
	defer clients.Close()
	if err := pprof.StartCPUProfile(clients); err != nil {
		return loadResult{}, err
	}
	res, err := runPushLoad(ctx, urls, c.pki, run, l, f.people, func() bool { return !done.Load() })
	pprof.StopCPUProfile()
	wg.Wait()
	if err = errors.Join(append(errs, err)...); err != nil {
		return res, err
	}
	report, err := os.OpenFile(filepath.Join(f.profile, "timings.txt"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		return res, err
	}
	defer report.Close()
	fmt.Fprintf(report, "load %s: %d changes in %s, %.0f/s, %d pushes, p50 %s p99 %s (load average %s)\n", l, res.Changes,
		res.Took.Round(time.Millisecond), res.Rate(), len(res.Lat), res.Pct(0.5).Round(time.Microsecond), res.Pct(0.99).Round(time.Microsecond), loadAverage())
	for k, n := range nodes {
		after, err := c.scrape(n.i, timingSeries...)
		if err != nil {
			return res, err
		}
		d := func(s string) float64 { return after[s] - before[k][s] }
		per := func(sum, count string) string {
			if d(count) == 0 {
				return "-"
			}
			return (time.Duration(d(sum) / d(count) * float64(time.Second))).Round(time.Microsecond).String()
		}
		fmt.Fprintf(report, "  %-8s log writes %6.0f (mean %s, %.1f entries each, %.0f%% of wall time)  FSM batches %6.0f (mean %s, %.1f entries each; %.0f state commits, mean %s)  commits %6.0f (mean %s, %.1f pushes an entry)  CPU %.0f%% of a core\n",
			n.name, d("xanode_raft_log_write_seconds_count"), per("xanode_raft_log_write_seconds_sum", "xanode_raft_log_write_seconds_count"),
			ratio(d("xanode_raft_log_entries_total"), d("xanode_raft_log_write_seconds_count")), 100*d("xanode_raft_log_write_seconds_sum")/res.Took.Seconds(),
			d("xanode_fsm_apply_seconds_count"), per("xanode_fsm_apply_seconds_sum", "xanode_fsm_apply_seconds_count"),
			ratio(d("xanode_fsm_entries_total"), d("xanode_fsm_apply_seconds_count")),
			d("xanode_fsm_commit_seconds_count"), per("xanode_fsm_commit_seconds_sum", "xanode_fsm_commit_seconds_count"),
			d("xanode_raft_apply_seconds_count"), per("xanode_raft_apply_seconds_sum", "xanode_raft_apply_seconds_count"),
			ratio(d("xanode_raft_pushes_total"), d("xanode_raft_push_entries_total")),
			100*d("process_cpu_seconds_total")/res.Took.Seconds())
	}
	return res, nil
}
