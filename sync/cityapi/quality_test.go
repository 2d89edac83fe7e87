package cityapi

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/xanode/xanode/node/registry"
	"github.com/xanode/xanode/sync/api"
	"github.com/xanode/xanode/sync/fsm"
	"github.com/xanode/xanode/sync/wire"
)

// TestQualityEndpoints: an office reads its residents' open findings and
// nobody else's; city IT reads figures, findings and a record with its
// findings, and decides on a finding through raft.
func TestQualityEndpoints(t *testing.T) {
	k := newKit(t)
	admin := k.client(t, k.pki.Admin())
	edge1, edge2 := k.edge(t, "edge-1"), k.edge(t, "edge-2")
	k.populate(t, admin)
	sweep := &fsm.Command{Kind: fsm.KindQualitySweep, From: fsm.Sender{Role: registry.RoleCity, ID: "city-1"}, Received: time.Now(),
		Sweep: &fsm.SweepOp{Limit: 100}}
	if _, err := k.node.Apply(context.Background(), sweep); err != nil {
		t.Fatal(err)
	}

	var mine []wire.Finding
	code, b := do(t, edge1, "GET", k.srv.URL+"/v1/findings", "", nil)
	if err := json.Unmarshal(b, &mine); code != 200 || err != nil || len(mine) == 0 {
		t.Fatalf("office findings: %d %s", code, b)
	}
	for _, f := range mine {
		if f.Citizen != "092090001234" || f.Commune != "92101" || f.State != fsm.FindingOpen ||
			len(f.Statements) == 0 || f.Evidence != f.Statements.English() {
			t.Errorf("edge-1 got %+v", f)
		}
	}
	if code, b := do(t, edge2, "GET", k.srv.URL+"/v1/findings", "", nil); code != 200 || strings.TrimSpace(string(b)) != "[]" {
		t.Fatalf("an unassigned office: %d %s", code, b)
	}
	if code, _ := do(t, edge1, "GET", k.srv.URL+"/v1/admin/findings", "", nil); code != http.StatusForbidden {
		t.Fatalf("an office reading city IT's list: %d", code)
	}

	var rep api.QualityReport
	code, b = do(t, admin, "GET", k.srv.URL+"/v1/admin/quality", "", nil)
	if err := json.Unmarshal(b, &rep); code != 200 || err != nil || !rep.On || len(rep.Now) != 2 || len(rep.Rules) < 17 {
		t.Fatalf("report: %d %s", code, b)
	}
	var theirs []fsm.Finding
	code, b = do(t, admin, "GET", k.srv.URL+"/v1/admin/findings?commune=92102&state=open", "", nil)
	if err := json.Unmarshal(b, &theirs); code != 200 || err != nil || len(theirs) == 0 || theirs[0].Citizen != "092190004321" {
		t.Fatalf("findings of 92102: %d %s", code, b)
	}

	review := func(c *http.Client, rv api.FindingReview) (int, []byte) {
		body, _ := json.Marshal(rv)
		return do(t, c, "POST", k.srv.URL+"/v1/admin/findings/review", "application/json", body)
	}
	if code, b := review(admin, api.FindingReview{ID: theirs[0].ID, Action: fsm.ReviewDismiss, Reason: "giấy tờ đúng"}); code != 200 {
		t.Fatalf("dismiss: %d %s", code, b)
	}
	for name, tc := range map[string]struct {
		c    *http.Client
		rv   api.FindingReview
		want int
	}{
		"no reason":       {admin, api.FindingReview{ID: theirs[0].ID, Action: fsm.ReviewReopen}, http.StatusBadRequest},
		"unknown finding": {admin, api.FindingReview{ID: 9999, Action: fsm.ReviewDismiss, Reason: "x"}, http.StatusConflict},
		"twice":           {admin, api.FindingReview{ID: theirs[0].ID, Action: fsm.ReviewDismiss, Reason: "x"}, http.StatusConflict},
		"an office":       {edge1, api.FindingReview{ID: mine[0].ID, Action: fsm.ReviewDismiss, Reason: "x"}, http.StatusForbidden},
		"merge no pair":   {admin, api.FindingReview{ID: mine[0].ID, Action: fsm.ReviewMerge, Keep: mine[0].Citizen, Reason: "x"}, http.StatusConflict},
		"an office merges": {edge1, api.FindingReview{ID: mine[0].ID, Action: fsm.ReviewMerge, Keep: mine[0].Citizen, Reason: "x"},
			http.StatusForbidden},
		"keep for a dismissal": {admin, api.FindingReview{ID: mine[0].ID, Action: fsm.ReviewDismiss, Keep: mine[0].Citizen, Reason: "x"},
			http.StatusConflict},
	} {
		if code, b := review(tc.c, tc.rv); code != tc.want {
			t.Errorf("%s: %d %s, want %d", name, code, b, tc.want)
		}
	}

	var view api.CitizenView
	code, b = do(t, admin, "GET", k.srv.URL+"/v1/admin/citizens/092190004321", "", nil)
	if err := json.Unmarshal(b, &view); code != 200 || err != nil || view.Fields["full_name"] != "Trần Thị Bình" || len(view.Findings) == 0 {
		t.Fatalf("citizen: %d %s", code, b)
	}
	if code, _ := do(t, admin, "GET", k.srv.URL+"/v1/admin/citizens/092190009999", "", nil); code != http.StatusNotFound {
		t.Fatalf("unknown citizen: %d", code)
	}

	// A second registration of Trần Thị Bình, whose daughter names it as
	// her mother: city IT merges the pair, the daughter's record then
	// names the record kept, and the city names the record kept when
	// asked for the other.
	twin := `{"id":"092190004322","fields":{"full_name":"Trần Thị Bình","birth_date":"1990-07-02","sex":"F","commune":"92102"}}` + "\n" +
		`{"id":"092310004323","fields":{"full_name":"Lê Thị Mai","birth_date":"2010-01-02","sex":"F","commune":"92102","mother_id":"092190004322"}}` + "\n"
	if code, b := do(t, admin, "POST", k.srv.URL+"/v1/admin/import", "application/x-ndjson", []byte(twin)); code != 200 {
		t.Fatalf("import: %d %s", code, b)
	}
	var pairs []fsm.Finding
	code, b = do(t, admin, "GET", k.srv.URL+"/v1/admin/findings?rule=duplicate&state=open", "", nil)
	if err := json.Unmarshal(b, &pairs); code != 200 || err != nil || len(pairs) != 1 {
		t.Fatalf("duplicate findings: %d %s", code, b)
	}
	code, b = review(admin, api.FindingReview{ID: pairs[0].ID, Action: fsm.ReviewMerge, Keep: "092190004321", Reason: "cùng một người"})
	var merged fsm.Finding
	if err := json.Unmarshal(b, &merged); code != 200 || err != nil ||
		!slices.Equal(merged.Referrers, []fsm.Reference{{Citizen: "092310004323", Field: "mother_id"}}) {
		t.Fatalf("merge: %d %s", code, b)
	}
	var daughter api.CitizenView
	code, b = do(t, admin, "GET", k.srv.URL+"/v1/admin/citizens/092310004323", "", nil)
	if err := json.Unmarshal(b, &daughter); code != 200 || err != nil || daughter.Fields["mother_id"] != "092190004321" {
		t.Fatalf("the daughter of the retired record: %d %s", code, b)
	}
	// Nguyễn Văn An registered again in 92102: edge-1 (92101 only) learns
	// that a likely duplicate exists elsewhere, never the other record's ID,
	// commune, name or birth date; city IT sees the pair whole.
	elsewhere := `{"id":"092090001299","fields":{"full_name":"Nguyễn Văn An","birth_date":"1990-05-01","sex":"M","commune":"92102","birth_place":"Xã Bí Mật"}}` + "\n"
	if code, b := do(t, admin, "POST", k.srv.URL+"/v1/admin/import", "application/x-ndjson", []byte(elsewhere)); code != 200 {
		t.Fatalf("import: %d %s", code, b)
	}
	code, b = do(t, edge1, "GET", k.srv.URL+"/v1/findings", "", nil)
	if code != 200 || strings.Contains(string(b), "092090001299") || strings.Contains(string(b), "92102") {
		t.Fatalf("edge-1 sees the other commune's record: %d %s", code, b)
	}
	mine = nil
	if err := json.Unmarshal(b, &mine); err != nil {
		t.Fatal(err)
	}
	var told bool
	for _, f := range mine {
		if f.Rule == "duplicate" {
			told = f.Citizen == "092090001234" && f.Other == "" && f.Commune == "92101" && len(f.Statements) == 1 &&
				f.Statements[0].Key == "duplicate_elsewhere" && f.Statements[0].Args["name"] == "Nguyễn Văn An" && f.Evidence == f.Statements.English()
		}
	}
	if !told {
		t.Fatalf("edge-1 is not told of the duplicate elsewhere: %s", b)
	}
	code, b = do(t, admin, "GET", k.srv.URL+"/v1/admin/findings?rule=duplicate&state=open&commune=92102", "", nil)
	if code != 200 || !strings.Contains(string(b), "092090001299") || !strings.Contains(string(b), "092090001234") {
		t.Fatalf("city IT's view of the pair: %d %s", code, b)
	}

	var gone api.CitizenView
	code, b = do(t, admin, "GET", k.srv.URL+"/v1/admin/citizens/092190004322", "", nil)
	if err := json.Unmarshal(b, &gone); code != 200 || err != nil || gone.MergedInto != "092190004321" || gone.Fields["status"] != registry.StatusMerged {
		t.Fatalf("the retired record: %d %s", code, b)
	}
}
