package cityapi

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/xanode/xanode/sync/api"
	"github.com/xanode/xanode/sync/fsm"
	"github.com/xanode/xanode/sync/trustlist"
)

// fakeTrust reads uploads as JSON: a master list names its CSCAs and
// whether its signer is configured, a CRL its issuer, day and signer.
type fakeTrust struct{ noSigner bool }

type fakeUpload struct {
	CSCAs   []string `json:"cscas,omitempty"`
	Issuer  string   `json:"issuer,omitempty"`
	Day     int      `json:"day,omitempty"`
	Foreign bool     `json:"foreign,omitempty"` // signed by someone not trusted
}

var trustT0 = time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)

func (f fakeTrust) MasterList(der []byte, _ time.Time) (*TrustItems, error) {
	if f.noSigner {
		return nil, ErrNoMasterListSigner
	}
	var u fakeUpload
	if err := json.Unmarshal(der, &u); err != nil {
		return nil, err
	}
	if u.Foreign {
		return nil, fmt.Errorf("%w: master list signer \"CN=Someone\" is not configured", ErrNotTrusted)
	}
	out := &TrustItems{Signer: "CN=Master List Signer,C=VN"}
	for _, c := range u.CSCAs {
		d := []byte("certificate " + c)
		out.Items = append(out.Items, fsm.TrustItem{Kind: fsm.TrustCSCA, DER: d, Fingerprint: fsm.Fingerprint(d),
			Subject: "CN=" + c, Issuer: "CN=" + c, NotAfter: trustT0.AddDate(10, 0, 0)})
	}
	return out, nil
}

func (fakeTrust) CRL(der []byte) (*fsm.TrustItem, error) {
	var u fakeUpload
	if err := json.Unmarshal(der, &u); err != nil {
		return nil, err
	}
	if u.Foreign {
		return nil, fmt.Errorf("%w: no trusted CSCA signed the CRL", ErrNotTrusted)
	}
	this := trustT0.AddDate(0, 0, u.Day)
	return &fsm.TrustItem{Kind: fsm.TrustCRL, DER: der, Fingerprint: fsm.Fingerprint(der), Issuer: "CN=" + u.Issuer,
		ThisUpdate: this, NextUpdate: this.AddDate(0, 0, 30)}, nil
}

func upload(kind string, u fakeUpload) []byte {
	data, _ := json.Marshal(u)
	b, _ := json.Marshal(api.TrustUpload{Kind: kind, Data: data, Source: "test"})
	return b
}

