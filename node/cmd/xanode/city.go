package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"time"

	"github.com/xanode/xanode/certs"
	"github.com/xanode/xanode/node"
	"github.com/xanode/xanode/reader/cardtool"
	"github.com/xanode/xanode/sync/cityapi"
	"github.com/xanode/xanode/sync/client"
)

func init() {
	commands["city"] = command{"run a city raft node, or load a population into the cluster (city import)", runCity}
}

func runCity(ctx context.Context, args []string) error {
	if len(args) > 0 {
		switch args[0] {
		case "import":
			return cityImport(ctx, args[1:])
		case "remove":
			return cityRemove(ctx, args[1:])
		case "compact":
			return cityCompact(args[1:])
		case "backup":
			return cityBackup(ctx, args[1:])
		case "restore":
			return cityRestore(args[1:])
		case "recover":
			return cityRecover(args[1:])
		}
	}
	fs := flag.NewFlagSet("city", flag.ContinueOnError)
	id := fs.String("id", "", "node ID (must have a certificate in the PKI: nodes/ID.crt)")
	dir := fs.String("data", "", "data folder for the raft log, snapshots and state")
	raftAddr := fs.String("raft", "127.0.0.1:7000", "raft transport address (mutual TLS)")
	apiAddr := fs.String("api", "127.0.0.1:7443", "HTTPS API address (mutual TLS)")
	raftAdv := fs.String("raft-advertise", "", "raft address other nodes dial, if not --raft (e.g. when --raft is 0.0.0.0:7000)")
	apiAdv := fs.String("api-advertise", "", "API host:port other nodes forward to, if not --api")
	pkiDir := fs.String("pki", "", "PKI folder made by 'xanode pki init'")
	bootstrap := fs.Bool("bootstrap", false, "form a new cluster with this node (first node only; a node restarted on its data folder needs neither this nor --join)")
	join := fs.String("join", "", "API URL of a cluster member to join, e.g. https://127.0.0.1:7443")
	heartbeat := fs.Duration("raft-heartbeat", 0, "raft heartbeat and election timeout (0: hashicorp/raft defaults)")
	edgeLife := fs.Duration("edge-cert-lifetime", certs.DefaultNodeLifetime, "lifetime of the edge certificates this node issues (renewed after 2/3)")
	flagAfter := fs.Duration("fleet-flag-after", cityapi.DefaultPolicy().FlagAfter, "an edge not seen this long is flagged")
	suspendAfter := fs.Duration("fleet-suspend-after", cityapi.DefaultPolicy().SuspendAfter, "an edge not seen this long is suspended (0: never)")
	qualityEvery := fs.Duration("quality-every", node.DefaultQualityEvery, "the leader re-checks every citizen with the data-quality rules this often (0: never; the first sweep turns the rules on)")
	edgeLimit := fs.Int("edge-limit", cityapi.DefaultEdgeLimit, "changes, and audit entries, one edge may send per hour, twice that at once after a time offline, and a twentieth of it in bundle requests; more are answered 429 and sent again later (0: no limit, for push benchmarks)")
	var cscas stringsFlag
	fs.Var(&cscas, "csca", "CSCA certificate `file` (PEM or DER), folder of them, or ICAO master list, to verify chips read at another commune's desk (proof of presence), besides the CSCA trust set city IT loads (xanode fleet csca add); repeatable")
	var mlSigners stringsFlag
	fs.Var(&mlSigners, "ml-signer", "certificate `file` (PEM or DER) of a master-list signer: a CSCA master list city IT uploads (xanode fleet csca add) must be signed by it or by a Master List Signer it issued; repeatable; none: master lists are refused")
	verbose := fs.Bool("v", false, "log at debug level")
	noGroup := fs.Bool("no-group-commit", false, "propose every push as its own raft entry, never grouped with others that arrive with it (run every node so while any node of the cluster runs a release from before group commit)")
	pprofAddr := fs.String("pprof", "", "serve Go's profiler (net/http/pprof) on this loopback `address`, e.g. 127.0.0.1:6060 (for benchmarks; empty: off)")
	if err := fs.Parse(args); err != nil {
		return errUsage
	}
	if os.Getenv("GOGC") == "" {
		// A city node's heap is small (the state is bbolt's mmap) and
		// churns with every change: letting it grow to 3× the live heap
		// rather than 2× runs the collector less often, and 5× (or no
		// limit but memory) made the cluster slower, its fresh pages
		// costing more than the collections saved (DESIGN.md,
		// "Performance budgets"). GOGC still overrides it.
		debug.SetGCPercent(200)
	}
	if *pprofAddr != "" {
		stop, err := servePprof(*pprofAddr)
		if err != nil {
			return err
		}
		defer stop()
	}
	if *id == "" || *dir == "" || *pkiDir == "" {
		fmt.Fprintln(os.Stderr, "xanode city: --id, --data and --pki are required")
		fs.Usage()
		return errUsage
	}
	// Only what this node needs: its own certificate, the CA certificates,
	// and the fleet CA and data-signing keys if the folder holds them.
	pki, err := certs.LoadNode(*pkiDir, *id)
	if err != nil {
		return err
	}
	cfg := node.CityConfig{ID: *id, Dir: *dir, RaftAddr: *raftAddr, APIAddr: *apiAddr, PKI: pki,
		RaftAdvertise: *raftAdv, APIAdvertise: *apiAdv,
		Bootstrap: *bootstrap, Join: strings.TrimRight(*join, "/"), Log: newLogger(*verbose),
		NodeLifetime: *edgeLife, Policy: cityapi.Policy{FlagAfter: *flagAfter, SuspendAfter: *suspendAfter},
		NoGroup: *noGroup, QualityEvery: *qualityEvery, EdgeLimit: *edgeLimit}
	if *edgeLimit <= 0 {
		cfg.EdgeLimit = -1 // CityConfig's zero is the default
	}
	if *qualityEvery == 0 {
		cfg.QualityEvery = -1 // CityConfig's zero is the default
	}
	if *heartbeat > 0 {
		cfg.Raft = node.RaftTimeouts(*heartbeat)
	}
	if cfg.CSCA, err = cardtool.LoadTrust(cscas); err != nil {
		return err
	}
	if cfg.MLSigners, err = loadCertificates(mlSigners); err != nil {
		return err
	}
	c, err := node.StartCity(ctx, cfg)
	if err != nil {
		return err
	}
	select {
	case <-ctx.Done():
	case err := <-waitErr(c.Wait):
		c.Close()
		return err
	}
	return c.Close()
}

