package cityapi

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/xanode/xanode/node/registry"
	"github.com/xanode/xanode/sync/api"
	"github.com/xanode/xanode/sync/fsm"
	"github.com/xanode/xanode/sync/wire"
)

// TestEdgeLimit: an edge sends at most its hourly limit of changes and of
// audit entries (twice that at once); beyond it the city answers 429 with
// Retry-After and decides nothing, so the edge sends the same again later
// and nothing is lost. Other edges, and the other kind of send, are not
// held back. Bundle requests have a limit of their own.
func TestEdgeLimit(t *testing.T) {
	var mu sync.Mutex
	now := time.Now()
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	k := newKit(t, func(c *Config) { c.EdgeLimit = 3; c.Now = clock }) // 6 at once, then one every 20 minutes
	admin := k.client(t, k.pki.Admin())
	edge1, edge2 := k.edge(t, "edge-1"), k.edge(t, "edge-2")
	k.populate(t, admin)
	k.officer(t, "92101", "canbo01", registry.OfficerRole)
	changes := func(node string, from, n uint64) []byte {
		var cs []*registry.Change
		for s := from; s < from+n; s++ {
			cs = append(cs, &registry.Change{Node: node, Seq: s, Officer: "canbo01", Op: registry.OpIdentify, Citizen: "092090001234", Commune: "92101", Base: 1})
		}
		return wire.EncodeChanges(cs)
	}
	push := func(c *http.Client, body []byte) (int, []*registry.Outcome, http.Header) {
		t.Helper()
		req, _ := http.NewRequest("POST", k.srv.URL+"/v1/push", bytes.NewReader(body))
		req.Header.Set("Content-Type", wire.ContentChanges)
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var outs []*registry.Outcome
		if resp.StatusCode == 200 {
			b, err := io.ReadAll(resp.Body)
			if err != nil {
				t.Fatal(err)
			}
			if outs, err = wire.DecodeOutcomes(b); err != nil {
				t.Fatal(err)
			}
		}
		return resp.StatusCode, outs, resp.Header
	}

	if code, outs, _ := push(edge1, changes("edge-1", 1, 4)); code != 200 || len(outs) != 4 {
		t.Fatalf("4 of 6 at once: %d", code)
	}
	code, _, h := push(edge1, changes("edge-1", 5, 3))
	if code != http.StatusTooManyRequests || h.Get("Retry-After") != "1201" {
		t.Fatalf("3 more with 2 left: %d, Retry-After %q", code, h.Get("Retry-After"))
	}
	if code, _, _ := push(edge2, changes("edge-2", 1, 1)); code != 200 {
		t.Fatalf("another edge is held back: %d", code)
	}
	mu.Lock()
	now = now.Add(20 * time.Minute)
	mu.Unlock()
	code, outs, _ := push(edge1, changes("edge-1", 5, 3))
	if code != 200 || len(outs) != 3 {
		t.Fatalf("the same push 20 minutes later: %d", code)
	}
	for _, o := range outs {
		if o.Result != registry.Applied {
			t.Errorf("change %s: %s — the refused push decided something", o.Change, o.Result)
		}
	}
	// Spent: the next push is refused before its body is read, so even
	// one that would not decode is answered 429, not 400.
	if code, _, h := push(edge1, []byte("not a push")); code != http.StatusTooManyRequests || h.Get("Retry-After") == "" {
		t.Fatalf("a push with nothing left: %d, Retry-After %q", code, h.Get("Retry-After"))
	}
	// What a follower forwards is charged here too, at the leader, where
	// every change is decided: edge-1's spent allowance holds also for its
	// pushes through another city node; edge-2's is not touched by it.
	nodeCert, _ := k.pki.Node("city-1")
	city := k.client(t, nodeCert)
	forward := func(cmd *fsm.Command) (int, []byte, string) {
		t.Helper()
		req, _ := http.NewRequest("POST", k.srv.URL+api.PostApply.Path, bytes.NewReader(cmd.Encode()))
		resp, err := city.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, b, resp.Header.Get("Retry-After")
	}
	forwarded := func(node string, seq uint64) (int, []byte, string) {
		t.Helper()
		cs, err := wire.DecodeChanges(changes(node, seq, 1))
		if err != nil {
			t.Fatal(err)
		}
		return forward(&fsm.Command{Kind: fsm.KindChanges, From: fsm.Sender{Role: registry.RoleEdge, ID: node}, Changes: cs})
	}
	if code, b, after := forwarded("edge-1", 8); code != http.StatusTooManyRequests || after == "" || !bytes.Contains(b, []byte("limit")) {
		t.Fatalf("edge-1's push forwarded by a follower with its allowance spent: %d %s, Retry-After %q", code, b, after)
	}
	if code, b, _ := forwarded("edge-2", 2); code != 200 {
		t.Fatalf("edge-2's push forwarded by a follower: %d %s", code, b)
	}
	// Presence challenges (30 a minute) likewise: what followers forward
	// and what the leader is asked itself share one count.
	for i := range challengeLimit {
		cmd := &fsm.Command{Kind: fsm.KindChallenge, From: fsm.Sender{Role: registry.RoleEdge, ID: "edge-2"},
			Presence: &fsm.PresenceOp{Node: "edge-2", Challenge: fmt.Sprintf("%016x", i)}}
		if i%2 == 0 {
			if code, b, _ := forward(cmd); code != 200 {
				t.Fatalf("forwarded challenge %d: %d %s", i+1, code, b)
			}
		} else if code, b := do(t, edge2, "POST", k.srv.URL+"/v1/presence/challenge", "", nil); code != 200 {
			t.Fatalf("challenge %d: %d %s", i+1, code, b)
		}
	}
	over := &fsm.Command{Kind: fsm.KindChallenge, From: fsm.Sender{Role: registry.RoleEdge, ID: "edge-2"},
		Presence: &fsm.PresenceOp{Node: "edge-2", Challenge: "00000000000000ff"}}
	if code, b, after := forward(over); code != http.StatusTooManyRequests || after == "" {
		t.Fatalf("challenge %d, forwarded: %d %s, Retry-After %q", challengeLimit+1, code, b, after)
	}

	var es []wire.AuditEntry
	prev := ""
	for i := 1; i <= 7; i++ {
		e := wire.AuditEntry{Seq: uint64(i), Time: now.UTC(), Officer: "canbo01", Action: "lookup", Citizen: "092090001234", Prev: prev}
		e.Hash = e.ComputeHash()
		prev = e.Hash
		es = append(es, e)
	}
	audit := func(batch []wire.AuditEntry) int {
		b, _ := json.Marshal(batch)
		code, _ := do(t, edge1, "POST", k.srv.URL+"/v1/audit", wire.ContentAudit, b)
		return code
	}
	if code := audit(es[:6]); code != 200 {
		t.Fatalf("6 audit entries, pushes spent: %d", code)
	}
	if code := audit(es[6:]); code != http.StatusTooManyRequests {
		t.Fatalf("a 7th audit entry at once: %d", code)
	}

	// Bundle requests: at least 60 an hour, 120 at once; city IT's are
	// not counted.
	for i := range 120 {
		if code, b := do(t, edge1, "GET", k.srv.URL+"/v1/subsets/92101/bundle", "", nil); code != 200 {
			t.Fatalf("bundle request %d: %d %s", i+1, code, b)
		}
	}
	if code, _ := do(t, edge1, "GET", k.srv.URL+"/v1/subsets/92101/bundle", "", nil); code != http.StatusTooManyRequests {
		t.Fatalf("a 121st bundle request at once: %d", code)
	}
	if code, _ := do(t, admin, "GET", k.srv.URL+"/v1/subsets/92101/bundle", "", nil); code != 200 {
		t.Fatalf("city IT's bundle request: %d", code)
	}
}
