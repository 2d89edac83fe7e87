package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/xanode/xanode/certs"
	"github.com/xanode/xanode/node/registry"
	"github.com/xanode/xanode/sync/client"
)

// field reads "key: value" from a command's output.
func field(t *testing.T, out, key string) string {
	t.Helper()
	for _, line := range strings.Split(out, "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == key {
			return strings.TrimSpace(v)
		}
	}
	t.Fatalf("no %q in:\n%s", key, out)
	return ""
}

func fieldUint(t *testing.T, out, key string) uint64 {
	t.Helper()
	n, err := strconv.ParseUint(field(t, out, key), 10, 64)
	if err != nil {
		t.Fatalf("%s: %v", key, err)
	}
	return n
}

// xanodeFails runs a command that must fail with the given exit status and
// mention want.
func xanodeFails(t *testing.T, code int, want string, args ...string) string {
	t.Helper()
	out, err := exec.Command(binary, args...).CombinedOutput()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != code || !strings.Contains(string(out), want) {
		t.Fatalf("xanode %s: %v (want exit %d mentioning %q)\n%s", strings.Join(args, " "), err, code, want, out)
	}
	return string(out)
}

// forwardingTo waits until a follower forwards an admin request to the
// leader, which proves the leader's API URL is in the replicated peer
// table, and returns that leader.
func forwardingTo(t *testing.T, c *cityCluster) int {
	t.Helper()
	var leader int
	waitFor(t, "the leader's API URL to replicate", 30*time.Second, func() bool {
		leader = c.leader()
		if leader < 0 {
			return false
		}
		follower := (leader + 1) % 3
		_, err := exec.Command(binary, "fleet", "--city", c.url(follower), "--pki", c.pki, "assign", "edge-1", "92101").CombinedOutput()
		return err == nil && c.leader() == leader
	})
	return leader
}

