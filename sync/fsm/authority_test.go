package fsm

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/xanode/xanode/node/registry"
)

const idBinh = "092190004321" // lives in other

// TestAuthorizeCommands checks the command half of the authority table:
// a command whose sender may not send it is refused whole, before any
// state is read.
func TestAuthorizeCommands(t *testing.T) {
	edge1 := Sender{Role: registry.RoleEdge, ID: "edge-1"}
	admin := Sender{Role: registry.RoleAdmin, ID: "admin"}
	city := Sender{Role: registry.RoleCity, ID: "city-1"}
	ok := temp("edge-1", 1, 1, "x", t0)
	tests := []struct {
		name string
		cmd  *Command
		want string // "" allowed, else part of the error
	}{
		{"edge pushes its own changes", &Command{Kind: KindChanges, From: edge1, Changes: []*registry.Change{ok}}, ""},
		{"edge pushes another node's change", &Command{Kind: KindChanges, From: edge1, Changes: []*registry.Change{temp("edge-2", 1, 1, "x", t0)}}, "recorded by"},
		{"edge pushes an import", &Command{Kind: KindChanges, From: edge1, Changes: []*registry.Change{{Node: "edge-1", Seq: 1, Op: registry.OpImport}}}, "may not send"},
		{"edge pushes out of order", &Command{Kind: KindChanges, From: edge1, Changes: []*registry.Change{temp("edge-1", 2, 1, "x", t0), temp("edge-1", 1, 1, "x", t0)}}, "out of order"},
		{"edge pushes a change twice", &Command{Kind: KindChanges, From: edge1, Changes: []*registry.Change{ok, ok}}, "out of order"},
		{"edge pushes too many", &Command{Kind: KindChanges, From: edge1, Changes: make([]*registry.Change, MaxPush+1)}, "at most"},
		{"admin pushes changes", &Command{Kind: KindChanges, From: admin, Changes: []*registry.Change{ok}}, "may not send"},
		{"edge imports", &Command{Kind: KindImport, From: edge1}, "may not send"},
		{"edge assigns itself", &Command{Kind: KindAssign, From: edge1, Node: "edge-1", Communes: []string{other}}, "may not send"},
		{"edge resolves", &Command{Kind: KindResolve, From: edge1}, "may not send"},
		{"edge corrects", &Command{Kind: KindCorrect, From: edge1}, "may not send"},
		{"edge adds an officer", &Command{Kind: KindOfficer, From: edge1}, "may not send"},
		{"edge makes a token", &Command{Kind: KindToken, From: edge1}, "may not send"},
		{"edge revokes", &Command{Kind: KindRevoke, From: edge1}, "may not send"},
		{"edge reinstates itself", &Command{Kind: KindReinstate, From: edge1}, "may not send"},
		{"edge registers a peer", &Command{Kind: KindPeer, From: edge1}, "may not send"},
		{"edge uploads a CRL", &Command{Kind: KindCRL, From: edge1}, "may not send"},
		{"edge loads CSCAs", &Command{Kind: KindTrust, From: edge1}, "may not send"},
		{"city loads CSCAs", &Command{Kind: KindTrust, From: city}, "may not send"},
		{"admin loads CSCAs", &Command{Kind: KindTrust, From: admin}, ""},
		{"edge enrolls itself", &Command{Kind: KindEnroll, From: edge1}, "may not send"},
		{"edge reports for another", fleetCmdFrom(edge1, KindTelemetry, FleetOp{Node: "edge-2"}), "may not report"},
		{"edge renews another's certificate", fleetCmdFrom(edge1, KindCert, FleetOp{Node: "edge-2"}), "may not report"},
		{"edge sends another's audit", fleetCmdFrom(edge1, KindAudit, FleetOp{Node: "edge-2"}), "may not report"},
		{"edge proves for another", &Command{Kind: KindPresence, From: edge1, Presence: &PresenceOp{Node: "edge-2"}}, "may not prove"},
		{"edge reports for itself", fleetCmdFrom(edge1, KindTelemetry, FleetOp{Node: "edge-1"}), ""},
		{"admin imports", &Command{Kind: KindImport, From: admin}, ""},
		{"admin registers a peer", &Command{Kind: KindPeer, From: admin}, "may not send"},
		{"city registers a peer", &Command{Kind: KindPeer, From: city}, ""},
		{"city imports", &Command{Kind: KindImport, From: city}, "may not send"},
		{"city suspends", &Command{Kind: KindSuspend, From: city}, ""},
		{"admin suspends", &Command{Kind: KindSuspend, From: admin}, "may not send"},
		{"no sender", &Command{Kind: KindImport}, "no sender"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.cmd.Authorize()
			switch {
			case tt.want == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case tt.want != "" && (!errors.Is(err, ErrForbidden) || !strings.Contains(err.Error(), tt.want)):
				t.Fatalf("Authorize() = %v, want ErrForbidden mentioning %q", err, tt.want)
			}
		})
	}
}

