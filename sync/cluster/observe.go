package cluster

import (
	"time"

	"github.com/hashicorp/raft"

	"github.com/xanode/xanode/sync/fsm"
	"github.com/xanode/xanode/sync/metrics"
)

// storeBuckets resolve a log write (an fsync on a local disk: tenths of a
// millisecond to tens) and an FSM batch finer than metrics.LatencyBuckets.
var storeBuckets = []float64{.0001, .00025, .0005, .001, .002, .004, .008, .016, .032, .1, 1}

// observer records where a commit's time goes on this node (DESIGN.md,
// "Performance budgets"): the raft log writes, each ending in an fsync,
// and the FSM's batches. A nil observer records nothing.
type observer struct {
	logWrite   metrics.Histogram
	logEntries metrics.Counter
	fsmApply   metrics.Histogram
	fsmEntries metrics.Counter
	pushes     metrics.Counter
	pushLogs   metrics.Counter
	fsmCommit  metrics.Histogram
}

func newObserver(r *metrics.Registry) *observer {
	if r == nil {
		return nil
	}
	return &observer{
		logWrite:   r.Histogram("xanode_raft_log_write_seconds", "Time of one write to this node's raft log, fsync included.", storeBuckets),
		logEntries: r.Counter("xanode_raft_log_entries_total", "Entries written to this node's raft log."),
		fsmApply:   r.Histogram("xanode_fsm_apply_seconds", "Time of one FSM batch of committed entries.", storeBuckets),
		fsmEntries: r.Counter("xanode_fsm_entries_total", "Committed entries the FSM applied."),
		pushes:     r.Counter("xanode_raft_pushes_total", "Pushes this node proposed as leader."),
		fsmCommit:  r.Histogram("xanode_fsm_commit_seconds", "Time of one commit of applied entries to the state file, fsync included (it holds up the FSM).", storeBuckets),
		pushLogs:   r.Counter("xanode_raft_push_entries_total", "Raft entries those pushes went into (group commit: several pushes share one)."),
	}
}

// grouped counts a proposed entry of pushes pushes.
func (o *observer) grouped(pushes int) {
	if o == nil {
		return
	}
	o.pushes.Add(float64(pushes))
	o.pushLogs.Inc()
}

// observedLog times a raft log store's writes.
type observedLog struct {
	raft.LogStore
	o *observer
}

func (s observedLog) StoreLog(l *raft.Log) error { return s.StoreLogs([]*raft.Log{l}) }

func (s observedLog) StoreLogs(logs []*raft.Log) error {
	start := time.Now()
	err := s.LogStore.StoreLogs(logs)
	s.o.logWrite.Observe(time.Since(start).Seconds())
	s.o.logEntries.Add(float64(len(logs)))
	return err
}

// observedFSM times the FSM's batches; raft sees a raft.BatchingFSM as
// before.
type observedFSM struct {
	*fsm.FSM
	o *observer
}

func (f observedFSM) Apply(l *raft.Log) any { return f.ApplyBatch([]*raft.Log{l})[0] }

func (f observedFSM) ApplyBatch(logs []*raft.Log) []any {
	start := time.Now()
	out := f.FSM.ApplyBatch(logs)
	f.o.fsmApply.Observe(time.Since(start).Seconds())
	f.o.fsmEntries.Add(float64(len(logs)))
	return out
}

// IsMonotonic passes on raft-wal's promise (raft.MonotonicLogStore): after
// installing a snapshot, raft then clears the log rather than leave a gap.
func (s observedLog) IsMonotonic() bool {
	m, ok := s.LogStore.(raft.MonotonicLogStore)
	return ok && m.IsMonotonic()
}
