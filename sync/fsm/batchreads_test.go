package fsm

import (
	"testing"
	"time"

	"github.com/hashicorp/raft"

	"github.com/xanode/xanode/node/registry"
)

// TestBatchSeesItsOwnWrites: a change decided after an assignment or an
// officer account changed in the same batch sees the change, as it does
// when raft hands the entries over one at a time (node assignments and
// accounts are read once per batch, txn.hotGet).
func TestBatchSeesItsOwnWrites(t *testing.T) {
	idAt := func(seq uint64, node, officer string) *registry.Change {
		c := change(seq, registry.OpProcedure, idAn, officer)
		c.Node = node
		return c
	}
	push := func(at time.Time, c *registry.Change) *Command {
		cmd := &Command{Kind: KindChanges, Received: at, Changes: []*registry.Change{c}}
		cmd.From = senderFor(cmd)
		return cmd
	}
	admin := func(c *Command) *Command { c.From = senderFor(c); return c }
	later := func(c *registry.Change) *registry.Change {
		c.Time = registry.HLCFromTime(t0.Add(2 * time.Hour))
		return c
	}
	cmds := []*Command{
		push(t0, idAt(1, "edge-9", "canbo01")), // edge-9 not assigned yet: rejected
		admin(&Command{Kind: KindAssign, Received: t0, Node: "edge-9", Communes: []string{commune}}),
		push(t0, idAt(2, "edge-9", "canbo01")),                             // applied
		push(t0, idAt(3, "edge-9", "canbo02")),                             // no account: needs_review
		admin(officerAdd("canbo02", "Lê Văn Tư", registry.OfficerRole, 7)), // the account appears
		push(t0, idAt(4, "edge-9", "canbo02")),                             // applied
		admin(officerDisable(commune, "canbo02")),                          // disabled at t0+1h
		push(t0.Add(2*time.Hour), later(idAt(5, "edge-9", "canbo02"))),     // acted after: rejected
		admin(&Command{Kind: KindAssign, Received: t0, Node: "edge-9", Communes: []string{other}}),
		push(t0, idAt(6, "edge-9", "canbo01")), // no longer assigned: rejected
	}
	results := func(batched bool) []registry.Result {
		l := seeded(t)
		var logs []*raft.Log
		for _, c := range cmds {
			l.index++
			logs = append(logs, &raft.Log{Index: l.index, Type: raft.LogCommand, Data: c.Encode()})
		}
		var res []any
		if batched {
			res = l.f.ApplyBatch(logs)
		} else {
			for _, lg := range logs {
				res = append(res, l.f.ApplyBatch([]*raft.Log{lg})...)
			}
		}
		var out []registry.Result
		for _, r := range res {
			if os, ok := r.([]*registry.Outcome); ok {
				out = append(out, os[0].Result)
			}
		}
		return out
	}
	want := []registry.Result{registry.Rejected, registry.Applied, registry.NeedsReview, registry.Applied, registry.Rejected, registry.Rejected}
	for _, batched := range []bool{false, true} {
		got := results(batched)
		if len(got) != len(want) {
			t.Fatalf("batched %v: %v, want %v", batched, got, want)
		}
		for i := range want {
			if got[i] != want[i] {
				t.Errorf("batched %v: change %d %s, want %s", batched, i+1, got[i], want[i])
			}
		}
	}
}
