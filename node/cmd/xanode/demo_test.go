package main

import (
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// officer is an HTTP client that behaves like the officer's browser: a
// cookie jar, forms with their CSRF token.
type officer struct {
	t    *testing.T
	base string
	c    *http.Client
}

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

func (o *officer) get(path string) string {
	o.t.Helper()
	resp, err := o.c.Get(o.base + path)
	if err != nil {
		o.t.Fatalf("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		o.t.Fatalf("GET %s: %s\n%s", path, resp.Status, b)
	}
	return string(b)
}

// submit posts a form with the CSRF token of the page it came from.
func (o *officer) submit(page, path string, form url.Values) (int, string) {
	o.t.Helper()
	m := csrfField.FindStringSubmatch(page)
	if m == nil {
		o.t.Fatalf("no CSRF token on the page before POST %s", path)
	}
	form.Set("csrf", m[1])
	resp, err := o.c.PostForm(o.base+path, form)
	if err != nil {
		o.t.Fatalf("POST %s: %v", path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestDemoFlow starts `xanode demo` and drives the officer's flow over
// HTTP: log in, tap the sample card, see the citizen with what the chip
// said, record a temporary residence, and wait for the city's outcome.
func TestDemoFlow(t *testing.T) {
	if testing.Short() {
		t.Skip("system test")
	}
	dir := filepath.Join(t.TempDir(), "demo")
	p := start(t, "demo", "demo", "--data", dir, "--listen", freeAddr(t), "--citizens", "500")
	var ui, user, password, visitor string
	waitFor(t, "the demo to print its URL and login", 90*time.Second, func() bool {
		out := p.out.String()
		if m := regexp.MustCompile(`officer UI:\s+(\S+)/`).FindStringSubmatch(out); m != nil {
			ui = m[1]
		}
		if m := regexp.MustCompile(`sample login:\s+(\S+) / (\S+)`).FindStringSubmatch(out); m != nil {
			user, password = m[1], m[2]
		}
		if m := regexp.MustCompile(`visitor card:\s+(\d{12}) `).FindStringSubmatch(out); m != nil {
			visitor = m[1]
		}
		return ui != "" && password != "" && visitor != ""
	})
	jar, _ := cookiejar.New(nil)
	o := &officer{t: t, base: ui, c: &http.Client{Jar: jar, Timeout: 30 * time.Second}}

	login := o.get("/login")
	if code, body := o.submit(login, "/login", url.Values{"user": {user}, "password": {"sai mật khẩu"}}); code == http.StatusOK && strings.Contains(body, "Chạm thẻ mẫu") {
		t.Fatal("a wrong password logged in")
	}
	code, home := o.submit(o.get("/login"), "/login", url.Values{"user": {user}, "password": {password}, "next": {"/"}})
	if code != http.StatusOK || !strings.Contains(home, "Chạm thẻ mẫu") {
		t.Fatalf("login: %d\n%s", code, home)
	}

	code, tapped := o.submit(home, "/tap", url.Values{})
	if code != http.StatusOK {
		t.Fatalf("tap: %d\n%s", code, tapped)
	}
	m := regexp.MustCompile(`/citizen/(\d{12})`).FindStringSubmatch(tapped)
	if m == nil {
		t.Fatalf("the tap shows no citizen from the local data:\n%s", tapped)
	}
	id := m[1]
	for _, want := range []string{id, "Đã xác thực chữ ký chip và kiểm tra chống sao chép"} {
		if !strings.Contains(tapped, want) {
			t.Errorf("the identification page lacks %q", want)
		}
	}

	// The chip's face beside its data: a sample card carries a JPEG or a
	// JPEG 2000 portrait, which this build (without -tags pcsc) cannot
	// convert and says so.
	if f := regexp.MustCompile(`<img src="(/face/[0-9a-f]+)"`).FindStringSubmatch(tapped); f != nil {
		resp, err := o.c.Get(ui + f[1])
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "image/jpeg" || resp.Header.Get("Cache-Control") != "no-store, private" {
			t.Errorf("the face: %s %v", resp.Status, resp.Header)
		}
	} else if !strings.Contains(tapped, "JPEG 2000") {
		t.Errorf("the identification shows no face and says nothing of it:\n%s", tapped)
	}

	// The same citizen by the QR code, as a scanner types it, with a name
	// the record does not have: shown as a difference, weakest assurance.
	code, scanned := o.submit(home, "/qr", url.Values{"qr": {id + "||Nguyễn Văn Khác|01011990|Nam|Số 1 Đường Mậu Thân|01012022"}})
	if code != http.StatusOK {
		t.Fatalf("QR: %d\n%s", code, scanned)
	}
	for _, want := range []string{"Chỉ đọc mã QR (chưa xác thực)", "Nguyễn Văn Khác", `class="diff"`} {
		if !strings.Contains(scanned, want) {
			t.Errorf("the QR identification page lacks %q", want)
		}
	}

	if record := o.get("/citizen/" + id); !strings.Contains(record, id) {
		t.Fatalf("the record page does not show %s", id)
	}
	form := o.get("/citizen/" + id + "/change/register_temporary")
	until := time.Now().AddDate(0, 6, 0).Format("02/01/2006")
	typed := url.Values{
		"temporary_address": {"Số 5 Đường Nguyễn Trãi, Phường Cái Khế, TP Cần Thơ"}, "temporary_until": {until},
		"temporary_from": {time.Now().Format("02/01/2006")}, "residence_basis": {"rent"}, "owner_consent": {"agreed"}}
	code, review := o.submit(form, "/citizen/"+id+"/change/register_temporary", typed)
	if code != http.StatusOK || !strings.Contains(review, "Kiểm tra trước khi gửi") {
		t.Fatalf("the review of a temporary residence: %d\n%s", code, review)
	}
	typed.Set("form_token", regexp.MustCompile(`name="form_token" value="([^"]+)"`).FindStringSubmatch(review)[1])
	typed.Set("confirm", "1")
	code, after := o.submit(review, "/citizen/"+id+"/change/register_temporary", typed)
	if code != http.StatusOK {
		t.Fatalf("recording a temporary residence: %d\n%s", code, after)
	}
	if !strings.Contains(after, "Đăng ký tạm trú") {
		t.Errorf("the page after recording does not show the registration:\n%s", after)
	}
	// The visitor: a citizen of another commune, whose chip signs the
	// city's challenge; the city releases her record for this visit.
	code, visited := o.submit(o.get("/"), "/tap", url.Values{"key": {visitor}})
	if code != http.StatusOK || !strings.Contains(visited, "Công dân nơi khác") || !strings.Contains(visited, "do thành phố cung cấp") {
		t.Fatalf("the visitor's card: %d\n%s", code, visited)
	}
	form = o.get("/visitor/" + visitor + "/change/register_temporary")
	typed = url.Values{
		"temporary_address": {"Số 9 Đường Mậu Thân, Phường Ninh Kiều, TP Cần Thơ"}, "temporary_until": {until},
		"temporary_from": {time.Now().Format("02/01/2006")}, "residence_basis": {"rent"}, "owner_consent": {"agreed"}}
	if code, review = o.submit(form, "/visitor/"+visitor+"/change/register_temporary", typed); code != http.StatusOK || !strings.Contains(review, "Kiểm tra trước khi gửi") {
		t.Fatalf("the review of the visitor's temporary residence: %d\n%s", code, review)
	}
	typed.Set("form_token", regexp.MustCompile(`name="form_token" value="([^"]+)"`).FindStringSubmatch(review)[1])
	typed.Set("confirm", "1")
	if code, after = o.submit(review, "/visitor/"+visitor+"/change/register_temporary", typed); code != http.StatusOK {
		t.Fatalf("the visitor's temporary residence: %d\n%s", code, after)
	}
	// Five changes: the identifications (card, QR, the visitor's card),
	// the registration and the visitor's.
	var outbox string
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		outbox = o.get("/outbox?all=1") // the card and QR reads are hidden by default
		if strings.Count(outbox, `<span class="badge applied">Đã áp dụng</span>`) == 5 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no outcomes on the outbox page after 30 s:\n%s", outbox)
		}
	}
	verifyPrintAndReport(t, p, dir, o, id)
	var es edgeStatus
	if err := getJSON(http.DefaultClient, ui+"/v1/status", &es); err != nil {
		t.Fatal(err)
	}
	if es.Outbox != 0 || es.Citizens != 500 {
		t.Errorf("edge status after the flow: %+v", es)
	}
	p.stop(t)
	if !strings.Contains(p.out.String(), "stopped cleanly") {
		t.Errorf("the demo did not report a clean stop:\n%s", tail(p.out.String(), 2000))
	}
}

// verifyPrintAndReport prints the citizen's confirmation and checks its
// verification code the way city IT does (xanode verify-document, once
// the box has sent its audit log), then makes the month's report at the
// city (xanode fleet report) and on the officer's page.
func verifyPrintAndReport(t *testing.T, p *proc, dir string, o *officer, id string) {
	t.Helper()
	printed := o.get("/citizen/" + id + "/print")
	m := regexp.MustCompile(`<code>(XN1-[^<]+)</code>`).FindStringSubmatch(printed)
	if m == nil {
		t.Fatalf("the confirmation carries no verification code:\n%s", printed)
	}
	code := m[1]
	cm := regexp.MustCompile(`city node:\s+\S+\s+(https://\S+)`).FindStringSubmatch(p.out.String())
	if cm == nil {
		t.Fatalf("the demo printed no city URL:\n%s", p.out.String())
	}
	city, pki := cm[1], filepath.Join(dir, "pki")
	var out []byte
	waitFor(t, "the city to vouch for the printed confirmation", 60*time.Second, func() bool {
		var err error
		out, err = exec.Command(binary, "verify-document", "--city", city, "--pki", pki, code).CombinedOutput()
		return err == nil
	})
	if !strings.Contains(string(out), "GENUINE: residence-confirmation") || !strings.Contains(string(out), id) {
		t.Errorf("verify-document says:\n%s", out)
	}
	forged := code[:len(code)-1] + map[bool]string{true: "B", false: "A"}[strings.HasSuffix(code, "A")]
	if out, err := exec.Command(binary, "verify-document", "--city", city, "--pki", pki, forged).CombinedOutput(); err == nil {
		t.Errorf("a forged code passed:\n%s", out)
	}
	month := time.Now().In(time.FixedZone("ICT", 7*60*60)).Format("2006-01")
	out, err := exec.Command(binary, "fleet", "--city", city, "--pki", pki, "report", "--commune", "92101", "--month", month).CombinedOutput()
	// Two temporary residences at 92101 this month: the resident's and the visitor's.
	if err != nil || !strings.Contains(string(out), "Đăng ký tạm trú,2,2,") {
		t.Errorf("fleet report (%v):\n%s", err, out)
	}
	if page := o.get("/reports?month=" + month); !strings.Contains(page, "Số liệu của thành phố") {
		t.Errorf("the officer's report page:\n%s", page)
	}
}
