package client

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/xanode/xanode/node/registry"
	"github.com/xanode/xanode/sync/api"
	"github.com/xanode/xanode/sync/fsm"
)

// Admin is city IT's client of the city API, with the admin certificate
// (certs.RoleAdmin): every /v1/admin/* endpoint, status, metrics, the
// probes, removing a city node and backups. It tries the city nodes as
// the edge's Client does (the one that answered last first; the next on a
// node that is down, has no leader or is overloaded; a follower's leader
// hint followed). A refusal wraps ErrRefused and a *StatusError with the
// city's status and reason; when no node answered, ErrUnavailable wraps
// the last node's error.
type Admin struct {
	c *Client
}

// NewAdmin returns city IT's client of the city nodes at urls (tried in
// turn), with tlsConfig holding the admin certificate and the city root.
func NewAdmin(urls []string, tlsConfig *tls.Config) (*Admin, error) {
	c, err := New(urls, tlsConfig)
	if err != nil {
		return nil, err
	}
	return &Admin{c: c}, nil
}

// Close releases idle connections.
func (a *Admin) Close() { a.c.Close() }

// URLs are the city API base URLs the client uses.
func (a *Admin) URLs() []string { return a.c.URLs() }

// Status describes the city node that answers (ask a client of one URL to
// read a given node's).
func (a *Admin) Status(ctx context.Context) (*api.Status, error) {
	var st api.Status
	return answer(&st, a.c.call(ctx, api.GetStatus, api.GetStatus.Path, nil, nil, &st))
}

// Metrics returns the Prometheus text of the node that answers.
func (a *Admin) Metrics(ctx context.Context) ([]byte, error) {
	return a.c.do(ctx, api.GetMetrics.Method, api.GetMetrics.Path, nil, nil)
}

// Ready returns nil when the node that answers has a raft leader.
func (a *Admin) Ready(ctx context.Context) error {
	_, err := a.c.do(ctx, api.GetReadyz.Method, api.GetReadyz.Path, nil, nil)
	return err
}

// Nodes lists the fleet.
func (a *Admin) Nodes(ctx context.Context) ([]api.FleetNode, error) {
	var out []api.FleetNode
	return out, a.c.call(ctx, api.GetNodes, api.GetNodes.Path, nil, nil, &out)
}

// NodeSeries returns a node's telemetry samples of the last day.
func (a *Admin) NodeSeries(ctx context.Context, node string) ([]fsm.Sample, error) {
	var out []fsm.Sample
	return out, a.c.call(ctx, api.GetNodeSeries, api.GetNodeSeries.Expand(node), nil, nil, &out)
}

// NodeAudit returns a page of a node's audit trail with the city's verdict
// on its chain.
func (a *Admin) NodeAudit(ctx context.Context, node string, q api.AuditQuery) (*fsm.AuditTrail, error) {
	var out fsm.AuditTrail
	return answer(&out, a.c.call(ctx, api.GetNodeAudit, api.GetNodeAudit.Expand(node), q.Values(), nil, &out))
}

// Token makes a one-time enrollment token.
func (a *Admin) Token(ctx context.Context, req api.TokenRequest) (*api.TokenResponse, error) {
	var out api.TokenResponse
	return answer(&out, a.c.call(ctx, api.PostToken, api.PostToken.Path, nil, req, &out))
}

// Revoke refuses a node at once on every city node.
func (a *Admin) Revoke(ctx context.Context, node, reason string) error {
	return a.c.call(ctx, api.PostRevoke, api.PostRevoke.Path, nil, api.NodeAction{Node: node, Reason: reason}, nil)
}

// Reinstate lifts a suspension.
func (a *Admin) Reinstate(ctx context.Context, node, reason string) error {
	return a.c.call(ctx, api.PostReinstate, api.PostReinstate.Path, nil, api.NodeAction{Node: node, Reason: reason}, nil)
}

// Assign lets a node act for communes and returns the assignment the city
// recorded.
func (a *Admin) Assign(ctx context.Context, node string, communes []string) (*api.Assignment, error) {
	var out api.Assignment
	return answer(&out, a.c.call(ctx, api.PostAssign, api.PostAssign.Path, nil, api.Assignment{Node: node, Communes: communes}, &out))
}

// Conflicts lists the changes waiting for city IT's decision.
func (a *Admin) Conflicts(ctx context.Context) ([]api.Conflict, error) {
	var out []api.Conflict
	return out, a.c.call(ctx, api.GetConflicts, api.GetConflicts.Path, nil, nil, &out)
}

