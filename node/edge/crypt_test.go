package edge

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	bolt "go.etcd.io/bbolt"

	"github.com/xanode/xanode/node/registry"
)

// mustStoreIn opens a store in dir, with its key file beside it.
func mustStoreIn(t *testing.T, dir string) *Store {
	t.Helper()
	s, err := OpenStore(filepath.Join(dir, "edge.db"))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// filledStore is a store in dir holding sampleRecords, a change, its
// outcome and an audit entry; it is closed on return.
func filledStore(t *testing.T, dir string) {
	t.Helper()
	p := mustPKI(t)
	s := mustStoreIn(t, dir)
	defer s.Close()
	if _, err := importer(s, p).Import(context.Background(), makeBundle(t, p, commune, 10, sampleRecords())); err != nil {
		t.Fatal(err)
	}
	c := &registry.Change{Officer: "canbo01", Node: "edge-1", Op: registry.OpIdentify, Citizen: "092090001234", Commune: commune, Note: "Nguyễn Văn An, thẻ khớp"}
	if err := s.Append(c); err != nil {
		t.Fatal(err)
	}
	if err := s.Settle("edge-1", []*registry.Outcome{{Change: "edge-1/1", Result: registry.Applied, Citizen: "092090001234"}}, now); err != nil {
		t.Fatal(err)
	}
	if err := s.Audit(now, "canbo01", AuditIdentify, "092190004321", "Trần Thị Bình: quê quán khác"); err != nil {
		t.Fatal(err)
	}
}

func TestKeyFileCreatedAndReused(t *testing.T) {
	dir := t.TempDir()
	filledStore(t, dir)
	keyPath := filepath.Join(dir, KeyFileName)
	st, err := os.Stat(keyPath)
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("key file: %v, mode %v", err, st.Mode())
	}
	b, _ := os.ReadFile(keyPath)
	if k, err := hex.DecodeString(strings.TrimSpace(string(b))); err != nil || len(k) != 32 {
		t.Fatalf("key file holds %q", b)
	}
	s := mustStoreIn(t, dir)
	defer s.Close()
	if c, err := s.Citizen("092190004321"); err != nil || c.Get(registry.FieldFullName) != "Trần Thị Bình" {
		t.Fatalf("after reopening: %v %v", c, err)
	}
	if again, _ := os.ReadFile(keyPath); !bytes.Equal(again, b) {
		t.Fatal("the key file was replaced")
	}
}

// TestNoPlainTextAtRest: neither names, nor IDs, nor changes, nor audit
// details appear in the store file.
func TestNoPlainTextAtRest(t *testing.T) {
	dir := t.TempDir()
	filledStore(t, dir)
	raw, err := os.ReadFile(filepath.Join(dir, "edge.db"))
	if err != nil {
		t.Fatal(err)
	}
	for _, secret := range []string{"Trần Thị Bình", "Nguyễn Văn An", "nguyen van an", "092090001234", "092190004321",
		"092095000777", "thẻ khớp", "quê quán khác", "canbo01"} {
		if bytes.Contains(raw, []byte(secret)) {
			t.Errorf("%q is in the store file in plain text", secret)
		}
	}
}

func TestWrongKeyIsAStartupError(t *testing.T) {
	dir := t.TempDir()
	filledStore(t, dir)
	keyPath := filepath.Join(dir, KeyFileName)
	good, _ := os.ReadFile(keyPath)
	tests := []struct {
		name  string
		setup func()
		want  string
	}{
		{"another key", func() { os.WriteFile(keyPath, []byte(strings.Repeat("ab", 32)+"\n"), 0o600) }, "not the key of this store"},
		{"missing key file", func() { os.Remove(keyPath) }, "is missing"},
		{"key file readable by others", func() { os.WriteFile(keyPath, good, 0o600); os.Chmod(keyPath, 0o644) }, "chmod 600"},
		{"not a key", func() { os.WriteFile(keyPath, []byte("hello\n"), 0o600) }, "64 hexadecimal digits"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			os.Remove(keyPath)
			tt.setup()
			_, err := OpenStore(filepath.Join(dir, "edge.db"))
			if !errors.Is(err, ErrKey) || !strings.Contains(err.Error(), keyPath) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("OpenStore: %v; want ErrKey naming %s and saying %q", err, keyPath, tt.want)
			}
		})
	}
	os.Remove(keyPath)
	os.WriteFile(keyPath, good, 0o600)
	mustStoreIn(t, dir).Close()
}

