package webui

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/xanode/xanode/node/registry"

	"github.com/xanode/xanode/webui/i18n"
)

// reviewingRegistry is a fakeRegistry that is also a Review.
type reviewingRegistry struct {
	*fakeRegistry
	list ReviewList
}

func (r *reviewingRegistry) ReviewList() (ReviewList, error) { return r.list, nil }

// TestReviewList: the office's list of findings shows with its count in
// the menu; a resolution needs a choice and a note, and is recorded as a
// change through the outbox (registry.OpFindingResolve); a finding already
// resolved here shows as waiting for the city.
func TestReviewList(t *testing.T) {
	var drafts []Draft
	reg := &reviewingRegistry{fakeRegistry: &fakeRegistry{record: func(d Draft) (*registry.Change, error) {
		drafts = append(drafts, d)
		return &registry.Change{Node: "edge-1", Seq: 9, Op: d.Op, Citizen: d.Citizen}, nil
	}}, list: ReviewList{Fetched: testNow.Add(-time.Hour), Items: []ReviewItem{
		{ID: 12, Rule: "chip_mismatch", Citizen: sampleID, Fields: []string{"full_name"}, Evidence: []i18n.Statement{{Key: "chip_mismatch",
			Args: map[string]string{"field": "full_name", "card": "Nguyễn Thị Thu Hằng", "record": "Nguyễn Thị Thu Hà", "assurance": "chip-verified"}}},
			Chip: "Nguyễn Thị Thu Hằng", Assurance: "chip-verified", State: "open", Found: testNow.Add(-2 * time.Hour)},
		{ID: 13, Rule: "no_card", Citizen: childID, Fields: []string{"card_number"}, State: "confirmed",
			// A list fetched from a city of an earlier release: English text.
			Evidence: []i18n.Statement{{Key: "text", Args: map[string]string{"text": "aged 15 without a card number"}}},
			Found:    testNow.Add(-48 * time.Hour), Resolved: "edge-1/8"},
	}}}
	e := newEnv(t, Config{Registry: reg})
	c := e.client()
	c.login()
	home := c.Get("/")
	home.MustContain(t, `href="/review" accesskey="5"`, "Cần rà soát <span class=\"count\">2</span>")
	p := c.Get("/review")
	p.WantStatus(t, http.StatusOK)
	p.MustContain(t, "Chip của thẻ khác hồ sơ", "Họ và tên: thẻ ghi «Nguyễn Thị Thu Hằng», hồ sơ ghi «Nguyễn Thị Thu Hà» (Đã xác thực chữ ký số của chip)", `href="/citizen/`+sampleID+`"`, `action="/review/12"`,
		"Đã ghi nhận, chờ thành phố", `href="/outbox#c-edge-1%2f8"`, "2 vấn đề cần rà soát.")
	p.MustNotContain(t, `action="/review/13"`)
	csrf := p.CSRF(t)

	one := c.Get("/review?citizen=" + childID)
	one.MustContain(t, "aged 15 without a card number")
	one.MustNotContain(t, "Nguyễn Thị Thu Hằng")

	refused := c.Post("/review/12", url.Values{"csrf": {csrf}, "resolution": {"fixed"}})
	refused.WantStatus(t, http.StatusUnprocessableEntity)
	refused.MustContain(t, "Hãy ghi rõ đã đối chiếu giấy tờ gì", `aria-invalid="true"`)
	c.Post("/review/12", url.Values{"csrf": {csrf}, "note": {"x"}}).WantStatus(t, http.StatusUnprocessableEntity)
	if p := c.Post("/review/99", url.Values{"csrf": {csrf}, "resolution": {"fixed"}, "note": {"x"}}); p.Status != http.StatusNotFound {
		t.Fatalf("an unknown finding: %d", p.Status)
	}
	if len(drafts) != 0 {
		t.Fatalf("refused forms recorded %v", drafts)
	}

	p = c.Post("/review/12", url.Values{"csrf": {csrf}, "resolution": {"dismissed"}, "note": {"  thẻ cấp trước khi đổi tên, giấy khai sinh ghi Hà  "}})
	if p.Status != http.StatusSeeOther || !strings.HasPrefix(p.Header.Get("Location"), "/review?done=1") {
		t.Fatalf("resolve: %d %v", p.Status, p.Header)
	}
	if len(drafts) != 1 || drafts[0].Op != registry.OpFindingResolve || drafts[0].Citizen != sampleID || drafts[0].Officer != "lan" ||
		drafts[0].Procedure != "F-12" || drafts[0].Note != "dismissed: thẻ cấp trước khi đổi tên, giấy khai sinh ghi Hà" {
		t.Fatalf("drafts %+v", drafts)
	}
	c.Get(p.Header.Get("Location")).MustContain(t, "Đã ghi nhận kết quả rà soát")
	c.Get("/review?lang=en")
	c.Get("/review").MustContain(t, "To review", "Card chip differs from the record",
		"Full name: the card says «Nguyễn Thị Thu Hằng», the record «Nguyễn Thị Thu Hà» (Chip signature verified)", "aged 15 without a card number")
}

// TestReviewWithoutList: a Registry without the list shows no menu entry.
func TestReviewWithoutList(t *testing.T) {
	e := newEnv(t, Config{})
	c := e.client()
	c.login()
	c.Get("/").MustNotContain(t, `href="/review"`)
	c.Get("/review").WantStatus(t, http.StatusNotFound)
}
