package cluster

import (
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/hashicorp/raft"

	"github.com/xanode/xanode/sync/fsm"
)

// Raft elects no leader without a majority of its configuration, and the
// configuration still names the nodes that were lost. Recover rewrites a
// stopped survivor's configuration to the survivor alone (hashicorp/raft's
// RecoverCluster, the peers.json recovery of Consul and Nomad): its log is
// applied to its state, which becomes a snapshot at the last index of the
// log with the new configuration, and the log is emptied. Indexes continue
// above that snapshot, so no edge sees a version go back. Entries the
// survivor held but the lost majority had not committed become committed:
// that is the price of recovering without a majority; the FSM decides
// every entry the same way however late it is applied.

// RecoverConfig names the survivor.
type RecoverConfig struct {
	Dir string // the stopped survivor's data folder
	ID  string // the survivor's raft server ID, as it ran
	// RaftAddr is the address other nodes will dial (its --raft-advertise,
	// or its --raft).
	RaftAddr  string
	FSM       fsm.Config
	LogOutput io.Writer // raft's log; nil: stderr
}

// Recovered says what Recover did.
type Recovered struct {
	Before    []raft.Server // the configuration the folder held
	LastIndex uint64        // the index of the recovered state; the node continues above it
	Status    fsm.Status    // the state after the recovery
}

// Recover makes the stopped node in cfg.Dir a one-voter cluster of itself,
// keeping its state and its raft indexes. The node must be stopped, and
// cfg.ID must be in the configuration the folder holds (a guard against
// recovering the wrong folder). Start the node afterwards; it leads alone
// and the replacements join it. Never start the lost nodes again with
// their old data: they would form a second cluster.
func Recover(cfg RecoverConfig) (*Recovered, error) {
	if cfg.ID == "" || cfg.Dir == "" || cfg.RaftAddr == "" {
		return nil, errors.New("cluster: recover needs the data folder, the node ID and its raft address")
	}
	store, err := openLogStore(cfg.Dir, false, cfg.LogOutput)
	if err != nil {
		return nil, err
	}
	defer store.Close()
	log := raftLogger(cfg.LogOutput)
	snaps, err := raft.NewFileSnapshotStoreWithLogger(cfg.Dir, 2, log)
	if err != nil {
		return nil, fmt.Errorf("cluster: snapshots: %w", err)
	}
	before, err := latestConfiguration(store, snaps)
	if err != nil {
		return nil, err
	}
	var ids []string
	member := false
	for _, s := range before.Servers {
		ids = append(ids, fmt.Sprintf("%s at %s", s.ID, s.Address))
		member = member || s.ID == raft.ServerID(cfg.ID)
	}
	if !member {
		return nil, fmt.Errorf("cluster: node %q is not in the configuration of %s (%s): give the ID this folder's node ran with",
			cfg.ID, cfg.Dir, strings.Join(ids, ", "))
	}

	f, err := fsm.Open(filepath.Join(cfg.Dir, "fsm.db"), cfg.FSM)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	_, trans := raft.NewInmemTransport(raft.ServerAddress(cfg.RaftAddr))
	defer trans.Close()
	rc := DefaultRaftConfig()
	rc.LocalID = raft.ServerID(cfg.ID)
	rc.Logger = log
	conf := raft.Configuration{Servers: []raft.Server{{Suffrage: raft.Voter, ID: raft.ServerID(cfg.ID), Address: raft.ServerAddress(cfg.RaftAddr)}}}
	if err := raft.RecoverCluster(rc, releasingFSM{f}, store, store, snaps, trans, conf); err != nil {
		return nil, fmt.Errorf("cluster: recover %s: %w", cfg.Dir, err)
	}
	metas, err := snaps.List()
	if err != nil || len(metas) == 0 {
		return nil, fmt.Errorf("cluster: recover %s: no snapshot after the recovery: %v", cfg.Dir, err)
	}
	st, err := f.Status()
	if err != nil {
		return nil, err
	}
	return &Recovered{Before: before.Servers, LastIndex: metas[0].Index, Status: st}, nil
}

// latestConfiguration is the configuration raft would start with: the
// newest snapshot's, replaced by any configuration entry in the log after
// it.
func latestConfiguration(logs raft.LogStore, snaps raft.SnapshotStore) (conf raft.Configuration, err error) {
	metas, err := snaps.List()
	if err != nil {
		return conf, fmt.Errorf("cluster: snapshots: %w", err)
	}
	var from uint64
	if len(metas) > 0 {
		conf, from = metas[0].Configuration, metas[0].Index+1
	}
	first, err := logs.FirstIndex()
	if err != nil {
		return conf, fmt.Errorf("cluster: raft log: %w", err)
	}
	last, err := logs.LastIndex()
	if err != nil {
		return conf, fmt.Errorf("cluster: raft log: %w", err)
	}
	defer func() {
		// DecodeConfiguration panics on bytes it cannot decode.
		if p := recover(); p != nil {
			err = fmt.Errorf("cluster: raft log holds an unreadable configuration: %v", p)
		}
	}()
	for i := max(from, first); last > 0 && i <= last; i++ {
		var l raft.Log
		if err := logs.GetLog(i, &l); err != nil {
			return conf, fmt.Errorf("cluster: raft log entry %d: %w", i, err)
		}
		if l.Type == raft.LogConfiguration {
			conf = raft.DecodeConfiguration(l.Data)
		}
	}
	if len(conf.Servers) == 0 {
		return conf, errors.New("cluster: the folder holds no raft configuration (it never joined a cluster): nothing to recover")
	}
	return conf, nil
}

// releasingFSM releases each snapshot once persisted. RecoverCluster
// persists the snapshot it takes but never releases it, and this FSM's
// snapshot is a bbolt read transaction that Close would wait for.
type releasingFSM struct{ *fsm.FSM }

func (r releasingFSM) Snapshot() (raft.FSMSnapshot, error) {
	s, err := r.FSM.Snapshot()
	if err != nil {
		return nil, err
	}
	return releaseOnPersist{s}, nil
}

type releaseOnPersist struct{ raft.FSMSnapshot }

func (s releaseOnPersist) Persist(sink raft.SnapshotSink) error {
	defer s.FSMSnapshot.Release()
	return s.FSMSnapshot.Persist(sink)
}
