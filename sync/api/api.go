// Package api is the contract of the city node's HTTPS API: every
// endpoint's method and path, the certificate roles it admits, the media
// types of its bodies, its query parameters and its request and answer
// types (DESIGN.md, "Trust model", "Layout and dependency rules"). The
// server (sync/cityapi) registers its handlers against Routes, and a test
// there keeps the two equal; the client (sync/client: the edge's Client
// and city IT's Admin) builds its requests from the same routes and types.
//
// The binary messages (pushed changes, outcomes) and the JSON types the
// state machine also stores (audit entries, key slot and presence
// messages) stay in sync/wire, which sync/fsm imports; this package sits
// above the state machine, because several answers are its records served
// as they are (fsm.NodeRecord, fsm.Finding, fsm.AuditTrail).
package api

import (
	"net/url"
	"strings"

	"github.com/xanode/xanode/certs"
)

// Media types of request and answer bodies, besides the binary messages of
// sync/wire (wire.ContentChanges, wire.ContentOutcomes, wire.ContentAudit).
const (
	ContentJSON      = "application/json"
	ContentNDJSON    = "application/x-ndjson"      // a population file (JSON Lines of citizens)
	ContentCRL       = "application/pkix-crl"      // a DER revocation list
	ContentPEM       = "application/x-pem-file"    // the root certificate
	ContentBinary    = "application/octet-stream"  // bundles, trust lists, backups
	ContentMetrics   = "text/plain; version=0.0.4" // Prometheus text exposition
	ContentText      = "text/plain; charset=utf-8" // the probes' "ok" and "ready"
	ContentWebsocket = "websocket"                 // GET /v1/stream upgrades
)

// Route is one endpoint of the city API.
type Route struct {
	Method string
	// Path is a net/http ServeMux path: {name} is one path segment.
	Path string
	// Roles are the certificate roles admitted (over mutual TLS, checked
	// on every request); nil: no client certificate is needed (the
	// probes, enrollment, a locked box's unlock).
	Roles []certs.Role
	// Request is the media type of the body ("": none); Response that of
	// a 200 answer. Every error answer is an Error in JSON.
	Request, Response string
}

// Pattern is the route as a ServeMux pattern: "METHOD /path".
func (r Route) Pattern() string { return r.Method + " " + r.Path }

// Expand fills the path's wildcards, in order, with args (path-escaped).
// It panics when the count of args is not the count of wildcards: that is
// a caller's mistake, not input.
func (r Route) Expand(args ...string) string {
	parts := strings.Split(r.Path, "/")
	n := 0
	for i, p := range parts {
		if strings.HasPrefix(p, "{") && strings.HasSuffix(p, "}") {
			if n == len(args) {
				panic("api: too few values for " + r.Path)
			}
			parts[i] = url.PathEscape(args[n])
			n++
		}
	}
	if n != len(args) {
		panic("api: too many values for " + r.Path)
	}
	return strings.Join(parts, "/")
}

// Admits reports whether the route admits a caller of role.
func (r Route) Admits(role certs.Role) bool {
	for _, x := range r.Roles {
		if x == role {
			return true
		}
	}
	return false
}

// Error is the JSON body of every error answer.
type Error struct {
	Error string `json:"error"`
	// Leader names the raft leader's ID on a 503 from a node that is not
	// the leader and could not forward (DESIGN.md, "Sync").
	Leader string `json:"leader,omitempty"`
}

// Headers of answers, besides wire.HeaderLeader.
const (
	// HeaderAppliedIndex and HeaderStateDigest give what a backup's header
	// says, readable before its body.
	HeaderAppliedIndex = "X-Xanode-Applied-Index"
	HeaderStateDigest  = "X-Xanode-State-Digest"
	// HeaderForwardedFor names, on a join a follower forwards, the city
	// node that asked ("city/ID"); only a city node may set it.
	HeaderForwardedFor = "X-Xanode-Forwarded-For"
	// HeaderTrustVersion gives the version of the trust list GetTrust
	// answers.
	HeaderTrustVersion = "X-Xanode-Trust-Version"
)
