package cityapi

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/xanode/xanode/certs"
	"github.com/xanode/xanode/sync/api"
	"github.com/xanode/xanode/sync/fsm"
	"github.com/xanode/xanode/sync/wire"
)

// enrollAs runs an edge's side of enrollment against the kit: fetch the
// root, check it against the token, send a CSR.
func (k *kit) enrollAs(t *testing.T, token string) (int, api.EnrollResponse, tls.Certificate) {
	t.Helper()
	tok, err := certs.ParseEnrollToken(token)
	if err != nil {
		t.Fatal(err)
	}
	if !tok.MatchesRoot(k.pki.Root) {
		t.Fatal("token does not name the kit's root")
	}
	keyPEM, csrPEM, err := certs.NewNodeKey(tok.Node)
	if err != nil {
		t.Fatal(err)
	}
	anon := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: k.pki.RootPool(), MinVersion: tls.VersionTLS13}}}
	body, _ := json.Marshal(api.EnrollRequest{Token: token, CSR: string(csrPEM)})
	code, b := do(t, anon, "POST", k.srv.URL+"/v1/enroll", "application/json", body)
	var er api.EnrollResponse
	if code != http.StatusOK {
		return code, er, tls.Certificate{}
	}
	if err := json.Unmarshal(b, &er); err != nil {
		t.Fatal(err)
	}
	cert, err := tls.X509KeyPair([]byte(er.CertPEM), keyPEM)
	if err != nil {
		t.Fatal(err)
	}
	return code, er, cert
}

func (k *kit) token(t *testing.T, admin *http.Client, commune, node string) string {
	t.Helper()
	body, _ := json.Marshal(api.TokenRequest{Commune: commune, Node: node})
	code, b := do(t, admin, "POST", k.srv.URL+"/v1/admin/token", "application/json", body)
	if code != http.StatusOK {
		t.Fatalf("token: %d %s", code, b)
	}
	var tr api.TokenResponse
	json.Unmarshal(b, &tr)
	return tr.Token
}

