package fleetui

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/xanode/xanode/webui/i18n"
)

// qualityFleet is a fakeFleet that is also a Quality over a little city:
// two communes, one with problems, and a record with a finding.
type qualityFleet struct {
	*fakeFleet
	mu      sync.Mutex
	reviews []string
	kept    string // the record kept by a merge of the pair of sampleFinding
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
	Fields: []string{"full_name", "birth_date"}, Evidence: []i18n.Statement{{Key: "duplicate", Args: map[string]string{"likeness": "0.951",
		"name": "Nguyễn Thị Thu Hà", "birth_date": "1985-03-08", "other_name": "Nguyen Thi Thu Ha", "other_birth_date": "1985-03-08"}}},
	Node: "city", Found: testNow.Add(-time.Hour), State: FindingOpen, By: "city", Changed: testNow.Add(-time.Hour)}

func (q *qualityFleet) QualityReport(context.Context) (QualityReport, error) {
	return sampleReport(), q.fail
}

func (q *qualityFleet) Findings(_ context.Context, fq FindingQuery) ([]Finding, error) {
	if fq.Commune != "92101" {
		return nil, q.fail
	}
	return []Finding{q.finding()}, q.fail
}

// finding is sampleFinding as it stands: fixed once its pair is merged.
func (q *qualityFleet) finding() Finding {
	q.mu.Lock()
	defer q.mu.Unlock()
	f := sampleFinding
	if q.kept != "" {
		f.State, f.By, f.Reason = FindingFixed, "admin it", "merged into "+q.kept
	}
	return f
}

func (q *qualityFleet) Citizen(_ context.Context, id string) (CitizenRecord, error) {
	f := q.finding()
	if id != f.Citizen && id != f.Other {
		return CitizenRecord{}, ErrNotFound
	}
	rec := CitizenRecord{ID: id, Fields: map[string]string{"full_name": "Nguyễn Thị Thu Hà", "birth_date": "1985-03-08"},
		Findings: []Finding{f}}
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.kept != "" && id != q.kept {
		rec.MergedInto, rec.Fields["status"] = q.kept, "merged"
	}
	return rec, q.fail
}

func (q *qualityFleet) MergeFinding(_ context.Context, id uint64, keep, reason string) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.reviews = append(q.reviews, "merge "+keep+" "+reason)
	if q.fail == nil && id == sampleFinding.ID {
		q.kept = keep
	}
	return q.fail
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
	p := c.Get("/quality")
	p.WantStatus(t, 200)
	p.MustContain(t, `href="/quality" accesskey="5" aria-current="page"`, "<svg", "Nghi trùng hồ sơ", "tăng 11",
		`href="/quality/export.xlsx"`)
	// Problems first: 92101 (13 to handle in 2,000) before 92102 (none).
	if i, j := strings.Index(p.Body, `href="/quality/commune/92101"`), strings.Index(p.Body, `href="/quality/commune/92102"`); i < 0 || j < 0 || i > j {
		t.Errorf("communes not problems first")
	}
	p = c.Get("/quality/commune/92101")
	p.WantStatus(t, 200)
	p.MustContain(t, `href="/quality/citizen/092185000123"`)
	if n := strings.Count(p.Body, "<svg"); n != 5 {
		t.Errorf("%d charts on the commune page, want 5", n)
	}
	c.Get("/quality/commune/99999").WantStatus(t, http.StatusNotFound)
	p = c.Get("/quality/citizen/092185000123")
	p.WantStatus(t, 200)
	p.MustContain(t, "Độ giống nhau 0.951: «Nguyễn Thị Thu Hà» sinh 08/03/1985 và «Nguyen Thi Thu Ha» sinh 08/03/1985", `action="/quality/finding/41"`)
	c.Get("/quality/citizen/092185000123?lang=en") // sets the language, and back to the page
	c.Get("/quality/citizen/092185000123").MustContain(t,
		"Likeness 0.951: «Nguyễn Thị Thu Hà» born 08/03/1985 and «Nguyen Thi Thu Ha» born 08/03/1985")
	c.Get("/quality/citizen/092185000123?lang=vi")
	c.Get("/quality/citizen/092185000999").WantStatus(t, http.StatusNotFound)

	p = c.Post("/quality/finding/41", url.Values{"csrf": {csrf}, "citizen": {"092185000123"}, "action": {"dismiss"}})
	p.WantStatus(t, http.StatusUnprocessableEntity)
	p.MustContain(t, "aria-invalid")
	p = c.Post("/quality/finding/41", url.Values{"csrf": {csrf}, "citizen": {"092185000123"}, "action": {"dismiss"}, "reason": {"hai người khác nhau, đã đối chiếu"}})
	if p.Status != http.StatusSeeOther || p.Header.Get("Location") != "/quality/citizen/092185000123?done=finding-dismiss" {
		t.Fatalf("dismiss: %d → %q", p.Status, p.Header.Get("Location"))
	}
	c.Get(p.Header.Get("Location")).MustContain(t, "Đã bỏ qua phát hiện.")
	if len(q.reviews) != 1 || q.reviews[0] != "dismiss hai người khác nhau, đã đối chiếu" {
		t.Errorf("reviews %v", q.reviews)
	}
	q.fail = ErrRefused
	p = c.Post("/quality/finding/41", url.Values{"csrf": {csrf}, "citizen": {"092185000123"}, "action": {"reopen"}, "reason": {"x"}})
	if p.Status == http.StatusSeeOther {
		t.Error("a refused review redirected")
	}
}

