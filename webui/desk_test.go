package webui

import (
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/xanode/xanode/node/registry"
)

// decidingRegistry is a fakeRegistry whose node learns decisions after
// review (Decisions).
type decidingRegistry struct {
	*fakeRegistry
	mu        sync.Mutex
	notices   map[string][]Recorded // by officer
	finals    map[string]string     // provisional → final ID
	dismissed []string
}

func (d *decidingRegistry) Notices(officer string, n int) ([]Recorded, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.notices[officer], nil
}

func (d *decidingRegistry) Dismiss(officer, change string) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	for i, r := range d.notices[officer] {
		if r.Change.ID() == change {
			d.notices[officer] = append(d.notices[officer][:i], d.notices[officer][i+1:]...)
			d.dismissed = append(d.dismissed, change)
			return nil
		}
	}
	return ErrNotFound
}

func (d *decidingRegistry) FinalID(provisional string) (string, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	f, ok := d.finals[provisional]
	if !ok {
		return "", ErrNotFound
	}
	return f, nil
}

// reviewedBirth is a birth that went to review, and city IT's decision.
func reviewedBirth() Recorded {
	c := &registry.Change{Node: "edge-1", Seq: 7, Officer: "lan", Op: registry.OpRegisterBirth, Citizen: "P-edge-1-7",
		Commune: "31117", Time: registry.HLCFromTime(testNow.Add(-time.Hour)),
		Patch: registry.Patch{{Field: registry.FieldFullName, Value: "Nguyễn Thị Mai"}}}
	return Recorded{Change: c,
		Outcome:  &registry.Outcome{Change: c.ID(), Result: registry.NeedsReview, Reason: "same child as a recorded birth", Citizen: c.Citizen},
		Decision: &registry.Outcome{Change: c.ID(), Result: registry.Applied, Reason: "resolved by admin: hai trẻ sinh đôi", Citizen: "092326900001"}}
}

// TestDecisionNotices: the officer who recorded a change sees city IT's
// decision on every page until they mark it seen; the queue and the
// record's history show it under the review outcome, and the birth's
// provisional ID leads to its final record.
func TestDecisionNotices(t *testing.T) {
	rb := reviewedBirth()
	reg := &decidingRegistry{
		fakeRegistry: &fakeRegistry{recent: func(int) ([]Recorded, error) { return []Recorded{rb}, nil },
			history: func(_, id string, _ int) ([]Recorded, error) { return []Recorded{rb}, nil },
			lookup: func(_, id string) (*registry.Citizen, error) {
				return makeCitizen(id, map[string]string{"full_name": "Nguyễn Thị Mai", "birth_date": "2026-11-20", "sex": "F"}), nil
			}},
		notices: map[string][]Recorded{"lan": {rb}},
		finals:  map[string]string{"P-edge-1-7": "092326900001", "P-edge-1-8": ""},
	}
	e := newEnv(t, Config{Registry: reg})
	c := e.client()
	c.login()
	home := c.Get("/")
	home.MustContain(t, "Thành phố đã xem xét và chấp nhận Đăng ký khai sinh của 092326900001", "hai trẻ sinh đôi",
		`href="/citizen/092326900001"`, `name="change" value="edge-1/7"`)
	home.MustNotContain(t, "resolved by admin")
	other := e.client()
	other.loginAs("hung")
	other.Get("/").MustNotContain(t, "hai trẻ sinh đôi")

	queue := c.Get("/outbox")
	queue.MustContain(t, "Sau xem xét: Đã áp dụng", "Thành phố đã xem xét và chấp nhận thay đổi này. hai trẻ sinh đôi",
		`href="/birth/P-edge-1-7"`, "092326900001")
	c.Get("/citizen/092326900001").MustContain(t, "Sau xem xét: Đã áp dụng")

	p := c.Get("/birth/P-edge-1-7")
	if p.Status != http.StatusSeeOther || p.Header.Get("Location") != "/citizen/092326900001" {
		t.Fatalf("the provisional ID: %d %v", p.Status, p.Header)
	}
	c.Get("/birth/P-edge-1-8").MustContain(t, "chưa được thành phố cấp số định danh")
	if p := c.Get("/birth/P-edge-9-1"); p.Status != http.StatusNotFound {
		t.Fatalf("an unknown provisional ID: %d", p.Status)
	}

	p = c.Post("/notices/dismiss", url.Values{"csrf": {home.CSRF(t)}, "change": {"edge-1/7"}, "back": {"/outbox"}})
	if p.Status != http.StatusSeeOther || p.Header.Get("Location") != "/outbox" || len(reg.dismissed) != 1 {
		t.Fatalf("dismiss: %d %v %v", p.Status, p.Header, reg.dismissed)
	}
	c.Get("/").MustNotContain(t, "hai trẻ sinh đôi")
	if p := c.Post("/notices/dismiss", url.Values{"csrf": {home.CSRF(t)}, "change": {"edge-1/7"}, "back": {"//evil.example"}}); p.Header.Get("Location") != "/" {
		t.Fatalf("dismiss leads off the site: %v", p.Header)
	}
}

