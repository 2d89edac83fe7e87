package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/xanode/xanode/certs"
	"github.com/xanode/xanode/node/registry"
	"github.com/xanode/xanode/reader"
	"github.com/xanode/xanode/reader/cardtool"
	"github.com/xanode/xanode/reader/emulator"
	"github.com/xanode/xanode/reader/presence"
	"github.com/xanode/xanode/sync/api"
	"github.com/xanode/xanode/sync/bundle"
	"github.com/xanode/xanode/sync/fsm"
	"github.com/xanode/xanode/sync/wire"
)

// The stolen box: an attacker holds edge-92101's certificate and key, as
// enrolled by token, and plays it against a three-node city (separate
// processes). Every attack is refused with a clear error; where nothing
// should be written, every replica's applied index and state digest stay
// as they were; where a change must be recorded (an office's change is
// never dropped), it is recorded as rejected and changes no record.

const (
	advHome     = "92101"
	advOther    = "92102"
	advResident = "092090001234" // lives in 92101
	advOutsider = "092190004321" // lives in 92102
	advUnknown  = "092090009999" // nobody
	advNoAA     = "092195001111" // lives in 92102; her card has no active authentication
)

type adversary struct {
	t      *testing.T
	c      *cityCluster
	pki    *certs.PKI
	edge   *http.Client // the stolen certificate
	cert   tls.Certificate
	seq    uint64
	reason string // the rejection reason for out-of-reach citizens

	start   time.Time // when the box first pushed: its allowance refills from then
	decided int       // changes the city answered with an outcome
}

// advLimit is the city's --edge-limit here: changes an hour per edge,
// twice that at once.
const advLimit = 60

func TestStolenEdgeBox(t *testing.T) {
	if testing.Short() {
		t.Skip("system test")
	}
	// Two citizens of 92102 carry chip cards: one with active
	// authentication, one without; the city trusts their CSCAs.
	cards := t.TempDir()
	withAA, withoutAA := filepath.Join(cards, "binh"), filepath.Join(cards, "hoa")
	xanode(t, "card", "make", "--out", withAA, "--id", advOutsider, "--name", "Trần Thị Bình", "--dob", "1990-07-02", "--sex", "F", "--exp", "2035-07-02")
	xanode(t, "card", "make", "--out", withoutAA, "--id", advNoAA, "--name", "Lê Thị Hoa", "--dob", "1995-03-04", "--sex", "F",
		"--exp", "2035-03-04", "--clone-check", "ca")
	c := startCluster(t, "--csca", filepath.Join(withAA, "csca.pem"), "--csca", filepath.Join(withoutAA, "csca.pem"),
		"--edge-limit", strconv.Itoa(advLimit))
	a := &adversary{t: t, c: c}
	var err error
	if a.pki, err = certs.Load(c.pki); err != nil {
		t.Fatal(err)
	}
	a.seed()

	// What an edge may do still works: its own resident.
	if o := a.push(a.change(registry.OpIdentify, advResident, "canbo01")); o.Result != registry.Applied {
		t.Fatalf("the box's own work: %+v", o)
	}

	a.refusedHandshakes()
	a.nothingWritten("city-only and malformed pushes", a.forbiddenPushes)
	a.nothingWritten("city IT's and the cluster's endpoints", a.forbiddenEndpoints)
	a.nothingWritten("an enrollment flood", a.enrollFlood)
	a.outOfReach()
	a.proofsOfPresence(withAA, withoutAA)
	a.flood()
	a.revokedCertificates()
}

