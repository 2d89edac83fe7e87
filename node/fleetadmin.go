package node

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/xanode/xanode/node/registry"
	"github.com/xanode/xanode/sync/api"
	"github.com/xanode/xanode/sync/fsm"
	"github.com/xanode/xanode/webui/fleetui"
)

// FleetAdmin is the fleet UI's view of the city (fleetui.Fleet) over the
// city API, with the admin certificate: what `xanode fleet ui` runs on
// city IT's workstation.
type FleetAdmin struct {
	urls []string
	hc   *http.Client
}

var _ fleetui.Fleet = (*FleetAdmin)(nil)

// NewFleetAdmin talks to the city nodes at urls (tried in turn) with tlsConfig
// (the admin certificate and the city root).
func NewFleetAdmin(urls []string, tlsConfig *tls.Config) *FleetAdmin {
	for i, u := range urls {
		urls[i] = strings.TrimRight(u, "/")
	}
	return &FleetAdmin{urls: urls, hc: &http.Client{Timeout: 30 * time.Second,
		Transport: &http.Transport{TLSClientConfig: tlsConfig, MaxIdleConnsPerHost: 2}}}
}

// call sends a request to the first city node that answers, decoding a
// JSON answer into out (nil: ignored). Errors wrap the fleetui kinds.
func (f *FleetAdmin) call(ctx context.Context, method, path string, in, out any) error {
	var body []byte
	if in != nil {
		body, _ = json.Marshal(in)
	}
	var last error
	for _, base := range f.urls {
		req, err := http.NewRequestWithContext(ctx, method, base+path, bytes.NewReader(body))
		if err != nil {
			return err
		}
		if in != nil {
			req.Header.Set("Content-Type", "application/json")
		}
		resp, err := f.hc.Do(req)
		if err != nil {
			last = fmt.Errorf("%w: %s: %w", fleetui.ErrUnreachable, base, err)
			if ctx.Err() != nil {
				return last
			}
			continue
		}
		b, err := io.ReadAll(io.LimitReader(resp.Body, 32<<20))
		resp.Body.Close()
		if err != nil {
			last = fmt.Errorf("%w: %s: %w", fleetui.ErrUnreachable, base, err)
			continue
		}
		var e struct{ Error string }
		json.Unmarshal(b, &e)
		switch {
		case resp.StatusCode == http.StatusOK:
			if out == nil {
				return nil
			}
			return json.Unmarshal(b, out)
		case resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden:
			return fmt.Errorf("%w: %s", fleetui.ErrDenied, e.Error)
		case resp.StatusCode == http.StatusNotFound:
			return fmt.Errorf("%w: %s", fleetui.ErrNotFound, e.Error)
		case resp.StatusCode == http.StatusBadRequest || resp.StatusCode == http.StatusConflict:
			return fmt.Errorf("%w: %s", fleetui.ErrRefused, e.Error)
		}
		last = fmt.Errorf("%w: %s answered %s: %s", fleetui.ErrUnreachable, base, resp.Status, e.Error)
	}
	if last == nil {
		last = fmt.Errorf("%w: no city URL", fleetui.ErrUnreachable)
	}
	return last
}

// Nodes implements fleetui.Fleet.
func (f *FleetAdmin) Nodes(ctx context.Context) ([]fleetui.Node, error) {
	var rows []api.FleetNode
	if err := f.call(ctx, http.MethodGet, "/v1/admin/nodes", nil, &rows); err != nil {
		return nil, err
	}
	out := make([]fleetui.Node, 0, len(rows))
	for _, r := range rows {
		n := fleetui.Node{ID: r.ID, Communes: r.Communes, State: r.State, Reason: r.Reason,
			Enrolled: r.Enrolled, LastSeen: r.LastSeen, CertExpiry: r.CertExpiry}
		if r.Flagged {
			n.State = fleetui.StateFlagged
		}
		for _, v := range r.CityVersions {
			n.CityVersion = max(n.CityVersion, v)
		}
		n.CityTrustVersion = r.CityTrustVersion
		if t := r.Telemetry; t != nil {
			n.TrustVersion = t.TrustVersion
			n.Software, n.SubsetVersion, n.LastSynced = t.Software, t.SubsetVersion, t.LastSynced
			n.Outbox, n.OldestUnsynced, n.DiskFree, n.Findings = t.Outbox, t.OldestUnsynced, t.DiskFree, t.Findings
		} else {
			n.SubsetVersion = n.CityVersion // nothing reported: no lag shown
			n.TrustVersion = n.CityTrustVersion
		}
		out = append(out, n)
	}
	return out, nil
}

// NodeSeries implements fleetui.Fleet.
func (f *FleetAdmin) NodeSeries(ctx context.Context, node string) ([]fleetui.Sample, error) {
	var ss []fsm.Sample
	if err := f.call(ctx, http.MethodGet, "/v1/admin/nodes/"+url.PathEscape(node)+"/series", nil, &ss); err != nil {
		return nil, err
	}
	out := make([]fleetui.Sample, len(ss))
	for i, s := range ss {
		out[i] = fleetui.Sample{Time: s.Time, Lag: s.Lag, Outbox: s.Outbox, Findings: s.Findings}
	}
	return out, nil
}

