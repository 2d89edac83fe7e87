package cityapi

import (
	"bytes"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/xanode/xanode/node/registry"
	"github.com/xanode/xanode/sync/api"
	"github.com/xanode/xanode/sync/bundle"
)

func officerBody(t *testing.T, r api.OfficerRequest) []byte {
	t.Helper()
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func lan(seed byte) api.OfficerRequest {
	return api.OfficerRequest{Commune: "92101", User: "lan", Name: "Trần Thị Lan", Role: "officer",
		Salt: bytes.Repeat([]byte{seed}, 16), Hash: bytes.Repeat([]byte{seed + 1}, 32), Time: 3, Memory: 64 << 10, Threads: 2}
}

// TestOfficersAPI: city IT adds, lists and disables accounts; the hash is
// never answered; every change reaches the commune's bundles, full and
// delta, as the whole list.
func TestOfficersAPI(t *testing.T) {
	bk := newBundleKit(t, t.TempDir())
	bk.load(t, residents(10)...)
	url := bk.srv.URL + "/v1/admin/officers"
	first := bk.open(t, bk.get(t, "?since=0"))
	if first.Officers == nil || len(first.Officers) != 0 {
		t.Fatalf("a commune without accounts: officers %v, want an empty list", first.Officers)
	}

	code, body := do(t, bk.admin, "POST", url, "application/json", officerBody(t, lan(1)))
	if code != http.StatusOK {
		t.Fatalf("add: %d %s", code, body)
	}
	var list api.OfficerList
	if err := json.Unmarshal(body, &list); err != nil {
		t.Fatal(err)
	}
	if len(list.Officers) != 1 || list.Officers[0].User != "lan" || list.Officers[0].Disabled || list.Officers[0].By == "" || list.SubsetVersion <= first.To {
		t.Fatalf("after add: %s", body)
	}
	if bytes.Contains(body, []byte("salt")) || bytes.Contains(body, []byte("hash")) {
		t.Fatalf("the answer holds the password hash: %s", body)
	}

	// The edge at the old version gets an empty delta that carries the
	// account; a new edge gets it in the full bundle.
	d := bk.open(t, bk.get(t, "?since="+strconv.FormatUint(first.To, 10)))
	if d.Kind != bundle.KindDelta || d.Count != 0 || d.To != list.SubsetVersion || d.Digest != first.Digest {
		t.Fatalf("delta over an account change: %+v", d.Header)
	}
	want := bundle.Officer{User: "lan", Name: "Trần Thị Lan", Role: "officer", Salt: lan(1).Salt, Hash: lan(1).Hash, Time: 3, Memory: 64 << 10, Threads: 2}
	for _, b := range []*bundle.Bundle{d, bk.open(t, bk.get(t, "?since=0"))} {
		if len(b.Officers) != 1 || b.Officers[0].User != want.User || !bytes.Equal(b.Officers[0].Hash, want.Hash) || b.Officers[0].Memory != want.Memory {
			t.Fatalf("%v bundle officers %+v", b.Kind, b.Officers)
		}
	}

	// Refused before raft, naming what is wrong.
	for name, c := range map[string]struct {
		body []byte
		want string
	}{
		"bad user":      {officerBody(t, func() api.OfficerRequest { r := lan(1); r.User = "Trần Lan"; return r }()), "user name"},
		"cheap hash":    {officerBody(t, func() api.OfficerRequest { r := lan(1); r.Memory = 1024; return r }()), "memory"},
		"unknown field": {[]byte(`{"commune":"92101","user":"lan","password":"x"}`), "unknown field"},
		"bad commune":   {officerBody(t, func() api.OfficerRequest { r := lan(1); r.Commune = "9210"; return r }()), "commune"},
	} {
		if code, b := do(t, bk.admin, "POST", url, "application/json", c.body); code != http.StatusBadRequest || !strings.Contains(string(b), c.want) {
			t.Errorf("%s: %d %s, want 400 naming %q", name, code, b, c.want)
		}
	}
	if code, _ := do(t, bk.edge(t, "edge-1"), "POST", url, "application/json", officerBody(t, lan(2))); code != http.StatusForbidden {
		t.Fatalf("an edge set an account: %d", code)
	}
	if code, _ := do(t, bk.admin, "GET", url, "", nil); code != http.StatusBadRequest {
		t.Fatalf("list without a commune: %d", code)
	}

	code, body = do(t, bk.admin, "POST", url, "application/json", officerBody(t, api.OfficerRequest{Commune: "92101", User: "lan", Disabled: true}))
	if code != http.StatusOK {
		t.Fatalf("disable: %d %s", code, body)
	}
	v3 := bk.open(t, bk.get(t, "?since="+strconv.FormatUint(list.SubsetVersion, 10)))
	if len(v3.Officers) != 1 || !v3.Officers[0].Disabled || v3.Officers[0].Hash != nil || v3.Officers[0].Name != "Trần Thị Lan" {
		t.Fatalf("after disable: %+v", v3.Officers)
	}
	if code, b := do(t, bk.admin, "POST", url, "application/json", officerBody(t, api.OfficerRequest{Commune: "92101", User: "ai-do", Disabled: true})); code != http.StatusConflict || !strings.Contains(string(b), "no such officer") {
		t.Fatalf("disable unknown: %d %s", code, b)
	}
	code, body = do(t, bk.admin, "GET", url+"?commune=92101", "", nil)
	if err := json.Unmarshal(body, &list); code != http.StatusOK || err != nil || len(list.Officers) != 1 || !list.Officers[0].Disabled || list.SubsetVersion != v3.To {
		t.Fatalf("list: %d %s", code, body)
	}
}

// TestKeptBundleWithoutOfficers: a full bundle an older city kept, in
// format 1, is built again rather than served: it would leave the edges'
// accounts as they are.
func TestKeptBundleWithoutOfficers(t *testing.T) {
	bk := newBundleKit(t, t.TempDir())
	bk.load(t, residents(5)...)
	v, _ := bk.node.FSM().SubsetVersion("92101")
	key, cert := bk.pki.DataSigner()
	var buf bytes.Buffer
	h := bundle.Header{Kind: bundle.KindFull, Commune: "92101", To: v, Created: bk.clock()}
	var recs []*registry.Citizen
	bk.node.FSM().Subset("92101", func(c *registry.Citizen) error { recs = append(recs, c); return nil })
	if _, err := bundle.Build(&buf, h, slices.Values(recs), key, cert); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(bk.dir, bundleName("92101", 0, v, bundle.FormatColumns)), buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	bk.advance(time.Second)
	a := bk.get(t, "?since=0")
	b := bk.open(t, a)
	if bytes.Equal(a.body, buf.Bytes()) || b.Officers == nil || b.To != v || b.Count != 5 {
		t.Fatalf("served %+v", b.Header)
	}
}
