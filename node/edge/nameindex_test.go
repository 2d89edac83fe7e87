package edge

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"testing"

	bolt "go.etcd.io/bbolt"

	"github.com/xanode/xanode/node/registry"
)

// TestFormat2StoreGetsTokenIndex: a store of format 2 (whole-name index)
// is converted when opened: the old index goes, the token index is built
// from the records, and search by parts of names works.
func TestFormat2StoreGetsTokenIndex(t *testing.T) {
	s, _, _ := mustVillage(t)
	path := s.path
	s.Close()
	db, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		if err := tx.DeleteBucket(bTokens); err != nil {
			return err
		}
		old, err := tx.CreateBucket(bNames)
		if err != nil {
			return err
		}
		if err := old.Put(bytes.Repeat([]byte{7}, 3*hashSize), nil); err != nil {
			return err
		}
		return tx.Bucket(bMeta).Put(kFormat, u64(2))
	})
	db.Close()
	if err != nil {
		t.Fatal(err)
	}
	s = mustStoreIn(t, filepath.Dir(path))
	if got := search(t, s, "van an", registry.Date{}, 10); len(got) != 6 {
		t.Fatalf("after conversion: %v", got)
	}
	if err := s.VerifySubset(); err != nil {
		t.Fatal(err)
	}
	s.db.View(func(tx *bolt.Tx) error {
		if tx.Bucket(bNames) != nil || getU64(tx.Bucket(bMeta), kFormat) != storeFormat {
			t.Error("the old index is still there, or the format was not raised")
		}
		return nil
	})
}

// TestTokenIndexRevealsNoName: no name, word or prefix appears in the
// store file, folded or not.
func TestTokenIndexRevealsNoName(t *testing.T) {
	s, _, _ := mustVillage(t)
	path := s.path
	s.Close()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range []string{"nguyen", "Nguyễn", "dang", "Đặng", "dao", "092090001234"} {
		if bytes.Contains(raw, []byte(w)) {
			t.Errorf("the store file contains %q", w)
		}
	}
}

func TestPrefixes(t *testing.T) {
	var got []string
	prefixes("nguyen", func(p string, whole bool) {
		if whole != (p == "nguyen") {
			t.Errorf("%q whole=%v", p, whole)
		}
		got = append(got, p)
	})
	if want := []string{"ng", "ngu", "nguy", "nguye", "nguyen"}; !slices.Equal(got, want) {
		t.Errorf("prefixes: %v", got)
	}
	got = nil
	prefixes("a", func(p string, _ bool) { got = append(got, p) })
	if len(got) != 0 {
		t.Errorf("one letter gave %v", got)
	}
	if w := nameWords("nguyen-van  an'h"); !slices.Equal(w, []string{"nguyen", "van", "an", "h"}) {
		t.Errorf("words: %v", w)
	}
}
