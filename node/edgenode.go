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
	"github.com/xanode/xanode/node/vault"
	"github.com/xanode/xanode/sync/client"
	"github.com/xanode/xanode/sync/metrics"
	"github.com/xanode/xanode/sync/stream"
)

// Files of an edge's data folder.
const (
	edgeDB        = "edge.db"
	edgeCertFile  = "edge.crt"        // node certificate followed by the fleet CA
	edgeKeyFile   = "edge.key"        // its key in the clear: only before the folder is converted (vault)
	edgeSealedKey = "edge.key.sealed" // its key, sealed to the box key (vault.Seal)
	edgeRootFile  = "root.crt"        // the city root: the edge's trust anchor
	edgeIDFile    = "identity.json"
	edgeRevoked   = "revoked.json" // why the box locked itself for good (no secret)
	edgeURLFile   = "ui.url"       // where the running edge serves, for `xanode edge backup`
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
	// status endpoints only. It is built while the edge may still be
	// locked (see Edge.Locked).
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
	// TPM, when set, seals a key slot to the box's TPM and opens it at
	// start (xanode edge --tpm). nil: no TPM slot is made or used.
	TPM vault.TPM
	// KeepSlotsOnRevoke keeps the key slots when the city revokes the box
	// (to investigate a box revoked by mistake); the box still locks.
	KeepSlotsOnRevoke bool
	// UnlockEvery bounds the wait between a locked box's requests to the
	// city for its slot secret (0: 1 minute).
	UnlockEvery time.Duration
	Log         *slog.Logger
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
	// Units maps the administrative units before the reform of 1 July
	// 2025 to those in force (xanode edge --unit-map, LoadUnitMap), so
	// that an old address on a card is the same place as the record's;
	// nil: addresses compare as text.
	Units *registry.UnitMap
}

// Edge is a running edge node. It starts locked unless a key slot opens
// at once (the city's, the TPM's, or the old key file of a folder being
// converted); while locked it serves the login page, the probes and
// metrics without personal data, and asks the city for its slot secret.
type Edge struct {
	ID     EdgeIdentity
	events *hub
	log    *slog.Logger
	ln     net.Listener
	http   *http.Server
	cfg    EdgeConfig
	runCtx context.Context
	cancel context.CancelFunc
	done   chan struct{} // closed when the key loop has stopped

	dir        string
	cred       *credential
	roots      *x509.CertPool
	certPEM    []byte // edge.crt as read at start (its key is sealed)
	fleetNow   chan struct{}
	fleetEvery time.Duration
	metrics    *metrics.Registry
	reads      metrics.Counter
	idMu       gosync.Mutex // guards ID.Commune and identity.json

	vault   *vault.Vault
	keyNow  chan keyEvent // to the key loop: revocation suspected or named, escrow wanted
	openMu  gosync.Mutex  // one unlock or lock at a time
	mu      gosync.Mutex  // guards live and lock
	live    *liveEdge     // nil while locked
	lock    LockState
	escrow  bool // the city holds no secret for the city slot: make and escrow one
	closing bool
	// investigating: an officer opened a revoked box kept with
	// KeepSlotsOnRevoke; the city's refusals do not lock it again.
	investigating  bool
	revokedAtStart bool   // revoked.json was there at start
	rekeyFor       string // why the store waits to be rewritten under a new key ("": it does not)

	login    LoginPolicy
	insecure bool // plain HTTP beyond loopback: the UI warns on every page
	// clock is the edge's time, never earlier than the latest city time
	// seen. It lives with the node, not with the store: locked, it keeps
	// counting in memory (and hears the city's unlock answers); each time
	// the store opens it takes the floor saved there, if later, and saves
	// to it while the store is open.
	clock *edge.CityClock
	hlc   *registry.Clock // action times of changes, over clock; kept across locks like it
	trust *edgeTrust      // the city's CSCA trust list (edgetrust.go)
	crl   *edgeCRL        // the fleet CA's revocation list: revoked city nodes are refused (edgecrl.go)
}

