package cityapi

import (
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/xanode/xanode/node/registry"
	"github.com/xanode/xanode/sync/wire"
)

// TestReportEndpoints: city IT gets any commune's report, an edge only a
// commune it is assigned; a bad month or commune is refused; a document
// code the city holds no proof for is 404, a malformed one 400.
func TestReportEndpoints(t *testing.T) {
	k := newKit(t)
	admin := k.client(t, k.pki.Admin())
	edge1 := k.edge(t, "edge-1")
	k.populate(t, admin)
	k.officer(t, "92101", "canbo01", registry.OfficerRole)
	now := time.Now()
	change := &registry.Change{Node: "edge-1", Seq: 1, Officer: "canbo01", Op: registry.OpIdentify, Citizen: "092090001234",
		Commune: "92101", Base: 1, Time: registry.HLCFromTime(now), Note: "qr"}
	if code, b := do(t, edge1, "POST", k.srv.URL+"/v1/push", wire.ContentChanges, wire.EncodeChanges([]*registry.Change{change})); code != 200 {
		t.Fatalf("push: %d %s", code, b)
	}
	month := now.In(vietnam).Format("2006-01")
	code, b := do(t, admin, "GET", k.srv.URL+"/v1/admin/report?commune=92101&month="+month, "", nil)
	var r registry.Report
	if code != 200 || json.Unmarshal(b, &r) != nil || r.Source != registry.ReportCity || r.Residents[0].N != 1 || r.Identifications[3].N != 1 {
		t.Fatalf("admin report: %d %s", code, b)
	}
	if code, b := do(t, edge1, "GET", k.srv.URL+"/v1/report?commune=92101&month="+month, "", nil); code != 200 {
		t.Errorf("the edge's own commune: %d %s", code, b)
	}
	for _, tt := range []struct {
		c    *http.Client
		path string
		want int
	}{
		{edge1, "/v1/report?commune=92102&month=" + month, http.StatusForbidden},
		{edge1, "/v1/admin/report?commune=92101&month=" + month, http.StatusForbidden},
		{admin, "/v1/admin/report?commune=92101&month=2026-13", http.StatusBadRequest},
		{admin, "/v1/admin/report?commune=9210&month=" + month, http.StatusBadRequest},
		{admin, "/v1/admin/document?code=XN1-edge-1-1-ABCDEFGHIJ", http.StatusNotFound},
		{admin, "/v1/admin/document?code=nonsense", http.StatusBadRequest},
		{edge1, "/v1/admin/document?code=XN1-edge-1-1-ABCDEFGHIJ", http.StatusForbidden},
	} {
		if code, b := do(t, tt.c, "GET", k.srv.URL+tt.path, "", nil); code != tt.want {
			t.Errorf("GET %s: %d %s, want %d", tt.path, code, b, tt.want)
		}
	}
}
