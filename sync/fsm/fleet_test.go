package fsm

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/raft"
	bolt "go.etcd.io/bbolt"
)

func hash(c byte) string { return strings.Repeat(string(c), 64) }

func fleetCmd(kind Kind, at time.Time, op FleetOp) *Command {
	return &Command{Kind: kind, Received: at, Fleet: &op}
}

// TestFleetLifecycle walks one node through the fleet state machine: token,
// enrollment, renewal, revocation, re-enrollment of a re-imaged box.
func TestFleetLifecycle(t *testing.T) {
	l := seededBare(t)
	f := l.f
	// The old box pushed changes up to seq 7 before it was lost.
	l.changes(t, t0, temp("edge-9", 7, 0, "1 Trần Phú", t0))

	steps := []struct {
		name  string
		cmd   *Command
		err   error  // wanted response error (nil: success)
		check string // wanted CheckNode verdict for the newest serial afterwards: "", or an error's text part
	}{
		{"enroll before any token", fleetCmd(KindEnroll, t0, FleetOp{Node: "edge-9", TokenHash: hash('a'), Serial: "s1", NotAfter: t0.Add(720 * time.Hour)}), ErrTokenUnknown, ""},
		{"token", fleetCmd(KindToken, t0, FleetOp{Node: "edge-9", Commune: commune, TokenHash: hash('a'), Expires: t0.Add(24 * time.Hour), By: "admin"}), nil, ""},
		{"enroll with another node's token", fleetCmd(KindEnroll, t0.Add(time.Minute), FleetOp{Node: "edge-8", TokenHash: hash('a'), Serial: "s1", NotAfter: t0.Add(720 * time.Hour)}), ErrTokenUnknown, ""},
		{"enroll", fleetCmd(KindEnroll, t0.Add(time.Minute), FleetOp{Node: "edge-9", TokenHash: hash('a'), Serial: "s1", NotAfter: t0.Add(720 * time.Hour)}), nil, ""},
		{"token is one-time", fleetCmd(KindEnroll, t0.Add(2*time.Minute), FleetOp{Node: "edge-9", TokenHash: hash('a'), Serial: "s2", NotAfter: t0.Add(720 * time.Hour)}), ErrTokenUsed, ""},
		{"renew", fleetCmd(KindCert, t0.Add(time.Hour), FleetOp{Node: "edge-9", Serial: "s2", NotAfter: t0.Add(730 * time.Hour)}), nil, ""},
		{"revoke", fleetCmd(KindRevoke, t0.Add(2*time.Hour), FleetOp{Node: "edge-9", Reason: "box stolen", By: "admin"}), nil, "revoked"},
		{"renewal of a revoked node", fleetCmd(KindCert, t0.Add(3*time.Hour), FleetOp{Node: "edge-9", Serial: "s3", NotAfter: t0.Add(740 * time.Hour)}), ErrRevoked, "revoked"},
		{"telemetry of a revoked node", fleetCmd(KindTelemetry, t0.Add(3*time.Hour), FleetOp{Node: "edge-9", Telemetry: &Telemetry{Outbox: 1}}), ErrRevoked, "revoked"},
		{"reinstate cannot undo a revocation", fleetCmd(KindReinstate, t0.Add(3*time.Hour), FleetOp{Node: "edge-9", Reason: "found"}), errAny, "revoked"},
	}
	const renewed = 5 // steps from the renewal on use the new serial
	for i, s := range steps {
		res := l.apply(t, s.cmd)
		err, _ := res.(error)
		switch {
		case s.err == nil && err != nil:
			t.Fatalf("%s: %v", s.name, err)
		case s.err == errAny && err == nil, s.err != nil && s.err != errAny && !errors.Is(err, s.err):
			t.Fatalf("%s: got %v, want %v", s.name, err, s.err)
		}
		serial := "s1"
		if i >= renewed {
			serial = "s2"
		}
		got := f.CheckNode("edge-9", serial)
		if (s.check == "") != (got == nil) || got != nil && !strings.Contains(got.Error(), s.check) {
			t.Fatalf("%s: CheckNode = %v, want %q", s.name, got, s.check)
		}
	}

	// A token made before the revocation cannot undo it; a new one can.
	l.apply(t, fleetCmd(KindToken, t0.Add(90*time.Minute), FleetOp{Node: "edge-9", Commune: other, TokenHash: hash('b'), Expires: t0.Add(24 * time.Hour)}))
	if err, _ := l.apply(t, fleetCmd(KindEnroll, t0.Add(4*time.Hour), FleetOp{Node: "edge-9", TokenHash: hash('b'), Serial: "s4", NotAfter: t0.Add(800 * time.Hour)})).(error); !errors.Is(err, ErrRevoked) {
		t.Fatalf("old token after revocation: %v", err)
	}
	l.apply(t, fleetCmd(KindToken, t0.Add(5*time.Hour), FleetOp{Node: "edge-9", Commune: other, TokenHash: hash('c'), Expires: t0.Add(24 * time.Hour)}))
	res := l.apply(t, fleetCmd(KindEnroll, t0.Add(6*time.Hour), FleetOp{Node: "edge-9", TokenHash: hash('c'), Serial: "s5", NotAfter: t0.Add(800 * time.Hour)}))
	er, ok := res.(*EnrollResult)
	if !ok {
		t.Fatalf("re-enrollment: %v", res)
	}
	if er.Commune != other || er.NextSeq != 8 {
		t.Fatalf("re-enrollment = %+v, want commune %s and next seq 8 (old box pushed seq 7)", er, other)
	}
	if err := f.CheckNode("edge-9", "s5"); err != nil {
		t.Fatalf("new certificate refused: %v", err)
	}
	if err := f.CheckNode("edge-9", "s2"); !errors.Is(err, ErrSuperseded) {
		t.Fatalf("old box's certificate: %v, want superseded", err)
	}
	if cs, _ := f.NodeCommunes("edge-9"); len(cs) != 1 || cs[0] != other {
		t.Fatalf("communes after re-enrollment = %v", cs)
	}
	// Unknown nodes (certificates issued straight from the fleet CA) pass.
	if err := f.CheckNode("edge-1", "whatever"); err != nil {
		t.Fatal(err)
	}
}