// liveEdge is what runs while the edge is unlocked.
type liveEdge struct {
	edge   *edge.Edge
	store  *edge.Store
	city   *client.Client
	dialer *stream.Dialer
	clock  *edge.CityClock // the node's; saves to store while this runs
	cancel context.CancelFunc
	done   chan struct{}
}

// stop ends the loops (the clock saves its floor once more), then closes
// the connections and the store. The clock keeps its floor in memory.
func (l *liveEdge) stop() error {
	l.cancel()
	<-l.done
	l.clock.Unload(l.store)
	l.city.Close()
	return l.store.Close()
}

// LockState says why an edge is locked (zero: unlocked).
type LockState struct {
	Kind   string    // LockLocked, LockRevoked or LockSuspended
	Reason string    // the city's reason, for revoked and suspended
	Since  time.Time // when it locked
}

// Lock kinds.
const (
	LockLocked    = "locked"    // no key slot opened yet
	LockRevoked   = "revoked"   // the city revoked the box: locked for good
	LockSuspended = "suspended" // the city suspended the box; an officer's login still opens it
)

// ErrLocked is returned by what needs the store while the edge is locked.
var ErrLocked = errors.New("edge: locked: the data key is not open (an officer with a key slot logs in, or the city unlocks the box)")

// WriteEdgeCredentials stores an issued certificate, its key, the city root
// and the identity in an edge's data folder, the key in the clear as
// before key slots: the edge converts the folder at its first start.
func WriteEdgeCredentials(dir string, cred *certs.Credential, rootPEM []byte, id EdgeIdentity) error {
	if err := WriteEdgeFiles(dir, cred.CertPEM, nil, rootPEM, &id); err != nil {
		return err
	}
	return installFiles(dir, []edgeFile{{edgeKeyFile, cred.KeyPEM, 0o600}})
}

// loadEdgeIdentity reads what the edge knows without its key: the
// certificate, the city root and identity.json, and checks that they
// agree.
func loadEdgeIdentity(dir string) (certPEM []byte, leaf *x509.Certificate, roots *x509.CertPool, id EdgeIdentity, err error) {
	certPath := filepath.Join(dir, edgeCertFile)
	if certPEM, err = os.ReadFile(certPath); err != nil {
		return nil, nil, nil, id, fmt.Errorf("edge: certificate in %s: %w (enroll the node first)", dir, err)
	}
	chain, err := certs.ParseChainPEM(certPEM)
	if err != nil || len(chain) == 0 {
		return nil, nil, nil, id, fmt.Errorf("edge: %s: %v", certPath, err)
	}
	leaf = chain[0]
	rootPEM, err := os.ReadFile(filepath.Join(dir, edgeRootFile))
	if err != nil {
		return nil, nil, nil, id, fmt.Errorf("edge: trust anchor: %w", err)
	}
	roots = x509.NewCertPool()
	if !roots.AppendCertsFromPEM(rootPEM) {
		return nil, nil, nil, id, fmt.Errorf("edge: %s holds no certificate", edgeRootFile)
	}
	b, err := os.ReadFile(filepath.Join(dir, edgeIDFile))
	if err != nil {
		return nil, nil, nil, id, fmt.Errorf("edge: identity: %w", err)
	}
	if err := json.Unmarshal(b, &id); err != nil {
		return nil, nil, nil, id, fmt.Errorf("edge: %s: %w", edgeIDFile, err)
	}
	node, role, err := certs.NodeIdentity(leaf)
	if err != nil || role != certs.RoleEdge || node != id.Node {
		return nil, nil, nil, id, fmt.Errorf("edge: certificate is for %s %q, identity says edge %q: %v", role, node, id.Node, err)
	}
	return certPEM, leaf, roots, id, nil
}

