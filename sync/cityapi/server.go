// Package cityapi is the city node's HTTPS surface: edges push changes and
// fetch their commune's signed subset, city IT loads populations and
// assigns communes, city nodes join the cluster. Every caller is identified
// by its mutual-TLS certificate and authorised by the role it carries.
package cityapi

import (
	"context"
	"crypto/ed25519"
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
	"time"

	"github.com/hashicorp/raft"
	"github.com/klauspost/compress/zstd"

	"github.com/xanode/xanode/certs"
	"github.com/xanode/xanode/node/registry"
	"github.com/xanode/xanode/sync/api"
	"github.com/xanode/xanode/sync/cluster"
	"github.com/xanode/xanode/sync/fsm"
	"github.com/xanode/xanode/sync/metrics"
	"github.com/xanode/xanode/sync/wire"
)

// Cluster is what the API needs of the local raft node.
type Cluster interface {
	ID() string
	Apply(ctx context.Context, cmd *fsm.Command) (any, error)
	Join(id, addr string) error
	Remove(id string) error
	Servers() ([]raft.Server, error)
	Leader() (id, addr string)
	IsLeader() bool
	Barrier(timeout time.Duration) error
	FSM() *fsm.FSM
}

// Config of the API server.
type Config struct {
	Cluster Cluster
	// SigningKey and SigningCert sign the bundles this node builds.
	SigningKey  ed25519.PrivateKey
	SigningCert *x509.Certificate
	// BundleTTL is how long a bundle stays fresh (expiry = created + TTL).
	BundleTTL time.Duration
	// BundleDir keeps the bundles this node builds, so that each is built
	// once and an interrupted download resumes (see bundle.go). Empty: no
	// folder; every request builds its bundle and a download cannot
	// resume.
	BundleDir string
	// PeerTLS is the client configuration (this node's certificate) used to
	// forward requests to the leader; nil: no forwarding, followers answer
	// 503 with the leader's ID.
	PeerTLS *tls.Config
	// URL is this node's API base URL, registered with the cluster so that
	// followers can forward to it when it leads.
	URL string
	// Presence verifies proofs of presence (reader/presence with the
	// city's CSCA store); nil: this node refuses them.
	Presence PresenceVerifier
	// Trust checks the master lists and CRLs city IT uploads to the CSCA
	// trust set (package node wires reader/trust); nil: this node refuses
	// them.
	Trust TrustVerifier
	// FleetCA checks the signature of the fleet CA's revocation lists;
	// nil: this node refuses them.
	FleetCA *x509.Certificate
	// Issuer issues edge certificates at enrollment and renewal; nil: this
	// node does neither.
	Issuer Issuer
	// NodeLifetime of issued edge certificates (0: certs.DefaultNodeLifetime).
	NodeLifetime time.Duration
	// UIDomains are the DNS suffixes an edge's UI certificate may name
	// (nil: certs.DefaultUIDomains).
	UIDomains []string
	// Streams serves edge websockets; nil: GET /v1/stream answers 404.
	Streams Streams
	// Policy for nodes not seen for a while (zero: DefaultPolicy).
	Policy Policy
	// EdgeLimit is how many changes, and how many audit entries, one edge
	// may send per hour, twice that at once after a time offline, and a
	// twentieth of it in bundle requests (0: DefaultEdgeLimit; negative: no
	// limit, for benchmarks whose few clients stand for many offices). A
	// stolen box that is not yet revoked cannot flood the log, nor keep
	// the city building bundles, faster (DESIGN.md, "Trust model").
	EdgeLimit int
	// Metrics is where the node's series go (nil: a registry of its own);
	// the node adds its own series to the same registry.
	Metrics *metrics.Registry
	Now     func() time.Time // nil: time.Now
	Log     *slog.Logger     // nil: slog.Default()
}

// Server serves the API.
type Server struct {
	cfg        Config
	mux        *http.ServeMux
	log        *slog.Logger
	peers      *http.Client // forwards to the leader; nil without PeerTLS
	m          *cityMetrics
	enrolls    *addrLimiter // enrollment attempts per source address
	challenges *addrLimiter // presence challenges per node
	renews     *addrLimiter // certificate renewals per node
	escrows    *addrLimiter // key slot escrows per node
	pushes     *addrLimiter // changes pushed per node (nil: no limit)
	audits     *addrLimiter // audit entries sent per node (nil: no limit)
	fetches    *addrLimiter // bundle requests per node (nil: no limit)
	trust      trustCache   // the signed CSCA trust list of the set's version
	slots      *slotGuard   // unlock nonces and limits (keyslot.go)
	served     []api.Route  // what handle registered, in order
}

