package webui

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/xanode/xanode/node/registry"
)

// memRegistry is a stateful Registry for flows: Record appends to an
// outbox, Recent lists it newest first, settle gives a change its outcome.
type memRegistry struct {
	mu       sync.Mutex
	citizens map[string]*registry.Citizen
	recorded []Recorded
	drafts   []Draft
	now      func() time.Time
}

func newMemRegistry(now func() time.Time) *memRegistry {
	c := sampleCitizen()
	return &memRegistry{citizens: map[string]*registry.Citizen{c.ID: c}, now: now}
}

func (m *memRegistry) fake() *fakeRegistry {
	return &fakeRegistry{
		lookup: func(_, id string) (*registry.Citizen, error) {
			m.mu.Lock()
			defer m.mu.Unlock()
			if c, ok := m.citizens[id]; ok {
				return c, nil
			}
			return nil, fmt.Errorf("citizen %s: %w", id, ErrNotFound)
		},
		record: func(d Draft) (*registry.Change, error) {
			m.mu.Lock()
			defer m.mu.Unlock()
			patch, err := registry.PatchFromMap(d.Patch)
			if err != nil {
				return nil, err
			}
			ch := &registry.Change{
				Node: "edge-1", Seq: uint64(len(m.recorded) + 1), Officer: d.Officer, Op: d.Op,
				Citizen: d.Citizen, Commune: "31117", Patch: patch, Procedure: d.Procedure, Note: d.Note,
				Time: registry.HLCFromTime(m.now()),
			}
			if err := ch.Validate(); err != nil {
				return nil, err
			}
			m.drafts = append(m.drafts, d)
			m.recorded = append(m.recorded, Recorded{Change: ch})
			return ch, nil
		},
		recent: func(n int) ([]Recorded, error) {
			m.mu.Lock()
			defer m.mu.Unlock()
			var out []Recorded
			for i := len(m.recorded) - 1; i >= 0 && len(out) < n; i-- {
				out = append(out, m.recorded[i])
			}
			return out, nil
		},
		status: func() (Status, error) {
			m.mu.Lock()
			defer m.mu.Unlock()
			st := Status{Node: "edge-1", Commune: "31117", CommuneName: "Phường An Cư", HasSubset: true,
				SubsetVersion: 3, SubsetCount: 12345, SubsetExpires: testNow.Add(24 * time.Hour),
				LastSynced: testNow.Add(-5 * time.Minute)}
			for _, r := range m.recorded {
				if r.Outcome == nil {
					st.Pending++
					if st.OldestPending.IsZero() {
						st.OldestPending = r.Change.Time.Time()
					}
				}
			}
			return st, nil
		},
	}
}

// recordedDrafts returns what Record accepted, in order.
func (m *memRegistry) recordedDrafts() []Draft {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]Draft(nil), m.drafts...)
}

func (m *memRegistry) settle(changeID string, o registry.Outcome) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for i := range m.recorded {
		if m.recorded[i].Change.ID() == changeID {
			o.Change = changeID
			m.recorded[i].Outcome = &o
		}
	}
}

func TestRegisterTemporary(t *testing.T) {
	mem := newMemRegistry(func() time.Time { return testNow })
	e := newEnv(t, Config{Registry: mem.fake()})
	c := e.client()
	token := c.login()
	p := c.post("/citizen/"+sampleID+"/temporary", url.Values{
		"csrf": {token}, "address": {"  45 Nguyễn Văn Cừ, phường An Khánh, Ninh Kiều, Cần Thơ "},
		"until": {"31/12/2026"}, "procedure": {"HS-2026-0042"},
	})
	p.wantStatus(t, http.StatusSeeOther)
	if loc := p.header.Get("Location"); loc != "/outbox?recorded=edge-1/1" {
		t.Fatalf("after recording, goes to %q", loc)
	}
	want := Draft{
		Officer: "lan", Op: registry.OpRegisterTemporary, Citizen: sampleID,
		Patch: map[string]string{
			"temporary_address": "45 Nguyễn Văn Cừ, phường An Khánh, Ninh Kiều, Cần Thơ",
			"temporary_until":   "2026-12-31",
		},
		Procedure: "HS-2026-0042",
	}
	if got := mem.recordedDrafts(); len(got) != 1 || !reflect.DeepEqual(got[0], want) {
		t.Fatalf("Record got %+v, want %+v", got, want)
	}
	out := c.get(p.header.Get("Location"))
	out.wantStatus(t, http.StatusOK)
	out.mustContain(t,
		"Đã ghi nhận thay đổi edge-1/1",
		`<tr id="c-edge-1/1" class="new">`,
		"Đăng ký tạm trú",
		"Nơi tạm trú: 45 Nguyễn Văn Cừ",
		"Tạm trú đến ngày: 31/12/2026",
		"Mã hồ sơ: HS-2026-0042",
		`<span class="badge pending">Đang chờ gửi</span>`,
		"<dt>Đang chờ gửi</dt><dd>1 · thay đổi cũ nhất đã chờ 0 giây</dd>",
		"Phường An Cư (31117)",
		"phiên bản 3, 12.345 công dân",
		"10/03/2026 08:55 (5 phút trước)",
	)
	out.mustNotContain(t, "chưa đồng bộ lần nào")
	// A recorded= that is not in the list puts nothing on the page.
	c.get("/outbox?recorded="+url.QueryEscape("<b>giả mạo</b>")).mustNotContain(t, "giả mạo")
}