func waitErr(f func() error) <-chan error {
	ch := make(chan error, 1)
	go func() { ch <- f() }()
	return ch
}

// adminPKI reads the admin certificate and the trust anchors from a PKI
// folder (no CA key is needed: see certs.LoadClient).
func adminPKI(dir string) (*certs.PKI, error) {
	p, err := certs.LoadClient(dir)
	if err != nil {
		return nil, err
	}
	if !p.HasAdmin() {
		return nil, fmt.Errorf("%s holds no admin certificate (%s): city IT's commands need it (xanode pki admin)", dir, certs.AdminCertFile)
	}
	if time.Now().After(p.Admin().Leaf.NotAfter) {
		return nil, fmt.Errorf("the admin certificate in %s expired on %s: issue a new one with xanode pki admin --pki DIR (it lives %v)",
			dir, p.Admin().Leaf.NotAfter.Format(time.DateOnly), certs.DefaultAdminLifetime)
	}
	return p, nil
}

// adminCity is city IT's client of the city API at city (a URL, or
// several separated by commas, tried in turn) with the PKI's admin
// certificate.
func adminCity(pkiDir, city string) (*client.Admin, error) {
	pki, err := adminPKI(pkiDir)
	if err != nil {
		return nil, err
	}
	return client.NewAdmin(strings.Split(city, ","), certs.ClientTLS(pki.Admin(), pki.RootPool()))
}

// printJSON prints an answer of the city as JSON on one line.
func printJSON(v any) {
	b, _ := json.Marshal(v)
	fmt.Printf("%s\n", b)
}

func cityImport(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("city import", flag.ContinueOnError)
	url := fs.String("city", "", "API URL of a city node")
	file := fs.String("file", "", "population file from 'xanode gen' (JSON Lines)")
	pkiDir := fs.String("pki", "", "PKI folder holding the admin certificate")
	if err := fs.Parse(args); err != nil {
		return errUsage
	}
	if *url == "" || *file == "" || *pkiDir == "" {
		fmt.Fprintln(os.Stderr, "xanode city import: --city, --file and --pki are required")
		return errUsage
	}
	f, err := os.Open(*file)
	if err != nil {
		return err
	}
	defer f.Close()
	city, err := adminCity(*pkiDir, *url)
	if err != nil {
		return err
	}
	defer city.Close()
	start := time.Now()
	var size int64
	if st, err := f.Stat(); err == nil {
		size = st.Size()
	}
	pr := &progressReader{r: f, total: size, w: os.Stderr, every: 2 * time.Second, start: start}
	res, err := city.Import(ctx, pr)
	pr.finish()
	if err != nil {
		return err
	}
	b, _ := json.Marshal(res)
	fmt.Printf("%s in %s\n", b, time.Since(start).Round(time.Millisecond))
	return nil
}

func cityRemove(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("city remove", flag.ContinueOnError)
	url := fs.String("city", "", "API URL of the leader (another node answers with the leader's ID)")
	pkiDir := fs.String("pki", "", "PKI folder holding the admin certificate")
	id := fs.String("id", "", "node to take out of the cluster")
	if err := fs.Parse(args); err != nil || *url == "" || *pkiDir == "" || *id == "" {
		fmt.Fprintln(os.Stderr, "usage: xanode city remove --city URL --pki DIR --id NODE")
		return errUsage
	}
	city, err := adminCity(*pkiDir, *url)
	if err != nil {
		return err
	}
	defer city.Close()
	res, err := city.RemoveNode(ctx, *id)
	if err != nil {
		return err
	}
	printJSON(res)
	return nil
}

// cityCompact rewrites a stopped node's bbolt files without their free
// pages. bbolt reuses freed pages but never shrinks a file; after the raft
// log was truncated by snapshots, or many records were removed, this gives
// the space back. The node must be stopped (bbolt holds a file lock).
func cityCompact(args []string) error {
	fs := flag.NewFlagSet("city compact", flag.ContinueOnError)
	dir := fs.String("data", "", "the stopped node's data folder")
	if err := fs.Parse(args); err != nil || *dir == "" {
		fmt.Fprintln(os.Stderr, "usage: xanode city compact --data DIR   (with the node stopped)")
		return errUsage
	}
	for _, name := range []string{"raft.db", "fsm.db"} {
		if _, err := os.Stat(filepath.Join(*dir, name)); name == "raft.db" && errors.Is(err, os.ErrNotExist) {
			continue // the raft log is a WAL (wal/): append-only segments, nothing to compact
		}
		before, after, err := node.CompactBolt(filepath.Join(*dir, name))
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		fmt.Printf("%s: %d → %d bytes\n", name, before, after)
	}
	return nil
}
