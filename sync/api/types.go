package api

import (
	"time"

	"github.com/xanode/xanode/node/quality"
	"github.com/xanode/xanode/node/registry"
	"github.com/xanode/xanode/sync/attest"
	"github.com/xanode/xanode/sync/fsm"
)

// The kinds of TrustUpload.
const (
	UploadMasterList = "masterlist"
	UploadCRL        = "crl"
)

// ImportResult answers POST /v1/admin/import.
type ImportResult struct {
	Imported int `json:"imported"`
}

// Removal is the body of POST /v1/cluster/remove.
type Removal struct {
	ID string `json:"id"`
}

// Removed answers POST /v1/cluster/remove.
type Removed struct {
	Removed string `json:"removed"`
}

// TokenVerdict is the leader's answer to GET /v1/cluster/token/{hash}: a
// follower asks it before enrolling an edge with a token.
type TokenVerdict struct {
	Verdict string `json:"verdict"` // "ok", "unknown", "used", "expired", "revoked" or "error"
	Error   string `json:"error,omitempty"`
}

// Conflict is one entry of the conflict queue, as city IT sees it.
type Conflict struct {
	Entry    uint64            `json:"entry"`
	Change   string            `json:"change"`
	Node     string            `json:"node"`
	Officer  string            `json:"officer"`
	Op       registry.Op       `json:"op"`
	Citizen  string            `json:"citizen"`
	Commune  string            `json:"commune"`
	Time     time.Time         `json:"time"`
	Patch    map[string]string `json:"patch"`
	Reason   string            `json:"reason"`
	Current  map[string]string `json:"current,omitempty"` // the record's values of the patched fields now
	Recorded uint64            `json:"index"`
}

// Resolution is the body of POST /v1/admin/resolve.
type Resolution struct {
	Entry  uint64 `json:"entry"`
	Accept bool   `json:"accept"`
	Reason string `json:"reason"`
}

// Correction is the body of POST /v1/admin/correct.
type Correction struct {
	Citizen string            `json:"citizen"`
	Patch   map[string]string `json:"patch"`
	Reason  string            `json:"reason"`
}

// CRLInfo answers GET /v1/admin/crl: the fleet CA's revocation list the
// city enforces (city-node and admin certificates).
type CRLInfo struct {
	Number     string    `json:"number,omitempty"` // "" when the city holds none
	ThisUpdate time.Time `json:"this_update,omitzero"`
	Serials    []string  `json:"serials"`
}

// DecisionsRequest is the body of POST /v1/decisions: the changes of the
// calling edge whose decision it wants, typically those it holds as
// needs_review.
type DecisionsRequest struct {
	Changes []string `json:"changes"`
}

// DocumentCheck answers GET /v1/admin/document.
type DocumentCheck struct {
	Code      string            `json:"code"`
	Genuine   bool              `json:"genuine"`
	Reason    string            `json:"reason,omitempty"` // why not, when not genuine
	Statement *attest.Statement `json:"statement,omitempty"`
	Proof     *attest.Proof     `json:"proof"`
}

// EnrollRequest is the body of POST /v1/enroll.
type EnrollRequest struct {
	Token string `json:"token"`
	CSR   string `json:"csr"` // PEM
	// UICSR and UIHosts ask for the certificate of the edge's officer UI
	// (HTTPS on the office LAN): private addresses and names under the
	// city's LAN domains only. Optional.
	UICSR   string   `json:"ui_csr,omitempty"`
	UIHosts []string `json:"ui_hosts,omitempty"`
}

// EnrollResponse answers an enrollment or a renewal.
type EnrollResponse struct {
	Node    string   `json:"node"`
	Commune string   `json:"commune,omitempty"`
	CertPEM string   `json:"cert_pem"` // leaf followed by the fleet CA
	UICert  string   `json:"ui_cert_pem,omitempty"`
	RootPEM string   `json:"root_pem,omitempty"`
	City    []string `json:"city,omitempty"` // city API URLs
	NextSeq uint64   `json:"next_seq,omitempty"`
}

// TokenRequest is the body of POST /v1/admin/token.
type TokenRequest struct {
	Commune string        `json:"commune"`
	Node    string        `json:"node,omitempty"` // default "edge-" + commune
	TTL     time.Duration `json:"ttl,omitempty"`  // default certs.DefaultTokenLifetime
}

// TokenResponse carries a new enrollment token, shown once.
type TokenResponse struct {
	Token   string    `json:"token"`
	Node    string    `json:"node"`
	Commune string    `json:"commune"`
	Expires time.Time `json:"expires"`
}

// NodeAction is the body of POST /v1/admin/revoke and /reinstate.
type NodeAction struct {
	Node   string `json:"node"`
	Reason string `json:"reason"`
}

// FleetNode is one row of GET /v1/admin/nodes.
type FleetNode struct {
	fsm.NodeRecord
	Flagged bool   `json:"flagged"` // active but not seen for the policy's FlagAfter
	Lag     uint64 `json:"lag"`
	// CityTrustVersion is the city's CSCA trust version, to compare with
	// the one the node reports holding (Telemetry.TrustVersion).
	CityTrustVersion uint64 `json:"city_trust_version"`
}

// WhoAmI answers GET /v1/whoami: what the city knows of the calling edge.
type WhoAmI struct {
	Node     string   `json:"node"`
	Communes []string `json:"communes"`
}

