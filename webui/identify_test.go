package webui

import (
	"context"
	"errors"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
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
			p := c.Post("/tap", url.Values{"csrf": {token}})
			p.WantStatus(t, tt.wantStatus)
			p.MustContain(t, tt.want...)
			if tt.name == "in the subset" && !diffRowRE.MatchString(p.Body) {
				t.Errorf("the differing hometown is not highlighted:\n%s", p.Body)
			}
		})
	}
}

func TestTapWithoutReader(t *testing.T) {
	e := newEnv(t, Config{})
	c := e.client()
	token := c.login()
	home := c.Get("/")
	home.MustNotContain(t, `action="/tap"`)
	p := c.Post("/tap", url.Values{"csrf": {token}})
	p.WantStatus(t, http.StatusNotFound)
	p.MustContain(t, "chưa gắn đầu đọc thẻ")
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
			p := c.Get("/lookup?id=" + url.QueryEscape(tt.id))
			if p.Status == http.StatusSeeOther {
				p = c.Get(p.Header.Get("Location"))
			}
			p.WantStatus(t, tt.wantStatus)
			p.MustContain(t, tt.want)
			if tt.wantStatus != http.StatusOK {
				p.MustContain(t, `value="`+tt.id+`"`) // the officer's input stays
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
	p := c.Get("/citizen/" + sampleID)
	p.WantStatus(t, http.StatusOK)
	p.MustContain(t,
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
	p.MustNotContain(t, "Nơi tạm trú") // unset fields are not listed
	if len(households) != 1 || households[0] != "lan HH-0042" {
		t.Errorf("Household calls %v, want one for lan", households)
	}
	if i, j := strings.Index(p.Body, "Chủ hộ</td>"), strings.Index(p.Body, "Con</td>"); i < 0 || j < i {
		t.Error("the head of the household is not listed first")
	}
	// The child's record links back to the mother's.
	c.Get("/citizen/"+childID).MustContain(t, `<a href="/citizen/`+sampleID+`">Nguyễn Thị Thu Hà</a>`)
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
	p := c.Get("/citizen/" + sampleID)
	p.WantStatus(t, http.StatusOK) // the record itself is there
	p.MustContain(t, "Chưa đọc được danh sách thành viên hộ", "Chưa đọc được lịch sử thay đổi")
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
	p := c.Get("/citizen/" + sampleID)
	if asked != 4 || strings.Count(p.Body, "Xác định danh tính") != 3 {
		t.Errorf("asked for %d changes, shows %d", asked, strings.Count(p.Body, "Xác định danh tính"))
	}
	p.MustContain(t, "Chỉ hiện các thay đổi gần nhất.")
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

// readerCards is Cards on a reader that reports its state (CardReader):
// it records the key each tap brings.
type readerCards struct {
	mu     sync.Mutex
	status ReaderStatus
	keys   []CardKey
	tap    func(ctx context.Context, key CardKey) (*Identification, error)
}

func (r *readerCards) Tap(ctx context.Context, officer string, key CardKey) (*Identification, error) {
	r.mu.Lock()
	r.keys = append(r.keys, key)
	r.mu.Unlock()
	if r.tap == nil {
		return sampleIdentification(sampleCitizen()), nil
	}
	return r.tap(ctx, key)
}

func (r *readerCards) ReaderStatus() ReaderStatus {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.status
}

func (r *readerCards) setStatus(st ReaderStatus) {
	r.mu.Lock()
	r.status = st
	r.mu.Unlock()
}

func (r *readerCards) taken() []CardKey {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]CardKey(nil), r.keys...)
}

// TestTapKeyForm checks the tap form of a real reader: what reaches
// Cards.Tap, and what the officer reads about a box filled wrongly (the
// reader is then not touched, and the input stays).
func TestTapKeyForm(t *testing.T) {
	tests := []struct {
		name               string
		key, birth, expiry string
		want               *CardKey // nil: refused
		status             int
		msgs               []string
		focus              string
	}{
		{name: "ID", key: "092198012345", want: &CardKey{ID: "092198012345"}},
		{name: "ID typed in groups", key: " 092 198.012-345 ", want: &CardKey{ID: "092198012345"}},
		{name: "CAN", key: "012345", want: &CardKey{CAN: "012345"}},
		{name: "ID and dates", key: "092198012345", birth: "21/07/1980", expiry: "21072040",
			want: &CardKey{ID: "092198012345", BirthDate: "1980-07-21", ExpiryDate: "2040-07-21"}},
		{name: "nothing", msgs: []string{"Chưa nhập số định danh. Hãy nhập 12 chữ số định danh in trên thẻ (hoặc 6 chữ số CAN)."}, focus: "tap-key"},
		{name: "letters", key: "09219801234A", msgs: []string{"chỉ gồm các chữ số 0–9"}, focus: "tap-key"},
		{name: "too short", key: "0921980", msgs: []string{"Số định danh có 12 chữ số, số CAN có 6 chữ số; bạn đã nhập 7 chữ số."}, focus: "tap-key"},
		{name: "too long", key: "0921980123456", msgs: []string{"bạn đã nhập 13 chữ số"}, focus: "tap-key"},
		{name: "CAN with dates", key: "012345", birth: "21/07/1980", expiry: "21/07/2040",
			msgs: []string{"hãy nhập đủ 12 chữ số định danh (số CAN không dùng được)"}, focus: "tap-key"},
		{name: "dates without ID", birth: "21/07/1980", expiry: "21/07/2040", msgs: []string{"hãy nhập đủ 12 chữ số định danh"}, focus: "tap-key"},
		{name: "expiry missing", key: "092198012345", birth: "21/07/1980",
			msgs: []string{"Cần cả ngày sinh và ngày hết hạn; hãy nhập ngày còn thiếu."}, focus: "tap-expiry"},
		{name: "birth missing", key: "092198012345", expiry: "21/07/2040", msgs: []string{"Cần cả ngày sinh"}, focus: "tap-birth"},
		{name: "month and year only", key: "092198012345", birth: "07/1980", expiry: "21/07/2040",
			msgs: []string{"Hãy ghi đủ ngày/tháng/năm như in trên thẻ"}, focus: "tap-birth"},
		{name: "no such day", key: "092198012345", birth: "21/07/1980", expiry: "31/02/2040",
			msgs: []string{"Hãy ghi đủ ngày/tháng/năm"}, focus: "tap-expiry"},
		{name: "expiry before birth", key: "092198012345", birth: "21/07/1980", expiry: "21/07/1970",
			msgs: []string{"Ngày hết hạn phải sau ngày sinh."}, focus: "tap-expiry"},
		{name: "two boxes wrong", key: "12", birth: "x", expiry: "21/07/2040",
			msgs: []string{"bạn đã nhập 2 chữ số", "Hãy ghi đủ ngày/tháng/năm"}, focus: "tap-key"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cards := &readerCards{status: ReaderStatus{State: ReaderCard, NeedsKey: true}}
			e := newEnv(t, Config{Cards: cards})
			c := e.client()
			token := c.login()
			p := c.Post("/tap", url.Values{"csrf": {token}, "key": {tt.key}, "birth": {tt.birth}, "expiry": {tt.expiry}})
			keys := cards.taken()
			if tt.want != nil {
				p.WantStatus(t, http.StatusOK)
				p.MustContain(t, "Kết quả đọc thẻ")
				if len(keys) != 1 || keys[0] != *tt.want {
					t.Errorf("Tap got keys %+v, want %+v", keys, *tt.want)
				}
				p.MustContain(t, `id="tap-key" name="key" value=""`) // the next card starts empty
				return
			}
			p.WantStatus(t, http.StatusBadRequest)
			p.MustContain(t, tt.msgs...)
			p.MustContain(t, `id="`+tt.focus+`"`, `aria-invalid="true"`)
			if !regexp.MustCompile(`id="` + tt.focus + `"[^>]*autofocus>`).MatchString(p.Body) {
				t.Errorf("box %s does not take the keyboard:\n%s", tt.focus, p.Body)
			}
			p.MustContain(t, `name="key" value="`+html.EscapeString(tt.key)+`"`)
			if (tt.birth != "" || tt.expiry != "") != strings.Contains(p.Body, `<details id="tap-dates" open>`) {
				t.Error("the dates are hidden although typed, or shown although not")
			}
			if len(keys) != 0 {
				t.Errorf("a refused form reached the reader: %+v", keys)
			}
		})
	}
}