// TestRecordsThatDoNotOpen: data sealed under another key, with the key
// check value forged to match, still fails at startup, naming the file.
func TestRecordsThatDoNotOpen(t *testing.T) {
	dir := t.TempDir()
	filledStore(t, dir)
	keyPath := filepath.Join(dir, KeyFileName)
	other := strings.Repeat("cd", 32)
	os.WriteFile(keyPath, []byte(other+"\n"), 0o600)
	master, _ := hex.DecodeString(other)
	k, _ := deriveKeys(master)
	db, err := bolt.Open(filepath.Join(dir, "edge.db"), 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	db.Update(func(tx *bolt.Tx) error { return tx.Bucket(bMeta).Put(kKeyCheck, k.checkValue()) })
	db.Close()
	_, err = OpenStore(filepath.Join(dir, "edge.db"))
	if !errors.Is(err, ErrKey) || !strings.Contains(err.Error(), keyPath) {
		t.Fatalf("OpenStore: %v", err)
	}
}

// TestSwappedRecordsDoNotOpen: a record's ciphertext is bound to its
// slot; moved into another record's place it does not decrypt.
func TestSwappedRecordsDoNotOpen(t *testing.T) {
	s := mustStore(t)
	p := mustPKI(t)
	if _, err := importer(s, p).Import(context.Background(), makeBundle(t, p, commune, 10, sampleRecords())); err != nil {
		t.Fatal(err)
	}
	a, b := s.keys.hash("id", "092090001234"), s.keys.hash("id", "092190004321")
	s.db.Update(func(tx *bolt.Tx) error {
		sub := tx.Bucket(bSubset)
		va, vb := bytes.Clone(sub.Get(a)), bytes.Clone(sub.Get(b))
		sub.Put(a, vb)
		return sub.Put(b, va)
	})
	for _, id := range []string{"092090001234", "092190004321"} {
		if _, err := s.Citizen(id); !errors.Is(err, ErrKey) {
			t.Errorf("swapped record %s: %v, want ErrKey", id, err)
		}
	}
	if err := s.VerifySubset(); err == nil {
		t.Error("VerifySubset passed swapped records")
	}
}

// TestConvertFormat1: a store written in plain text by the previous
// version is sealed in place; its subset is dropped for the next pull.
func TestConvertFormat1(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "edge.db")
	db, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	birth := &registry.Change{Officer: "canbo01", Node: "edge-1", Seq: 1, Op: registry.OpRegisterBirth, Citizen: registry.ProvisionalID("edge-1", 1),
		Commune: commune, Patch: registry.Patch{{Field: registry.FieldFullName, Value: "Lê Thị Mới"}}}
	look := &registry.Change{Officer: "canbo01", Node: "edge-1", Seq: 2, Op: registry.OpIdentify, Citizen: "092090001234", Commune: commune}
	err = db.Update(func(tx *bolt.Tx) error {
		for _, b := range [][]byte{bMeta, bSubset, bOutbox, bChanges, bOutcomes, bAudit} {
			tx.CreateBucket(b)
		}
		m := tx.Bucket(bMeta)
		m.Put(kNode, []byte("edge-1"))
		m.Put(kCommune, []byte(commune))
		m.Put(kVersion, u64(10))
		m.Put(kSeq, u64(2))
		tx.Bucket(bSubset).Put([]byte("092090001234"), registry.AppendCitizen(nil, sampleRecords()[0], false))
		for _, c := range []*registry.Change{birth, look} {
			tx.Bucket(bChanges).Put(u64(c.Seq), registry.AppendChange(nil, c))
		}
		tx.Bucket(bOutbox).Put(u64(2), registry.AppendChange(nil, look))
		tx.Bucket(bOutcomes).Put(u64(1), registry.AppendOutcome(nil, &registry.Outcome{Change: "edge-1/1", Result: registry.Applied, Citizen: "092195000001"}))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	s := mustStoreIn(t, dir)
	if _, err := s.Subset(); !errors.Is(err, ErrNoSubset) {
		t.Fatalf("the plain-text subset was kept: %v", err)
	}
	if pending, err := s.Pending(10); err != nil || len(pending) != 1 || pending[0].ID() != "edge-1/2" {
		t.Fatalf("outbox after conversion: %v %v", pending, err)
	}
	if h, err := s.History("092195000001", 10); err != nil || len(h) != 1 || h[0].Change.Op != registry.OpRegisterBirth || h[0].Outcome == nil {
		t.Fatalf("history of the newborn after conversion: %+v %v", h, err)
	}
	node, comm, _ := s.Identity()
	s.Close()
	if node != "edge-1" || comm != commune {
		t.Fatalf("identity after conversion: %s %s", node, comm)
	}
	raw, _ := os.ReadFile(path)
	if bytes.Contains(raw, []byte("Lê Thị Mới")) {
		t.Error("a converted change is still in plain text")
	}
	mustStoreIn(t, dir).Close() // converted once; opens again
}

// TestPartialDownloadSealed: the partial file holds no plain text; a frame
// torn by a crash is dropped and the download resumes before it; a frame
// altered or moved ends what is kept there.
func TestPartialDownloadSealed(t *testing.T) {
	s := mustStore(t)
	p := s.Partial()
	secret := "Nguyễn Văn An 092090001234"
	if err := p.Begin(`"92101-0-7-ab"`); err != nil {
		t.Fatal(err)
	}
	for _, part := range []string{secret, " second", " third"} {
		if err := p.Append([]byte(part)); err != nil {
			t.Fatal(err)
		}
	}
	raw, _ := os.ReadFile(p.path)
	if bytes.Contains(raw, []byte("Nguy")) || bytes.Contains(raw, []byte("92101-0-7")) {
		t.Fatal("the partial download is kept in plain text")
	}
	// A crash tore the last frame: Load keeps the whole ones, and the
	// next Append replaces the torn one.
	os.WriteFile(p.path, raw[:len(raw)-3], 0o600)
	q := s.Partial()
	tag, data, err := q.Load()
	if err != nil || tag != `"92101-0-7-ab"` || string(data) != secret+" second" {
		t.Fatalf("after a torn frame: %q %q %v", tag, data, err)
	}
	if err := q.Append([]byte(" again")); err != nil {
		t.Fatal(err)
	}
	if _, data, _ := s.Partial().Load(); string(data) != secret+" second again" {
		t.Fatalf("after appending past a torn frame: %q", data)
	}
	// An altered middle frame ends what is kept at the frame before it.
	raw, _ = os.ReadFile(p.path)
	raw[len(raw)-10] ^= 1 // inside the last frame, " again"
	os.WriteFile(p.path, raw, 0o600)
	if _, data, _ := s.Partial().Load(); string(data) != secret+" second" {
		t.Fatalf("after an altered frame: %q", data)
	}
	// Another store's key opens nothing.
	other := mustStore(t)
	alien := other.Partial()
	alien.path = p.path
	if tag, data, err := alien.Load(); !errors.Is(err, ErrKey) || tag != "" || data != nil {
		t.Fatalf("another key: %q %q %v", tag, data, err)
	}
	if err := alien.Append([]byte("x")); err == nil {
		t.Fatal("Append without Begin or a successful Load")
	}
}