// TestCityLink: the header says whether the city is reached, or how long
// ago it last was, on every page; home and the queue say plainly that the
// changes are safe, with the raw error folded away; English too.
func TestCityLink(t *testing.T) {
	st := Status{Node: "edge-1", Commune: "31117", HasSubset: true, Pending: 3,
		OldestPending: testNow.Add(-42 * time.Minute), LastSynced: testNow.Add(-17 * time.Minute),
		LastError: `Post "https://10.0.0.1:7441/v1/push": dial tcp 10.0.0.1:7441: connect: connection refused`}
	var mu sync.Mutex
	reg := &fakeRegistry{status: func() (Status, error) { mu.Lock(); defer mu.Unlock(); return st, nil }}
	e := newEnv(t, Config{Registry: reg})
	c := e.client()
	c.login()
	for _, path := range []string{"/", "/outbox"} {
		p := c.Get(path)
		p.MustContain(t, `id="city-link"`, `Mất kết nối với thành phố · lần cuối <span data-ago="1020000">17 phút</span> trước`,
			"Chưa kết nối được với thành phố: các thay đổi đã được lưu an toàn trên máy và sẽ tự gửi khi có kết nối",
			"Đang chờ gửi: 3 thay đổi.", "<details><summary>Chi tiết kỹ thuật (cho bộ phận CNTT)</summary>", "connection refused")
		if i, j := strings.Index(p.Body, "connection refused"), strings.Index(p.Body, "<details>"); i < j {
			t.Errorf("%s: the raw error shows outside <details>", path)
		}
	}
	c.Get("/outbox").MustContain(t, `thay đổi cũ nhất đã chờ <span data-ago="2520000">42 phút</span>`)
	c.Get("/birth").MustNotContain(t, "các thay đổi đã được lưu an toàn")
	live := c.getFromScript("/status/live?here=%2Foutbox")
	live.MustContain(t, `id="city-link"`, `id="offline"`, `id="notices"`)
	c.Get("/?lang=en")
	c.Get("/").MustContain(t, "Not connected to the city · last contact", "changes are saved safely on this machine")

	mu.Lock()
	st.CityConnected, st.LastError, st.Pending = true, "", 0
	mu.Unlock()
	p := c.Get("/")
	p.MustContain(t, `<span class="link on" id="city-link" role="status">Connected to the city</span>`)
	p.MustNotContain(t, "changes are saved safely")
	// Connected, but the city holds the office's changes: it says until
	// when, and that they are safe; not once nothing waits.
	mu.Lock()
	st.Pending, st.HeldUntil, st.LastError = 2, testNow.Add(20*time.Minute), "node \"edge-1\" sent more changes than its limit"
	mu.Unlock()
	held := c.Get("/")
	held.MustContain(t, "The city holds this office&#39;s changes until", "Waiting to be sent: 2 changes.", "sent more changes than its limit")
	held.MustNotContain(t, "The city cannot be reached")
	c.Get("/?lang=vi")
	c.Get("/outbox").MustContain(t, "Thành phố tạm ngừng nhận thay đổi của văn phòng đến", "Đang chờ gửi: 2 thay đổi.")
	mu.Lock()
	st.Pending = 0
	mu.Unlock()
	c.Get("/").MustNotContain(t, "Thành phố tạm ngừng nhận")
	mu.Lock()
	st.CityConnected, st.LastSynced = false, time.Time{}
	mu.Unlock()
	c.Get("/?lang=en")
	c.Get("/").MustContain(t, "Never reached the city yet")
}
