package main

import (
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/xanode/xanode/certs"
)

// TestDecisionAfterReviewProcesses: a birth recorded twice goes to review
// at the city; city IT accepts it with `xanode fleet resolve`, and the
// edge, told over its stream, shows the decision in its queue, gives the
// officer a notice and leads the provisional ID to the final record.
// Another goes to review and is rejected while the edge is stopped: the
// edge learns it when it starts again, without any stream message.
func TestDecisionAfterReviewProcesses(t *testing.T) {
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
	const password = "Mật khẩu của Lan 2026"
	fleet := func(args ...string) string {
		t.Helper()
		cmd := exec.Command(binary, append([]string{"fleet", "--city", city, "--pki", pkiDir}, args...)...)
		cmd.Env = append(os.Environ(), "XANODE_PASSWORD="+password)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("fleet %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return string(out)
	}
	fleet("officer", "add", "--commune", commune, "--user", "lan", "--name", "Trần Thị Lan")
	tok := regexp.MustCompile(`xn1_[A-Za-z0-9_-]+`).FindString(fleet("token", "--commune", commune))
	edgeDir := filepath.Join(dir, "edge")
	xanode(t, "edge", "enroll", "--data", edgeDir, "--city", city, "--token", tok)
	ui := freeAddr(t)
	// An hour between pulls: the first decision must come by the stream's
	// hint, the second by the ask at start.
	edgeArgs := []string{"edge", "--data", edgeDir, "--listen", ui, "--pull-every", "1h", "--fleet-every", "1h"}
	edgeProc := start(t, "edge", edgeArgs...)
	base := "http://" + ui
	jar, _ := cookiejar.New(nil)
	browser := &http.Client{Jar: jar, Timeout: 30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	page := func(path string) (int, string, http.Header) {
		resp, err := browser.Get(base + path)
		if err != nil {
			t.Fatalf("GET %s: %v", path, err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b), resp.Header
	}
	submit := func(from, path string, form url.Values) int {
		_, p, _ := page(from)
		m := csrfField.FindStringSubmatch(p)
		if m == nil {
			t.Fatalf("no CSRF token on %s:\n%s", from, p)
		}
		form.Set("csrf", m[1])
		resp, err := browser.PostForm(base+path, form)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	waitFor(t, "the edge's subset", 30*time.Second, func() bool {
		var es edgeStatus
		return getJSON(http.DefaultClient, base+"/v1/status", &es) == nil && es.SubsetVersion > 0
	})
	waitFor(t, "the officer's account on the edge", 30*time.Second, func() bool {
		return submit("/login", "/login", url.Values{"user": {"lan"}, "password": {password}}) == http.StatusSeeOther
	})
	birth := url.Values{"full_name": {"Nguyễn Thị Mai"}, "birth_date": {"20/11/2026"}, "sex": {"F"}, "commune": {commune},
		"mother_name": {"Trần Thị Hoa"}}
	forms := 0
	record := func() {
		t.Helper()
		// Confirmed as on the review page, each birth a form of its own.
		forms++
		birth.Set("confirm", "1")
		birth.Set("form_token", fmt.Sprintf("decisions-test-form-%04d", forms))
		if code := submit("/birth", "/birth", birth); code != http.StatusSeeOther {
			t.Fatalf("recording a birth: %d", code)
		}
	}
	queue := func() string { _, p, _ := page("/outbox"); return p }
	record()
	record()
	waitFor(t, "the second, identical birth to go to review", 30*time.Second, func() bool {
		return strings.Contains(queue(), `class="badge needs_review"`)
	})
	entry := regexp.MustCompile(`"entry":\s*(\d+)`).FindStringSubmatch(fleet("conflicts"))
	if entry == nil {
		t.Fatal("no conflict at the city")
	}
	resolved := time.Now()
	fleet("resolve", entry[1], "accept", "hai trẻ sinh đôi")
	waitFor(t, "the decision on the edge", 20*time.Second, func() bool {
		return strings.Contains(queue(), "Sau xem xét: Đã áp dụng")
	})
	t.Logf("decision on the edge %v after `fleet resolve`", time.Since(resolved).Round(time.Millisecond))
	_, home, _ := page("/")
	for _, want := range []string{"Thành phố đã xem xét và chấp nhận Đăng ký khai sinh", "hai trẻ sinh đôi", `id="city-link"`, "Đã kết nối với thành phố"} {
		if !strings.Contains(home, want) {
			t.Errorf("home after the decision lacks %q", want)
		}
	}
	_, _, hdr := page("/birth/P-" + regexp.MustCompile(`P-(edge-[0-9]+-[0-9]+)`).FindStringSubmatch(queue())[1])
	if loc := hdr.Get("Location"); !regexp.MustCompile(`^/citizen/\d{12}$`).MatchString(loc) {
		t.Errorf("a provisional ID leads to %q", loc)
	}

	// A third birth goes to review; the edge is stopped when city IT
	// rejects it, and learns the decision when it starts.
	record()
	waitFor(t, "the third birth to go to review", 30*time.Second, func() bool {
		return strings.Count(queue(), `class="badge needs_review"`) == 2
	})
	edgeProc.stop(t)
	entry = regexp.MustCompile(`"entry":\s*(\d+)`).FindStringSubmatch(fleet("conflicts"))
	fleet("resolve", entry[1], "reject", "trùng với khai sinh đã có")
	start(t, "edge-again", edgeArgs...)
	waitFor(t, "the restarted edge", 30*time.Second, func() bool {
		var es edgeStatus
		return getJSON(http.DefaultClient, base+"/v1/status", &es) == nil && es.SubsetVersion > 0
	})
	waitFor(t, "the rejection on the restarted edge", 30*time.Second, func() bool {
		_, home, _ := page("/")
		return strings.Contains(home, "trùng với khai sinh đã có")
	})
}
