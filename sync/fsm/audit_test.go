package fsm

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/xanode/xanode/sync/wire"
)

// chain makes audit entries from..to of a chain whose details start with
// tag (different tags: different chains).
func chain(tag string, n int) []wire.AuditEntry {
	var out []wire.AuditEntry
	prev := ""
	for i := 1; i <= n; i++ {
		e := wire.AuditEntry{Seq: uint64(i), Time: t0.Add(time.Duration(i) * time.Second), Officer: "canbo01",
			Action: "lookup", Citizen: idAn, Detail: tag, Prev: prev}
		e.Hash = e.ComputeHash()
		prev = e.Hash
		out = append(out, e)
	}
	return out
}

func TestAuditChain(t *testing.T) {
	l := seeded(t)
	a := chain("box-1", 10)
	send := func(es []wire.AuditEntry) (uint64, error) {
		res := l.apply(t, fleetCmd(KindAudit, t0, FleetOp{Node: "edge-1", Audit: es}))
		if err, ok := res.(error); ok {
			return 0, err
		}
		return res.(*AuditResult).Through, nil
	}
	steps := []struct {
		name    string
		batch   []wire.AuditEntry
		through uint64
		err     string
	}{
		{"first batch", a[:4], 4, ""},
		{"resend of held entries", a[:4], 4, ""},
		{"overlapping resend", a[2:6], 6, ""},
		{"a gap asks for a resend", a[8:], 6, ""},
		{"the rest", a[6:], 10, ""},
		{"re-imaged box starts a new chain", chain("box-2", 3), 3, ""},
		{"entries of another chain are refused", chain("box-3", 5)[3:], 0, "does not link"},
		{"an altered held entry is refused", forge(chain("box-2", 3), 2), 0, "differs"},
	}
	for _, s := range steps {
		through, err := send(s.batch)
		if s.err != "" {
			if err == nil || !strings.Contains(err.Error(), s.err) {
				t.Fatalf("%s: %v, want an error with %q", s.name, err, s.err)
			}
			continue
		}
		if err != nil || through != s.through {
			t.Fatalf("%s: through %d %v, want %d", s.name, through, err, s.through)
		}
	}
	trail, err := l.f.Audit("edge-1", 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	if trail.Tip.Epoch != 2 || trail.Tip.Seq != 3 || len(trail.Entries) != 3 || trail.Tip.Broken == "" || len(trail.Tip.Restarted) != 1 {
		t.Fatalf("trail = %+v", trail)
	}
	// Unknown nodes may not send audit logs.
	if _, err := send2(l, t, "nobody", a[:1]); !errors.Is(err, ErrUnknownNode) {
		t.Fatalf("unknown node: %v", err)
	}
	// A batch that is not a chain does not even decode.
	bad := append([]wire.AuditEntry{}, a[:3]...)
	bad[1].Detail = "changed"
	if _, err := DecodeCommand(fleetCmd(KindAudit, t0, FleetOp{Node: "edge-1", Audit: bad}).Encode()); !errors.Is(err, ErrCommand) {
		t.Fatalf("broken batch decoded: %v", err)
	}
}

// forge replaces entry seq of a chain with a re-hashed altered one,
// breaking the link to it from the next entry only if there is one.
func forge(es []wire.AuditEntry, seq int) []wire.AuditEntry {
	i := seq - 1
	es[i].Detail = "forged"
	es[i].Hash = es[i].ComputeHash()
	if i+1 < len(es) {
		es = es[i:] // starts at the forged entry: it does not link to what the city holds
		for j := 1; j < len(es); j++ {
			es[j].Prev = es[j-1].Hash
			es[j].Hash = es[j].ComputeHash()
		}
		return es
	}
	return es
}

func send2(l *log, t *testing.T, node string, es []wire.AuditEntry) (any, error) {
	res := l.apply(t, fleetCmd(KindAudit, t0, FleetOp{Node: node, Audit: es}))
	err, _ := res.(error)
	return res, err
}
