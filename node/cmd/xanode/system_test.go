package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/xanode/xanode/certs"
	"github.com/xanode/xanode/node"
	"github.com/xanode/xanode/node/edge"
	"github.com/xanode/xanode/node/registry"
	"github.com/xanode/xanode/sync/wire"
)

// System tests: they build the xanode binary once and run it as separate
// processes on loopback ports, as an operator would.

var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "xanode-bin-")
	if err != nil {
		panic(err)
	}
	binary = filepath.Join(dir, "xanode")
	out, err := exec.Command("go", "build", "-o", binary, ".").CombinedOutput()
	if err != nil {
		fmt.Fprintf(os.Stderr, "building xanode: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// proc is a running xanode process whose output is kept for the test log.
type proc struct {
	name string
	cmd  *exec.Cmd
	out  *syncBuffer
	done chan struct{}
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func start(t *testing.T, name string, args ...string) *proc {
	t.Helper()
	p := &proc{name: name, cmd: exec.Command(binary, args...), out: &syncBuffer{}, done: make(chan struct{})}
	p.cmd.Stdout, p.cmd.Stderr = p.out, p.out
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.cmd.Wait(); close(p.done) }()
	t.Cleanup(func() {
		p.stop(t)
		if t.Failed() {
			t.Logf("--- output of %s:\n%s", name, tail(p.out.String(), 4000))
		}
	})
	return p
}

// stop sends SIGINT and waits for a clean exit.
func (p *proc) stop(t *testing.T) {
	if p.cmd.ProcessState != nil {
		return
	}
	p.cmd.Process.Signal(syscall.SIGINT)
	select {
	case <-p.done:
	case <-time.After(15 * time.Second):
		p.cmd.Process.Kill()
		<-p.done
		t.Errorf("%s did not stop within 15 s of SIGINT", p.name)
	}
}

func tail(s string, n int) string {
	if len(s) > n {
		return "…" + s[len(s)-n:]
	}
	return s
}

func xanode(t *testing.T, args ...string) string {
	t.Helper()
	out, err := exec.Command(binary, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("xanode %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t *testing.T, what string, timeout time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", timeout, what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func getJSON(c *http.Client, url string, v any) error {
	resp, err := c.Get(url)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s: %s", resp.Status, b)
	}
	return json.Unmarshal(b, v)
}

type cityStatus struct {
	Changes      uint64 `json:"changes"`
	Voters       int    `json:"voters"`
	NodeID       string `json:"node_id"`
	Leader       string `json:"leader"`
	IsLeader     bool   `json:"is_leader"`
	AppliedIndex uint64 `json:"applied_index"`
	Commands     uint64 `json:"commands"`
	Citizens     uint64 `json:"citizens"`
	StateDigest  string `json:"state_digest"`
	Level        uint64 `json:"level"`
	ReleaseLevel uint64 `json:"release_level"`
}

type edgeStatus struct {
	NodeID        string   `json:"node_id"`
	Communes      []string `json:"communes"`
	SubsetVersion uint64   `json:"subset_version"`
	Citizens      uint64   `json:"citizens"`
	StateDigest   string   `json:"state_digest"`
	Outbox        int      `json:"outbox"`
	Stale         bool     `json:"stale"`
	Locked        string   `json:"locked"`
	LockReason    string   `json:"lock_reason"`
}

// TestCityClusterProcesses runs three `xanode city` processes with short
// raft timeouts, loads a generated population through one of them, and
// starts an edge process that fetches and verifies its commune's subset.
func TestCityClusterProcesses(t *testing.T) {
	if testing.Short() {
		t.Skip("system test")
	}
	dir := t.TempDir()
	pkiDir := filepath.Join(dir, "pki")
	xanode(t, "pki", "init", "--out", pkiDir)
	pki, err := certs.Load(pkiDir)
	if err != nil {
		t.Fatal(err)
	}
	admin := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: certs.ClientTLS(pki.Admin(), pki.RootPool())}}

	var urls []string
	for i := 1; i <= 3; i++ {
		api := freeAddr(t)
		nodePKI := pkiDir
		if i == 2 {
			// city-2 runs with only what it needs: no admin key, no other
			// node's key, no fleet CA or data-signing key.
			nodePKI = filepath.Join(dir, "pki-city-2")
			xanode(t, "pki", "export-node", "--pki", pkiDir, "--id", "city-2", "--out", nodePKI, "--no-issuer", "--no-signer")
		}
		args := []string{"city", "--id", fmt.Sprintf("city-%d", i), "--data", filepath.Join(dir, fmt.Sprintf("city-%d", i)),
			"--raft", freeAddr(t), "--api", api, "--pki", nodePKI, "--raft-heartbeat", "200ms"}
		switch i {
		case 1:
			args = append(args, "--bootstrap")
		case 2:
			args = append(args, "--join", urls[0])
		default:
			// Through a follower: it forwards the join to the leader.
			args = append(args, "--join", urls[1])
		}
		start(t, fmt.Sprintf("city-%d", i), args...)
		urls = append(urls, "https://"+api)
	}
	leaderURL := func() string {
		for _, u := range urls {
			var st cityStatus
			if getJSON(admin, u+"/v1/status", &st) == nil && st.IsLeader {
				return u
			}
		}
		return ""
	}
	waitFor(t, "a leader with three voters", 20*time.Second, func() bool {
		var st cityStatus
		return leaderURL() != "" && getJSON(admin, leaderURL()+"/v1/status", &st) == nil && st.Voters == 3
	})

	popFile := filepath.Join(dir, "population.jsonl")
	xanode(t, "gen", "--commune", "92101", "--citizens", "1500", "--out", popFile)
	follower := urls[0]
	if follower == leaderURL() {
		follower = urls[1]
	}
	// Through a follower: it forwards to the leader once the leader's API
	// URL is in the replicated peer table.
	waitFor(t, "the leader's API URL to replicate", 20*time.Second, func() bool {
		_, err := exec.Command(binary, "fleet", "--city", follower, "--pki", pkiDir, "assign", "edge-probe", "92999").CombinedOutput()
		return err == nil
	})
	out := xanode(t, "city", "import", "--city", follower, "--file", popFile, "--pki", pkiDir)
	if !strings.Contains(out, `"imported":1500`) {
		t.Fatalf("import: %s", out)
	}
	var want cityStatus
	if err := getJSON(admin, leaderURL()+"/v1/status", &want); err != nil || want.Citizens != 1500 {
		t.Fatalf("leader status %+v: %v", want, err)
	}
	// Each replica reaches the leader's state: the same digest at the same
	// applied index, read again until they meet (the leader may apply
	// entries of its own meanwhile).
	for _, u := range urls {
		var st, lead cityStatus
		waitFor(t, u+" to apply the import and agree with the leader", 30*time.Second, func() bool {
			return getJSON(admin, u+"/v1/status", &st) == nil && getJSON(admin, leaderURL()+"/v1/status", &lead) == nil &&
				st.AppliedIndex >= want.AppliedIndex && st.AppliedIndex == lead.AppliedIndex && st.StateDigest == lead.StateDigest
		})
		if st.Citizens != want.Citizens {
			t.Errorf("%s: %d citizens, the leader had %d", st.NodeID, st.Citizens, want.Citizens)
		}
	}

	// A push through the follower names the leader, so the edge's client
	// sends its next pushes there (DESIGN.md, "Sync").
	probe, err := pki.IssueNodeKey("edge-probe", certs.RoleEdge, nil, time.Hour, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	edgeHTTP := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: certs.ClientTLS(probe.TLS, pki.RootPool())}}
	push := wire.EncodeChanges([]*registry.Change{{Node: "edge-probe", Seq: 1, Officer: "o", Op: registry.OpIdentify,
		Citizen: "092090001234", Commune: "92999", Time: registry.HLCFromTime(time.Now())}})
	resp, err := edgeHTTP.Post(follower+"/v1/push", wire.ContentChanges, bytes.NewReader(push))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if got := resp.Header.Get(wire.HeaderLeader); resp.StatusCode != http.StatusOK || got != leaderURL() {
		t.Errorf("push through the follower: %s, leader named %q, want %q", resp.Status, got, leaderURL())
	}

	edgeDir := filepath.Join(dir, "edge")
	xanode(t, "fleet", "--city", leaderURL(), "--pki", pkiDir, "assign", "edge-92101", "92101")
	xanode(t, "fleet", "--pki", pkiDir, "issue", "--node", "edge-92101", "--commune", "92101", "--city-url", strings.Join(urls, ","), "--out", edgeDir)
	ui := freeAddr(t)
	edgeProc := start(t, "edge", "edge", "--data", edgeDir, "--listen", ui)
	var es edgeStatus
	waitFor(t, "the edge's verified subset", 30*time.Second, func() bool {
		return getJSON(http.DefaultClient, "http://"+ui+"/v1/status", &es) == nil && es.Citizens > 0
	})
	if es.NodeID != "edge-92101" || es.Citizens == 0 || es.Stale || len(es.StateDigest) != 64 {
		t.Fatalf("edge status %+v", es)
	}
	if es.Citizens != 1500 {
		t.Errorf("edge holds %d citizens, want 1500", es.Citizens)
	}

	// Decommission: stop the edge, purge its subset; it has no data left.
	edgeProc.stop(t)
	if out := xanode(t, "edge", "purge", "--data", edgeDir); !strings.Contains(out, "subset purged") {
		t.Fatalf("purge: %s", out)
	}
	// The box's key slots open through the city (still running).
	st := openStopped(t, edgeDir, node.Unlock{})
	defer st.Close()
	if _, err := st.Subset(); !errors.Is(err, edge.ErrNoSubset) {
		t.Fatalf("after purge the store still holds a subset: %v", err)
	}
	if _, err := st.VerifyAudit(); err != nil {
		t.Fatalf("the audit chain after a purge: %v", err)
	}
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

// openStopped opens a stopped edge's store through its key slots.
func openStopped(t *testing.T, dir string, u node.Unlock) *edge.Store {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	o, err := node.OpenOffline(ctx, dir, u)
	if err != nil {
		t.Fatal(err)
	}
	defer o.Close()
	st, err := o.Store()
	if err != nil {
		t.Fatal(err)
	}
	return st
}