// CommuneSeries implements fleetui.Fleet: the nodes serving the commune,
// summed per 5-minute bucket (lag: the worst node's).
func (f *FleetAdmin) CommuneSeries(ctx context.Context, commune string) ([]fleetui.Sample, error) {
	nodes, err := f.Nodes(ctx)
	if err != nil {
		return nil, err
	}
	buckets := map[int64]*fleetui.Sample{}
	for _, n := range nodes {
		if !slices.Contains(n.Communes, commune) {
			continue
		}
		ss, err := f.NodeSeries(ctx, n.ID)
		if err != nil {
			return nil, err
		}
		for _, s := range ss {
			k := s.Time.Truncate(5 * time.Minute).Unix()
			b := buckets[k]
			if b == nil {
				b = &fleetui.Sample{Time: time.Unix(k, 0).UTC()}
				buckets[k] = b
			}
			b.Lag = max(b.Lag, s.Lag)
			b.Outbox += s.Outbox
			b.Findings += s.Findings
		}
	}
	out := make([]fleetui.Sample, 0, len(buckets))
	for _, b := range buckets {
		out = append(out, *b)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Time.Before(out[j].Time) })
	return out, nil
}

// Token implements fleetui.Fleet.
func (f *FleetAdmin) Token(ctx context.Context, commune, node string, ttl time.Duration) (fleetui.Token, error) {
	var tr api.TokenResponse
	err := f.call(ctx, http.MethodPost, "/v1/admin/token", api.TokenRequest{Commune: commune, Node: node, TTL: ttl}, &tr)
	return fleetui.Token{Value: tr.Token, Node: tr.Node, Commune: tr.Commune, Expires: tr.Expires}, err
}

// Revoke implements fleetui.Fleet.
func (f *FleetAdmin) Revoke(ctx context.Context, node, reason string) error {
	return f.call(ctx, http.MethodPost, "/v1/admin/revoke", api.NodeAction{Node: node, Reason: reason}, nil)
}

// Reinstate implements fleetui.Fleet.
func (f *FleetAdmin) Reinstate(ctx context.Context, node, reason string) error {
	return f.call(ctx, http.MethodPost, "/v1/admin/reinstate", api.NodeAction{Node: node, Reason: reason}, nil)
}

// Assign implements fleetui.Fleet.
func (f *FleetAdmin) Assign(ctx context.Context, node string, communes []string) error {
	return f.call(ctx, http.MethodPost, "/v1/admin/assign", api.Assignment{Node: node, Communes: communes}, nil)
}

// Conflicts implements fleetui.Fleet.
func (f *FleetAdmin) Conflicts(ctx context.Context) ([]fleetui.Conflict, error) {
	var cs []api.Conflict
	if err := f.call(ctx, http.MethodGet, "/v1/admin/conflicts", nil, &cs); err != nil {
		return nil, err
	}
	out := make([]fleetui.Conflict, len(cs))
	for i, c := range cs {
		var parts []string
		for _, k := range slices.Sorted(maps.Keys(c.Patch)) {
			cur := ""
			if v, ok := c.Current[k]; ok {
				cur = " (now «" + v + "»)"
			}
			parts = append(parts, k+" → «"+c.Patch[k]+"»"+cur)
		}
		out[i] = fleetui.Conflict{Entry: c.Entry, Citizen: c.Citizen, Node: c.Node, Officer: c.Officer, Op: string(c.Op),
			Time: c.Time, Reason: c.Reason, Summary: strings.Join(parts, "; ")}
	}
	return out, nil
}

// Resolve implements fleetui.Fleet.
func (f *FleetAdmin) Resolve(ctx context.Context, entry uint64, accept bool, reason string) error {
	return f.call(ctx, http.MethodPost, "/v1/admin/resolve", api.Resolution{Entry: entry, Accept: accept, Reason: reason}, nil)
}

// Audit implements fleetui.Fleet.
func (f *FleetAdmin) Audit(ctx context.Context, node string, after uint64, limit int) (fleetui.AuditTrail, error) {
	var tr fsm.AuditTrail
	q := "?after=" + strconv.FormatUint(after, 10) + "&limit=" + strconv.Itoa(limit)
	if err := f.call(ctx, http.MethodGet, "/v1/admin/nodes/"+url.PathEscape(node)+"/audit"+q, nil, &tr); err != nil {
		return fleetui.AuditTrail{}, err
	}
	out := fleetui.AuditTrail{Node: node, Verified: tr.Tip.Seq, Broken: tr.Tip.Broken}
	if len(tr.Tip.Restarted) > 0 && out.Broken == "" {
		out.Broken = fmt.Sprintf("chain restarted %d time(s), last on %s (re-imaged box); earlier chains are kept",
			len(tr.Tip.Restarted), tr.Tip.Restarted[len(tr.Tip.Restarted)-1].Format(time.RFC3339))
	}
	for _, e := range tr.Entries {
		out.Entries = append(out.Entries, fleetui.AuditEntry{Seq: e.Seq, Time: e.Time, Officer: e.Officer,
			Action: e.Action, Citizen: e.Citizen, Detail: e.Detail})
	}
	return out, nil
}

// Report implements fleetui.Reports: a commune's monthly report as the
// city computes it.
func (f *FleetAdmin) Report(ctx context.Context, commune, month string) (*registry.Report, error) {
	var r registry.Report
	q := url.Values{"commune": {commune}, "month": {month}}
	if err := f.call(ctx, http.MethodGet, "/v1/admin/report?"+q.Encode(), nil, &r); err != nil {
		return nil, err
	}
	return &r, nil
}
