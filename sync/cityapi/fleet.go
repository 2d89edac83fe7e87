package cityapi

import (
	"context"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/xanode/xanode/certs"
	"github.com/xanode/xanode/node/registry"
	"github.com/xanode/xanode/sync/api"
	"github.com/xanode/xanode/sync/cluster"
	"github.com/xanode/xanode/sync/fsm"
	"github.com/xanode/xanode/sync/wire"
)

var errRefused = cluster.ErrRefused

// Issuer issues node certificates: the fleet CA, held by every city node
// (certs.PKI implements it).
type Issuer interface {
	IssueCSR(csrPEM []byte, id string, role certs.Role, lifetime time.Duration, now time.Time) (*x509.Certificate, []byte, error)
	IssueUICSR(csrPEM []byte, id string, hosts []string, lifetime time.Duration, now time.Time) (*x509.Certificate, []byte, error)
	RootPEM() []byte
	RootCert() *x509.Certificate
}

// Streams is the edge websocket hub as the API uses it (sync/stream.Hub).
type Streams interface {
	Serve(w http.ResponseWriter, r *http.Request, node string, communes []string)
}

// Policy is the fleet's not-seen policy.
type Policy struct {
	// FlagAfter: a node not seen this long is shown as flagged.
	FlagAfter time.Duration
	// SuspendAfter: a node not seen this long is suspended (0: never).
	SuspendAfter time.Duration
}

// DefaultPolicy flags after a day and suspends after two weeks: communes
// close for Tết, and a box that is off for a holiday must not need city IT.
func DefaultPolicy() Policy {
	return Policy{FlagAfter: 24 * time.Hour, SuspendAfter: 14 * 24 * time.Hour}
}

const maxEnrollBody = 16 << 10

func (s *Server) fleetRoutes() {
	s.handle(api.GetEnrollRoot, s.enrollRoot)
	s.handle(api.PostEnroll, s.enroll)
	s.enrollCheckRoutes()
	s.levelRoutes()
	s.handle(api.PostRenew, s.renew)
	s.handle(api.GetWhoAmI, s.whoami)
	s.handle(api.GetStream, s.stream)
	s.handle(api.PostToken, s.token)
	s.handle(api.GetNodes, s.nodes)
	s.handle(api.GetNodeSeries, s.series)
	s.handle(api.PostAudit, s.audit)
	s.handle(api.GetNodeAudit, s.auditTrail)
	s.handle(api.PostRevoke, s.nodeAction(fsm.KindRevoke))
	s.handle(api.PostReinstate, s.nodeAction(fsm.KindReinstate))
	s.officerRoutes()
}

// CheckPeer refuses a TLS peer whose certificate is on the fleet CA's
// revocation list (city nodes and admin certificates), or whose node is
// revoked or suspended, or whose certificate was replaced by a newer
// enrollment (edges): the hook of the API's TLS configuration
// (certs.APIServerTLS), so that a refused peer's handshake fails. Requests
// on connections opened before are checked again by role.
func (s *Server) CheckPeer(cert *x509.Certificate) error {
	id, role, err := certs.NodeIdentity(cert)
	if err != nil {
		return err
	}
	if err := s.cfg.Cluster.FSM().CheckCert(certs.Serial(cert)); err != nil {
		return err
	}
	if role != certs.RoleEdge {
		return nil
	}
	return s.cfg.Cluster.FSM().CheckNode(id, certs.Serial(cert))
}

func (s *Server) enrollRoot(w http.ResponseWriter, _ *http.Request) {
	if s.cfg.Issuer == nil {
		httpError(w, http.StatusServiceUnavailable, "this city node holds no fleet CA key and does not enroll edges: ask a node that does")
		return
	}
	w.Header().Set("Content-Type", "application/x-pem-file")
	w.Write(s.cfg.Issuer.RootPEM())
}