// TestTapWithoutKey: the emulated cards know their keys, so an empty form
// taps with the zero key; the box says it is optional.
func TestTapWithoutKey(t *testing.T) {
	cards := &readerCards{} // no state reported, no key needed
	e := newEnv(t, Config{Cards: cards})
	c := e.client()
	token := c.login()
	home := c.Get("/")
	home.MustContain(t, "Không bắt buộc với thẻ mẫu.", ">Chạm thẻ mẫu</button>")
	home.MustNotContain(t, "data-live", `id="reader-state"`)
	if regexp.MustCompile(`id="tap-key"[^>]*aria-required`).MatchString(home.Body) {
		t.Error("the ID box is marked required for the emulated cards")
	}
	p := c.Post("/tap", url.Values{"csrf": {token}})
	p.WantStatus(t, http.StatusOK)
	if keys := cards.taken(); len(keys) != 1 || keys[0] != (CardKey{}) {
		t.Errorf("Tap got keys %+v, want one zero key", keys)
	}
}

// TestTapReaderErrors: what the officer reads when the reader or the chip
// refuses, and where the keyboard goes.
func TestTapReaderErrors(t *testing.T) {
	tests := []struct {
		name   string
		err    error
		status int
		want   []string
		focus  string
		dates  bool
	}{
		{"wrong key", fmt.Errorf("%w: reader: access denied", ErrWrongKey), http.StatusUnprocessableEntity,
			[]string{"Chip không chấp nhận số đã nhập."}, "tap-key", false},
		{"no PACE", ErrNeedDates, http.StatusUnprocessableEntity,
			[]string{"Thẻ này không mở được bằng số CAN. Hãy nhập thêm ngày sinh và ngày hết hạn"}, "tap-birth", true},
		{"key required", ErrKeyRequired, http.StatusBadRequest, []string{"Chưa nhập số định danh."}, "tap-key", false},
		{"no reader", fmt.Errorf("%w: pcscd is not running", ErrNoReader), http.StatusServiceUnavailable,
			[]string{"Máy này chưa gắn đầu đọc thẻ."}, "tap-key", false},
		{"not an ID card", ErrNotIDCard, http.StatusUnprocessableEntity, []string{"không phải thẻ căn cước gắn chip"}, "tap-key", false},
		{"no card", ErrNoCard, http.StatusConflict, []string{"Chưa có thẻ trên đầu đọc."}, "tap-key", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cards := &readerCards{status: ReaderStatus{State: ReaderReady, NeedsKey: true},
				tap: func(context.Context, CardKey) (*Identification, error) { return nil, tt.err }}
			e := newEnv(t, Config{Cards: cards})
			c := e.client()
			token := c.login()
			p := c.Post("/tap", url.Values{"csrf": {token}, "key": {"012345"}})
			p.WantStatus(t, tt.status)
			p.MustContain(t, tt.want...)
			p.MustContain(t, `name="key" value="012345"`) // kept for another try
			if !regexp.MustCompile(`id="` + tt.focus + `"[^>]*autofocus>`).MatchString(p.Body) {
				t.Errorf("box %s does not take the keyboard", tt.focus)
			}
			if tt.dates != strings.Contains(p.Body, `<details id="tap-dates" open>`) {
				t.Errorf("dates shown: %v, want %v", !tt.dates, tt.dates)
			}
		})
	}
}