// TestBackupRestoreProcesses: a backup taken from a follower of a running
// three-node cluster while an edge pushes changes is restored into a new
// folder after the cluster is gone; the node started on it has the
// backup's applied index and state digest, takes a second node, and gives
// a new change an index above the backup's (edges never see a version go
// back).
func TestBackupRestoreProcesses(t *testing.T) {
	if testing.Short() {
		t.Skip("system test")
	}
	c := startCluster(t)
	seedCluster(t, c)
	p := newPusher(t, c)
	p.push(t, 10)
	// The restored node takes this leader's ID and addresses: its API URL
	// is already in the backed-up peer table, so starting it writes
	// nothing and its digest can be compared with the backup's.
	leader := forwardingTo(t, c)
	follower := (leader + 1) % 3

	stop, pushed := make(chan struct{}), make(chan error, 1)
	go func() {
		for {
			select {
			case <-stop:
				pushed <- nil
				return
			default:
			}
			if err := p.tryPush(5); err != nil {
				pushed <- err
				return
			}
		}
	}()
	before, err := c.status(follower)
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "changes to flow to the follower", 30*time.Second, func() bool {
		st, err := c.status(follower)
		return err == nil && st.AppliedIndex > before.AppliedIndex
	})
	file := filepath.Join(c.dir, "city.backup")
	xanodeFails(t, 1, "xanode pki backup-key", "city", "backup", "--city", c.url(follower), "--pki", c.pki, "--out", file)
	// City IT's key pair: the private half stays offline, away from the PKI.
	keys := filepath.Join(c.dir, "offline")
	xanode(t, "pki", "backup-key", "--out", keys)
	xanodeFails(t, 1, "already exists", "pki", "backup-key", "--out", keys)
	if fi, err := os.Stat(filepath.Join(keys, "backup.key")); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("backup.key: %v %v", fi, err)
	}
	// An old-style backup, as the API serves it, before encryption.
	plain := filepath.Join(c.dir, "plain.backup")
	resp, err := c.admin.Get(c.url(follower) + "/v1/admin/backup")
	if err != nil {
		t.Fatal(err)
	}
	plainBytes, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("plain backup: %s %v", resp.Status, err)
	}
	writeFile(t, plain, string(plainBytes))
	out := xanode(t, "city", "backup", "--city", c.url(follower), "--pki", c.pki, "--out", file, "--to", filepath.Join(keys, "backup.pub"))
	index, digest := fieldUint(t, out, "applied_index"), field(t, out, "state_digest")
	changes := fieldUint(t, out, "changes")
	if field(t, out, "node") != fmt.Sprintf("city-%d", follower+1) || index <= before.AppliedIndex || len(digest) != 64 ||
		len(field(t, out, "sha256")) != 64 {
		t.Fatalf("backup (cluster at %d before it):\n%s", before.AppliedIndex, out)
	}
	waitFor(t, "changes applied after the backup", 30*time.Second, func() bool {
		st, err := c.status(leader)
		return err == nil && st.AppliedIndex > index+5
	})
	close(stop)
	if err := <-pushed; err != nil {
		t.Fatal(err)
	}
	xanodeFails(t, 1, "already exists", "city", "backup", "--city", c.url(follower), "--pki", c.pki, "--out", file)
	sealed, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(sealed), "XNSEAL1\n") || !strings.Contains(out, "encrypted_to:  sha256:") {
		t.Fatalf("the backup file is not sealed (starts %q):\n%s", sealed[:min(len(sealed), 16)], out)
	}
	for _, pr := range c.procs {
		pr.stop(t)
	}

	id := fmt.Sprintf("city-%d", leader+1)
	dir := filepath.Join(c.dir, "restored")
	restore := func(file, dir string, extra ...string) []string {
		return append([]string{"city", "restore", "--file", file, "--data", dir, "--id", id, "--raft", c.raft[leader],
			"--api", c.api[leader], "--pki", c.pki}, extra...)
	}
	key := filepath.Join(keys, "backup.key")
	xanodeFails(t, 1, "--key backup.key", restore(file, dir)...)
	other := filepath.Join(c.dir, "other-keys")
	xanode(t, "pki", "backup-key", "--out", other)
	xanodeFails(t, 1, "encrypted to another key", restore(file, dir, "--key", filepath.Join(other, "backup.key"))...)
	cut := filepath.Join(c.dir, "cut.backup")
	writeFile(t, cut, string(sealed[:len(sealed)*2/3]))
	xanodeFails(t, 1, "ends early", restore(cut, dir, "--key", key)...)
	altered := filepath.Join(c.dir, "altered.backup")
	sealed[len(sealed)/2] ^= 1
	writeFile(t, altered, string(sealed))
	xanodeFails(t, 1, "altered", restore(altered, dir, "--key", key)...)
	xanodeFails(t, 1, "--unencrypted", restore(plain, dir)...)
	out = xanode(t, restore(plain, filepath.Join(c.dir, "from-plain"), "--unencrypted")...)
	if fieldUint(t, out, "applied_index") <= before.AppliedIndex {
		t.Fatalf("restore of an unencrypted backup:\n%s", out)
	}
	out = xanode(t, restore(file, dir, "--key", key)...)
	if fieldUint(t, out, "applied_index") != index || field(t, out, "state_digest") != digest {
		t.Fatalf("restore:\n%s", out)
	}
	xanodeFails(t, 1, "not empty", "city", "restore", "--file", file, "--key", key, "--data", dir, "--id", id, "--raft", c.raft[leader], "--pki", c.pki)
	xanodeFails(t, 1, "does not name 10.9.9.9", "city", "restore", "--file", file, "--key", key, "--data", filepath.Join(c.dir, "other"),
		"--id", id, "--raft", "10.9.9.9:7000", "--pki", c.pki)

	// No --bootstrap: the folder is a cluster already; --join names the
	// node itself, which finds itself a member and asks no one.
	start(t, id+"-restored", "city", "--id", id, "--data", dir, "--raft", c.raft[leader], "--api", c.api[leader],
		"--pki", c.pki, "--raft-heartbeat", "200ms", "--join", c.url(leader))
	var st cityStatus
	waitFor(t, "the restored node to lead", 30*time.Second, func() bool {
		return getJSON(c.admin, c.url(leader)+"/v1/status", &st) == nil && st.IsLeader
	})
	if st.AppliedIndex != index || st.StateDigest != digest || st.Changes != changes || st.Voters != 1 {
		t.Fatalf("restored node %+v; the backup holds index %d, digest %s, %d changes", st, index, digest, changes)
	}

	// A second node joins from an empty folder.
	second := (leader + 2) % 3
	c.raft[second], c.api[second] = freeAddr(t), freeAddr(t)
	start(t, fmt.Sprintf("city-%d-new", second+1), "city", "--id", fmt.Sprintf("city-%d", second+1),
		"--data", filepath.Join(c.dir, "second"), "--raft", c.raft[second], "--api", c.api[second],
		"--pki", c.pki, "--raft-heartbeat", "200ms", "--join", c.url(leader))
	waitFor(t, "two voters", 30*time.Second, func() bool {
		return getJSON(c.admin, c.url(leader)+"/v1/status", &st) == nil && st.Voters == 2
	})

	// A new change gets an index above the backup's.
	pk, err := certs.Load(c.pki)
	if err != nil {
		t.Fatal(err)
	}
	cred, err := pk.IssueNodeKey("edge-1", certs.RoleEdge, nil, time.Hour, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	// An edge may not take a backup.
	edgeHTTP := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: certs.ClientTLS(cred.TLS, pk.RootPool())}}
	if resp, err := edgeHTTP.Get(c.url(leader) + "/v1/admin/backup"); err != nil || resp.StatusCode != http.StatusForbidden {
		t.Fatalf("backup asked by an edge: %v %v", resp, err)
	} else {
		resp.Body.Close()
	}
	cl, err := client.New([]string{c.url(leader)}, certs.ClientTLS(cred.TLS, pk.RootPool()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	outs, err := cl.Push(ctx, []*registry.Change{{Node: "edge-1", Seq: p.seq + 1, Officer: "o", Op: registry.OpIdentify,
		Citizen: faultCitizen, Commune: "92101", Time: registry.HLCFromTime(time.Now())}})
	if err != nil {
		t.Fatal(err)
	}
	if outs[0].Result != registry.Applied || outs[0].Index <= index {
		t.Fatalf("a change after the restore: %+v; the backup's index is %d", outs[0], index)
	}
	var a, b cityStatus
	waitFor(t, "both nodes to agree", 30*time.Second, func() bool {
		return getJSON(c.admin, c.url(leader)+"/v1/status", &a) == nil && getJSON(c.admin, c.url(second)+"/v1/status", &b) == nil &&
			a.AppliedIndex == b.AppliedIndex && a.StateDigest == b.StateDigest && a.Changes == changes+1
	})
}

// TestRecoverMajorityLossProcesses: two of three nodes are killed and
// their folders deleted. `xanode city recover` on the stopped survivor
// makes it a cluster of itself with the state the three agreed on; it
// leads alone, two replacements join from empty folders, every replica
// reaches the same digest, and every change acknowledged before the loss
// is there exactly once. `xanode health` reports the node ready, then not.
func TestRecoverMajorityLossProcesses(t *testing.T) {
	if testing.Short() {
		t.Skip("system test")
	}
	c := startCluster(t)
	seedCluster(t, c)
	p := newPusher(t, c)
	for i := 0; i < 3; i++ {
		p.push(t, 10)
	}
	agreed := c.converged()
	// The survivor is a follower: the leader is among the lost.
	survivor := (c.leader() + 1) % 3
	out := xanode(t, "health", c.url(survivor), "--pki", c.pki)
	// Raft may have appended its own entries meanwhile (a new leader's
	// no-op on a loaded machine): the state and the commands are what must
	// not have moved.
	if !strings.Contains(out, "ready: "+c.url(survivor)) || field(t, out, "state_digest") != agreed.StateDigest ||
		fieldUint(t, out, "commands") != agreed.Commands || fieldUint(t, out, "applied_index") < agreed.AppliedIndex {
		t.Fatalf("health of a ready node:\n%s", out)
	}

	for i := range c.procs {
		if i != survivor {
			c.procs[i].cmd.Process.Kill()
			<-c.procs[i].done
			if err := os.RemoveAll(filepath.Join(c.dir, fmt.Sprintf("city-%d", i+1))); err != nil {
				t.Fatal(err)
			}
		}
	}
	waitFor(t, "the survivor to have no leader", 30*time.Second, func() bool {
		out, err := exec.Command(binary, "health", c.url(survivor), "--pki", c.pki).CombinedOutput()
		var ee *exec.ExitError
		return errors.As(err, &ee) && ee.ExitCode() == 1 && strings.Contains(string(out), "no raft leader")
	})
	c.procs[survivor].stop(t)
	xanodeFails(t, 1, "cannot reach", "health", c.url(survivor), "--pki", c.pki, "--timeout", "2s")

	id := fmt.Sprintf("city-%d", survivor+1)
	data := filepath.Join(c.dir, id)
	xanodeFails(t, 1, "not in the configuration", "city", "recover", "--data", data, "--id", "city-9", "--raft", c.raft[survivor])
	out = xanode(t, "city", "recover", "--data", data, "--id", id, "--raft", c.raft[survivor])
	if field(t, out, "state_digest") != agreed.StateDigest || fieldUint(t, out, "applied_index") != agreed.AppliedIndex {
		t.Fatalf("recover (the cluster agreed on %+v):\n%s", agreed, out)
	}
	last := fieldUint(t, out, "last_index")

	c.start(survivor) // the flags it had
	waitFor(t, "the survivor to lead alone", 30*time.Second, func() bool {
		st, err := c.status(survivor)
		return err == nil && st.IsLeader && st.Voters == 1
	})
	if st, _ := c.status(survivor); st.Changes != agreed.Changes || st.Citizens != agreed.Citizens {
		t.Fatalf("survivor after the recovery: %+v, before the loss: %+v", st, agreed)
	}
	for i := range c.procs {
		if i == survivor {
			continue
		}
		c.raft[i], c.api[i] = freeAddr(t), freeAddr(t)
		c.procs[i] = start(t, fmt.Sprintf("city-%d-replacement", i+1), "city", "--id", fmt.Sprintf("city-%d", i+1),
			"--data", filepath.Join(c.dir, fmt.Sprintf("city-%d", i+1)), "--raft", c.raft[i], "--api", c.api[i],
			"--pki", c.pki, "--raft-heartbeat", "200ms", "--join", c.url(survivor))
	}
	waitFor(t, "three voters", 30*time.Second, func() bool {
		st, err := c.status(survivor)
		return err == nil && st.Voters == 3
	})
	checkExactlyOnce(t, c.converged(), p)
	p.push(t, 5)
	st := c.converged()
	checkExactlyOnce(t, st, p)
	if st.AppliedIndex <= last {
		t.Fatalf("after new writes the cluster is at index %d, the recovery was at %d", st.AppliedIndex, last)
	}
}

// TestHealthEdgeAndUsage: the probe against a plain-HTTP node (an edge)
// before and after it is ready, and its usage errors.
func TestHealthEdgeAndUsage(t *testing.T) {
	var ready atomic.Bool
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.URL.Path == "/readyz" && !ready.Load():
			http.Error(w, "no verified subset yet", http.StatusServiceUnavailable)
		case r.URL.Path == "/readyz":
			fmt.Fprintln(w, "ready")
		case r.URL.Path == "/v1/status":
			fmt.Fprintln(w, `{"node_id":"edge-1","communes":["92101"],"subset_version":42,"outbox":3,"stale":false}`)
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	xanodeFails(t, 1, "no verified subset yet", "health", srv.URL)
	ready.Store(true)
	out := xanode(t, "health", srv.URL)
	if field(t, out, "subset_version") != "42" || field(t, out, "outbox") != "3" || field(t, out, "node_id") != "edge-1" {
		t.Fatalf("health of a ready edge:\n%s", out)
	}
	xanodeFails(t, 2, "needs --pki", "health", "https://127.0.0.1:1")
	xanodeFails(t, 2, "usage", "health")
}
