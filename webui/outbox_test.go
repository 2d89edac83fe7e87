package webui

import (
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/xanode/xanode/node/registry"
)

func TestRecordedPanel(t *testing.T) {
	mem := newMemRegistry(func() time.Time { return testNow })
	e := newEnv(t, Config{Registry: mem.fake()})
	c := e.client()
	token := c.login()
	p := c.Post("/citizen/"+sampleID+"/change/register_temporary", confirmed(url.Values{
		"csrf": {token}, "temporary_address": {"45 Nguyễn Văn Cừ, phường An Khánh, Ninh Kiều, Cần Thơ"},
		"temporary_until": {"31/12/2026"}, "procedure": {"HS-2026-0042"},
		"temporary_from": {"01/03/2026"}, "residence_basis": {"own"},
	}))
	p.WantStatus(t, http.StatusSeeOther)
	out := c.Get(p.Header.Get("Location"))
	out.WantStatus(t, http.StatusOK)
	out.MustContain(t,
		`<h2 id="recorded-h">Thay đổi vừa ghi nhận: edge-1/1</h2>`,
		"Thay đổi đang chờ gửi lên thành phố; kết quả sẽ hiện ngay tại đây khi có.",
		`<tr id="c-edge-1/1" class="new">`,
		"Nơi tạm trú: 45 Nguyễn Văn Cừ",
		"Tạm trú đến ngày: 31/12/2026",
		"Mã hồ sơ: HS-2026-0042",
		`<span class="badge pending">Đang chờ gửi</span>`,
		"<dt>Đang chờ gửi</dt><dd>1 · thay đổi cũ nhất đã chờ <span data-ago=\"0\">0 giây</span></dd>",
		"Phường An Cư (31117)",
		"phiên bản 3, 12.345 công dân",
		"10/03/2026 08:55 (<span data-ago=\"300000\">5 phút</span> trước)",
	)
	out.MustNotContain(t, "chưa đồng bộ lần nào")
	// A recorded= that is not in the list puts nothing on the page.
	forged := c.Get("/outbox?recorded=" + url.QueryEscape("<b>giả mạo</b>"))
	forged.MustNotContain(t, "giả mạo", `id="recorded"`)
}