// TestReaderStatusLive: the home page says what the reader holds, and its
// fragment, which the page script re-fetches on each event, follows the
// reader.
func TestReaderStatusLive(t *testing.T) {
	cards := &readerCards{status: ReaderStatus{State: ReaderReady, Name: "ACS ACR1252 PICC", NeedsKey: true}}
	e := newEnv(t, Config{Cards: cards})
	c := e.client()
	c.login()
	home := c.Get("/")
	home.MustContain(t, `data-live="/tap/live"`,
		`<p class="reader notice" id="reader-state" data-state="ready">Đầu đọc thẻ sẵn sàng. Hãy đặt thẻ lên đầu đọc. <span class="hint">(ACS ACR1252 PICC)</span></p>`,
		">Đọc thẻ</button>", "Bắt buộc: chip chỉ mở khi có số này.")
	if !regexp.MustCompile(`id="tap-key"[^>]*aria-required="true"`).MatchString(home.Body) {
		t.Error("the ID box is not marked required with a real reader")
	}
	if !regexp.MustCompile(`id="tap-key"[^>]*autofocus>`).MatchString(home.Body) {
		t.Error("with a real reader the ID box of the tap form does not take the keyboard")
	}
	for _, tt := range []struct {
		state, want string
	}{
		{ReaderCard, `data-state="card">Có thẻ trên đầu đọc.`},
		{ReaderNone, `data-state="none">Chưa thấy đầu đọc thẻ. Hãy kiểm tra dây cắm của đầu đọc.`},
		{ReaderDown, `data-state="down">Dịch vụ đầu đọc thẻ (pcscd) chưa chạy.`},
		{ReaderUnknown, ""},
	} {
		cards.setStatus(ReaderStatus{State: tt.state, NeedsKey: true})
		p := c.getFromScript("/tap/live")
		p.WantStatus(t, http.StatusOK)
		if tt.want == "" {
			if strings.TrimSpace(p.Body) != "" {
				t.Errorf("state %q: fragment %q, want empty", tt.state, p.Body)
			}
			continue
		}
		p.MustContain(t, tt.want)
	}
	cards.setStatus(ReaderStatus{State: ReaderCard, NeedsKey: true})
	if p := c.getFromScript("/tap/live?lang=en"); p.Status == http.StatusSeeOther { // the language is kept in a cookie
		c.getFromScript(p.Header.Get("Location")).MustContain(t, `data-state="card">A card is on the reader.`)
	} else {
		p.MustContain(t, `data-state="card">A card is on the reader.`)
	}

	out := e.client().Get("/tap/live") // no session: no state
	if out.Status != http.StatusSeeOther || strings.Contains(out.Body, "reader-state") {
		t.Errorf("fragment without a session: %d %q", out.Status, out.Body)
	}
}