func TestQualityExports(t *testing.T) {
	e := newEnv(t, Config{Fleet: &qualityFleet{fakeFleet: &fakeFleet{}}})
	c := e.client()
	c.login()
	p := c.Get("/quality/export.csv")
	lines := strings.Split(strings.TrimSpace(strings.TrimPrefix(p.Body, "\ufeff")), "\n")
	if p.Header.Get("Content-Type") != "text/csv; charset=utf-8" || len(lines) != 3 || !strings.HasPrefix(lines[0], "Xã, phường") && !strings.HasPrefix(lines[0], `"Xã, phường"`) ||
		!strings.HasPrefix(lines[1], "92101,2000,1980,") {
		t.Fatalf("CSV %q: %q", p.Header.Get("Content-Type"), lines)
	}
	p = c.Get("/quality/export.xlsx?commune=92101")
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
	c.Get("/").MustNotContain(t, `href="/quality"`)
	c.Get("/quality").WantStatus(t, http.StatusNotFound)
}

// TestQualityMerge: a duplicate pair is merged only after city IT chose
// the record kept, gave a reason and confirmed; the retired record's page
// then names the record it went into.
func TestQualityMerge(t *testing.T) {
	q := &qualityFleet{fakeFleet: &fakeFleet{}}
	e := newEnv(t, Config{Fleet: q})
	c := e.client()
	csrf := c.login()
	kept, other := sampleFinding.Citizen, sampleFinding.Other
	c.Get("/quality/citizen/"+kept).MustContain(t, `name="keep" value="`+kept+`"`, `name="keep" value="`+other+`"`, "Giữ hồ sơ này")
	form := func(kv ...string) url.Values {
		v := url.Values{"csrf": {csrf}, "citizen": {kept}}
		for i := 0; i+1 < len(kv); i += 2 {
			v.Set(kv[i], kv[i+1])
		}
		return v
	}
	for _, step := range []struct {
		name   string
		form   url.Values
		status int
		want   string
	}{
		{"no reason", form("keep", kept), http.StatusUnprocessableEntity, "aria-invalid"},
		{"asks to confirm", form("keep", kept, "reason", "cùng một người"), http.StatusOK, `name="confirm" value="yes"`},
		{"keep not of the pair", form("keep", "092185000999", "reason", "cùng một người"), http.StatusOK, "Chỉ gộp được một cặp hồ sơ nghi trùng"},
	} {
		t.Run(step.name, func(t *testing.T) {
			p := c.Post("/quality/finding/41", step.form)
			p.WantStatus(t, step.status)
			p.MustContain(t, step.want)
			if len(q.reviews) != 0 {
				t.Fatalf("the city was asked before the merge was confirmed: %v", q.reviews)
			}
		})
	}
	p := c.Post("/quality/finding/41", form("keep", kept, "reason", "cùng một người", "confirm", "yes", "action", "merge"))
	if p.Status != http.StatusSeeOther || p.Header.Get("Location") != "/quality/citizen/"+kept+"?done=finding-merge" {
		t.Fatalf("merge: %d → %q", p.Status, p.Header.Get("Location"))
	}
	if len(q.reviews) != 1 || q.reviews[0] != "merge "+kept+" cùng một người" {
		t.Errorf("reviews %v", q.reviews)
	}
	c.Get(p.Header.Get("Location")).MustContain(t, "Đã gộp hai hồ sơ")
	c.Get("/quality/citizen/"+other).MustContain(t, `id="merged"`, `href="/quality/citizen/`+kept+`"`)
}
