package cityapi

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/xanode/xanode/certs"

	"github.com/xanode/xanode/sync/api"
	"github.com/xanode/xanode/sync/fsm"
)

// TestRaiseLevel: the leader raises the cluster's feature level to its
// release's when it is the only voter, once; the status says both levels;
// a city node answers which level its release implements.
func TestRaiseLevel(t *testing.T) {
	k := newKit(t)
	admin := k.client(t, k.pki.Admin())
	var st api.Status
	if code, b := do(t, admin, "GET", k.srv.URL+"/v1/status", "", nil); code != 200 || json.Unmarshal(b, &st) != nil || st.Level != 0 || st.ReleaseLevel != fsm.ReleaseLevel {
		t.Fatalf("status before: %d %s", code, b)
	}
	s := k.api
	if n, err := s.RaiseLevel(context.Background()); err != nil || n != fsm.ReleaseLevel {
		t.Fatalf("raise: %d, %v", n, err)
	}
	if n, err := s.RaiseLevel(context.Background()); err != nil || n != 0 {
		t.Fatalf("raise again: %d, %v", n, err)
	}
	if code, b := do(t, admin, "GET", k.srv.URL+"/v1/status", "", nil); code != 200 || json.Unmarshal(b, &st) != nil || st.Level != fsm.ReleaseLevel {
		t.Fatalf("status after: %d %s", code, b)
	}
	nodeCert, _ := k.pki.Node("city-1")
	var r api.Release
	if code, b := do(t, k.client(t, nodeCert), "GET", k.srv.URL+api.GetRelease.Path, "", nil); code != 200 || json.Unmarshal(b, &r) != nil || r.Level != fsm.ReleaseLevel {
		t.Fatalf("release: %d %s", code, b)
	}
	if code, _ := do(t, admin, "GET", k.srv.URL+api.GetRelease.Path, "", nil); code != http.StatusForbidden {
		t.Fatalf("release asked by city IT: %d", code)
	}
}

// TestJoinAsksTheRelease: the leader of a cluster at a feature level
// refuses a node whose release does not implement it, or cannot say (a
// release from before the levels answers 404), and adds no voter.
func TestJoinAsksTheRelease(t *testing.T) {
	k := newKit(t)
	nodeCert, _ := k.pki.Node("city-1")
	if _, err := k.api.RaiseLevel(context.Background()); err != nil {
		t.Fatal(err)
	}
	joiner, err := k.pki.IssueNodeKey("city-2", certs.RoleCity, nil, time.Hour, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	for name, answer := range map[string]http.HandlerFunc{
		"a release from before the levels": http.NotFound,
		"a release below the cluster's": func(w http.ResponseWriter, _ *http.Request) {
			json.NewEncoder(w).Encode(api.Release{Level: 0})
		},
	} {
		old := httptest.NewUnstartedServer(answer)
		old.TLS = certs.APIServerTLS(nodeCert, k.pki.NodePool(), nil)
		old.StartTLS()
		body, _ := json.Marshal(api.JoinRequest{ID: "city-2", RaftAddr: "127.0.0.1:1", APIURL: old.URL})
		code, b := do(t, k.client(t, joiner.TLS), "POST", k.srv.URL+api.PostJoin.Path, "application/json", body)
		old.Close()
		if code != http.StatusConflict || !strings.Contains(string(b), "feature level") {
			t.Errorf("%s: %d %s", name, code, b)
		}
		if servers, _ := k.node.Servers(); len(servers) != 1 {
			t.Fatalf("%s: a voter was added: %v", name, servers)
		}
	}
}

// TestLowestRelease: the level every voter implements; a voter that cannot
// answer (down, or a release from before the levels: 404) holds it at 0.
func TestLowestRelease(t *testing.T) {
	for name, tc := range map[string]struct {
		answers map[string]uint64
		want    uint64
	}{
		"alone":               {nil, 3},
		"all at least as new": {map[string]uint64{"city-2": 3, "city-3": 4}, 3},
		"one behind":          {map[string]uint64{"city-2": 2, "city-3": 3}, 2},
		"one cannot answer":   {map[string]uint64{"city-2": 3}, 0},
	} {
		voters := []string{}
		if tc.answers != nil {
			voters = []string{"city-2", "city-3"}
		}
		got := lowestRelease(3, voters, func(id string) (uint64, error) {
			n, ok := tc.answers[id]
			if !ok {
				return 0, errors.New("404 Not Found")
			}
			return n, nil
		})
		if got != tc.want {
			t.Errorf("%s: %d, want %d", name, got, tc.want)
		}
	}
}