func TestEnrollRevokeRenew(t *testing.T) {
	k := newKit(t, func(c *Config) { c.NodeLifetime = time.Hour })
	admin := k.client(t, k.pki.Admin())
	token := k.token(t, admin, "92101", "")

	code, er, cert := k.enrollAs(t, token)
	if code != http.StatusOK || er.Node != "edge-92101" || er.Commune != "92101" || er.NextSeq != 1 || er.RootPEM == "" {
		t.Fatalf("enroll: %d %+v", code, er)
	}
	if left := time.Until(cert.Leaf.NotAfter); left > time.Hour || left < 55*time.Minute {
		t.Fatalf("certificate lives %v, want the configured hour", left)
	}
	if code, _, _ := k.enrollAs(t, token); code != http.StatusForbidden {
		t.Fatalf("token reused: %d", code)
	}
	if code, _, _ := k.enrollAs2(t, strings.Replace(token, "xn1_", "xn1_A", 1)); code != http.StatusBadRequest {
		t.Fatalf("mangled token: %d", code)
	}

	edge := k.client(t, cert)
	code, b := do(t, edge, "GET", k.srv.URL+"/v1/whoami", "", nil)
	if code != http.StatusOK || !strings.Contains(string(b), `"communes":["92101"]`) {
		t.Fatalf("whoami: %d %s", code, b)
	}
	// Admin-only endpoints stay closed to edges; enrollment needs no cert
	// but nothing else does.
	if code, _ := do(t, edge, "GET", k.srv.URL+"/v1/admin/nodes", "", nil); code != http.StatusForbidden {
		t.Fatalf("edge listed the fleet: %d", code)
	}
	anon := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: k.pki.RootPool()}}}
	if code, _ := do(t, anon, "GET", k.srv.URL+"/v1/whoami", "", nil); code != http.StatusUnauthorized {
		t.Fatalf("anonymous whoami: %d", code)
	}

	// Renewal over the current certificate; both work until the edge
	// switches.
	_, csr, _ := certs.NewNodeKey("edge-92101")
	body, _ := json.Marshal(api.EnrollRequest{CSR: string(csr)})
	if code, b := do(t, edge, "POST", k.srv.URL+"/v1/renew", "application/json", body); code != http.StatusOK || !strings.Contains(string(b), "BEGIN CERTIFICATE") {
		t.Fatalf("renew: %d %s", code, b)
	}
	_, csrOther, _ := certs.NewNodeKey("edge-other")
	body, _ = json.Marshal(api.EnrollRequest{CSR: string(csrOther)})
	if code, _ := do(t, edge, "POST", k.srv.URL+"/v1/renew", "application/json", body); code != http.StatusBadRequest {
		t.Fatalf("renewal for another node's name: %d", code)
	}

	// The fleet list shows the node.
	code, b = do(t, admin, "GET", k.srv.URL+"/v1/admin/nodes", "", nil)
	var nodes []api.FleetNode
	if code != http.StatusOK || json.Unmarshal(b, &nodes) != nil || len(nodes) != 1 || nodes[0].State != fsm.NodeActive || nodes[0].PrevSerial == "" {
		t.Fatalf("nodes: %d %s", code, b)
	}

	// Revocation: the open keep-alive connection is refused on its next
	// request, a new handshake is refused outright.
	body, _ = json.Marshal(api.NodeAction{Node: "edge-92101"})
	if code, _ := do(t, admin, "POST", k.srv.URL+"/v1/admin/revoke", "application/json", body); code != http.StatusBadRequest {
		t.Fatalf("revoke without a reason: %d", code)
	}
	body, _ = json.Marshal(api.NodeAction{Node: "edge-92101", Reason: "box stolen"})
	if code, b := do(t, admin, "POST", k.srv.URL+"/v1/admin/revoke", "application/json", body); code != http.StatusOK {
		t.Fatalf("revoke: %d %s", code, b)
	}
	if code, b := do(t, edge, "GET", k.srv.URL+"/v1/whoami", "", nil); code != http.StatusForbidden || !strings.Contains(string(b), "box stolen") {
		t.Fatalf("revoked node on an open connection: %d %s", code, b)
	}
	fresh := k.client(t, cert)
	req, _ := http.NewRequest("GET", k.srv.URL+"/v1/whoami", nil)
	if resp, err := fresh.Do(req); err == nil {
		resp.Body.Close()
		t.Fatalf("revoked node completed a handshake: %s", resp.Status)
	}

	// The re-imaged box enrolls again with a new token.
	code, _, cert2 := k.enrollAs(t, k.token(t, admin, "92101", ""))
	if code != http.StatusOK {
		t.Fatalf("re-enroll: %d", code)
	}
	if code, _ := do(t, k.client(t, cert2), "GET", k.srv.URL+"/v1/whoami", "", nil); code != http.StatusOK {
		t.Fatalf("re-enrolled node: %d", code)
	}
	if _, err := k.client(t, cert).Get(k.srv.URL + "/v1/whoami"); err == nil {
		t.Fatal("the old box's certificate works again after re-enrollment")
	}
}

func TestTokenFromAnotherCity(t *testing.T) {
	k := newKit(t)
	other, err := certs.Init(t.TempDir(), certs.InitOptions{CityNodes: []string{"city-1"}})
	if err != nil {
		t.Fatal(err)
	}
	tok, _ := certs.NewEnrollToken("92101", "edge-x", other.Root)
	if code, _, _ := k.enrollAs2(t, tok.String()); code != http.StatusForbidden {
		t.Fatalf("foreign token: %d", code)
	}
}

// enrollAs2 skips the root check a real edge makes, to see the city's.
func (k *kit) enrollAs2(t *testing.T, token string) (int, []byte, error) {
	_, csrPEM, _ := certs.NewNodeKey("edge-x")
	anon := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: k.pki.RootPool()}}}
	body, _ := json.Marshal(api.EnrollRequest{Token: token, CSR: string(csrPEM)})
	code, b := do(t, anon, "POST", k.srv.URL+"/v1/enroll", "application/json", body)
	return code, b, nil
}