// seed loads two communes, gives 92101 an officer, and enrolls the box
// whose identity the attacker then holds.
func (a *adversary) seed() {
	t, c := a.t, a.c
	pop := filepath.Join(c.dir, "pop.jsonl")
	writeFile(t, pop, strings.Join([]string{
		`{"id":"` + advResident + `","fields":{"full_name":"Nguyễn Văn An","birth_date":"1990-05-01","sex":"M","commune":"` + advHome + `","permanent_address":"12 Mậu Thân"}}`,
		`{"id":"` + advOutsider + `","fields":{"full_name":"Trần Thị Bình","birth_date":"1990-07-02","sex":"F","commune":"` + advOther + `","permanent_address":"8 Hòa Bình","father_name":"Trần Văn Cường","old_id":"361234567"}}`,
		`{"id":"` + advNoAA + `","fields":{"full_name":"Lê Thị Hoa","birth_date":"1995-03-04","sex":"F","commune":"` + advOther + `","permanent_address":"3 Lý Tự Trọng"}}`,
	}, "\n")+"\n")
	l := c.waitLeader()
	xanode(t, "city", "import", "--city", c.url(l), "--file", pop, "--pki", c.pki)
	runEnv(t, "XANODE_PASSWORD=mật khẩu cán bộ một", "fleet", "--city", c.url(l), "--pki", c.pki,
		"officer", "add", "--commune", advHome, "--user", "canbo01", "--name", "Nguyễn Thị Lan")
	out := xanode(t, "fleet", "--city", c.url(l), "--pki", c.pki, "token", "--commune", advHome)
	token := regexp.MustCompile(`xn1_[A-Za-z0-9_-]+`).FindString(out)
	keyPEM, csrPEM, err := certs.NewNodeKey("edge-" + advHome)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := json.Marshal(api.EnrollRequest{Token: token, CSR: string(csrPEM)})
	// Through a follower, once it has applied what the leader has (among
	// it the peer table that names the leader's API URL, which the
	// follower asks about the token): under load a follower that joined
	// a moment ago may lag, and would answer 503.
	c.converged()
	code, b := a.call(a.anonymous(), "POST", c.url(1)+"/v1/enroll", "application/json", body)
	var er api.EnrollResponse
	if code != http.StatusOK || json.Unmarshal(b, &er) != nil {
		t.Fatalf("enrollment: %d %s", code, b)
	}
	if a.cert, err = tls.X509KeyPair([]byte(er.CertPEM), keyPEM); err != nil {
		t.Fatal(err)
	}
	a.edge = &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: certs.ClientTLS(a.cert, a.pki.RootPool())}}
	a.seq = er.NextSeq - 1
	a.start = time.Now()
}

func (a *adversary) anonymous() *http.Client {
	return &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: a.pki.RootPool(), MinVersion: tls.VersionTLS13}}}
}

