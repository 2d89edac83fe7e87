package api

import (
	"net/http"

	"github.com/xanode/xanode/certs"
	"github.com/xanode/xanode/sync/wire"
)

// The certificate roles of the routes (DESIGN.md, "Trust model").
var (
	anyone     []certs.Role // no certificate needed
	city       = []certs.Role{certs.RoleCity}
	edge       = []certs.Role{certs.RoleEdge}
	admin      = []certs.Role{certs.RoleAdmin}
	edgeOrIT   = []certs.Role{certs.RoleEdge, certs.RoleAdmin}
	watchers   = []certs.Role{certs.RoleCity, certs.RoleAdmin, certs.RoleMonitor}
	crlReaders = []certs.Role{certs.RoleEdge, certs.RoleCity, certs.RoleAdmin, certs.RoleMonitor}
)

// Probes and the city's own description.
var (
	// GetHealthz: alive.
	GetHealthz = Route{http.MethodGet, "/healthz", anyone, "", ContentText}
	// GetReadyz: ready when raft has a leader (503 and an Error when not).
	GetReadyz = Route{http.MethodGet, "/readyz", anyone, "", ContentText}
	// GetStatus answers a Status.
	GetStatus = Route{http.MethodGet, "/v1/status", watchers, "", ContentJSON}
	// GetMetrics answers Prometheus text.
	GetMetrics = Route{http.MethodGet, "/metrics", watchers, "", ContentMetrics}
)

// Enrollment and an edge's own certificate.
var (
	// GetEnrollRoot answers the root certificate (PEM), which the edge
	// checks against its token's fingerprint.
	GetEnrollRoot = Route{http.MethodGet, "/v1/enroll/root", anyone, "", ContentPEM}
	// PostEnroll takes an EnrollRequest with a token, answers an
	// EnrollResponse.
	PostEnroll = Route{http.MethodPost, "/v1/enroll", anyone, ContentJSON, ContentJSON}
	// PostRenew takes an EnrollRequest without a token, answers an
	// EnrollResponse.
	PostRenew = Route{http.MethodPost, "/v1/renew", edge, ContentJSON, ContentJSON}
	// GetWhoAmI answers a WhoAmI.
	GetWhoAmI = Route{http.MethodGet, "/v1/whoami", edge, "", ContentJSON}
	// GetStream is the edge's websocket (sync/stream).
	GetStream = Route{http.MethodGet, "/v1/stream", edge, "", ContentWebsocket}
)

// An edge's sync.
var (
	// PostPush takes wire.EncodeChanges (zstd with Content-Encoding: zstd),
	// answers wire.EncodeOutcomes, one per change in order; a follower's
	// answer names the leader's URL in wire.HeaderLeader.
	PostPush = Route{http.MethodPost, "/v1/push", edge, wire.ContentChanges, wire.ContentOutcomes}
	// PostDecisions takes a DecisionsRequest, answers wire.EncodeOutcomes
	// of the changes the city knows.
	PostDecisions = Route{http.MethodPost, "/v1/decisions", edge, ContentJSON, wire.ContentOutcomes}
	// GetBundle (path: the commune; query: BundleQuery) answers a signed
	// bundle; Range requests resume it.
	GetBundle = Route{http.MethodGet, "/v1/subsets/{commune}/bundle", edgeOrIT, "", ContentBinary}
	// PostAudit takes a JSON array of wire.AuditEntry (wire.ContentAudit,
	// zstd allowed), answers an fsm.AuditResult.
	PostAudit = Route{http.MethodPost, "/v1/audit", edge, wire.ContentAudit, ContentJSON}
	// PostPresenceChallenge answers a wire.Challenge.
	PostPresenceChallenge = Route{http.MethodPost, "/v1/presence/challenge", edge, "", ContentJSON}
	// PostPresence takes a wire.PresenceRequest, answers a
	// wire.PresenceResponse.
	PostPresence = Route{http.MethodPost, "/v1/presence", edge, ContentJSON, ContentJSON}
	// GetTrust answers the signed CSCA trust list (sync/trustlist); 304
	// when If-None-Match names the version held (TrustETag).
	GetTrust = Route{http.MethodGet, "/v1/trust", edgeOrIT, "", ContentBinary}
	// GetCRL answers a wire.FleetCRL.
	GetCRL = Route{http.MethodGet, "/v1/crl", crlReaders, "", ContentJSON}
	// PostKeySlot takes a wire.KeyEscrow, answers {}.
	PostKeySlot = Route{http.MethodPost, "/v1/keyslot", edge, ContentJSON, ContentJSON}
	// GetUnlockChallenge (query: UnlockQuery) answers a
	// wire.UnlockChallenge; no certificate: the box's is sealed.
	GetUnlockChallenge = Route{http.MethodGet, "/v1/unlock/challenge", anyone, "", ContentJSON}
	// PostUnlock takes a wire.UnlockRequest signed by the box's unlock key,
	// answers a wire.UnlockAnswer (also with 403 and 404).
	PostUnlock = Route{http.MethodPost, "/v1/unlock", anyone, ContentJSON, ContentJSON}
	// GetReport (query: ReportQuery) answers a registry.Report of a
	// commune the edge is assigned.
	GetReport = Route{http.MethodGet, "/v1/report", edge, "", ContentJSON}
	// GetFindings answers the office's review list: []wire.Finding, at
	// most wire.MaxFindings.
	GetFindings = Route{http.MethodGet, "/v1/findings", edge, "", ContentJSON}
)

