package webui

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/xanode/xanode/node/registry"
)

// sampleIdentification is the sample card read over BAC without passive
// authentication; the chip spells the hometown differently from the record.
func sampleIdentification(rec *registry.Citizen) *Identification {
	return &Identification{
		ID: sampleID, DocNumber: "195001234", Access: "bac", Assurance: AssuranceChipRead,
		Reasons: []string{"no CSCA in the trust store"}, APDUs: 17,
		Chip: map[string]string{
			"full_name": "Nguyễn Thị Thu Hà", "birth_date": "08/03/1995", "sex": "F",
			"hometown": "Phong Điền, TP Cần Thơ",
		},
		Record: rec,
		Matches: []FieldMatch{
			{Field: "full_name", Chip: "Nguyễn Thị Thu Hà", Local: "Nguyễn Thị Thu Hà", Agree: true},
			{Field: "birth_date", Chip: "08/03/1995", Local: "1995-03-08", Agree: true},
			{Field: "sex", Chip: "F", Local: "F", Agree: true},
			{Field: "hometown", Chip: "Phong Điền, TP Cần Thơ", Local: "Phong Điền, Cần Thơ", Agree: false},
		},
	}
}

var diffRowRE = regexp.MustCompile(`<tr class="diff"><th scope="row">Quê quán</th><td>Phong Điền, TP Cần Thơ</td><td>Phong Điền, Cần Thơ</td><td><strong>Khác</strong></td></tr>`)

func TestTap(t *testing.T) {
	tests := []struct {
		name       string
		tap        func(context.Context, string) (*Identification, error)
		wantStatus int
		want       []string
	}{
		{"in the subset", func(_ context.Context, officer string) (*Identification, error) {
			if officer != "lan" {
				return nil, errors.New("tapped on behalf of " + officer)
			}
			return sampleIdentification(sampleCitizen()), nil
		}, http.StatusOK, []string{
			"Kết quả đọc thẻ: Nguyễn Thị Thu Hà",
			"Đã đọc chip (chưa xác thực chữ ký)",
			"Có 1 thông tin trên chip khác với dữ liệu của xã",
			`<td>08/03/1995</td><td>08/03/1995</td><td>Khớp</td>`,
			`href="/citizen/` + sampleID + `/change/register_temporary"`,
			"no CSCA in the trust store", "BAC",
		}},
		{"not in the subset", func(context.Context, string) (*Identification, error) {
			id := sampleIdentification(nil)
			id.Matches = nil
			id.Assurance = AssuranceChipVerified
			return id, nil
		}, http.StatusOK, []string{
			"không có trong dữ liệu của xã", "Đã xác thực chữ ký số của chip",
			`<th scope="row">Quê quán</th><td>Phong Điền, TP Cần Thơ</td></tr>`,
		}},
		{"no card", func(context.Context, string) (*Identification, error) {
			return nil, ErrNoCard
		}, http.StatusConflict, []string{"Chưa có thẻ trên đầu đọc"}},
		{"reader broken", func(context.Context, string) (*Identification, error) {
			return nil, errors.New("pcsc: reader gone")
		}, http.StatusBadGateway, []string{"Không đọc được thẻ"}},
		{"timeout", func(ctx context.Context, _ string) (*Identification, error) {
			<-ctx.Done()
			return nil, ctx.Err()
		}, http.StatusGatewayTimeout, []string{"Đọc thẻ quá lâu"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, Config{Cards: &fakeCards{tap: tt.tap}, TapTimeout: 50e6})
			c := e.client()
			token := c.login()
			p := c.post("/tap", url.Values{"csrf": {token}})
			p.wantStatus(t, tt.wantStatus)
			p.mustContain(t, tt.want...)
			if tt.name == "in the subset" && !diffRowRE.MatchString(p.body) {
				t.Errorf("the differing hometown is not highlighted:\n%s", p.body)
			}
		})
	}
}

