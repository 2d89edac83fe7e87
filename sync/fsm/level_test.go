package fsm

import (
	"encoding/binary"
	"errors"
	"strings"
	"testing"

	"github.com/hashicorp/raft"
	bolt "go.etcd.io/bbolt"

	"github.com/xanode/xanode/node/registry"
)

// TestStateAheadOfTheRelease: a state at a feature level this release does
// not implement is not opened (a node started on an older release, or
// given a newer cluster's snapshot).
func TestStateAheadOfTheRelease(t *testing.T) {
	path := t.TempDir() + "/fsm.db"
	f, err := Open(path, DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	f.Close()
	db, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	db.Update(func(tx *bolt.Tx) error {
		return tx.Bucket(bCluster).Put(kLevel, binary.AppendUvarint(nil, ReleaseLevel+1))
	})
	db.Close()
	if f, err := Open(path, DefaultConfig()); !errors.Is(err, ErrLevelAhead) {
		if f != nil {
			f.Close()
		}
		t.Fatalf("opening a state ahead of the release: %v", err)
	}
}

// TestFeatureLevel: the leader raises the cluster's feature level with an
// entry every replica applies alike (digest-covered); a raise to the
// level held, or from anyone but a city node, changes nothing; a replica
// whose release does not implement the level stops at the entry, its
// state as before it, instead of going on to decide otherwise than the
// others.
func TestFeatureLevel(t *testing.T) {
	l := seeded(t)
	before, _ := l.f.Status()
	if before.Level != 0 {
		t.Fatalf("a new state at level %d", before.Level)
	}
	if res := l.apply(t, &Command{Kind: KindLevel, Received: t0, Level: 1}); res != nil {
		t.Fatalf("raise to 1: %v", res)
	}
	raised, _ := l.f.Status()
	if n, _ := l.f.Level(); n != 1 || raised.Level != 1 || raised.Digest == before.Digest {
		t.Fatalf("after the raise: level %d, status %+v", n, raised)
	}
	if res := l.apply(t, &Command{Kind: KindLevel, Received: t0, Level: 1}); !errors.Is(res.(error), ErrLevel) {
		t.Fatalf("raise to the level held: %v", res)
	}
	forged := &Command{Kind: KindLevel, Received: t0, Level: 1, From: Sender{Role: registry.RoleAdmin, ID: "admin"}}
	if err := forged.Authorize(); !errors.Is(err, ErrForbidden) {
		t.Fatalf("city IT raising the level: %v", err)
	}
	if _, err := DecodeCommand((&Command{Kind: KindLevel, Received: t0, From: Sender{Role: registry.RoleCity, ID: "city-1"}}).Encode()); !errors.Is(err, ErrCommand) {
		t.Fatalf("a raise to level 0 decodes: %v", err)
	}
	if _, err := DecodeCommand((&Command{Kind: KindLevel, Received: t0, Level: 9}).Encode()); !errors.Is(err, ErrCommand) {
		t.Fatalf("a raise in log format 1 (no sender) decodes: %v", err)
	}
	// The replica stops before writing anything of the entry; the
	// process ends with its batch uncommitted, and applies the entry
	// again when it restarts on the release running then.
	defer func() {
		if r := recover(); r == nil || !strings.Contains(r.(string), "upgrade this node") {
			t.Fatalf("a level above this release's: %v", r)
		}
	}()
	l.index++
	l.f.Apply(&raft.Log{Index: l.index, Type: raft.LogCommand,
		Data: (&Command{Kind: KindLevel, Received: t0, Level: ReleaseLevel + 1, From: Sender{Role: registry.RoleCity, ID: "city-1"}}).Encode()})
}