func TestRegisterTemporaryRefused(t *testing.T) {
	tests := []struct {
		name, address, until string
		record               func(Draft) (*registry.Change, error)
		wantStatus           int
		want                 string
	}{
		{"no address", "", "31/12/2026", nil, 422, "Chưa nhập địa chỉ tạm trú"},
		{"no date", "45 Nguyễn Văn Cừ", "", nil, 422, "Chưa nhập ngày hết hạn tạm trú"},
		{"no such day", "45 Nguyễn Văn Cừ", "31/02/2026", nil, 422, "Ngày không hợp lệ"},
		{"month only", "45 Nguyễn Văn Cừ", "2026-12", nil, 422, "Ngày không hợp lệ"},
		{"today", "45 Nguyễn Văn Cừ", "10/03/2026", nil, 422, "phải sau hôm nay (10/03/2026)"},
		{"over two years", "45 Nguyễn Văn Cừ", "11/03/2028", nil, 422, "tối đa 2 năm, tức là đến 10/03/2028"},
		{"node refuses", "45 Nguyễn Văn Cừ", "31/12/2026", func(Draft) (*registry.Change, error) {
			return nil, fmt.Errorf("%w edge-1/9: register_temporary may not set x", registry.ErrChange)
		}, 422, "Hệ thống không chấp nhận dữ liệu này"},
		{"store fails", "45 Nguyễn Văn Cừ", "31/12/2026", func(Draft) (*registry.Change, error) {
			return nil, errors.New("bbolt: disk full")
		}, 500, "Dữ liệu bạn nhập vẫn còn trên trang"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			calls := 0
			reg := &fakeRegistry{
				lookup: func(_, _ string) (*registry.Citizen, error) { return sampleCitizen(), nil },
				record: func(d Draft) (*registry.Change, error) {
					calls++
					if tt.record == nil {
						t.Error("Record called for input the form should refuse")
						return nil, errors.New("unexpected")
					}
					return tt.record(d)
				},
			}
			e := newEnv(t, Config{Registry: reg})
			c := e.client()
			token := c.login()
			p := c.post("/citizen/"+sampleID+"/temporary", url.Values{
				"csrf": {token}, "address": {tt.address}, "until": {tt.until}, "note": {"ghi chú của cán bộ"},
			})
			p.wantStatus(t, tt.wantStatus)
			p.mustContain(t, tt.want, `value="`+tt.address+`"`, `value="`+tt.until+`"`, "ghi chú của cán bộ")
			if tt.record != nil && calls != 1 {
				t.Errorf("Record called %d times", calls)
			}
		})
	}
}

func TestRegisterTemporaryDeceased(t *testing.T) {
	dead := sampleCitizen()
	dead.Set(registry.FieldStatus, registry.StatusDeceased, registry.Stamp{Index: 9})
	reg := &fakeRegistry{
		lookup: func(_, _ string) (*registry.Citizen, error) { return dead, nil },
		record: func(Draft) (*registry.Change, error) { t.Error("recorded for a deceased citizen"); return nil, nil },
	}
	e := newEnv(t, Config{Registry: reg})
	c := e.client()
	token := c.login()
	c.get("/citizen/"+sampleID).mustNotContain(t, `id="temporary"`)
	p := c.post("/citizen/"+sampleID+"/temporary", url.Values{"csrf": {token}, "address": {"x"}, "until": {"31/12/2026"}})
	p.wantStatus(t, http.StatusUnprocessableEntity)
}

func TestCSRF(t *testing.T) {
	var recorded, tapped int
	reg := &fakeRegistry{
		lookup: func(_, _ string) (*registry.Citizen, error) { return sampleCitizen(), nil },
		record: func(Draft) (*registry.Change, error) { recorded++; return nil, errors.New("no") },
	}
	cards := &fakeCards{tap: func(context.Context, string) (*Identification, error) { tapped++; return nil, ErrNoCard }}
	e := newEnv(t, Config{Registry: reg, Cards: cards})
	c := e.client()
	token := c.login()
	other := e.client()
	otherToken := other.login() // a valid token, of another session
	for _, tt := range []struct{ name, token string }{{"missing", ""}, {"wrong", token + "x"}, {"other session", otherToken}} {
		for _, path := range []string{"/citizen/" + sampleID + "/temporary", "/tap", "/logout"} {
			form := url.Values{"address": {"45 Nguyễn Văn Cừ"}, "until": {"31/12/2026"}}
			if tt.token != "" {
				form.Set("csrf", tt.token)
			}
			p := c.post(path, form)
			if p.status != http.StatusForbidden {
				t.Errorf("%s token, POST %s: status %d, want 403", tt.name, path, p.status)
			}
			p.mustContain(t, "Biểu mẫu đã hết hạn hoặc không hợp lệ", "không có gì bị thay đổi")
		}
	}
	if recorded != 0 || tapped != 0 {
		t.Errorf("refused forms reached Record %d times, Tap %d times", recorded, tapped)
	}
	c.get("/").wantStatus(t, http.StatusOK) // the refused logout did not end the session
}

