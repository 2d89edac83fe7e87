package webui

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/xanode/xanode/node/registry"
)

const visitorID = "092190004321"

// visitorRecord is a citizen of commune 92102, as the city releases her.
func visitorRecord() *registry.Citizen {
	c := makeCitizen(visitorID, map[string]string{
		"full_name": "Trần Thị Bình", "birth_date": "1990-07-02", "sex": "F", "commune": "92102",
		"permanent_address": "Số 8 Đường Hòa Bình, Phường Cái Khế, TP Cần Thơ", "status": "alive",
	})
	c.Version = 41
	return c
}

// visitorCard reads her card; visit is what the node made of it.
func visitorCard(visit *Visit) *fakeCards {
	return &fakeCards{tap: func(context.Context, string) (*Identification, error) {
		return &Identification{ID: visitorID, Assurance: AssuranceCloningChecked, Access: "pace",
			Chip:  map[string]string{"full_name": "Trần Thị Bình", "birth_date": "1990-07-02"},
			Visit: visit,
			Matches: []FieldMatch{
				{Field: "full_name", Chip: "Trần Thị Bình", Local: "Trần Thị Bình", Agree: true},
				{Field: "birth_date", Chip: "1990-07-02", Local: "1990-07-02", Agree: true},
			}}, nil
	}}
}

// recorder is a Registry that keeps the drafts it is given.
type recorder struct {
	fakeRegistry
	mu     sync.Mutex
	drafts []Draft
}

func newRecorder() *recorder {
	r := &recorder{}
	r.record = func(d Draft) (*registry.Change, error) {
		r.mu.Lock()
		defer r.mu.Unlock()
		r.drafts = append(r.drafts, d)
		return &registry.Change{Node: "edge-1", Seq: uint64(len(r.drafts)), Op: d.Op, Citizen: d.Citizen}, nil
	}
	r.status = func() (Status, error) { return Status{Node: "edge-1", Commune: "92101", HasSubset: true}, nil }
	return r
}

