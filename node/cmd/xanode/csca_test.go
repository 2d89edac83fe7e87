package main

import (
	"bufio"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/json"
	"encoding/pem"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/xanode/xanode/reader/emulator"
	"github.com/xanode/xanode/reader/trust"
	"github.com/xanode/xanode/reader/trust/trusttest"
	"github.com/xanode/xanode/reader/vncard"
)

// countryPKI is the test country: its CSCA, configured as the city's
// master-list signer, a Master List Signer it issued, and the card
// folder of one resident, whose CSCA the edge does not hold.
type countryPKI struct {
	pki      *emulator.TestPKI
	mls      *trusttest.Authority
	cscaFile string // the CSCA, PEM: what --ml-signer names
	card     string // the card folder, without csca.pem
}

func newCountryPKI(t *testing.T, dir string, person emulator.Person) *countryPKI {
	t.Helper()
	p, err := emulator.NewTestPKIWith(time.Now(), emulator.VietnamPKI)
	if err != nil {
		t.Fatal(err)
	}
	mlsKey, err := trusttest.GenerateKey("P-256")
	if err != nil {
		t.Fatal(err)
	}
	mls, err := p.Authority.Issue(trusttest.Template{Subject: pkix.Name{Country: []string{"VN"}, CommonName: "xanode test Master List Signer"},
		ExtKeyUsage: []asn1.ObjectIdentifier{trusttest.OIDMasterListSigning}}, mlsKey)
	if err != nil {
		t.Fatal(err)
	}
	c := &countryPKI{pki: p, mls: mls, cscaFile: filepath.Join(dir, "vn-csca.pem"), card: filepath.Join(dir, "card")}
	os.WriteFile(c.cscaFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: p.CSCA}), 0o644)
	chip, err := emulator.NewChipKeys(true, true)
	if err != nil {
		t.Fatal(err)
	}
	if err := emulator.WriteCard(c.card, person, p, chip, true); err != nil {
		t.Fatal(err)
	}
	// The edge must learn this CSCA from the city, not from the card.
	if err := os.Remove(filepath.Join(c.card, "csca.pem")); err != nil {
		t.Fatal(err)
	}
	return c
}

// firstCardHolder is a resident of the generated population with a card.
func firstCardHolder(t *testing.T, pop string) emulator.Person {
	t.Helper()
	f, err := os.Open(pop)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var r struct {
			ID     string            `json:"id"`
			Fields map[string]string `json:"fields"`
		}
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatal(err)
		}
		f := r.Fields
		if f["card_expiry"] == "" || f["card_issued"] == "" {
			continue
		}
		date := func(s string) vncard.Date {
			d, err := vncard.ParseDate(s)
			if err != nil {
				t.Fatalf("%s: %v", s, err)
			}
			return d
		}
		return emulator.Person{ID: r.ID, FullName: f["full_name"], DateOfBirth: date(f["birth_date"]), Sex: f["sex"],
			IssueDate: date(f["card_issued"]), ExpiryDate: date(f["card_expiry"]), Nationality: f["nationality"],
			Ethnicity: f["ethnicity"], Religion: f["religion"], Hometown: f["hometown"], Residence: f["permanent_address"],
			Father: f["father_name"], Mother: f["mother_name"]}
	}
	t.Fatal("no resident with a card in the population")
	return emulator.Person{}
}