func TestOutcomes(t *testing.T) {
	at := registry.HLCFromTime(time.Date(2026, 3, 10, 1, 30, 0, 0, time.UTC)) // 08:30 in Vietnam
	tests := []struct {
		outcome *registry.Outcome
		want    []string
	}{
		{nil, []string{`badge pending">Đang chờ gửi`}},
		{&registry.Outcome{Result: registry.Applied}, []string{`badge applied">Đã áp dụng`}},
		{&registry.Outcome{Result: registry.Merged, Lost: []registry.Loss{
			{Field: registry.FieldCurrentAddress, Winner: "7 Hòa Bình", By: "edge-2/3", Time: at},
		}}, []string{`badge merged">Đã hợp nhất`, "Nơi ở hiện tại giữ giá trị “7 Hòa Bình” của thay đổi edge-2/3 (lúc 10/03/2026 08:30)"}},
		{&registry.Outcome{Result: registry.Superseded, Lost: []registry.Loss{
			{Field: registry.FieldTemporaryAddress, Winner: "9 Mậu Thân", By: "edge-2/7", Time: at},
		}}, []string{`badge superseded">Bị thay thế bởi thay đổi edge-2/7 lúc 10/03/2026 08:30`, "Nơi tạm trú giữ giá trị “9 Mậu Thân”"}},
		{&registry.Outcome{Result: registry.NeedsReview, Reason: "possible duplicate birth"},
			[]string{`badge needs_review">Cần xem xét: possible duplicate birth`}},
		{&registry.Outcome{Result: registry.Rejected, Reason: "citizen is deceased"},
			[]string{`badge rejected">Bị từ chối: citizen is deceased`}},
		{&registry.Outcome{Result: registry.Duplicate, Original: registry.Applied},
			[]string{`badge duplicate">Trùng lặp (kết quả ban đầu: Đã áp dụng)`}},
		{&registry.Outcome{Result: registry.Applied, Citizen: "092225000017", Clamped: true},
			[]string{"Số định danh được cấp: 092225000017", "Đồng hồ của máy ở xã chạy nhanh"}},
	}
	for _, tt := range tests {
		name := "pending"
		if tt.outcome != nil {
			name = string(tt.outcome.Result)
		}
		t.Run(name, func(t *testing.T) {
			mem := newMemRegistry(func() time.Time { return testNow })
			reg := mem.fake()
			e := newEnv(t, Config{Registry: reg})
			ch, err := reg.Record(Draft{Officer: "lan", Op: registry.OpRegisterTemporary, Citizen: sampleID,
				Patch: map[string]string{"temporary_address": "45 Nguyễn Văn Cừ", "temporary_until": "2026-12-31"}})
			if err != nil {
				t.Fatal(err)
			}
			if tt.outcome != nil {
				mem.settle(ch.ID(), *tt.outcome)
			}
			c := e.client()
			c.login()
			c.get("/outbox").mustContain(t, tt.want...)
			req, _ := http.NewRequest(http.MethodGet, e.ts.URL+"/outbox/live", nil)
			req.Header.Set("X-Requested-With", "xanode")
			frag := c.do(req)
			frag.wantStatus(t, http.StatusOK)
			frag.mustContain(t, tt.want...)
			frag.mustNotContain(t, "<html") // a fragment, not a page
		})
	}
}

func TestOutboxUnavailable(t *testing.T) {
	reg := &fakeRegistry{
		recent: func(int) ([]Recorded, error) { return nil, errors.New("bbolt: closed") },
		status: func() (Status, error) { return Status{}, errors.New("bbolt: closed") },
	}
	e := newEnv(t, Config{Registry: reg})
	c := e.client()
	c.login()
	p := c.get("/outbox")
	p.wantStatus(t, http.StatusOK)
	p.mustContain(t, "Chưa đọc được danh sách thay đổi", "Chưa đọc được tình trạng đồng bộ")
}

func TestStaleWarning(t *testing.T) {
	reg := &fakeRegistry{status: func() (Status, error) {
		return Status{Node: "edge-1", HasSubset: true, Stale: true, LastError: "dial tcp: i/o timeout"}, nil
	}}
	e := newEnv(t, Config{Registry: reg})
	c := e.client()
	c.login()
	c.get("/").mustContain(t, `class="banner" role="alert">Dữ liệu của xã đã quá hạn cập nhật`)
	c.get("/outbox").mustContain(t, "dial tcp: i/o timeout", "chưa đồng bộ lần nào")
}
