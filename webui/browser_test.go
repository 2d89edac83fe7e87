package webui

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"github.com/xanode/xanode/node/registry"
	"github.com/xanode/xanode/webui/shell/browsertest"
)

// browser is the officer UI's test browser (webui/shell/browsertest),
// with the steps of an officer's day below.
type browser struct{ *browsertest.Browser }

func newBrowser(t *testing.T) *browser {
	return &browser{browsertest.New(t, browsertest.Options{Expected: func(text string) bool {
		// Refused forms answer 403, 422 or 429 on purpose; the console reports it.
		return strings.Contains(text, "status of 422") || strings.Contains(text, "status of 403") ||
			strings.Contains(text, "status of 429")
	}})}
}

// TestBrowser walks the officer's day in a real browser: log in, tap the
// sample card, search by name without diacritics, open the record and its
// household, register a temporary residence and a birth and see their
// outcomes arrive live, print a confirmation, and meet the role, CSRF and
// session protections. With XANODE_SCREENSHOTS set it saves each main
// page there.
func TestBrowser(t *testing.T) {
	if testing.Short() && os.Getenv("XANODE_REQUIRE_BROWSER") != "1" {
		t.Skip("browser test skipped in -short mode")
	}
	b := newBrowser(t)
	mem := newMemRegistry(func() time.Time { return testNow })
	h := newHub()
	e := newEnv(t, Config{
		Registry: mem.fake(),
		Events:   h.events(),
		Cards: &fakeCards{tap: func(context.Context, string) (*Identification, error) {
			return sampleIdentification(sampleCitizen()), nil
		}},
	})
	base := e.ts.URL
	b.loginAndTap(base)
	b.searchAndOpen(base)
	b.registerTemporary(mem, h)
	b.registerBirth(base, mem, h)
	b.printAndProtections(base, mem)

	b.Do("switch to English", chromedp.Navigate(base+"/outbox?lang=en"), chromedp.WaitVisible(chromedp.CSS("#live .badge.applied")))
	if s := b.Text("#live .badge.applied"); s != "Applied" {
		t.Errorf("English outcome shows %q", s)
	}
	b.Screenshot("15-outbox-en")
	b.Do("back to Vietnamese", chromedp.Navigate(base+"/?lang=vi"), chromedp.WaitVisible(chromedp.CSS("#tap")))

	errs := b.ConsoleErrors()
	if len(errs) > 0 {
		t.Errorf("the browser console reported errors (CSP or script):\n%s", strings.Join(errs, "\n"))
	}
	b.Do("log out", chromedp.Click(chromedp.CSS(".top form.inline button")), chromedp.WaitVisible(chromedp.CSS("#user")))
	b.Do("open a record after logout", chromedp.Navigate(base+"/citizen/"+sampleID), chromedp.WaitVisible(chromedp.CSS("#user")))
	if loc := b.Location(); !strings.Contains(loc, "/login?next=%2Fcitizen%2F"+sampleID) {
		t.Errorf("after logout a record page goes to %q, want the login page", loc)
	}
	b.Screenshot("16-after-logout")
	// While the logout is under way the old page's script may still fetch
	// its live part and get 401 (it then goes to the login page): expected.
	for _, e := range b.ConsoleErrors()[len(errs):] {
		if !strings.Contains(e, "status of 401") {
			t.Errorf("the browser console reported an error around the logout: %s", e)
		}
	}
}

