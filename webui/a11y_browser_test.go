package webui

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/xanode/xanode/node/registry"
	"github.com/xanode/xanode/webui/shell/browsertest"
)

// axeScript is axe-core, installed by npm into testdata/axe (.ci/run
// runs npm ci there). Without it the accessibility check skips, unless
// XANODE_REQUIRE_BROWSER=1.
func axeScript(t *testing.T) string {
	t.Helper()
	script := axeOrNothing(t)
	if script == "" {
		t.Skip(axeHowto)
	}
	return script
}

const axeHowto = "axe-core not installed; run `npm ci` in webui/testdata/axe to run the accessibility check"

// axeOrNothing is axe-core, or "" when it is not installed and not
// required: a test whose main subject is not accessibility runs on
// without the check (b.axe then does nothing).
func axeOrNothing(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "axe", "node_modules", "axe-core", "axe.min.js"))
	if err != nil {
		if os.Getenv("XANODE_REQUIRE_BROWSER") == "1" {
			t.Fatalf("%s (XANODE_REQUIRE_BROWSER=1): %v", axeHowto, err)
		}
		t.Log(axeHowto)
		return ""
	}
	return string(b)
}

// axe runs axe-core's WCAG 2 A and AA rules on the page shown and fails
// the test with every violation. The script is evaluated through the
// DevTools protocol, which the page's CSP does not govern; the page
// itself still runs without inline script.
func (b *browser) axe(script, page string) {
	b.T.Helper()
	if script == "" {
		return
	}
	if !browsertest.Run(b.Browser, "axe loaded", chromedp.Evaluate[bool](`typeof axe !== 'undefined'`)) {
		browsertest.Run(b.Browser, "inject axe", chromedp.Evaluate[bool](script+";true"))
	}
	out := browsertest.Run(b.Browser, "axe on "+page, chromedp.Evaluate[string](`axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}})
		.then(r => JSON.stringify(r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
			nodes: v.nodes.slice(0, 3).map(n => n.target.join(' '))}))))`, chromedp.EvalAwaitPromise))
	var violations []struct {
		ID, Impact, Help string
		Nodes            []string
	}
	if err := json.Unmarshal([]byte(out), &violations); err != nil {
		b.T.Fatalf("axe on %s: %v: %s", page, err, out)
	}
	for _, v := range violations {
		b.T.Errorf("accessibility, %s: %s (%s): %s at %s", page, v.ID, v.Impact, v.Help, strings.Join(v.Nodes, ", "))
	}
}

// key presses keys on the element that has the focus.
func (b *browser) key(what string, keys string) {
	b.T.Helper()
	b.Do(what, chromedp.KeyEvent(keys))
}

// tabTo presses Tab until the element matched by js (an expression on
// document.activeElement, called el) has the focus: the proof that the
// keyboard reaches it. It fails after 60 presses.
func (b *browser) tabTo(what, js string) {
	b.T.Helper()
	for range 60 {
		if browsertest.Run(b.Browser, "focus of "+what, chromedp.Evaluate[bool](`(function(el){ return !!el && (`+js+`); })(document.activeElement)`)) {
			return
		}
		b.Do("tab towards "+what, chromedp.KeyEvent(kb.Tab))
	}
	b.T.Fatalf("Tab never reaches %s", what)
}

func (b *browser) waitFor(what, sel string) {
	b.T.Helper()
	b.Do(what, chromedp.WaitVisible(chromedp.CSS(sel)))
}

