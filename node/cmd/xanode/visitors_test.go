package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/xanode/xanode/sync/netem"
)

// Citizens of other communes at an office, with separate processes: three
// city nodes that trust the cards' CSCA, the office of 92101 (its uplink
// through a proxy the test takes down) with a reader of emulated cards,
// and the office of 92102, where the visitors live.
const (
	visHome     = "92101"
	visOther    = "92102"
	visResident = "092090001234" // lives in 92101
	visNeighbor = "092195001111" // lives in 92102
	visOnline   = "092190004321" // lives in 92102; served at 92101 online
	visOffline  = "092185007788" // lives in 92102; served at 92101 while the uplink is down
	visMover    = "092080005566" // lives in 92102; moves to 92101
)

// visitorBox is an edge process with its officer logged in.
type visitorBox struct {
	node, commune, dir, ui string
	o                      *officer
	forms                  int // form tokens made so far
}

func (b *visitorBox) status() edgeStatus {
	var es edgeStatus
	getJSON(http.DefaultClient, "http://"+b.ui+"/v1/status", &es)
	return es
}

// code is the status of GET path, for pages that may not be there.
func (b *visitorBox) code(path string) int {
	resp, err := b.o.c.Get(b.o.base + path)
	if err != nil {
		return 0
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

// record submits a change form, as the officer does, and returns the
// ID of the change recorded (the outbox page it leads to names it).
func (b *visitorBox) record(t *testing.T, path string, form url.Values) string {
	t.Helper()
	m := csrfField.FindStringSubmatch(b.o.get(path))
	if m == nil {
		t.Fatalf("no CSRF token on %s", path)
	}
	form.Set("csrf", m[1])
	// Confirmed as on the review page, each change a form of its own.
	b.forms++
	form.Set("confirm", "1")
	form.Set("form_token", fmt.Sprintf("visitors-test-form-%04d", b.forms))
	noFollow := *b.o.c
	noFollow.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, err := noFollow.PostForm(b.o.base+path, form)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	loc, err := url.Parse(resp.Header.Get("Location"))
	if resp.StatusCode != http.StatusSeeOther || err != nil || loc.Query().Get("recorded") == "" {
		t.Fatalf("POST %s: %s, to %q\n%s", path, resp.Status, resp.Header.Get("Location"), body)
	}
	return loc.Query().Get("recorded")
}

var stateRE = regexp.MustCompile(`(?s)id="recorded".*?<span class="badge ([a-z_]+)">`)

// outcome is the badge the outbox page shows for a change: pending until
// the city decided it.
func (b *visitorBox) outcome(change string) string {
	page := b.o.get("/outbox?recorded=" + url.QueryEscape(change))
	if m := stateRE.FindStringSubmatch(page); m != nil {
		return m[1]
	}
	return ""
}

func TestVisitorsProcesses(t *testing.T) {
	if testing.Short() {
		t.Skip("system test")
	}
	cards := t.TempDir()
	var cscas []string
	for _, c := range []struct{ dir, id, name, dob, sex, residence string }{
		{"binh", visOnline, "Trần Thị Bình", "1990-07-02", "F", "Số 8 Đường Hòa Bình, Phường Cái Khế, TP Cần Thơ"},
		{"cuc", visOffline, "Lê Thị Cúc", "1985-02-11", "F", "Số 3 Đường Lý Tự Trọng, Phường Cái Khế, TP Cần Thơ"},
		{"dung", visMover, "Phạm Văn Dũng", "1980-09-30", "M", "Số 21 Đường Trần Phú, Phường Cái Khế, TP Cần Thơ"},
	} {
		dir := filepath.Join(cards, c.dir)
		xanode(t, "card", "make", "--out", dir, "--id", c.id, "--name", c.name, "--dob", c.dob, "--sex", c.sex,
			"--exp", "2040-01-01", "--residence", c.residence)
		cscas = append(cscas, "--csca", filepath.Join(dir, "csca.pem"))
	}
	c := startCluster(t, cscas...)
	l := c.waitLeader()
	pop := filepath.Join(c.dir, "pop.jsonl")
	record := func(id, name, dob, sex, commune, addr string) string {
		return `{"id":"` + id + `","fields":{"full_name":"` + name + `","birth_date":"` + dob + `","sex":"` + sex +
			`","commune":"` + commune + `","permanent_address":"` + addr + `","status":"alive"}}`
	}
	writeFile(t, pop, strings.Join([]string{
		record(visResident, "Nguyễn Văn An", "1990-05-01", "M", visHome, "Số 12 Đường Mậu Thân, Phường Ninh Kiều, TP Cần Thơ"),
		record(visNeighbor, "Lê Thị Hoa", "1995-03-04", "F", visOther, "Số 3 Đường Lê Lợi, Phường Cái Khế, TP Cần Thơ"),
		record(visOnline, "Trần Thị Bình", "1990-07-02", "F", visOther, "Số 8 Đường Hòa Bình, Phường Cái Khế, TP Cần Thơ"),
		record(visOffline, "Lê Thị Cúc", "1985-02-11", "F", visOther, "Số 3 Đường Lý Tự Trọng, Phường Cái Khế, TP Cần Thơ"),
		record(visMover, "Phạm Văn Dũng", "1980-09-30", "M", visOther, "Số 21 Đường Trần Phú, Phường Cái Khế, TP Cần Thơ"),
	}, "\n")+"\n")
	xanode(t, "city", "import", "--city", c.url(l), "--file", pop, "--pki", c.pki)
	c.converged() // every replica has the records and the peer table: any node answers
	l = c.waitLeader()

	// The office of 92101 reaches the city through a link the test cuts.
	link, err := netem.Start(c.api[0], netem.Config{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { link.Close() })
	boxes := map[string]*visitorBox{}
	for _, b := range []*visitorBox{{node: "edge-" + visHome, commune: visHome}, {node: "edge-" + visOther, commune: visOther}} {
		user := "canbo-" + b.commune
		runEnv(t, "XANODE_PASSWORD=mật khẩu cán bộ xã", "fleet", "--city", c.url(l), "--pki", c.pki,
			"officer", "add", "--commune", b.commune, "--user", user, "--name", "Nguyễn Thị Lan")
		tok := regexp.MustCompile(`xn1_[A-Za-z0-9_-]+`).FindString(xanode(t, "fleet", "--city", c.url(l), "--pki", c.pki, "token", "--commune", b.commune))
		b.dir = filepath.Join(c.dir, b.node)
		xanode(t, "edge", "enroll", "--data", b.dir, "--city", c.url(l), "--token", tok)
		b.ui = freeAddr(t)
		// Pulls on a short timer: the city's notification is a hint, and the
		// stream of the office whose link was cut may still be reconnecting
		// when its commune's subset moves.
		args := []string{"edge", "--data", b.dir, "--listen", b.ui, "--pull-every", "3s"}
		if b.commune == visHome {
			args = append(args, "--emulate-card", cards, "--city", "https://"+link.Addr())
		}
		start(t, b.node, args...)
		waitFor(t, b.node+"'s subset", 30*time.Second, func() bool { return b.status().Citizens > 0 })
		jar, _ := cookiejar.New(nil)
		b.o = &officer{t: t, base: "http://" + b.ui, c: &http.Client{Jar: jar, Timeout: 30 * time.Second}}
		if code, page := b.o.submit(b.o.get("/login"), "/login", url.Values{"user": {user}, "password": {"mật khẩu cán bộ xã"}}); code != http.StatusOK {
			t.Fatalf("%s: login: %d\n%s", b.node, code, page)
		}
		boxes[b.commune] = b
	}
	home, other := boxes[visHome], boxes[visOther]
	if n := other.status().Citizens; n != 4 {
		t.Fatalf("92102's subset holds %d citizens, want 4", n)
	}
	tap := func(id string) string {
		code, page := home.o.submit(home.o.get("/"), "/tap", url.Values{"key": {id}})
		if code != http.StatusOK {
			t.Fatalf("tap %s: %d\n%s", id, code, page)
		}
		return page
	}
	until := time.Now().AddDate(0, 6, 0).Format("02/01/2006")
	today := time.Now().Format("02/01/2006")

	// Online: the chip signs the city's challenge, the city releases her
	// record, and her temporary residence applies like a resident's. Her
	// own office sees it with its next pull.
	page := tap(visOnline)
	for _, want := range []string{"Công dân nơi khác", "do thành phố cung cấp", "Số 8 Đường Hòa Bình"} {
		if !strings.Contains(page, want) {
			t.Errorf("the online visitor's tap lacks %q:\n%s", want, page)
		}
	}
	change := home.record(t, "/visitor/"+visOnline+"/change/register_temporary", url.Values{
		"temporary_address": {"Số 5 Đường Nguyễn Trãi, Phường Ninh Kiều, TP Cần Thơ"}, "temporary_until": {until},
		"temporary_from": {today}, "residence_basis": {"rent"}, "owner_consent": {"agreed"}})
	waitFor(t, "the online visitor's change to be decided", 30*time.Second, func() bool { return home.outcome(change) != "pending" })
	if got := home.outcome(change); got != "applied" {
		t.Fatalf("the online visitor's temporary residence: %s, want applied", got)
	}
	waitFor(t, "92102's office to see her temporary residence", 30*time.Second, func() bool {
		return other.code("/citizen/"+visOnline) == http.StatusOK &&
			strings.Contains(other.o.get("/citizen/"+visOnline), "Số 5 Đường Nguyễn Trãi")
	})
	if home.status().Citizens != 1 || !strings.Contains(home.o.get("/citizen/"+visOnline), "Công dân nơi khác") {
		t.Fatal("the visitor's record reached 92101's local data") // her ID leads to the session's visit, not a record
	}
	t.Log("online: record released on the chip's signature, temporary residence applied, seen by her commune")

	// Offline: the uplink is down. The officer works from the chip's
	// verified data; the change waits with its proof, which goes first
	// when the link is back; the city sends the change to review.
	link.SetDown(true)
	page = tap(visOffline)
	for _, want := range []string{"Công dân nơi khác", "thông tin đọc từ chip", "chưa kết nối được với thành phố", "chờ thành phố xem xét"} {
		if !strings.Contains(page, want) {
			t.Errorf("the offline visitor's tap lacks %q:\n%s", want, page)
		}
	}
	change = home.record(t, "/visitor/"+visOffline+"/change/register_temporary", url.Values{
		"temporary_address": {"Số 9 Đường Mậu Thân, Phường Ninh Kiều, TP Cần Thơ"}, "temporary_until": {until},
		"temporary_from": {today}, "residence_basis": {"rent"}, "owner_consent": {"agreed"}})
	if got := home.outcome(change); got != "pending" || home.status().Outbox != 1 {
		t.Fatalf("offline: the change is %s, outbox %d; want it waiting", got, home.status().Outbox)
	}
	link.SetDown(false)
	waitFor(t, "the offline change to be decided once the link is back", 60*time.Second, func() bool { return home.outcome(change) != "pending" })
	if got := home.outcome(change); got != "needs_review" {
		t.Fatalf("the offline visitor's temporary residence: %s, want needs_review", got)
	}
	var conflicts []json.RawMessage
	if err := getJSON(c.admin, c.url(l)+"/v1/admin/conflicts", &conflicts); err != nil {
		t.Fatal(err)
	}
	if len(conflicts) != 1 || !strings.Contains(string(conflicts[0]), visOffline) || !strings.Contains(string(conflicts[0]), "without active authentication") {
		t.Fatalf("the conflict queue: %s", conflicts)
	}
	t.Log("offline: recorded from the chip, pushed after its proof, waiting for city IT's review")

	// A move: the citizen of 92102 registers permanent residence at 92101.
	// The city decides; 92101's subset gains him, 92102's drops him.
	tap(visMover)
	change = home.record(t, "/visitor/"+visMover+"/change/register_permanent", url.Values{
		"permanent_address": {"Số 40 Đường Mậu Thân, Phường Ninh Kiều, TP Cần Thơ"}, "commune": {visHome}})
	waitFor(t, "the move to be decided", 30*time.Second, func() bool { return home.outcome(change) != "pending" })
	if got := home.outcome(change); got != "applied" {
		t.Fatalf("the move: %s, want applied", got)
	}
	waitFor(t, "92101's subset to gain the mover", 30*time.Second, func() bool { return home.status().Citizens == 2 })
	waitFor(t, "92102's subset to drop the mover", 30*time.Second, func() bool {
		return other.code("/citizen/"+visMover) == http.StatusNotFound && other.status().Citizens == 3
	})
	if rec := home.o.get("/citizen/" + visMover); strings.Contains(rec, "Công dân nơi khác") ||
		!strings.Contains(rec, "Số 40 Đường Mậu Thân") || !strings.Contains(rec, "Đăng ký thường trú") {
		t.Errorf("his record at 92101 is not a resident's with the new address and the history of the move:\n%s", rec)
	}
	t.Log("a move: decided by the city, in the new commune's subset, out of the old one's")
}