func TestSweepSuspends(t *testing.T) {
	now := time.Now()
	k := newKit(t, func(c *Config) {
		c.Policy = Policy{FlagAfter: time.Hour, SuspendAfter: 2 * time.Hour}
		c.Now = func() time.Time { return now }
	})
	admin := k.client(t, k.pki.Admin())
	_, _, cert := k.enrollAs(t, k.token(t, admin, "92101", ""))
	srv := k.srv.Config.Handler.(*Server)
	if err := srv.Sweep(context.Background()); err != nil {
		t.Fatal(err)
	}
	if code, _ := do(t, k.client(t, cert), "GET", k.srv.URL+"/v1/whoami", "", nil); code != http.StatusOK {
		t.Fatalf("fresh node refused: %d", code)
	}
	now = now.Add(90 * time.Minute)
	_, b := do(t, admin, "GET", k.srv.URL+"/v1/admin/nodes", "", nil)
	if !strings.Contains(string(b), `"flagged":true`) {
		t.Fatalf("not flagged after 90 minutes: %s", b)
	}
	now = now.Add(time.Hour)
	if err := srv.Sweep(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, err := k.client(t, cert).Get(k.srv.URL + "/v1/whoami"); err == nil {
		t.Fatal("suspended node connected")
	}
	body, _ := json.Marshal(api.NodeAction{Node: "edge-92101", Reason: "office reopened after Tết"})
	if code, b := do(t, admin, "POST", k.srv.URL+"/v1/admin/reinstate", "application/json", body); code != http.StatusOK {
		t.Fatalf("reinstate: %d %s", code, b)
	}
	if code, b := do(t, k.client(t, cert), "GET", k.srv.URL+"/v1/whoami", "", nil); code != http.StatusOK {
		t.Fatalf("reinstated node refused: %d %s", code, b)
	}
}

func TestAuditPush(t *testing.T) {
	k := newKit(t)
	admin := k.client(t, k.pki.Admin())
	assign, _ := json.Marshal(api.Assignment{Node: "edge-1", Communes: []string{"92101"}})
	if code, b := do(t, admin, "POST", k.srv.URL+"/v1/admin/assign", "application/json", assign); code != 200 {
		t.Fatalf("assign: %d %s", code, b)
	}
	edge1 := k.edge(t, "edge-1")
	var es []wire.AuditEntry
	prev := ""
	for i := 1; i <= 5; i++ {
		e := wire.AuditEntry{Seq: uint64(i), Time: time.Now().UTC(), Officer: "canbo01", Action: "lookup", Citizen: "092090001234", Prev: prev}
		e.Hash = e.ComputeHash()
		prev = e.Hash
		es = append(es, e)
	}
	push := func(c *http.Client, batch []wire.AuditEntry) (int, string) {
		b, _ := json.Marshal(batch)
		code, out := do(t, c, "POST", k.srv.URL+"/v1/audit", wire.ContentAudit, b)
		return code, string(out)
	}
	if code, out := push(edge1, es[:3]); code != 200 || !strings.Contains(out, `"through":3`) {
		t.Fatalf("push: %d %s", code, out)
	}
	if code, out := push(edge1, es[4:]); code != 200 || !strings.Contains(out, `"through":3`) {
		t.Fatalf("a gap must ask for entry 4: %d %s", code, out)
	}
	if code, out := push(edge1, es[3:]); code != 200 || !strings.Contains(out, `"through":5`) {
		t.Fatalf("push: %d %s", code, out)
	}
	bad := append([]wire.AuditEntry{}, es[:2]...)
	bad[1].Officer = "someone-else"
	if code, _ := push(edge1, bad); code != http.StatusBadRequest {
		t.Fatalf("altered batch: %d", code)
	}
	if code, _ := push(admin, es); code != http.StatusForbidden {
		t.Fatalf("admin pushed an audit log: %d", code)
	}
	var trail fsm.AuditTrail
	code, b := do(t, admin, "GET", k.srv.URL+"/v1/admin/nodes/edge-1/audit?after=1&limit=2", "", nil)
	if code != 200 || json.Unmarshal(b, &trail) != nil || len(trail.Entries) != 2 || trail.Entries[0].Seq != 2 || trail.Tip.Seq != 5 {
		t.Fatalf("trail: %d %s", code, b)
	}
}

func TestMetrics(t *testing.T) {
	k := newKit(t)
	admin := k.client(t, k.pki.Admin())
	if code, b := do(t, admin, "POST", k.srv.URL+"/v1/admin/import", "application/x-ndjson", []byte(population)); code != 200 {
		t.Fatalf("import: %d %s", code, b)
	}
	token := k.token(t, admin, "92101", "")
	if code, _, _ := k.enrollAs(t, token); code != 200 {
		t.Fatal("enroll")
	}
	body, _ := json.Marshal(api.NodeAction{Node: "edge-92101", Reason: "test"})
	do(t, admin, "POST", k.srv.URL+"/v1/admin/revoke", "application/json", body)
	code, b := do(t, admin, "GET", k.srv.URL+"/metrics", "", nil)
	if code != 200 {
		t.Fatalf("metrics: %d", code)
	}
	for _, want := range []string{
		"xanode_raft_leader 1", "xanode_raft_has_leader 1", "xanode_citizens 2", "xanode_raft_voters 1",
		`xanode_fleet_nodes{state="revoked"} 1`, `xanode_fleet_nodes{state="active"} 0`,
		`xanode_raft_apply_seconds_count{kind="2"} 1`, // the import
		`xanode_raft_apply_seconds_count{kind="7"} 1`, // the token
		"# TYPE xanode_raft_applied_index gauge",
	} {
		if !strings.Contains(string(b), want+"\n") {
			t.Errorf("metrics lack %q:\n%s", want, b)
		}
	}
}

func TestEnrollWithUICertificate(t *testing.T) {
	k := newKit(t)
	admin := k.client(t, k.pki.Admin())
	_, csr, _ := certs.NewNodeKey("edge-92101")
	_, uiCSR, _ := certs.NewNodeKey("edge-92101")
	anon := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: k.pki.RootPool()}}}
	enroll := func(token string, hosts []string) (int, api.EnrollResponse) {
		body, _ := json.Marshal(api.EnrollRequest{Token: token, CSR: string(csr), UICSR: string(uiCSR), UIHosts: hosts})
		code, b := do(t, anon, "POST", k.srv.URL+"/v1/enroll", "application/json", body)
		var er api.EnrollResponse
		json.Unmarshal(b, &er)
		return code, er
	}
	token := k.token(t, admin, "92101", "")
	if code, _ := enroll(token, []string{"www.gov.vn"}); code != http.StatusBadRequest {
		t.Fatalf("a public name in the UI certificate: %d", code)
	}
	// The refusal did not use the token up.
	code, er := enroll(token, []string{"192.168.1.10", "canbo.xuankhanh.lan"})
	if code != http.StatusOK || er.UICert == "" {
		t.Fatalf("enroll with a UI certificate: %d %+v", code, er)
	}
	chain, err := certs.ParseChainPEM([]byte(er.UICert))
	if err != nil || chain[0].DNSNames[0] != "canbo.xuankhanh.lan" || chain[0].IPAddresses[0].String() != "192.168.1.10" {
		t.Fatalf("UI certificate: %v %+v", err, chain)
	}
}

