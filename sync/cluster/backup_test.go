package cluster

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/klauspost/compress/zstd"

	"github.com/xanode/xanode/node/registry"
	"github.com/xanode/xanode/sync/fsm"
	"github.com/xanode/xanode/sync/fsm/fsmtest"
)

func listen(t *testing.T) net.Listener {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return ln
}

// openOn starts a node without bootstrap on a listener the test chose.
func openOn(t *testing.T, id, dir string, ln net.Listener) *Node {
	t.Helper()
	n, err := Open(Config{ID: id, Dir: dir, Listener: ln, Raft: testRaftConfig(), FSM: fsm.DefaultConfig(), LogOutput: io.Discard})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { n.Close() })
	return n
}

const testCommune = "92101"

// seed imports n citizens of testCommune and lets edge-1 act for it.
func seed(t *testing.T, nodes []*Node, n int) []string {
	t.Helper()
	var recs []*registry.Citizen
	var ids []string
	for i := 0; i < n; i++ {
		rec := &registry.Citizen{ID: registry.MakeID("092", 1980+i%30, i%2 == 0, i)}
		rec.Values[registry.FieldFullName] = fmt.Sprintf("Trần Thị %d", i)
		rec.Values[registry.FieldCommune] = testCommune
		recs, ids = append(recs, rec), append(ids, rec.ID)
	}
	applyOnLeader(t, nodes, &fsm.Command{Kind: fsm.KindImport, Records: recs})
	applyOnLeader(t, nodes, &fsm.Command{Kind: fsm.KindAssign, Node: "edge-1", Communes: []string{testCommune}})
	applyOnLeader(t, nodes, fsmtest.Officer(testCommune, "o", registry.OfficerRole))
	return ids
}

// identify is a batch of identification changes by edge-1, from seq on.
func identify(ids []string, seq *uint64, n int) *fsm.Command {
	cs := make([]*registry.Change, n)
	for i := range cs {
		*seq++
		cs[i] = &registry.Change{Node: "edge-1", Seq: *seq, Officer: "o", Op: registry.OpIdentify,
			Citizen: ids[int(*seq)%len(ids)], Commune: testCommune, Time: registry.HLCFromTime(time.Now())}
	}
	return fsmtest.Stamp(&fsm.Command{Kind: fsm.KindChanges, Changes: cs})
}

func takeBackup(t *testing.T, n *Node) ([]byte, BackupHeader) {
	t.Helper()
	b, err := NewBackup(n.FSM(), n.ID(), n.Term(), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	var buf bytes.Buffer
	if _, err := b.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes(), b.Header
}

// TestBackupWhileApplyingRestoresAboveItsIndex: a backup taken from a
// follower while the leader applies changes holds a state whose records
// match its digest at its applied index; a node restored from it starts
// with that state and index, leads alone, takes a new member, and gives
// the next entries indexes above the backup's.
func TestBackupWhileApplyingRestoresAboveItsIndex(t *testing.T) {
	nodes := make([]*Node, 2)
	for i := range nodes {
		nodes[i] = startNode(t, fmt.Sprintf("city-%d", i+1), t.TempDir(), i == 0)
		t.Cleanup(func() { nodes[i].Close() })
	}
	waitFor(t, "bootstrap leader", nodes[0].IsLeader)
	if err := nodes[0].Join(nodes[1].ID(), nodes[1].RaftAddr()); err != nil {
		t.Fatal(err)
	}
	ids := seed(t, nodes, 200)

	stop, done := make(chan struct{}), make(chan error, 1)
	go func() {
		var seq uint64
		for {
			select {
			case <-stop:
				done <- nil
				return
			default:
			}
			// Through whichever node leads: on a busy machine the
			// leadership may move while the test runs.
			cmd := identify(ids, &seq, 20)
			for _, n := range nodes {
				if _, err := n.Apply(context.Background(), cmd); err == nil {
					break
				} else if !errors.Is(err, ErrNotLeader) {
					done <- err
					return
				}
			}
		}
	}()
	waitFor(t, "changes to reach the follower", func() bool {
		s, _ := nodes[1].FSM().Status()
		return s.Changes > 100
	})
	data, hdr := takeBackup(t, nodes[1])
	waitFor(t, "more changes after the backup", func() bool {
		s, _ := nodes[1].FSM().Status()
		return s.AppliedIndex > hdr.AppliedIndex+5
	})
	close(stop)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if hdr.Format != BackupFormat || hdr.Node != "city-2" || hdr.Citizens != 200 || hdr.Changes == 0 || hdr.Term == 0 {
		t.Fatalf("header %+v", hdr)
	}

	dir := filepath.Join(t.TempDir(), "restored")
	ln := listen(t)
	got, err := Restore(bytes.NewReader(data), RestoreConfig{Dir: dir, ID: "city-9", RaftAddr: ln.Addr().String(), LogOutput: io.Discard})
	if err != nil {
		t.Fatal(err)
	}
	if got.Header != hdr || got.Index != hdr.AppliedIndex {
		t.Fatalf("restore read %+v, backup wrote %+v", got, hdr)
	}
	if _, err := os.Stat(filepath.Join(dir, "restore.db")); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("the temporary state file is left behind: %v", err)
	}
	r := openOn(t, "city-9", dir, ln)
	waitFor(t, "the restored node to lead alone", r.IsLeader)
	st, err := r.FSM().Status()
	if err != nil {
		t.Fatal(err)
	}
	if st.AppliedIndex != hdr.AppliedIndex || hex.EncodeToString(st.Digest[:]) != hdr.StateDigest || st.Changes != hdr.Changes {
		t.Fatalf("restored state %+v %x, backup header %+v", st, st.Digest, hdr)
	}

	late := startNode(t, "city-10", t.TempDir(), false)
	t.Cleanup(func() { late.Close() })
	if err := r.Join(late.ID(), late.RaftAddr()); err != nil {
		t.Fatal(err)
	}
	// The join may move the leadership on a busy machine: a write refused
	// for want of a leader (nothing proposed) is sent again.
	seq := uint64(1 << 20)
	cmd := identify(ids, &seq, 1)
	var res any
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if res, err = r.Apply(context.Background(), cmd); !errors.Is(err, ErrNoLeader) || time.Now().After(deadline) {
			break
		}
	}
	if err != nil {
		t.Fatal(err)
	}
	outs, ok := res.([]*registry.Outcome)
	if !ok || len(outs) != 1 {
		t.Fatalf("a write answered %#v, want one outcome", res)
	}
	if o := outs[0]; o.Result != registry.Applied || o.Index <= hdr.AppliedIndex {
		t.Fatalf("a write after the restore: %+v, the backup's index is %d", o, hdr.AppliedIndex)
	}
	want, _ := r.FSM().Status()
	waitFor(t, "the new member to receive the state", func() bool {
		s, _ := late.FSM().Status()
		return s.Digest == want.Digest && s.AppliedIndex == want.AppliedIndex
	})
}

