package webui

import (
	"context"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/xanode/xanode/node/registry"
)

// cardsByKey answers a tap with the identification of the ID typed.
type cardsByKey map[string]*Identification

func (c cardsByKey) Tap(_ context.Context, _ string, key CardKey) (*Identification, error) {
	if id, ok := c[key.ID]; ok {
		return id, nil
	}
	return nil, ErrNoCard
}

const (
	offlineVisitorID = "092185007788"
	refusedVisitorID = "092185009999"
)

// visitorCards are the browser test's cards: the sample resident's, whose
// old address is the same place by the unit map; a visitor the city
// released; one served while the city is out of reach; one the city
// refused.
func visitorCards() cardsByKey {
	resident := sampleIdentification(sampleCitizen())
	resident.Matches = append(resident.Matches, FieldMatch{Field: "permanent_address",
		Chip:  "12 Trần Hưng Đạo, Phường An Cư, Quận Ninh Kiều, TP Cần Thơ",
		Local: "12 Trần Hưng Đạo, Phường Ninh Kiều, TP Cần Thơ", Agree: true, Renamed: true})
	city := &Visit{ID: visitorID, Source: VisitCity, Record: visitorRecord(), Commune: "92102", CommuneName: "Phường Cái Khế",
		Read: testNow, Until: testNow.Add(4 * time.Hour)}
	chip := makeCitizen(offlineVisitorID, map[string]string{"full_name": "Lê Thị Cúc", "birth_date": "1985-02-11", "sex": "F",
		"permanent_address": "Số 3 Đường Lý Tự Trọng, Phường An Hòa, Quận Ninh Kiều, TP Cần Thơ"})
	chip.Version = 0
	offline := &Visit{ID: offlineVisitorID, Source: VisitChip, Record: chip, Review: true, Offline: true, Proof: []byte("proof"), Read: testNow}
	return cardsByKey{
		sampleID: resident,
		visitorID: {ID: visitorID, DocNumber: visitorID[3:], Access: "pace", Assurance: AssuranceCloningChecked,
			Chip: map[string]string{"full_name": "Trần Thị Bình", "birth_date": "1990-07-02"}, Visit: city,
			Matches: []FieldMatch{
				{Field: "full_name", Chip: "Trần Thị Bình", Local: "Trần Thị Bình", Agree: true},
				{Field: "birth_date", Chip: "1990-07-02", Local: "1990-07-02", Agree: true},
				{Field: "permanent_address", Chip: "Số 8 Đường Hòa Bình, Phường An Hòa, Quận Ninh Kiều, TP Cần Thơ",
					Local: "Số 8 Đường Hòa Bình, Phường Cái Khế, TP Cần Thơ", Agree: true, Renamed: true},
			}},
		offlineVisitorID: {ID: offlineVisitorID, DocNumber: offlineVisitorID[3:], Access: "pace", Assurance: AssuranceCloningChecked,
			Chip: chip.Fields(), Visit: offline},
		refusedVisitorID: {ID: refusedVisitorID, Access: "pace", Assurance: AssuranceChipVerified,
			Chip: map[string]string{"full_name": "Đỗ Văn Giả"}, VisitProblem: VisitRefused},
	}
}

// tapKey types a card's number on the home page and reads it.
func (b *browser) tapKey(base, id string) {
	b.T.Helper()
	b.Do("tap the card of "+id, chromedp.Navigate(base+"/"), chromedp.WaitVisible(chromedp.CSS("#tap-key")),
		chromedp.SendKeys(chromedp.CSS("#tap-key"), id+kb.Enter), chromedp.WaitVisible(chromedp.CSS("#ident")))
}

