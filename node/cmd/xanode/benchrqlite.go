package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	gosync "sync"
	"time"
)

// rqliteCity is a three-node rqlite cluster on loopback, the yardstick of
// `xanode bench compare`. rqlited keeps its raft log in bbolt (through
// rqlite/raft-boltdb) with every commit fsynced and its freelist synced
// too (rqlited has no flag to turn either off), and a write is answered
// after the raft commit, like a push: a durable comparison. Its SQLite
// file is written without fsync, as xanode's FSM is, since both replay the
// raft log after a crash.
type rqliteCity struct {
	benchProcs
	http   []string // host:port of each node's HTTP API
	leader string   // base URL of the leader's API
}

// rqliteSchema is the table the benchmark's changes go to: the columns of
// a pushed change, keyed by (node, seq) as xanode keys outcomes.
const rqliteSchema = `CREATE TABLE changes (node TEXT NOT NULL, seq INTEGER NOT NULL, officer TEXT, op TEXT, citizen TEXT, commune TEXT, time INTEGER, address TEXT, until TEXT, PRIMARY KEY (node, seq))`

func startRqlite(ctx context.Context, bin, dir string) (*rqliteCity, error) {
	c := &rqliteCity{}
	raftAddrs, err := freeLoopbacks(3)
	if err != nil {
		return nil, err
	}
	if c.http, err = freeLoopbacks(3); err != nil {
		return nil, err
	}
	for i := range 3 {
		args := []string{"-node-id", fmt.Sprint(i + 1), "-http-addr", c.http[i], "-raft-addr", raftAddrs[i], "-raft-log-level", "ERROR"}
		if i > 0 {
			args = append(args, "-join", raftAddrs[0])
		}
		args = append(args, filepath.Join(dir, fmt.Sprintf("rqlite-%d", i+1)))
		if err := c.start(bin, filepath.Join(dir, fmt.Sprintf("rqlite-%d.log", i+1)), args...); err != nil {
			c.stop()
			return nil, err
		}
	}
	hc := &http.Client{Timeout: 5 * time.Second}
	if err := waitUntil(ctx, 60*time.Second, "an rqlite leader with three reachable voters", func() bool {
		var nodes struct {
			Nodes []struct {
				APIAddr   string `json:"api_addr"`
				Voter     bool   `json:"voter"`
				Reachable bool   `json:"reachable"`
				Leader    bool   `json:"leader"`
			} `json:"nodes"`
		}
		b, err := get(ctx, hc, "http://"+c.http[0]+"/nodes?ver=2")
		if err != nil || json.Unmarshal(b, &nodes) != nil {
			return false
		}
		voters, leader := 0, ""
		for _, n := range nodes.Nodes {
			if n.Voter && n.Reachable {
				voters++
			}
			if n.Leader {
				leader = n.APIAddr
			}
		}
		if leader != "" && !strings.Contains(leader, "://") {
			leader = "http://" + leader
		}
		c.leader = leader
		return voters == 3 && leader != ""
	}); err != nil {
		c.stop()
		return nil, err
	}
	if _, err := c.execute(ctx, hc, [][]any{{rqliteSchema}}); err != nil {
		c.stop()
		return nil, fmt.Errorf("rqlite schema: %w", err)
	}
	return c, nil
}

// execute sends statements to the leader's /db/execute in one request
// (one raft entry, one SQLite transaction) and waits for the commit.
func (c *rqliteCity) execute(ctx context.Context, hc *http.Client, stmts [][]any) (time.Duration, error) {
	body, err := json.Marshal(stmts)
	if err != nil {
		return 0, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.leader+"/db/execute?transaction", bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	start := time.Now()
	resp, err := hc.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	took := time.Since(start)
	if err != nil {
		return 0, err
	}
	if resp.StatusCode != http.StatusOK {
		return 0, fmt.Errorf("rqlite answered %s: %s", resp.Status, bytes.TrimSpace(b))
	}
	var res struct {
		Results []struct {
			Error string `json:"error"`
		} `json:"results"`
		Error string `json:"error"`
	}
	if err := json.Unmarshal(b, &res); err != nil {
		return 0, fmt.Errorf("rqlite answer: %w", err)
	}
	if res.Error != "" {
		return 0, fmt.Errorf("rqlite: %s", res.Error)
	}
	if len(res.Results) != len(stmts) {
		return 0, fmt.Errorf("rqlite: %d results for %d statements", len(res.Results), len(stmts))
	}
	for _, r := range res.Results {
		if r.Error != "" {
			return 0, fmt.Errorf("rqlite: %s", r.Error)
		}
	}
	return took, nil
}

// runLoad inserts a load's changes as parameterized INSERTs, each client
// on its own keep-alive connection, as xanode's edges push.
func (c *rqliteCity) runLoad(ctx context.Context, run string, load pushLoad, people int) (loadResult, error) {
	ids := benchIDs(people)
	lat := make([][]time.Duration, load.Clients)
	sent := make([]int, load.Clients)
	errs := make([]error, load.Clients)
	var wg gosync.WaitGroup
	start := time.Now()
	for cl := range load.Clients {
		share := load.Changes / load.Clients
		if cl < load.Changes%load.Clients {
			share++
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			hc := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 1}}
			defer hc.CloseIdleConnections()
			node := fmt.Sprintf("%s-%d", run, cl)
			for seq := 0; sent[cl] < share; {
				k := min(load.Batch, share-sent[cl])
				stmts := make([][]any, k)
				for i := range stmts {
					seq++
					stmts[i] = []any{"INSERT INTO changes(node, seq, officer, op, citizen, commune, time, address, until) VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?)",
						node, seq, "bench", "register_temporary", ids[(seq*7919)%len(ids)], benchCommune, time.Now().UnixMilli(),
						fmt.Sprintf("Số %d Đường Mậu Thân", seq%500), "2027-12-31"}
				}
				took, err := c.execute(ctx, hc, stmts)
				if err != nil {
					errs[cl] = err
					return
				}
				lat[cl] = append(lat[cl], took)
				sent[cl] += k
			}
		}()
	}
	wg.Wait()
	res := loadResult{Took: time.Since(start)}
	for cl, err := range errs {
		if err != nil {
			return loadResult{}, err
		}
		res.Changes += sent[cl]
	}
	res.Lat = slices.Concat(lat...)
	slices.Sort(res.Lat)
	return res, nil
}
