package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/xanode/xanode/certs"
	"github.com/xanode/xanode/sync/api"
	"github.com/xanode/xanode/sync/client"
)

// benchProcs are the server processes one benchmark round started: three
// city nodes of one system on loopback ports, stopped together.
type benchProcs struct {
	procs []*exec.Cmd
	logs  []*os.File
}

// start runs bin with args, its output to logPath.
func (b *benchProcs) start(bin, logPath string, args ...string) error {
	f, err := os.Create(logPath)
	if err != nil {
		return err
	}
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = f, f
	if err := cmd.Start(); err != nil {
		f.Close()
		return fmt.Errorf("starting %s: %w", bin, err)
	}
	b.procs, b.logs = append(b.procs, cmd), append(b.logs, f)
	return nil
}

// stop ends the processes it started: SIGTERM, then SIGKILL after 10 s.
func (b *benchProcs) stop() {
	for _, p := range b.procs {
		p.Process.Signal(syscall.SIGTERM)
	}
	for _, p := range b.procs {
		done := make(chan struct{})
		go func() { p.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			p.Process.Kill()
			<-done
		}
	}
	for _, f := range b.logs {
		f.Close()
	}
	b.procs, b.logs = nil, nil
}

// cpu is the CPU time (user and system) the processes have used so far,
// from /proc (0 where it cannot be read).
func (b *benchProcs) cpu() time.Duration {
	var total time.Duration
	for _, p := range b.procs {
		total += procCPU(p.Process.Pid)
	}
	return total
}

