package node

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	gosync "sync"
	"time"

	"github.com/xanode/xanode/certs"
	"github.com/xanode/xanode/node/edge"
	"github.com/xanode/xanode/node/registry"
	"github.com/xanode/xanode/sync/client"
	"github.com/xanode/xanode/sync/metrics"
	"github.com/xanode/xanode/sync/stream"
)

// Files of an edge's data folder.
const (
	edgeDB       = "edge.db"
	edgeCertFile = "edge.crt" // node certificate followed by the fleet CA
	edgeKeyFile  = "edge.key" // its key, mode 0600
	edgeRootFile = "root.crt" // the city root: the edge's trust anchor
	edgeIDFile   = "identity.json"
)

// EdgeIdentity is what an edge knows about itself, kept in identity.json.
type EdgeIdentity struct {
	Node    string   `json:"node"`
	Commune string   `json:"commune"`
	City    []string `json:"city"` // city API base URLs
	// NextSeq is the first change sequence number the node may use, given
	// at enrollment (a re-imaged box continues above the old one's).
	NextSeq uint64 `json:"next_seq,omitempty"`
}

// EdgeConfig configures an edge node.
type EdgeConfig struct {
	Dir    string
	Listen string   // officer UI and status address
	City   []string // overrides identity.json when set
	// Handler builds the officer UI once the edge runs; nil serves the
	// status endpoints only.
	Handler func(n *Edge) (http.Handler, error)
	// PushEvery and PullEvery tune the sync loops (0: defaults).
	PushEvery, PullEvery time.Duration
	// TelemetryEvery spaces the health reports sent to the city over the
	// stream (0: 30 s).
	TelemetryEvery time.Duration
	// FleetEvery spaces the checks of the certificate's age and of the
	// commune assignment (0: 10 minutes); a notification from the city
	// makes one at once.
	FleetEvery time.Duration
	Log        *slog.Logger
	// InsecureHTTP lets the officer UI be served over plain HTTP on an
	// address beyond loopback (a box without a UI certificate); every page
	// then warns. Without it such a Listen is refused (ErrInsecureListen).
	InsecureHTTP bool
	// UIHosts are names the officer UI is reached by besides loopback,
	// the Listen host and the UI certificate's names; requests naming any
	// other Host are refused (DNS rebinding).
	UIHosts []string
	// Login tunes the officer UI's login limits (zero: webui's defaults).
	Login LoginPolicy
	// CSCA is the trust store the card reader checks chips with; the
	// edge installs the city's signed trust list into it (nil: the edge
	// keeps one of its own, which no reader uses).
	CSCA *CSCATrust
}

// Edge is a running edge node.
type Edge struct {
	Edge   *edge.Edge
	Store  *edge.Store
	ID     EdgeIdentity
	events *hub
	log    *slog.Logger
	ln     net.Listener
	http   *http.Server
	city   *client.Client
	cancel context.CancelFunc
	done   chan struct{}

	dir        string
	cred       *credential
	roots      *x509.CertPool
	fleetNow   chan struct{}
	fleetEvery time.Duration
	metrics    *metrics.Registry
	reads      metrics.Counter
	dialer     *stream.Dialer
	idMu       gosync.Mutex // guards ID.Commune and identity.json
	login      LoginPolicy
	insecure   bool            // plain HTTP beyond loopback: the UI warns on every page
	clock      *edge.CityClock // never earlier than the latest city time seen
	trust      *edgeTrust      // the city's CSCA trust list (edgetrust.go)
}

// WriteEdgeCredentials stores an issued certificate, its key, the city root
// and the identity in an edge's data folder.
func WriteEdgeCredentials(dir string, cred *certs.Credential, rootPEM []byte, id EdgeIdentity) error {
	return WriteEdgeFiles(dir, cred.CertPEM, cred.KeyPEM, rootPEM, &id)
}

func loadEdgeCredentials(dir string) (tls.Certificate, *x509.CertPool, EdgeIdentity, error) {
	var id EdgeIdentity
	cert, err := loadPair(dir, edgeCertFile, edgeKeyFile)
	if err != nil {
		return cert, nil, id, fmt.Errorf("edge: certificate in %s: %w (enroll the node first)", dir, err)
	}
	rootPEM, err := os.ReadFile(filepath.Join(dir, edgeRootFile))
	if err != nil {
		return cert, nil, id, fmt.Errorf("edge: trust anchor: %w", err)
	}
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM(rootPEM) {
		return cert, nil, id, fmt.Errorf("edge: %s holds no certificate", edgeRootFile)
	}
	b, err := os.ReadFile(filepath.Join(dir, edgeIDFile))
	if err != nil {
		return cert, nil, id, fmt.Errorf("edge: identity: %w", err)
	}
	if err := json.Unmarshal(b, &id); err != nil {
		return cert, nil, id, fmt.Errorf("edge: %s: %w", edgeIDFile, err)
	}
	leaf, err := x509.ParseCertificate(cert.Certificate[0])
	if err != nil {
		return cert, nil, id, err
	}
	node, role, err := certs.NodeIdentity(leaf)
	if err != nil || role != certs.RoleEdge || node != id.Node {
		return cert, nil, id, fmt.Errorf("edge: certificate is for %s %q, identity says edge %q: %v", role, node, id.Node, err)
	}
	return cert, roots, id, nil
}

