package edge

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"os"
	"path/filepath"
	"testing"

	bolt "go.etcd.io/bbolt"
)

func readKeyFileT(t *testing.T, dir string) []byte {
	t.Helper()
	k, err := readKeyFile(filepath.Join(dir, KeyFileName))
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// sealedValues returns every value of the named buckets, as stored.
func sealedValues(t *testing.T, path string, buckets ...[]byte) [][]byte {
	t.Helper()
	db, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var out [][]byte
	db.View(func(tx *bolt.Tx) error {
		for _, b := range buckets {
			tx.Bucket(b).ForEach(func(k, v []byte) error {
				out = append(out, bytes.Clone(k), bytes.Clone(v))
				return nil
			})
		}
		return nil
	})
	return out
}

// TestPurgeThenRekeyLeavesNothingReadable: after a purge and a rekey, the
// file holds neither the purged records' ciphertext nor their index keys,
// the new key does not open a copy of them, and everything that stays
// (changes, outcomes, history, audit, accounts, outbox) still reads.
func TestPurgeThenRekeyLeavesNothingReadable(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "edge.db")
	filledStore(t, dir)
	s := mustStoreIn(t, dir)
	if err := s.PutOfficer("canbo01", "Nguyễn Thị Lan", "officer", "mật khẩu dài 123"); err != nil {
		t.Fatal(err)
	}
	pending := len(mustPending(t, s))
	s.Close()
	old := sealedValues(t, path, bSubset, bTokens, bHouseholds)
	if len(old) == 0 {
		t.Fatal("no subset to purge")
	}
	s = mustStoreIn(t, dir)
	if err := s.Purge(); err != nil {
		t.Fatal(err)
	}
	s.Close()
	oldMaster := readKeyFileT(t, dir)
	newMaster := make([]byte, 32)
	rand.Read(newMaster)
	if err := Rekey(path, oldMaster, newMaster); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range old {
		if len(v) >= 16 && bytes.Contains(raw, v) {
			t.Fatalf("the rekeyed file still holds purged bytes %x", v[:16])
		}
	}
	for _, plain := range []string{"092090001234", "Nguyễn Văn An", "Trần Thị Bình", "canbo01"} {
		if bytes.Contains(raw, []byte(plain)) {
			t.Fatalf("the rekeyed file holds %q in the clear", plain)
		}
	}
	// The old key no longer opens the store; the new one does.
	if _, err := OpenStoreKey(path, oldMaster); !errors.Is(err, ErrKey) {
		t.Fatalf("old key: %v", err)
	}
	s, err = OpenStoreKey(path, newMaster)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	newKeys, _ := deriveKeys(newMaster)
	for i := 0; i+1 < len(old); i += 2 {
		if _, err := newKeys.open(bSubset, old[i], old[i+1]); err == nil {
			t.Fatal("the new key opens a purged record")
		}
	}
	if got := len(mustPending(t, s)); got != pending {
		t.Fatalf("outbox: %d pending, want %d", got, pending)
	}
	if h, err := s.History("092090001234", 10); err != nil || len(h) != 1 || h[0].Outcome == nil {
		t.Fatalf("history: %v, %v", h, err)
	}
	if n, err := s.VerifyAudit(); err != nil || n != 1 {
		t.Fatalf("audit: %d, %v", n, err)
	}
	if _, err := s.Authenticate(context.Background(), "canbo01", "mật khẩu dài 123"); err != nil {
		t.Fatalf("account after rekey: %v", err)
	}
}

// TestRekeyKeepsTheSubset: a rekey of a store that keeps its subset finds
// the same records by ID, name and household.
func TestRekeyKeepsTheSubset(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "edge.db")
	filledStore(t, dir)
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
	if err := s.VerifySubset(); err != nil {
		t.Fatal(err)
	}
	for _, r := range sampleRecords() {
		got, err := s.Citizen(r.ID)
		if err != nil || got.Values[1] != r.Values[1] {
			t.Fatalf("%s after rekey: %v", r.ID, err)
		}
	}
}

func mustPending(t *testing.T, s *Store) []any {
	t.Helper()
	p, err := s.Pending(100)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]any, len(p))
	for i := range p {
		out[i] = p[i]
	}
	return out
}
