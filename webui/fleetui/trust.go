package fleetui

import (
	"context"
	"time"

	"github.com/xanode/xanode/webui/i18n"
)

// TrustSource is an optional interface of a Fleet: the city's CSCA trust
// set (the certificates and CRLs chips are checked against), whose age the
// dashboard shows above the nodes. A Fleet without it shows no trust
// panel. Like Nodes, it is read concurrently and safe to repeat.
type TrustSource interface {
	Trust(ctx context.Context) (TrustSet, error)
}

// TrustSet is the city's CSCA trust set as the dashboard shows it.
type TrustSet struct {
	Version uint64    // the raft index of its last change; 0: never loaded
	Changed time.Time // when an item was last added; zero: never
	CSCAs   int
	CRLs    []TrustCRL
}

// TrustCRL is one CSCA's revocation list in the set.
type TrustCRL struct {
	Issuer                 string
	ThisUpdate, NextUpdate time.Time // NextUpdate zero: the CRL names none
}

// Stale reports whether the CRL is past its next update at now:
// revocations since then are unknown to every edge.
func (c TrustCRL) Stale(now time.Time) bool { return !c.NextUpdate.IsZero() && now.After(c.NextUpdate) }

// TrustLags reports whether the node holds an older CSCA trust list than
// the city's (it reported one, and the city has a newer version).
func (n Node) TrustLags() bool { return n.CityTrustVersion > n.TrustVersion }

// trustPanel is the dashboard's view of the set.
type trustPanel struct {
	Summary  string
	Problems []label // a stale CRL each, and an empty set
	CRLs     []trustRow
}

type trustRow struct {
	Issuer, This, Next, Class string
}

// buildTrust makes the panel for set at now; nil when the fleet has no
// trust source or the set could not be read.
func (s *Server) buildTrust(l i18n.Lang, set *TrustSet, now time.Time) *trustPanel {
	if set == nil {
		return nil
	}
	p := &trustPanel{}
	if set.Version == 0 {
		p.Problems = append(p.Problems, label{"warn", l.T("fleet.trust.empty")})
		return p
	}
	p.Summary = l.T("fleet.trust.summary", l.Int(int64(set.CSCAs)), l.Int(int64(len(set.CRLs))), count(l, set.Version), ago(l, now, set.Changed))
	for _, c := range set.CRLs {
		r := trustRow{Issuer: c.Issuer, This: formatTime(c.ThisUpdate, s.cfg.Location), Next: formatTime(c.NextUpdate, s.cfg.Location)}
		if c.Stale(now) {
			r.Class = "bad"
			p.Problems = append(p.Problems, label{"bad", l.T("fleet.problem.crlstale", c.Issuer, age(l, now.Sub(c.NextUpdate)))})
		}
		p.CRLs = append(p.CRLs, r)
	}
	return p
}

// fetchTrust reads the trust set if the fleet offers it: nil otherwise, or
// when it cannot be read (logged; the nodes still show).
func (s *Server) fetchTrust(ctx context.Context) *TrustSet {
	src, ok := s.cfg.Fleet.(TrustSource)
	if !ok {
		return nil
	}
	set, err := src.Trust(ctx)
	if err != nil {
		s.log.Warn("city call failed", "call", "Trust", "err", err)
		return nil
	}
	return &set
}
