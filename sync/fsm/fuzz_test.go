package fsm

import (
	"testing"
	"time"

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
	// The fleet, audit and officer kinds (JSON payloads).
	f.Add(fleetCmd(KindToken, t0, FleetOp{Node: "edge-9", Commune: commune, TokenHash: hash('a'), Expires: t0.Add(time.Hour)}).Encode())
	f.Add(fleetCmd(KindEnroll, t0, FleetOp{Node: "edge-9", TokenHash: hash('a'), Serial: "s1", NotAfter: t0.Add(time.Hour)}).Encode())
	f.Add(fleetCmd(KindRevoke, t0, FleetOp{Node: "edge-1", Reason: "lost"}).Encode())
	f.Add(fleetCmd(KindTelemetry, t0, FleetOp{Node: "edge-1", Telemetry: &Telemetry{Outbox: 3, SubsetVersion: 1}}).Encode())
	f.Add(fleetCmd(KindAudit, t0, FleetOp{Node: "edge-1", Audit: chain("box", 2)}).Encode())
	f.Add(officerAdd("canbo01", "Nguyễn Thị Lan", "officer", 1).Encode())
	f.Add(officerDisable(commune, "canbo01").Encode())
	f.Add(trustCmd([]TrustItem{csca("VN"), crl("VN", 1)}, csca("DE").Fingerprint).Encode())
	f.Add((&Command{Kind: KindLevel, Received: t0, Level: 1, From: Sender{Role: registry.RoleCity, ID: "city-1"}}).Encode())
	f.Fuzz(func(t *testing.T, data []byte) {
		if c, err := DecodeCommand(data); err == nil && c.Kind == KindLevel && c.Level > ReleaseLevel && c.Authorize() == nil {
			t.Skip("a feature level above this release's stops the replica on purpose (TestFeatureLevel)")
		}
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

// FuzzApplyAtRelease is FuzzApply on a cluster at this release's feature
// level, each entry applied twice (a resend, as raft replays and edges
// retry): the history blocks and runs (historyblocks.go, runs.go) see what
// an attacker could send, groups of pushes from one node included.
func FuzzApplyAtRelease(f *testing.F) {
	push := func(cs ...*registry.Change) *Command {
		return &Command{Kind: KindChanges, From: Sender{Role: registry.RoleEdge, ID: cs[0].Node}, Received: t0, Changes: cs}
	}
	a, b, c := temp("edge-1", 1, 1, "5 Nguyễn Trãi", t0), temp("edge-1", 2, 1, "6 Nguyễn Trãi", t0), temp("edge-1", 4, 1, "7 Nguyễn Trãi", t0)
	f.Add(push(a, b, c).Encode())
	f.Add(Group(Sender{Role: registry.RoleCity, ID: "city-1"}, t0, []*Command{push(a, b, c), push(temp("edge-2", 1, 1, "9 Hòa Bình", t0)), push(a, b)}).Encode())
	f.Add((&Command{Kind: KindAssign, Received: t0, Node: "edge-3", Communes: []string{commune}}).Encode())
	f.Add(officerAdd("canbo01", "Nguyễn Thị Lan", "officer", 1).Encode())
	f.Fuzz(func(t *testing.T, data []byte) {
		if c, err := DecodeCommand(data); err == nil && c.Kind == KindLevel && c.Level > ReleaseLevel && c.Authorize() == nil {
			t.Skip("a feature level above this release's stops the replica on purpose (TestFeatureLevel)")
		}
		l := seeded(t)
		l.apply(t, &Command{Kind: KindLevel, Received: t0, Level: ReleaseLevel})
		for range 2 {
			before, _ := l.f.Status()
			l.index++
			res := l.f.Apply(&raft.Log{Index: l.index, Type: raft.LogCommand, Data: data})
			if err, ok := res.(error); ok {
				if after, _ := l.f.Status(); after.Digest != before.Digest {
					t.Fatalf("a refused entry (%v) changed the state", err)
				}
			}
		}
	})
}