// StartEdge serves the UI and opens the store as soon as a key slot opens:
// at once when the city answers (or the TPM, or the old key file of a
// folder being converted), otherwise when an officer with a key slot logs
// in. It returns as soon as the edge serves, locked or not.
func StartEdge(ctx context.Context, cfg EdgeConfig) (*Edge, error) {
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	log := cfg.Log
	certPEM, leaf, roots, id, err := loadEdgeIdentity(cfg.Dir)
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
		return nil, sealedUIHint(cfg.Dir, err)
	}
	// The floor saved in the store is not known before the store opens:
	// here the local clock decides, and the floor again once it opens
	// (startLive).
	if clock.Now().After(leaf.NotAfter) {
		logExpired(log, id.Node, leaf)
	}
	var v *vault.Vault
	if exists(filepath.Join(cfg.Dir, edgeRevoked)) && !vault.Exists(cfg.Dir) {
		v = vault.Empty(cfg.Dir, id.Node) // revoked, slots destroyed: it serves why, nothing else
	} else if v, err = openVault(cfg.Dir, id.Node, log); err != nil {
		return nil, err
	}
	n := &Edge{ID: id, events: newHub(), log: log, cfg: cfg, done: make(chan struct{}), dir: cfg.Dir,
		cred: &credential{cert: tls.Certificate{Leaf: leaf}, ui: ui}, roots: roots, certPEM: certPEM,
		fleetNow: make(chan struct{}, 1), fleetEvery: cfg.FleetEvery, vault: v, keyNow: make(chan keyEvent, 4),
		lock:  LockState{Kind: LockLocked, Since: clock.Now()},
		login: cfg.Login, insecure: ui == nil && !loopbackListen(cfg.Listen), clock: clock, hlc: registry.NewClock(clock.Now)}
	if n.fleetEvery == 0 {
		n.fleetEvery = 10 * time.Minute
	}
	n.trust = newEdgeTrust(cfg.CSCA, roots, cfg.Dir, cfg.PullEvery, clock.Now, log)
	n.crl = newEdgeCRL(roots, cfg.Dir, cfg.PullEvery, log)
	if b, err := os.ReadFile(filepath.Join(cfg.Dir, edgeRevoked)); err == nil {
		json.Unmarshal(b, &n.lock)
		n.lock.Kind, n.revokedAtStart = LockRevoked, true
	}
	mux := http.NewServeMux()
	n.initMetrics()
	n.statusRoutes(mux)
	if cfg.Handler != nil {
		h, err := cfg.Handler(n)
		if err != nil {
			return nil, err
		}
		mux.Handle("/", h)
	}
	if n.ln, err = net.Listen("tcp", cfg.Listen); err != nil {
		return nil, fmt.Errorf("edge: listen %s: %w", cfg.Listen, err)
	}
	guard := &hostGuard{next: mux, names: hostNames(cfg.Listen, cfg.UIHosts), ui: n.cred.getUI}
	n.http = &http.Server{Handler: guard, ReadHeaderTimeout: 10 * time.Second,
		ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn)}
	n.runCtx, n.cancel = context.WithCancel(ctx)
	if ui != nil {
		n.http.TLSConfig = n.cred.serverTLS()
		go n.http.ServeTLS(n.ln, "", "")
	} else {
		go n.http.Serve(n.ln)
	}
	// Serving already: a box whose uplink hangs answers its probes (not
	// ready) while it waits for the city.
	n.unlockAtStart()
	go func() { defer close(n.done); n.keyLoop(n.runCtx) }()
	if err := vault.WriteFile(filepath.Join(cfg.Dir, edgeURLFile), []byte(n.URL()+"\n")); err != nil {
		log.Warn("recording the UI address for `xanode edge backup`", "err", err)
	}
	log.Info("edge node started", "node", id.Node, "commune", id.Commune, "city", strings.Join(id.City, ","), "ui", n.URL(),
		"locked", n.Locked().Kind)
	return n, nil
}