// New builds the server.
func New(cfg Config) *Server {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.BundleTTL == 0 {
		cfg.BundleTTL = 7 * 24 * time.Hour
	}
	if cfg.Policy == (Policy{}) {
		cfg.Policy = DefaultPolicy()
	}
	if cfg.UIDomains == nil {
		cfg.UIDomains = certs.DefaultUIDomains
	}
	if cfg.EdgeLimit == 0 {
		cfg.EdgeLimit = DefaultEdgeLimit
	}
	s := &Server{cfg: cfg, mux: http.NewServeMux(), log: cfg.Log, enrolls: newAddrLimiter(enrollLimit, enrollWindow),
		challenges: newAddrLimiter(challengeLimit, challengeWindow), renews: newAddrLimiter(renewLimit, enrollWindow),
		escrows: newAddrLimiter(escrowPerHour, time.Hour), slots: newSlotGuard()}
	if cfg.EdgeLimit > 0 {
		s.pushes, s.audits = newEdgeLimiter(cfg.EdgeLimit), newEdgeLimiter(cfg.EdgeLimit)
		s.fetches = newEdgeLimiter(max(cfg.EdgeLimit/edgeFetchShare, 60))
	}
	s.initMetrics()
	if s.log == nil {
		s.log = slog.Default()
	}
	if cfg.PeerTLS != nil {
		s.peers = &http.Client{Timeout: 60 * time.Second, Transport: &http.Transport{
			TLSClientConfig: cfg.PeerTLS, MaxIdleConnsPerHost: 8, ForceAttemptHTTP2: true}}
	}
	s.handle(api.GetHealthz, func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "ok\n") })
	s.handle(api.GetReadyz, s.ready)
	// Enrollment makes client certificates optional at the handshake;
	// everything but the probes and enrollment still needs one.
	// Status and metrics describe the whole city: not an edge's business.
	s.handle(api.GetStatus, s.status)
	s.handle(api.GetMetrics, s.metrics)
	s.handle(api.PostPush, s.push)
	s.handle(api.PostDecisions, s.decisions)
	s.handle(api.GetBundle, s.bundle)
	s.handle(api.PostImport, s.importRecords)
	s.handle(api.PostAssign, s.assign)
	s.handle(api.GetConflicts, s.conflicts)
	s.handle(api.PostResolve, s.resolve)
	s.handle(api.PostCorrect, s.correct)
	s.handle(api.PostJoin, s.join)
	s.handle(api.PostApply, s.applyForwarded)
	s.handle(api.PostRemove, s.remove)
	s.handle(api.PostKeySlot, s.escrowKey)
	s.handle(api.GetUnlockChallenge, s.unlockChallenge) // no client certificate: the edge is locked
	s.handle(api.PostUnlock, s.unlock)                  // signed by the box's unlock key
	s.fleetRoutes()
	s.backupRoutes()
	s.crlRoutes()
	s.presenceRoutes()
	s.trustRoutes()
	s.reportRoutes()
	s.documentRoutes()
	s.qualityRoutes()
	return s
}

// handle serves route with h: behind the route's certificate roles (role),
// or bare when the route needs no certificate. Every route is one of
// api.Routes, and a test keeps the two equal (TestRoutesMatchContract).
func (s *Server) handle(route api.Route, h http.HandlerFunc) {
	if route.Roles != nil {
		h = s.role(h, route.Roles...)
	}
	s.mux.HandleFunc(route.Pattern(), h)
	s.served = append(s.served, route)
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

type ctxKey struct{}

// caller is the authenticated peer of a request.
type caller struct {
	id   string
	role certs.Role
}

func callerOf(r *http.Request) caller { c, _ := r.Context().Value(ctxKey{}).(caller); return c }

// sender is the caller as the stamp of the commands it causes: the FSM
// decides what they may do from it, never from their payload.
func (c caller) sender() fsm.Sender { return fsm.Sender{Role: registry.Role(c.role), ID: c.id} }

// self is this city node as the sender of what it does on its own: its
// peer URL, the not-seen policy, an enrollment it checked.
func (s *Server) self() fsm.Sender {
	return fsm.Sender{Role: registry.RoleCity, ID: s.cfg.Cluster.ID()}
}

// role admits callers whose certificate carries one of the roles.
func (s *Server) role(h http.HandlerFunc, roles ...certs.Role) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var c caller
		switch {
		case r.TLS != nil:
			id, role, err := certs.PeerIdentity(*r.TLS)
			if err != nil {
				httpError(w, http.StatusUnauthorized, "client certificate required: %v", err)
				return
			}
			// Checked on every request, not only at the handshake: a
			// keep-alive connection outlives a revocation.
			if err := s.CheckPeer(r.TLS.PeerCertificates[0]); err != nil {
				s.m.refused.Inc()
				httpError(w, http.StatusForbidden, "%s %q refused: %v", role, id, err)
				return
			}
			c = caller{id, role}
		default:
			httpError(w, http.StatusUnauthorized, "mutual TLS required")
			return
		}
		for _, want := range roles {
			if c.role == want {
				h(w, r.WithContext(context.WithValue(r.Context(), ctxKey{}, c)))
				return
			}
		}
		httpError(w, http.StatusForbidden, "%s %q may not call %s", c.role, c.id, r.URL.Path)
	}
}

