package cluster

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/raft"

	"github.com/xanode/xanode/sync/fsm"
)

// Raft indexes are meaningful outside the cluster: a commune's subset
// version is the index that last changed it, and edges refuse a subset
// older than the one they hold. A cluster rebuilt from a backup must
// therefore continue above the backup's applied index, never start again
// at 1. Restore does this the way raft itself moves a state between
// nodes: the backup becomes a raft snapshot at its applied index, in a
// configuration of one voter; raft restores the FSM from it at start-up
// and appends the next entry at index+1.
//
// Edges may hold subset versions from after the backup (the lost part of
// the history). A restored cluster that reused those numbers for other
// changes would leave such an edge on its lost data: it refuses versions
// lower than its own, and a version equal to its own looks like nothing
// new. RestoreConfig.Above lets the operator start higher than any index
// seen: the snapshot then stands at that index (raft does not need the
// entries between), and every change afterwards gets a newer version than
// any edge holds.

// ErrNotEmpty: restore only fills a new data folder.
var ErrNotEmpty = errors.New("cluster: data folder is not empty")

// RestoreConfig says where and as what a backup becomes a node.
type RestoreConfig struct {
	Dir string // new or empty data folder
	ID  string // raft server ID of the node that will run on Dir
	// RaftAddr is the raft address other nodes will dial (the node's
	// --raft-advertise, or its --raft when it binds that address).
	RaftAddr string
	// Above makes raft continue above this index when it is higher than
	// the backup's applied index: give the highest applied index or
	// subset version seen after the backup was taken (monitoring, the
	// edges' /v1/status). Zero: continue above the backup's index.
	Above     uint64
	LogOutput io.Writer // raft's log; nil: stderr
}

// Restored says what Restore did.
type Restored struct {
	Header BackupHeader
	// Index is the raft index the restored state stands at: the backup's
	// applied index, or RestoreConfig.Above if higher. The next entry
	// gets Index+1.
	Index uint64
}

// Restore prepares cfg.Dir from the backup in r as a one-voter cluster
// whose raft history continues above the backup's applied index. It
// refuses a folder that holds anything, a damaged or newer backup, and a
// state whose records do not match its digest; on error it leaves the
// folder as empty as it found it. It needs free space for about twice
// the state (the checked state file, then the snapshot made of it). Start
// the node on Dir afterwards, without bootstrapping (the folder already is
// a cluster), and join the others to it.
func Restore(r io.Reader, cfg RestoreConfig) (Restored, error) {
	if cfg.ID == "" || cfg.Dir == "" || cfg.RaftAddr == "" {
		return Restored{}, errors.New("cluster: restore needs a data folder, a node ID and a raft address")
	}
	if err := emptyDir(cfg.Dir); err != nil {
		return Restored{}, err
	}
	hdr, err := restore(r, cfg)
	if err != nil {
		clearDir(cfg.Dir)
		return Restored{}, err
	}
	return Restored{Header: hdr, Index: max(hdr.AppliedIndex, cfg.Above)}, nil
}

func restore(r io.Reader, cfg RestoreConfig) (BackupHeader, error) {
	br, err := NewBackupReader(r)
	if err != nil {
		return BackupHeader{}, err
	}
	defer br.Close()
	hdr := br.Header
	if hdr.AppliedIndex == 0 {
		return hdr, fmt.Errorf("%w: the backup holds no applied entry; form a new cluster with --bootstrap instead", ErrBackupFormat)
	}
	// The state goes to a file first: it is checked (checksum, digest)
	// before raft sees any of it.
	tmp := filepath.Join(cfg.Dir, "restore.db")
	if err := writeFileSync(tmp, br.WriteState); err != nil {
		return hdr, err
	}
	defer os.Remove(tmp)
	st, err := fsm.Verify(tmp)
	if err != nil {
		return hdr, fmt.Errorf("cluster: restored state: %w", err)
	}
	if got := fmt.Sprintf("%x", st.Digest); st.AppliedIndex != hdr.AppliedIndex || got != hdr.StateDigest {
		return hdr, fmt.Errorf("%w: the state is at index %d with digest %s, the header says %d and %s",
			ErrBackupDamaged, st.AppliedIndex, got, hdr.AppliedIndex, hdr.StateDigest)
	}

	snaps, err := raft.NewFileSnapshotStoreWithLogger(cfg.Dir, 2, raftLogger(cfg.LogOutput))
	if err != nil {
		return hdr, fmt.Errorf("cluster: snapshots: %w", err)
	}
	_, trans := raft.NewInmemTransport(raft.ServerAddress(cfg.RaftAddr))
	defer trans.Close()
	conf := raft.Configuration{Servers: []raft.Server{{Suffrage: raft.Voter, ID: raft.ServerID(cfg.ID), Address: raft.ServerAddress(cfg.RaftAddr)}}}
	// Term 1: the restored cluster is a new raft cluster; its terms start
	// again, its indexes continue.
	index := max(hdr.AppliedIndex, cfg.Above)
	sink, err := snaps.Create(raft.SnapshotVersionMax, index, 1, conf, index, trans)
	if err != nil {
		return hdr, fmt.Errorf("cluster: snapshot: %w", err)
	}
	f, err := os.Open(tmp)
	if err != nil {
		sink.Cancel()
		return hdr, err
	}
	defer f.Close()
	if _, err := io.Copy(sink, f); err != nil {
		sink.Cancel()
		return hdr, fmt.Errorf("cluster: snapshot: %w", err)
	}
	if err := sink.Close(); err != nil {
		return hdr, fmt.Errorf("cluster: snapshot: %w", err)
	}
	return hdr, nil
}

// writeFileSync creates path, fills it with fill and syncs it.
func writeFileSync(path string, fill func(io.Writer) error) error {
	w, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	err = fill(w)
	if err == nil {
		err = w.Sync()
	}
	if cerr := w.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(path)
	}
	return err
}

// emptyDir creates dir, or accepts it if it holds nothing.
func emptyDir(dir string) error {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return os.MkdirAll(dir, 0o700)
	}
	if err != nil {
		return err
	}
	if len(entries) > 0 {
		var names []string
		for _, e := range entries[:min(len(entries), 3)] {
			names = append(names, e.Name())
		}
		if len(entries) > 3 {
			names = append(names, "…")
		}
		return fmt.Errorf("%w: %s holds %s: restore into a new folder (move the old one aside; never restore over a node's data)",
			ErrNotEmpty, dir, strings.Join(names, ", "))
	}
	return nil
}

// clearDir empties a folder Restore filled, leaving the folder itself.
func clearDir(dir string) {
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		os.RemoveAll(filepath.Join(dir, e.Name()))
	}
}

// raftLogger is raft's own logger at warning level.
func raftLogger(out io.Writer) hclog.Logger {
	if out == nil {
		out = os.Stderr
	}
	return hclog.New(&hclog.LoggerOptions{Name: "raft", Output: out, Level: hclog.Warn, JSONFormat: true})
}