// enroll is the one endpoint an edge calls without a certificate: the
// token is its credential. The certificate is issued first and recorded
// through raft second; if raft refuses (the token was used meanwhile), the
// certificate is never recorded and CheckPeer refuses it.
func (s *Server) enroll(w http.ResponseWriter, r *http.Request) {
	if s.cfg.Issuer == nil {
		httpError(w, http.StatusServiceUnavailable, "this city node holds no fleet CA key and does not enroll edges: ask a node that does")
		return
	}
	if ok, wait := s.enrolls.allow(remoteHost(r), s.cfg.Now()); !ok {
		w.Header().Set("Retry-After", strconv.Itoa(int(wait.Seconds())+1))
		httpError(w, http.StatusTooManyRequests, "too many enrollment attempts from this address: try again in %v", wait.Round(time.Second))
		return
	}
	var req api.EnrollRequest
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxEnrollBody)).Decode(&req); err != nil {
		httpError(w, http.StatusBadRequest, "enrollment: %v", err)
		return
	}
	tok, err := certs.ParseEnrollToken(req.Token)
	if err != nil {
		httpError(w, http.StatusBadRequest, "%v", err)
		return
	}
	if !tok.MatchesRoot(s.cfg.Issuer.RootCert()) {
		httpError(w, http.StatusForbidden, "the token was made for another city")
		return
	}
	if err := s.checkToken(r.Context(), tok.Hash()); err != nil {
		if isTokenVerdict(err) {
			httpError(w, http.StatusForbidden, "%v", err)
		} else {
			applyError(w, err)
		}
		return
	}
	cert, chain, err := s.cfg.Issuer.IssueCSR([]byte(req.CSR), tok.Node, certs.RoleEdge, s.cfg.NodeLifetime, s.cfg.Now())
	if err != nil {
		httpError(w, http.StatusBadRequest, "%v", err)
		return
	}
	uiChain, err := s.uiCert(req, tok.Node)
	if err != nil {
		httpError(w, http.StatusBadRequest, "%v", err)
		return
	}
	er, err := cluster.Enroll(r.Context(), s.forwarder(), s.self(), &fsm.FleetOp{
		Node: tok.Node, TokenHash: tok.Hash(), Serial: certs.Serial(cert), NotAfter: cert.NotAfter})
	if err != nil {
		if errors.Is(err, errRefused) {
			httpError(w, http.StatusForbidden, "%v", err)
			return
		}
		applyError(w, err)
		return
	}
	s.log.Info("edge enrolled", "node", er.Node, "commune", er.Commune, "serial", certs.Serial(cert), "until", cert.NotAfter)
	writeJSON(w, http.StatusOK, api.EnrollResponse{Node: er.Node, Commune: er.Commune, CertPEM: string(chain), UICert: uiChain,
		RootPEM: string(s.cfg.Issuer.RootPEM()), City: er.Peers, NextSeq: er.NextSeq})
}

// uiCert issues the edge's UI certificate when the request asks for one.
func (s *Server) uiCert(req api.EnrollRequest, node string) (string, error) {
	if req.UICSR == "" {
		return "", nil
	}
	if err := certs.CheckUIHosts(req.UIHosts, s.cfg.UIDomains); err != nil {
		return "", fmt.Errorf("UI certificate: %w", err)
	}
	_, chain, err := s.cfg.Issuer.IssueUICSR([]byte(req.UICSR), node, req.UIHosts, s.cfg.NodeLifetime, s.cfg.Now())
	if err != nil {
		return "", fmt.Errorf("UI certificate: %w", err)
	}
	return string(chain), nil
}

// renew issues a new certificate to an edge over its current one.
func (s *Server) renew(w http.ResponseWriter, r *http.Request) {
	if s.cfg.Issuer == nil {
		httpError(w, http.StatusServiceUnavailable, "this city node holds no fleet CA key and does not renew certificates: ask a node that does")
		return
	}
	c := callerOf(r)
	// Each renewal issues a certificate and writes the log: a box needs
	// one every few weeks, a stolen one gets no more than this.
	if !s.admitOne(w, s.renews, c.id, "renewals") {
		return
	}
	var req api.EnrollRequest
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxEnrollBody)).Decode(&req); err != nil {
		httpError(w, http.StatusBadRequest, "renewal: %v", err)
		return
	}
	cert, chain, err := s.cfg.Issuer.IssueCSR([]byte(req.CSR), c.id, certs.RoleEdge, s.cfg.NodeLifetime, s.cfg.Now())
	if err != nil {
		httpError(w, http.StatusBadRequest, "%v", err)
		return
	}
	uiChain, err := s.uiCert(req, c.id)
	if err != nil {
		httpError(w, http.StatusBadRequest, "%v", err)
		return
	}
	_, err = s.apply(r.Context(), &fsm.Command{Kind: fsm.KindCert, From: callerOf(r).sender(), Fleet: &fsm.FleetOp{
		Node: c.id, Serial: certs.Serial(cert), NotAfter: cert.NotAfter}})
	if err != nil {
		if errors.Is(err, errRefused) {
			httpError(w, http.StatusForbidden, "%v", err)
			return
		}
		applyError(w, err)
		return
	}
	s.log.Info("edge certificate renewed", "node", c.id, "serial", certs.Serial(cert), "until", cert.NotAfter)
	writeJSON(w, http.StatusOK, api.EnrollResponse{Node: c.id, CertPEM: string(chain), UICert: uiChain})
}