// TestBrowserLoginCountdown: a login refused for too many failures counts
// down live to when it may be tried again, with the submit button held
// until then, under the CSP (no inline script).
func TestBrowserLoginCountdown(t *testing.T) {
	if testing.Short() && os.Getenv("XANODE_REQUIRE_BROWSER") != "1" {
		t.Skip("browser test skipped in -short mode")
	}
	b := newBrowser(t)
	e := newEnv(t, Config{LoginWindow: 3 * time.Second})
	for range 5 {
		e.loginFrom("10.0.0.1", "lan", "sai")
	}
	b.Do("log in while locked out",
		chromedp.Navigate(e.ts.URL+"/login"),
		chromedp.WaitVisible(chromedp.CSS("#user")),
		chromedp.SendKeys(chromedp.CSS("#user"), "lan"),
		chromedp.SendKeys(chromedp.CSS("#password"), officerPwd),
		chromedp.Click(chromedp.CSS("button.primary")),
		chromedp.WaitVisible(chromedp.CSS(".countdown")),
	)
	disabled := func() bool {
		return browsertest.Run(b.Browser, "submit state", chromedp.Evaluate[bool](`document.querySelector('button.primary').disabled`))
	}
	if !disabled() {
		t.Error("the submit button is usable during the countdown")
	}
	b.Screenshot("17-login-countdown")
	const done = "Bây giờ có thể thử lại."
	for deadline := time.Now().Add(20 * time.Second); b.Text(".countdown") != done; time.Sleep(100 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the countdown shows %q after 20 s of a 3 s wait", b.Text(".countdown"))
		}
	}
	if disabled() {
		t.Error("the submit button stays disabled after the countdown")
	}
	if s := b.Text(".help"); !strings.Contains(s, "đường dây nóng CNTT") {
		t.Errorf("whom to call shows %q", s)
	}
	if errs := b.ConsoleErrors(); len(errs) > 0 {
		t.Errorf("the browser console reported errors (CSP or script):\n%s", strings.Join(errs, "\n"))
	}
}

// loginAndTap logs in as the sample officer and taps the sample card.
func (b *browser) loginAndTap(base string) {
	t := b.T
	t.Helper()
	b.Do("open the login page", chromedp.Navigate(base+"/"), chromedp.WaitVisible(chromedp.CSS("#user")))
	b.Screenshot("01-login")
	b.Do("log in",
		chromedp.SendKeys(chromedp.CSS("#user"), "lan"),
		chromedp.SendKeys(chromedp.CSS("#password"), officerPwd),
		chromedp.Click(chromedp.CSS("button.primary")),
		chromedp.WaitVisible(chromedp.CSS("#tap")),
	)
	if id := b.Focused(); id != "id" {
		t.Errorf("the home page starts in box %q, want the ID box", id)
	}
	b.Screenshot("02-home")

	b.Do("tap the sample card", chromedp.Click(chromedp.CSS("#tap")), chromedp.WaitVisible(chromedp.CSS("#ident")))
	if s := b.Text("#ident .badge"); s != "Đã đọc chip (chưa xác thực chữ ký)" {
		t.Errorf("assurance shows %q", s)
	}
	if s := b.Text("#ident tr.diff"); !strings.Contains(s, "Quê quán") || !strings.Contains(s, "Khác") {
		t.Errorf("highlighted difference shows %q", s)
	}
	b.Screenshot("03-tapped")
}

// searchAndOpen finds the sample citizen by her name typed without
// diacritics, opens her record and checks her household.
func (b *browser) searchAndOpen(base string) {
	t := b.T
	t.Helper()
	b.Do("search by parts of the name, without diacritics or date of birth",
		chromedp.Navigate(base+"/"),
		chromedp.WaitVisible(chromedp.CSS("#name")),
		chromedp.SendKeys(chromedp.CSS("#name"), "thu ha"),
		chromedp.Submit(chromedp.CSS("#name")),
		chromedp.WaitVisible(chromedp.CSS("#results")),
	)
	if s := b.Text("#results tbody"); !strings.Contains(s, "Nguyễn Thị Thu Hà") || !strings.Contains(s, "Khớp một phần") {
		t.Errorf("search by parts shows %q", s)
	}
	b.Screenshot("04-search-parts")
	b.Do("search by name without diacritics",
		chromedp.Navigate(base+"/"),
		chromedp.WaitVisible(chromedp.CSS("#name")),
		chromedp.SendKeys(chromedp.CSS("#name"), "nguyen thi thu ha"),
		chromedp.SendKeys(chromedp.CSS("#birth"), "08/03/1995"),
		chromedp.Submit(chromedp.CSS("#name")),
		chromedp.WaitVisible(chromedp.CSS("#results")),
	)
	if s := b.Text("#results tbody"); !strings.Contains(s, "Nguyễn Thị Thu Hà") || !strings.Contains(s, sampleID) {
		t.Errorf("search results show %q", s)
	}
	b.Screenshot("04-search")
	b.Do("open the record", chromedp.Click(chromedp.CSS("#results tbody a")), chromedp.WaitVisible(chromedp.CSS("#household")))
	if s := b.Text("#household tbody"); !strings.Contains(s, "Chủ hộ") || !strings.Contains(s, "Trần Minh Khôi") {
		t.Errorf("household shows %q", s)
	}
	b.Screenshot("05-record")
}