// StartEdge opens the store, starts the sync loops and serves the UI.
func StartEdge(ctx context.Context, cfg EdgeConfig) (*Edge, error) {
	log := cfg.Log
	if log == nil {
		log = slog.Default()
	}
	cert, roots, id, err := loadEdgeCredentials(cfg.Dir)
	if err != nil {
		return nil, err
	}
	clock := edge.NewCityClock(time.Now, log)
	if len(cfg.City) > 0 {
		id.City = cfg.City
	}
	ui, err := loadUI(cfg.Dir)
	if err != nil {
		return nil, err
	}
	if err := checkListen(cfg.Listen, ui != nil, cfg.InsecureHTTP); err != nil {
		return nil, err
	}
	cred := &credential{cert: cert, ui: ui}
	// The city's certificate is checked on the local clock, not on the
	// edge's time: the city's answers are what corrects a time floor
	// pushed too far ahead, so a wrong floor must never cut the box off.
	city, err := client.New(id.City, cred.clientTLS(roots))
	if err != nil {
		return nil, err
	}
	city.OnCityTime(clock.CityTime)
	store, err := edge.OpenStore(filepath.Join(cfg.Dir, edgeDB))
	if err != nil {
		return nil, err
	}
	if err := clock.Load(store); err != nil {
		store.Close()
		return nil, err
	}
	if clock.Now().After(cert.Leaf.NotAfter) {
		log.Error("the node certificate has expired: the city will refuse this node until it enrolls again; "+
			"ask city IT for a token (xanode fleet token --commune C --node N), then run "+
			"`xanode edge enroll --data DIR --city URL --token TOKEN` (the outbox and data are kept)",
			"node", id.Node, "expired", cert.Leaf.NotAfter)
	}
	if err := store.AdvanceSeq(id.NextSeq); err != nil {
		store.Close()
		return nil, err
	}
	events := newHub()
	progress := newProgress(events, log)
	im := &edge.Importer{Store: store, Roots: roots, Now: clock.Now, Progress: progress}
	imported := func(ctx context.Context, data []byte) (edge.SubsetInfo, error) {
		info, err := im.Import(ctx, data)
		if err == nil {
			clock.AtLeast(info.Created)
		}
		return info, err
	}
	e, err := edge.New(edge.Config{Node: id.Node, Commune: id.Commune, Store: store, City: city,
		Import: imported, PushEvery: cfg.PushEvery, PullEvery: cfg.PullEvery, Log: log, Notify: events.publish,
		Progress: progress, Now: clock.Now, Clock: registry.NewClock(clock.Now)})
	if err != nil {
		store.Close()
		return nil, err
	}
	n := &Edge{Edge: e, Store: store, ID: id, events: events, log: log, city: city, done: make(chan struct{}),
		dir: cfg.Dir, cred: cred, roots: roots, fleetNow: make(chan struct{}, 1), fleetEvery: cfg.FleetEvery,
		login: cfg.Login, insecure: ui == nil && !loopbackListen(cfg.Listen), clock: clock}
	if n.fleetEvery == 0 {
		n.fleetEvery = 10 * time.Minute
	}
	n.trust = newEdgeTrust(cfg.CSCA, city, roots, cfg.Dir, cfg.PullEvery, clock.Now, log)
	mux := http.NewServeMux()
	n.initMetrics()
	n.statusRoutes(mux)
	if cfg.Handler != nil {
		h, err := cfg.Handler(n)
		if err != nil {
			store.Close()
			return nil, err
		}
		mux.Handle("/", h)
	}
	// The stream to the city: notifications in, telemetry out.
	dialer, err := stream.NewDialer(stream.DialerConfig{URLs: id.City, TLS: cred.clientTLS(roots), Log: log,
		Telemetry: n.telemetry, TelemetryEvery: cfg.TelemetryEvery, OnMessage: n.onMessage})
	if err != nil {
		store.Close()
		return nil, err
	}
	n.dialer = dialer
	if n.ln, err = net.Listen("tcp", cfg.Listen); err != nil {
		store.Close()
		return nil, fmt.Errorf("edge: listen %s: %w", cfg.Listen, err)
	}
	guard := &hostGuard{next: mux, names: hostNames(cfg.Listen, cfg.UIHosts), ui: cred.getUI}
	n.http = &http.Server{Handler: guard, ReadHeaderTimeout: 10 * time.Second,
		ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn)}
	runCtx, cancel := context.WithCancel(ctx)
	n.cancel = cancel
	var loops gosync.WaitGroup
	loops.Add(5)
	go func() { defer loops.Done(); e.Run(runCtx) }()
	go func() { defer loops.Done(); clock.Run(runCtx) }()
	go func() { defer loops.Done(); n.trust.run(runCtx) }()
	go func() { defer loops.Done(); n.fleetLoop(runCtx) }()
	go func() { defer loops.Done(); dialer.Run(runCtx) }()
	go func() { loops.Wait(); close(n.done) }()
	if ui != nil {
		n.http.TLSConfig = cred.serverTLS()
		go n.http.ServeTLS(n.ln, "", "")
	} else {
		go n.http.Serve(n.ln)
	}
	log.Info("edge node started", "node", id.Node, "commune", id.Commune, "city", strings.Join(id.City, ","), "ui", n.URL())
	return n, nil
}

