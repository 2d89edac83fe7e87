package cluster

import (
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/hashicorp/raft"
)

// TestLogSurvivesTailTruncation: a follower clears a log suffix a new
// leader does not have (raft's DeleteRange of the tail), then restarts:
// its WAL opens and reads back every entry it kept. raft-wal before
// v0.4.1 sealed the tail without an index block, and a node restarted
// after "clearing log suffix" panicked in raft.NewRaft.
func TestLogSurvivesTailTruncation(t *testing.T) {
	dir := t.TempDir()
	s, err := openLogStore(dir, true, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	var logs []*raft.Log
	for i := uint64(1); i <= 10; i++ {
		logs = append(logs, &raft.Log{Index: i, Term: 1, Type: raft.LogCommand, Data: []byte{byte(i)}})
	}
	if err := s.StoreLogs(logs); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteRange(9, 10); err != nil {
		t.Fatal(err)
	}
	if err := s.StoreLogs([]*raft.Log{{Index: 9, Term: 2, Type: raft.LogCommand, Data: []byte{99}}}); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, walDir)); err != nil {
		t.Fatalf("no WAL: %v", err)
	}
	s, err = openLogStore(dir, false, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for i := uint64(1); i <= 9; i++ {
		var l raft.Log
		if err := s.GetLog(i, &l); err != nil {
			t.Fatalf("entry %d after a restart: %v", i, err)
		}
		if want := byte(i); i == 9 && (l.Term != 2 || l.Data[0] != 99) || i < 9 && l.Data[0] != want {
			t.Fatalf("entry %d: %+v", i, l)
		}
	}
	if last, _ := s.LastIndex(); last != 9 {
		t.Fatalf("last index %d, want 9", last)
	}
}