// registerTemporary records a temporary residence from the record page,
// fixing a wrong date on the way, and sees the city's outcome arrive.
func (b *browser) registerTemporary(mem *memRegistry, h *hub) {
	t := b.T
	t.Helper()
	b.Do("open the temporary residence form",
		chromedp.Click(chromedp.CSS(`nav.actions a[href$="/change/register_temporary"]`)),
		chromedp.WaitVisible(chromedp.CSS("#f-temporary_address")),
	)
	if id := b.Focused(); id != "f-temporary_address" {
		t.Errorf("the form starts in box %q, want the first one", id)
	}
	b.Do("submit a wrong date",
		chromedp.SendKeys(chromedp.CSS("#f-temporary_address"), "45 Nguyễn Văn Cừ, phường An Khánh, Ninh Kiều, Cần Thơ"),
		chromedp.SendKeys(chromedp.CSS("#f-temporary_until"), "31/02/2026"),
		chromedp.SendKeys(chromedp.CSS("#f-temporary_from"), "01/03/2026"),
		chromedp.SetValue(chromedp.CSS("#f-residence_basis"), registry.BasisOwn),
		chromedp.Click(chromedp.CSS("#change button.primary")),
		chromedp.WaitVisible(chromedp.CSS("#f-temporary_until-error")),
	)
	if s := b.Text("#f-temporary_until-error"); !strings.Contains(s, "Ngày không hợp lệ") {
		t.Errorf("date error shows %q", s)
	}
	if id := b.Focused(); id != "f-temporary_until" {
		t.Errorf("after the refusal the focus is in %q, want the wrong box", id)
	}
	b.Screenshot("06-form-error")
	b.Do("correct the date and review",
		chromedp.Clear(chromedp.CSS("#f-temporary_until")),
		chromedp.SendKeys(chromedp.CSS("#f-temporary_until"), "31/12/2026"),
		chromedp.SetValue(chromedp.CSS("#f-residence_basis"), registry.BasisRent),
		chromedp.SetValue(chromedp.CSS("#f-owner_consent"), registry.ConsentAgreed),
		chromedp.Click(chromedp.CSS("#change button.primary")),
		chromedp.WaitVisible(chromedp.CSS("#review")),
	)
	if s := b.Text("#review"); !strings.Contains(s, "Thuê") || !strings.Contains(s, "31/12/2026") {
		t.Errorf("the review shows %q", s)
	}
	if n := len(mem.recordedDrafts()); n != 0 {
		t.Errorf("%d changes recorded before the confirmation", n)
	}
	b.Screenshot("06b-review")
	b.Do("confirm and record",
		chromedp.Click(chromedp.CSS("#confirm-form button.primary")),
		chromedp.WaitVisible(chromedp.CSS("#recorded .badge.pending")),
		chromedp.WaitVisible(chromedp.CSS("#conn.on")), // the live socket is up
	)
	if got := mem.recordedDrafts(); len(got) != 1 || got[0].Patch["temporary_until"] != "2026-12-31" {
		t.Fatalf("recorded drafts %+v", got)
	}
	b.Screenshot("07-recorded")

	waitSubscribers(t, h, 1)
	mem.settle("edge-1/1", registry.Outcome{Result: registry.Applied})
	h.publish(Event{Kind: EventOutcome, Change: "edge-1/1"})
	b.Do("see the outcome arrive live", chromedp.WaitVisible(chromedp.CSS("#recorded .badge.applied")))
	if s := b.Text("#recorded .badge"); s != "Đã áp dụng" {
		t.Errorf("outcome shows %q", s)
	}
	if s := b.Text(".top .count"); s != "0" {
		t.Errorf("menu badge shows %q waiting after the outcome, want 0", s)
	}
	b.Screenshot("08-outcome")
}

