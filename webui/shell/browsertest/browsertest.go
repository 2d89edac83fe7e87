// Package browsertest drives headless Chromium for the real-browser tests
// of both web UIs (DESIGN.md, "Testing"): one tab per test, every console
// error and script exception collected (a CSP violation shows only
// there), steps with deadlines that fail the test naming the step, and
// screenshots when XANODE_SCREENSHOTS names a folder. Only _test files
// import it: nothing of it is linked into the xanode binary
// (node/layout_test.go checks).
package browsertest

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// stepWait bounds one step: a page that never shows what a step waits
// for fails the test instead of hanging it.
const stepWait = 20 * time.Second

// Chromium finds Debian's Chromium. Without it the calling test skips,
// unless XANODE_REQUIRE_BROWSER=1 (CI), where a silent skip would hide a
// missing install step.
func Chromium(t testing.TB) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	const howto = "headless Chromium not found; install it with " +
		"`apt-get update && apt-get install -y chromium` to run the browser test"
	if os.Getenv("XANODE_REQUIRE_BROWSER") == "1" {
		t.Fatal(howto + " (XANODE_REQUIRE_BROWSER=1)")
	}
	t.Skip(howto)
	return ""
}

// Options shape a browser.
type Options struct {
	Width, Height int // the window; 0: 1366×768, the common office PC screen
	// Prefix is put before every screenshot's name ("" none).
	Prefix string
	// Expected tells console errors a test provokes on purpose (a refused
	// form's status) from real ones; nil: every error counts.
	Expected func(text string) bool
}

// Browser is one Chromium tab.
type Browser struct {
	T   *testing.T
	Ctx context.Context

	dir, prefix string
	expected    func(string) bool

	mu      sync.Mutex
	console []string
}

// New starts Chromium for t (skipping or failing as Chromium says) and
// stops it when t ends.
func New(t *testing.T, o Options) *Browser {
	t.Helper()
	path := Chromium(t)
	if o.Width == 0 {
		o.Width, o.Height = 1366, 768
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(o.Width, o.Height),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(actx)
	t.Cleanup(func() {
		cancelCtx()
		cancelAlloc()
	})
	b := &Browser{T: t, Ctx: ctx, dir: os.Getenv("XANODE_SCREENSHOTS"), prefix: o.Prefix, expected: o.Expected}
	if b.dir != "" {
		if err := os.MkdirAll(b.dir, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	// Start the browser, then listen to the console.
	if err := chromedp.Do(ctx, chromedp.Navigate("about:blank")); err != nil {
		t.Fatalf("starting %s: %v", path, err)
	}
	messages := chromedp.Console(ctx)
	go func() {
		for m, err := range messages {
			if err != nil {
				return
			}
			if (m.Type == chromedp.ConsoleError || m.IsException()) && (b.expected == nil || !b.expected(m.Text)) {
				b.mu.Lock()
				b.console = append(b.console, m.String())
				b.mu.Unlock()
			}
		}
	}()
	return b
}

// Do runs steps with a deadline, failing the test with what step failed.
func (b *Browser) Do(what string, steps ...chromedp.Action[chromedp.Void]) {
	b.T.Helper()
	ctx, cancel := context.WithTimeout(b.Ctx, stepWait)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		b.T.Fatalf("%s: %v", what, err)
	}
}

// Run runs one action that yields a value, with a deadline, failing the
// test with what it was.
func Run[T any](b *Browser, what string, a chromedp.Action[T]) T {
	b.T.Helper()
	ctx, cancel := context.WithTimeout(b.Ctx, stepWait)
	defer cancel()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		b.T.Fatalf("%s: %v", what, err)
	}
	return v
}

// JSString quotes s for a JavaScript expression.
func JSString(s string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`, "\n", `\n`).Replace(s) + "'"
}

// Text is the visible text of the first element sel matches, waiting for
// one. It finds and reads the element in one evaluation: a live page may
// replace it between two protocol calls.
func (b *Browser) Text(sel string) string {
	b.T.Helper()
	v := Run(b, "text of "+sel, chromedp.Poll[struct{ T string }](
		`(function(){var e=document.querySelector(`+JSString(sel)+`);return e&&{T:e.innerText}})()`))
	return v.T
}

// Count is how many elements sel matches now.
func (b *Browser) Count(sel string) int {
	b.T.Helper()
	return Run(b, "count of "+sel, chromedp.Evaluate[int](`document.querySelectorAll(`+JSString(sel)+`).length`))
}

// Value is the value of the form control sel matches.
func (b *Browser) Value(sel string) string {
	b.T.Helper()
	return Run(b, "value of "+sel, chromedp.Value(chromedp.CSS(sel)))
}

// Location is the tab's address.
func (b *Browser) Location() string {
	b.T.Helper()
	return Run(b, "location", chromedp.Location())
}

// Focused is the id of the element that has the keyboard focus.
func (b *Browser) Focused() string {
	b.T.Helper()
	return Run(b, "focus", chromedp.Evaluate[string](`document.activeElement ? document.activeElement.id : ""`))
}

// Screenshot saves the whole page as name.png (with the prefix) when
// XANODE_SCREENSHOTS names a folder.
func (b *Browser) Screenshot(name string) {
	b.T.Helper()
	if b.dir == "" {
		return
	}
	png, err := chromedp.Run(b.Ctx, chromedp.FullScreenshot(100))
	if err != nil {
		b.T.Fatalf("screenshot %s: %v", name, err)
	}
	if err := os.WriteFile(filepath.Join(b.dir, b.prefix+name+".png"), png, 0o644); err != nil {
		b.T.Fatal(err)
	}
}

// ConsoleErrors are the console errors and exceptions so far, less the
// expected ones.
func (b *Browser) ConsoleErrors() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]string(nil), b.console...)
}
