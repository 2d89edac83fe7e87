package wire

import (
	"encoding/json"
	"errors"
	"testing"
	"time"
)

func auditChain(n int) []AuditEntry {
	var out []AuditEntry
	prev := ""
	for i := 1; i <= n; i++ {
		e := AuditEntry{Seq: uint64(i), Time: time.Date(2026, 11, 27, 8, 0, i, 0, time.UTC), Officer: "canbo01",
			Action: "lookup", Citizen: "092090001234", Prev: prev}
		e.Hash = e.ComputeHash()
		prev = e.Hash
		out = append(out, e)
	}
	return out
}

func TestDecodeAudit(t *testing.T) {
	good, _ := json.Marshal(auditChain(3))
	if es, err := DecodeAudit(good); err != nil || len(es) != 3 {
		t.Fatalf("good batch: %v", err)
	}
	mutate := func(f func([]AuditEntry)) []byte {
		es := auditChain(3)
		f(es)
		b, _ := json.Marshal(es)
		return b
	}
	for name, b := range map[string][]byte{
		"altered":       mutate(func(es []AuditEntry) { es[1].Detail = "x" }),
		"reordered":     mutate(func(es []AuditEntry) { es[1], es[2] = es[2], es[1] }),
		"relinked":      mutate(func(es []AuditEntry) { es[2].Prev = es[0].Hash; es[2].Hash = es[2].ComputeHash() }),
		"seq zero":      mutate(func(es []AuditEntry) { es[0].Seq = 0; es[0].Hash = es[0].ComputeHash() }),
		"long detail":   mutate(func(es []AuditEntry) { es[2].Detail = string(make([]byte, 5000)); es[2].Hash = es[2].ComputeHash() }),
		"unknown field": []byte(`[{"seq":1,"evil":true}]`),
		"trailing":      append(append([]byte{}, good...), "[]"...),
		"not json":      []byte("{"),
	} {
		if _, err := DecodeAudit(b); !errors.Is(err, ErrAudit) {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func FuzzDecodeAudit(f *testing.F) {
	good, _ := json.Marshal(auditChain(2))
	f.Add(good)
	f.Add([]byte(`[]`))
	f.Add([]byte(`[{"seq":1}]`))
	f.Fuzz(func(t *testing.T, b []byte) {
		es, err := DecodeAudit(b)
		if err != nil {
			return
		}
		for i, e := range es {
			if e.Hash != e.ComputeHash() || (i > 0 && e.Prev != es[i-1].Hash) {
				t.Fatalf("accepted a broken chain at %d", i)
			}
		}
		again, _ := json.Marshal(es)
		if _, err := DecodeAudit(again); err != nil {
			t.Fatalf("re-encoded batch refused: %v", err)
		}
	})
}
