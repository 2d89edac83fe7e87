package fsm

import (
	"encoding/binary"
	"errors"
	"fmt"

	bolt "go.etcd.io/bbolt"
)

// Feature levels (DESIGN.md, "Conflict resolution": feature levels).
// Replicas of two releases apply one log side by side during a rolling
// upgrade, so a release that decides or stores something differently may
// do so only from a point in the log every replica can follow: the
// entry that raises the cluster's feature level, which the leader proposes
// once every voter says its release implements that level
// (cityapi.Server.RaiseLevel). Code that behaves differently from level N
// checks t.level() >= N.

// ReleaseLevel is the newest feature level this release implements.
//
//	1: the levels themselves; nothing is decided or stored differently.
//	2: the history is hashed as a chain and outcomes are not digest
//	   elements of their own (chain.go); nothing is decided differently.
//	3: the history entries of a log entry are one stored value, each
//	   carrying its citizen's link (historyblocks.go); nothing is decided
//	   differently.
const ReleaseLevel = 3

// bCluster holds what the cluster as a whole agreed to (digest-covered):
// "level" → uvarint, the feature level, absent before the first raise.
var bCluster = []byte("cluster")

var kLevel = []byte("level")

// Errors of feature levels.
var (
	// ErrLevel answers a raise to a level the cluster has already reached.
	ErrLevel = errors.New("fsm: the cluster is already at this feature level")
	// ErrLevelAhead refuses to open (or restore) a state whose feature
	// level this release does not implement.
	ErrLevelAhead = errors.New("fsm: the state is ahead of this release")
)

// level is the cluster's feature level as the batch sees it (0 before the
// first raise), read once a batch: applyLevel, its only writer, keeps it.
func (t *txn) level() uint64 {
	if !t.lvlRead {
		t.lvl, t.lvlRead = levelOf(t.tx), true
	}
	return t.lvl
}

func levelOf(tx *bolt.Tx) uint64 {
	b := tx.Bucket(bCluster)
	if b == nil {
		return 0 // a state file older than the levels
	}
	n, _ := binary.Uvarint(b.Get(kLevel))
	return n
}

// applyLevel raises the cluster's feature level. A replica whose release
// does not implement the level cannot decide what the others will from
// this entry on: it stops here (the entry and everything after it are
// applied again when it restarts on a release that does) rather than
// diverge.
func (f *FSM) applyLevel(t *txn, index uint64, cmd *Command) any {
	if cmd.Level > ReleaseLevel {
		panic(fmt.Sprintf("fsm: the log raises the feature level to %d and this release implements %d: upgrade this node (DESIGN.md, \"Conflict resolution\": feature levels)",
			cmd.Level, ReleaseLevel))
	}
	cur := t.level()
	if cmd.Level <= cur {
		return fmt.Errorf("%w: %d", ErrLevel, cur)
	}
	t.put(bCluster, kLevel, binary.AppendUvarint(nil, cmd.Level), true)
	t.lvl = cmd.Level
	if cur < 2 && cmd.Level >= 2 {
		t.startChain(index)
	}
	return nil
}

// Level is the cluster's feature level as this replica applied it.
func (f *FSM) Level() (uint64, error) {
	var n uint64
	err := f.view(func(tx *bolt.Tx) error { n = levelOf(tx); return nil })
	return n, err
}

// CommittedLevel is Level as of the last commit (at most flushEvery
// behind), without committing the entries applied since: for the
// leader's every-second check (cityapi.Server.RaiseLevel), where a raise
// proposed again is refused (ErrLevel).
func (f *FSM) CommittedLevel() (uint64, error) {
	var n uint64
	err := f.viewCommitted(func(tx *bolt.Tx) error { n = levelOf(tx); return nil })
	return n, err
}
