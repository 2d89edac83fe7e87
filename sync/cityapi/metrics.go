package cityapi

import (
	"math"
	"net/http"
	"strconv"
	"time"

	"github.com/hashicorp/raft"

	"github.com/xanode/xanode/sync/fsm"
	"github.com/xanode/xanode/sync/metrics"
)

// cityMetrics are the series a city node exposes on /metrics (see
// deploy/prometheus/alerts.yml for the alerts built on them).
type cityMetrics struct {
	reg      *metrics.Registry
	apply    metrics.Histogram // raft commit + FSM apply, by command kind
	applyErr metrics.Counter
	changes  metrics.Counter // pushed changes by outcome
	bundles  metrics.Counter // bundle requests by kind asked
	refused  metrics.Counter // edge connections or requests refused by the fleet state
	limited  metrics.Counter // edge sends refused over their hourly limit, by node and what
	tel      metrics.Counter
}

// raftStats is the optional part of Cluster that reports raft's figures
// (cluster.Node implements it).
type raftStats interface{ Stats() map[string]string }

func (s *Server) initMetrics() {
	r := s.cfg.Metrics
	if r == nil {
		r = metrics.New()
	}
	m := &cityMetrics{reg: r}
	m.apply = r.Histogram("xanode_raft_apply_seconds", "Time from a command's proposal to its FSM response (commit, fsync, apply), by kind.", metrics.LatencyBuckets, "kind")
	m.applyErr = r.Counter("xanode_raft_apply_errors_total", "Commands that failed to commit (not leader, timeout), by kind.", "kind")
	m.changes = r.Counter("xanode_push_changes_total", "Changes pushed by edges, by the FSM's outcome.", "result")
	m.bundles = r.Counter("xanode_bundle_requests_total", "Bundle requests, by what the edge asked for (full: since=0).", "asked")
	m.refused = r.Counter("xanode_fleet_refused_total", "Edge requests refused by the fleet state (revoked, suspended, superseded certificate).")
	m.limited = r.Counter("xanode_edge_limited_total", "Pushes and audit batches refused because the edge sent more than its hourly limit (EdgeLimit), by node and what.", "node", "what")
	m.tel = r.Counter("xanode_telemetry_total", "Telemetry samples recorded through raft.")
	// One state read per scrape, shared by the series below.
	status := metrics.Cached(time.Second, s.cfg.Cluster.FSM().Status)
	fleet := metrics.Cached(time.Second, s.cfg.Cluster.FSM().FleetNodes)
	st := func(key string) func() float64 {
		return func() float64 {
			rs, ok := s.cfg.Cluster.(raftStats)
			if !ok {
				return math.NaN()
			}
			v, err := strconv.ParseFloat(rs.Stats()[key], 64)
			if err != nil {
				return math.NaN()
			}
			return v
		}
	}
	r.GaugeFunc("xanode_raft_leader", "1 on the raft leader, 0 elsewhere.", func() float64 {
		if s.cfg.Cluster.IsLeader() {
			return 1
		}
		return 0
	})
	r.GaugeFunc("xanode_raft_has_leader", "1 when this node knows a leader.", func() float64 {
		if id, _ := s.cfg.Cluster.Leader(); id != "" {
			return 1
		}
		return 0
	})
	r.GaugeFunc("xanode_raft_term", "Current raft term.", st("term"))
	r.GaugeFunc("xanode_raft_last_log_index", "Last index in the raft log.", st("last_log_index"))
	r.GaugeFunc("xanode_raft_commit_index", "Raft commit index.", st("commit_index"))
	r.GaugeFunc("xanode_raft_applied_index", "Last raft index applied to the FSM.", st("applied_index"))
	r.GaugeFunc("xanode_raft_voters", "Voters in this node's raft configuration.", func() float64 {
		servers, err := s.cfg.Cluster.Servers()
		if err != nil {
			return math.NaN()
		}
		n := 0
		for _, sv := range servers {
			if sv.Suffrage == raft.Voter {
				n++
			}
		}
		return float64(n)
	})
	r.GaugeFunc("xanode_citizens", "Citizen records in the state.", func() float64 {
		st, err := status()
		if err != nil {
			return math.NaN()
		}
		return float64(st.Citizens)
	})
	r.GaugeFunc("xanode_history_changes", "Changes in the change history (every outcome).", func() float64 {
		st, err := status()
		if err != nil {
			return math.NaN()
		}
		return float64(st.Changes)
	})
	r.GaugeVecFunc("xanode_fleet_nodes", "Edge nodes by state (flagged: active but not seen for the policy's FlagAfter).", "state", func() map[string]float64 {
		out := map[string]float64{fsm.NodeActive: 0, fsm.NodeSuspended: 0, fsm.NodeRevoked: 0, "flagged": 0}
		nodes, err := fleet()
		if err != nil {
			return nil
		}
		now := s.cfg.Now()
		for _, n := range nodes {
			state := n.State
			if state == fsm.NodeActive && !n.LastSeen.IsZero() && now.Sub(n.LastSeen) > s.cfg.Policy.FlagAfter {
				state = "flagged"
			}
			out[state]++
		}
		return out
	})
	r.GaugeFunc("xanode_fleet_max_outbox_age_seconds", "Age of the oldest unsynced change any active edge reported.", func() float64 {
		nodes, err := fleet()
		if err != nil {
			return math.NaN()
		}
		oldest := 0.0
		for _, n := range nodes {
			if n.State == fsm.NodeActive && n.Telemetry != nil && n.Telemetry.Outbox > 0 && !n.Telemetry.OldestUnsynced.IsZero() {
				oldest = max(oldest, n.LastSeen.Sub(n.Telemetry.OldestUnsynced).Seconds())
			}
		}
		return oldest
	})
	r.GaugeFunc("xanode_fleet_max_lag", "The largest subset lag (raft entries behind the city) any active edge reported.", func() float64 {
		nodes, err := fleet()
		if err != nil {
			return math.NaN()
		}
		var lag uint64
		for _, n := range nodes {
			if n.State == fsm.NodeActive {
				lag = max(lag, n.Lag())
			}
		}
		return float64(lag)
	})
	r.GaugeFunc("xanode_fleet_min_cert_expiry_timestamp_seconds", "Earliest certificate expiry (Unix time) of an active edge.", func() float64 {
		nodes, err := fleet()
		if err != nil {
			return math.NaN()
		}
		first := math.NaN()
		for _, n := range nodes {
			if n.State == fsm.NodeActive && !n.CertExpiry.IsZero() {
				if v := float64(n.CertExpiry.Unix()); math.IsNaN(first) || v < first {
					first = v
				}
			}
		}
		return first
	})
	s.m = m
}

// observeApply records a command's commit latency.
func (m *cityMetrics) observeApply(kind fsm.Kind, start time.Time, err error) {
	k := strconv.Itoa(int(kind))
	if err != nil {
		m.applyErr.Inc(k)
		return
	}
	m.apply.Observe(time.Since(start).Seconds(), k)
}

func (s *Server) metrics(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/plain; version=0.0.4")
	s.m.reg.WriteTo(w)
}
