package node

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	gosync "sync"
	"time"

	"github.com/hashicorp/raft"

	"github.com/xanode/xanode/certs"
	"github.com/xanode/xanode/reader/trust"
	"github.com/xanode/xanode/sync/api"
	"github.com/xanode/xanode/sync/cityapi"
	"github.com/xanode/xanode/sync/client"
	"github.com/xanode/xanode/sync/cluster"
	"github.com/xanode/xanode/sync/fsm"
	"github.com/xanode/xanode/sync/metrics"
)

// CityConfig configures one city node.
type CityConfig struct {
	ID       string
	Dir      string
	RaftAddr string // listen address of the raft transport
	APIAddr  string // listen address of the HTTPS API
	// RaftAdvertise and APIAdvertise are the addresses other nodes dial,
	// when they differ from the listen addresses (0.0.0.0, NAT, containers);
	// empty: the listen address. They must be in the node's certificate.
	RaftAdvertise, APIAdvertise string
	PKI                         *certs.PKI
	// Bootstrap forms a new cluster; Join asks a member to add this node.
	// A node restarted on its data folder needs neither: it is a member
	// already (at most one of them is given).
	Bootstrap bool
	Join      string       // API URL of a cluster member to join; "" with Bootstrap
	Raft      *raft.Config // nil: production timeouts
	FSM       fsm.Config   // zero (no province): fsm.DefaultConfig()
	// NodeLifetime of the edge certificates this node issues (0: 30 days).
	NodeLifetime time.Duration
	// Policy for edges not seen for a while (zero: cityapi.DefaultPolicy).
	Policy cityapi.Policy
	// EdgeLimit is how many changes and audit entries one edge may send
	// per hour (cityapi.Config.EdgeLimit); zero: cityapi.DefaultEdgeLimit;
	// negative: no limit.
	EdgeLimit int
	// QualityEvery spaces the leader's data-quality sweeps over the whole
	// city (qualitysweep.go); zero: DefaultQualityEvery; negative: none.
	QualityEvery time.Duration
	// CSCA holds this node's own CSCA files (--csca). Proofs of presence
	// (chips read at another commune's desk) are verified with them and
	// the CSCA trust set in raft; nil: the trust set alone.
	CSCA *trust.Store
	// MLSigners are the master-list signers (--ml-signer): a master list
	// city IT uploads must be signed by one of them or by a Master List
	// Signer one of them issued; none: master lists are refused.
	MLSigners []*trust.Certificate
	Log       *slog.Logger
	RaftLog   io.Writer
	// NoGroup proposes every push as its own raft entry (no group commit,
	// cluster.Config.NoGroup): while any node of the cluster runs a
	// release that does not read grouped entries.
	NoGroup bool
}

// City is a running city node.
type City struct {
	cfg     CityConfig
	node    *cluster.Node
	api     *http.Server
	apiLn   net.Listener
	url     string // advertised API base URL
	log     *slog.Logger
	streams *cityStreams
	served  chan error
	stop    chan struct{} // closed by Close: ends the background loops
	loops   gosync.WaitGroup
	closed  gosync.Once
}