// TestTrustEndpoints: city IT loads and removes CSCAs and CRLs; what the
// verifier refuses, an older CRL and an unknown removal write nothing; an
// edge may fetch the signed list but not change the set.
func TestTrustEndpoints(t *testing.T) {
	now := trustT0.AddDate(0, 0, 40) // the first CRL is past its next update
	k := newKit(t, func(c *Config) { c.Trust = fakeTrust{}; c.Now = func() time.Time { return now } })
	admin := k.client(t, k.pki.Admin())
	edge := k.edge(t, "edge-1")
	url := k.srv.URL + "/v1/admin/trust"

	code, b := do(t, admin, "POST", url, "application/json", upload(api.UploadMasterList, fakeUpload{CSCAs: []string{"VN", "DE"}}))
	var ans api.TrustAnswer
	if code != http.StatusOK || json.Unmarshal(b, &ans) != nil || ans.Added != 2 || ans.Signer == "" {
		t.Fatalf("master list: %d %s", code, b)
	}
	if code, b := do(t, admin, "POST", url, "application/json", upload(api.UploadCRL, fakeUpload{Issuer: "VN", Day: 5})); code != http.StatusOK {
		t.Fatalf("CRL: %d %s", code, b)
	}
	before, _ := k.node.FSM().Status()
	for _, tc := range []struct {
		name   string
		client *http.Client
		path   string
		body   []byte
		code   int
	}{
		{"a foreign master list", admin, "", upload(api.UploadMasterList, fakeUpload{CSCAs: []string{"XX"}, Foreign: true}), http.StatusForbidden},
		{"a CRL no CSCA signed", admin, "", upload(api.UploadCRL, fakeUpload{Issuer: "VN", Day: 9, Foreign: true}), http.StatusForbidden},
		{"an older CRL", admin, "", upload(api.UploadCRL, fakeUpload{Issuer: "VN", Day: 1}), http.StatusConflict},
		{"an unknown kind", admin, "", []byte(`{"kind":"csca","data":"AA=="}`), http.StatusBadRequest},
		{"an unknown field", admin, "", []byte(`{"kind":"crl","data":"AA==","by":"x"}`), http.StatusBadRequest},
		{"an unknown removal", admin, "/remove", []byte(`{"fingerprints":["` + fsm.Fingerprint([]byte("x")) + `"]}`), http.StatusConflict},
		{"a bad fingerprint", admin, "/remove", []byte(`{"fingerprints":["XYZ"]}`), http.StatusBadRequest},
		{"an edge uploads", edge, "", upload(api.UploadMasterList, fakeUpload{CSCAs: []string{"XX"}}), http.StatusForbidden},
		{"an edge removes", edge, "/remove", []byte(`{"fingerprints":[]}`), http.StatusForbidden},
	} {
		if code, b := do(t, tc.client, "POST", url+tc.path, "application/json", tc.body); code != tc.code {
			t.Errorf("%s: %d %s, want %d", tc.name, code, b, tc.code)
		}
	}
	// What the verifier refuses never reaches the log; what the FSM
	// refuses (an older CRL, an unknown removal) is in the log and changes
	// nothing.
	if after, _ := k.node.FSM().Status(); after.Commands != before.Commands+2 || after.Digest != before.Digest {
		t.Fatalf("refused uploads: applied index %d → %d, digest changed: %v", before.AppliedIndex, after.AppliedIndex, after.Digest != before.Digest)
	}
	if code, _ := do(t, edge, "GET", url, "", nil); code != http.StatusForbidden {
		t.Errorf("an edge read the admin view: %d", code)
	}

	var view api.TrustView
	code, b = do(t, admin, "GET", url, "", nil)
	if code != http.StatusOK || json.Unmarshal(b, &view) != nil || len(view.Items) != 3 || view.Version == 0 {
		t.Fatalf("view: %d %s", code, b)
	}
	for _, it := range view.Items {
		if it.Kind == fsm.TrustCRL && (!it.Stale || it.Issuer != "CN=VN" || it.NextUpdate.IsZero()) {
			t.Errorf("the CRL past its next update: %+v", it)
		}
		if it.Kind == fsm.TrustCSCA && (it.Stale || it.Source != "test" || it.By != "admin") {
			t.Errorf("CSCA: %+v", it)
		}
	}

	// The signed list: what an edge opens with its root, 304 when held.
	list := func(tag string) (int, []byte, string) {
		req, _ := http.NewRequest("GET", k.srv.URL+"/v1/trust", nil)
		if tag != "" {
			req.Header.Set("If-None-Match", tag)
		}
		resp, err := edge.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, b, resp.Header.Get("ETag")
	}
	code, data, tag := list("")
	l, err := trustlist.Open(data, trustlist.Verifier{Roots: k.pki.RootPool(), Now: time.Now()})
	if code != http.StatusOK || err != nil || l.Version != view.Version || len(l.Items) != 3 {
		t.Fatalf("trust list: %d %v", code, err)
	}
	if code, again, _ := list(""); code != http.StatusOK || string(again) != string(data) {
		t.Fatal("the list of one version was built twice")
	}
	if code, _, _ := list(tag); code != http.StatusNotModified {
		t.Fatalf("the version held: %d", code)
	}

	// Removal moves the version: the held tag no longer matches.
	rm, _ := json.Marshal(api.TrustRemoval{Fingerprints: []string{view.Items[0].Fingerprint}})
	if code, b := do(t, admin, "POST", url+"/remove", "application/json", rm); code != http.StatusOK || !strings.Contains(string(b), `"removed":1`) {
		t.Fatalf("removal: %d %s", code, b)
	}
	code, data, _ = list(tag)
	if l, err := trustlist.Open(data, trustlist.Verifier{Roots: k.pki.RootPool(), Now: time.Now(), Held: view.Version}); code != http.StatusOK || err != nil || len(l.Items) != 2 {
		t.Fatalf("after removal: %d %v", code, err)
	}
}

// TestTrustWithoutSigner: a city node without a master-list signer says
// so, and writes nothing.
func TestTrustWithoutSigner(t *testing.T) {
	k := newKit(t, func(c *Config) { c.Trust = fakeTrust{noSigner: true} })
	code, b := do(t, k.client(t, k.pki.Admin()), "POST", k.srv.URL+"/v1/admin/trust", "application/json",
		upload(api.UploadMasterList, fakeUpload{CSCAs: []string{"VN"}}))
	if code != http.StatusServiceUnavailable || !strings.Contains(string(b), "--ml-signer") {
		t.Fatalf("%d %s", code, b)
	}
	if v, _ := k.node.FSM().TrustVersion(); v != 0 {
		t.Fatalf("trust version %d", v)
	}
}