// Resolve decides a change of the conflict queue and returns its outcome.
func (a *Admin) Resolve(ctx context.Context, r api.Resolution) (*registry.Outcome, error) {
	var out registry.Outcome
	return answer(&out, a.c.call(ctx, api.PostResolve, api.PostResolve.Path, nil, r, &out))
}

// Correct applies a city correction and returns its outcome.
func (a *Admin) Correct(ctx context.Context, c api.Correction) (*registry.Outcome, error) {
	var out registry.Outcome
	return answer(&out, a.c.call(ctx, api.PostCorrect, api.PostCorrect.Path, nil, c, &out))
}

// Officers lists a commune's officer accounts (never their hashes).
func (a *Admin) Officers(ctx context.Context, commune string) (*api.OfficerList, error) {
	var out api.OfficerList
	return answer(&out, a.c.call(ctx, api.GetOfficers, api.GetOfficers.Path, api.OfficersQuery{Commune: commune}.Values(), nil, &out))
}

// SetOfficer adds, replaces or disables an officer account and returns
// the commune's accounts after it.
func (a *Admin) SetOfficer(ctx context.Context, req api.OfficerRequest) (*api.OfficerList, error) {
	var out api.OfficerList
	return answer(&out, a.c.call(ctx, api.PostOfficer, api.PostOfficer.Path, nil, req, &out))
}

// Quality returns the data-quality figures per commune, now and weekly.
func (a *Admin) Quality(ctx context.Context) (*api.QualityReport, error) {
	var out api.QualityReport
	return answer(&out, a.c.call(ctx, api.GetQuality, api.GetQuality.Path, nil, nil, &out))
}

// Findings lists the findings q selects.
func (a *Admin) Findings(ctx context.Context, q api.FindingsQuery) ([]fsm.Finding, error) {
	var out []fsm.Finding
	return out, a.c.call(ctx, api.GetAdminFindings, api.GetAdminFindings.Path, q.Values(), nil, &out)
}

// ReviewFinding records city IT's decision on a finding and returns it.
func (a *Admin) ReviewFinding(ctx context.Context, r api.FindingReview) (*fsm.Finding, error) {
	var out fsm.Finding
	return answer(&out, a.c.call(ctx, api.PostFindingReview, api.PostFindingReview.Path, nil, r, &out))
}

// Citizen returns a record as the city holds it, with its findings.
func (a *Admin) Citizen(ctx context.Context, id string) (*api.CitizenView, error) {
	var out api.CitizenView
	return answer(&out, a.c.call(ctx, api.GetCitizen, api.GetCitizen.Expand(id), nil, nil, &out))
}

// Report returns any commune's monthly report as the city computes it.
func (a *Admin) Report(ctx context.Context, commune, month string) (*registry.Report, error) {
	var out registry.Report
	q := api.ReportQuery{Commune: commune, Month: month}
	return answer(&out, a.c.call(ctx, api.GetAdminReport, api.GetAdminReport.Path, q.Values(), nil, &out))
}

// Document returns the city's proof behind a printed document's code,
// with the city's own check of it.
func (a *Admin) Document(ctx context.Context, code string) (*api.DocumentCheck, error) {
	var out api.DocumentCheck
	return answer(&out, a.c.call(ctx, api.GetDocument, api.GetDocument.Path, api.DocumentQuery{Code: code}.Values(), nil, &out))
}

// Trust returns the CSCA trust set with ages.
func (a *Admin) Trust(ctx context.Context) (*api.TrustView, error) {
	var out api.TrustView
	return answer(&out, a.c.call(ctx, api.GetAdminTrust, api.GetAdminTrust.Path, nil, nil, &out))
}

// UploadTrust adds a master list or a CSCA's CRL to the trust set.
func (a *Admin) UploadTrust(ctx context.Context, u api.TrustUpload) (*api.TrustAnswer, error) {
	var out api.TrustAnswer
	return answer(&out, a.c.call(ctx, api.PostTrust, api.PostTrust.Path, nil, u, &out))
}

// RemoveTrust takes items out of the trust set by fingerprint.
func (a *Admin) RemoveTrust(ctx context.Context, fingerprints []string) (*api.TrustAnswer, error) {
	var out api.TrustAnswer
	return answer(&out, a.c.call(ctx, api.PostTrustRemove, api.PostTrustRemove.Path, nil, api.TrustRemoval{Fingerprints: fingerprints}, &out))
}