func (a *adversary) call(hc *http.Client, method, url, ctype string, body []byte) (int, []byte) {
	a.t.Helper()
	req, _ := http.NewRequest(method, url, bytes.NewReader(body))
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	resp, err := hc.Do(req)
	if err != nil {
		return 0, []byte(err.Error())
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

// change is the attacker's next change of op for citizen.
func (a *adversary) change(op registry.Op, citizen, officer string, patch ...registry.FieldValue) *registry.Change {
	a.seq++
	c := &registry.Change{Node: "edge-" + advHome, Seq: a.seq, Officer: officer, Op: op, Citizen: citizen, Commune: advHome,
		Base: 1, Time: registry.HLCFromTime(time.Now()), Patch: patch}
	if op == registry.OpProcedure {
		c.Procedure, c.Note = "000.00.25.H13-261205-0001", "Đã trả kết quả"
	}
	return c
}

// pushRaw sends changes through a follower (so forwarding is attacked
// too) and returns the answer.
func (a *adversary) pushRaw(body []byte) (int, []byte) {
	code, b, _ := a.pushTo((a.c.waitLeader()+1)%3, body)
	return code, b
}

// pushTo sends a push to city node i and returns the answer, with its
// Retry-After; it counts the changes decided.
func (a *adversary) pushTo(i int, body []byte) (int, []byte, string) {
	a.t.Helper()
	req, _ := http.NewRequest("POST", a.c.url(i)+"/v1/push", bytes.NewReader(body))
	req.Header.Set("Content-Type", wire.ContentChanges)
	resp, err := a.edge.Do(req)
	if err != nil {
		return 0, []byte(err.Error()), ""
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if outs, err := wire.DecodeOutcomes(b); resp.StatusCode == http.StatusOK && err == nil {
		a.decided += len(outs)
	}
	return resp.StatusCode, b, resp.Header.Get("Retry-After")
}

func (a *adversary) push(cs ...*registry.Change) *registry.Outcome {
	a.t.Helper()
	code, b := a.pushRaw(wire.EncodeChanges(cs))
	outs, err := wire.DecodeOutcomes(b)
	if code != http.StatusOK || err != nil || len(outs) != len(cs) {
		a.t.Fatalf("push: %d %s", code, b)
	}
	return outs[len(outs)-1]
}

// states reads every replica's applied index and digest once they agree.
func (a *adversary) states() cityStatus { return a.c.converged() }

// nothingWritten runs attacks that must leave every replica as it was:
// no command entry reached the log (the count of applied commands; the
// applied index itself also moves when raft elects a leader, which a
// loaded machine may do meanwhile) and the state digest is the same.
func (a *adversary) nothingWritten(what string, attacks func()) {
	a.t.Helper()
	before := a.states()
	attacks()
	after := a.states()
	if after.Commands != before.Commands || after.StateDigest != before.StateDigest {
		a.t.Fatalf("%s wrote to the city: %d → %d command entries (applied index %d → %d)", what,
			before.Commands, after.Commands, before.AppliedIndex, after.AppliedIndex)
	}
	a.t.Logf("%s: refused; no command entry written (%d), state digest unchanged on every replica", what, after.Commands)
}

// expect checks one refused request: its status, and that the error names
// what was wrong.
func (a *adversary) expect(what string, code int, b []byte, wantCode int, wantText string) {
	a.t.Helper()
	if code != wantCode || !strings.Contains(string(b), wantText) {
		a.t.Fatalf("%s: %d %s, want %d mentioning %q", what, code, bytes.TrimSpace(b), wantCode, wantText)
	}
	a.t.Logf("%s: %d %s", what, code, bytes.TrimSpace(b))
}

// refusedHandshakes: the raft port speaks only to city nodes.
func (a *adversary) refusedHandshakes() {
	for _, who := range []struct {
		name string
		cert tls.Certificate
	}{{"edge", a.cert}, {"admin", a.pki.Admin()}} {
		for i, addr := range a.c.raft {
			cfg := certs.ClientTLS(who.cert, a.pki.RootPool())
			conn, err := tls.Dial("tcp", addr, cfg)
			if err == nil {
				// TLS 1.3: the server's verdict on the client arrives
				// with the first read.
				conn.SetReadDeadline(time.Now().Add(5 * time.Second))
				_, err = conn.Read(make([]byte, 1))
				conn.Close()
			}
			if err == nil || !strings.Contains(err.Error(), "certificate") {
				a.t.Fatalf("%s certificate on city-%d's raft port: %v, want a refused handshake", who.name, i+1, err)
			}
		}
		a.t.Logf("raft port with the %s certificate: handshake refused on every node", who.name)
	}
}

// forbiddenPushes: what an edge may never send, refused before the log.
func (a *adversary) forbiddenPushes() {
	imp := a.change(registry.OpImport, advResident, "canbo01", registry.FieldValue{Field: registry.FieldCardNumber, Value: "001090999999"})
	code, b := a.pushRaw(wire.EncodeChanges([]*registry.Change{imp}))
	a.expect("import pushed by an edge", code, b, http.StatusForbidden, "may not send")
	other := a.change(registry.OpIdentify, advResident, "canbo01")
	other.Node = "edge-" + advOther
	code, b = a.pushRaw(wire.EncodeChanges([]*registry.Change{other}))
	a.expect("a change in another box's name", code, b, http.StatusForbidden, "may not push change")
	first, second := a.change(registry.OpIdentify, advResident, "canbo01"), a.change(registry.OpIdentify, advResident, "canbo01")
	code, b = a.pushRaw(wire.EncodeChanges([]*registry.Change{second, first}))
	a.expect("a reordered batch", code, b, http.StatusForbidden, "out of order")
	code, b = a.pushRaw(wire.EncodeChanges([]*registry.Change{first, first}))
	a.expect("a change twice in one batch", code, b, http.StatusForbidden, "out of order")
	code, b = a.pushRaw(bytes.Repeat([]byte{0}, wire.MaxBodyBytes+1))
	a.expect("an oversized batch", code, b, http.StatusRequestEntityTooLarge, "larger than")
	code, b = a.pushRaw([]byte("XN\x01\x00\xff\xff\xff\xff"))
	a.expect("a malformed batch", code, b, http.StatusBadRequest, "push body")
}

// forbiddenEndpoints: city IT's and the cluster's endpoints refuse an
// edge's certificate, whatever the body says.
func (a *adversary) forbiddenEndpoints() {
	forged := (&fsm.Command{Kind: fsm.KindImport, From: fsm.Sender{Role: registry.RoleAdmin, ID: "admin"},
		Records: []*registry.Citizen{{ID: advResident}}}).Encode()
	url := a.c.url(a.c.waitLeader())
	for _, e := range []struct {
		method, path string
		body         []byte
	}{
		{"POST", "/v1/cluster/apply", forged}, // a forged leader stamp in a command body
		{"POST", "/v1/cluster/join", []byte(`{"id":"edge-92101","raft_addr":"127.0.0.1:1"}`)},
		{"POST", "/v1/cluster/remove", []byte(`{"id":"city-2"}`)},
		{"GET", "/v1/cluster/token/" + strings.Repeat("a", 64), nil},
		{"GET", "/v1/cluster/release", nil},
		{"POST", "/v1/admin/import", []byte(`{"id":"` + advResident + `","fields":{"full_name":"Kẻ Gian"}}`)},
		{"POST", "/v1/admin/assign", []byte(`{"node":"edge-92101","communes":["92101","92102"]}`)},
		{"POST", "/v1/admin/correct", []byte(`{"citizen":"` + advOutsider + `","patch":{"commune":"92101"},"reason":"x"}`)},
		{"POST", "/v1/admin/resolve", []byte(`{"entry":1,"accept":true,"reason":"x"}`)},
		{"POST", "/v1/admin/officers", []byte(`{"commune":"92101","user":"ke.gian","name":"Kẻ Gian","role":"supervisor"}`)},
		{"POST", "/v1/admin/token", []byte(`{"commune":"92102"}`)},
		{"POST", "/v1/admin/revoke", []byte(`{"node":"edge-92102","reason":"x"}`)},
		{"POST", "/v1/admin/reinstate", []byte(`{"node":"edge-92101","reason":"x"}`)},
		{"POST", "/v1/admin/crl", []byte("x")},
		{"POST", "/v1/admin/trust", []byte(`{"kind":"masterlist","data":"MAA="}`)},
		{"POST", "/v1/admin/trust/remove", []byte(`{"fingerprints":[]}`)},
		{"GET", "/v1/admin/trust", nil},
		{"GET", "/v1/admin/nodes", nil},
		{"GET", "/v1/admin/conflicts", nil},
		{"GET", "/v1/status", nil},
		{"GET", "/metrics", nil},
		{"GET", "/v1/subsets/" + advOther + "/bundle", nil},
		{"GET", "/v1/admin/report?commune=92101&month=2026-11", nil},
		{"GET", "/v1/admin/document?code=XN1-edge-92101-1-AAAAAAAAAA", nil},
		{"GET", "/v1/admin/backup", nil},
		{"GET", "/v1/report?commune=" + advOther + "&month=2026-11", nil}, // another office's figures
	} {
		code, b := a.call(a.edge, e.method, url+e.path, "application/json", e.body)
		want := "may not call"
		if strings.HasPrefix(e.path, "/v1/subsets/") || strings.HasPrefix(e.path, "/v1/report") {
			want = "not assigned"
		}
		a.expect("edge certificate on "+e.method+" "+e.path, code, b, http.StatusForbidden, want)
	}
}

// enrollFlood: made-up tokens carrying the city's public root
// fingerprint, from one address.
func (a *adversary) enrollFlood() {
	refused, limited := 0, 0
	for i := 0; i < 200; i++ {
		tok, _ := certs.NewEnrollToken(advOther, "edge-"+advOther, a.pki.Root)
		_, csr, _ := certs.NewNodeKey("edge-" + advOther)
		body, _ := json.Marshal(api.EnrollRequest{Token: tok.String(), CSR: string(csr)})
		switch code, b := a.call(a.anonymous(), "POST", a.c.url(i%3)+"/v1/enroll", "application/json", body); code {
		case http.StatusForbidden:
			refused++
		case http.StatusTooManyRequests:
			limited++
		default:
			a.t.Fatalf("made-up token %d: %d %s", i, code, b)
		}
	}
	a.t.Logf("200 made-up enrollment tokens: %d refused as unknown, %d refused as too many from one address", refused, limited)
	if limited < 150 {
		a.t.Fatalf("only %d of 200 attempts were rate-limited", limited)
	}
}

// outOfReach: another commune's citizens, unknown IDs and made-up
// officers: recorded as the office's changes (nothing is dropped) but
// rejected, the records untouched, the answers identical whether the
// citizen exists elsewhere or not at all, and nothing of theirs in the
// box's bundle.
func (a *adversary) outOfReach() {
	t := a.t
	outsider := a.record(advOther, advOutsider)
	move := a.push(a.change(registry.OpRegisterPermanent, advOutsider, "canbo01",
		registry.FieldValue{Field: registry.FieldPermanentAddress, Value: "1 Lê Lợi"}, registry.FieldValue{Field: registry.FieldCommune, Value: advHome}))
	if move.Result != registry.Rejected {
		t.Fatalf("harvesting a citizen by moving them in: %+v", move)
	}
	a.reason = move.Reason
	for _, c := range []*registry.Change{
		a.change(registry.OpIdentify, advOutsider, "canbo01"),
		a.change(registry.OpProcedure, advOutsider, "canbo01"),
		a.change(registry.OpIdentify, advUnknown, "canbo01"),
		a.change(registry.OpRegisterTemporary, advOutsider, "canbo01",
			registry.FieldValue{Field: registry.FieldTemporaryAddress, Value: "x"}, registry.FieldValue{Field: registry.FieldTemporaryUntil, Value: "2027-01-01"}),
	} {
		o := a.push(c)
		if o.Result != registry.Rejected || o.Reason != a.reason {
			t.Fatalf("%s of %s: %+v, want the same rejection as every out-of-reach citizen", c.Op, c.Citizen, o)
		}
	}
	if strings.Contains(a.reason, advOther) || strings.Contains(a.reason, "unknown") {
		t.Fatalf("the rejection tells where the citizen lives: %q", a.reason)
	}
	t.Logf("another commune's citizen and an unknown ID: rejected alike (%q)", a.reason)
	for _, tc := range []struct {
		officer string
		want    registry.Result
	}{{"<img src=x onerror=alert(1)>", registry.Rejected}, {"ke.gian", registry.NeedsReview}} {
		o := a.push(a.change(registry.OpRegisterTemporary, advResident, tc.officer,
			registry.FieldValue{Field: registry.FieldTemporaryAddress, Value: "x"}, registry.FieldValue{Field: registry.FieldTemporaryUntil, Value: "2027-01-01"}))
		if o.Result != tc.want || !strings.Contains(o.Reason, "officer") {
			t.Fatalf("officer %q: %+v", tc.officer, o)
		}
		t.Logf("officer %q: %s (%s)", tc.officer, o.Result, o.Reason)
	}
	if rec := a.record(advHome, advResident); strings.Contains(rec, `"temporary_address":"x"`) {
		t.Fatalf("a made-up officer's change applied: %s", rec)
	}
	if ids := a.bundleIDs(a.edge, advHome); len(ids) != 1 || ids[0] != advResident {
		t.Fatalf("the box's bundle of %s holds %v", advHome, ids)
	}
	if after := a.record(advOther, advOutsider); after != outsider {
		t.Fatalf("the outsider's record changed:\n%s\n%s", outsider, after)
	}
}

// bundleIDs lists the records of a commune's bundle as hc downloads it.
func (a *adversary) bundleIDs(hc *http.Client, commune string) []string {
	a.t.Helper()
	var ids []string
	a.bundleRecords(hc, commune, func(r *registry.Citizen) { ids = append(ids, r.ID) })
	return ids
}

// record is a citizen's record as city IT's bundle of commune holds it.
func (a *adversary) record(commune, id string) string {
	a.t.Helper()
	var out string
	a.bundleRecords(a.c.admin, commune, func(r *registry.Citizen) {
		if r.ID == id {
			b, _ := json.Marshal(r)
			out = string(b)
		}
	})
	if out == "" {
		a.t.Fatalf("%s is not in the bundle of %s", id, commune)
	}
	return out
}

func (a *adversary) bundleRecords(hc *http.Client, commune string, each func(*registry.Citizen)) {
	a.t.Helper()
	code, b := a.call(hc, "GET", a.c.url(0)+"/v1/subsets/"+commune+"/bundle", "", nil)
	if code != http.StatusOK {
		a.t.Fatalf("bundle of %s: %d %s", commune, code, b)
	}
	bn, err := bundle.Open(b, bundle.Verifier{Roots: a.pki.RootPool(), Now: time.Now()})
	if err != nil {
		a.t.Fatal(err)
	}
	if err := bn.Records(func(r *registry.Citizen) error { each(r); return nil }); err != nil {
		a.t.Fatal(err)
	}
}

// flood: the box pushes as fast as the city answers, to each city node in
// turn. The limit is the city's, counted where every change is decided:
// in all the box gets its allowance decided (twice the hourly limit at
// once, plus what the test's time refills), not once per node, and every
// node answers 429 with Retry-After. The refused batch is sent again as
// the edge would, so nothing is lost.
func (a *adversary) flood() {
	t := a.t
	leader := a.c.waitLeader()
	next := func() []byte {
		var cs []*registry.Change
		for range 10 {
			cs = append(cs, a.change(registry.OpIdentify, advResident, "canbo01"))
		}
		return wire.EncodeChanges(cs)
	}
	batch, limited := next(), map[int]bool{}
	for i := 0; len(limited) < 3 && i < 3*4*advLimit/10; i++ {
		switch code, b, after := a.pushTo(i%3, batch); code {
		case http.StatusOK:
			batch = next()
		case http.StatusTooManyRequests:
			if after == "" || !strings.Contains(string(b), "limit") {
				t.Fatalf("city-%d's refusal: %s, Retry-After %q", i%3+1, b, after)
			}
			limited[i%3] = true
		default:
			t.Fatalf("push %d to city-%d: %d %s", i, i%3+1, code, b)
		}
	}
	if len(limited) < 3 {
		t.Fatalf("only %d of 3 city nodes refused the flood", len(limited))
	}
	allowed := 2*advLimit + int(time.Since(a.start).Hours()*advLimit) + 1
	if l := a.c.waitLeader(); l != leader {
		t.Logf("the leader moved during the flood (city-%d → city-%d): a new leader's allowances start full", leader+1, l+1)
		allowed *= 2
	}
	if a.decided > allowed {
		t.Fatalf("%d changes decided for the box against a limit of %d an hour (%d allowed so far): a node counts only its own", a.decided, advLimit, allowed)
	}
	t.Logf("flood over three city nodes: %d changes decided in all (allowance %d), then 429 with Retry-After from every node", a.decided, allowed)
}

// revokedCertificates: city IT revokes the admin certificate and a city
// node's with the fleet CA; both are refused at once, and city IT goes on
// with a new admin certificate.
func (a *adversary) revokedCertificates() {
	t, c := a.t, a.c
	admin := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: certs.ClientTLS(a.pki.Admin(), a.pki.RootPool())}}
	oldAdmin := certs.Serial(a.pki.Admin().Leaf)
	xanode(t, "pki", "admin", "--pki", c.pki)
	city3 := filepath.Join(c.pki, certs.NodesDir, "city-3.crt")
	xanode(t, "pki", "revoke", "--pki", c.pki, "--serial", oldAdmin, "--cert", city3,
		"--reason", "laptop lost; city-3 retired", "--city", c.url(c.waitLeader()))
	waitFor(t, "the old admin certificate to be refused", 10*time.Second, func() bool {
		_, err := admin.Get(c.url(0) + "/v1/status")
		admin.CloseIdleConnections()
		return err != nil
	})
	fresh, err := certs.Load(c.pki)
	if err != nil {
		t.Fatal(err)
	}
	c.admin = &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{TLSClientConfig: certs.ClientTLS(fresh.Admin(), fresh.RootPool())}}
	// city-3 is cut off: the others go on without it.
	before, err := c.status(2)
	if err != nil {
		t.Fatal(err)
	}
	l := c.waitLeader()
	if l == 2 {
		t.Log("city-3 led: the others elect a new leader")
		waitFor(t, "a leader other than city-3", 30*time.Second, func() bool { i := c.leader(); return i == 0 || i == 1 })
		l = c.leader()
	}
	runEnv(t, "XANODE_PASSWORD=mật khẩu cán bộ hai", "fleet", "--city", c.url(l), "--pki", c.pki,
		"officer", "add", "--commune", advHome, "--user", "canbo02", "--name", "Lê Văn Hai")
	st, _ := c.status(l)
	after, _ := c.status(2)
	if st.AppliedIndex <= before.AppliedIndex || after.AppliedIndex > before.AppliedIndex+1 {
		t.Fatalf("city-3 kept replicating after its certificate was revoked: %d → %d (leader at %d)", before.AppliedIndex, after.AppliedIndex, st.AppliedIndex)
	}
	t.Logf("revoked admin certificate refused; revoked city-3 stays at index %d while the others reach %d", after.AppliedIndex, st.AppliedIndex)
}