// City IT (the admin certificate).
var (
	// PostImport takes a population file (JSON Lines), answers an
	// ImportResult.
	PostImport = Route{http.MethodPost, "/v1/admin/import", admin, ContentNDJSON, ContentJSON}
	// PostAssign takes and answers an Assignment.
	PostAssign = Route{http.MethodPost, "/v1/admin/assign", admin, ContentJSON, ContentJSON}
	// GetConflicts answers []Conflict.
	GetConflicts = Route{http.MethodGet, "/v1/admin/conflicts", admin, "", ContentJSON}
	// PostResolve takes a Resolution, answers the registry.Outcome.
	PostResolve = Route{http.MethodPost, "/v1/admin/resolve", admin, ContentJSON, ContentJSON}
	// PostCorrect takes a Correction, answers the registry.Outcome.
	PostCorrect = Route{http.MethodPost, "/v1/admin/correct", admin, ContentJSON, ContentJSON}
	// PostToken takes a TokenRequest, answers a TokenResponse.
	PostToken = Route{http.MethodPost, "/v1/admin/token", admin, ContentJSON, ContentJSON}
	// GetNodes answers []FleetNode.
	GetNodes = Route{http.MethodGet, "/v1/admin/nodes", admin, "", ContentJSON}
	// GetNodeSeries (path: the node) answers []fsm.Sample.
	GetNodeSeries = Route{http.MethodGet, "/v1/admin/nodes/{node}/series", admin, "", ContentJSON}
	// GetNodeAudit (path: the node; query: AuditQuery) answers an
	// fsm.AuditTrail.
	GetNodeAudit = Route{http.MethodGet, "/v1/admin/nodes/{node}/audit", admin, "", ContentJSON}
	// PostRevoke takes and answers a NodeAction (a reason is required).
	PostRevoke = Route{http.MethodPost, "/v1/admin/revoke", admin, ContentJSON, ContentJSON}
	// PostReinstate takes and answers a NodeAction.
	PostReinstate = Route{http.MethodPost, "/v1/admin/reinstate", admin, ContentJSON, ContentJSON}
	// PostOfficer takes an OfficerRequest, answers the commune's
	// OfficerList.
	PostOfficer = Route{http.MethodPost, "/v1/admin/officers", admin, ContentJSON, ContentJSON}
	// GetOfficers (query: OfficersQuery) answers an OfficerList.
	GetOfficers = Route{http.MethodGet, "/v1/admin/officers", admin, "", ContentJSON}
	// GetBackup answers the node's backup file (cluster.BackupReader),
	// with HeaderAppliedIndex and HeaderStateDigest.
	GetBackup = Route{http.MethodGet, "/v1/admin/backup", admin, "", ContentBinary}
	// PostAdminCRL takes the fleet CA's revocation list (DER), answers a
	// CRLInfo.
	PostAdminCRL = Route{http.MethodPost, "/v1/admin/crl", admin, ContentCRL, ContentJSON}
	// GetAdminCRL answers a CRLInfo.
	GetAdminCRL = Route{http.MethodGet, "/v1/admin/crl", admin, "", ContentJSON}
	// PostTrust takes a TrustUpload, answers a TrustAnswer.
	PostTrust = Route{http.MethodPost, "/v1/admin/trust", admin, ContentJSON, ContentJSON}
	// PostTrustRemove takes a TrustRemoval, answers a TrustAnswer.
	PostTrustRemove = Route{http.MethodPost, "/v1/admin/trust/remove", admin, ContentJSON, ContentJSON}
	// GetAdminTrust answers a TrustView.
	GetAdminTrust = Route{http.MethodGet, "/v1/admin/trust", admin, "", ContentJSON}
	// GetAdminReport (query: ReportQuery) answers a registry.Report of any
	// commune.
	GetAdminReport = Route{http.MethodGet, "/v1/admin/report", admin, "", ContentJSON}
	// GetDocument (query: DocumentQuery) answers a DocumentCheck.
	GetDocument = Route{http.MethodGet, "/v1/admin/document", admin, "", ContentJSON}
	// GetQuality answers a QualityReport.
	GetQuality = Route{http.MethodGet, "/v1/admin/quality", admin, "", ContentJSON}
	// GetAdminFindings (query: FindingsQuery) answers []fsm.Finding.
	GetAdminFindings = Route{http.MethodGet, "/v1/admin/findings", admin, "", ContentJSON}
	// PostFindingReview takes a FindingReview, answers the fsm.Finding; a
	// merge's answer lists in Referrers the records repointed to the kept
	// one.
	PostFindingReview = Route{http.MethodPost, "/v1/admin/findings/review", admin, ContentJSON, ContentJSON}
	// GetCitizen (path: the personal ID) answers a CitizenView.
	GetCitizen = Route{http.MethodGet, "/v1/admin/citizens/{id}", admin, "", ContentJSON}
	// PostRemove takes a Removal, answers a Removed; only the leader
	// removes (others answer 503 with its ID).
	PostRemove = Route{http.MethodPost, "/v1/cluster/remove", admin, ContentJSON, ContentJSON}
)

