package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/xanode/xanode/certs"
	"github.com/xanode/xanode/node"
	"github.com/xanode/xanode/sync/api"
)

// TestFleetProcesses is city IT's day with separate processes: two edge
// boxes enroll by token, one is revoked and refused at once, the other is
// reassigned to another commune (old subset purged, new one pulled), and
// certificates with a short lifetime are renewed before they expire.
func TestFleetProcesses(t *testing.T) {
	if testing.Short() {
		t.Skip("system test")
	}
	dir := t.TempDir()
	pkiDir := filepath.Join(dir, "pki")
	xanode(t, "pki", "init", "--out", pkiDir)
	pki, err := certs.Load(pkiDir)
	if err != nil {
		t.Fatal(err)
	}
	admin := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: certs.ClientTLS(pki.Admin(), pki.RootPool())}}
	apiAddr := freeAddr(t)
	city := "https://" + apiAddr
	const lifetime = 12 * time.Second
	start(t, "city-1", "city", "--id", "city-1", "--data", filepath.Join(dir, "city-1"), "--raft", freeAddr(t), "--api", apiAddr,
		"--pki", pkiDir, "--raft-heartbeat", "200ms", "--bootstrap", "--edge-cert-lifetime", lifetime.String())
	waitFor(t, "the city to lead", 20*time.Second, func() bool {
		var st cityStatus
		return getJSON(admin, city+"/v1/status", &st) == nil && st.IsLeader
	})
	counts := map[string]int{"92101": 300, "92102": 200, "92103": 150}
	for commune, n := range counts {
		f := filepath.Join(dir, commune+".jsonl")
		xanode(t, "gen", "--commune", commune, "--citizens", strconv.Itoa(n), "--out", f)
		xanode(t, "city", "import", "--city", city, "--file", f, "--pki", pkiDir)
	}

	tokenRE := regexp.MustCompile(`xn1_[A-Za-z0-9_-]+`)
	type box struct {
		node, commune, dir, ui string
		proc                   *proc
	}
	boxes := []*box{{node: "edge-92101", commune: "92101"}, {node: "edge-92102", commune: "92102"}}
	for _, b := range boxes {
		out := xanode(t, "fleet", "--city", city, "--pki", pkiDir, "token", "--commune", b.commune)
		tok := tokenRE.FindString(out)
		if tok == "" || !strings.Contains(out, "xanode edge enroll") {
			t.Fatalf("fleet token printed no token and command:\n%s", out)
		}
		b.dir = filepath.Join(dir, b.node)
		enroll := []string{"edge", "enroll", "--data", b.dir, "--city", city, "--token", tok}
		if b == boxes[1] {
			// This box serves its officer UI over HTTPS on the "LAN".
			enroll = append(enroll, "--ui-host", "127.0.0.1,canbo.xuankhanh.lan")
		}
		if out := xanode(t, enroll...); !strings.Contains(out, "enrolled "+b.node) {
			t.Fatalf("enroll: %s", out)
		}
		if _, err := exec.Command(binary, "edge", "enroll", "--data", filepath.Join(dir, "again"), "--city", city, "--token", tok).CombinedOutput(); err == nil {
			t.Fatal("a token worked twice")
		}
		b.ui = freeAddr(t)
		// Long timers: what happens next must come from the city's
		// notifications over the stream, and from the certificate's age.
		b.proc = start(t, b.node, "edge", "--data", b.dir, "--listen", b.ui, "--pull-every", "1h", "--fleet-every", "1h")
	}
	// An office PC that trusts the city root.
	officePC := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pki.RootPool()}}}
	base := func(b *box) string {
		if b == boxes[1] {
			return "https://" + b.ui
		}
		return "http://" + b.ui
	}
	status := func(b *box) edgeStatus {
		var es edgeStatus
		getJSON(officePC, base(b)+"/v1/status", &es)
		return es
	}
	for _, b := range boxes {
		waitFor(t, b.node+"'s subset", 30*time.Second, func() bool { return status(b).Citizens == uint64(counts[b.commune]) })
	}
	// Telemetry arrives over the stream and lands in the fleet state.
	// The first sample goes at connect; under load it may miss raft, and the
	// next comes 30 s later (sync/stream: TelemetryEvery).
	waitFor(t, "telemetry from both boxes", 75*time.Second, func() bool {
		var nodes []api.FleetNode
		if getJSON(admin, city+"/v1/admin/nodes", &nodes) != nil {
			return false
		}
		seen := 0
		for _, n := range nodes {
			if n.Telemetry != nil && n.Telemetry.Software != "" && n.Telemetry.SubsetVersion > 0 && n.Telemetry.DiskFree > 0 {
				seen++
			}
		}
		return seen == 2
	})

	// Both ends expose what the alerts need.
	if resp, err := http.Get("http://" + boxes[1].ui + "/healthz"); err == nil {
		resp.Body.Close()
		if resp.StatusCode == http.StatusOK {
			t.Error("the HTTPS box served plain HTTP")
		}
	}
	resp, err := officePC.Get(base(boxes[1]) + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	edgeMetrics, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{"xanode_edge_stream_connected 1\n", "xanode_edge_subset_records 200\n", "xanode_edge_outbox 0\n"} {
		if !strings.Contains(string(edgeMetrics), want) {
			t.Errorf("edge metrics lack %q:\n%s", want, edgeMetrics)
		}
	}

	// Revocation: the revoked box's next handshake is refused, at once,
	// and the box locks itself and destroys its key slots within seconds.
	// (Its key is taken first, as a thief who had unlocked it would.)
	revoked := boxes[0]
	cert := unsealedPair(t, revoked.dir)
	revokedAt := time.Now()
	xanode(t, "fleet", "--city", city, "--pki", pkiDir, "revoke", revoked.node, "box stolen from the office")
	waitFor(t, "the revoked box to lock", 10*time.Second, func() bool { return status(revoked).Locked == "revoked" })
	tookToLock := time.Since(revokedAt)
	waitFor(t, "the revoked box's key slots and sealed key to go", 5*time.Second, func() bool {
		_, err1 := os.Stat(filepath.Join(revoked.dir, "keyslots"))
		_, err2 := os.Stat(filepath.Join(revoked.dir, "edge.key.sealed"))
		return os.IsNotExist(err1) && os.IsNotExist(err2)
	})
	t.Logf("from `xanode fleet revoke` to the box locked: %v (the command's own start included)", tookToLock.Round(time.Millisecond))
	if st := status(revoked); st.Citizens != 0 || st.LockReason != "box stolen from the office" {
		t.Fatalf("the revoked box still says %+v", st)
	}
	stolen := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{TLSClientConfig: certs.ClientTLS(cert, pki.RootPool())}}
	if resp, err := stolen.Get(city + "/v1/whoami"); err == nil {
		resp.Body.Close()
		t.Fatalf("the revoked box was served right after the revocation: %s", resp.Status)
	}
	var nodes []api.FleetNode
	if err := getJSON(admin, city+"/v1/admin/nodes", &nodes); err != nil {
		t.Fatal(err)
	}
	states := map[string]string{}
	for _, n := range nodes {
		states[n.ID] = n.State
	}
	if states[revoked.node] != "revoked" || states[boxes[1].node] != "active" {
		t.Fatalf("fleet states after revocation: %v", states)
	}
	resp, err = admin.Get(city + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	cityMetrics, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(cityMetrics), `xanode_fleet_nodes{state="revoked"} 1`) {
		t.Errorf("city metrics do not count the revoked node:\n%s", cityMetrics)
	}
	if out := xanode(t, "fleet", "--city", city, "--pki", pkiDir, "nodes"); !strings.Contains(out, "box stolen") {
		t.Fatalf("fleet nodes does not show the reason:\n%s", out)
	}
	waitFor(t, "the revoked box to log it", 10*time.Second, func() bool {
		return strings.Contains(revoked.proc.out.String(), "REVOKED by the city")
	})

	// Reassignment: the box purges 92102 and pulls 92103.
	moved := boxes[1]
	xanode(t, "fleet", "--city", city, "--pki", pkiDir, "assign", moved.node, "92103")
	waitFor(t, "the reassigned box to hold 92103", 30*time.Second, func() bool {
		es := status(moved)
		return len(es.Communes) == 1 && es.Communes[0] == "92103" && es.Citizens == uint64(counts["92103"])
	})
	if !strings.Contains(moved.proc.out.String(), "store rewritten under a new key") {
		t.Error("the reassigned box did not rewrite its store under a new key")
	}
	var id struct{ Commune string }
	readJSONFile(t, filepath.Join(moved.dir, "identity.json"), &id)
	if id.Commune != "92103" {
		t.Fatalf("identity.json still names %s", id.Commune)
	}

	// Renewal: the certificate is replaced before it expires, and the box
	// keeps syncing past the first certificate's expiry.
	firstUI, err := tls.LoadX509KeyPair(filepath.Join(moved.dir, "ui.crt"), filepath.Join(moved.dir, "ui.key"))
	if err != nil {
		t.Fatal(err)
	}
	first := leafOf(t, filepath.Join(moved.dir, "edge.crt"))
	firstSealed, _ := os.ReadFile(filepath.Join(moved.dir, "edge.key.sealed"))
	waitFor(t, "a renewed certificate", 2*lifetime, func() bool {
		b, _ := os.ReadFile(filepath.Join(moved.dir, "edge.key.sealed"))
		return leafOf(t, filepath.Join(moved.dir, "edge.crt")).NotAfter.After(first.NotAfter) && !bytes.Equal(b, firstSealed)
	})
	if !time.Now().Before(first.NotAfter) {
		t.Fatalf("renewed only after the old certificate expired (%s)", first.NotAfter)
	}
	waitFor(t, "a renewed UI certificate", 5*time.Second, func() bool {
		c, err := tls.LoadX509KeyPair(filepath.Join(moved.dir, "ui.crt"), filepath.Join(moved.dir, "ui.key"))
		return err == nil && c.Leaf.NotAfter.After(firstUI.Leaf.NotAfter) && slices.Contains(c.Leaf.DNSNames, "canbo.xuankhanh.lan")
	})
	time.Sleep(time.Until(first.NotAfter) + time.Second)
	xanode(t, "fleet", "--city", city, "--pki", pkiDir, "assign", moved.node, "92101")
	waitFor(t, "the box to follow another reassignment after the first certificate expired", 30*time.Second, func() bool {
		es := status(moved)
		return len(es.Communes) == 1 && es.Communes[0] == "92101" && es.Citizens == uint64(counts["92101"])
	})
	if !strings.Contains(moved.proc.out.String(), "node certificate renewed") {
		t.Fatal("the edge did not log its renewal")
	}

	// City IT's dashboard, through `xanode fleet ui` and its login link.
	uiAddr := freeAddr(t)
	ui := start(t, "fleet-ui", "fleet", "--city", city, "--pki", pkiDir, "ui", "--listen", uiAddr)
	linkRE := regexp.MustCompile(`http://` + regexp.QuoteMeta(uiAddr) + `/\S+`)
	var link string
	waitFor(t, "the login link", 10*time.Second, func() bool { link = linkRE.FindString(ui.out.String()); return link != "" })
	jar, _ := cookiejar.New(nil)
	browser := &http.Client{Jar: jar, Timeout: 10 * time.Second}
	resp, err = browser.Get(link)
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{revoked.node, moved.node} {
		if resp.StatusCode != http.StatusOK || !strings.Contains(string(page), want) {
			t.Fatalf("dashboard (%s) does not list %s:\n%s", resp.Status, want, tail(string(page), 2000))
		}
	}
	if resp, err := http.Get(link); err == nil {
		resp.Body.Close()
		if resp.StatusCode == http.StatusOK {
			t.Fatal("the login link worked twice")
		}
	}
	if _, err := runCmd("fleet", "--city", city, "--pki", pkiDir, "ui", "--listen", "0.0.0.0:0"); err == nil {
		t.Fatal("the fleet UI agreed to listen beyond loopback")
	}
}