// StartCity starts raft and the API. It returns once both listen; joining
// an existing cluster continues in the background until it succeeds or
// ctx ends.
func StartCity(ctx context.Context, cfg CityConfig) (*City, error) {
	if cfg.PKI == nil {
		return nil, errors.New("city: a PKI is required (xanode pki init --out DIR)")
	}
	switch member := cluster.HasState(cfg.Dir); {
	case cfg.Bootstrap && cfg.Join != "":
		return nil, errors.New("city: give --bootstrap or --join URL, not both")
	case !cfg.Bootstrap && cfg.Join == "" && !member:
		return nil, fmt.Errorf("city: %s holds no raft state: give --bootstrap to form a new cluster or --join URL to join one", cfg.Dir)
	}
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	if cfg.FSM.Province == "" {
		cfg.FSM = fsm.DefaultConfig()
	}
	cert, err := cfg.PKI.Node(cfg.ID)
	if err != nil {
		return nil, fmt.Errorf("city: no certificate for node %q in %s: %w", cfg.ID, cfg.PKI.Dir, err)
	}
	server := certs.ServerTLS(cert, cfg.PKI.NodePool(), nil)
	client := certs.ClientTLS(cert, cfg.PKI.RootPool())

	raftLn, err := net.Listen("tcp", cfg.RaftAddr)
	if err != nil {
		return nil, fmt.Errorf("city: raft listen %s: %w", cfg.RaftAddr, err)
	}
	var advertise net.Addr
	if cfg.RaftAdvertise != "" {
		a, err := net.ResolveTCPAddr("tcp", cfg.RaftAdvertise)
		if err != nil {
			raftLn.Close()
			return nil, fmt.Errorf("city: --raft-advertise %q: %w", cfg.RaftAdvertise, err)
		}
		advertise = a
	}
	reg := metrics.New()
	node, err := cluster.Open(cluster.Config{
		ID: cfg.ID, Dir: cfg.Dir, Listener: raftLn, Advertise: advertise, ServerTLS: server, ClientTLS: client,
		Bootstrap: cfg.Bootstrap, Raft: cfg.Raft, FSM: cfg.FSM, Logger: cfg.Log, LogOutput: cfg.RaftLog, Metrics: reg, NoGroup: cfg.NoGroup,
	})
	if err != nil {
		raftLn.Close()
		return nil, err
	}
	apiLn, err := net.Listen("tcp", cfg.APIAddr)
	if err != nil {
		node.Close()
		return nil, fmt.Errorf("city: API listen %s: %w", cfg.APIAddr, err)
	}
	// Requests forwarded to the leader refuse a leader whose certificate
	// the fleet CA revoked, as the raft port does.
	client = certs.CityClientTLS(cert, cfg.PKI.RootPool(), func(c *x509.Certificate) error {
		return node.FSM().CheckCert(certs.Serial(c))
	})
	key, signer := cfg.PKI.DataSigner()
	url := "https://" + apiLn.Addr().String()
	if cfg.APIAdvertise != "" {
		url = "https://" + cfg.APIAdvertise
	}
	streams := newCityStreams(node.FSM(), cfg.Log)
	csca := &cityTrust{fsm: node.FSM(), local: cfg.CSCA, signers: cfg.MLSigners, log: cfg.Log}
	local := 0
	if cfg.CSCA != nil {
		local = cfg.CSCA.Len()
	}
	cfg.Log.Info("proofs of presence are verified against the CSCA trust set in raft and this node's --csca files", "local_cscas", local, "ml_signers", len(cfg.MLSigners))
	if len(cfg.MLSigners) == 0 {
		cfg.Log.Warn("no master-list signer (--ml-signer): this node refuses CSCA master lists city IT uploads (xanode fleet csca add)")
	}
	var issuer cityapi.Issuer // nil unless this node holds the fleet CA key
	if cfg.PKI.CanIssue() {
		issuer = cfg.PKI
	}
	api := cityapi.New(cityapi.Config{Cluster: node, SigningKey: key, SigningCert: signer, Log: cfg.Log, FleetCA: cfg.PKI.Fleet,
		PeerTLS: client, URL: url, BundleDir: filepath.Join(cfg.Dir, "bundles"),
		Issuer: issuer, NodeLifetime: cfg.NodeLifetime, Policy: cfg.Policy, Streams: streams.hub,
		Presence: presenceVerifier{store: csca.Store}, Trust: csca, Metrics: reg, EdgeLimit: cfg.EdgeLimit})
	streams.start(api)
	c := &City{cfg: cfg, node: node, apiLn: apiLn, streams: streams, url: url, log: cfg.Log, served: make(chan error, 1), stop: make(chan struct{}),
		api: &http.Server{Handler: api, TLSConfig: certs.APIServerTLS(cert, cfg.PKI.NodePool(), api.CheckPeer),
			ReadHeaderTimeout: 10 * time.Second, ErrorLog: slog.NewLogLogger(cfg.Log.Handler(), slog.LevelWarn)}}
	go func() { c.served <- c.api.ServeTLS(apiLn, "", "") }()
	c.loops.Add(3)
	go func() { defer c.loops.Done(); c.registerLoop(api) }()
	go func() { defer c.loops.Done(); c.qualityLoop() }()
	go func() { defer c.loops.Done(); c.levelLoop(api) }()
	if cfg.Join != "" {
		c.loops.Add(1)
		go func() { defer c.loops.Done(); c.joinLoop(client) }()
	}
	cfg.Log.Info("city node started", "node", cfg.ID, "raft", node.RaftAddr(), "api", c.URL())
	return c, nil
}

// URL is the node's API base URL, as other nodes and edges reach it.
func (c *City) URL() string { return c.url }