// startLive opens the store under the vault's master key and starts the
// sync loops, the stream and the fleet loop. The caller holds openMu.
func (n *Edge) startLive() error {
	master, err := n.vault.Master()
	if err != nil {
		return err
	}
	pair, err := loadSealedPair(n.dir, n.vault)
	if err != nil {
		return err
	}
	n.cred.set(pair)
	store, err := openStoreUnder(filepath.Join(n.dir, edgeDB), n.vault, master)
	clear(master)
	if err != nil {
		return err
	}
	// The clock takes the floor saved in this store (and its bundle's
	// creation) before anything reads the time against the subset.
	if err := n.clock.Load(store); err != nil {
		store.Close()
		return err
	}
	if leaf := pair.Leaf; leaf != nil && !time.Now().After(leaf.NotAfter) && n.clock.Now().After(leaf.NotAfter) {
		logExpired(n.log, n.ID.Node, leaf) // the local clock is behind the floor: not told at start
	}
	l, err := n.newLive(store)
	if err != nil {
		n.clock.Unload(store)
		store.Close()
		return err
	}
	n.mu.Lock()
	n.live, n.lock = l, LockState{}
	n.mu.Unlock()
	return nil
}

// openStoreUnder opens the store under master or, when a rewrite under a
// new key was interrupted after the new file took its place, under the
// vault's next master key, which it then makes the master key.
func openStoreUnder(path string, v *vault.Vault, master []byte) (*edge.Store, error) {
	store, err := edge.OpenStoreKey(path, master)
	if err == nil || !errors.Is(err, edge.ErrKey) {
		return store, err
	}
	next, nerr := v.NextMaster()
	if nerr != nil || next == nil {
		return nil, err
	}
	defer clear(next)
	if store, nerr = edge.OpenStoreKey(path, next); nerr != nil {
		return nil, err
	}
	return store, v.PromoteMaster()
}

func (n *Edge) newLive(store *edge.Store) (*liveEdge, error) {
	if err := store.AdvanceSeq(n.ID.NextSeq); err != nil {
		return nil, err
	}
	city, err := client.New(n.ID.City, n.crl.wrap(n.cred.clientTLS(n.roots)))
	if err != nil {
		return nil, err
	}
	city.OnRefused(n.refused)
	// The city's certificate is checked on the local clock, not on the
	// edge's time: the city's answers are what corrects a time floor
	// pushed too far ahead, so a wrong floor must never cut the box off.
	city.OnCityTime(n.clock.CityTime)
	progress := newProgress(n.events, n.log)
	im := &edge.Importer{Store: store, Roots: n.roots, Now: n.clock.Now, Progress: progress}
	imp := func(ctx context.Context, data []byte) (edge.SubsetInfo, error) {
		info, err := im.Import(ctx, data)
		if err == nil {
			n.clock.AtLeast(info.Created)
			n.pruneSlots(store) // the bundle may have changed the officer accounts
		}
		return info, err
	}
	e, err := edge.New(edge.Config{Node: n.ID.Node, Commune: n.commune(), Store: store, City: city,
		Import: imp, PushEvery: n.cfg.PushEvery, PullEvery: n.cfg.PullEvery, Log: n.log, Notify: n.events.publish,
		Progress: progress, Now: n.clock.Now, Clock: n.hlc, Units: n.cfg.Units})
	if err != nil {
		return nil, err
	}
	l := &liveEdge{edge: e, store: store, city: city, clock: n.clock, done: make(chan struct{})}
	// The stream to the city: notifications in, telemetry out.
	l.dialer, err = stream.NewDialer(stream.DialerConfig{URLs: n.ID.City, TLS: n.crl.wrap(n.cred.clientTLS(n.roots)), Log: n.log,
		Telemetry: n.telemetry, TelemetryEvery: n.cfg.TelemetryEvery, OnMessage: n.onMessage, OnState: n.onStreamState})
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(n.runCtx)
	l.cancel = cancel
	var loops gosync.WaitGroup
	loops.Add(7)
	go func() { defer loops.Done(); n.crl.run(ctx, city) }()
	go func() { defer loops.Done(); n.reviewLoop(ctx, city, store) }()
	go func() { defer loops.Done(); e.Run(ctx) }()
	go func() { defer loops.Done(); n.clock.Run(ctx) }() // saves the floor in this store, once more when it stops
	go func() { defer loops.Done(); n.trust.run(ctx, city) }()
	go func() { defer loops.Done(); n.fleetLoop(ctx, l) }()
	go func() { defer loops.Done(); l.dialer.Run(ctx) }()
	go func() { loops.Wait(); close(l.done) }()
	return l, nil
}