// URL is the officer UI's base URL: https when the edge has a UI
// certificate (enrolled with --ui-host), http otherwise (the demo, a box
// serving loopback only). A listener on every address is named by
// loopback, which works from the box itself.
func (n *Edge) URL() string {
	addr := n.ln.Addr().(*net.TCPAddr)
	host := addr.IP.String()
	if addr.IP.IsUnspecified() {
		host = "127.0.0.1"
	}
	hostport := net.JoinHostPort(host, strconv.Itoa(addr.Port))
	if n.Secure() {
		return "https://" + hostport
	}
	return "http://" + hostport
}

// Secure reports whether the officer UI is served over TLS.
func (n *Edge) Secure() bool { return n.cred.getUI() != nil }

// Close stops the UI first (no new actions), then the sync loops, then the
// store, so no action is accepted that could not be stored.
func (n *Edge) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err := n.http.Shutdown(ctx)
	n.cancel()
	<-n.done
	n.city.Close()
	return errors.Join(err, n.Store.Close())
}

// EdgeStatus is the JSON of GET /v1/status on an edge.
type EdgeStatus struct {
	NodeID        string    `json:"node_id"`
	Communes      []string  `json:"communes"`
	SubsetVersion uint64    `json:"subset_version"`
	Citizens      uint64    `json:"citizens"`
	StateDigest   string    `json:"state_digest"`
	Outbox        int       `json:"outbox"`
	OldestPending time.Time `json:"oldest_pending,omitzero"`
	LastSynced    time.Time `json:"last_synced,omitzero"`
	Stale         bool      `json:"stale"`
	Frozen        bool      `json:"frozen"`
	FreezesAt     time.Time `json:"freezes_at,omitzero"`
	Expires       time.Time `json:"expires,omitzero"`
	LastError     string    `json:"last_error,omitempty"`
	Transfer      *Transfer `json:"transfer,omitempty"`
	// Time is the edge's time, by which Stale and Frozen (no lookups,
	// searches or identifications) are decided: its clock, never earlier
	// than the latest city time it has seen.
	Time         time.Time `json:"time"`
	TrustVersion uint64    `json:"trust_version"` // of the city's CSCA trust list installed (0: none)
}

// Transfer is a download or import under way, in EdgeStatus.
type Transfer struct {
	Phase       string  `json:"phase"` // download (bytes) or import (records)
	Done        int64   `json:"done"`
	Total       int64   `json:"total,omitempty"`
	LeftSeconds float64 `json:"left_seconds,omitempty"`
}

func (n *Edge) statusRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "ok\n") })
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, _ *http.Request) {
		if _, err := n.Store.Subset(); err != nil {
			http.Error(w, "no verified subset yet", http.StatusServiceUnavailable)
			return
		}
		io.WriteString(w, "ready\n")
	})
	mux.HandleFunc("GET /v1/status", func(w http.ResponseWriter, _ *http.Request) {
		st, err := n.Edge.Status()
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(EdgeStatus{
			NodeID: st.Node, Communes: []string{st.Commune}, SubsetVersion: st.Subset.Version,
			Citizens: st.Subset.Count, StateDigest: hex.EncodeToString(st.Subset.Digest[:]),
			Outbox: st.Queue.Pending, OldestPending: st.Queue.Oldest, LastSynced: st.Queue.LastSynced,
			Stale: st.Stale, Frozen: st.Frozen, FreezesAt: st.FreezesAt, Time: st.CheckedAt.UTC(), Expires: st.Subset.Expires, LastError: st.LastError,
			Transfer: transferOf(n.Edge.Progress()), TrustVersion: n.trust.csca.Version(),
		})
	})
	mux.HandleFunc("GET /metrics", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; version=0.0.4")
		n.metrics.WriteTo(w)
	})
}