func fleetCmdFrom(from Sender, kind Kind, op FleetOp) *Command {
	return &Command{Kind: kind, From: from, Fleet: &op}
}

// TestForbiddenEntryChangesNothing: an entry the leader would have refused,
// if it reached the log anyway, is refused by every replica alike.
func TestForbiddenEntryChangesNothing(t *testing.T) {
	l := seeded(t)
	before, _ := l.f.Status()
	imp := &Command{Kind: KindImport, From: Sender{Role: registry.RoleEdge, ID: "edge-1"}, Received: t0,
		Records: []*registry.Citizen{person(idAn, "Kẻ Gian", "1990-05-01", "M", commune)}}
	if res := l.apply(t, imp); !errors.Is(res.(error), ErrForbidden) {
		t.Fatalf("response %v", res)
	}
	after, _ := l.f.Status()
	if after.Digest != before.Digest || after.Citizens != before.Citizens {
		t.Fatal("a forbidden entry changed the state")
	}
	c, _ := l.f.Citizen(idAn)
	if c.Get(registry.FieldFullName) != "Nguyễn Văn An" {
		t.Fatalf("name %q", c.Get(registry.FieldFullName))
	}
}

// change makes an edge-1 change of op for citizen by officer, with patch.
func change(seq uint64, op registry.Op, citizen, officer string, patch ...registry.FieldValue) *registry.Change {
	c := &registry.Change{Node: "edge-1", Seq: seq, Officer: officer, Op: op, Citizen: citizen, Commune: commune,
		Base: 1, Time: registry.HLCFromTime(t0), Patch: patch}
	if op == registry.OpProcedure {
		c.Procedure, c.Note = "000.00.25.H13-261205-0001", "Đã trả kết quả"
	}
	return c
}

var (
	tempPatch = []registry.FieldValue{{Field: registry.FieldTemporaryAddress, Value: "5 Nguyễn Trãi"}, {Field: registry.FieldTemporaryUntil, Value: "2027-06-30"}}
	movePatch = []registry.FieldValue{{Field: registry.FieldPermanentAddress, Value: "8 Hòa Bình"}, {Field: registry.FieldCommune, Value: commune}}
)