func TestTapWithoutReader(t *testing.T) {
	e := newEnv(t, Config{})
	c := e.client()
	token := c.login()
	home := c.get("/")
	home.mustNotContain(t, `action="/tap"`)
	p := c.post("/tap", url.Values{"csrf": {token}})
	p.wantStatus(t, http.StatusNotFound)
	p.mustContain(t, "chưa gắn đầu đọc thẻ")
}

func TestLookup(t *testing.T) {
	var looked []string
	reg := &fakeRegistry{lookup: func(officer, id string) (*registry.Citizen, error) {
		if officer != "lan" {
			t.Errorf("Lookup on behalf of %q, want the logged-in officer", officer)
		}
		looked = append(looked, id)
		switch id {
		case sampleID:
			return sampleCitizen(), nil
		case "079099000001":
			return nil, errors.New("bbolt: disk I/O error")
		}
		return nil, ErrNotFound
	}}
	e := newEnv(t, Config{Registry: reg})
	c := e.client()
	c.login()
	tests := []struct {
		id         string
		wantStatus int
		want       string
	}{
		{"", http.StatusBadRequest, "Chưa nhập số định danh"},
		{"09219500123A", http.StatusBadRequest, "chỉ gồm các chữ số"},
		{"0921950", http.StatusBadRequest, "phải có đúng 12 chữ số; bạn đã nhập 7 chữ số"},
		{"0921950012345", http.StatusBadRequest, "bạn đã nhập 13 chữ số"},
		{"092195009999", http.StatusNotFound, "Không có công dân mang số định danh 092195009999 trong dữ liệu của xã"},
		{"079099000001", http.StatusInternalServerError, "Chưa đọc được dữ liệu của xã"},
		{"092 195 001 234", http.StatusOK, "Nguyễn Thị Thu Hà"},
	}
	for _, tt := range tests {
		t.Run(tt.id, func(t *testing.T) {
			p := c.get("/lookup?id=" + url.QueryEscape(tt.id))
			if p.status == http.StatusSeeOther {
				p = c.get(p.header.Get("Location"))
			}
			p.wantStatus(t, tt.wantStatus)
			p.mustContain(t, tt.want)
			if tt.wantStatus != http.StatusOK {
				p.mustContain(t, `value="`+tt.id+`"`) // the officer's input stays
			}
		})
	}
	if want := []string{"092195009999", "079099000001", sampleID}; len(looked) != len(want) {
		t.Errorf("Lookup calls %v, want %v (malformed IDs must not reach the registry)", looked, want)
	}
}