var errAny = errors.New("any error")

func TestTokenExpiry(t *testing.T) {
	l := seededBare(t)
	l.apply(t, fleetCmd(KindToken, t0, FleetOp{Node: "edge-9", Commune: commune, TokenHash: hash('a'), Expires: t0.Add(time.Hour)}))
	res := l.apply(t, fleetCmd(KindEnroll, t0.Add(time.Hour), FleetOp{Node: "edge-9", TokenHash: hash('a'), Serial: "s1", NotAfter: t0.Add(time.Hour)}))
	if err, _ := res.(error); !errors.Is(err, ErrTokenExpired) {
		t.Fatalf("enroll at expiry: %v", res)
	}
	info, err := l.f.Token(hash('a'))
	if err != nil || info.Used || info.Node != "edge-9" {
		t.Fatalf("token after a refused enrollment: %+v %v", info, err)
	}
}

func TestSuspendReinstate(t *testing.T) {
	l := seededBare(t)
	l.apply(t, fleetCmd(KindTelemetry, t0, FleetOp{Node: "edge-1", Telemetry: &Telemetry{Outbox: 2, SubsetVersion: 1}}))
	stale, err := l.f.StaleNodes(t0.Add(time.Hour))
	if err != nil || len(stale) != 1 || stale[0] != "edge-1" {
		t.Fatalf("stale = %v %v (edge-2 never reported and was never enrolled: not judged)", stale, err)
	}
	l.apply(t, fleetCmd(KindSuspend, t0.Add(time.Hour), FleetOp{Node: "edge-1", Reason: "not seen for 7 days", By: "policy"}))
	if err := l.f.CheckNode("edge-1", ""); !errors.Is(err, ErrSuspended) {
		t.Fatalf("suspended node passes: %v", err)
	}
	if err, _ := l.apply(t, fleetCmd(KindSuspend, t0.Add(2*time.Hour), FleetOp{Node: "edge-1"})).(error); err == nil {
		t.Fatal("suspending twice succeeded")
	}
	if res := l.apply(t, fleetCmd(KindReinstate, t0.Add(3*time.Hour), FleetOp{Node: "edge-1", Reason: "office reopened"})); res != nil {
		t.Fatalf("reinstate: %v", res)
	}
	if err := l.f.CheckNode("edge-1", ""); err != nil {
		t.Fatal(err)
	}
	if stale, _ := l.f.StaleNodes(t0.Add(2 * time.Hour)); len(stale) != 0 {
		t.Fatalf("a reinstated node is stale at once: %v", stale)
	}
}

