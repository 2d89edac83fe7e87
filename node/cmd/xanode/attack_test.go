package main

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// startDemo runs `xanode demo` with extra flags and returns it with the
// officer UI's base URL and the sample login, once its subset is ready.
func startDemo(t *testing.T, extra ...string) (p *proc, ui, user, password string) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "demo")
	p = start(t, "demo", append([]string{"demo", "--data", dir, "--listen", freeAddr(t), "--citizens", "500"}, extra...)...)
	waitFor(t, "the demo to print its URL and login", 90*time.Second, func() bool {
		out := p.out.String()
		if m := regexp.MustCompile(`officer UI:\s+(\S+)/`).FindStringSubmatch(out); m != nil {
			ui = m[1]
		}
		if m := regexp.MustCompile(`sample login:\s+(\S+) / (\S+)`).FindStringSubmatch(out); m != nil {
			user, password = m[1], m[2]
		}
		return ui != "" && password != ""
	})
	waitFor(t, "the demo edge's subset", 60*time.Second, func() bool {
		resp, err := http.Get(ui + "/readyz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})
	return p, ui, user, password
}

// procMemory reads a process's resident set and its high-water mark, in
// bytes, from /proc.
func procMemory(t *testing.T, pid int) (rss, peak int64) {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Skipf("no /proc here (%v): the memory figures need Linux", err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) == 3 && f[2] == "kB" {
			n, _ := strconv.ParseInt(f[1], 10, 64)
			switch f[0] {
			case "VmRSS:":
				rss = n << 10
			case "VmHWM:":
				peak = n << 10
			}
		}
	}
	return rss, peak
}

// browser is a client with its own cookies, connecting from src (any
// 127/8 address is this machine on Linux, so each can be another PC).
func browser(src net.IP) *http.Client {
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: src}}
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar, Timeout: time.Minute, Transport: &http.Transport{DialContext: d.DialContext},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// tryLogin fetches the login form and posts it; it returns the status.
func tryLogin(c *http.Client, ui, user, password string) (int, error) {
	resp, err := c.Get(ui + "/login")
	if err != nil {
		return 0, err
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	m := csrfField.FindSubmatch(b)
	if m == nil {
		return 0, fmt.Errorf("no login form (%s)", resp.Status)
	}
	resp, err = c.PostForm(ui+"/login", url.Values{"csrf": {string(m[1])}, "user": {user}, "password": {password}})
	if err != nil {
		return 0, err
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode, nil
}

// TestLoginAttack: 200 parallel wrong logins, each from its own address
// and for its own user name (so that no per-user or per-address limit
// spares the password checks), keep the edge's memory bounded: two
// Argon2id runs at a time, the rest wait briefly or get 503. Meanwhile
// another officer logs in with the right password, trying again when told
// to (as the refusal page's countdown invites).
func TestLoginAttack(t *testing.T) {
	if testing.Short() {
		t.Skip("system test")
	}
	p, ui, user, password := startDemo(t)
	pid := p.cmd.Process.Pid
	before, _ := procMemory(t, pid)

	const n = 200
	spread := true
	if ln, err := net.Listen("tcp", "127.0.0.2:0"); err != nil {
		spread = false // not Linux: every browser comes from 127.0.0.1
		t.Logf("cannot use other loopback addresses (%v): the attack comes from one address", err)
	} else {
		ln.Close()
	}
	statuses := make(chan int, n)
	var wg sync.WaitGroup
	attackStart := time.Now()
	for i := range n {
		src := net.IPv4(127, 0, byte(1+i/250), byte(2+i%250))
		if !spread {
			src = net.IPv4(127, 0, 0, 1)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			code, err := tryLogin(browser(src), ui, fmt.Sprintf("ke-gian-%d", i), "đoán-mò-mật-khẩu")
			if err != nil {
				t.Errorf("attacker %d: %v", i, err)
			}
			statuses <- code
		}()
	}

	officerStart := time.Now()
	tries := 0
	for {
		tries++
		code, err := tryLogin(browser(net.IPv4(127, 0, 0, 1)), ui, user, password)
		if err != nil {
			t.Fatal(err)
		}
		if code == http.StatusSeeOther {
			break
		}
		if code != http.StatusServiceUnavailable || time.Since(officerStart) > time.Minute {
			t.Fatalf("the officer's right password got %d after %d tries", code, tries)
		}
	}
	officerTook := time.Since(officerStart)
	wg.Wait()
	close(statuses)
	attackTook := time.Since(attackStart)
	got := map[int]int{}
	for c := range statuses {
		got[c]++
	}
	after, peak := procMemory(t, pid)
	t.Logf("%d parallel wrong logins answered in %v: %v (401 checked, 503 refused busy, 429 rate limited)", n, attackTook.Round(time.Millisecond), got)
	t.Logf("the right password of another officer: logged in after %v and %d tries", officerTook.Round(time.Millisecond), tries)
	t.Logf("edge memory: %d MB before, %d MB after, peak (VmHWM) %d MB", before>>20, after>>20, peak>>20)
	if peak > 400<<20 {
		t.Errorf("peak memory %d MB under the login attack, budget 400 MB", peak>>20)
	}
	if got[http.StatusUnauthorized]+got[http.StatusServiceUnavailable]+got[http.StatusTooManyRequests] != n {
		t.Errorf("the attack's answers: %v", got)
	}
}

// TestEdgeTransport: plain HTTP beyond loopback is refused at start
// without --insecure-http, and warned about on every page with it; a
// request naming another Host (DNS rebinding) reads nothing.
func TestEdgeTransport(t *testing.T) {
	if testing.Short() {
		t.Skip("system test")
	}
	_, port, _ := net.SplitHostPort(freeAddr(t))
	out, err := runCmd("demo", "--data", filepath.Join(t.TempDir(), "refused"), "--listen", "0.0.0.0:"+port)
	if err == nil || !strings.Contains(string(out), "--insecure-http") || !strings.Contains(string(out), "--ui-host") {
		t.Fatalf("a plain HTTP listener on every address was not refused: %v\n%s", err, out)
	}

	_, ui, user, password := startDemo(t, "--listen", "0.0.0.0:"+port, "--insecure-http")
	if ui != "http://127.0.0.1:"+port {
		t.Errorf("the demo names its UI %s", ui)
	}
	jar, _ := cookiejar.New(nil)
	o := &officer{t: t, base: ui, c: &http.Client{Jar: jar, Timeout: 30 * time.Second}}
	warning := "trang này đang chạy KHÔNG mã hóa"
	login := o.get("/login")
	if !strings.Contains(login, warning) {
		t.Errorf("the login page served over plain HTTP on the LAN does not warn:\n%s", login)
	}
	if _, home := o.submit(login, "/login", url.Values{"user": {user}, "password": {password}}); !strings.Contains(home, warning) {
		t.Errorf("the home page does not warn:\n%s", home)
	}
	for _, path := range []string{"/v1/status", "/metrics", "/login", "/healthz"} {
		for host, want := range map[string]int{"127.0.0.1:" + port: http.StatusOK, "localhost:" + port: http.StatusOK,
			"rebind.attacker.example:" + port: http.StatusMisdirectedRequest} {
			req, _ := http.NewRequest(http.MethodGet, ui+path, nil)
			req.Host = host
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != want {
				t.Errorf("GET %s with Host %s: %s, want %d", path, host, resp.Status, want)
			}
			if want != http.StatusOK && strings.Contains(string(b), "edge-") {
				t.Errorf("GET %s with Host %s told: %s", path, host, b)
			}
		}
	}
}