// runEnv runs the binary with extra environment and requires success.
func runEnv(t *testing.T, env string, args ...string) string {
	t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Env = append(cmd.Environ(), env)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("xanode %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// readProof reads a card at the desk as the office does for a visitor:
// PACE with the CAN, and the chip's signature over challenge.
func (a *adversary) readProof(dir, id string, challenge []byte) *presence.Proof {
	a.t.Helper()
	card, err := cardtool.LoadCard(dir, emulator.Options{QuirkCCCD: true})
	if err != nil {
		a.t.Fatal(err)
	}
	res, err := reader.Config{AAChallenge: challenge}.Read(context.Background(), card, reader.CAN(id[6:]))
	if err != nil {
		a.t.Fatal(err)
	}
	p, err := res.Proof()
	if err != nil {
		a.t.Fatal(err)
	}
	return p
}

func (a *adversary) challenge() []byte {
	a.t.Helper()
	code, b := a.call(a.edge, "POST", a.c.url(1)+"/v1/presence/challenge", "", nil)
	var ch wire.Challenge
	if code != http.StatusOK || json.Unmarshal(b, &ch) != nil {
		a.t.Fatalf("challenge: %d %s", code, b)
	}
	raw, _ := hex.DecodeString(ch.Challenge)
	return raw
}

// prove sends a proof naming citizen and challenge.
func (a *adversary) prove(citizen string, challenge []byte, p *presence.Proof) (int, []byte, wire.PresenceResponse) {
	a.t.Helper()
	raw, err := p.Marshal()
	if err != nil {
		a.t.Fatal(err)
	}
	return a.proveRaw(citizen, challenge, raw)
}

func (a *adversary) proveRaw(citizen string, challenge, raw []byte) (int, []byte, wire.PresenceResponse) {
	a.t.Helper()
	body, _ := json.Marshal(wire.PresenceRequest{Citizen: citizen, Challenge: hex.EncodeToString(challenge), Proof: raw})
	code, b := a.call(a.edge, "POST", a.c.url(2)+"/v1/presence", "application/json", body)
	var r wire.PresenceResponse
	json.Unmarshal(b, &r)
	return code, b, r
}

// proofsOfPresence: a visitor's chip at the desk lets the office serve
// her — once per challenge, for her only, with the chip's own data — and
// nothing else does.
func (a *adversary) proofsOfPresence(withAA, withoutAA string) {
	t := a.t
	ch := a.challenge()
	good := a.readProof(withAA, advOutsider, ch)
	a.nothingWritten("refused proofs of presence", func() {
		stale := a.readProof(withAA, advOutsider, []byte("12345678"))
		code, b, _ := a.prove(advOutsider, ch, stale)
		a.expect("a signature over another challenge", code, b, http.StatusForbidden, "challenge")
		code, b, _ = a.prove(advResident, ch, good)
		a.expect("another citizen's chip", code, b, http.StatusForbidden, "not "+advResident)
		tampered := *good
		tampered.DG13 = bytes.Replace(good.DG13, []byte("Bình"), []byte("Bính"), 1)
		code, b, _ = a.prove(advOutsider, ch, &tampered)
		a.expect("chip data altered after the read", code, b, http.StatusForbidden, "not authentic")
		code, b, _ = a.proveRaw(advOutsider, ch, []byte("XNPP\x01garbage"))
		a.expect("garbage for a proof", code, b, http.StatusBadRequest, "proof")
	})
	code, b, r := a.prove(advOutsider, ch, good)
	if code != http.StatusOK || !r.AA || r.Record == nil || r.Record.ID != advOutsider {
		t.Fatalf("a genuine proof: %d %s", code, b)
	}
	t.Logf("genuine proof with the chip's signature: record released, grant until %s", r.Until.Format(time.RFC3339))
	a.nothingWritten("a replayed proof", func() {
		code, b, _ := a.prove(advOutsider, ch, good)
		a.expect("the same proof again", code, b, http.StatusConflict, "already used")
	})
	temp := []registry.FieldValue{{Field: registry.FieldTemporaryAddress, Value: "5 Nguyễn Trãi"}, {Field: registry.FieldTemporaryUntil, Value: "2027-06-30"}}
	if o := a.push(a.change(registry.OpRegisterTemporary, advOutsider, "canbo01", temp...)); o.Result != registry.Applied {
		t.Fatalf("the visitor's temporary residence: %+v", o)
	}
	// A card without active authentication proves authentic data, not
	// presence: no record, and the change waits for city IT.
	ch = a.challenge()
	code, b, r = a.prove(advNoAA, ch, a.readProof(withoutAA, advNoAA, ch))
	if code != http.StatusOK || r.AA || !r.Review || r.Record != nil {
		t.Fatalf("a proof without active authentication: %d %s", code, b)
	}
	if o := a.push(a.change(registry.OpRegisterTemporary, advNoAA, "canbo01", temp...)); o.Result != registry.NeedsReview {
		t.Fatalf("her temporary residence: %+v", o)
	}
	t.Log("a card without active authentication: data verified, no record released, the change goes to review")

	// The files of a card with active authentication, sent again without
	// the city's challenge, as an office sends a read it made offline:
	// verified data, no record, and the box's grant for her is one for
	// review from then on (a replay gains nothing an office offline has
	// not).
	code, b, r = a.prove(advOutsider, nil, good)
	if code != http.StatusOK || r.AA || !r.Review || r.Record != nil {
		t.Fatalf("an active-authentication card's files without a challenge: %d %s", code, b)
	}
	if o := a.push(a.change(registry.OpRegisterTemporary, advOutsider, "canbo01", temp...)); o.Result != registry.NeedsReview {
		t.Fatalf("a change backed by a replay without a challenge: %+v", o)
	}
	t.Log("a card's files sent again without the city's challenge: no record, and the change goes to review")
}