func (s *Server) whoami(w http.ResponseWriter, r *http.Request) {
	c := callerOf(r)
	communes, err := s.cfg.Cluster.FSM().NodeCommunes(c.id)
	if err != nil {
		httpError(w, http.StatusInternalServerError, "%v", err)
		return
	}
	writeJSON(w, http.StatusOK, api.WhoAmI{Node: c.id, Communes: communes})
}

func (s *Server) stream(w http.ResponseWriter, r *http.Request) {
	if s.cfg.Streams == nil {
		httpError(w, http.StatusNotFound, "this city node serves no edge stream")
		return
	}
	c := callerOf(r)
	communes, err := s.cfg.Cluster.FSM().NodeCommunes(c.id)
	if err != nil {
		httpError(w, http.StatusInternalServerError, "%v", err)
		return
	}
	s.cfg.Streams.Serve(w, r, c.id, communes)
}

// Telemetry records what an edge reported over its stream, through raft.
func (s *Server) Telemetry(ctx context.Context, node string, t *fsm.Telemetry) error {
	_, err := s.apply(ctx, &fsm.Command{Kind: fsm.KindTelemetry, From: fsm.Sender{Role: registry.RoleEdge, ID: node}, Fleet: &fsm.FleetOp{Node: node, Telemetry: t}})
	if err == nil {
		s.m.tel.Inc()
	}
	return err
}

func (s *Server) token(w http.ResponseWriter, r *http.Request) {
	if s.cfg.Issuer == nil {
		httpError(w, http.StatusServiceUnavailable, "this city node holds no fleet CA key and does not enroll edges: ask a node that does")
		return
	}
	var req api.TokenRequest
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 4<<10)).Decode(&req); err != nil {
		httpError(w, http.StatusBadRequest, "token: %v", err)
		return
	}
	if req.Node == "" {
		req.Node = "edge-" + req.Commune
	}
	if req.TTL == 0 {
		req.TTL = certs.DefaultTokenLifetime
	}
	if req.TTL < time.Minute || req.TTL > 30*24*time.Hour {
		httpError(w, http.StatusBadRequest, "token lifetime %v must be between 1 minute and 30 days", req.TTL)
		return
	}
	tok, err := certs.NewEnrollToken(req.Commune, req.Node, s.cfg.Issuer.RootCert())
	if err != nil {
		httpError(w, http.StatusBadRequest, "%v", err)
		return
	}
	expires := s.cfg.Now().Add(req.TTL).UTC().Truncate(time.Second)
	_, err = s.apply(r.Context(), &fsm.Command{Kind: fsm.KindToken, From: callerOf(r).sender(), Fleet: &fsm.FleetOp{
		Node: req.Node, Commune: req.Commune, TokenHash: tok.Hash(), Expires: expires, By: callerOf(r).id}})
	if err != nil {
		applyError(w, err)
		return
	}
	s.log.Info("enrollment token made", "node", req.Node, "commune", req.Commune, "expires", expires, "by", callerOf(r).id)
	writeJSON(w, http.StatusOK, api.TokenResponse{Token: tok.String(), Node: req.Node, Commune: req.Commune, Expires: expires})
}

