package webui

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/xanode/xanode/node/registry"
)

func TestSearch(t *testing.T) {
	mem := newMemRegistry(func() time.Time { return testNow })
	reg := mem.fake()
	var officers []string
	reg.search = func(officer string, q SearchQuery) (SearchResult, error) {
		officers = append(officers, officer)
		return mem.search(officer, q)
	}
	e := newEnv(t, Config{Registry: reg})
	c := e.client()
	c.login()
	tests := []struct {
		name, birth string
		wantStatus  int
		want        []string
	}{
		{"nguyen thi thu ha", "08/03/1995", 200, []string{
			`<h2 id="results-h">Kết quả tìm kiếm: 1 công dân</h2>`,
			`<a href="/citizen/` + sampleID + `">Nguyễn Thị Thu Hà</a>`, `>08/03/1995</td>`, `>Nữ</td>`, "Trùng họ tên"}},
		{"  NGUYỄN   thị thu hà ", "1995", 200, []string{`<a href="/citizen/` + sampleID + `">`}},
		{"tran minh khoi", "6/2020", 200, []string{`<a href="/citizen/` + childID + `">Trần Minh Khôi</a>`}},
		// Parts of names, in order, without a date of birth.
		{"thu ha", "", 200, []string{`<a href="/citizen/` + sampleID + `">`, "Khớp một phần"}},
		{"ng t th", "", 200, []string{`<a href="/citizen/` + sampleID + `">`}},
		{"nguyen thi thu ha", "1993", 200, []string{`<a href="/citizen/` + sampleID + `">`}},
		{"nguyen thi thu ha", "1990", 200, []string{
			`id="no-results" role="status">Không tìm thấy công dân tên “nguyen thi thu ha”, sinh 1990`}},
		{"ha thu", "", 200, []string{`id="no-results" role="status">Không tìm thấy công dân nào có họ tên khớp với “ha thu”`}},
		{"", "08/03/1995", 400, []string{`id="search-error" role="alert">Chưa nhập họ và tên`, `aria-invalid="true" autofocus>`}},
		{"n t", "", 400, []string{`id="search-error" role="alert">Hãy gõ ít nhất một từ có từ 2 chữ cái`}},
		{"nguyen thi thu ha", "31/02/1995", 400, []string{"tháng/năm (05/1990) hoặc chỉ năm (1990)"}},
		{"nguyen thi thu ha", "2027", 400, []string{"Ngày này chưa tới"}},
	}
	for _, tt := range tests {
		t.Run(tt.name+"/"+tt.birth, func(t *testing.T) {
			p := c.Get("/search?name=" + url.QueryEscape(tt.name) + "&birth=" + url.QueryEscape(tt.birth))
			p.WantStatus(t, tt.wantStatus)
			p.MustContain(t, tt.want...)
			p.MustContain(t, `value="`+tt.name+`"`, `value="`+tt.birth+`"`) // the input stays
			if n := strings.Count(p.Body, " autofocus"); n > 1 {
				t.Errorf("%d boxes claim the focus", n)
			}
		})
	}
	mem.mu.Lock()
	defer mem.mu.Unlock()
	if len(mem.searches) != 9 || mem.searches[1].Name != "  NGUYỄN   thị thu hà " || mem.searches[1].Birth != (registry.Date{Year: 1995}) ||
		mem.searches[0].Limit != DefaultConfig().SearchResults {
		t.Errorf("searches %+v: want 9, as typed, with the limit", mem.searches)
	}
	for _, o := range officers {
		if o != "lan" {
			t.Errorf("searched on behalf of %q", o)
		}
	}
}

func TestSearchByIDInNameBox(t *testing.T) {
	e := newEnv(t, Config{})
	c := e.client()
	c.login()
	p := c.Get("/search?name=" + url.QueryEscape("092 195 001 234"))
	p.WantStatus(t, http.StatusSeeOther)
	if loc := p.Header.Get("Location"); loc != "/citizen/"+sampleID {
		t.Errorf("goes to %q", loc)
	}
}

// TestSearchMore: many matches. With a year of birth, the best are shown
// and the total said; by name alone, the best class if it fits, else
// none, and the officer is asked for the year of birth.
func TestSearchMore(t *testing.T) {
	var exact int
	reg := &fakeRegistry{search: func(_ string, q SearchQuery) (SearchResult, error) {
		res := SearchResult{Total: 40}
		n := q.Limit
		if q.Birth.Year == 0 {
			n = exact
		}
		for i := 0; i < n; i++ {
			res.Found = append(res.Found, Found{Match: MatchExact, Citizen: makeCitizen(fmt.Sprintf("0921950%05d", i),
				map[string]string{"full_name": "Nguyễn Văn An", "birth_date": "1995"})})
		}
		return res, nil
	}}
	e := newEnv(t, Config{Registry: reg, SearchResults: 3})
	c := e.client()
	c.login()
	p := c.Get("/search?name=nguyen+van+an&birth=1995")
	p.MustContain(t, "Kết quả tìm kiếm: 3 công dân", "Hiện 3 người khớp nhất trong 40 người")
	if n := strings.Count(p.Body, "Nguyễn Văn An</a>"); n != 3 {
		t.Errorf("%d results shown, want 3", n)
	}
	p = c.Get("/search?name=nguyen+van")
	p.MustContain(t, `id="no-results" role="status">Có 40 người có họ tên khớp với “nguyen van”`, `id="birth" name="birth" value="" `)
	if !strings.Contains(p.Body[strings.Index(p.Body, `id="birth"`):], "autofocus") {
		t.Error("the birth box does not take the focus")
	}
	exact = 2
	p = c.Get("/search?name=nguyen+van+an")
	p.MustContain(t, "Kết quả tìm kiếm: 2 công dân", "Chỉ hiện 2 người khớp nhất trong 40 người")

	reg.search = func(string, SearchQuery) (SearchResult, error) { return SearchResult{}, errors.New("bbolt: closed") }
	c.Get("/search?name=nguyen+van+an&birth=1995").WantStatus(t, http.StatusInternalServerError)
}