// registerBirth registers the sample citizen's newborn from her record
// and sees the assigned personal ID replace the provisional one live.
func (b *browser) registerBirth(base string, mem *memRegistry, h *hub) {
	t := b.T
	t.Helper()
	b.Do("open the birth form from the mother's record",
		chromedp.Navigate(base+"/citizen/"+sampleID),
		chromedp.Click(chromedp.CSS(`nav.actions a[href^="/birth?parent="]`)),
		chromedp.WaitVisible(chromedp.CSS("#f-full_name")),
	)
	if v := b.Value("#f-mother_name"); v != "Nguyễn Thị Thu Hà" {
		t.Errorf("mother's name filled with %q", v)
	}
	b.Do("fill the birth",
		chromedp.SendKeys(chromedp.CSS("#f-full_name"), "Trần Gia Bảo"),
		chromedp.SendKeys(chromedp.CSS("#f-birth_date"), "01/03/2026"),
		chromedp.SetValue(chromedp.CSS("#f-sex"), registry.SexMale),
	)
	b.Screenshot("09-birth-form")
	b.Do("record the birth",
		chromedp.Click(chromedp.CSS("#change button.primary")),
		chromedp.WaitVisible(chromedp.CSS("#review")),
		chromedp.Click(chromedp.CSS("#confirm-form button.primary")),
		chromedp.WaitVisible(chromedp.CSS("#recorded .badge.pending")),
	)
	if s := b.Text("#recorded"); !strings.Contains(s, "Số tạm thời của trẻ: P-edge-1-2") {
		t.Errorf("the recorded birth shows %q", s)
	}
	b.Screenshot("10-birth-recorded")
	waitSubscribers(t, h, 1)
	mem.settle("edge-1/2", registry.Outcome{Result: registry.Applied, Citizen: "092226000017"})
	h.publish(Event{Kind: EventOutcome, Change: "edge-1/2"})
	b.Do("see the assigned ID arrive live", chromedp.WaitVisible(chromedp.CSS("#recorded .assigned")))
	if s := b.Text("#recorded .assigned"); !strings.Contains(s, "092226000017") {
		t.Errorf("the assigned ID shows %q", s)
	}
	b.Screenshot("11-birth-assigned")
}

// printAndProtections prints a confirmation, then meets the role rule and
// a forged form.
func (b *browser) printAndProtections(base string, mem *memRegistry) {
	t := b.T
	t.Helper()
	b.Do("open the confirmation", chromedp.Navigate(base+"/citizen/"+sampleID+"/print"), chromedp.WaitVisible(chromedp.CSS("#print-button")))
	if s := b.Text("h1"); s != "XÁC NHẬN THÔNG TIN VỀ CƯ TRÚ" {
		t.Errorf("confirmation heading %q", s)
	}
	b.Screenshot("12-print")
	b.Do("look at it as printed", printMedia("print"), chromedp.Sleep(100*time.Millisecond))
	b.Screenshot("12-print-paper")
	b.Do("back to the screen", printMedia(""))

	b.Do("open a supervisor's form as an officer",
		chromedp.Navigate(base+"/citizen/"+sampleID+"/change/register_death"),
		chromedp.WaitVisible(chromedp.CSS("#denied")),
	)
	if n := b.Count("fieldset[disabled]"); n != 1 {
		t.Errorf("the death form is not disabled for an officer (%d disabled fieldsets)", n)
	}
	b.Screenshot("13-supervisor-only")

	before := len(mem.recordedDrafts())
	b.Do("post a form without its token",
		chromedp.Navigate(base+"/citizen/"+sampleID+"/change/declare_absence"),
		chromedp.WaitVisible(chromedp.CSS("#f-absence")),
		chromedp.SendKeys(chromedp.CSS("#f-absence"), "TP Hồ Chí Minh"),
		chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			_, err := chromedp.Evaluate[bool](`document.querySelector('#change input[name=csrf]').remove(), true`)(ctx, tg)
			return err
		}),
		chromedp.Click(chromedp.CSS("#change button.primary")),
		chromedp.WaitVisible(chromedp.CSS("main p.error")),
	)
	if s := b.Text("main p.error"); !strings.Contains(s, "Biểu mẫu đã hết hạn hoặc không hợp lệ") {
		t.Errorf("a forged form shows %q", s)
	}
	if n := len(mem.recordedDrafts()); n != before {
		t.Errorf("a form without its token was recorded")
	}
	b.Screenshot("14-csrf-refused")
}

// printMedia makes the page render as on paper ("print") or on screen ("").
func printMedia(media string) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := cdp.Call(ctx, tg, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{Media: media})
		return err
	})
}