// TestVisitorFromTheCity: a visitor whose chip signed the city's
// challenge. The tap shows her marked as from elsewhere, with the city's
// record beside the chip; her page and forms say where the record came
// from; a temporary residence is recorded with the visit, and a move-in
// only into this commune.
func TestVisitorFromTheCity(t *testing.T) {
	visit := &Visit{ID: visitorID, Source: VisitCity, Record: visitorRecord(), Commune: "92102", CommuneName: "Phường Cái Khế",
		Read: testNow, Until: testNow.Add(4 * time.Hour)}
	reg := newRecorder()
	e := newEnv(t, Config{Cards: visitorCard(visit), Registry: reg})
	c := e.client()
	token := c.login()
	p := c.Post("/tap", url.Values{"csrf": {token}})
	p.WantStatus(t, http.StatusOK)
	p.MustContain(t, "Kết quả đọc thẻ: Trần Thị Bình", "Công dân nơi khác", "92102 (Phường Cái Khế)",
		"do thành phố cung cấp", "đến 13:00 10/03/2026", "Hồ sơ của thành phố", "khớp với hồ sơ của thành phố",
		"không được lưu vào dữ liệu của xã", `href="/visitor/`+visitorID+`/change/register_temporary"`,
		`href="/visitor/`+visitorID+`/change/register_permanent"`, `href="/visitor/`+visitorID+`/change/procedure_result"`)
	p.MustNotContain(t, `href="/citizen/`+visitorID, "/change/declare_absence", "/change/correct")

	if p := c.Get("/citizen/" + visitorID); p.Status != http.StatusSeeOther || p.Header.Get("Location") != "/visitor/"+visitorID {
		t.Errorf("her ID's record page (the queue links there): %d to %q, want the visitor's page", p.Status, p.Header.Get("Location"))
	}
	page := c.Get("/visitor/" + visitorID)
	page.WantStatus(t, http.StatusOK)
	page.MustContain(t, "Số 8 Đường Hòa Bình", "do thành phố cung cấp")
	form := c.Get("/visitor/" + visitorID + "/change/register_temporary")
	form.WantStatus(t, http.StatusOK)
	form.MustContain(t, `action="/visitor/`+visitorID+`/change/register_temporary"`, "Công dân nơi khác")
	typed := url.Values{"csrf": {token},
		"temporary_address": {"Số 5 Đường Mậu Thân, Phường Ninh Kiều, TP Cần Thơ"}, "temporary_until": {"30/06/2027"},
		"temporary_from": {"10/03/2026"}, "residence_basis": {"rent"}, "owner_consent": {"agreed"}}
	review := c.Post("/visitor/"+visitorID+"/change/register_temporary", typed)
	review.WantStatus(t, http.StatusOK)
	review.MustContain(t, "Kiểm tra trước khi gửi: Đăng ký tạm trú", `action="/visitor/`+visitorID+`/change/register_temporary"`, "Công dân nơi khác")
	if len(reg.drafts) != 0 {
		t.Fatalf("recorded before the confirmation: %+v", reg.drafts)
	}
	done := c.Post("/visitor/"+visitorID+"/change/register_temporary", confirmed(typed))
	done.WantStatus(t, http.StatusSeeOther)
	if len(reg.drafts) != 1 || reg.drafts[0].Visit == nil || reg.drafts[0].Visit.Record.Version != 41 ||
		reg.drafts[0].Op != registry.OpRegisterTemporary || reg.drafts[0].Citizen != visitorID {
		t.Fatalf("drafts: %+v", reg.drafts)
	}

	// Moving in: into this commune only.
	elsewhere := c.Post("/visitor/"+visitorID+"/change/register_permanent", url.Values{"csrf": {token},
		"permanent_address": {"Số 5 Đường Mậu Thân, Phường Ninh Kiều, TP Cần Thơ"}, "commune": {"92103"}})
	elsewhere.WantStatus(t, http.StatusUnprocessableEntity)
	elsewhere.MustContain(t, "mã xã phải là 92101")
	moved := c.Post("/visitor/"+visitorID+"/change/register_permanent", confirmed(url.Values{"csrf": {token},
		"permanent_address": {"Số 5 Đường Mậu Thân, Phường Ninh Kiều, TP Cần Thơ"}, "commune": {"92101"}}))
	moved.WantStatus(t, http.StatusSeeOther)
	if len(reg.drafts) != 2 || reg.drafts[1].Patch["commune"] != "92101" {
		t.Fatalf("move-in drafts: %+v", reg.drafts)
	}
	// Not a visitor's operation.
	c.Get("/visitor/"+visitorID+"/change/declare_absence").WantStatus(t, http.StatusNotFound)

	// The visit is the session's: another officer's session does not see
	// it, and logging out forgets it.
	other := e.client()
	other.loginAs("hung")
	other.Get("/visitor/"+visitorID).WantStatus(t, http.StatusNotFound)
	c.Post("/logout", url.Values{"csrf": {token}})
	c.login()
	gone := c.Get("/visitor/" + visitorID)
	gone.WantStatus(t, http.StatusNotFound)
	gone.MustContain(t, "Hãy đọc lại thẻ")
}

// TestVisitorExpires: the visit ends with the office's grant.
func TestVisitorExpires(t *testing.T) {
	visit := &Visit{ID: visitorID, Source: VisitCity, Record: visitorRecord(), Read: testNow, Until: testNow.Add(4 * time.Hour)}
	e := newEnv(t, Config{Cards: visitorCard(visit), Registry: newRecorder()})
	c := e.client()
	token := c.login()
	c.Post("/tap", url.Values{"csrf": {token}}).WantStatus(t, http.StatusOK)
	c.Get("/visitor/"+visitorID).WantStatus(t, http.StatusOK)
	for range 12 { // the officer keeps working: the session stays alive
		e.clock.Advance(20 * time.Minute)
		c.Get("/").WantStatus(t, http.StatusOK)
	}
	c.Get("/visitor/"+visitorID).WantStatus(t, http.StatusNotFound)
}

