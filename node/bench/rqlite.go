package bench

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	gosync "sync"
	"time"

	"github.com/xanode/xanode/certs"
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
	scheme string   // http, or https with --rqlite-tls
	tls    *tls.Config
}

// client is an HTTP client of the cluster with its own connections.
func (c *rqliteCity) client() *http.Client {
	return &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 1, TLSClientConfig: c.tls}}
}

// rqliteTLS gives rqlite what xanode has: HTTPS with client certificates
// and mutual TLS between the nodes, with the certificates of a xanode PKI
// made in dir. It returns the flags of node i and the client's TLS.
func rqliteTLS(dir string) (func(i int) []string, *tls.Config, error) {
	p, err := certs.Init(filepath.Join(dir, "pki"), certs.InitOptions{CityNodes: certs.DefaultCityNodes})
	if err != nil {
		return nil, nil, err
	}
	root := filepath.Join(p.Dir, certs.RootCertFile)
	var chains []string
	for _, id := range certs.DefaultCityNodes {
		cert, err := p.Node(id)
		if err != nil {
			return nil, nil, err
		}
		var chain []byte
		for _, der := range cert.Certificate {
			chain = append(chain, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})...)
		}
		path := filepath.Join(dir, id+"-chain.pem")
		if err := os.WriteFile(path, chain, 0o600); err != nil {
			return nil, nil, err
		}
		chains = append(chains, path)
	}
	flags := func(i int) []string {
		key := filepath.Join(p.Dir, certs.NodesDir, certs.DefaultCityNodes[i]+".key")
		return []string{"-http-cert", chains[i], "-http-key", key, "-http-ca-cert", root, "-http-verify-client",
			"-node-cert", chains[i], "-node-key", key, "-node-ca-cert", root, "-node-verify-client"}
	}
	client, err := p.Node(certs.DefaultCityNodes[0])
	if err != nil {
		return nil, nil, err
	}
	return flags, certs.ClientTLS(client, p.RootPool()), nil
}

// rqliteSchema is the table the benchmark's changes go to: the columns of
// a pushed change, keyed by (node, seq) as xanode keys outcomes.
const rqliteSchema = `CREATE TABLE changes (node TEXT NOT NULL, seq INTEGER NOT NULL, officer TEXT, op TEXT, citizen TEXT, commune TEXT, time INTEGER, address TEXT, until TEXT, PRIMARY KEY (node, seq))`

func startRqlite(ctx context.Context, bin, dir string, withTLS bool) (*rqliteCity, error) {
	c := &rqliteCity{scheme: "http"}
	tlsFlags := func(int) []string { return nil }
	if withTLS {
		var err error
		if tlsFlags, c.tls, err = rqliteTLS(dir); err != nil {
			return nil, err
		}
		c.scheme = "https"
	}
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
		args = append(args, tlsFlags(i)...)
		args = append(args, filepath.Join(dir, fmt.Sprintf("rqlite-%d", i+1)))
		if err := c.start(bin, filepath.Join(dir, fmt.Sprintf("rqlite-%d.log", i+1)), args...); err != nil {
			c.stop()
			return nil, err
		}
	}
	hc := c.client()
	defer hc.CloseIdleConnections()
	if err := waitUntil(ctx, 60*time.Second, "an rqlite leader with three reachable voters", func() bool {
		var nodes struct {
			Nodes []struct {
				APIAddr   string `json:"api_addr"`
				Voter     bool   `json:"voter"`
				Reachable bool   `json:"reachable"`
				Leader    bool   `json:"leader"`
			} `json:"nodes"`
		}
		b, err := rqliteGet(ctx, hc, c.scheme+"://"+c.http[0]+"/nodes?ver=2")
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
			leader = c.scheme + "://" + leader
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
			hc := c.client()
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

// rqliteGet reads an answer of rqlite's HTTP API.
func rqliteGet(ctx context.Context, hc *http.Client, url string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%s: %s", resp.Status, bytes.TrimSpace(b))
	}
	return b, nil
}