// remoteHost is the address a request came from, without the port.
func remoteHost(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

func httpError(w http.ResponseWriter, code int, format string, a ...any) {
	writeJSON(w, code, api.Error{Error: fmt.Sprintf(format, a...)})
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	json.NewEncoder(w).Encode(v)
}

// applyError answers a failed Apply: not-leader errors become 503 with the
// leader's ID so the caller can retry elsewhere.
func applyError(w http.ResponseWriter, err error) {
	var nl *cluster.NotLeaderError
	if errors.As(err, &nl) {
		writeJSON(w, http.StatusServiceUnavailable, api.Error{Error: err.Error(), Leader: nl.LeaderID})
		return
	}
	var le *limitedError
	if errors.As(err, &le) {
		if le.retryAfter != "" {
			w.Header().Set("Retry-After", le.retryAfter)
		}
		httpError(w, http.StatusTooManyRequests, "%s", le.msg)
		return
	}
	if errors.Is(err, ErrLeaderUnreachable) {
		w.Header().Set("Retry-After", "1")
		httpError(w, http.StatusServiceUnavailable, "%v: try again", err)
		return
	}
	if errors.Is(err, fsm.ErrForbidden) {
		httpError(w, http.StatusForbidden, "%v", err)
		return
	}
	if errors.Is(err, cluster.ErrRefused) {
		httpError(w, http.StatusConflict, "%v", err)
		return
	}
	if errors.Is(err, context.DeadlineExceeded) {
		httpError(w, http.StatusGatewayTimeout, "commit timed out: %v", err)
		return
	}
	httpError(w, http.StatusInternalServerError, "%v", err)
}

func (s *Server) ready(w http.ResponseWriter, _ *http.Request) {
	if id, _ := s.cfg.Cluster.Leader(); id == "" {
		httpError(w, http.StatusServiceUnavailable, "no raft leader")
		return
	}
	io.WriteString(w, "ready\n")
}

func (s *Server) readStatus() (api.Status, error) {
	st, err := s.cfg.Cluster.FSM().Status()
	if err != nil {
		return api.Status{}, err
	}
	leader, _ := s.cfg.Cluster.Leader()
	servers, err := s.cfg.Cluster.Servers()
	if err != nil {
		return api.Status{}, err
	}
	voters := 0
	for _, sv := range servers {
		if sv.Suffrage == raft.Voter {
			voters++
		}
	}
	return api.Status{
		Voters: voters,
		NodeID: s.cfg.Cluster.ID(), Leader: leader, IsLeader: s.cfg.Cluster.IsLeader(),
		AppliedIndex: st.AppliedIndex, Commands: st.Commands, Citizens: st.Citizens, Changes: st.Changes,
		StateDigest: hex.EncodeToString(st.Digest[:]),
		Level:       st.Level, ReleaseLevel: fsm.ReleaseLevel,
	}, nil
}

func (s *Server) status(w http.ResponseWriter, _ *http.Request) {
	st, err := s.readStatus()
	if err != nil {
		httpError(w, http.StatusInternalServerError, "%v", err)
		return
	}
	writeJSON(w, http.StatusOK, st)
}

// readBody reads a request body of at most max bytes, decompressing zstd
// when the client says so, and refuses anything larger.
func readBody(r *http.Request, max int64) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r.Body, max+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > max {
		return nil, fmt.Errorf("body larger than %d bytes", max)
	}
	if r.Header.Get("Content-Encoding") != "zstd" {
		return b, nil
	}
	out, err := decoder.DecodeAll(b, nil)
	if err != nil {
		return nil, fmt.Errorf("zstd body: %w", err)
	}
	if int64(len(out)) > max {
		return nil, fmt.Errorf("body larger than %d bytes once decompressed", max)
	}
	return out, nil
}

// decoder is shared (DecodeAll is safe for concurrent use) and refuses
// frames that would decompress beyond the largest message.
var decoder, _ = zstd.NewReader(nil, zstd.WithDecoderMaxMemory(wire.MaxBodyBytes), zstd.WithDecoderConcurrency(2))

// Register records this node's API URL in the replicated peer table when
// it is missing or changed. It must run on the leader (the node applies
// directly); node assembly calls it whenever this node becomes leader.
func (s *Server) Register(ctx context.Context) error {
	if s.cfg.URL == "" {
		return nil
	}
	peers, err := s.cfg.Cluster.FSM().Peers()
	if err != nil || peers[s.cfg.Cluster.ID()] == s.cfg.URL {
		return err
	}
	_, err = s.cfg.Cluster.Apply(ctx, &fsm.Command{Kind: fsm.KindPeer, From: s.self(), Node: s.cfg.Cluster.ID(), URL: s.cfg.URL})
	return err
}
