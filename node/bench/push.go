package bench

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"os"
	"slices"
	"strings"
	gosync "sync"
	"time"

	"github.com/xanode/xanode/certs"
	"github.com/xanode/xanode/node/edge"
	"github.com/xanode/xanode/node/registry"
	"github.com/xanode/xanode/sync/api"
	"github.com/xanode/xanode/sync/client"
)

func init() {
	Commands["push"] = Command{"push changes to a running city cluster: changes/s and push latency", benchPush}
}

// benchCommune is the synthetic commune the push benchmark writes to.
const benchCommune = "92999"

func benchPush(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("bench push", flag.ContinueOnError)
	city := fs.String("city", "", "city API URLs, comma separated")
	pkiDir := fs.String("pki", "", "PKI folder (admin certificate and fleet CA, to set up the benchmark's edge)")
	n := fs.Int("changes", 20000, "changes to push")
	clients := fs.Int("clients", 4, "concurrent edges pushing")
	batch := fs.Int("batch", 100, "changes per push")
	people := fs.Int("citizens", 1000, "citizens the changes are spread over")
	if err := fs.Parse(args); err != nil || *city == "" || *pkiDir == "" || *n < 1 || *clients < 1 || *batch < 1 {
		fmt.Fprintln(os.Stderr, "usage: xanode bench push --city URL[,URL…] --pki DIR [--changes N] [--clients C] [--batch B]")
		return ErrUsage
	}
	urls := strings.Split(*city, ",")
	if _, err := benchSetup(ctx, urls[0], *pkiDir, *people, *clients); err != nil {
		return fmt.Errorf("setting up: %w", err)
	}
	res, err := runPushLoad(ctx, urls, *pkiDir, fmt.Sprintf("bench-%d", time.Now().Unix()),
		pushLoad{Clients: *clients, Batch: *batch, Changes: *n}, *people, nil)
	if err != nil {
		return err
	}
	fmt.Printf("%d changes in %s: %.0f changes/s (%d clients, batches of %d, %d pushes)\n",
		res.Changes, res.Took.Round(time.Millisecond), res.Rate(), *clients, *batch, len(res.Lat))
	fmt.Printf("push latency: p50 %s  p90 %s  p99 %s  max %s\n",
		res.Pct(0.50).Round(10*time.Microsecond), res.Pct(0.90).Round(10*time.Microsecond),
		res.Pct(0.99).Round(10*time.Microsecond), res.Pct(1).Round(10*time.Microsecond))
	return nil
}

// pushLoad is one load of the push benchmarks: concurrent clients, each
// pushing batches of Batch changes until Changes are pushed in all.
type pushLoad struct{ Clients, Batch, Changes int }

func (l pushLoad) String() string { return fmt.Sprintf("%d×%d", l.Clients, l.Batch) }

// loadResult is what a load measured: changes pushed, wall time, and
// every push's latency in ascending order.
type loadResult struct {
	Changes int
	Took    time.Duration
	Lat     []time.Duration
	CPU     time.Duration // the servers' CPU time over the load, all nodes together (bench compare)
}

// CPUPerChange is the servers' CPU time per change (0 when not measured).
func (r loadResult) CPUPerChange() time.Duration {
	if r.Changes == 0 {
		return 0
	}
	return r.CPU / time.Duration(r.Changes)
}

// Rate is changes per second.
func (r loadResult) Rate() float64 { return float64(r.Changes) / r.Took.Seconds() }

// Pct is the p-quantile of push latency (1: the maximum).
func (r loadResult) Pct(p float64) time.Duration {
	if len(r.Lat) == 0 {
		return 0
	}
	return r.Lat[min(len(r.Lat)-1, int(p*float64(len(r.Lat))))]
}

// runPushLoad pushes one load to a city cluster whose benchmark citizens
// are imported (benchSetup), from new edges named run-0, run-1, … . With
// more set, each client goes on pushing past its share while more says so
// (a profile still being taken).
func runPushLoad(ctx context.Context, urls []string, pkiDir, run string, load pushLoad, people int, more func() bool) (loadResult, error) {
	pki, err := certs.Load(pkiDir)
	if err != nil {
		return loadResult{}, err
	}
	ids := benchIDs(people)
	lat := make([][]time.Duration, load.Clients)
	sent := make([]int, load.Clients)
	errs := make([]error, load.Clients)
	var wg gosync.WaitGroup
	ready := make(chan struct{}) // closed once the edges may act for the commune
	for c := 0; c < load.Clients; c++ {
		cred, err := pki.IssueNodeKey(fmt.Sprintf("%s-%d", run, c), certs.RoleEdge, nil, time.Hour, time.Now())
		if err != nil {
			return loadResult{}, err
		}
		cl, err := client.New(slices.Clone(urls), certs.ClientTLS(cred.TLS, pki.RootPool()))
		if err != nil {
			return loadResult{}, err
		}
		defer cl.Close()
		share := load.Changes / load.Clients
		if c < load.Changes%load.Clients {
			share++
		}
		wg.Add(1)
		go func(c int) {
			defer wg.Done()
			<-ready
			lat[c], sent[c], errs[c] = pushShare(ctx, cl, fmt.Sprintf("%s-%d", run, c), ids, share, load.Batch, more)
		}(c)
	}
	if err := assignBenchNodes(ctx, urls[0], pkiDir, run, load.Clients); err != nil {
		return loadResult{}, err
	}
	start := time.Now()
	close(ready)
	wg.Wait()
	res := loadResult{Took: time.Since(start)}
	for c, err := range errs {
		if err != nil {
			return loadResult{}, err
		}
		res.Changes += sent[c]
	}
	res.Lat = slices.Concat(lat...)
	slices.Sort(res.Lat)
	return res, nil
}