// Node gives the raft node (for in-process use by the demo and tests).
func (c *City) Node() *cluster.Node { return c.node }

// sweepEvery spaces the leader's not-seen policy sweeps.
const sweepEvery = time.Minute

// registerEvery spaces the leader's checks of its entry in the peer
// table (a read of the state; a write only when it is missing or wrong).
const registerEvery = 200 * time.Millisecond

// levelEvery spaces the leader's attempts to raise the cluster's feature
// level (DESIGN.md, "Conflict resolution": feature levels): a read of the
// state once the level is this release's, a question to each voter while
// one is behind.
const levelEvery = time.Second

// levelLoop raises the cluster's feature level while this node leads, as
// soon as every voter's release implements it.
func (c *City) levelLoop(api *cityapi.Server) {
	t := time.NewTicker(levelEvery)
	defer t.Stop()
	for {
		if c.node.IsLeader() {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			if _, err := api.RaiseLevel(ctx); err != nil {
				c.log.Warn("raising the feature level failed", "err", err)
			}
			cancel()
		}
		select {
		case <-c.stop:
			return
		case <-t.C:
		}
	}
}

// registerLoop keeps this node's API URL in the replicated peer table
// while it leads, so that followers can forward requests to it: checked
// every registerEvery, so that a new leader is reachable soon after its
// election. It also applies the fleet's not-seen policy every sweepEvery.
func (c *City) registerLoop(api *cityapi.Server) {
	var swept time.Time
	t := time.NewTicker(registerEvery)
	defer t.Stop()
	for {
		if c.node.IsLeader() {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			if err := api.Register(ctx); err != nil {
				c.log.Warn("registering the API URL failed", "err", err)
			}
			if time.Since(swept) >= sweepEvery {
				if err := api.Sweep(ctx); err != nil {
					c.log.Warn("fleet policy sweep failed", "err", err)
				}
				swept = time.Now()
			}
			cancel()
		}
		select {
		case <-c.stop:
			return
		case <-t.C:
		}
	}
}

// joinLoop asks a cluster member to add this node, until it succeeds.
func (c *City) joinLoop(tlsConfig *tls.Config) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		select {
		case <-c.stop:
			cancel()
		case <-ctx.Done():
		}
	}()
	// A restarted member is already in the configuration it kept: raft
	// reconnects it; asking to join again is needed only if its address
	// changed.
	if servers, err := c.node.Servers(); err == nil {
		for _, s := range servers {
			if string(s.ID) == c.cfg.ID && string(s.Address) == c.node.RaftAddr() {
				c.log.Info("already a cluster member", "node", c.cfg.ID)
				return
			}
		}
	}
	city, err := client.New([]string{c.cfg.Join}, tlsConfig)
	if err != nil {
		c.log.Error("cannot join", "via", c.cfg.Join, "err", err)
		return
	}
	defer city.Close()
	req := api.JoinRequest{ID: c.cfg.ID, RaftAddr: c.node.RaftAddr(), APIURL: c.URL()}
	for wait := 200 * time.Millisecond; ; wait = min(2*wait, 5*time.Second) {
		err := city.Join(ctx, req)
		if err == nil {
			c.log.Info("joined the cluster", "via", c.cfg.Join)
			return
		}
		c.log.Warn("join failed, retrying", "via", c.cfg.Join, "err", err, "retry_in", wait)
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
	}
}

// Wait blocks until the API server stops.
func (c *City) Wait() error { return <-c.served }

// Close stops accepting requests, lets running ones finish briefly, then
// stops raft and closes the stores: in that order, so no request is cut
// off mid-commit by a closed store. Safe to call twice.
func (c *City) Close() error {
	var err error
	c.closed.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		// Websockets are hijacked connections: Shutdown would not wait
		// for them, so they are closed first.
		err = c.streams.Close()
		err = errors.Join(err, c.api.Shutdown(ctx))
		close(c.stop)
		c.loops.Wait()
		err = errors.Join(err, c.node.Close())
	})
	return err
}

// RaftTimeouts returns raft's defaults with heartbeat, election and leader
// lease timeouts set to d (tests and loopback clusters use tens of ms).
func RaftTimeouts(d time.Duration) *raft.Config {
	c := cluster.DefaultRaftConfig()
	c.HeartbeatTimeout, c.ElectionTimeout, c.LeaderLeaseTimeout = d, d, d
	c.CommitTimeout = min(c.CommitTimeout, d/10)
	return c
}
