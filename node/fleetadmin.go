package node

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/xanode/xanode/node/registry"
	"github.com/xanode/xanode/sync/api"
	"github.com/xanode/xanode/sync/client"
	"github.com/xanode/xanode/webui/fleetui"
)

// FleetAdmin is the fleet UI's view of the city (fleetui.Fleet) over the
// city API, with the admin certificate: what `xanode fleet ui` runs on
// city IT's workstation.
type FleetAdmin struct {
	city *client.Admin
}

var _ fleetui.Fleet = (*FleetAdmin)(nil)

// NewFleetAdmin talks to the city nodes at urls (tried in turn) with
// tlsConfig (the admin certificate and the city root).
func NewFleetAdmin(urls []string, tlsConfig *tls.Config) (*FleetAdmin, error) {
	city, err := client.NewAdmin(urls, tlsConfig)
	if err != nil {
		return nil, err
	}
	return &FleetAdmin{city: city}, nil
}

// uiError gives a city error the fleetui kind the dashboard tells apart.
func uiError(err error) error {
	var se *client.StatusError
	switch {
	case err == nil:
		return nil
	case !errors.As(err, &se):
		return fmt.Errorf("%w: %w", fleetui.ErrUnreachable, err)
	case se.Code == http.StatusUnauthorized || se.Code == http.StatusForbidden:
		return fmt.Errorf("%w: %s", fleetui.ErrDenied, se.Reason)
	case se.Code == http.StatusNotFound:
		return fmt.Errorf("%w: %s", fleetui.ErrNotFound, se.Reason)
	case se.Code == http.StatusBadRequest || se.Code == http.StatusConflict:
		return fmt.Errorf("%w: %s", fleetui.ErrRefused, se.Reason)
	}
	return fmt.Errorf("%w: %w", fleetui.ErrUnreachable, err)
}

// Nodes implements fleetui.Fleet.
func (f *FleetAdmin) Nodes(ctx context.Context) ([]fleetui.Node, error) {
	rows, err := f.city.Nodes(ctx)
	if err != nil {
		return nil, uiError(err)
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
	ss, err := f.city.NodeSeries(ctx, node)
	if err != nil {
		return nil, uiError(err)
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
	tr, err := f.city.Token(ctx, api.TokenRequest{Commune: commune, Node: node, TTL: ttl})
	if err != nil {
		return fleetui.Token{}, uiError(err)
	}
	return fleetui.Token{Value: tr.Token, Node: tr.Node, Commune: tr.Commune, Expires: tr.Expires}, nil
}

// Revoke implements fleetui.Fleet.
func (f *FleetAdmin) Revoke(ctx context.Context, node, reason string) error {
	return uiError(f.city.Revoke(ctx, node, reason))
}

// Reinstate implements fleetui.Fleet.
func (f *FleetAdmin) Reinstate(ctx context.Context, node, reason string) error {
	return uiError(f.city.Reinstate(ctx, node, reason))
}

// Assign implements fleetui.Fleet.
func (f *FleetAdmin) Assign(ctx context.Context, node string, communes []string) error {
	_, err := f.city.Assign(ctx, node, communes)
	return uiError(err)
}

// Conflicts implements fleetui.Fleet.
func (f *FleetAdmin) Conflicts(ctx context.Context) ([]fleetui.Conflict, error) {
	cs, err := f.city.Conflicts(ctx)
	if err != nil {
		return nil, uiError(err)
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
	_, err := f.city.Resolve(ctx, api.Resolution{Entry: entry, Accept: accept, Reason: reason})
	return uiError(err)
}

// Audit implements fleetui.Fleet.
func (f *FleetAdmin) Audit(ctx context.Context, node string, after uint64, limit int) (fleetui.AuditTrail, error) {
	tr, err := f.city.NodeAudit(ctx, node, api.AuditQuery{After: after, Limit: limit})
	if err != nil {
		return fleetui.AuditTrail{}, uiError(err)
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
	r, err := f.city.Report(ctx, commune, month)
	return r, uiError(err)
}
