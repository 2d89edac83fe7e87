package fsm

import (
	"testing"
	"time"

	"github.com/xanode/xanode/node/registry"
)

// TestReport: a month's figures of a commune from the city's state:
// residents by status, changes by outcome, identifications by assurance,
// and a move between two communes counted in both.
func TestReport(t *testing.T) {
	l := seeded(t)
	l.changes(t, t0, temp("edge-1", 1, 1, "5 Nguyễn Trãi", t0))
	l.changes(t, t0, &registry.Change{Node: "edge-1", Seq: 2, Officer: "canbo01", Op: registry.OpIdentify,
		Citizen: idAn, Commune: commune, Time: registry.HLCFromTime(t0), Note: "chip-verified; quê quán khác"})
	l.changes(t, t0, &registry.Change{Node: "edge-1", Seq: 3, Officer: "canbo01", Op: registry.OpDeclareAbsence,
		Citizen: "092090009999", Commune: commune, Time: registry.HLCFromTime(t0),
		Patch: registry.Patch{{Field: registry.FieldAbsence, Value: "Hà Nội"}}}) // unknown: rejected
	// Last month's change is not this month's.
	l.changes(t, t0, temp("edge-2", 1, 1, "7 Nguyễn Trãi", t0.AddDate(0, -1, 0)))
	res := l.apply(t, &Command{Kind: KindCorrect, Received: t0, Citizen: "092190004321", By: "admin", Reason: "chuyển về xã",
		Patch: registry.Patch{{Field: registry.FieldCommune, Value: commune}}})
	if o, ok := res.(*registry.Outcome); !ok || o.Result != registry.Applied {
		t.Fatalf("move: %v", res)
	}
	from := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	r, err := l.f.Report(commune, "2026-11", from, from.AddDate(0, 1, 0), registry.Date{Year: 2026, Month: 11, Day: 30}, t0)
	if err != nil {
		t.Fatal(err)
	}
	if r.Residents[0].N != 2 || r.Residents[1].N != 0 {
		t.Errorf("residents %+v", r.Residents)
	}
	ops := map[registry.Op]registry.OpCount{}
	for _, c := range r.Changes {
		ops[c.Op] = c
	}
	if c := ops[registry.OpRegisterTemporary]; c.Recorded != 1 || c.Applied != 1 {
		t.Errorf("temporary registrations %+v", c)
	}
	if c := ops[registry.OpDeclareAbsence]; c.Recorded != 1 || c.Refused != 1 {
		t.Errorf("absences %+v", c)
	}
	if r.Identifications[1].Key != "chip-verified" || r.Identifications[1].N != 1 {
		t.Errorf("identifications %+v", r.Identifications)
	}
	if r.MovesIn != 1 || r.MovesOut != 0 || r.Source != registry.ReportCity {
		t.Errorf("moves in %d out %d, source %s", r.MovesIn, r.MovesOut, r.Source)
	}
	o, err := l.f.Report(other, "2026-11", from, from.AddDate(0, 1, 0), registry.Date{Year: 2026, Month: 11, Day: 30}, t0)
	if err != nil || o.MovesOut != 1 || o.MovesIn != 0 || o.Residents[0].N != 0 {
		t.Errorf("the commune moved from: %+v %v", o, err)
	}
}
