package main

import (
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

	"github.com/xanode/xanode/certs"
)

// TestOfficerAccountsProcesses is an officer account's life with separate
// processes: city IT adds it with `fleet officer add`, the enrolled edge
// hears of it over its stream and installs it within seconds, the officer
// logs in to the officer UI over HTTP and stays logged in across a
// restart of the edge, and `fleet officer disable` ends the session and
// refuses the next login.
func TestOfficerAccountsProcesses(t *testing.T) {
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
	api := freeAddr(t)
	city := "https://" + api
	start(t, "city-1", "city", "--id", "city-1", "--data", filepath.Join(dir, "city-1"), "--raft", freeAddr(t), "--api", api,
		"--pki", pkiDir, "--raft-heartbeat", "200ms", "--bootstrap")
	waitFor(t, "the city to lead", 20*time.Second, func() bool {
		var st cityStatus
		return getJSON(admin, city+"/v1/status", &st) == nil && st.IsLeader
	})
	const commune = "92101"
	pop := filepath.Join(dir, "pop.jsonl")
	xanode(t, "gen", "--commune", commune, "--citizens", "50", "--out", pop)
	xanode(t, "city", "import", "--city", city, "--file", pop, "--pki", pkiDir)
	tok := regexp.MustCompile(`xn1_[A-Za-z0-9_-]+`).FindString(xanode(t, "fleet", "--city", city, "--pki", pkiDir, "token", "--commune", commune))
	edgeDir := filepath.Join(dir, "edge")
	xanode(t, "edge", "enroll", "--data", edgeDir, "--city", city, "--token", tok)
	ui := freeAddr(t)
	// An hour between pulls: the account must come from the city's
	// notification over the stream.
	edgeArgs := []string{"edge", "--data", edgeDir, "--listen", ui, "--pull-every", "1h", "--fleet-every", "1h"}
	edgeProc := start(t, "edge", edgeArgs...)
	version := func() uint64 {
		var es edgeStatus
		getJSON(http.DefaultClient, "http://"+ui+"/v1/status", &es)
		return es.SubsetVersion
	}
	waitFor(t, "the edge's subset", 30*time.Second, func() bool { return version() > 0 })

	fleet := func(stdin string, env []string, args ...string) (string, error) {
		cmd := exec.Command(binary, append([]string{"fleet", "--city", city, "--pki", pkiDir}, args...)...)
		cmd.Stdin = strings.NewReader(stdin)
		cmd.Env = append(os.Environ(), env...)
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	const password = "Mật khẩu của Lan 2026"
	add := []string{"officer", "add", "--commune", commune, "--user", "lan", "--name", "Trần Thị Lan"}
	if out, err := fleet("ngắn\n", nil, add...); err == nil || !strings.Contains(out, "at least 10") {
		t.Fatalf("a short password was taken: %v\n%s", err, out)
	}
	out, err := fleet(password+"\n", nil, add...)
	if err != nil {
		t.Fatalf("officer add: %v\n%s", err, out)
	}
	added := subsetVersionIn(t, out)
	sent := time.Now()
	waitFor(t, "the edge to install the account", 10*time.Second, func() bool { return version() >= added })
	t.Logf("account on the edge %v after `fleet officer add`", time.Since(sent).Round(time.Millisecond))

	jar, _ := cookiejar.New(nil)
	browser := &http.Client{Jar: jar, Timeout: 30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	base := "http://" + ui
	page := func(path string) (int, string) {
		resp, err := browser.Get(base + path)
		if err != nil {
			t.Fatalf("GET %s: %v", path, err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	login := func(pwd string) int {
		_, form := page("/login")
		m := csrfField.FindStringSubmatch(form)
		if m == nil {
			t.Fatalf("no CSRF token on the login form:\n%s", form)
		}
		resp, err := browser.PostForm(base+"/login", url.Values{"csrf": {m[1]}, "user": {"lan"}, "password": {pwd}})
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if code := login("sai mật khẩu rồi"); code != http.StatusUnauthorized {
		t.Fatalf("a wrong password: %d", code)
	}
	if code := login(password); code != http.StatusSeeOther {
		t.Fatalf("login with the city account: %d", code)
	}
	if code, home := page("/"); code != http.StatusOK || !strings.Contains(home, "Trần Thị Lan") {
		t.Fatalf("home after login: %d", code)
	}

	// The edge restarts: the officer is still logged in.
	edgeProc.stop(t)
	edgeProc = start(t, "edge-again", edgeArgs...)
	waitFor(t, "the edge to come back", 20*time.Second, func() bool { return version() >= added })
	if code, home := page("/"); code != http.StatusOK || !strings.Contains(home, "Trần Thị Lan") {
		t.Fatalf("the session did not survive the edge's restart: %d", code)
	}

	out, err = fleet("", nil, "officer", "disable", "--commune", commune, "--user", "lan")
	if err != nil {
		t.Fatalf("officer disable: %v\n%s", err, out)
	}
	disabled := subsetVersionIn(t, out)
	waitFor(t, "the edge to install the disabled account", 10*time.Second, func() bool { return version() >= disabled })
	if code, _ := page("/"); code != http.StatusSeeOther {
		t.Fatalf("the disabled officer's session goes on: %d", code)
	}
	// The edge logs the removal as it installs the subset; the version
	// above can be seen a moment before the line is written.
	waitFor(t, "the disabled officer's key slot to be removed", 10*time.Second, func() bool {
		return strings.Contains(edgeProc.out.String(), "key slots of changed or removed officer accounts removed")
	})
	if code := login(password); code != http.StatusUnauthorized {
		t.Fatalf("the disabled officer logged in: %d", code)
	}
	out, err = fleet("", nil, "officers", "--commune", commune)
	if err != nil || !regexp.MustCompile(`lan\s+officer\s+disabled`).MatchString(out) || strings.Contains(out, "hash") {
		t.Fatalf("officers: %v\n%s", err, out)
	}
	if _, err := fleet("", []string{"XANODE_PASSWORD=" + password}, "officer", "add", "--commune", commune, "--user", "Lan", "--name", "Lan"); err == nil {
		t.Fatal("an invalid user name was taken")
	}
}

// subsetVersionIn reads the subset version `fleet officer` printed.
func subsetVersionIn(t *testing.T, out string) uint64 {
	t.Helper()
	m := regexp.MustCompile(`subset version (\d+)`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no subset version in:\n%s", out)
	}
	v, _ := strconv.ParseUint(m[1], 10, 64)
	return v
}
