package node

import (
	"runtime/debug"

	"github.com/xanode/xanode/sync/stream"
	"github.com/xanode/xanode/webui"
)

// Software is this binary's version as edges report it: the module
// version, or the VCS revision of a development build.
var Software = func() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "unknown"
	}
	if v := bi.Main.Version; v != "" && v != "(devel)" {
		return v
	}
	for _, s := range bi.Settings {
		if s.Key == "vcs.revision" && len(s.Value) >= 12 {
			return "dev-" + s.Value[:12]
		}
	}
	return "dev"
}()

// telemetry samples the edge's health for the city.
func (n *Edge) telemetry() stream.Telemetry {
	t := stream.Telemetry{Software: Software, Communes: []string{n.commune()}}
	if leaf := n.cred.get().Leaf; leaf != nil {
		t.CertExpiry = leaf.NotAfter
	}
	t.DiskFree = diskFree(n.dir)
	t.TrustVersion = n.trust.csca.Version()
	if st := n.Store(); st != nil {
		if f, err := st.Findings(); err == nil {
			t.Findings = f
		}
	}
	st, err := n.status()
	if err != nil {
		return t
	}
	t.SubsetVersion, t.Outbox, t.OldestUnsynced, t.LastSynced = st.Subset.Version, st.Queue.Pending, st.Queue.Oldest, st.Queue.LastSynced
	t.Stale, t.Frozen = st.Stale, st.Frozen
	return t
}

// onMessage acts on what the city says over the stream. Notifications are
// hints: the loops also run on their timers, so a lost one only delays.
func (n *Edge) onMessage(m stream.Message) {
	n.clock.CityTime(m.Time)
	switch m.Type {
	case stream.TypeSubset:
		if e := n.Services(); e != nil {
			e.PullSoon()
		}
	case stream.TypeDecision:
		if e := n.Services(); e != nil {
			e.DecisionsSoon()
		}
	case stream.TypeConfig, stream.TypeRenew:
		n.FleetCheckSoon()
	case stream.TypeTrust:
		if m.Version > n.trust.csca.Version() {
			n.trust.soon()
		}
	case stream.TypeRevoked:
		// Sent on revocation and on suspension alike: the key loop asks
		// the city which, and locks the box at once if revoked.
		n.log.Error("the city says this node is revoked or suspended; checking which (a revoked box locks and destroys its key slots)",
			"node", n.ID.Node, "reason", m.Reason)
		n.keyEvent(keyProbe, m.Reason)
	}
}

// onStreamState tells the officer UI's open pages that the city link
// changed (the header shows it), and counts a connection as a contact.
func (n *Edge) onStreamState(connected bool) {
	if st := n.Store(); connected && st != nil {
		if err := st.Contact(n.clock.Now()); err != nil {
			n.log.Warn("last contact with the city not saved", "err", err)
		}
	}
	n.events.publish(webui.EventSync, "")
}

// cityConnected says whether the box is in touch with the city now: its
// stream to a city node is up.
func (n *Edge) cityConnected() bool {
	l := n.current()
	return l != nil && l.dialer != nil && l.dialer.Connected()
}
