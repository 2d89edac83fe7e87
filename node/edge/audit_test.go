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
	tamper := func(fn func(b *bolt.Bucket)) {
		s.db.Update(func(tx *bolt.Tx) error { fn(tx.Bucket(bAudit)); return nil })
	}
	tamper(func(b *bolt.Bucket) {
		var e AuditEntry
		json.Unmarshal(b.Get(u64(2)), &e)
		e.Officer = "someone-else"
		v, _ := json.Marshal(e)
		b.Put(u64(2), v)
	})
	if _, err := s.VerifyAudit(); !errors.Is(err, ErrAuditChain) {
		t.Fatalf("an altered entry passed: %v", err)
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
