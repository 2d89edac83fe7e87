package cityapi

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/klauspost/compress/zstd"

	"github.com/xanode/xanode/certs"
	"github.com/xanode/xanode/node/registry"
	"github.com/xanode/xanode/sync/api"
	"github.com/xanode/xanode/sync/bundle"
	"github.com/xanode/xanode/sync/cluster"
	"github.com/xanode/xanode/sync/fsm"
	"github.com/xanode/xanode/sync/fsm/fsmtest"
	"github.com/xanode/xanode/sync/wire"
)

type kit struct {
	pki  *certs.PKI
	node *cluster.Node
	srv  *httptest.Server
	api  *Server
}

func newKit(t *testing.T, opts ...func(*Config)) *kit {
	t.Helper()
	p, err := certs.Init(t.TempDir(), certs.InitOptions{CityNodes: []string{"city-1"}})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	rc := cluster.Config{ID: "city-1", Dir: t.TempDir(), Listener: ln, Bootstrap: true, FSM: fsm.DefaultConfig(), LogOutput: io.Discard}
	n, err := cluster.Open(rc)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { n.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := n.WaitLeader(ctx); err != nil {
		t.Fatal(err)
	}
	for !n.IsLeader() {
		time.Sleep(10 * time.Millisecond)
	}
	key, cert := p.DataSigner()
	nodeCert, _ := p.Node("city-1")
	cfg := Config{Cluster: n, SigningKey: key, SigningCert: cert, Issuer: p, PeerTLS: certs.ClientTLS(nodeCert, p.RootPool())}
	for _, o := range opts {
		o(&cfg)
	}
	server := New(cfg)
	srv := httptest.NewUnstartedServer(server)
	srv.TLS = certs.APIServerTLS(nodeCert, p.NodePool(), server.CheckPeer)
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return &kit{pki: p, node: n, srv: srv, api: server}
}

// populate imports the two residents of population through city IT's
// client admin and assigns edge-1 commune 92101.
func (k *kit) populate(t *testing.T, admin *http.Client) {
	t.Helper()
	if code, b := do(t, admin, "POST", k.srv.URL+"/v1/admin/import", "application/x-ndjson", []byte(population)); code != 200 {
		t.Fatalf("import: %d %s", code, b)
	}
	assign, _ := json.Marshal(api.Assignment{Node: "edge-1", Communes: []string{"92101"}})
	if code, b := do(t, admin, "POST", k.srv.URL+"/v1/admin/assign", "application/json", assign); code != 200 {
		t.Fatalf("assign: %d %s", code, b)
	}
}

// officer gives commune the account user, through raft as city IT does.
func (k *kit) officer(t *testing.T, commune, user, role string) {
	t.Helper()
	if _, err := k.node.Apply(context.Background(), fsmtest.Officer(commune, user, role)); err != nil {
		t.Fatal(err)
	}
}

func (k *kit) client(t *testing.T, cert tls.Certificate) *http.Client {
	return &http.Client{Transport: &http.Transport{TLSClientConfig: certs.ClientTLS(cert, k.pki.RootPool())}}
}

func (k *kit) edge(t *testing.T, id string) *http.Client {
	t.Helper()
	cred, err := k.pki.IssueNodeKey(id, certs.RoleEdge, nil, time.Hour, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	return k.client(t, cred.TLS)
}

func do(t *testing.T, c *http.Client, method, url, ctype string, body []byte) (int, []byte) {
	t.Helper()
	req, _ := http.NewRequest(method, url, bytes.NewReader(body))
	req.Header.Set("Content-Type", ctype)
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

const population = `{"id":"092090001234","fields":{"full_name":"Nguyễn Văn An","birth_date":"1990-05-01","sex":"M","commune":"92101"}}
{"id":"092190004321","fields":{"full_name":"Trần Thị Bình","birth_date":"1990-07-02","sex":"F","commune":"92102"}}
`

func TestAPI(t *testing.T) {
	k := newKit(t)
	admin := k.client(t, k.pki.Admin())
	edge1 := k.edge(t, "edge-1")

	if code, b := do(t, admin, "POST", k.srv.URL+"/v1/admin/import", "application/x-ndjson", []byte(population)); code != 200 || !strings.Contains(string(b), `"imported":2`) {
		t.Fatalf("import: %d %s", code, b)
	}
	if code, b := do(t, edge1, "POST", k.srv.URL+"/v1/admin/import", "application/x-ndjson", []byte(population)); code != http.StatusForbidden {
		t.Fatalf("edge may not import: %d %s", code, b)
	}
	if code, b := do(t, admin, "POST", k.srv.URL+"/v1/admin/import", "application/x-ndjson", []byte(`{"id":"12","fields":{}}`)); code != http.StatusBadRequest {
		t.Fatalf("bad ID imported: %d %s", code, b)
	}
	assign, _ := json.Marshal(api.Assignment{Node: "edge-1", Communes: []string{"92101"}})
	if code, b := do(t, admin, "POST", k.srv.URL+"/v1/admin/assign", "application/json", assign); code != 200 {
		t.Fatalf("assign: %d %s", code, b)
	}

	k.officer(t, "92101", "canbo01", registry.OfficerRole)
	change := &registry.Change{Node: "edge-1", Seq: 1, Officer: "canbo01", Op: registry.OpIdentify, Citizen: "092090001234", Commune: "92101", Base: 1}
	code, b := do(t, edge1, "POST", k.srv.URL+"/v1/push", wire.ContentChanges, wire.EncodeChanges([]*registry.Change{change}))
	if code != 200 {
		t.Fatalf("push: %d %s", code, b)
	}
	outs, err := wire.DecodeOutcomes(b)
	if err != nil || len(outs) != 1 || outs[0].Result != registry.Applied {
		t.Fatalf("outcomes %v %+v", err, outs)
	}
	forged := &registry.Change{Node: "edge-2", Seq: 1, Op: registry.OpIdentify, Citizen: "092090001234", Commune: "92101"}
	if code, _ := do(t, edge1, "POST", k.srv.URL+"/v1/push", wire.ContentChanges, wire.EncodeChanges([]*registry.Change{forged})); code != http.StatusForbidden {
		t.Fatalf("push of another node's change: %d", code)
	}
	if code, _ := do(t, edge1, "POST", k.srv.URL+"/v1/push", wire.ContentChanges, []byte("garbage")); code != http.StatusBadRequest {
		t.Fatalf("garbage push: %d", code)
	}

	code, b = do(t, edge1, "GET", k.srv.URL+"/v1/subsets/92101/bundle", "", nil)
	if code != 200 {
		t.Fatalf("bundle: %d %s", code, b)
	}
	bn, err := bundle.Open(b, bundle.Verifier{Roots: k.pki.RootPool(), Now: time.Now()})
	if err != nil || bn.Count != 1 || bn.Commune != "92101" {
		t.Fatalf("bundle: %v %+v", err, bn)
	}
	if code, _ := do(t, edge1, "GET", k.srv.URL+"/v1/subsets/92102/bundle", "", nil); code != http.StatusForbidden {
		t.Fatalf("bundle of an unassigned commune: %d", code)
	}

	var st api.Status
	_, b = do(t, admin, "GET", k.srv.URL+"/v1/status", "", nil)
	if err := json.Unmarshal(b, &st); err != nil || st.Citizens != 2 || st.Leader != "city-1" || len(st.StateDigest) != 64 {
		t.Fatalf("status %v %+v", err, st)
	}
}

func TestClientCertificateRequired(t *testing.T) {
	k := newKit(t)
	anon := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: k.pki.RootPool()}}}
	for _, path := range []string{"/v1/status", "/metrics", "/v1/push", "/v1/subsets/92101/bundle", "/v1/admin/nodes"} {
		resp, err := anon.Get(k.srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized && resp.StatusCode != http.StatusMethodNotAllowed {
			t.Fatalf("%s without a client certificate: %s", path, resp.Status)
		}
	}
	stranger, err := certs.Init(t.TempDir(), certs.InitOptions{CityNodes: []string{"city-1"}})
	if err != nil {
		t.Fatal(err)
	}
	c := &http.Client{Transport: &http.Transport{TLSClientConfig: certs.ClientTLS(stranger.Admin(), k.pki.RootPool())}}
	if _, err := c.Get(k.srv.URL + "/v1/status"); err == nil {
		t.Fatal("a client certificate from another PKI was accepted")
	}
}

func TestOversizedAndCompressedBodies(t *testing.T) {
	k := newKit(t)
	edge1 := k.edge(t, "edge-1")
	big := bytes.Repeat([]byte{0}, wire.MaxBodyBytes+10)
	if code, _ := do(t, edge1, "POST", k.srv.URL+"/v1/push", wire.ContentChanges, big); code != http.StatusRequestEntityTooLarge {
		t.Fatalf("oversized push: %d", code)
	}
	// A small zstd frame that expands beyond the limit is refused too.
	enc, _ := zstd.NewWriter(nil)
	bomb := enc.EncodeAll(big, nil)
	req, _ := http.NewRequest("POST", k.srv.URL+"/v1/push", bytes.NewReader(bomb))
	req.Header.Set("Content-Encoding", "zstd")
	resp, err := edge1.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Fatalf("zstd bomb of %d bytes: %d", len(bomb), resp.StatusCode)
	}
}