func TestTelemetrySeries(t *testing.T) {
	l := seededBare(t)
	// One report a minute for 26 hours: samples every 5 minutes, one day kept.
	for i := 0; i < 26*60; i++ {
		at := t0.Add(time.Duration(i) * time.Minute)
		l.apply(t, fleetCmd(KindTelemetry, at, FleetOp{Node: "edge-1", Telemetry: &Telemetry{Outbox: i % 7, SubsetVersion: 1, Findings: uint64(i)}}))
	}
	s, err := l.f.NodeSeries("edge-1")
	if err != nil {
		t.Fatal(err)
	}
	if want := 24*12 + 1; len(s) != want {
		t.Fatalf("%d samples, want %d", len(s), want)
	}
	for i := 1; i < len(s); i++ {
		if d := s[i].Time.Sub(s[i-1].Time); d != seriesEvery {
			t.Fatalf("sample %d is %v after the one before", i, d)
		}
	}
	// The import at index 1 made commune's version 1, and the edge reports 1.
	if s[0].Lag != 0 {
		t.Fatalf("lag %d", s[0].Lag)
	}
	nodes, err := l.f.FleetNodes()
	if err != nil || len(nodes) != 2 || nodes[0].ID != "edge-1" || nodes[0].Telemetry == nil || nodes[0].Communes[0] != commune {
		t.Fatalf("fleet nodes = %+v %v", nodes, err)
	}
	if _, err := l.f.NodeSeries("edge-2"); err != nil {
		t.Fatal(err)
	}
	// Unknown nodes cannot report.
	if err, _ := l.apply(t, fleetCmd(KindTelemetry, t0, FleetOp{Node: "nobody", Telemetry: &Telemetry{}})).(error); !errors.Is(err, ErrUnknownNode) {
		t.Fatalf("telemetry of an unknown node: %v", err)
	}
}

// TestFleetReplicasAgree replays the same fleet log on two FSMs, one of them
// restored from the other's snapshot halfway, and compares digests and the
// revocation table.
func TestFleetReplicasAgree(t *testing.T) {
	cmds := []*Command{
		fleetCmd(KindToken, t0, FleetOp{Node: "edge-9", Commune: commune, TokenHash: hash('a'), Expires: t0.Add(24 * time.Hour)}),
		fleetCmd(KindEnroll, t0.Add(time.Minute), FleetOp{Node: "edge-9", TokenHash: hash('a'), Serial: "s1", NotAfter: t0.Add(720 * time.Hour)}),
		fleetCmd(KindTelemetry, t0.Add(2*time.Minute), FleetOp{Node: "edge-9", Telemetry: &Telemetry{Outbox: 3}}),
		fleetCmd(KindRevoke, t0.Add(3*time.Minute), FleetOp{Node: "edge-9", Reason: "lost"}),
	}
	a, b := seededBare(t), seededBare(t)
	for i, c := range cmds {
		a.apply(t, c)
		if i == 1 {
			snap, err := a.f.Snapshot()
			if err != nil {
				t.Fatal(err)
			}
			restoreInto(t, b.f, snap)
			b.index = a.index
			snap.Release()
			continue
		}
		if i > 1 {
			b.apply(t, c)
		}
	}
	sa, _ := a.f.Status()
	sb, _ := b.f.Status()
	if sa.Digest != sb.Digest {
		t.Fatal("replicas differ")
	}
	if err := b.f.CheckNode("edge-9", "s1"); !errors.Is(err, ErrRevoked) {
		t.Fatalf("restored replica lets a revoked node in: %v", err)
	}
}