// PutCRL hands the fleet CA's revocation list (DER) to the city and
// returns what the city enforces from then on.
func (a *Admin) PutCRL(ctx context.Context, der []byte) (*api.CRLInfo, error) {
	r := api.PostAdminCRL
	b, err := a.c.do(ctx, r.Method, r.Path, der, func(h http.Header) { h.Set("Content-Type", r.Request) })
	if err != nil {
		return nil, err
	}
	var out api.CRLInfo
	if err := json.Unmarshal(b, &out); err != nil {
		return nil, fmt.Errorf("client: %s %s: the city's answer: %w", r.Method, r.Path, err)
	}
	return &out, nil
}

// CRL returns the fleet CA's revocation list the city enforces.
func (a *Admin) CRL(ctx context.Context) (*api.CRLInfo, error) {
	var out api.CRLInfo
	return answer(&out, a.c.call(ctx, api.GetAdminCRL, api.GetAdminCRL.Path, nil, nil, &out))
}

// RemoveNode takes a city node out of the raft configuration. Only the
// leader removes: a follower refuses with 503 and the leader's ID
// (StatusError.Leader), which no URL of the client reaches by itself.
func (a *Admin) RemoveNode(ctx context.Context, id string) (*api.Removed, error) {
	var out api.Removed
	return answer(&out, a.c.call(ctx, api.PostRemove, api.PostRemove.Path, nil, api.Removal{ID: id}, &out))
}

// importTimeout bounds a population import: the city answers only when
// the whole file is loaded through raft.
const importTimeout = 30 * time.Minute

// Import streams a population file (JSON Lines of citizens) to the city
// node tried first; a stream is sent once, never to a second node, since
// its bytes are gone. The city loads it through raft in batches.
func (a *Admin) Import(ctx context.Context, population io.Reader) (*api.ImportResult, error) {
	ctx, cancel := context.WithTimeout(ctx, importTimeout)
	defer cancel()
	r := api.PostImport
	resp, url, err := a.c.stream(ctx, r, population)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var out api.ImportResult
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&out); err != nil {
		return nil, fmt.Errorf("client: %s %s: the city's answer: %w", r.Method, url, err)
	}
	return &out, nil
}

// Backup streams the backup of the city node tried first, as it writes it
// (no overall deadline: gigabytes take minutes; ctx ends it). The caller
// reads the body to its end with cluster.BackupReader and closes it; an
// error after the first byte only cuts the stream short.
func (a *Admin) Backup(ctx context.Context) (io.ReadCloser, error) {
	resp, _, err := a.c.stream(ctx, api.GetBackup, nil)
	if err != nil {
		return nil, err
	}
	return resp.Body, nil
}

// streamHeaderTimeout bounds the wait for a streamed answer's headers.
const streamHeaderTimeout = time.Minute

// stream sends one request of route to the node tried first, with body
// streamed (nil: none), and returns the answer for the caller to read and
// close when it is 200 OK. Without a body, the answer's headers must come
// within streamHeaderTimeout.
func (c *Client) stream(ctx context.Context, r api.Route, body io.Reader) (*http.Response, string, error) {
	url := c.urls[int(c.next.Load())%len(c.urls)] + r.Path
	ctx, cancel := context.WithCancel(ctx)
	req, err := http.NewRequestWithContext(ctx, r.Method, url, body)
	if err != nil {
		cancel()
		return nil, url, err
	}
	if body != nil {
		req.Header.Set("Content-Type", r.Request)
	}
	headers := time.AfterFunc(streamHeaderTimeout, cancel)
	if body != nil {
		headers.Stop() // an upload is answered once it is loaded
	}
	resp, err := c.http().Do(req)
	headers.Stop()
	if err != nil {
		cancel()
		return nil, url, fmt.Errorf("%w: %s %s: %w", ErrUnavailable, r.Method, url, err)
	}
	c.sawDate(resp)
	if resp.StatusCode != http.StatusOK {
		defer cancel()
		defer resp.Body.Close()
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
		return nil, url, statusError(r.Method, url, resp, b)
	}
	resp.Body = cancelOnClose{resp.Body, cancel}
	return resp, url, nil
}

// cancelOnClose ends a streamed request's context with its body.
type cancelOnClose struct {
	io.ReadCloser
	cancel context.CancelFunc
}

func (b cancelOnClose) Close() error {
	err := b.ReadCloser.Close()
	b.cancel()
	return err
}

// answer is v, or nil with err.
func answer[T any](v *T, err error) (*T, error) {
	if err != nil {
		return nil, err
	}
	return v, nil
}