const sha256Size = sha256.Size

func sha256Sum(b []byte) []byte { s := sha256.Sum256(b); return s[:] }

// TestRestoreAbove: restored above a floor higher than the backup's
// index (versions edges may hold from the lost history), the node's next
// entries and the commune's subset version come above the floor, and a
// joining node receives the state at that index.
func TestRestoreAbove(t *testing.T) {
	n := startNode(t, "city-1", t.TempDir(), true)
	t.Cleanup(func() { n.Close() })
	waitFor(t, "bootstrap leader", n.IsLeader)
	ids := seed(t, []*Node{n}, 20)
	data, hdr := takeBackup(t, n)
	n.Close()

	floor := hdr.AppliedIndex + 1000
	dir, ln := t.TempDir(), listen(t)
	got, err := Restore(bytes.NewReader(data), RestoreConfig{Dir: dir, ID: "city-1", RaftAddr: ln.Addr().String(), Above: floor, LogOutput: io.Discard})
	if err != nil {
		t.Fatal(err)
	}
	if got.Index != floor {
		t.Fatalf("restored at %d, want the floor %d", got.Index, floor)
	}
	r := openOn(t, "city-1", dir, ln)
	waitFor(t, "the restored node to lead", r.IsLeader)
	if st, _ := r.FSM().Status(); hex.EncodeToString(st.Digest[:]) != hdr.StateDigest {
		t.Fatalf("restored digest %x, backup %s", st.Digest, hdr.StateDigest)
	}
	rec := &registry.Citizen{ID: ids[0]}
	rec.Values[registry.FieldFullName] = "Trần Thị Mới"
	rec.Values[registry.FieldCommune] = testCommune
	if _, err := r.Apply(context.Background(), fsmtest.Stamp(&fsm.Command{Kind: fsm.KindImport, Records: []*registry.Citizen{rec}})); err != nil {
		t.Fatal(err)
	}
	if v, err := r.FSM().SubsetVersion(testCommune); err != nil || v <= floor {
		t.Fatalf("subset version %d after a change (%v), want above %d", v, err, floor)
	}
	late := startNode(t, "city-2", t.TempDir(), false)
	t.Cleanup(func() { late.Close() })
	if err := r.Join(late.ID(), late.RaftAddr()); err != nil {
		t.Fatal(err)
	}
	want, _ := r.FSM().Status()
	waitFor(t, "the new member to receive the state", func() bool {
		s, _ := late.FSM().Status()
		return s.Digest == want.Digest && s.AppliedIndex == want.AppliedIndex
	})
}

