package webui

import (
	"bytes"
	"context"
	"image"
	"image/color"
	"image/jpeg"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/xanode/xanode/webui/shell/browsertest"
)

// portrait is a small JPEG for the face tests.
func portrait(t *testing.T) []byte {
	img := image.NewRGBA(image.Rect(0, 0, 120, 160))
	for y := range 160 {
		for x := range 120 {
			c := color.RGBA{200, 215, 235, 255}
			if dx, dy := x-60, y-70; dx*dx*16+dy*dy*9 < 40*40*9 {
				c = color.RGBA{220, 180, 150, 255}
			}
			img.SetRGBA(x, y, c)
		}
	}
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, nil); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// TestBrowserDesk follows, in a real browser, what the brief of the
// officer's desk asks: the chip's face beside its data, the city link in
// the header with its age ticking, the plain message while the city is
// away (turning into "connected" live), and a decision after review
// arriving live as a notice, which the officer marks seen.
func TestBrowserDesk(t *testing.T) {
	if testing.Short() && os.Getenv("XANODE_REQUIRE_BROWSER") != "1" {
		t.Skip("browser test skipped in -short mode")
	}
	b := newBrowser(t)
	h := newHub()
	var mu sync.Mutex
	now := testNow
	st := Status{Node: "edge-1", Commune: "31117", CommuneName: "Phường Xuân Khánh", HasSubset: true, Pending: 2,
		OldestPending: now.Add(-3 * time.Second), LastSynced: now.Add(-17 * time.Minute),
		LastError: `Post "https://city-1.lan:7441/v1/push": dial tcp 10.20.0.11:7441: connect: no route to host`}
	rb := reviewedBirth()
	rb.Change.Officer = "lan"
	reg := &decidingRegistry{
		fakeRegistry: &fakeRegistry{status: func() (Status, error) { mu.Lock(); defer mu.Unlock(); return st, nil },
			recent: func(int) ([]Recorded, error) { return []Recorded{rb}, nil }},
		notices: map[string][]Recorded{}, finals: map[string]string{},
	}
	face := portrait(t)
	cards := &fakeCards{tap: func(context.Context, string) (*Identification, error) {
		id := sampleIdentification(sampleCitizen())
		id.Face = &Face{JPEG: face, Width: 120, Height: 160}
		return id, nil
	}}
	e := newEnv(t, Config{Registry: reg, Events: h.events(), Cards: cards, Now: func() time.Time { return now }})
	base := e.ts.URL
	b.Do("log in",
		chromedp.Navigate(base+"/"), chromedp.WaitVisible(chromedp.CSS("#user")),
		chromedp.SendKeys(chromedp.CSS("#user"), "lan"),
		chromedp.SendKeys(chromedp.CSS("#password"), officerPwd),
		chromedp.Click(chromedp.CSS("button.primary")),
		chromedp.WaitVisible(chromedp.CSS("#city-link.off")),
		chromedp.WaitVisible(chromedp.CSS("#offline .offline")),
	)
	if s := b.Text("#city-link"); !strings.Contains(s, "lần cuối 17 phút trước") {
		t.Errorf("the city link says %q", s)
	}
	if s := b.Text("#offline"); !strings.Contains(s, "các thay đổi đã được lưu an toàn trên máy") || strings.Contains(s, "no route to host") {
		t.Errorf("the offline message says %q (the raw error must be folded away)", s)
	}
	b.Screenshot("desk-01-home-offline")

	b.Do("open the queue", chromedp.Navigate(base+"/outbox"), chromedp.WaitVisible(chromedp.CSS("#offline .offline")))
	// Read in one evaluation: the page's script may swap #live's content
	// (its refresh on the socket opening) between finding a node and
	// reading it.
	first := browsertest.Run(b.Browser, "the waiting time", chromedp.Poll[string](
		`(function(){var s=document.querySelector('#live span[data-ago]');return s?s.textContent:''})()`))
	waited := browsertest.Run(b.Browser, "the waiting time to tick", chromedp.Poll[string](
		`(function(){var s=document.querySelector('#live span[data-ago]');return s&&s.textContent!==`+browsertest.JSString(first)+`?s.textContent:''})()`))
	t.Logf("the oldest change's waiting time ticked from %q to %q", first, waited)
	b.Do("unfold the technical detail", chromedp.Click(chromedp.CSS("#offline summary")), chromedp.WaitVisible(chromedp.CSS("#offline .technical")))
	b.Screenshot("desk-02-queue-offline")

	waitSubscribers(t, h, 1)
	mu.Lock()
	st.CityConnected, st.LastError, st.Pending, st.LastSynced = true, "", 0, now
	mu.Unlock()
	h.publish(Event{Kind: EventSync})
	b.Do("see the city come back", chromedp.WaitVisible(chromedp.CSS("#city-link.on")), chromedp.WaitNotPresent(chromedp.CSS("#offline .offline")))

	reg.mu.Lock()
	reg.notices["lan"] = []Recorded{rb}
	reg.mu.Unlock()
	h.publish(Event{Kind: EventDecision, Change: rb.Change.ID()})
	b.Do("see the decision arrive", chromedp.WaitVisible(chromedp.CSS("#notices .notice")))
	if s := b.Text("#notices"); !strings.Contains(s, "chấp nhận Đăng ký khai sinh của 092326900001") {
		t.Errorf("the notice says %q", s)
	}
	b.Screenshot("desk-03-decision-notice")
	b.Do("mark it seen", chromedp.Click(chromedp.CSS("#notices button")), chromedp.WaitVisible(chromedp.CSS("#live")),
		chromedp.WaitNotPresent(chromedp.CSS("#notices .notice")))
	if len(reg.dismissed) != 1 {
		t.Errorf("dismissed %v", reg.dismissed)
	}
	if s := b.Text("#c-edge-1\\/7"); !strings.Contains(s, "Sau xem xét: Đã áp dụng") {
		t.Errorf("the queue shows the birth as %q", s)
	}
	b.Screenshot("desk-04-queue-decision")

	b.Do("tap a card", chromedp.Navigate(base+"/"), chromedp.Click(chromedp.CSS("#tap")), chromedp.WaitVisible(chromedp.CSS("#ident .face img")))
	if w := browsertest.Run(b.Browser, "the face's width", chromedp.Poll[int](`(function(){var i=document.querySelector('#ident .face img');return i&&i.complete?i.naturalWidth:0})()`)); w != 120 {
		t.Errorf("the face shows %d pixels wide", w)
	}
	b.Screenshot("desk-05-face")
	b.Do("in English", chromedp.Navigate(base+"/?lang=en"), chromedp.WaitVisible(chromedp.CSS("#city-link.on")))
	if s := b.Text("#city-link"); s != "Connected to the city" {
		t.Errorf("the city link in English: %q", s)
	}
	for _, e := range b.ConsoleErrors() {
		t.Errorf("browser console: %s", e)
	}
}
