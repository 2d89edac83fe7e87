package cluster

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/raft"
	raftboltdb "github.com/hashicorp/raft-boltdb/v2"
	wal "github.com/hashicorp/raft-wal"
	"github.com/hashicorp/raft-wal/metadb"
	bolt "go.etcd.io/bbolt"
)

// A node's raft log and stable store live in one of two forms (DESIGN.md,
// "Performance budgets"):
//
//   - wal/: hashicorp/raft-wal, append-only segment files. A write is one
//     append and one fsync, against bbolt's two (pages, then meta page)
//     plus its B+tree work; every commit waits for the leader's write and
//     a follower's in series, so this is most of a one-change push.
//   - raft.db: raft-boltdb, the form of nodes made before the WAL. Such a
//     node keeps it: the form is chosen by what the folder holds, never
//     converted in place. Replacing the node (remove, then join with an
//     empty folder) moves it to the WAL.
const (
	boltLogFile = "raft.db"
	walDir      = "wal"
)

// logStore is a node's raft log and stable store in one.
type logStore interface {
	raft.LogStore
	raft.StableStore
	io.Closer
}

// ErrInUse: another process (the running node) holds the raft log.
var ErrInUse = errors.New("cluster: the raft log is in use: stop the node first")

// hasLog reports whether dir holds a raft log in either form.
func hasLog(dir string) bool {
	if fi, err := os.Stat(filepath.Join(dir, boltLogFile)); err == nil && fi.Size() > 0 {
		return true
	}
	_, err := os.Stat(filepath.Join(dir, walDir, metadb.FileName))
	return err == nil
}

// openLogStore opens dir's raft log: raft.db when the folder has one,
// otherwise the WAL, which create makes when there is none (a new node);
// without create a folder with neither is an error (recovery of a folder
// that is not a node's).
func openLogStore(dir string, create bool, out io.Writer) (logStore, error) {
	path := filepath.Join(dir, boltLogFile)
	if _, err := os.Stat(path); err == nil {
		s, err := raftboltdb.New(raftboltdb.Options{Path: path,
			// The log grows and shrinks all day: a map freelist that is
			// not synced keeps commits from slowing as the log ages.
			BoltOptions: &bolt.Options{Timeout: time.Second, NoFreelistSync: true, FreelistType: bolt.FreelistMapType}})
		if errors.Is(err, bolt.ErrTimeout) {
			return nil, fmt.Errorf("%w (%s)", ErrInUse, path)
		}
		if err != nil {
			return nil, fmt.Errorf("cluster: raft log %s: %w", path, err)
		}
		return s, nil
	}
	wd := filepath.Join(dir, walDir)
	meta := filepath.Join(wd, metadb.FileName)
	if _, err := os.Stat(meta); err != nil {
		if !create {
			return nil, fmt.Errorf("cluster: no raft log in %s (is it a city node's data folder?)", dir)
		}
		if err := os.MkdirAll(wd, 0o700); err != nil {
			return nil, fmt.Errorf("cluster: raft log: %w", err)
		}
	} else if err := checkUnlocked(meta); err != nil {
		return nil, err
	}
	m := &metadb.BoltMetaDB{}
	w, err := wal.Open(wd, wal.WithMetaStore(m),
		wal.WithLogger(hclog.New(&hclog.LoggerOptions{Name: "raft-wal", Output: orStderr(out), Level: hclog.Warn, JSONFormat: true})))
	if err != nil {
		m.Close()
		return nil, fmt.Errorf("cluster: raft log %s: %w", wd, err)
	}
	return walStore{w, m}, nil
}

// walStore closes the WAL's metadata file with the WAL: raft-wal's (v0.4.2)
// Close leaves it open, and its lock would keep the folder from being
// opened again in the same process (a restarted node, a recovery).
type walStore struct {
	*wal.WAL
	meta *metadb.BoltMetaDB
}

func (s walStore) Close() error { return errors.Join(s.WAL.Close(), s.meta.Close()) }

// checkUnlocked fails with ErrInUse when a process holds the WAL's
// metadata file: raft-wal would wait for the lock for ever.
func checkUnlocked(meta string) error {
	db, err := bolt.Open(meta, 0o600, &bolt.Options{Timeout: time.Second, ReadOnly: true})
	if errors.Is(err, bolt.ErrTimeout) {
		return fmt.Errorf("%w (%s)", ErrInUse, meta)
	}
	if err != nil {
		return fmt.Errorf("cluster: raft log %s: %w", meta, err)
	}
	return db.Close()
}

func orStderr(w io.Writer) io.Writer {
	if w == nil {
		return os.Stderr
	}
	return w
}
