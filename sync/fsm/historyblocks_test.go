package fsm

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"maps"
	"path/filepath"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/hashicorp/raft"
	bolt "go.etcd.io/bbolt"

	"github.com/xanode/xanode/node/registry"
)

// TestHistoryBlocks: from feature level 3 a log entry's history entries
// are one stored value (historyblocks.go). Nothing is decided or read
// differently: a replica raised to 3 answers every history, the conflict
// queue and the monthly reports as one raised to 2 does; its blocks are
// the same however raft batches the log; Verify recomputes them and
// catches a block altered, cut or removed.
func TestHistoryBlocks(t *testing.T) {
	base := randomLog(13, 1500)
	probe := mustOpen(t)
	probe.ApplyBatch(base)
	changes := len(base) + 1 // with the raise
	base = resolveAll(t, probe, base)
	at := len(base) / 3
	t.Run("raised from 0", func(t *testing.T) { historyBlocks(t, withRaise(base, at, 2), withRaise(base, at, 3), changes) })
	t.Run("raised from 2", func(t *testing.T) {
		historyBlocks(t, withRaise(withRaise(base, at/2, 2), at+1, 0), withRaise(withRaise(base, at/2, 2), at+1, 3), changes)
	})
}

// historyBlocks checks a log raised to level 3 against the same log
// raised to 2 only (ref: the raise to 3 a no-op of raft).
func historyBlocks(t *testing.T, ref, logs []*raft.Log, changes int) {
	two, three, batched, whole := mustOpen(t), mustOpen(t), mustOpen(t), mustOpen(t)
	plain := decisions(t, two, ref, changes)
	blocked := decisions(t, three, logs, changes)
	for i := range plain {
		if i >= len(blocked) || plain[i] != blocked[i] {
			t.Fatalf("decision %d of %d differs at level 3 from level 2's:\n  %s\n  %s", i, len(plain), blocked[min(i, len(blocked)-1)], plain[i])
		}
	}
	if len(plain) != len(blocked) {
		t.Fatalf("%d decisions at level 3, %d at level 2", len(blocked), len(plain))
	}
	for i := 0; i < len(logs); i += 97 {
		batched.ApplyBatch(logs[i:min(i+97, len(logs))])
	}
	whole.ApplyBatch(logs)
	s3, _ := three.Status()
	if s3.Level != 3 {
		t.Fatalf("level %d after the raise to 3", s3.Level)
	}
	blocks := dumpBucket(t, three, bHistBlocks)
	for name, f := range map[string]*FSM{"batches of 97": batched, "one batch": whole} {
		if st, _ := f.Status(); st != s3 {
			t.Errorf("%s: status %+v, want %+v", name, st, s3)
		}
		if got := dumpBucket(t, f, bHistBlocks); !reflect.DeepEqual(got, blocks) {
			t.Errorf("%s: %d blocks differ from the %d of entries applied one commit at a time", name, len(got), len(blocks))
		}
	}

	// Every entry from the raise on is in a block, none in bHistory.
	s2, _ := two.Status()
	var inBlocks uint64
	for k, v := range blocks {
		if err := eachInBlock([]byte(k), v, func(uint64, uint64, []byte) bool { inBlocks++; return true }); err != nil {
			t.Fatal(err)
		}
	}
	old := uint64(len(dumpBucket(t, three, bHistory)))
	if inBlocks == 0 || old+inBlocks != s3.Changes || s3.Changes != s2.Changes {
		t.Fatalf("%d entries in bHistory and %d in blocks; %d changes at level 3, %d at level 2", old, inBlocks, s3.Changes, s2.Changes)
	}

	// Read as level 2 reads.
	citizens := map[string]bool{}
	for k := range dumpBucket(t, two, bLastHist) {
		citizens[k] = true
	}
	if len(citizens) < 100 {
		t.Fatalf("%d citizens with a history", len(citizens))
	}
	// The replica given the whole log in one batch stores each citizen's
	// newest entry only when a reader makes it commit; the one given
	// batches of 97, when it closes: read after a restart.
	if err := batched.Close(); err != nil {
		t.Fatal(err)
	}
	restarted, err := Open(batched.path, DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	defer restarted.Close()
	for id := range citizens {
		h2, err2 := two.History(id)
		for name, f := range map[string]*FSM{"level 3": three, "one batch": whole, "restarted": restarted} {
			h3, err3 := f.History(id)
			if err2 != nil || err3 != nil || !reflect.DeepEqual(h2, h3) {
				t.Fatalf("history of %s: %d entries (%v) %s, %d (%v) at level 2", id, len(h3), err3, name, len(h2), err2)
			}
		}
	}
	q2, err2 := two.Reviews()
	q3, err3 := three.Reviews()
	if err2 != nil || err3 != nil || !reflect.DeepEqual(q2, q3) {
		t.Fatalf("conflict queue: %d entries (%v) at level 3, %d (%v) at level 2", len(q3), err3, len(q2), err2)
	}
	from := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	for c := 0; c < 8; c++ {
		comm := fmt.Sprintf("921%02d", c)
		r2, err2 := two.Report(comm, "2026-11", from, from.AddDate(0, 1, 0), registry.Date{Year: 2026, Month: 11, Day: 30}, t0)
		r3, err3 := three.Report(comm, "2026-11", from, from.AddDate(0, 1, 0), registry.Date{Year: 2026, Month: 11, Day: 30}, t0)
		if err2 != nil || err3 != nil || !reflect.DeepEqual(r2, r3) {
			t.Fatalf("report of %s at level 3: %+v (%v), at level 2: %+v (%v)", comm, r3, err3, r2, err2)
		}
	}

	dir := t.TempDir()
	path := filepath.Join(dir, "state.db")
	if st := writeBackup(t, three, path); st != s3 {
		t.Fatalf("backup of %+v, state %+v", st, s3)
	}
	if got, err := Verify(path); err != nil || got != s3 {
		t.Fatalf("Verify: %+v, %v", got, err)
	}
	// A block of several entries in the middle of the blocks.
	var key []byte
	for _, k := range slices.Sorted(maps.Keys(blocks))[len(blocks)/2:] {
		n := 0
		eachInBlock([]byte(k), blocks[k], func(uint64, uint64, []byte) bool { n++; return true })
		if n > 1 {
			key = []byte(k)
			break
		}
	}
	if key == nil {
		t.Fatal("no block of several entries")
	}
	alter := func(name string, fn func(b *bolt.Bucket, v []byte) error) {
		t.Run(name, func(t *testing.T) {
			p := filepath.Join(dir, name+".db")
			writeBackup(t, three, p)
			db, err := bolt.Open(p, 0o600, nil)
			if err != nil {
				t.Fatal(err)
			}
			err = db.Update(func(tx *bolt.Tx) error {
				b := tx.Bucket(bHistBlocks)
				return fn(b, bytes.Clone(b.Get(key)))
			})
			db.Close()
			if err != nil {
				t.Fatal(err)
			}
			if _, err := Verify(p); !errors.Is(err, ErrDigestMismatch) {
				t.Fatalf("Verify of the altered file: %v", err)
			}
		})
	}
	alter("a byte of an entry", func(b *bolt.Bucket, v []byte) error {
		v[len(v)-3] ^= 1
		return b.Put(key, v)
	})
	alter("an entry cut short", func(b *bolt.Bucket, v []byte) error {
		return b.Put(key, v[:len(v)-5])
	})
	alter("the last entry dropped", func(b *bolt.Bucket, v []byte) error {
		var last int
		eachInBlock(key, v, func(_, _ uint64, e []byte) bool { last = len(v) - len(e) - blockHead; return true })
		return b.Put(key, v[:last])
	})
	alter("a link forward", func(b *bolt.Bucket, v []byte) error {
		binary.BigEndian.PutUint64(v, binary.BigEndian.Uint64(key)+1)
		return b.Put(key, v)
	})
	alter("a block removed", func(b *bolt.Bucket, v []byte) error { return b.Delete(key) })
	// The runs mapping the block's first two changes.
	var ids []*registry.Change
	eachInBlock(key, blocks[string(key)], func(_, _ uint64, e []byte) bool {
		c, _, _ := registry.DecodeChange(e)
		ids = append(ids, c)
		return len(ids) < 2
	})
	runOf := func(tx *bolt.Tx, c *registry.Change) []byte {
		r := tx.Bucket(bRuns).Cursor()
		k, _ := r.Seek(runKey(c.Node, c.Seq))
		if !bytes.Equal(k, runKey(c.Node, c.Seq)) {
			k, _ = r.Prev()
		}
		return bytes.Clone(k)
	}
	alter("a run shifted", func(b *bolt.Bucket, v []byte) error {
		r := b.Tx().Bucket(bRuns)
		k := runOf(b.Tx(), ids[0])
		rv := bytes.Clone(r.Get(k))
		binary.BigEndian.PutUint64(rv, binary.BigEndian.Uint64(rv)+1)
		return r.Put(k, rv)
	})
	alter("a run for changes never made", func(b *bolt.Bucket, v []byte) error {
		r := b.Tx().Bucket(bRuns)
		return r.Put(runKey("edge-0", 999999), bytes.Clone(r.Get(runOf(b.Tx(), ids[0]))))
	})
	alter("a run removed", func(b *bolt.Bucket, v []byte) error {
		return b.Tx().Bucket(bRuns).Delete(runOf(b.Tx(), ids[1]))
	})
	alter("an outcome stored over a run's", func(b *bolt.Bucket, v []byte) error {
		o := &registry.Outcome{Change: ids[0].ID(), Result: registry.Applied, Reason: "đã duyệt", Index: 1}
		return b.Tx().Bucket(bOutcomes).Put([]byte(o.Change), registry.AppendOutcome(nil, o))
	})
	alter("a block renumbered", func(b *bolt.Bucket, v []byte) error {
		if err := b.Delete(key); err != nil {
			return err
		}
		return b.Put(u64(binary.BigEndian.Uint64(key)+1), v)
	})
}

// TestHistoryEntryLookup: historyEntry finds each entry of a block, and the
// entries before the blocks, and reports a missing one.
func TestHistoryEntryLookup(t *testing.T) {
	f := mustOpen(t)
	logs := withRaise(randomLog(5, 300), 20, 3)
	f.ApplyBatch(logs)
	st, _ := f.Status()
	err := f.view(func(tx *bolt.Tx) error {
		var seen int
		prevOf := map[uint64]uint64{}
		for seq := uint64(1); seq <= st.Changes; seq++ {
			e, prev, err := historyEntry(tx, seq)
			if err != nil {
				return err
			}
			if _, err := decodeEntry(e); err != nil {
				return fmt.Errorf("entry %d: %w", seq, err)
			}
			if prev >= seq {
				return fmt.Errorf("entry %d links to %d", seq, prev)
			}
			prevOf[seq] = prev
			seen++
		}
		if _, _, err := historyEntry(tx, st.Changes+1); err == nil {
			return errors.New("an entry past the last found")
		}
		if _, _, err := historyEntry(tx, 0); err == nil {
			return errors.New("entry 0 found")
		}
		var back []uint64
		if err := historyBack(tx, func(seq uint64, _ []byte) (bool, error) {
			back = append(back, seq)
			return true, nil
		}); err != nil {
			return err
		}
		if uint64(len(back)) != st.Changes || !slices.IsSortedFunc(back, func(a, b uint64) int { return int(b) - int(a) }) {
			return fmt.Errorf("historyBack gave %d entries, want %d newest first", len(back), st.Changes)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func dumpBucket(t *testing.T, f *FSM, name []byte) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	if err := f.view(func(tx *bolt.Tx) error {
		return tx.Bucket(name).ForEach(func(k, v []byte) error {
			out[string(k)] = bytes.Clone(v)
			return nil
		})
	}); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestOutcomeRuns: from level 3 a change's outcome is stored once, in its
// history entry, which a run maps the change to (runs.go). A change sent
// again is answered duplicate with the original's outcome, also when both
// are in one entry (a push retried into the same group) while the entry's
// block and runs are still being built; the outcome and decision reads
// answer what level 2 answers; a resolution's outcome is stored over it;
// a node's last change number counts the runs.
func TestOutcomeRuns(t *testing.T) {
	for _, level := range []uint64{2, 3} {
		l := seeded(t)
		l.apply(t, &Command{Kind: KindLevel, Received: t0, Level: level})
		os := l.changes(t, t0, temp("edge-1", 1, 1, "5 Nguyễn Trãi", t0))
		if again := l.changes(t, t0, temp("edge-1", 1, 1, "5 Nguyễn Trãi", t0))[0]; os[0].Result != registry.Applied ||
			again.Result != registry.Duplicate || again.Original != registry.Applied || again.Index != os[0].Index {
			t.Fatalf("level %d: a change sent again: %+v, %+v", level, os[0], again)
		}
		group := Group(Sender{Role: registry.RoleCity, ID: "city-1"}, t0, []*Command{
			{Kind: KindChanges, From: Sender{Role: registry.RoleEdge, ID: "edge-2"}, Received: t0, Changes: []*registry.Change{temp("edge-2", 1, 1, "9 Hòa Bình", t0.Add(time.Hour))}},
			{Kind: KindChanges, From: Sender{Role: registry.RoleEdge, ID: "edge-2"}, Received: t0, Changes: []*registry.Change{temp("edge-2", 1, 1, "9 Hòa Bình", t0.Add(time.Hour))}},
		})
		res := l.applyLegacy(t, group).([]any)
		queued, dup := res[0].([]*registry.Outcome)[0], res[1].([]*registry.Outcome)[0]
		if queued.Result != registry.NeedsReview || dup.Result != registry.Duplicate || dup.Original != registry.NeedsReview {
			t.Fatalf("level %d: a push twice in one group: %+v, %+v", level, queued, dup)
		}
		// A push whose numbers skip one (two runs, the first stored as
		// the second began), and the first's changes again in the group.
		skip := []*registry.Change{temp("edge-1", 2, 1, "6 Nguyễn Trãi", t0), temp("edge-1", 3, 1, "7 Nguyễn Trãi", t0), temp("edge-1", 5, 1, "8 Nguyễn Trãi", t0)}
		res = l.applyLegacy(t, Group(Sender{Role: registry.RoleCity, ID: "city-1"}, t0, []*Command{
			{Kind: KindChanges, From: Sender{Role: registry.RoleEdge, ID: "edge-1"}, Received: t0, Changes: skip},
			{Kind: KindChanges, From: Sender{Role: registry.RoleEdge, ID: "edge-1"}, Received: t0, Changes: skip[:2]},
		})).([]any)
		firsts, agains := res[0].([]*registry.Outcome), res[1].([]*registry.Outcome)
		for i, o := range agains {
			if o.Result != registry.Duplicate || o.Original != firsts[i].Result || o.Index != firsts[i].Index {
				t.Fatalf("level %d: %s again in its group: %+v, first %+v", level, skip[i].ID(), o, firsts[i])
			}
		}
		got, err := l.f.Decisions("edge-2", []string{"edge-2/1"})
		if err != nil || len(got) != 1 || !reflect.DeepEqual(got[0], queued) {
			t.Fatalf("level %d: decisions %+v, %v; want %+v", level, got, err, queued)
		}
		if o, err := l.f.Outcome("edge-1/1"); err != nil || !reflect.DeepEqual(o, os[0]) {
			t.Fatalf("level %d: outcome %+v, %v; want %+v", level, o, err, os[0])
		}
		q, err := l.f.Reviews()
		if err != nil || len(q) != 1 {
			t.Fatalf("level %d: conflict queue %d, %v", level, len(q), err)
		}
		l.apply(t, &Command{Kind: KindResolve, Received: t0, Entry: q[0].Seq, Accept: true, Reason: "đã xác minh", By: "admin"})
		if o, err := l.f.Outcome("edge-2/1"); err != nil || o.Result != registry.Applied || o.Index == queued.Index {
			t.Fatalf("level %d: outcome after the resolution %+v, %v", level, o, err)
		}
		path := filepath.Join(t.TempDir(), "state.db")
		writeBackup(t, l.f, path)
		if _, err := Verify(path); err != nil {
			t.Fatalf("level %d: Verify: %v", level, err)
		}
		var stored []byte
		var last uint64
		l.f.view(func(tx *bolt.Tx) error {
			stored = bytes.Clone(tx.Bucket(bOutcomes).Get([]byte("edge-1/1")))
			last = lastSeq(&txn{tx: tx}, "edge-2")
			return nil
		})
		if (stored == nil) != (level == 3) || last != 1 {
			t.Fatalf("level %d: outcome of edge-1/1 stored as %d bytes; edge-2's last change %d", level, len(stored), last)
		}
	}
}