// reframe decompresses a backup, lets edit change the plain stream, and
// compresses it again: damage that zstd's own checks cannot see.
func reframe(t *testing.T, data []byte, edit func([]byte) []byte) []byte {
	t.Helper()
	dec, err := zstd.NewReader(nil)
	if err != nil {
		t.Fatal(err)
	}
	defer dec.Close()
	plain, err := dec.DecodeAll(data, nil)
	if err != nil {
		t.Fatal(err)
	}
	enc, err := zstd.NewWriter(nil)
	if err != nil {
		t.Fatal(err)
	}
	return enc.EncodeAll(edit(plain), nil)
}

// withHeader replaces the JSON header of a plain backup stream.
func withHeader(plain []byte, edit func(map[string]any)) []byte {
	n := binary.BigEndian.Uint32(plain[len(backupMagic):])
	start := len(backupMagic) + 4
	var h map[string]any
	if err := json.Unmarshal(plain[start:start+int(n)], &h); err != nil {
		panic(err)
	}
	edit(h)
	raw, _ := json.Marshal(h)
	out := append(bytes.Clone(plain[:len(backupMagic)]), binary.BigEndian.AppendUint32(nil, uint32(len(raw)))...)
	return append(append(out, raw...), plain[start+int(n):]...)
}

func TestRestoreRefuses(t *testing.T) {
	n := startNode(t, "city-1", t.TempDir(), true)
	t.Cleanup(func() { n.Close() })
	waitFor(t, "bootstrap leader", n.IsLeader)
	seed(t, []*Node{n}, 20)
	data, hdr := takeBackup(t, n)

	flipped := bytes.Clone(data)
	flipped[len(flipped)-2] ^= 0x40 // in zstd's frame checksum
	cases := []struct {
		name string
		data []byte
		want error
		text string
	}{
		{"state altered", reframe(t, data, func(p []byte) []byte {
			p[len(p)-sha256Size-100] ^= 1
			return p
		}), ErrBackupDamaged, "SHA-256"},
		{"compressed byte flipped", flipped, ErrBackupDamaged, "damaged"},
		{"cut short", data[:len(data)/2], ErrBackupCut, "ends early"},
		{"checksum missing", reframe(t, data, func(p []byte) []byte { return p[:len(p)-sha256Size] }), ErrBackupCut, "no checksum"},
		{"future format", reframe(t, data, func(p []byte) []byte {
			return withHeader(p, func(h map[string]any) { h["format"] = BackupFormat + 1 })
		}), ErrBackupFormat, "newer xanode"},
		{"digest not the state's", reframe(t, data, func(p []byte) []byte {
			p = withHeader(p, func(h map[string]any) { h["state_digest"] = strings.Repeat("0", 64) })
			copy(p[len(p)-sha256Size:], sha256Sum(p[:len(p)-sha256Size]))
			return p
		}), ErrBackupDamaged, "header says"},
		{"not a backup", []byte("hello, this is not zstd"), ErrBackupFormat, "not a backup"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "new")
			_, err := Restore(bytes.NewReader(c.data), RestoreConfig{Dir: dir, ID: "city-1", RaftAddr: "127.0.0.1:7000", LogOutput: io.Discard})
			if !errors.Is(err, c.want) || !strings.Contains(err.Error(), c.text) {
				t.Fatalf("got %v, want %v mentioning %q", err, c.want, c.text)
			}
			if entries, _ := os.ReadDir(dir); len(entries) != 0 {
				t.Fatalf("a refused restore left %d files in the folder", len(entries))
			}
		})
	}

	t.Run("folder not empty", func(t *testing.T) {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, "raft.db"), []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
		_, err := Restore(bytes.NewReader(data), RestoreConfig{Dir: dir, ID: "city-1", RaftAddr: "127.0.0.1:7000", LogOutput: io.Discard})
		if !errors.Is(err, ErrNotEmpty) || !strings.Contains(err.Error(), "raft.db") {
			t.Fatalf("got %v", err)
		}
		if b, _ := os.ReadFile(filepath.Join(dir, "raft.db")); string(b) != "x" {
			t.Fatal("a refused restore touched the folder's file")
		}
	})

	t.Run("reader checks to the end", func(t *testing.T) {
		br, err := NewBackupReader(bytes.NewReader(data))
		if err != nil {
			t.Fatal(err)
		}
		defer br.Close()
		if br.Header != hdr {
			t.Fatalf("header %+v, want %+v", br.Header, hdr)
		}
		var state bytes.Buffer
		if err := br.WriteState(&state); err != nil {
			t.Fatal(err)
		}
		if int64(state.Len()) != hdr.StateBytes || len(br.Checksum()) != 64 {
			t.Fatalf("state of %d bytes, header says %d; checksum %q", state.Len(), hdr.StateBytes, br.Checksum())
		}
	})
}
