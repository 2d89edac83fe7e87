package fsm

import (
	"errors"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/hashicorp/raft"
	bolt "go.etcd.io/bbolt"

	"github.com/xanode/xanode/node/registry"
)

// withRaise inserts the entry raising the feature level to level before
// logs[at], renumbering the indexes; level 0 inserts a no-op entry of raft
// in its place instead.
func withRaise(logs []*raft.Log, at int, level uint64) []*raft.Log {
	entry := &raft.Log{Type: raft.LogNoop}
	if level > 0 {
		raise := &Command{Kind: KindLevel, Received: t0, Level: level, From: Sender{Role: registry.RoleCity, ID: "city-1"}}
		entry = &raft.Log{Type: raft.LogCommand, Data: raise.Encode()}
	}
	out := append(append(append([]*raft.Log{}, logs[:at]...), entry), logs[at:]...)
	for i, l := range out {
		c := *l
		c.Index = uint64(i + 1)
		out[i] = &c
	}
	return out
}

// resolveAll appends city IT's decision on every change in the conflict
// queue, alternately accepting and rejecting.
func resolveAll(t *testing.T, f *FSM, logs []*raft.Log) []*raft.Log {
	t.Helper()
	q, err := f.Reviews()
	if err != nil || len(q) == 0 {
		t.Fatalf("conflict queue: %d entries, %v", len(q), err)
	}
	for i, e := range q {
		c := &Command{Kind: KindResolve, Received: t0, Entry: e.Seq, Accept: i%2 == 0, Reason: fmt.Sprintf("quyết định %d", i), By: "admin"}
		c.From = senderFor(c)
		logs = append(logs, &raft.Log{Index: uint64(len(logs) + 1), Type: raft.LogCommand, Data: c.Encode()})
	}
	return logs
}

// decisions are what a log decided for each change, the entries from
// split on applied after a commit.
func decisions(t *testing.T, f *FSM, logs []*raft.Log, split int) []string {
	t.Helper()
	var out []string
	res := f.ApplyBatch(logs[:split])
	f.flush()
	res = append(res, f.ApplyBatch(logs[split:])...)
	for _, res := range res {
		switch r := res.(type) {
		case []*registry.Outcome:
			for _, o := range r {
				out = append(out, fmt.Sprintf("%s %s %s %q %d", o.Change, o.Citizen, o.Result, o.Reason, len(o.Lost)))
			}
		case []any:
			for _, p := range r {
				if os, ok := p.([]*registry.Outcome); ok {
					for _, o := range os {
						out = append(out, fmt.Sprintf("%s %s %s %q %d", o.Change, o.Citizen, o.Result, o.Reason, len(o.Lost)))
					}
				}
			}
		case *registry.Outcome:
			out = append(out, fmt.Sprintf("%s %s %s", r.Change, r.Result, r.Reason))
		}
	}
	return out
}