// fakeQR is a QR source for tests.
type fakeQR func(ctx context.Context, officer, payload string) (*Identification, error)

func (f fakeQR) ScanQR(ctx context.Context, officer, payload string) (*Identification, error) {
	return f(ctx, officer, payload)
}

func TestScanQR(t *testing.T) {
	var got []string
	qr := fakeQR(func(_ context.Context, officer, payload string) (*Identification, error) {
		got = append(got, officer+" "+payload)
		if !strings.HasPrefix(payload, sampleID+"|") {
			return nil, fmt.Errorf("%w: vncard: QR payload has 1 fields", ErrBadQR)
		}
		id := sampleIdentification(sampleCitizen())
		id.Assurance, id.Access, id.APDUs, id.Reasons = AssuranceQR, "", 0, nil
		return id, nil
	})
	e := newEnv(t, Config{QR: qr})
	c := e.client()
	c.login()
	home := c.Get("/")
	home.MustContain(t, `action="/qr"`, "Hoặc quét mã QR trên thẻ")
	csrf := home.CSRF(t)
	p := c.Post("/qr", url.Values{"csrf": {csrf}, "qr": {"  " + sampleID + "||Nguyễn Thị Thu Hà|08031995|Nữ|Phong Điền|01012022  "}})
	p.WantStatus(t, http.StatusOK)
	p.MustContain(t, "Kết quả quét mã QR: Nguyễn Thị Thu Hà", "Có 1 thông tin trên mã QR khác với dữ liệu của xã",
		`<th scope="col">Trên mã QR</th>`)
	p.MustNotContain(t, "Trên chip", "Số lệnh APDU")
	if !diffRowRE.MatchString(p.Body) {
		t.Error("the difference row is missing")
	}
	if len(got) != 1 || got[0] != "lan "+sampleID+"||Nguyễn Thị Thu Hà|08031995|Nữ|Phong Điền|01012022" {
		t.Fatalf("QR source got %q", got)
	}
	bad := c.Post("/qr", url.Values{"csrf": {csrf}, "qr": {"hello"}})
	bad.WantStatus(t, http.StatusUnprocessableEntity)
	bad.MustContain(t, "Đây không phải mã QR của thẻ căn cước", `value="hello"`)
	empty := c.Post("/qr", url.Values{"csrf": {csrf}, "qr": {" "}})
	empty.WantStatus(t, http.StatusBadRequest)
	empty.MustContain(t, "Chưa có nội dung mã QR")
	if c.Post("/qr", url.Values{"qr": {"x"}}).Status != http.StatusForbidden {
		t.Error("a QR form without its CSRF token was accepted")
	}
	// Without a QR source there is no form.
	e2 := newEnv(t, Config{})
	c2 := e2.client()
	c2.login()
	if strings.Contains(c2.Get("/").Body, `action="/qr"`) {
		t.Error("QR form shown without a QR source")
	}
}
