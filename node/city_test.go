package node

import (
	"context"
	"io"
	"log/slog"
	"net"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/xanode/xanode/certs"
	"github.com/xanode/xanode/sync/fsm"
	"github.com/xanode/xanode/sync/fsm/fsmtest"
	"github.com/xanode/xanode/sync/netem"
)

// TestAdvertisedAddresses: a node that listens on one address and is
// reached through another (here a proxy, as behind NAT or in a container)
// joins under the advertised addresses and replicates through them.
func TestAdvertisedAddresses(t *testing.T) {
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	dir := t.TempDir()
	pki, err := certs.Init(filepath.Join(dir, "pki"), certs.InitOptions{CityNodes: []string{"city-1", "city-2"}})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	start := func(id, raftAddr, raftAdv, apiAdv string, bootstrap bool, join string) *City {
		c, err := StartCity(ctx, CityConfig{ID: id, Dir: filepath.Join(dir, id), RaftAddr: raftAddr, APIAddr: "127.0.0.1:0",
			RaftAdvertise: raftAdv, APIAdvertise: apiAdv, PKI: pki, Bootstrap: bootstrap, Join: join,
			Raft: RaftTimeouts(150 * time.Millisecond), FSM: fsm.DefaultConfig(), Log: quiet, RaftLog: io.Discard})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		return c
	}
	first := start("city-1", "127.0.0.1:0", "", "", true, "")
	waitUntil(t, "a leader", 10*time.Second, first.Node().IsLeader)

	// city-2 binds a port found free a moment before; on a busy machine
	// another test may take it in between, and then a new one is tried.
	var second *City
	var proxy *netem.Proxy
	for attempt := 0; second == nil; attempt++ {
		ln, _ := net.Listen("tcp", "127.0.0.1:0")
		raftAddr := ln.Addr().String()
		ln.Close()
		if proxy, err = netem.Start(raftAddr, netem.Config{}); err != nil {
			t.Fatal(err)
		}
		c, err := StartCity(ctx, CityConfig{ID: "city-2", Dir: filepath.Join(dir, "city-2"), RaftAddr: raftAddr, APIAddr: "127.0.0.1:0",
			RaftAdvertise: proxy.Addr(), APIAdvertise: "127.0.0.1:1", PKI: pki, Join: first.URL(),
			Raft: RaftTimeouts(150 * time.Millisecond), FSM: fsm.DefaultConfig(), Log: quiet, RaftLog: io.Discard})
		if err != nil && strings.Contains(err.Error(), "address already in use") && attempt < 5 {
			proxy.Close()
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		second = c
	}
	defer proxy.Close()
	if second.Node().RaftAddr() != proxy.Addr() || second.URL() != "https://127.0.0.1:1" {
		t.Fatalf("advertised %s and %s", second.Node().RaftAddr(), second.URL())
	}
	waitUntil(t, "city-2 to join through its advertised address", 20*time.Second, func() bool {
		servers, _ := first.Node().Servers()
		return len(servers) == 2 && string(servers[1].Address) == proxy.Addr()
	})
	// With 150 ms raft timeouts a loaded machine may move the leadership
	// meanwhile: apply through whichever node leads, until one takes it
	// (an assignment repeated is the same assignment).
	var want fsm.Status
	waitUntil(t, "an assignment applied", 30*time.Second, func() bool {
		for _, c := range []*City{first, second} {
			if c.Node().IsLeader() {
				if _, err := c.Node().Apply(ctx, fsmtest.Stamp(&fsm.Command{Kind: fsm.KindAssign, Node: "edge-1", Communes: []string{"92101"}})); err != nil {
					return false
				}
				want, _ = c.Node().FSM().Status()
				return true
			}
		}
		return false
	})
	waitUntil(t, "replication through the proxy", 20*time.Second, func() bool {
		for _, c := range []*City{first, second} {
			if st, _ := c.Node().FSM().Status(); st.AppliedIndex < want.AppliedIndex {
				return false
			}
		}
		return true
	})
	if up, _ := proxy.Stats(); up == 0 {
		t.Fatal("nothing went through the advertised address")
	}
}

func waitUntil(t *testing.T, what string, d time.Duration, cond func() bool) {
	t.Helper()
	if err := waitFor(context.Background(), d, cond); err != nil {
		t.Fatalf("waiting %s for %s: %v", d, what, err)
	}
}

// TestRestartNeedsNoBootstrapOrJoin: a node restarted on its data folder
// is a member already; a new folder still needs one of the two.
func TestRestartNeedsNoBootstrapOrJoin(t *testing.T) {
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	dir := t.TempDir()
	pki, err := certs.Init(filepath.Join(dir, "pki"), certs.InitOptions{CityNodes: []string{"city-1"}})
	if err != nil {
		t.Fatal(err)
	}
	cfg := CityConfig{ID: "city-1", Dir: filepath.Join(dir, "city-1"), RaftAddr: "127.0.0.1:0", APIAddr: "127.0.0.1:0",
		PKI: pki, Raft: RaftTimeouts(150 * time.Millisecond), FSM: fsm.DefaultConfig(), Log: quiet, RaftLog: io.Discard}
	if _, err := StartCity(context.Background(), cfg); err == nil {
		t.Fatal("a node with an empty folder started without --bootstrap or --join")
	}
	first := cfg
	first.Bootstrap = true
	c, err := StartCity(context.Background(), first)
	if err != nil {
		t.Fatal(err)
	}
	// A loaded machine (the race detector, other tests) may take a while to
	// elect the one node: wait for the write to be taken, not for a time.
	waitUntil(t, "a leader to take a write", 60*time.Second, func() bool {
		_, err := c.Node().Apply(context.Background(), fsmtest.Stamp(&fsm.Command{Kind: fsm.KindAssign, Node: "edge-1", Communes: []string{"92101"}}))
		return err == nil
	})
	want, _ := c.Node().FSM().Status()
	c.Close()
	again, err := StartCity(context.Background(), cfg)
	if err != nil {
		t.Fatalf("restart without flags: %v", err)
	}
	defer again.Close()
	// The leader may apply entries of its own after the restart (a
	// data-quality sweep, the not-seen policy): the state goes on from
	// the one it had, and keeps what was written before.
	waitUntil(t, "the restarted node to lead with its state", 60*time.Second, func() bool {
		st, _ := again.Node().FSM().Status()
		return again.Node().IsLeader() && st.AppliedIndex >= want.AppliedIndex
	})
	if communes, err := again.Node().FSM().NodeCommunes("edge-1"); err != nil || !slices.Equal(communes, []string{"92101"}) {
		t.Fatalf("after the restart edge-1 serves %v (%v), want [92101]", communes, err)
	}
	both := cfg
	both.Bootstrap, both.Join = true, "https://127.0.0.1:1"
	if _, err := StartCity(context.Background(), both); err == nil {
		t.Fatal("--bootstrap and --join together were accepted")
	}
}
