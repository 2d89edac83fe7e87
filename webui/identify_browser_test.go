package webui

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// TestBrowserReaderLive follows a real reader in a real browser: its state
// changes on the home page as events arrive, a card placed brings the
// keyboard to the ID box, and the ID typed there reaches the reader.
func TestBrowserReaderLive(t *testing.T) {
	if testing.Short() && os.Getenv("XANODE_REQUIRE_BROWSER") != "1" {
		t.Skip("browser test skipped in -short mode")
	}
	b := newBrowser(t)
	h := newHub()
	cards := &readerCards{status: ReaderStatus{State: ReaderReady, Name: "ACS ACR1252 PICC", NeedsKey: true}}
	e := newEnv(t, Config{Registry: newMemRegistry(func() time.Time { return testNow }).fake(), Events: h.events(), Cards: cards})
	base := e.ts.URL
	b.Do("log in",
		chromedp.Navigate(base+"/"), chromedp.WaitVisible(chromedp.CSS("#user")),
		chromedp.SendKeys(chromedp.CSS("#user"), "lan"),
		chromedp.SendKeys(chromedp.CSS("#password"), officerPwd),
		chromedp.Click(chromedp.CSS("button.primary")),
		chromedp.WaitVisible(chromedp.CSS(`#reader-state[data-state="ready"]`)),
		chromedp.WaitVisible(chromedp.CSS("#conn.on")), // the websocket is open
	)
	if id := b.Focused(); id != "tap-key" {
		t.Errorf("with a real reader the home page starts in box %q, want tap-key", id)
	}
	if s := b.Text("#tap"); s != "Đọc thẻ" {
		t.Errorf("the button says %q", s)
	}
	b.Do("look elsewhere", chromedp.Focus(chromedp.CSS("#name")))

	cards.setStatus(ReaderStatus{State: ReaderCard, Name: "ACS ACR1252 PICC", NeedsKey: true})
	h.publish(Event{Kind: EventCard})
	h.publish(Event{Kind: EventReader})
	b.Do("see the card placed", chromedp.WaitVisible(chromedp.CSS(`#reader-state[data-state="card"]`)),
		chromedp.WaitVisible(chromedp.CSS("#card-notice")))
	if s := b.Text("#reader-state"); !strings.Contains(s, "Có thẻ trên đầu đọc.") || !strings.Contains(s, "ACS ACR1252 PICC") {
		t.Errorf("reader state shows %q", s)
	}
	if id := b.Focused(); id != "tap-key" {
		t.Errorf("a card placed took the keyboard to %q, want the empty ID box", id)
	}

	b.Do("type a short ID", chromedp.SendKeys(chromedp.CSS("#tap-key"), "0921980"+kb.Enter),
		chromedp.WaitVisible(chromedp.CSS("#tap-key-error")))
	if id := b.Focused(); id != "tap-key" {
		t.Errorf("after a refused ID the keyboard is in %q", id)
	}
	b.Do("type it again, in groups, and read", chromedp.Clear(chromedp.CSS("#tap-key")),
		chromedp.SendKeys(chromedp.CSS("#tap-key"), "092 198 012 345"+kb.Enter),
		chromedp.WaitVisible(chromedp.CSS("#ident")), chromedp.WaitVisible(chromedp.CSS("#conn.on")))
	if keys := cards.taken(); len(keys) != 1 || keys[0] != (CardKey{ID: "092198012345"}) {
		t.Errorf("the reader got keys %+v", keys)
	}

	cards.setStatus(ReaderStatus{State: ReaderDown, NeedsKey: true})
	h.publish(Event{Kind: EventReader})
	b.Do("see pcscd gone", chromedp.WaitVisible(chromedp.CSS(`#reader-state[data-state="down"]`)))
	for _, e := range b.ConsoleErrors() {
		if !strings.Contains(e, "status of 400") { // the refused ID
			t.Errorf("browser console: %s", e)
		}
	}
}