// Assignment is the body of POST /v1/admin/assign.
type Assignment struct {
	Node     string   `json:"node"`
	Communes []string `json:"communes"`
}

// JoinRequest is the body of POST /v1/cluster/join.
type JoinRequest struct {
	ID       string `json:"id"`
	RaftAddr string `json:"raft_addr"`
	APIURL   string `json:"api_url,omitempty"` // registered so followers can forward to it
}

// OfficerRequest is the body of POST /v1/admin/officers: an account to add
// or replace (Name, Role and the Argon2id hash), or to disable (Disabled,
// with only Commune and User) — the account as the log carries it, whose
// author the city takes from the certificate.
type OfficerRequest = fsm.OfficerAccount

// OfficerInfo is an account as GET /v1/admin/officers lists it: no hash.
type OfficerInfo struct {
	Commune  string    `json:"commune"`
	User     string    `json:"user"`
	Name     string    `json:"name"`
	Role     string    `json:"role"`
	Disabled bool      `json:"disabled"`
	By       string    `json:"by,omitempty"`
	Changed  time.Time `json:"changed"`
}

// OfficerList answers GET /v1/admin/officers: the accounts and the subset
// version that carries them to the edges.
type OfficerList struct {
	Commune       string        `json:"commune"`
	SubsetVersion uint64        `json:"subset_version"`
	Officers      []OfficerInfo `json:"officers"`
}

// QualityReport answers GET /v1/admin/quality.
type QualityReport struct {
	On     bool               `json:"on"`     // the rules run (a sweep has been applied)
	Rules  []quality.RuleInfo `json:"rules"`  // every rule, in table order
	Now    []fsm.Figures      `json:"now"`    // each commune's figures now
	Weekly []fsm.Figures      `json:"weekly"` // at the end of each week, oldest first
}

// FindingReview is the body of POST /v1/admin/findings/review.
type FindingReview struct {
	ID     uint64 `json:"id"`
	Action string `json:"action"`         // confirm, dismiss, reopen or merge
	Keep   string `json:"keep,omitempty"` // merge: the record of the duplicate pair that stays
	Reason string `json:"reason"`
}

// CitizenView answers GET /v1/admin/citizens/{id}: the record as the city
// holds it and every finding about it, for the drill-down of city IT.
type CitizenView struct {
	ID       string            `json:"id"`
	Version  uint64            `json:"version"`
	Fields   map[string]string `json:"fields"`
	Findings []fsm.Finding     `json:"findings"`
	// MergedInto names the record a retired duplicate was merged into.
	MergedInto string `json:"merged_into,omitempty"`
}

// TrustUpload is the body of POST /v1/admin/trust.
type TrustUpload struct {
	Kind   string `json:"kind"` // UploadMasterList or UploadCRL
	Data   []byte `json:"data"` // DER (base64 in JSON)
	Source string `json:"source,omitempty"`
}

// TrustRemoval is the body of POST /v1/admin/trust/remove.
type TrustRemoval struct {
	Fingerprints []string `json:"fingerprints"`
}

// TrustAnswer answers an upload or removal.
type TrustAnswer struct {
	fsm.TrustResult
	Signer  string   `json:"signer,omitempty"` // of a master list
	Skipped []string `json:"skipped,omitempty"`
}

// TrustView answers GET /v1/admin/trust: the set with ages.
type TrustView struct {
	Version uint64      `json:"version"`
	Changed time.Time   `json:"changed,omitzero"` // when the newest item was added
	Items   []TrustInfo `json:"items"`
}

// TrustInfo is one item of the set, without its DER.
type TrustInfo struct {
	Kind        string    `json:"kind"`
	Fingerprint string    `json:"fingerprint"`
	Subject     string    `json:"subject,omitempty"`
	Issuer      string    `json:"issuer"`
	NotAfter    time.Time `json:"not_after,omitzero"`
	ThisUpdate  time.Time `json:"this_update,omitzero"`
	NextUpdate  time.Time `json:"next_update,omitzero"`
	Stale       bool      `json:"stale,omitempty"` // a CRL past its next update
	Source      string    `json:"source,omitempty"`
	By          string    `json:"by"`
	Added       time.Time `json:"added"`
	AgeSeconds  int64     `json:"age_seconds"` // since it was added
}

// Status is the JSON of GET /v1/status on a city node.
type Status struct {
	NodeID       string `json:"node_id"`
	Leader       string `json:"leader"`
	IsLeader     bool   `json:"is_leader"`
	AppliedIndex uint64 `json:"applied_index"`
	// Commands counts the command entries applied: it moves only when
	// someone's command reached the log, not on raft's own entries.
	Commands    uint64 `json:"commands"`
	Citizens    uint64 `json:"citizens"`
	Changes     uint64 `json:"changes"`
	StateDigest string `json:"state_digest"`
	Voters      int    `json:"voters"` // raft voters in this node's configuration
	// Level is the cluster's feature level as this node applied it;
	// ReleaseLevel the newest its release implements (fsm.ReleaseLevel).
	Level        uint64 `json:"level"`
	ReleaseLevel uint64 `json:"release_level"`
}

// Release answers GET /v1/cluster/release.
type Release struct {
	Level uint64 `json:"level"` // fsm.ReleaseLevel of the node's binary
}