// TestHistoryDigestChain: from feature level 2 the history is hashed as a chain
// (chain.go). Nothing is decided differently; replicas batching the log
// differently agree; Verify recomputes the state and catches a history
// entry or an outcome altered in the file.
func TestHistoryDigestChain(t *testing.T) {
	base := randomLog(11, 1500)
	probe := mustOpen(t)
	probe.ApplyBatch(base)
	changes := len(base) + 1 // with the raise
	base = resolveAll(t, probe, base)

	plain := decisions(t, mustOpen(t), withRaise(base, len(base)/3, 0), changes)
	logs := withRaise(base, len(base)/3, 2)
	a, b, c := mustOpen(t), mustOpen(t), mustOpen(t)
	chained := decisions(t, a, logs, changes)
	if len(chained) != len(plain) {
		t.Fatalf("%d decisions at level 2, %d at level 0", len(chained), len(plain))
	}
	for i := range plain {
		if plain[i] != chained[i] {
			t.Fatalf("decision %d differs at level 2:\n  %s\n  %s", i, chained[i], plain[i])
		}
	}
	// Batched otherwise: entries of 97, and the whole log in one batch
	// (the resolutions in the transaction that queued their changes).
	for i := 0; i < len(logs); i += 97 {
		b.ApplyBatch(logs[i:min(i+97, len(logs))])
	}
	c.ApplyBatch(logs)
	sa, _ := a.Status()
	sb, _ := b.Status()
	sc, _ := c.Status()
	if sa.Digest != sb.Digest || sa.Digest != sc.Digest || sa.Level != 2 {
		t.Fatalf("replicas batching differently: %x, %x and %x at level %d", sa.Digest, sb.Digest, sc.Digest, sa.Level)
	}

	dir := t.TempDir()
	path := filepath.Join(dir, "state.db")
	if st := writeBackup(t, a, path); st != sa {
		t.Fatalf("backup of %+v, state %+v", st, sa)
	}
	if got, err := Verify(path); err != nil || got != sa {
		t.Fatalf("Verify: %+v, %v", got, err)
	}
	var chainFrom uint64
	if err := a.view(func(tx *bolt.Tx) error {
		c, err := decodeChain(tx.Bucket(bCluster).Get(kChain))
		if err == nil {
			chainFrom = c.from
		}
		return err
	}); err != nil || chainFrom < 2 {
		t.Fatalf("chain head: from %d, %v", chainFrom, err)
	}

	alter := func(name string, fn func(tx *bolt.Tx) error) {
		t.Run(name, func(t *testing.T) {
			p := filepath.Join(dir, name+".db")
			writeBackup(t, a, p)
			db, err := bolt.Open(p, 0o600, nil)
			if err != nil {
				t.Fatal(err)
			}
			err = db.Update(fn)
			db.Close()
			if err != nil {
				t.Fatal(err)
			}
			if _, err := Verify(p); !errors.Is(err, ErrDigestMismatch) {
				t.Fatalf("Verify of the altered file: %v", err)
			}
		})
	}
	chainedEntry := func(tx *bolt.Tx) ([]byte, *registry.Outcome) {
		k, v := tx.Bucket(bHistory).Cursor().Seek(u64(chainFrom + 10))
		_, rest, err := registry.DecodeChange(v)
		if err != nil {
			t.Fatal(err)
		}
		o, _, err := registry.DecodeOutcome(rest)
		if err != nil {
			t.Fatal(err)
		}
		return k, o
	}
	alter("history entry", func(tx *bolt.Tx) error {
		k, o := chainedEntry(tx)
		o.Reason += "!"
		v := tx.Bucket(bHistory).Get(k)
		c, _, _ := registry.DecodeChange(v)
		return tx.Bucket(bHistory).Put(k, registry.AppendOutcome(registry.AppendChange(nil, c), o))
	})
	alter("outcome", func(tx *bolt.Tx) error {
		_, o := chainedEntry(tx)
		o.Result = registry.Applied
		o.Reason = "đã duyệt"
		return tx.Bucket(bOutcomes).Put([]byte(o.Change), registry.AppendOutcome(nil, o))
	})
	alter("outcome removed", func(tx *bolt.Tx) error {
		_, o := chainedEntry(tx)
		return tx.Bucket(bOutcomes).Delete([]byte(o.Change))
	})
	alter("an entry before the chain", func(tx *bolt.Tx) error {
		return tx.Bucket(bHistory).Put(u64(1), []byte("x"))
	})
}

// TestVerifyBeforeTheLevels: a state file written before the feature
// levels (no cluster bucket) still verifies.
func TestVerifyBeforeTheLevels(t *testing.T) {
	f := mustOpen(t)
	f.ApplyBatch(randomLog(3, 200))
	path := filepath.Join(t.TempDir(), "old.db")
	want := writeBackup(t, f, path)
	db, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = db.Update(func(tx *bolt.Tx) error { return tx.DeleteBucket(bCluster) })
	db.Close()
	if err != nil {
		t.Fatal(err)
	}
	if got, err := Verify(path); err != nil || got != want {
		t.Fatalf("Verify: %+v, %v; want %+v", got, err, want)
	}
}