// reads returns the edge's count of card reads that succeeded with an
// assurance level.
func reads(t *testing.T, ui, assurance string) int {
	t.Helper()
	resp, err := http.Get("http://" + ui + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	// Labels in name order, as the client library writes them.
	m := regexp.MustCompile(`xanode_reader_reads_total\{detail="` + regexp.QuoteMeta(assurance) + `",result="ok"\} (\d+)`).FindSubmatch(b)
	if m == nil {
		return 0
	}
	n, _ := strconv.Atoi(string(m[1]))
	return n
}

// TestCSCATrustListProcesses: city IT loads a master list and then a CRL
// at the city; a running edge, reading a card whose CSCA is in none of
// its files, verifies the card's signature once the list reaches it, and
// fails it once the CRL revoking the card's Document Signer does, without
// a restart.
func TestCSCATrustListProcesses(t *testing.T) {
	if testing.Short() {
		t.Skip("system test")
	}
	dir := t.TempDir()
	const commune = "92101"
	pop := filepath.Join(dir, "pop.jsonl")
	xanode(t, "gen", "--commune", commune, "--citizens", "30", "--out", pop)
	vn := newCountryPKI(t, dir, firstCardHolder(t, pop))

	c := startCluster(t, "--ml-signer", vn.cscaFile)
	city := c.url(0)
	fleet := func(stdin string, args ...string) (string, error) {
		cmd := exec.Command(binary, append([]string{"fleet", "--city", city, "--pki", c.pki}, args...)...)
		cmd.Stdin = strings.NewReader(stdin)
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	xanode(t, "city", "import", "--city", city, "--file", pop, "--pki", c.pki)
	const password = "Mật khẩu của Lan 2026"
	out, err := fleet(password+"\n", "officer", "add", "--commune", commune, "--user", "lan", "--name", "Trần Thị Lan")
	if err != nil {
		t.Fatalf("officer add: %v\n%s", err, out)
	}
	added := subsetVersionIn(t, out)
	tok := regexp.MustCompile(`xn1_[A-Za-z0-9_-]+`).FindString(xanode(t, "fleet", "--city", city, "--pki", c.pki, "token", "--commune", commune))
	edgeDir := filepath.Join(dir, "edge")
	xanode(t, "edge", "enroll", "--data", edgeDir, "--city", city, "--token", tok)
	ui := freeAddr(t)
	// An hour between pulls: the trust list must come from the city's
	// notification over the stream.
	edge := start(t, "edge", "edge", "--data", edgeDir, "--listen", ui, "--emulate-card", vn.card, "--pull-every", "1h", "--fleet-every", "1h")
	var es struct {
		SubsetVersion uint64 `json:"subset_version"`
		TrustVersion  uint64 `json:"trust_version"`
	}
	status := func() bool { return getJSON(http.DefaultClient, "http://"+ui+"/v1/status", &es) == nil }
	waitFor(t, "the edge's subset with the officer", 60*time.Second, func() bool { return status() && es.SubsetVersion >= added })

	jar, _ := cookiejar.New(nil)
	o := &officer{t: t, base: "http://" + ui, c: &http.Client{Jar: jar, Timeout: 60 * time.Second}}
	code, home := o.submit(o.get("/login"), "/login", url.Values{"user": {"lan"}, "password": {password}, "next": {"/"}})
	if code != http.StatusOK {
		t.Fatalf("login: %d\n%s", code, home)
	}
	tap := func(want string) string {
		t.Helper()
		before := reads(t, ui, want)
		code, page := o.submit(home, "/tap", url.Values{})
		if code != http.StatusOK || reads(t, ui, want) != before+1 {
			t.Fatalf("tap: %d, want a read at %s\n%s", code, want, tail(page, 3000))
		}
		return page
	}
	if page := tap("chip-read"); !strings.Contains(page, "Đã đọc chip (chưa xác thực chữ ký)") {
		t.Fatal("before the city's list the card's signature was checked")
	}

	// A master list signed by someone the city did not configure is
	// refused, and nothing reaches the edge.
	strangerKey, _ := trusttest.GenerateKey("P-256")
	stranger, _ := trusttest.NewCA(trusttest.Template{Subject: pkix.Name{Country: []string{"VN"}, CommonName: "Impostor"}}, strangerKey)
	forged, err := trusttest.MasterList(stranger, vn.pki.CSCA)
	if err != nil {
		t.Fatal(err)
	}
	forgedFile := filepath.Join(dir, "forged.ml")
	os.WriteFile(forgedFile, forged, 0o644)
	if out, err := fleet("", "csca", "add", "--file", forgedFile); err == nil || !strings.Contains(out, "Impostor") {
		t.Fatalf("a master list under an unconfigured signer: %v\n%s", err, out)
	}

	// City IT loads the country's master list: the edge verifies the card.
	ml, err := trusttest.MasterList(vn.mls, vn.pki.CSCA)
	if err != nil {
		t.Fatal(err)
	}
	mlFile := filepath.Join(dir, "vn.ml")
	os.WriteFile(mlFile, ml, 0o644)
	loaded := time.Now()
	if out, err := fleet("", "csca", "add", "--file", mlFile, "--source", "test master list"); err != nil || !strings.Contains(out, "1 added") {
		t.Fatalf("csca add master list: %v\n%s", err, out)
	}
	waitFor(t, "the edge to install the trust list", 30*time.Second, func() bool { return status() && es.TrustVersion > 0 })
	t.Logf("trust list on the edge %v after `fleet csca add`", time.Since(loaded).Round(time.Millisecond))
	first := es.TrustVersion
	if page := tap("chip-cloning-checked"); !strings.Contains(page, "Đã xác thực chữ ký chip và kiểm tra chống sao chép") {
		t.Fatal("the card's signature is not shown as verified")
	}

	// City IT loads the CSCA's CRL revoking the card's Document Signer:
	// the next read of the same card fails passive authentication.
	ds, err := trust.ParseCertificate(vn.pki.DocumentSigner.Cert)
	if err != nil {
		t.Fatal(err)
	}
	crl, err := vn.pki.Authority.CRL(time.Now().Add(-time.Minute), time.Now().AddDate(0, 0, 30), ds.SerialNumber)
	if err != nil {
		t.Fatal(err)
	}
	crlFile := filepath.Join(dir, "vn.crl")
	os.WriteFile(crlFile, pem.EncodeToMemory(&pem.Block{Type: "X509 CRL", Bytes: crl}), 0o644)
	if out, err := fleet("", "csca", "add", "--file", crlFile); err != nil || !strings.Contains(out, "1 added") {
		t.Fatalf("csca add CRL: %v\n%s", err, out)
	}
	waitFor(t, "the edge to install the CRL", 30*time.Second, func() bool { return status() && es.TrustVersion > first })
	if page := tap("chip-read"); strings.Contains(page, "Đã xác thực chữ ký") || !strings.Contains(page, "was revoked on") {
		t.Fatalf("a card of a revoked Document Signer still verifies, or the page does not say it was revoked:\n%s", tail(page, 3000))
	}
	if edge.cmd.ProcessState != nil {
		t.Fatal("the edge restarted")
	}

	out, err = fleet("", "csca", "list")
	if err != nil || !strings.Contains(out, "test master list") || !strings.Contains(out, "CN=xanode test CSCA") || strings.Contains(out, "STALE") {
		t.Fatalf("csca list: %v\n%s", err, out)
	}
	if out, err := fleet("", "csca", "add", "--file", vn.cscaFile); err == nil || !strings.Contains(out, "single certificate") {
		t.Fatalf("a lone certificate was taken: %v\n%s", err, out)
	}
}