// TestFrozen: past the hard limit (the box has not reached the city for
// that long), the UI reads no record, by ID or by name, prints nothing,
// and shows a card read without the verdict that would rely on the local
// data; every page carries the warning, and the refusals say why and
// whom to call. A registry that refuses on its own (ErrFrozen) is shown
// the same way.
func TestFrozen(t *testing.T) {
	mem := newMemRegistry(func() time.Time { return testNow })
	reg := mem.fake()
	frozen := true
	reg.status = func() (Status, error) {
		return Status{Node: "edge-1", Commune: "31117", HasSubset: true, Stale: true, Frozen: frozen}, nil
	}
	var read bool
	reg.search = func(string, SearchQuery) (SearchResult, error) { read = true; return SearchResult{}, nil }
	reg.lookup = func(string, string) (*registry.Citizen, error) { read = true; return sampleCitizen(), nil }
	e := newEnv(t, Config{Registry: reg, HelpContact: "CNTT thành phố 1900 1234", Cards: &fakeCards{tap: func(context.Context, string) (*Identification, error) {
		return sampleIdentification(sampleCitizen()), nil
	}}})
	c := e.client()
	token := c.login()
	const banner = `class="banner frozen" role="alert">Dữ liệu của xã đã quá cũ`
	for _, path := range []string{"/", "/outbox", "/birth"} {
		p := c.Get(path)
		p.WantStatus(t, http.StatusOK)
		p.MustContain(t, banner)
	}
	const why = "Máy này đã quá lâu không kết nối được với thành phố"
	for _, path := range []string{"/citizen/" + sampleID, "/search?name=nguyen+thi+thu+ha&birth=08/03/1995",
		"/citizen/" + sampleID + "/change/register_temporary"} {
		p := c.Get(path)
		p.WantStatus(t, http.StatusConflict)
		p.MustContain(t, banner, why, "tra cứu theo số định danh, tìm kiếm và đối chiếu công dân đều tạm dừng",
			"CNTT thành phố 1900 1234")
		p.MustNotContain(t, "Nguyễn Thị Thu Hà")
	}
	if read {
		t.Error("read frozen data")
	}
	tap := c.Post("/tap", url.Values{"csrf": {token}})
	tap.MustContain(t, "không được dùng để đối chiếu", "<td>Phong Điền, TP Cần Thơ</td></tr>")
	tap.MustNotContain(t, "Khớp", "khác với dữ liệu của xã", `<th scope="col">Dữ liệu của xã</th>`)
	pr := c.Get("/citizen/" + sampleID + "/print")
	pr.WantStatus(t, http.StatusConflict)
	pr.MustContain(t, "không thể in xác nhận")
	c.Get("/outbox").MustContain(t, "quá giới hạn cho phép")

	// The registry refuses by itself while the status said nothing yet.
	frozen = false
	reg.lookup = func(string, string) (*registry.Citizen, error) {
		return nil, fmt.Errorf("%w: since 01/03/2026", ErrFrozen)
	}
	reg.search = func(string, SearchQuery) (SearchResult, error) {
		return SearchResult{}, fmt.Errorf("%w: since 01/03/2026", ErrFrozen)
	}
	for _, path := range []string{"/citizen/" + sampleID, "/search?name=nguyen+thi+thu+ha&birth=08/03/1995"} {
		p := c.Get(path)
		p.WantStatus(t, http.StatusConflict)
		p.MustContain(t, why)
	}
	c.Get("/citizen/" + sampleID + "?lang=en")
	c.Get("/citizen/"+sampleID).MustContain(t, "This box has not reached the city for too long")
}

func TestPrint(t *testing.T) {
	mem := newMemRegistry(func() time.Time { return testNow })
	reg := mem.fake()
	var looked []string
	reg.lookup = func(officer, id string) (*registry.Citizen, error) {
		looked = append(looked, officer+" "+id)
		return mem.lookup(officer, id)
	}
	e := newEnv(t, Config{Registry: reg})
	c := e.client()
	c.login()
	p := c.Get("/citizen/" + sampleID + "/print")
	p.WantStatus(t, http.StatusOK)
	p.MustContain(t,
		"<title>Xác nhận thông tin về cư trú · Nguyễn Thị Thu Hà</title>",
		"<strong>Phường An Cư</strong><br>Mã đơn vị hành chính: 31117",
		"CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "XÁC NHẬN THÔNG TIN VỀ CƯ TRÚ",
		"Phường An Cư xác nhận thông tin về cư trú của công dân như sau:",
		"<dt>Số định danh cá nhân</dt><dd>"+sampleID+"</dd>",
		"<dt>Nơi thường trú</dt><dd>12 Trần Hưng Đạo",
		`<th scope="row">Trần Minh Khôi</th>`,
		"Phường An Cư, ngày 10 tháng 3 năm 2026",
		"<strong>Trần Thị Lan</strong>",
		"In lúc 10/03/2026 09:00 bởi tài khoản lan trên máy edge-1",
		`id="print-button" class="primary" accesskey="p" hidden`,
		`href="/citizen/`+sampleID+`">Quay lại hồ sơ</a>`,
	)
	p.MustNotContain(t, "<nav", "Đăng xuất", `class="top"`) // no navigation on paper
	if len(looked) != 1 || looked[0] != "lan "+sampleID {
		t.Errorf("a print made lookups %v, want one audited lookup by lan", looked)
	}
}