// leafOf reads the first certificate of a PEM file.
func leafOf(t *testing.T, path string) *x509.Certificate {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	chain, err := certs.ParseChainPEM(b)
	if err != nil || len(chain) == 0 {
		t.Fatalf("%s: %v", path, err)
	}
	return chain[0]
}

// unsealedPair opens a running box's sealed node key as a thief who
// unlocked a copy of its folder through the city would: the folder's
// files copied, the copy's key slots opened by the city.
func unsealedPair(t *testing.T, dir string) tls.Certificate {
	t.Helper()
	cp := t.TempDir()
	for _, f := range []string{"keyslots", "edge.key.sealed", "edge.crt", "root.crt", "identity.json"} {
		b, err := os.ReadFile(filepath.Join(dir, f))
		if err != nil {
			t.Fatal(err)
		}
		writeFile(t, filepath.Join(cp, f), string(b))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	o, err := node.OpenOffline(ctx, cp, node.Unlock{})
	if err != nil {
		t.Fatal(err)
	}
	defer o.Close()
	sealed, _ := os.ReadFile(filepath.Join(cp, "edge.key.sealed"))
	keyPEM, err := o.Vault.Open("edge.key", sealed)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := tls.X509KeyPair(must(os.ReadFile(filepath.Join(cp, "edge.crt"))), keyPEM)
	if err != nil {
		t.Fatal(err)
	}
	return cert
}

func must(b []byte, err error) []byte {
	if err != nil {
		panic(err)
	}
	return b
}

func runCmd(args ...string) ([]byte, error) { return exec.Command(binary, args...).CombinedOutput() }

func readJSONFile(t *testing.T, path string, v any) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatal(err)
	}
}