// TestChangeAuthority walks the change half of the table, row by row,
// against the state: who the officer is, whom the change reaches, and
// what a proof of presence changes.
func TestChangeAuthority(t *testing.T) {
	tests := []struct {
		name   string
		setup  func(l *log)
		change *registry.Change
		want   registry.Result
		reason string // part of the reason
	}{
		{"resident, active officer", nil, change(1, registry.OpRegisterTemporary, idAn, "canbo01", tempPatch...), registry.Applied, ""},
		{"officer without an account (break-glass)", nil, change(1, registry.OpRegisterTemporary, idAn, "khach", tempPatch...), registry.NeedsReview, "no account"},
		{"officer of another commune", func(l *log) {
			c := officerAdd("lan", "Lan", registry.SupervisorRole, 2)
			c.Officer.Commune = other
			l.apply(t, c)
		}, change(1, registry.OpRegisterTemporary, idAn, "lan", tempPatch...), registry.NeedsReview, "no account"},
		{"officer disabled before the action", func(l *log) {
			l.apply(t, officerAdd("lan", "Lan", registry.OfficerRole, 2))
			l.apply(t, &Command{Kind: KindOfficer, Received: t0.Add(-time.Hour), Officer: &OfficerOp{OfficerAccount: OfficerAccount{Commune: commune, User: "lan", Disabled: true}, By: "admin"}})
		}, change(1, registry.OpRegisterTemporary, idAn, "lan", tempPatch...), registry.Rejected, "disabled"},
		{"officer disabled after the action", func(l *log) {
			l.apply(t, officerAdd("lan", "Lan", registry.OfficerRole, 2))
			l.apply(t, officerDisable(commune, "lan"))
		}, change(1, registry.OpRegisterTemporary, idAn, "lan", tempPatch...), registry.Applied, ""},
		{"officer records a death", func(l *log) { l.apply(t, officerAdd("lan", "Lan", registry.OfficerRole, 2)) },
			change(1, registry.OpRegisterDeath, idAn, "lan", registry.FieldValue{Field: registry.FieldStatus, Value: registry.StatusDeceased},
				registry.FieldValue{Field: registry.FieldDeathDate, Value: "2026-11-01"}), registry.Rejected, "may not record"},
		{"unknown citizen", nil, change(1, registry.OpRegisterTemporary, "092090009999", "canbo01", tempPatch...), registry.Rejected, ReasonNotAvailable},
		{"other commune's citizen", nil, change(1, registry.OpRegisterTemporary, idBinh, "canbo01", tempPatch...), registry.Rejected, ReasonNotAvailable},
		{"identification of another commune's citizen", nil, change(1, registry.OpIdentify, idBinh, "canbo01"), registry.Rejected, ReasonNotAvailable},
		{"procedure of another commune's citizen", nil, change(1, registry.OpProcedure, idBinh, "canbo01"), registry.Rejected, ReasonNotAvailable},
		{"moving in without proof", nil, change(1, registry.OpRegisterPermanent, idBinh, "canbo01", movePatch...), registry.Rejected, ReasonNotAvailable},
		{"absence of another commune's citizen, even with proof", func(l *log) { grant(t, l, idBinh, true) },
			change(1, registry.OpDeclareAbsence, idBinh, "canbo01", registry.FieldValue{Field: registry.FieldAbsence, Value: "Hà Nội"}), registry.Rejected, ReasonNotAvailable},
		{"visitor's temporary residence with the chip's signature", func(l *log) { grant(t, l, idBinh, true) },
			change(1, registry.OpRegisterTemporary, idBinh, "canbo01", tempPatch...), registry.Applied, ""},
		{"visitor's temporary residence without active authentication", func(l *log) { grant(t, l, idBinh, false) },
			change(1, registry.OpRegisterTemporary, idBinh, "canbo01", tempPatch...), registry.NeedsReview, "without active authentication"},
		{"moving in with the chip's signature", func(l *log) { grant(t, l, idBinh, true) },
			change(1, registry.OpRegisterPermanent, idBinh, "canbo01", movePatch...), registry.Applied, ""},
		{"moving elsewhere with proof", func(l *log) { grant(t, l, idBinh, true) },
			change(1, registry.OpRegisterPermanent, idBinh, "canbo01", registry.FieldValue{Field: registry.FieldPermanentAddress, Value: "x"},
				registry.FieldValue{Field: registry.FieldCommune, Value: "31199"}), registry.Rejected, ReasonNotAvailable},
		{"identification of a visitor with proof", func(l *log) { grant(t, l, idBinh, false) },
			change(1, registry.OpIdentify, idBinh, "canbo01"), registry.Applied, ""},
		{"birth in another commune", nil, func() *registry.Change {
			c := change(1, registry.OpRegisterBirth, registry.ProvisionalID("edge-1", 1), "canbo01",
				registry.FieldValue{Field: registry.FieldFullName, Value: "Trần Minh Khang"}, registry.FieldValue{Field: registry.FieldBirthDate, Value: "2026-11-20"},
				registry.FieldValue{Field: registry.FieldSex, Value: "M"}, registry.FieldValue{Field: registry.FieldCommune, Value: other})
			c.Base = 0
			return c
		}(), registry.Rejected, "own commune"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := seeded(t)
			if tt.setup != nil {
				tt.setup(l)
			}
			o := l.changes(t, t0, tt.change)[0]
			if o.Result != tt.want || !strings.Contains(o.Reason, tt.reason) {
				t.Fatalf("got %s (%s), want %s (%s)", o.Result, o.Reason, tt.want, tt.reason)
			}
		})
	}
}

