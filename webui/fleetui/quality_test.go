package fleetui

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
)

// qualityFleet is a fakeFleet that is also a Quality over a little city:
// two communes, one with problems, and a record with a finding.
type qualityFleet struct {
	*fakeFleet
	mu      sync.Mutex
	reviews []string
	fail    error
}

func sampleReport() QualityReport {
	week := time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)
	good := QualityFigures{Commune: "92102", Citizens: 1000, Alive: 990, Fields: map[string]int{"full_name": 1000, "birth_date": 1000,
		"sex": 1000, "nationality": 1000, "permanent_address": 1000}, Findings: map[string]map[string]int{"no_card": {FindingFixed: 3}}}
	bad := QualityFigures{Commune: "92101", Citizens: 2000, Alive: 1980, Fields: map[string]int{"full_name": 2000, "birth_date": 1990,
		"sex": 2000, "nationality": 2000, "permanent_address": 1900},
		Findings: map[string]map[string]int{"duplicate": {FindingOpen: 4, FindingDismissed: 1}, "unconfirmed": {FindingOpen: 7},
			"id_sex": {FindingConfirmed: 2}}}
	lastWeek := bad
	lastWeek.Week, lastWeek.Findings = week, map[string]map[string]int{"duplicate": {FindingOpen: 2}}
	return QualityReport{On: true, Rules: []QualityRule{{"id_sex", "correct", true}, {"duplicate", "clean", false}, {"unconfirmed", "alive", true}, {"no_card", "sufficient", true}},
		Now: []QualityFigures{good, bad}, Weekly: []QualityFigures{lastWeek}}
}

var sampleFinding = Finding{ID: 41, Rule: "duplicate", Citizen: "092185000123", Other: "092185999999", Commune: "92101",
	Fields: []string{"full_name", "birth_date"}, Evidence: "likeness 0.951: «Nguyễn Thị Thu Hà» born 1985-03-08, «Nguyen Thi Thu Ha» born 1985-03-08",
	Node: "city", Found: testNow.Add(-time.Hour), State: FindingOpen, By: "city", Changed: testNow.Add(-time.Hour)}

func (q *qualityFleet) QualityReport(context.Context) (QualityReport, error) {
	return sampleReport(), q.fail
}

func (q *qualityFleet) Findings(_ context.Context, fq FindingQuery) ([]Finding, error) {
	if fq.Commune != "92101" {
		return nil, q.fail
	}
	return []Finding{sampleFinding}, q.fail
}

func (q *qualityFleet) Citizen(_ context.Context, id string) (CitizenRecord, error) {
	if id != sampleFinding.Citizen {
		return CitizenRecord{}, ErrNotFound
	}
	return CitizenRecord{ID: id, Fields: map[string]string{"full_name": "Nguyễn Thị Thu Hà", "birth_date": "1985-03-08"},
		Findings: []Finding{sampleFinding}}, q.fail
}

func (q *qualityFleet) ReviewFinding(_ context.Context, id uint64, action, reason string) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.reviews = append(q.reviews, action+" "+reason)
	return q.fail
}

func TestQualityPages(t *testing.T) {
	q := &qualityFleet{fakeFleet: &fakeFleet{}}
	e := newEnv(t, Config{Fleet: q})
	c := e.client()
	csrf := c.login()
	p := c.get("/quality")
	p.WantStatus(t, 200)
	p.MustContain(t, `href="/quality" accesskey="5" aria-current="page"`, "<svg", "Nghi trùng hồ sơ", "tăng 11",
		`href="/quality/export.xlsx"`)
	// Problems first: 92101 (13 to handle in 2,000) before 92102 (none).
	if i, j := strings.Index(p.Body, `href="/quality/commune/92101"`), strings.Index(p.Body, `href="/quality/commune/92102"`); i < 0 || j < 0 || i > j {
		t.Errorf("communes not problems first")
	}
	p = c.get("/quality/commune/92101")
	p.WantStatus(t, 200)
	p.MustContain(t, `href="/quality/citizen/092185000123"`)
	if n := strings.Count(p.Body, "<svg"); n != 5 {
		t.Errorf("%d charts on the commune page, want 5", n)
	}
	c.get("/quality/commune/99999").WantStatus(t, http.StatusNotFound)
	p = c.get("/quality/citizen/092185000123")
	p.WantStatus(t, 200)
	p.MustContain(t, "Nguyen Thi Thu Ha", `action="/quality/finding/41"`)
	c.get("/quality/citizen/092185000999").WantStatus(t, http.StatusNotFound)

	p = c.post("/quality/finding/41", url.Values{"csrf": {csrf}, "citizen": {"092185000123"}, "action": {"dismiss"}})
	p.WantStatus(t, http.StatusUnprocessableEntity)
	p.MustContain(t, "aria-invalid")
	p = c.post("/quality/finding/41", url.Values{"csrf": {csrf}, "citizen": {"092185000123"}, "action": {"dismiss"}, "reason": {"hai người khác nhau, đã đối chiếu"}})
	if p.Status != http.StatusSeeOther || p.Header.Get("Location") != "/quality/citizen/092185000123?done=finding-dismiss" {
		t.Fatalf("dismiss: %d → %q", p.Status, p.Header.Get("Location"))
	}
	c.get(p.Header.Get("Location")).MustContain(t, "Đã bỏ qua phát hiện.")
	if len(q.reviews) != 1 || q.reviews[0] != "dismiss hai người khác nhau, đã đối chiếu" {
		t.Errorf("reviews %v", q.reviews)
	}
	q.fail = ErrRefused
	p = c.post("/quality/finding/41", url.Values{"csrf": {csrf}, "citizen": {"092185000123"}, "action": {"reopen"}, "reason": {"x"}})
	if p.Status == http.StatusSeeOther {
		t.Error("a refused review redirected")
	}
}

func TestQualityExports(t *testing.T) {
	e := newEnv(t, Config{Fleet: &qualityFleet{fakeFleet: &fakeFleet{}}})
	c := e.client()
	c.login()
	p := c.get("/quality/export.csv")
	lines := strings.Split(strings.TrimSpace(strings.TrimPrefix(p.Body, "\ufeff")), "\n")
	if p.Header.Get("Content-Type") != "text/csv; charset=utf-8" || len(lines) != 3 || !strings.HasPrefix(lines[0], "Xã, phường") && !strings.HasPrefix(lines[0], `"Xã, phường"`) ||
		!strings.HasPrefix(lines[1], "92101,2000,1980,") {
		t.Fatalf("CSV %q: %q", p.Header.Get("Content-Type"), lines)
	}
	p = c.get("/quality/export.xlsx?commune=92101")
	if p.Status != 200 || !strings.HasPrefix(p.Body, "PK") || !strings.Contains(p.Header.Get("Content-Disposition"), "92101.xlsx") {
		t.Fatalf("XLSX: %d %q", p.Status, p.Header.Get("Content-Disposition"))
	}
}

// TestQualityWithoutQuality: a Fleet that is not a Quality shows no menu
// entry, and the pages say so.
func TestQualityWithoutQuality(t *testing.T) {
	e := newEnv(t, Config{Fleet: &fakeFleet{}})
	c := e.client()
	c.login()
	c.get("/").MustNotContain(t, `href="/quality"`)
	c.get("/quality").WantStatus(t, http.StatusNotFound)
}