// TestEnrollFloodWritesNothing: made-up tokens (with the city's public root
// fingerprint) and a used one are refused before anything is issued or
// written, and one address soon has to wait.
func TestEnrollFloodWritesNothing(t *testing.T) {
	k := newKit(t)
	admin := k.client(t, k.pki.Admin())
	used := k.token(t, admin, "92101", "")
	if code, _, _ := k.enrollAs(t, used); code != http.StatusOK {
		t.Fatalf("enroll: %d", code)
	}
	before, _ := k.node.FSM().Status()
	codes := map[int]int{}
	for i := 0; i < enrollLimit+5; i++ {
		tok := used
		if i%2 == 0 {
			made, _ := certs.NewEnrollToken("92101", "edge-92101", k.pki.Root)
			tok = made.String()
		}
		code, b, _ := k.enrollAs2(t, tok)
		codes[code]++
		if code == http.StatusOK {
			t.Fatalf("attempt %d enrolled: %s", i, b)
		}
	}
	after, _ := k.node.FSM().Status()
	if after.Commands != before.Commands || after.Digest != before.Digest {
		t.Fatalf("refused enrollments wrote to the log: applied index %d → %d", before.AppliedIndex, after.AppliedIndex)
	}
	// One attempt went to the successful enrollment above.
	if codes[http.StatusForbidden] != enrollLimit-1 || codes[http.StatusTooManyRequests] != 6 {
		t.Fatalf("answers %v, want %d refusals then 429s", codes, enrollLimit-1)
	}
}