func TestCitizenPage(t *testing.T) {
	mem := newMemRegistry(func() time.Time { return testNow })
	reg := mem.fake()
	var households []string
	reg.household = func(officer, hh string) ([]*registry.Citizen, error) {
		households = append(households, officer+" "+hh)
		return mem.household(officer, hh)
	}
	if _, err := reg.Record(Draft{Officer: "lan", Op: registry.OpIdentify, Citizen: sampleID, Note: "chip-read"}); err != nil {
		t.Fatal(err)
	}
	e := newEnv(t, Config{Registry: reg})
	c := e.client()
	c.login()
	p := c.get("/citizen/" + sampleID)
	p.wantStatus(t, http.StatusOK)
	p.mustContain(t,
		"<h1>Nguyễn Thị Thu Hà <span class=\"id\">"+sampleID+"</span></h1>",
		"Cần Thơ", // province of birth registration from the ID prefix
		"<dt>Họ và tên</dt><dd>Nguyễn Thị Thu Hà</dd>",
		"<dt>Ngày sinh</dt><dd>08/03/1995</dd>",
		"<dt>Giới tính</dt><dd>Nữ</dd>",
		"<dt>Quê quán</dt><dd>Phong Điền, Cần Thơ</dd>",
		"<dt>Nơi thường trú</dt><dd>12 Trần Hưng Đạo",
		"<dt>Quan hệ với chủ hộ</dt><dd>Chủ hộ</dd>",
		"<dt>Thẻ có giá trị đến</dt><dd>08/03/2035</dd>",
		"<dt>Tình trạng</dt><dd>Còn sống</dd>",
		// The household, head first, the shown record not linked.
		`<h2 id="household-h">Hộ gia đình (mã hộ HH-0042)</h2>`,
		`<tr class="self"><td>Chủ hộ</td><th scope="row">Nguyễn Thị Thu Hà <span class="hint">(đang xem)</span></th>`,
		`<tr><td>Con</td><th scope="row"><a href="/citizen/`+childID+`">Trần Minh Khôi</a></th><td>`+childID+`</td><td>01/06/2020</td></tr>`,
		// The history, with the identification recorded here.
		"Xác định danh tính", `<span class="badge pending">Đang chờ gửi</span>`,
		// What the officer can do next.
		`href="/citizen/`+sampleID+`/print" accesskey="p"`,
		`href="/citizen/`+sampleID+`/change/register_temporary">Đăng ký tạm trú</a>`,
		`href="/birth?parent=`+sampleID+`">Đăng ký khai sinh cho con</a>`,
	)
	p.mustNotContain(t, "Nơi tạm trú") // unset fields are not listed
	if len(households) != 1 || households[0] != "lan HH-0042" {
		t.Errorf("Household calls %v, want one for lan", households)
	}
	if i, j := strings.Index(p.body, "Chủ hộ</td>"), strings.Index(p.body, "Con</td>"); i < 0 || j < i {
		t.Error("the head of the household is not listed first")
	}
	// The child's record links back to the mother's.
	c.get("/citizen/"+childID).mustContain(t, `<a href="/citizen/`+sampleID+`">Nguyễn Thị Thu Hà</a>`)
}

func TestCitizenPageFailures(t *testing.T) {
	reg := &fakeRegistry{
		lookup:    func(_, _ string) (*registry.Citizen, error) { return sampleCitizen(), nil },
		household: func(_, _ string) ([]*registry.Citizen, error) { return nil, errors.New("bbolt: closed") },
		history:   func(_, _ string, _ int) ([]Recorded, error) { return nil, errors.New("bbolt: closed") },
	}
	e := newEnv(t, Config{Registry: reg})
	c := e.client()
	c.login()
	p := c.get("/citizen/" + sampleID)
	p.wantStatus(t, http.StatusOK) // the record itself is there
	p.mustContain(t, "Chưa đọc được danh sách thành viên hộ", "Chưa đọc được lịch sử thay đổi")
}

func TestHistoryLimit(t *testing.T) {
	var asked int
	reg := &fakeRegistry{
		lookup: func(_, _ string) (*registry.Citizen, error) { return sampleCitizen(), nil },
		history: func(_, _ string, n int) ([]Recorded, error) {
			asked = n
			out := make([]Recorded, n)
			for i := range out {
				out[i] = Recorded{Change: &registry.Change{Node: "edge-1", Seq: uint64(i + 1), Op: registry.OpIdentify, Citizen: sampleID}}
			}
			return out, nil
		},
	}
	e := newEnv(t, Config{Registry: reg, HistoryItems: 3})
	c := e.client()
	c.login()
	p := c.get("/citizen/" + sampleID)
	if asked != 4 || strings.Count(p.body, "Xác định danh tính") != 3 {
		t.Errorf("asked for %d changes, shows %d", asked, strings.Count(p.body, "Xác định danh tính"))
	}
	p.mustContain(t, "Chỉ hiện các thay đổi gần nhất.")
}

func TestRecordSectionsCoverEveryField(t *testing.T) {
	seen := make(map[registry.Field]int)
	for _, s := range recordSections {
		for _, f := range s.fields {
			seen[f]++
		}
	}
	for f := registry.Field(1); int(f) < registry.NumFields; f++ {
		if seen[f] != 1 {
			t.Errorf("field %s appears %d times on the record page, want once", f, seen[f])
		}
	}
}
