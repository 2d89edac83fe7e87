package edge

import (
	"testing"
	"time"

	"github.com/xanode/xanode/node/registry"
)

// TestReportOnTheBox: residents from the subset, the month's changes
// recorded here by outcome, a move in, and moves out unknown.
func TestReportOnTheBox(t *testing.T) {
	s, _, _ := mustVillage(t)
	at := registry.HLCFromTime(time.Date(2026, 11, 10, 3, 0, 0, 0, time.UTC))
	add := func(c *registry.Change) {
		t.Helper()
		c.Node, c.Officer, c.Commune, c.Time = "edge-1", "canbo01", commune, at
		if err := s.Append(c); err != nil {
			t.Fatal(err)
		}
	}
	add(&registry.Change{Op: registry.OpIdentify, Citizen: "092090001234", Note: "qr; họ tên khác"})
	add(&registry.Change{Op: registry.OpRegisterPermanent, Citizen: "092190009999", Patch: registry.Patch{
		{Field: registry.FieldPermanentAddress, Value: "1 Mậu Thân"}, {Field: registry.FieldCommune, Value: commune}}})
	add(&registry.Change{Op: registry.OpDeclareAbsence, Citizen: "092090001234", Base: 1,
		Patch: registry.Patch{{Field: registry.FieldAbsence, Value: "Hà Nội"}}})
	if err := s.Settle("edge-1", []*registry.Outcome{{Change: "edge-1/2", Result: registry.Applied, Citizen: "092190009999"}}, now); err != nil {
		t.Fatal(err)
	}
	from := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	r, err := s.Report(commune, "2026-11", from, from.AddDate(0, 1, 0), registry.Date{Year: 2026, Month: 11, Day: 30}, now)
	if err != nil {
		t.Fatal(err)
	}
	if r.Residents[0].N != len(village()) || r.Source != registry.ReportEdge || r.MovesIn != 1 || r.MovesOut != -1 {
		t.Errorf("report %+v", r)
	}
	for _, c := range r.Changes {
		if c.Op == registry.OpDeclareAbsence && (c.Recorded != 1 || c.Waiting != 1) {
			t.Errorf("absences %+v", c)
		}
	}
	if r.Identifications[3].Key != "qr" || r.Identifications[3].N != 1 {
		t.Errorf("identifications %+v", r.Identifications)
	}
	// Another month counts no change.
	r, _ = s.Report(commune, "2026-10", from.AddDate(0, -1, 0), from, registry.Date{Year: 2026, Month: 11, Day: 30}, now)
	if r.MovesIn != 0 || r.Identifications[3].N != 0 {
		t.Errorf("October: %+v", r)
	}
}