// grant records a challenge and a verified proof of presence of citizen
// at edge-1's desk.
func grant(t *testing.T, l *log, citizen string, aa bool) {
	t.Helper()
	op := &PresenceOp{Node: "edge-1", Citizen: citizen, VerifiedBy: "city-1",
		Chip: &ChipSummary{Document: citizen[3:], FullName: "Trần Thị Bình"}}
	if aa {
		op.Challenge, op.AA = "0102030405060708", true
		if res := l.apply(t, &Command{Kind: KindChallenge, Received: t0, Presence: &PresenceOp{Node: "edge-1", Challenge: op.Challenge}}); res != nil {
			t.Fatalf("challenge: %v", res)
		}
	}
	if g, ok := l.apply(t, &Command{Kind: KindPresence, Received: t0.Add(time.Minute), Presence: op}).(*Presence); !ok || g.AA != aa {
		t.Fatalf("presence: %v", g)
	}
}

// TestPresenceChallenges: a proof answers a challenge issued to the same
// node, in time, once.
func TestPresenceChallenges(t *testing.T) {
	l := seeded(t)
	challenge := func(at time.Time, node, ch string) any {
		return l.apply(t, &Command{Kind: KindChallenge, Received: at, Presence: &PresenceOp{Node: node, Challenge: ch}})
	}
	prove := func(at time.Time, node, ch, citizen string) any {
		return l.apply(t, &Command{Kind: KindPresence, Received: at, Presence: &PresenceOp{Node: node, Challenge: ch, AA: true,
			Citizen: citizen, VerifiedBy: "city-1", Chip: &ChipSummary{Document: citizen[3:]}}})
	}
	if res := challenge(t0, "edge-1", "00000000000000aa"); res != nil {
		t.Fatal(res)
	}
	if res := challenge(t0, "edge-2", "00000000000000bb"); res != nil {
		t.Fatal(res)
	}
	if res := challenge(t0, "edge-1", "00000000000000cc"); res != nil {
		t.Fatal(res)
	}
	steps := []struct {
		name string
		res  any
		want error
	}{
		{"never issued", prove(t0.Add(time.Second), "edge-1", "00000000000000dd", idBinh), ErrChallengeUnknown},
		{"issued to another node", prove(t0.Add(time.Second), "edge-1", "00000000000000bb", idBinh), ErrChallengeUnknown},
		{"unknown citizen", prove(t0.Add(time.Second), "edge-1", "00000000000000aa", "092090009999"), ErrPresenceCitizen},
		{"answered", prove(t0.Add(time.Second), "edge-1", "00000000000000aa", idBinh), nil},
		{"replayed", prove(t0.Add(2*time.Second), "edge-1", "00000000000000aa", idBinh), ErrChallengeUsed},
		{"too late", prove(t0.Add(ChallengeTTL), "edge-1", "00000000000000cc", idBinh), ErrChallengeUnknown},
	}
	for _, s := range steps {
		err, _ := s.res.(error)
		if !errors.Is(err, s.want) {
			t.Errorf("%s: %v, want %v", s.name, s.res, s.want)
		}
	}
	// A later challenge sweeps the expired ones away.
	if res := challenge(t0.Add(time.Hour), "edge-1", "00000000000000ee"); res != nil {
		t.Fatal(res)
	}
	if res := prove(t0.Add(time.Hour), "edge-2", "00000000000000bb", idBinh); !errors.Is(res.(error), ErrChallengeUnknown) {
		t.Fatalf("expired challenge: %v", res)
	}
}

// TestLegacyEntriesDecideAsBefore: an entry of log format 1 (no sender) is
// decided by the rules of its time, so a replica replaying an old log
// reaches the state the others hold — even where today's rules differ.
func TestLegacyEntriesDecideAsBefore(t *testing.T) {
	l := seeded(t)
	imp := &registry.Change{Node: "edge-1", Seq: 1, Op: registry.OpImport, Citizen: idAn, Commune: commune, Base: 1,
		Time: registry.HLCFromTime(t0), Patch: registry.Patch{{Field: registry.FieldCardNumber, Value: "001"}}}
	other := &registry.Change{Node: "edge-1", Seq: 2, Op: registry.OpIdentify, Citizen: idBinh, Commune: commune, Base: 1, Time: registry.HLCFromTime(t0)}
	res := l.applyLegacy(t, &Command{Kind: KindChanges, Received: t0, Changes: []*registry.Change{imp, other}})
	outs := res.([]*registry.Outcome)
	if outs[0].Result != registry.Applied || outs[1].Result != registry.Applied {
		t.Fatalf("format-1 outcomes %+v %+v", outs[0], outs[1])
	}
}
