package fleetui

import (
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestBrowserQuality walks city IT's data-quality round in a real
// browser: the quality page with its charts and the communes problems
// first, a commune's figures and findings, a record with its finding,
// dismissed with a reason, its pair merged keeping one record (asked to
// confirm), the retired record naming the one kept, then the page in
// English. With
// XANODE_SCREENSHOTS set it saves each page there.
func TestBrowserQuality(t *testing.T) {
	if testing.Short() && os.Getenv("XANODE_REQUIRE_BROWSER") != "1" {
		t.Skip("browser test skipped in -short mode")
	}
	b := newBrowser(t)
	q := &qualityFleet{fakeFleet: &fakeFleet{}}
	e := newEnv(t, Config{Fleet: q})

	b.Do("open the login link, then the quality page",
		chromedp.Navigate(e.srv.LoginURL(e.ts.URL)),
		chromedp.WaitVisible(chromedp.CSS(`nav a[href="/quality"]`)),
		chromedp.Click(chromedp.CSS(`nav a[href="/quality"]`)),
		chromedp.WaitVisible(chromedp.CSS("#communes table")),
	)
	rows := strings.Fields(b.Text("#communes tbody"))
	if len(rows) < 2 || rows[0] != "92101" {
		t.Errorf("communes not problems first: %v", rows)
	}
	if n := b.Count("#charts svg"); n != 4 {
		t.Errorf("%d charts on the quality page, want 4", n)
	}
	if n := b.Count("#charts svg rect.warn"); n != 1 {
		t.Errorf("%d duplicate bars drawn as needing a person's judgement, want 1", n)
	}
	b.Screenshot("q1-quality")

	b.Do("open the commune",
		chromedp.Click(chromedp.CSS(`#communes a[href="/quality/commune/92101"]`)),
		chromedp.WaitVisible(chromedp.CSS("#findings table")),
	)
	if s := b.Text("#findings tbody"); !strings.Contains(s, "Nghi trùng hồ sơ") || !strings.Contains(s, "092185999999") {
		t.Errorf("the commune's findings: %q", s)
	}
	b.Screenshot("q2-commune")

	b.Do("open the record and dismiss its finding",
		chromedp.Click(chromedp.CSS(`#findings a[href="/quality/citizen/092185000123"]`)),
		chromedp.WaitVisible(chromedp.CSS("#finding-41 textarea")),
		chromedp.SendKeys(chromedp.CSS("#reason-41"), "Hai người khác nhau, đã đối chiếu giấy khai sinh"),
		chromedp.Click(chromedp.CSS(`#finding-41 button[value="dismiss"]`)),
		chromedp.WaitVisible(chromedp.CSS("main .flash")),
	)
	if s := b.Text("main .flash"); s != "Đã bỏ qua phát hiện." {
		t.Errorf("after dismissing: %q", s)
	}
	if !slices.Contains(q.reviews, "dismiss Hai người khác nhau, đã đối chiếu giấy khai sinh") {
		t.Errorf("reviews %v", q.reviews)
	}
	b.Screenshot("q3-citizen")

	b.Do("keep this record of the pair, confirm the merge",
		chromedp.SendKeys(chromedp.CSS("#reason-41"), "Cùng một người, đã đối chiếu giấy khai sinh"),
		chromedp.Click(chromedp.CSS(`#finding-41 button[name="keep"][value="092185000123"]`)),
		chromedp.WaitVisible(chromedp.CSS("#finding-41 .merge-confirm")),
	)
	if s := b.Text("#finding-41 .merge-confirm p"); !strings.Contains(s, "Giữ hồ sơ 092185000123 và gộp hồ sơ 092185999999 vào đó") {
		t.Errorf("the merge asked to confirm: %q", s)
	}
	if slices.ContainsFunc(q.reviews, func(r string) bool { return strings.HasPrefix(r, "merge") }) {
		t.Fatalf("merged before the confirmation: %v", q.reviews)
	}
	b.Screenshot("q3b-merge-confirm")
	b.Do("confirm",
		chromedp.Click(chromedp.CSS(`#finding-41 button[value="merge"]`)),
		chromedp.WaitVisible(chromedp.CSS("main .flash")),
	)
	if s := b.Text("main .flash"); s != "Đã gộp hai hồ sơ: hồ sơ còn lại là hồ sơ này." {
		t.Errorf("after merging: %q", s)
	}
	if s := b.Text("#finding-41 h3 .badge"); s != "Đã khắc phục" {
		t.Errorf("the merged pair's finding is %q", s)
	}
	b.Do("open the retired record",
		chromedp.Click(chromedp.CSS(`#finding-41 a[href="/quality/citizen/092185999999"]`)),
		chromedp.WaitVisible(chromedp.CSS("#merged")),
	)
	if s := b.Text("#merged"); s != "Hồ sơ này đã được gộp vào hồ sơ 092185000123" {
		t.Errorf("the retired record says %q", s)
	}
	if !slices.Contains(q.reviews, "merge 092185000123 Cùng một người, đã đối chiếu giấy khai sinh") {
		t.Errorf("reviews %v", q.reviews)
	}
	b.Screenshot("q3c-merged")

	b.Do("in English", chromedp.Navigate(e.ts.URL+"/quality?lang=en"), chromedp.WaitVisible(chromedp.CSS("#communes table")))
	if s := b.Text("h1"); s != "Data quality of the registry" {
		t.Errorf("English heading %q", s)
	}
	b.Screenshot("q4-quality-en")
	if errs := b.ConsoleErrors(); len(errs) > 0 {
		t.Errorf("the browser console reported errors (CSP or script):\n%s", strings.Join(errs, "\n"))
	}
}