func TestFleetCommandCheck(t *testing.T) {
	for name, c := range map[string]*Command{
		"no payload":       {Kind: KindRevoke, Received: t0},
		"bad node":         fleetCmd(KindRevoke, t0, FleetOp{Node: "a/b"}),
		"bad commune":      fleetCmd(KindToken, t0, FleetOp{Node: "e", Commune: "1", TokenHash: hash('a'), Expires: t0}),
		"short hash":       fleetCmd(KindEnroll, t0, FleetOp{Node: "e", TokenHash: "ab", Serial: "1", NotAfter: t0}),
		"negative outbox":  fleetCmd(KindTelemetry, t0, FleetOp{Node: "e", Telemetry: &Telemetry{Outbox: -1}}),
		"no telemetry":     fleetCmd(KindTelemetry, t0, FleetOp{Node: "e"}),
		"renew, no serial": fleetCmd(KindCert, t0, FleetOp{Node: "e", NotAfter: t0}),
	} {
		if _, err := DecodeCommand(c.Encode()); !errors.Is(err, ErrCommand) {
			t.Errorf("%s: %v", name, err)
		}
	}
	// Unknown JSON fields are refused, not ignored.
	b := append([]byte{byte(KindRevoke), 1}, `{"node":"e","evil":1}`...)
	if _, err := DecodeCommand(b); !errors.Is(err, ErrCommand) {
		t.Errorf("unknown field: %v", err)
	}
}

func restoreInto(t *testing.T, f *FSM, snap raft.FSMSnapshot) {
	t.Helper()
	var buf bytes.Buffer
	if err := snap.Persist(&memSink{Buffer: &buf}); err != nil {
		t.Fatal(err)
	}
	if err := f.Restore(io.NopCloser(&buf)); err != nil {
		t.Fatal(err)
	}
}

// TestHistoryChainReadsOlderIndex: a state written by an older version
// keeps its history in the (ID, seq) index; entries recorded since are in
// the chain; History returns both, in order, once each.
func TestHistoryChainReadsOlderIndex(t *testing.T) {
	l := seededBare(t)
	for i := uint64(1); i <= 3; i++ {
		l.changes(t, t0.Add(time.Duration(i)*time.Minute), temp("edge-1", i, 0, fmt.Sprintf("Số %d", i), t0.Add(time.Duration(i)*time.Minute)))
	}
	// Rewrite the first three as an older version stored them.
	l.f.flush()
	err := l.f.db.Update(func(tx *bolt.Tx) error {
		for seq := uint64(1); seq <= 3; seq++ {
			if err := tx.Bucket(bByCitizen).Put(append(append([]byte(idAn), 0), u64(seq)...), nil); err != nil {
				return err
			}
		}
		if err := tx.DeleteBucket(bHistPrev); err != nil {
			return err
		}
		if _, err := tx.CreateBucket(bHistPrev); err != nil {
			return err
		}
		return tx.Bucket(bLastHist).Delete([]byte(idAn))
	})
	if err != nil {
		t.Fatal(err)
	}
	for i := uint64(4); i <= 5; i++ {
		l.changes(t, t0.Add(time.Duration(i)*time.Minute), temp("edge-1", i, 0, fmt.Sprintf("Số %d", i), t0.Add(time.Duration(i)*time.Minute)))
	}
	h, err := l.f.History(idAn)
	if err != nil {
		t.Fatal(err)
	}
	if len(h) != 5 {
		t.Fatalf("%d entries, want 5", len(h))
	}
	for i, e := range h {
		if e.Seq != uint64(i+1) || e.Change.Seq != uint64(i+1) {
			t.Fatalf("entry %d: seq %d, change %s", i, e.Seq, e.Change.ID())
		}
	}
	if other, _ := l.f.History("092190004321"); len(other) != 0 {
		t.Fatalf("another citizen has %d entries", len(other))
	}
}