// TestBrowserVisitors walks the officer through citizens of other
// communes in a real browser: a visitor whose record the city released,
// her record page and a temporary residence whose outcome arrives live; a
// visitor served while the city is out of reach, whose change waits for
// review; a card the city refused; and a resident's card with an address
// in the units of before the reform. With XANODE_SCREENSHOTS set it saves
// each page.
func TestBrowserVisitors(t *testing.T) {
	if testing.Short() && os.Getenv("XANODE_REQUIRE_BROWSER") != "1" {
		t.Skip("browser test skipped in -short mode")
	}
	axe := axeOrNothing(t)
	b := newBrowser(t)
	mem := newMemRegistry(func() time.Time { return testNow })
	h := newHub()
	reg := mem.fake()
	var offline atomic.Bool // the city link as the header shows it
	reg.status = func() (Status, error) {
		st, err := mem.status()
		if !offline.Load() {
			st.CityConnected, st.LastSynced = true, testNow
		}
		return st, err
	}
	e := newEnv(t, Config{Registry: reg, Events: h.events(), Cards: visitorCards()})
	base := e.ts.URL
	b.Do("log in",
		chromedp.Navigate(base+"/"), chromedp.WaitVisible(chromedp.CSS("#user")),
		chromedp.SendKeys(chromedp.CSS("#user"), "lan"),
		chromedp.SendKeys(chromedp.CSS("#password"), officerPwd),
		chromedp.Click(chromedp.CSS("button.primary")),
		chromedp.WaitVisible(chromedp.CSS("#tap")),
	)

	b.tapKey(base, visitorID)
	if s := b.Text("#visit-source"); !strings.Contains(s, "Công dân nơi khác") || !strings.Contains(s, "do thành phố cung cấp") ||
		!strings.Contains(s, "92102 (Phường Cái Khế)") || !strings.Contains(s, "không được lưu vào dữ liệu của xã") {
		t.Errorf("the visitor's source says %q", s)
	}
	if s := b.Text("#ident table.compare caption"); s != "Thông tin trên chip và hồ sơ của thành phố" {
		t.Errorf("the comparison's caption is %q", s)
	}
	if s := b.Text("#ident table.compare tbody"); !strings.Contains(s, "đơn vị hành chính trước ngày 01/7/2025") {
		t.Errorf("the old ward on her card is not explained: %q", s)
	}
	b.Screenshot("v01-visitor-tapped")
	b.axe(axe, "visitor-tapped")
	b.Do("open her record", chromedp.Click(chromedp.CSS("#visit-open")), chromedp.WaitVisible(chromedp.CSS("#visit-source")))
	if s := b.Text("main"); !strings.Contains(s, "Số 8 Đường Hòa Bình") || !strings.Contains(s, "Đăng ký tạm trú") {
		t.Errorf("her page shows %q", s)
	}
	b.Screenshot("v02-visitor-record")
	b.axe(axe, "visitor-record")
	b.Do("register her temporary residence",
		chromedp.Click(chromedp.CSS(`nav.actions a[href$="/change/register_temporary"]`)),
		chromedp.WaitVisible(chromedp.CSS("#f-temporary_address")),
	)
	if s := b.Text("#visit-source"); !strings.Contains(s, "do thành phố cung cấp") {
		t.Errorf("the form does not say where her record came from: %q", s)
	}
	b.Screenshot("v03-visitor-form")
	b.axe(axe, "visitor-form")
	b.Do("review it",
		chromedp.SendKeys(chromedp.CSS("#f-temporary_address"), "Số 5 Đường Mậu Thân, Phường Ninh Kiều, TP Cần Thơ"),
		chromedp.SendKeys(chromedp.CSS("#f-temporary_from"), "10/03/2026"),
		chromedp.SendKeys(chromedp.CSS("#f-temporary_until"), "30/06/2027"),
		chromedp.SetValue(chromedp.CSS("#f-residence_basis"), registry.BasisRent),
		chromedp.SetValue(chromedp.CSS("#f-owner_consent"), registry.ConsentAgreed),
		chromedp.Click(chromedp.CSS("#change button.primary")),
		chromedp.WaitVisible(chromedp.CSS("#review")),
	)
	if s := b.Text("#visit-source"); !strings.Contains(s, "do thành phố cung cấp") {
		t.Errorf("the review does not say where her record came from: %q", s)
	}
	b.axe(axe, "visitor-review")
	b.Do("record it",
		chromedp.Click(chromedp.CSS("#confirm-form button.primary")),
		chromedp.WaitVisible(chromedp.CSS("#recorded .badge.pending")),
		chromedp.WaitVisible(chromedp.CSS("#conn.on")),
	)
	drafts := mem.recordedDrafts()
	if len(drafts) != 1 || drafts[0].Visit == nil || drafts[0].Citizen != visitorID {
		t.Fatalf("recorded drafts %+v", drafts)
	}
	waitSubscribers(t, h, 1)
	mem.settle("edge-1/1", registry.Outcome{Result: registry.Applied})
	h.publish(Event{Kind: EventOutcome, Change: "edge-1/1"})
	b.Do("see it applied", chromedp.WaitVisible(chromedp.CSS("#recorded .badge.applied")))
	b.Screenshot("v04-visitor-applied")

	offline.Store(true)
	b.tapKey(base, offlineVisitorID)
	if s := b.Text("#visit-source"); !strings.Contains(s, "thông tin đọc từ chip") || !strings.Contains(s, "chưa kết nối được với thành phố") ||
		!strings.Contains(s, "chờ thành phố xem xét") {
		t.Errorf("the offline visitor's source says %q", s)
	}
	b.Screenshot("v05-visitor-offline")
	b.axe(axe, "visitor-offline")
	b.Do("record a procedure result for her",
		chromedp.Click(chromedp.CSS(`#ident a[href$="/change/procedure_result"]`)),
		chromedp.WaitVisible(chromedp.CSS("#f-procedure")),
		chromedp.SendKeys(chromedp.CSS("#f-procedure"), "HS-2026-0042"),
		chromedp.SendKeys(chromedp.CSS("#f-note"), "Đã cấp giấy xác nhận cư trú"),
		chromedp.Click(chromedp.CSS("#change button.primary")),
		chromedp.WaitVisible(chromedp.CSS("#confirm-form")),
		chromedp.Click(chromedp.CSS("#confirm-form button.primary")),
		chromedp.WaitVisible(chromedp.CSS("#recorded .badge.pending")),
	)
	if drafts := mem.recordedDrafts(); len(drafts) != 2 || string(drafts[1].Visit.Proof) != "proof" {
		t.Fatalf("the offline change does not carry its proof: %+v", drafts)
	}
	mem.settle("edge-1/2", registry.Outcome{Result: registry.NeedsReview, Reason: "proof of presence without active authentication"})
	h.publish(Event{Kind: EventOutcome, Change: "edge-1/2"})
	b.Do("see it sent to review", chromedp.WaitVisible(chromedp.CSS("#recorded .badge.needs_review")))
	b.Screenshot("v06-visitor-review")

	offline.Store(false)
	b.tapKey(base, refusedVisitorID)
	if s := b.Text("#visit-problem"); !strings.Contains(s, "không xác nhận thẻ này là thẻ thật") {
		t.Errorf("a refused card says %q", s)
	}
	if n := b.Count(`#ident a[href^="/visitor/"]`); n != 0 {
		t.Errorf("a refused card offers %d visitor actions", n)
	}
	b.Screenshot("v07-visitor-refused")
	b.axe(axe, "visitor-refused")

	b.tapKey(base, sampleID)
	if s := b.Text("#ident table.compare tbody"); !strings.Contains(s, "Phường An Cư, Quận Ninh Kiều") || !strings.Contains(s, "trước ngày 01/7/2025") {
		t.Errorf("the resident's old address shows %q", s)
	}
	b.Screenshot("v08-old-address")

	b.Do("in English", chromedp.Navigate(base+"/visitor/"+visitorID+"?lang=en"), chromedp.WaitVisible(chromedp.CSS("#visit-source")))
	if s := b.Text("#visit-source"); !strings.Contains(s, "Citizen of another commune") || !strings.Contains(s, "comes from the city") {
		t.Errorf("English visitor page: %q", s)
	}
	b.Screenshot("v09-visitor-en")
	if errs := b.ConsoleErrors(); len(errs) > 0 {
		t.Errorf("the browser console reported errors (CSP or script):\n%s", strings.Join(errs, "\n"))
	}
}
