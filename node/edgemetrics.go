package node

import (
	"math"
	"time"

	"github.com/xanode/xanode/node/edge"
	"github.com/xanode/xanode/sync/metrics"
)

// status is the edge's status, or ErrLocked.
func (n *Edge) status() (edge.Status, error) {
	e := n.Services()
	if e == nil {
		return edge.Status{}, ErrLocked
	}
	return e.Status()
}

// initMetrics registers an edge's series: what its status says, read at
// each scrape, and the card reads counted as they happen.
func (n *Edge) initMetrics() {
	r := metrics.New()
	n.metrics = r
	n.reads = r.Counter("xanode_reader_reads_total", "Card reads by result (ok, failed) and assurance level or failure reason.", "result", "detail")
	read := metrics.Cached(time.Second, n.status) // one status per scrape
	status := func(f func(st edge.Status) float64) func() float64 {
		return func() float64 {
			st, err := read()
			if err != nil {
				return math.NaN()
			}
			return f(st)
		}
	}
	flag := func(b bool) float64 {
		if b {
			return 1
		}
		return 0
	}
	r.GaugeFunc("xanode_edge_outbox", "Changes recorded here and not yet decided by the city.", status(func(st edge.Status) float64 { return float64(st.Queue.Pending) }))
	r.GaugeFunc("xanode_edge_outbox_oldest_age_seconds", "Age of the oldest change waiting in the outbox (0 when empty).", status(func(st edge.Status) float64 {
		if st.Queue.Pending == 0 || st.Queue.Oldest.IsZero() {
			return 0
		}
		return time.Since(st.Queue.Oldest).Seconds()
	}))
	r.GaugeFunc("xanode_edge_last_sync_age_seconds", "Time since the last successful exchange with the city (NaN: never).", status(func(st edge.Status) float64 {
		if st.Queue.LastSynced.IsZero() {
			return math.NaN()
		}
		return time.Since(st.Queue.LastSynced).Seconds()
	}))
	r.GaugeFunc("xanode_edge_subset_version", "Version (raft index) of the subset held.", status(func(st edge.Status) float64 { return float64(st.Subset.Version) }))
	r.GaugeFunc("xanode_edge_subset_records", "Records in the subset held.", status(func(st edge.Status) float64 { return float64(st.Subset.Count) }))
	r.GaugeFunc("xanode_edge_subset_stale", "1 when the subset is past its expiry.", status(func(st edge.Status) float64 { return flag(st.Stale) }))
	r.GaugeFunc("xanode_edge_subset_frozen", "1 when the subset is past its hard limit: no identification decisions.", status(func(st edge.Status) float64 { return flag(st.Frozen) }))
	r.GaugeFunc("xanode_edge_sync_failing", "1 when the last sync attempt failed.", status(func(st edge.Status) float64 { return flag(st.LastError != "") }))
	r.GaugeFunc("xanode_edge_cert_expiry_timestamp_seconds", "Expiry of the node certificate (Unix time).", func() float64 {
		if leaf := n.cred.get().Leaf; leaf != nil {
			return float64(leaf.NotAfter.Unix())
		}
		return math.NaN()
	})
	r.GaugeFunc("xanode_edge_stream_connected", "1 while the websocket to the city is up.", func() float64 {
		l := n.current()
		if l == nil {
			return math.NaN()
		}
		return flag(l.dialer.Connected())
	})
	r.GaugeFunc("xanode_edge_findings_total", "Identifications where the card and the record disagreed.", func() float64 {
		st := n.Store()
		if st == nil {
			return math.NaN()
		}
		f, err := st.Findings()
		if err != nil {
			return math.NaN()
		}
		return float64(f)
	})
	r.GaugeFunc("xanode_edge_trust_version", "Version of the city's CSCA trust list installed (0: none).", func() float64 { return float64(n.trust.csca.Version()) })
	r.GaugeFunc("xanode_edge_locked", "1 while the data key is locked away (no key slot opened, or revoked); 2 when revoked.", func() float64 {
		switch n.Locked().Kind {
		case "":
			return 0
		case LockRevoked:
			return 2
		}
		return 1
	})
	r.GaugeFunc("xanode_edge_disk_free_bytes", "Space left on the data folder's filesystem.", func() float64 { return float64(diskFree(n.dir)) })
	r.CounterFunc("xanode_edge_sent_bytes_total", "Body bytes sent to the city (pushes, audit, renewals), compressed as on the wire.", func() float64 {
		l := n.current()
		if l == nil {
			return math.NaN()
		}
		sent, _ := l.city.Bytes()
		return float64(sent)
	})
	r.CounterFunc("xanode_edge_received_bytes_total", "Body bytes received from the city (outcomes, bundles), as on the wire.", func() float64 {
		l := n.current()
		if l == nil {
			return math.NaN()
		}
		_, recv := l.city.Bytes()
		return float64(recv)
	})
	r.GaugeFunc("xanode_edge_transfer_done_ratio", "Share of the download or import under way (NaN: none or unknown size).", func() float64 {
		e := n.Services()
		if e == nil {
			return math.NaN()
		}
		p := e.Progress()
		if p.Phase == "" || p.Total <= 0 {
			return math.NaN()
		}
		return float64(p.Done) / float64(p.Total)
	})
}
