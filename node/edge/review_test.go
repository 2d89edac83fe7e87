package edge

import (
	"bytes"
	"crypto/rand"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/xanode/xanode/sync/wire"
)

// TestReviewListKeptSealed: the review list is kept sealed, read back,
// carried through a rekey, and dropped with the subset on purge (it is
// the commune's).
func TestReviewListKeptSealed(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "edge.db")
	s := mustStoreIn(t, dir)
	if at, fs, err := s.ReviewList(); err != nil || !at.IsZero() || fs != nil {
		t.Fatalf("a new store's list: %v %v %v", at, fs, err)
	}
	at := time.Date(2026, 3, 10, 2, 0, 0, 0, time.UTC)
	list := []wire.Finding{{ID: 7, Rule: "chip_mismatch", Citizen: "092185000123", Commune: commune, Fields: []string{"full_name"},
		Evidence: "full_name: card «Nguyễn Thị Thu Hằng», record «Nguyễn Thị Thu Hà»", Chip: "Nguyễn Thị Thu Hằng", State: "open", Found: at}}
	if err := s.SaveReviewList(at, list); err != nil {
		t.Fatal(err)
	}
	s.Close()
	raw, _ := os.ReadFile(path)
	if bytes.Contains(raw, []byte("092185000123")) || bytes.Contains(raw, []byte("Hằng")) {
		t.Fatal("the review list is in the clear")
	}
	newMaster := make([]byte, 32)
	rand.Read(newMaster)
	if err := Rekey(path, readKeyFileT(t, dir), newMaster); err != nil {
		t.Fatal(err)
	}
	s, err := OpenStoreKey(path, newMaster)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	got, fs, err := s.ReviewList()
	if err != nil || !got.Equal(at) || len(fs) != 1 || fs[0].Chip != "Nguyễn Thị Thu Hằng" {
		t.Fatalf("after rekey: %v %+v %v", got, fs, err)
	}
	if err := s.Purge(); err != nil {
		t.Fatal(err)
	}
	if got, fs, _ := s.ReviewList(); !got.IsZero() || fs != nil {
		t.Fatalf("after purge: %v %+v", got, fs)
	}
}
