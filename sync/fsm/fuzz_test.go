package fsm

import (
	"testing"

	"github.com/hashicorp/raft"

	"github.com/xanode/xanode/node/registry"
)

// FuzzApply feeds arbitrary log entries to a seeded FSM: a malformed entry
// must give an error response, never a panic, and leave the state digest
// as it was.
func FuzzApply(f *testing.F) {
	f.Add((&Command{Kind: KindChanges, Received: t0, Changes: []*registry.Change{temp("edge-1", 1, 1, "5 Nguyễn Trãi", t0)}}).Encode())
	f.Add((&Command{Kind: KindAssign, Received: t0, Node: "edge-3", Communes: []string{commune}}).Encode())
	f.Add((&Command{Kind: KindImport, Received: t0, Records: []*registry.Citizen{person(idAn, "A", "1990", "M", commune)}}).Encode())
	f.Fuzz(func(t *testing.T, data []byte) {
		l := seeded(t)
		before, _ := l.f.Status()
		l.index++
		res := l.f.Apply(&raft.Log{Index: l.index, Type: raft.LogCommand, Data: data})
		if err, ok := res.(error); ok {
			after, _ := l.f.Status()
			if after.Digest != before.Digest {
				t.Fatalf("a refused entry (%v) changed the state", err)
			}
		}
	})
}