func TestOutcomes(t *testing.T) {
	at := registry.HLCFromTime(time.Date(2026, 3, 10, 1, 30, 0, 0, time.UTC)) // 08:30 in Vietnam
	later := registry.HLCFromTime(time.Date(2026, 3, 10, 1, 45, 0, 0, time.UTC))
	tests := []struct {
		name    string
		outcome *registry.Outcome
		want    []string
	}{
		{"pending", nil, []string{`badge pending">Đang chờ gửi`}},
		{"applied", &registry.Outcome{Result: registry.Applied}, []string{`badge applied">Đã áp dụng</span>`}},
		{"merged", &registry.Outcome{Result: registry.Merged, Lost: []registry.Loss{
			{Field: registry.FieldCurrentAddress, Winner: "7 Hòa Bình", By: "edge-2/3", Time: at},
		}}, []string{
			`badge merged">Đã hợp nhất`,
			"Một phần thay đổi của bạn được áp dụng, phần còn lại giữ giá trị của thay đổi khác:",
			"<li>Nơi tạm trú: đã áp dụng “45 Nguyễn Văn Cừ”</li>",
			"<li>Tạm trú đến ngày: đã áp dụng “31/12/2026”</li>",
			"<li>Nơi ở hiện tại: không áp dụng, giữ giá trị “7 Hòa Bình” của thay đổi edge-2/3 (lúc 10/03/2026 08:30)</li>",
		}},
		{"superseded", &registry.Outcome{Result: registry.Superseded, Lost: []registry.Loss{
			{Field: registry.FieldTemporaryAddress, Winner: "9 Mậu Thân", By: "edge-2/7", Time: at},
			{Field: registry.FieldTemporaryUntil, Winner: "2027-01-31", By: "edge-3/2", Time: later},
		}}, []string{
			`badge superseded">Bị thay thế</span> <span class="outcome">Thay đổi của bạn bị thay thế bởi thay đổi edge-3/2 lúc 10/03/2026 08:45.</span>`,
			"Nơi tạm trú: không áp dụng, giữ giá trị “9 Mậu Thân” của thay đổi edge-2/7 (lúc 10/03/2026 08:30)",
			"<li>Tạm trú đến ngày giữ giá trị “31/01/2027” của thay đổi đó</li>",
		}},
		{"superseded without losses", &registry.Outcome{Result: registry.Superseded, Reason: "base version too old"},
			[]string{"bị thay thế bởi một thay đổi mới hơn", "<li>Lý do: base version too old</li>"}},
		{"needs review", &registry.Outcome{Result: registry.NeedsReview, Reason: "possible duplicate birth"},
			[]string{`badge needs_review">Cần xem xét</span>`,
				"Thành phố cần xem xét thay đổi này trước khi áp dụng. Lý do: possible duplicate birth. Kết quả sẽ hiện ở đây sau khi xem xét."}},
		{"needs review without reason", &registry.Outcome{Result: registry.NeedsReview},
			[]string{"Thành phố cần xem xét thay đổi này trước khi áp dụng; kết quả sẽ hiện ở đây sau khi xem xét."}},
		{"rejected", &registry.Outcome{Result: registry.Rejected, Reason: "citizen is deceased"},
			[]string{`badge rejected">Bị từ chối</span>`, "không có gì được áp dụng. Lý do: citizen is deceased."}},
		{"rejected without reason", &registry.Outcome{Result: registry.Rejected},
			[]string{"không có gì được áp dụng. Hãy kiểm tra lại hồ sơ."}},
		{"duplicate", &registry.Outcome{Result: registry.Duplicate, Original: registry.Applied},
			[]string{`badge duplicate">Trùng lặp</span>`, "Thay đổi này đã được gửi trước đó; kết quả lần đầu: Đã áp dụng."}},
		{"unknown result", &registry.Outcome{Result: "postponed", Reason: "maintenance"},
			[]string{`badge postponed">postponed</span>`, "<li>Lý do: maintenance</li>"}},
		{"clamped", &registry.Outcome{Result: registry.Applied, Clamped: true},
			[]string{"Đồng hồ của máy ở xã chạy nhanh"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
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
			c.Get("/outbox").MustContain(t, tt.want...)
			frag := c.getFromScript("/outbox/live?recorded=" + ch.ID())
			frag.WantStatus(t, http.StatusOK)
			frag.MustContain(t, tt.want...)
			frag.MustContain(t, `id="recorded"`)
			frag.MustNotContain(t, "<html") // a fragment, not a page
			// The record's history explains the outcome the same way.
			c.Get("/citizen/"+sampleID).MustContain(t, tt.want...)
		})
	}
}

// TestBirthOutcome: a birth waits under its provisional ID, and the
// assigned personal ID appears, with a link to the new record, when the
// city's outcome arrives.
func TestBirthOutcome(t *testing.T) {
	mem := newMemRegistry(func() time.Time { return testNow })
	reg := mem.fake()
	e := newEnv(t, Config{Registry: reg})
	ch, err := reg.Record(Draft{Officer: "lan", Op: registry.OpRegisterBirth, Patch: map[string]string{
		"full_name": "Trần Gia Bảo", "birth_date": "2026-03-01", "sex": "M", "commune": "31117"}})
	if err != nil {
		t.Fatal(err)
	}
	c := e.client()
	c.login()
	c.getFromScript("/outbox/live?recorded="+ch.ID()).MustContain(t,
		"Số tạm thời của trẻ: P-edge-1-1.", "<td>P-edge-1-1</td>")
	mem.settle(ch.ID(), registry.Outcome{Result: registry.Applied, Citizen: "092226000017"})
	frag := c.getFromScript("/outbox/live?recorded=" + ch.ID())
	frag.MustContain(t, `Số định danh được cấp: <strong class="id">092226000017</strong> <a href="/citizen/092226000017">Xem hồ sơ</a>`)
	frag.MustNotContain(t, "Số tạm thời của trẻ")
}

func TestOutboxUnavailable(t *testing.T) {
	reg := &fakeRegistry{
		recent: func(int) ([]Recorded, error) { return nil, errors.New("bbolt: closed") },
		status: func() (Status, error) { return Status{}, errors.New("bbolt: closed") },
	}
	e := newEnv(t, Config{Registry: reg})
	c := e.client()
	c.login()
	p := c.Get("/outbox")
	p.WantStatus(t, http.StatusOK)
	p.MustContain(t, "Chưa đọc được danh sách thay đổi", "Chưa đọc được tình trạng đồng bộ")
}

