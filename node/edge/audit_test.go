package edge

import (
	"encoding/json"
	"errors"
	"testing"

	bolt "go.etcd.io/bbolt"
)

func TestAuditChain(t *testing.T) {
	s := mustStore(t)
	for i, who := range []string{"canbo01", "canbo02", "canbo01"} {
		if err := s.Audit(now, who, AuditLookup, "092090001234", ""); err != nil {
			t.Fatal(i, err)
		}
	}
	if n, err := s.VerifyAudit(); err != nil || n != 3 {
		t.Fatalf("verify: %d %v", n, err)
	}
	// Even with the key, an altered entry breaks the chain.
	s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bAudit)
		plain, err := s.keys.open(bAudit, u64(2), b.Get(u64(2)))
		if err != nil {
			t.Fatal(err)
		}
		var e AuditEntry
		json.Unmarshal(plain, &e)
		e.Officer = "someone-else"
		v, _ := json.Marshal(e)
		return b.Put(u64(2), s.keys.seal(bAudit, u64(2), v))
	})
	if _, err := s.VerifyAudit(); !errors.Is(err, ErrAuditChain) {
		t.Fatalf("an altered entry passed: %v", err)
	}
}

func TestAuditEntriesCannotBeMoved(t *testing.T) {
	s := mustStore(t)
	s.Audit(now, "a", AuditLookup, "092090001234", "")
	s.Audit(now, "b", AuditLookup, "092190004321", "")
	s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bAudit)
		one, two := b.Get(u64(1)), b.Get(u64(2))
		b.Put(u64(1), append([]byte{}, two...))
		return b.Put(u64(2), append([]byte{}, one...))
	})
	if _, err := s.VerifyAudit(); !errors.Is(err, ErrAuditChain) || !errors.Is(err, ErrKey) {
		t.Fatalf("swapped entries passed: %v", err)
	}
}

func TestAuditTruncationDetected(t *testing.T) {
	s := mustStore(t)
	s.Audit(now, "a", AuditLookup, "", "")
	s.Audit(now, "b", AuditLookup, "", "")
	s.db.Update(func(tx *bolt.Tx) error { return tx.Bucket(bAudit).Delete(u64(2)) })
	if _, err := s.VerifyAudit(); !errors.Is(err, ErrAuditChain) {
		t.Fatalf("a removed last entry passed: %v", err)
	}
}