// Between city nodes.
var (
	// PostJoin takes a JoinRequest and answers it; a follower forwards it
	// to the leader.
	PostJoin = Route{http.MethodPost, "/v1/cluster/join", city, ContentJSON, ContentJSON}
	// PostApply takes an fsm.Command (its encoding) a follower forwards,
	// answers the FSM's result in the encoding of its kind.
	PostApply = Route{http.MethodPost, "/v1/cluster/apply", city, ContentBinary, ContentBinary}
	// GetLeaderToken (path: a token's hash) answers a TokenVerdict.
	GetLeaderToken = Route{http.MethodGet, "/v1/cluster/token/{hash}", city, "", ContentJSON}
	// GetRelease answers a Release: the newest feature level the node's
	// release implements, which the leader asks of every voter before it
	// raises the cluster's.
	GetRelease = Route{http.MethodGet, "/v1/cluster/release", city, "", ContentJSON}
)

// Routes is every endpoint the city API serves, and nothing else.
var Routes = []Route{
	GetHealthz, GetReadyz, GetStatus, GetMetrics,
	GetEnrollRoot, PostEnroll, PostRenew, GetWhoAmI, GetStream,
	PostPush, PostDecisions, GetBundle, PostAudit, PostPresenceChallenge, PostPresence, GetTrust, GetCRL,
	PostKeySlot, GetUnlockChallenge, PostUnlock, GetReport, GetFindings,
	PostImport, PostAssign, GetConflicts, PostResolve, PostCorrect, PostToken, GetNodes, GetNodeSeries,
	GetNodeAudit, PostRevoke, PostReinstate, PostOfficer, GetOfficers, GetBackup, PostAdminCRL, GetAdminCRL,
	PostTrust, PostTrustRemove, GetAdminTrust, GetAdminReport, GetDocument, GetQuality, GetAdminFindings,
	PostFindingReview, GetCitizen, PostRemove,
	PostJoin, PostApply, GetLeaderToken, GetRelease,
}