func (n *Edge) commune() string {
	n.idMu.Lock()
	defer n.idMu.Unlock()
	return n.ID.Commune
}

// current is what runs while unlocked; nil while locked.
func (n *Edge) current() *liveEdge {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.live
}

// Store is the edge's store; nil while the edge is locked.
func (n *Edge) Store() *edge.Store {
	if l := n.current(); l != nil {
		return l.store
	}
	return nil
}

// Services are the edge's services (lookup, recording, sync); nil while
// the edge is locked.
func (n *Edge) Services() *edge.Edge {
	if l := n.current(); l != nil {
		return l.edge
	}
	return nil
}

// Locked says whether the edge is locked, and why (zero Kind: unlocked).
func (n *Edge) Locked() LockState {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.lock
}

// logExpired tells that the node certificate has expired by the edge's
// time.
func logExpired(log *slog.Logger, node string, leaf *x509.Certificate) {
	log.Error("the node certificate has expired: the city will refuse this node until it enrolls again; "+
		"ask city IT for a token (xanode fleet token --commune C --node N), then run "+
		"`xanode edge enroll --data DIR --city URL --token TOKEN` (the outbox and data are kept)",
		"node", node, "expired", leaf.NotAfter)
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

// Close stops the UI first (no new actions), then the key loop, the sync
// loops and the store, so no action is accepted that could not be stored.
// DK is forgotten.
func (n *Edge) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err := n.http.Shutdown(ctx)
	n.cancel()
	<-n.done
	n.openMu.Lock()
	defer n.openMu.Unlock()
	n.mu.Lock()
	l := n.live
	n.live, n.closing = nil, true
	n.mu.Unlock()
	if l != nil {
		err = errors.Join(err, l.stop())
	}
	n.vault.Lock()
	return err
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
	// Locked is why the edge is locked (LockLocked, LockRevoked,
	// LockSuspended); empty when it runs. A locked edge reports nothing
	// else but its node and commune.
	Locked     string `json:"locked,omitempty"`
	LockReason string `json:"lock_reason,omitempty"`
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
		st := n.Store()
		if st == nil {
			http.Error(w, "locked: "+n.Locked().Kind, http.StatusServiceUnavailable)
			return
		}
		if _, err := st.Subset(); err != nil {
			http.Error(w, "no verified subset yet", http.StatusServiceUnavailable)
			return
		}
		io.WriteString(w, "ready\n")
	})
	mux.HandleFunc("GET /v1/status", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		e := n.Services()
		if e == nil {
			lk := n.Locked()
			json.NewEncoder(w).Encode(EdgeStatus{NodeID: n.ID.Node, Communes: []string{n.commune()}, Time: n.clock.Now().UTC(),
				Locked: lk.Kind, LockReason: lk.Reason})
			return
		}
		st, err := e.Status()
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		json.NewEncoder(w).Encode(EdgeStatus{
			NodeID: st.Node, Communes: []string{st.Commune}, SubsetVersion: st.Subset.Version,
			Citizens: st.Subset.Count, StateDigest: hex.EncodeToString(st.Subset.Digest[:]),
			Outbox: st.Queue.Pending, OldestPending: st.Queue.Oldest, LastSynced: st.Queue.LastSynced,
			Stale: st.Stale, Frozen: st.Frozen, FreezesAt: st.FreezesAt, Time: st.CheckedAt.UTC(), Expires: st.Subset.Expires, LastError: st.LastError,
			Transfer: transferOf(e.Progress()), TrustVersion: n.trust.csca.Version(),
		})
	})
	mux.HandleFunc("GET /v1/backup", n.backupHandler)
	mux.HandleFunc("GET /metrics", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; version=0.0.4")
		n.metrics.WriteTo(w)
	})
}
