package cityapi

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/xanode/xanode/node/registry"
	"github.com/xanode/xanode/sync/api"
	"github.com/xanode/xanode/sync/wire"
)

// TestDecisionsEndpoint: an edge asks for the decisions on its changes;
// after city IT resolves one that was under review, the answer carries
// the decision. Another edge's changes are refused.
func TestDecisionsEndpoint(t *testing.T) {
	k := newKit(t)
	admin := k.client(t, k.pki.Admin())
	edge1, edge2 := k.edge(t, "edge-1"), k.edge(t, "edge-2")
	k.populate(t, admin)
	// A break-glass account the city does not know: the change waits for review.
	change := &registry.Change{Node: "edge-1", Seq: 1, Officer: "khancap", Op: registry.OpIdentify, Citizen: "092090001234", Commune: "92101", Base: 1}
	if code, b := do(t, edge1, "POST", k.srv.URL+"/v1/push", wire.ContentChanges, wire.EncodeChanges([]*registry.Change{change})); code != 200 {
		t.Fatalf("push: %d %s", code, b)
	}
	ask := func(c *http.Client, ids ...string) (int, []*registry.Outcome) {
		t.Helper()
		body, _ := json.Marshal(api.DecisionsRequest{Changes: ids})
		code, b := do(t, c, "POST", k.srv.URL+"/v1/decisions", "application/json", body)
		if code != http.StatusOK {
			return code, nil
		}
		outs, err := wire.DecodeOutcomes(b)
		if err != nil {
			t.Fatal(err)
		}
		return code, outs
	}
	if _, outs := ask(edge1, "edge-1/1", "edge-1/2"); len(outs) != 1 || outs[0].Result != registry.NeedsReview {
		t.Fatalf("before review: %+v", outs)
	}
	code, b := do(t, admin, "GET", k.srv.URL+"/v1/admin/conflicts", "", nil)
	var queue []api.Conflict
	if err := json.Unmarshal(b, &queue); code != 200 || err != nil || len(queue) != 1 {
		t.Fatalf("conflicts: %d %s", code, b)
	}
	res, _ := json.Marshal(api.Resolution{Entry: queue[0].Entry, Accept: false, Reason: "không có tài khoản cán bộ này"})
	if code, b := do(t, admin, "POST", k.srv.URL+"/v1/admin/resolve", "application/json", res); code != 200 {
		t.Fatalf("resolve: %d %s", code, b)
	}
	if _, outs := ask(edge1, "edge-1/1"); len(outs) != 1 || outs[0].Result != registry.Rejected || !strings.Contains(outs[0].Reason, "không có tài khoản") {
		t.Fatalf("after review: %+v", outs)
	}
	if code, _ := ask(edge2, "edge-1/1"); code != http.StatusForbidden {
		t.Fatalf("another edge asking about edge-1's change: %d", code)
	}
	if code, _ := do(t, edge1, "POST", k.srv.URL+"/v1/decisions", "application/json", []byte("garbage")); code != http.StatusBadRequest {
		t.Fatalf("garbage: %d", code)
	}
	if code, _ := do(t, admin, "POST", k.srv.URL+"/v1/decisions", "application/json", []byte(`{"changes":[]}`)); code != http.StatusForbidden {
		t.Fatalf("city IT's certificate asking as an edge: %d", code)
	}
}
