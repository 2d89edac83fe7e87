package fsm

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/hashicorp/raft"
	bolt "go.etcd.io/bbolt"

	"github.com/xanode/xanode/node/registry"
)

// writeBackup writes a backup view of f to a file and returns its status.
func writeBackup(t *testing.T, f *FSM, path string) Status {
	t.Helper()
	b, err := f.Backup()
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	out, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	n, err := b.WriteTo(out)
	if err != nil || n != b.Size {
		t.Fatalf("wrote %d of %d bytes: %v", n, b.Size, err)
	}
	return b.Status
}

// TestBackupIsOneConsistentView: backups taken while batches are applied
// each hold records that add up to the digest and applied index they
// report, and Verify finds a record changed behind the digest's back.
func TestBackupIsOneConsistentView(t *testing.T) {
	l := seeded(t)
	stop, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		for seq := uint64(1); ; seq++ {
			select {
			case <-stop:
				return
			default:
			}
			l.index++
			c := &registry.Change{Node: "edge-1", Seq: seq, Officer: "o", Op: registry.OpIdentify, Citizen: idAn,
				Commune: commune, Time: registry.HLCFromTime(t0)}
			l.f.ApplyBatch([]*raft.Log{{Index: l.index, Type: raft.LogCommand,
				Data: (&Command{Kind: KindChanges, Received: t0, Changes: []*registry.Change{c}}).Encode()}})
		}
	}()
	// Let the applier get going before the first backup: on a loaded
	// machine five backups can otherwise finish before it runs at all.
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(time.Millisecond) {
		if st, _ := l.f.Status(); st.Changes > 0 || time.Now().After(deadline) {
			break
		}
	}
	dir := t.TempDir()
	var last Status
	for i := range 5 {
		path := filepath.Join(dir, "backup.db")
		os.Remove(path)
		st := writeBackup(t, l.f, path)
		got, err := Verify(path)
		if err != nil {
			t.Fatalf("backup %d: %v", i, err)
		}
		if got != st {
			t.Fatalf("backup %d: file holds %+v, the view reported %+v", i, got, st)
		}
		if st.AppliedIndex < last.AppliedIndex {
			t.Fatalf("backup %d at index %d, after one at %d", i, st.AppliedIndex, last.AppliedIndex)
		}
		last = st
	}
	close(stop)
	<-done
	if last.Changes == 0 {
		t.Fatal("no change was applied while the backups were taken")
	}

	// A record altered without its digest.
	path := filepath.Join(dir, "backup.db")
	db, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = db.Update(func(tx *bolt.Tx) error { return tx.Bucket(bNodes).Put([]byte("edge-1"), []byte("99999")) })
	db.Close()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Verify(path); !errors.Is(err, ErrDigestMismatch) {
		t.Fatalf("Verify of an altered file: %v", err)
	}
	if _, err := Verify(filepath.Join(dir, "missing.db")); err == nil {
		t.Fatal("Verify of a missing file succeeded")
	}
}

func TestBackupAfterClose(t *testing.T) {
	f, err := Open(filepath.Join(t.TempDir(), "fsm.db"), DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	f.Close()
	if _, err := f.Backup(); !errors.Is(err, ErrClosed) {
		t.Fatalf("Backup after Close: %v", err)
	}
}