// TestBrowserKeyboardAndAccessibility goes through an officer's flow by
// keyboard alone — log in, search by part of a name, open the record,
// register a temporary residence with its review, see it in the queue,
// make the month's report, open the password page — checking every page
// with axe-core, and then shows each main page at phone width, where
// nothing may be wider than the screen.
func TestBrowserKeyboardAndAccessibility(t *testing.T) {
	if testing.Short() && os.Getenv("XANODE_REQUIRE_BROWSER") != "1" {
		t.Skip("browser test skipped in -short mode")
	}
	script := axeScript(t)
	b := newBrowser(t)
	mem := newMemRegistry(func() time.Time { return testNow })
	reg := &reportRegistry{fakeRegistry: mem.fake()}
	off := &pwOfficers{fakeOfficers: sampleOfficers(), change: func(string, string, string) error { return nil }}
	e := newEnv(t, Config{Registry: reg, Officers: off, Units: fakeUnits{}, Cards: &fakeCards{tap: func(context.Context, string) (*Identification, error) {
		return sampleIdentification(sampleCitizen()), nil
	}}})
	base := e.ts.URL

	b.Do("open the login page", chromedp.Navigate(base+"/"), chromedp.WaitVisible(chromedp.CSS("#user")))
	b.axe(script, "login")
	b.key("type the user", "lan")
	b.key("to the password", kb.Tab)
	b.key("type the password", officerPwd+kb.Enter)
	b.waitFor("home", "#tap")
	b.axe(script, "home")

	b.tabTo("the name box", `el.id === 'name'`)
	b.key("search by part of the name", "thu ha"+kb.Enter)
	b.waitFor("results", "#results")
	b.axe(script, "search results")
	b.tabTo("the first result", `el.tagName === 'A' && el.href.indexOf('/citizen/`+sampleID+`') >= 0`)
	b.key("open the record", kb.Enter)
	b.waitFor("the record", "#household")
	b.axe(script, "record")
	b.tabTo("the temporary residence form", `el.tagName === 'A' && /register_temporary$/.test(el.href)`)
	b.key("open the form", kb.Enter)
	b.waitFor("the form", "#f-temporary_address")
	b.axe(script, "form")

	fill := []struct{ id, keys string }{
		{"f-temporary_address_detail", "Số 5, Đường Nguyễn Trãi"},
		{"f-temporary_address", "Số 5, Đường Nguyễn Trãi, Phường Cái Khế, Thành phố Cần Thơ"},
		{"f-temporary_from", "01/03/2026"},
		{"f-temporary_until", "31/12/2026"},
		{"f-residence_basis", "Thuê"},
		{"f-owner_consent", "Chủ"},
	}
	for _, f := range fill {
		b.tabTo(f.id, `el.id === '`+f.id+`'`)
		b.key("type into "+f.id, f.keys)
	}
	if v := b.Value("#f-residence_basis"); v != registry.BasisRent {
		t.Errorf("typing on the basis box chose %q", v)
	}
	b.tabTo("the submit button", `el.type === 'submit' && el.classList.contains('primary')`)
	b.key("to the review", kb.Enter)
	b.waitFor("the review", "#review")
	b.axe(script, "review")
	if id := b.Focused(); id != "" {
		t.Logf("the review starts on %q", id)
	}
	b.tabTo("the confirm button", `el.type === 'submit' && el.classList.contains('primary')`)
	b.key("confirm", kb.Enter)
	b.waitFor("recorded", "#recorded")
	b.axe(script, "queue")
	if got := mem.recordedDrafts(); len(got) != 1 || got[0].Patch["residence_basis"] != registry.BasisRent {
		t.Fatalf("recorded by keyboard: %+v", got)
	}

	b.tabTo("the reports menu", `el.tagName === 'A' && /\/reports$/.test(el.href)`)
	b.key("open the reports", kb.Enter)
	b.waitFor("the report", "#report")
	b.axe(script, "report")
	b.tabTo("the password link", `el.tagName === 'A' && /\/password$/.test(el.href)`)
	b.key("open the password page", kb.Enter)
	b.waitFor("the password form", "#password-form")
	b.axe(script, "password")

	// Phone width: every main page fits the screen.
	b.Do("phone width", chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := cdp.Call(ctx, tg, emulation.SetDeviceMetricsOverride, emulation.SetDeviceMetricsOverrideParams{
			Width: 360, Height: 740, DeviceScaleFactor: 2, Mobile: true})
		return err
	}))
	for i, path := range []string{"/", "/search?name=thu+ha", "/citizen/" + sampleID, "/citizen/" + sampleID + "/change/register_temporary",
		"/outbox", "/reports", "/password", "/citizen/" + sampleID + "/print"} {
		b.Do("open "+path, chromedp.Navigate(base+path), chromedp.WaitVisible(chromedp.CSS("main")))
		wide := browsertest.Run(b.Browser, "width of "+path, chromedp.Evaluate[int](`document.documentElement.scrollWidth - window.innerWidth`))
		if wide > 0 {
			t.Errorf("%s is %d px wider than a 360 px screen", path, wide)
		}
		b.Screenshot(fmt.Sprintf("20-phone-%02d%s", i, strings.NewReplacer("/", "-", "?", "-", "=", "-", "+", "-").Replace(path)))
	}
	if errs := b.ConsoleErrors(); len(errs) > 0 {
		t.Errorf("the browser console reported errors (CSP or script):\n%s", strings.Join(errs, "\n"))
	}
}