// procCPU reads a process's utime and stime from /proc/PID/stat, in clock
// ticks of 10 ms (USER_HZ is 100 on Linux).
func procCPU(pid int) time.Duration {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	// The command name may hold spaces; the fields after it do not.
	i := strings.LastIndexByte(string(b), ')')
	if i < 0 {
		return 0
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 13 {
		return 0
	}
	var user, sys int64
	fmt.Sscan(f[11], &user)
	fmt.Sscan(f[12], &sys)
	return time.Duration(user+sys) * 10 * time.Millisecond
}

// freeLoopback returns a loopback address no one listens on now.
func freeLoopback() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

func freeLoopbacks(n int) ([]string, error) {
	out := make([]string, n)
	for i := range out {
		a, err := freeLoopback()
		if err != nil {
			return nil, err
		}
		out[i] = a
	}
	return out, nil
}

// benchCity is a three-node xanode city cluster run as `xanode city`
// processes of this binary, with a PKI of its own, for the benchmarks.
type benchCity struct {
	benchProcs
	dir, pki string
	api      []string        // host:port
	pprof    []string        // host:port of each node's profiler; nil without
	admin    []*client.Admin // one per node: status and metrics are a node's own
}

// startBenchCity starts the cluster in dir and waits for a leader with
// three voters. The nodes run bin ("": this binary); withPprof gives
// every node a profiler port; extra flags go to every node.
func startBenchCity(ctx context.Context, dir, bin string, withPprof bool, extra ...string) (*benchCity, error) {
	self := bin
	if self == "" {
		var err error
		if self, err = os.Executable(); err != nil {
			return nil, err
		}
	}
	c := &benchCity{dir: dir, pki: filepath.Join(dir, "pki")}
	p, err := certs.Init(c.pki, certs.InitOptions{CityNodes: certs.DefaultCityNodes})
	if err != nil {
		return nil, err
	}
	raftAddrs, err := freeLoopbacks(3)
	if err != nil {
		return nil, err
	}
	if c.api, err = freeLoopbacks(3); err != nil {
		return nil, err
	}
	for i := range c.api {
		a, err := client.NewAdmin([]string{c.url(i)}, certs.ClientTLS(p.Admin(), p.RootPool()))
		if err != nil {
			return nil, err
		}
		c.admin = append(c.admin, a)
	}
	if withPprof {
		if c.pprof, err = freeLoopbacks(3); err != nil {
			return nil, err
		}
	}
	for i := range 3 {
		id := certs.DefaultCityNodes[i]
		args := []string{"city", "--id", id, "--data", filepath.Join(dir, id), "--raft", raftAddrs[i], "--api", c.api[i], "--pki", c.pki}
		if bin == "" {
			// The benchmark's few clients stand for many offices: no
			// per-edge limit (DESIGN.md, "Trust model"). Another release
			// (--city-bin) may not know the flag; give it in --city-flags.
			args = append(args, "--edge-limit", "0")
		}
		if i == 0 {
			args = append(args, "--bootstrap")
		} else {
			args = append(args, "--join", c.url(0))
		}
		if withPprof {
			args = append(args, "--pprof", c.pprof[i])
		}
		args = append(args, extra...)
		if err := c.start(self, filepath.Join(dir, id+".log"), args...); err != nil {
			c.stop()
			return nil, err
		}
	}
	// A city runs at its release's feature level once every node runs the
	// release (the leader raises it within a second): measure that, not
	// the first second's. A release older than the levels reports none.
	if err := waitUntil(ctx, 60*time.Second, "a xanode leader with three voters, at the release's feature level", func() bool {
		l := c.leader()
		if l < 0 {
			return false
		}
		st, err := c.status(l)
		return err == nil && st.Voters == 3 && st.Level == st.ReleaseLevel
	}); err != nil {
		c.stop()
		return nil, err
	}
	return c, nil
}

func (c *benchCity) url(i int) string { return "https://" + c.api[i] }

// urls lists the API URLs with the leader first, as an edge that reached
// the leader last would try them.
func (c *benchCity) urls() []string {
	l := max(c.leader(), 0)
	out := []string{c.url(l)}
	for i := range c.api {
		if i != l {
			out = append(out, c.url(i))
		}
	}
	return out
}

func (c *benchCity) status(i int) (*api.Status, error) {
	return c.admin[i].Status(context.Background())
}

func (c *benchCity) leader() int {
	for i := range c.api {
		if st, err := c.status(i); err == nil && st.IsLeader {
			return i
		}
	}
	return -1
}

// scrape reads one node's /metrics and returns the values of the series
// named (without labels), summed over their labels.
func (c *benchCity) scrape(i int, names ...string) (map[string]float64, error) {
	b, err := c.admin[i].Metrics(context.Background())
	if err != nil {
		return nil, err
	}
	return parseExposition(string(b), names), nil
}

// parseExposition sums the samples of each named series in Prometheus
// text exposition.
func parseExposition(text string, names []string) map[string]float64 {
	out := map[string]float64{}
	for _, line := range strings.Split(text, "\n") {
		if line == "" || line[0] == '#' {
			continue
		}
		name, rest, ok := strings.Cut(line, " ")
		if i := strings.IndexByte(line, '{'); i >= 0 && i < len(name) {
			name = line[:i]
			_, rest, ok = strings.Cut(line[strings.IndexByte(line, '}'):], " ")
		}
		if !ok {
			continue
		}
		for _, n := range names {
			if n == name {
				var v float64
				if _, err := fmt.Sscan(rest, &v); err == nil {
					out[n] += v
				}
			}
		}
	}
	return out
}

// profileCPU fetches a CPU profile of seconds from a node's profiler into
// path.
func profileCPU(ctx context.Context, addr string, seconds int, path string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, fmt.Sprintf("http://%s/debug/pprof/profile?seconds=%d", addr, seconds), nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("profile from %s: %s", addr, resp.Status)
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, resp.Body); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// waitUntil polls cond every 100 ms until it holds, ctx ends or timeout
// passes.
func waitUntil(ctx context.Context, timeout time.Duration, what string, cond func() bool) error {
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			return fmt.Errorf("timed out after %s waiting for %s", timeout, what)
		}
		select {
		case <-ctx.Done():
			return errors.Join(ctx.Err(), fmt.Errorf("waiting for %s", what))
		case <-time.After(100 * time.Millisecond):
		}
	}
	return nil
}