func TestStaleWarning(t *testing.T) {
	reg := &fakeRegistry{
		lookup: func(_, _ string) (*registry.Citizen, error) { return sampleCitizen(), nil },
		status: func() (Status, error) {
			return Status{Node: "edge-1", HasSubset: true, Stale: true, LastError: "dial tcp: i/o timeout"}, nil
		},
	}
	e := newEnv(t, Config{Registry: reg})
	c := e.client()
	c.login()
	const banner = `class="banner" role="alert">Dữ liệu của xã đã quá hạn cập nhật`
	for _, path := range []string{"/", "/outbox", "/citizen/" + sampleID, "/birth",
		"/citizen/" + sampleID + "/change/register_temporary", "/search?name=a&birth=1990", "/no-such-page"} {
		c.Get(path).MustContain(t, banner)
	}
	c.Get("/outbox").MustContain(t, "dial tcp: i/o timeout", "chưa đồng bộ lần nào")
	// Stale data still prints, saying so on the paper.
	c.Get("/citizen/"+sampleID+"/print").MustContain(t, "Lưu ý: dữ liệu của xã (phiên bản 0) đã quá hạn cập nhật")
}

// TestTransferProgress: a long download or import shows on the sync panel
// with how far it is and how long is left, in both languages.
func TestTransferProgress(t *testing.T) {
	for _, c := range []struct {
		name string
		tr   Transfer
		want []string
	}{
		{"download", Transfer{Phase: TransferDownload, Done: 3 << 20, Total: 12 << 20, Left: 3 * time.Minute},
			[]string{"Đang tải dữ liệu của xã từ thành phố: 3,0 MB / 12,0 MB (25%)", "còn khoảng 3 phút", `<progress max="100" value="25"`}},
		{"download of unknown size", Transfer{Phase: TransferDownload, Done: 512 << 10},
			[]string{"đã nhận 512 KB"}},
		{"import", Transfer{Phase: TransferImport, Done: 40000, Total: 100000},
			[]string{"40.000 / 100.000 hồ sơ (40%)", `value="40"`}},
	} {
		reg := &fakeRegistry{status: func() (Status, error) {
			return Status{Node: "edge-1", HasSubset: true, Transfer: c.tr}, nil
		}}
		e := newEnv(t, Config{Registry: reg})
		cl := e.client()
		cl.login()
		cl.Get("/outbox").MustContain(t, c.want...)
	}
	reg := &fakeRegistry{status: func() (Status, error) { return Status{Node: "edge-1", HasSubset: true}, nil }}
	e := newEnv(t, Config{Registry: reg})
	cl := e.client()
	cl.login()
	if p := cl.Get("/outbox"); strings.Contains(p.Body, "<progress") {
		t.Fatal("a progress bar without a transfer")
	}
}

// TestOutboxHidesIdentifications: card and QR reads are left out of the
// outbox list unless asked for, so they do not push changes off it.
func TestOutboxHidesIdentifications(t *testing.T) {
	reg := &fakeRegistry{recent: func(int) ([]Recorded, error) {
		return []Recorded{
			{Change: &registry.Change{Node: "edge-1", Seq: 2, Officer: "lan", Op: registry.OpIdentify, Citizen: sampleID, Time: registry.HLC(1)}},
			{Change: &registry.Change{Node: "edge-1", Seq: 1, Officer: "lan", Op: registry.OpDeclareAbsence, Citizen: sampleID, Time: registry.HLC(1)}},
		}, nil
	}}
	e := newEnv(t, Config{Registry: reg})
	c := e.client()
	c.login()
	p := c.Get("/outbox")
	p.MustContain(t, `id="c-edge-1/1"`, `href="/outbox?all=1" id="lookups-toggle"`)
	p.MustNotContain(t, `id="c-edge-1/2"`)
	p = c.Get("/outbox?all=1")
	p.MustContain(t, `id="c-edge-1/1"`, `id="c-edge-1/2"`, `href="/outbox" id="lookups-toggle"`)
	c.Get("/outbox/live").MustNotContain(t, `id="c-edge-1/2"`)
	c.Get("/outbox/live?all=1").MustContain(t, `id="c-edge-1/2"`)
}