// TestVisitorOffline: the city was out of reach; the page says that the
// change waits with the proof and goes to review, and the proof travels
// with the draft.
func TestVisitorOffline(t *testing.T) {
	chip := visitorRecord()
	chip.Version = 0
	visit := &Visit{ID: visitorID, Source: VisitChip, Record: chip, Review: true, Offline: true, Proof: []byte("proof"), Read: testNow}
	reg := newRecorder()
	e := newEnv(t, Config{Cards: visitorCard(visit), Registry: reg})
	c := e.client()
	token := c.login()
	p := c.Post("/tap", url.Values{"csrf": {token}})
	p.WantStatus(t, http.StatusOK)
	p.MustContain(t, "Công dân nơi khác", "thông tin đọc từ chip", "chưa kết nối được với thành phố", "chờ thành phố xem xét")
	p.MustNotContain(t, "do thành phố cung cấp")
	c.Get("/visitor/"+visitorID).MustContain(t, "Thông tin cá nhân (theo chip của thẻ)")
	c.Post("/visitor/"+visitorID+"/change/procedure_result", confirmed(url.Values{"csrf": {token},
		"procedure": {"HS-2026-0042"}, "note": {"Đã cấp giấy xác nhận"}})).WantStatus(t, http.StatusSeeOther)
	if len(reg.drafts) != 1 || string(reg.drafts[0].Visit.Proof) != "proof" || reg.drafts[0].Procedure != "HS-2026-0042" {
		t.Fatalf("drafts: %+v", reg.drafts)
	}
	// English too.
	en := c.Get("/visitor/" + visitorID + "?lang=en")
	if en.Status == http.StatusSeeOther {
		en = c.Get("/visitor/" + visitorID)
	}
	en.MustContain(t, "Citizen of another commune", "cannot reach the city")
}

// TestVisitorWithoutAA: the city verified the chip's data but the card
// cannot sign its challenge: no record, changes to review, and why.
func TestVisitorWithoutAA(t *testing.T) {
	chip := visitorRecord()
	chip.Version = 0
	visit := &Visit{ID: visitorID, Source: VisitChip, Record: chip, Review: true, NoAA: true, Read: testNow, Until: testNow.Add(4 * time.Hour)}
	e := newEnv(t, Config{Cards: visitorCard(visit), Registry: newRecorder()})
	c := e.client()
	p := c.Post("/tap", url.Values{"csrf": {c.login()}})
	p.MustContain(t, "không có chức năng xác thực chủ động", "không cung cấp hồ sơ", "chờ thành phố xem xét", "đến 13:00 10/03/2026")
	p.MustNotContain(t, "chưa kết nối được với thành phố")
}

// TestVisitProblems: a citizen not in the local data who cannot be served
// is told why, with no visitor actions.
func TestVisitProblems(t *testing.T) {
	for problem, want := range map[string]string{
		VisitUnverified: "chưa kiểm tra được",
		VisitRefused:    "không xác nhận thẻ này là thẻ thật",
		VisitUnknown:    "không có hồ sơ của công dân này",
	} {
		cards := &fakeCards{tap: func(context.Context, string) (*Identification, error) {
			return &Identification{ID: visitorID, Assurance: AssuranceChipRead, Chip: map[string]string{"full_name": "Trần Thị Bình"},
				VisitProblem: problem}, nil
		}}
		e := newEnv(t, Config{Cards: cards})
		c := e.client()
		p := c.Post("/tap", url.Values{"csrf": {c.login()}})
		p.MustContain(t, want)
		p.MustNotContain(t, "/visitor/")
	}
}

func TestVisitOps(t *testing.T) {
	want := []registry.Op{registry.OpRegisterTemporary, registry.OpRegisterPermanent, registry.OpProcedure}
	if got := visitOps(); !slices.Equal(got, want) {
		t.Errorf("visitOps = %v, want %v", got, want)
	}
}