// pushRetryFor is how long a push is retried before the benchmark fails.
const pushRetryFor = time.Minute

func pushShare(ctx context.Context, cl *client.Client, node string, ids []string, n, batch int, more func() bool) ([]time.Duration, int, error) {
	var lat []time.Duration
	seq := uint64(0)
	sent := 0
	for sent < n || more != nil && more() {
		k := batch
		if sent < n {
			k = min(batch, n-sent)
		}
		cs := make([]*registry.Change, k)
		for i := range cs {
			seq++
			cs[i] = &registry.Change{Node: node, Seq: seq, Officer: "bench", Op: registry.OpRegisterTemporary,
				Citizen: ids[(int(seq)*7919)%len(ids)], Commune: benchCommune, Base: 0, Time: registry.HLCFromTime(time.Now()),
				Patch: registry.Patch{{Field: registry.FieldTemporaryAddress, Value: fmt.Sprintf("Số %d Đường Mậu Thân", seq%500)},
					{Field: registry.FieldTemporaryUntil, Value: "2027-12-31"}}}
		}
		t := time.Now()
		outs, err := cl.Push(ctx, cs)
		// As an edge's outbox does, a push that failed (an election on a
		// loaded machine) is sent again; a change that was committed after
		// all is answered duplicate. Its latency counts the wait.
		for err != nil && !errors.Is(err, client.ErrRefused) && time.Since(t) < pushRetryFor && ctx.Err() == nil {
			time.Sleep(100 * time.Millisecond)
			outs, err = cl.Push(ctx, cs)
		}
		if err != nil {
			return lat, sent, err
		}
		lat = append(lat, time.Since(t))
		for _, o := range outs {
			if o.Result == registry.Rejected {
				return lat, sent, fmt.Errorf("change %s rejected: %s", o.Change, o.Reason)
			}
		}
		sent += k
	}
	return lat, sent, nil
}

// benchSetup imports the benchmark's citizens (idempotent: the same IDs
// each run) and returns their IDs.
func benchSetup(ctx context.Context, city, pkiDir string, people, clients int) ([]string, error) {
	admin, err := adminCity(pkiDir, city)
	if err != nil {
		return nil, err
	}
	defer admin.Close()
	var body bytes.Buffer
	ids := benchIDs(people)
	for i := range ids {
		female := i%2 == 1
		year := 1950 + i%60
		c := &registry.Citizen{ID: ids[i]}
		c.Values[registry.FieldFullName] = fmt.Sprintf("Công Dân Thử %d", i)
		c.Values[registry.FieldBirthDate] = fmt.Sprintf("%04d-06-15", year)
		c.Values[registry.FieldSex] = map[bool]string{false: registry.SexMale, true: registry.SexFemale}[female]
		c.Values[registry.FieldCommune] = benchCommune
		b, _ := json.Marshal(c)
		body.Write(append(b, '\n'))
	}
	// The cluster may still be electing a leader: retry for a while.
	data := body.Bytes()
	deadline := time.Now().Add(30 * time.Second)
	for {
		_, err = admin.Import(ctx, bytes.NewReader(data))
		var se *client.StatusError
		if err == nil || time.Now().After(deadline) || !errors.As(err, &se) || se.Code != http.StatusServiceUnavailable {
			return ids, err
		}
		time.Sleep(500 * time.Millisecond)
	}
}

// benchIDs are the personal IDs of the benchmark's citizens.
func benchIDs(people int) []string {
	ids := make([]string, people)
	for i := range ids {
		ids[i] = registry.MakeID("092", 1950+i%60, i%2 == 1, 990000-i)
	}
	return ids
}

// assignBenchNodes lets the benchmark's edges act for its commune, under
// the officer account "bench" (made once, as city IT would).
func assignBenchNodes(ctx context.Context, city, pkiDir, run string, clients int) error {
	admin, err := adminCity(pkiDir, city)
	if err != nil {
		return err
	}
	defer admin.Close()
	if list, err := admin.Officers(ctx, benchCommune); err != nil {
		return err
	} else if !slices.ContainsFunc(list.Officers, func(o api.OfficerInfo) bool { return o.User == "bench" && !o.Disabled }) {
		ph, err := edge.HashPassword(rand.Text())
		if err != nil {
			return err
		}
		if _, err := admin.SetOfficer(ctx, api.OfficerRequest{Commune: benchCommune, User: "bench", Name: "Cán bộ đo tải",
			Role: registry.OfficerRole, Salt: ph.Salt, Hash: ph.Hash, Time: ph.Time, Memory: ph.Memory, Threads: ph.Threads}); err != nil {
			return err
		}
	}
	for c := 0; c < clients; c++ {
		if _, err := admin.Assign(ctx, fmt.Sprintf("%s-%d", run, c), []string{benchCommune}); err != nil {
			return err
		}
	}
	return nil
}