func (s *Server) nodes(w http.ResponseWriter, _ *http.Request) {
	recs, err := s.cfg.Cluster.FSM().FleetNodes()
	if err != nil {
		httpError(w, http.StatusInternalServerError, "%v", err)
		return
	}
	trust, err := s.cfg.Cluster.FSM().TrustVersion()
	if err != nil {
		httpError(w, http.StatusInternalServerError, "%v", err)
		return
	}
	now := s.cfg.Now()
	out := make([]api.FleetNode, 0, len(recs))
	for _, r := range recs {
		seen := r.LastSeen
		if seen.IsZero() {
			seen = r.Enrolled
		}
		flagged := r.State == fsm.NodeActive && !seen.IsZero() && now.Sub(seen) > s.cfg.Policy.FlagAfter
		out = append(out, api.FleetNode{NodeRecord: *r, Flagged: flagged, Lag: r.Lag(), CityTrustVersion: trust})
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) series(w http.ResponseWriter, r *http.Request) {
	out, err := s.cfg.Cluster.FSM().NodeSeries(r.PathValue("node"))
	if err != nil {
		httpError(w, http.StatusInternalServerError, "%v", err)
		return
	}
	if out == nil {
		out = []fsm.Sample{}
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) nodeAction(kind fsm.Kind) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var a api.NodeAction
		if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 4<<10)).Decode(&a); err != nil {
			httpError(w, http.StatusBadRequest, "%v", err)
			return
		}
		if err := certs.ValidNodeID(a.Node); err != nil {
			httpError(w, http.StatusBadRequest, "%v", err)
			return
		}
		if a.Reason == "" {
			httpError(w, http.StatusBadRequest, "a reason is required: it goes into the fleet record and the audit trail")
			return
		}
		by := callerOf(r).id
		if _, err := s.apply(r.Context(), &fsm.Command{Kind: kind, From: callerOf(r).sender(), Fleet: &fsm.FleetOp{Node: a.Node, Reason: a.Reason, By: by}}); err != nil {
			applyError(w, err)
			return
		}
		s.log.Warn("fleet action", "kind", kind, "node", a.Node, "reason", a.Reason, "by", by)
		writeJSON(w, http.StatusOK, a)
	}
}

// Sweep applies the not-seen policy once: active nodes not seen for
// SuspendAfter are suspended through raft. Node assembly runs it on the
// leader.
func (s *Server) Sweep(ctx context.Context) error {
	if s.cfg.Policy.SuspendAfter <= 0 {
		return nil
	}
	stale, err := s.cfg.Cluster.FSM().StaleNodes(s.cfg.Now().Add(-s.cfg.Policy.SuspendAfter))
	if err != nil {
		return err
	}
	var errs []error
	for _, node := range stale {
		reason := fmt.Sprintf("not seen for more than %v (policy)", s.cfg.Policy.SuspendAfter)
		_, err := s.apply(ctx, &fsm.Command{Kind: fsm.KindSuspend, From: s.self(), Fleet: &fsm.FleetOp{Node: node, Reason: reason, By: "policy"}})
		if err == nil {
			s.log.Warn("edge suspended by the not-seen policy", "node", node, "after", s.cfg.Policy.SuspendAfter)
		}
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// audit takes a batch of the calling edge's audit log; the FSM checks that
// it continues the chain the city holds. The answer names the last entry
// held, from which the edge continues.
func (s *Server) audit(w http.ResponseWriter, r *http.Request) {
	if s.edgeSpent(w, s.audits, callerOf(r).id, "audit entries") {
		return
	}
	body, err := readBody(r, wire.MaxBodyBytes)
	if err != nil {
		httpError(w, http.StatusRequestEntityTooLarge, "audit body: %v", err)
		return
	}
	entries, err := wire.DecodeAudit(body)
	if err != nil || len(entries) == 0 {
		httpError(w, http.StatusBadRequest, "audit body: %v", err)
		return
	}
	c := callerOf(r)
	if !s.admitEdge(w, s.audits, c.id, len(entries), "audit entries") {
		return
	}
	ar, err := cluster.Audit(r.Context(), s.forwarder(), c.sender(), &fsm.FleetOp{Node: c.id, Audit: entries})
	if err != nil {
		applyError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, ar)
}

func (s *Server) auditTrail(w http.ResponseWriter, r *http.Request) {
	after, _ := strconv.ParseUint(r.URL.Query().Get("after"), 10, 64)
	limit, _ := strconv.Atoi(r.URL.Query().Get("limit"))
	if limit <= 0 || limit > 1000 {
		limit = 100
	}
	trail, err := s.cfg.Cluster.FSM().Audit(r.PathValue("node"), after, limit)
	if err != nil {
		httpError(w, http.StatusInternalServerError, "%v", err)
		return
	}
	if trail.Entries == nil {
		trail.Entries = []wire.AuditEntry{}
	}
	writeJSON(w, http.StatusOK, trail)
}
