package webui

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/xanode/xanode/node/registry"
)

// sampleInput is a valid value for every box of every form, typed the way
// an officer types it (dates dd/mm/yyyy). Each differs from the sample
// citizen's record, so that a correction sends all of them.
var sampleInput = map[string]string{
	"temporary_address": "45 Nguyễn Văn Cừ, phường An Khánh, Ninh Kiều, Cần Thơ",
	"temporary_until":   "31/12/2026",
	"temporary_from":    "01/03/2026",
	"residence_basis":   registry.BasisOwn,
	"owner_consent":     registry.ConsentAgreed,
	"current_address":   "45 Nguyễn Văn Cừ, Ninh Kiều",
	"permanent_address": "7 Hòa Bình, phường An Cư, Ninh Kiều, Cần Thơ",
	"commune":           "31117",
	"household":         "HH-0077",
	"relation":          "Con",
	"absence":           "TP Hồ Chí Minh",
	"absence_end":       "30/06/2026",
	"full_name":         "Trần Gia Bảo",
	"other_name":        "Bé Bo",
	"birth_date":        "1/3/2026",
	"sex":               registry.SexMale,
	"nationality":       "Lào",
	"ethnicity":         "Tày",
	"religion":          "Phật giáo",
	"birth_place":       "UBND phường An Cư, Ninh Kiều, Cần Thơ",
	"hometown":          "Cái Răng, Cần Thơ",
	"father_id":         "092 090 001 111",
	"father_name":       "Trần Văn Bình",
	"mother_id":         sampleID,
	"mother_name":       "Nguyễn Thị Thu Hà",
	"spouse_id":         "092090001111",
	"spouse_name":       "Trần Văn Bình",
	"old_id":            "361234567",
	"features":          "Nốt ruồi dưới mắt trái",
	"death_date":        "09/03/2026",
	inputProcedure:      "HS-2026-0042",
	inputNote:           "Đã kiểm tra giấy tờ gốc",
}

// formPath is where op's form is posted.
func formPath(op registry.Op) string {
	if op == registry.OpRegisterBirth {
		return "/birth"
	}
	return "/citizen/" + sampleID + "/change/" + string(op)
}

// fill returns a form with the CSRF token and the sample value of every
// input that keep accepts, confirmed as on its review page, with a form
// token of its own.
func fill(f *opForm, token string, keep func(input) bool) url.Values {
	v := confirmed(url.Values{"csrf": {token}})
	for _, in := range f.inputs {
		if keep(in) {
			v.Set(in.name, sampleInput[in.name])
		}
	}
	return v
}

// TestFormsMatchRegistry records every form, filled only where required
// and then filled completely, through a registry that builds the change
// with registry.PatchFromMap and checks it with Change.Validate: a form
// that lacks a field the operation requires, or has one it may not set,
// fails here.
func TestFormsMatchRegistry(t *testing.T) {
	edgeOps := []registry.Op{registry.OpRegisterPermanent, registry.OpRegisterTemporary, registry.OpDeclareAbsence,
		registry.OpCorrect, registry.OpRegisterBirth, registry.OpRegisterDeath, registry.OpHousehold, registry.OpProcedure}
	if len(opForms) != len(edgeOps) {
		t.Errorf("%d forms for %d operations", len(opForms), len(edgeOps))
	}
	for _, op := range edgeOps {
		f, ok := formFor(op)
		if !ok {
			t.Errorf("no form for %s", op)
			continue
		}
		for _, in := range f.inputs {
			if _, ok := sampleInput[in.name]; !ok {
				t.Errorf("%s: no sample value for %s", op, in.name)
			}
			if _, ok := in.field(); !ok && in.name != inputProcedure && in.name != inputNote {
				t.Errorf("%s: box %q is neither a registry field nor the procedure or note", op, in.name)
			}
		}
		for _, variant := range []struct {
			name string
			keep func(input) bool
		}{
			// A correction requires no field, but sends only what changed: give it one.
			{"required only", func(in input) bool { return in.required || (f.prefill && in.name == "full_name") }},
			{"every box", func(input) bool { return true }},
		} {
			t.Run(string(op)+"/"+variant.name, func(t *testing.T) {
				mem := newMemRegistry(func() time.Time { return testNow })
				e := newEnv(t, Config{Registry: mem.fake()})
				c := e.client()
				token := c.loginAs("hung") // a supervisor may record every operation
				p := c.Post(formPath(op), fill(f, token, variant.keep))
				p.WantStatus(t, http.StatusSeeOther)
				if loc := p.Header.Get("Location"); loc != "/outbox?recorded=edge-1%2F1" {
					t.Errorf("after recording, goes to %q", loc)
				}
				d := mem.recordedDrafts()
				if len(d) != 1 || d[0].Op != op || d[0].Officer != "hung" {
					t.Fatalf("recorded %+v", d)
				}
				if op == registry.OpRegisterBirth && d[0].Citizen != "" {
					t.Errorf("a birth was recorded for citizen %q, want none (the node issues a provisional ID)", d[0].Citizen)
				}
			})
		}
	}
}

// TestFormsRequireFields leaves each required box empty in turn: the form
// comes back with the message beside that box and the rest of the input
// kept, and nothing reaches the registry.
func TestFormsRequireFields(t *testing.T) {
	for _, f := range opForms {
		for _, missing := range f.inputs {
			if !missing.required {
				continue
			}
			t.Run(string(f.op)+"/"+missing.name, func(t *testing.T) {
				mem := newMemRegistry(func() time.Time { return testNow })
				e := newEnv(t, Config{Registry: mem.fake()})
				c := e.client()
				token := c.loginAs("hung")
				form := fill(&f, token, func(in input) bool { return in.name != missing.name })
				p := c.Post(formPath(f.op), form)
				p.WantStatus(t, http.StatusUnprocessableEntity)
				p.MustContain(t, `id="f-`+missing.name+`-error"`, "Có 1 ô cần sửa", `aria-invalid="true" autofocus`)
				for _, in := range f.inputs {
					if in.name != missing.name && in.kind != inSex && in.kind != inArea {
						p.MustContain(t, `value="`+sampleInput[in.name]+`"`)
					}
				}
				if d := mem.recordedDrafts(); len(d) != 0 {
					t.Errorf("recorded %+v", d)
				}
			})
		}
	}
}

// TestTemporaryRegistration: the form, its review (nothing recorded
// yet), the confirmation that records it, and the same confirmation sent
// again, which records nothing more.
func TestTemporaryRegistration(t *testing.T) {
	mem := newMemRegistry(func() time.Time { return testNow })
	e := newEnv(t, Config{Registry: mem.fake()})
	c := e.client()
	token := c.login()
	form := c.Get("/citizen/" + sampleID + "/change/register_temporary")
	form.WantStatus(t, http.StatusOK)
	form.MustContain(t,
		"<h1>Đăng ký tạm trú</h1>",
		`<a href="/citizen/`+sampleID+`">Công dân: Nguyễn Thị Thu Hà · `+sampleID+`</a>`,
		`<label for="f-temporary_address">Nơi tạm trú <span class="req">(bắt buộc)</span></label>`,
		`<input id="f-temporary_address" name="temporary_address" value="" autocomplete="off" class="wide" aria-required="true" aria-describedby="f-temporary_address-hint" autofocus>`,
		`placeholder="dd/mm/yyyy" aria-required="true" aria-describedby="f-temporary_until-hint">`,
		`<option value="rent">Thuê</option>`, `name="form_token" value="`,
		`<button type="submit" class="primary" accesskey="g">Tiếp tục: kiểm tra lại</button>`,
	)
	form.MustNotContain(t, "disabled")
	typed := url.Values{
		"csrf": {token}, "temporary_address": {"  45 Nguyễn Văn Cừ,  phường An Khánh "},
		"temporary_from": {"1/3/2026"}, "temporary_until": {"31.12.2026"}, "residence_basis": {"rent"},
		"procedure": {"HS-2026-0042"},
	}
	// A rented place needs the owner's consent.
	p := c.Post("/citizen/"+sampleID+"/change/register_temporary", typed)
	p.WantStatus(t, http.StatusUnprocessableEntity)
	p.MustContain(t, `id="f-owner_consent-error"`, "cần ý kiến đồng ý của chủ sở hữu")
	typed.Set("owner_consent", "agreed")
	review := c.Post("/citizen/"+sampleID+"/change/register_temporary", typed)
	review.WantStatus(t, http.StatusOK)
	review.MustContain(t, "Kiểm tra trước khi gửi: Đăng ký tạm trú", "Thay đổi CHƯA được ghi nhận",
		"<dt>Nơi tạm trú</dt><dd>45 Nguyễn Văn Cừ, phường An Khánh</dd>", "<dt>Tạm trú từ ngày</dt><dd>01/03/2026</dd>",
		"<dt>Cơ sở cư trú</dt><dd>Thuê</dd>", `name="confirm" value="1"`, `<button type="submit" name="edit" value="1">Sửa lại</button>`)
	if got := mem.recordedDrafts(); len(got) != 0 {
		t.Fatalf("recorded before the confirmation: %+v", got)
	}
	tok := between(review.Body, `name="form_token" value="`, `"`)
	typed.Set("form_token", tok)
	edit := c.Post("/citizen/"+sampleID+"/change/register_temporary", withValue(typed, "edit", "1"))
	edit.WantStatus(t, http.StatusOK)
	edit.MustContain(t, `value="`+tok+`"`, `name="temporary_address" value="  45 Nguyễn Văn Cừ,  phường An Khánh "`)
	typed.Set("confirm", "1")
	for range 2 { // a double click: one change
		p = c.Post("/citizen/"+sampleID+"/change/register_temporary", typed)
		p.WantStatus(t, http.StatusSeeOther)
		if loc := p.Header.Get("Location"); loc != "/outbox?recorded=edge-1%2F1" {
			t.Errorf("goes to %q", loc)
		}
	}
	want := Draft{
		Officer: "lan", Op: registry.OpRegisterTemporary, Citizen: sampleID,
		Patch: map[string]string{"temporary_address": "45 Nguyễn Văn Cừ, phường An Khánh", "temporary_until": "2026-12-31",
			"temporary_from": "2026-03-01", "residence_basis": "rent", "owner_consent": "agreed"},
		Procedure: "HS-2026-0042",
	}
	if got := mem.recordedDrafts(); len(got) != 1 || !reflect.DeepEqual(got[0], want) {
		t.Fatalf("Record got %+v, want %+v", got, want)
	}
}

// TestDeathNeedsConfirmation: a death's review asks for an explicit tick;
// without it nothing is recorded.
func TestDeathNeedsConfirmation(t *testing.T) {
	mem := newMemRegistry(func() time.Time { return testNow })
	e := newEnv(t, Config{Registry: mem.fake()})
	c := e.client()
	token := c.loginAs("hung")
	f, _ := formFor(registry.OpRegisterDeath)
	v := fill(f, token, func(input) bool { return true })
	v.Del("confirm_grave")
	v.Del("confirm")
	review := c.Post(formPath(registry.OpRegisterDeath), v)
	review.WantStatus(t, http.StatusOK)
	review.MustContain(t, `type="checkbox" id="confirm-grave" name="confirm_grave" value="1"`)
	v.Set("confirm", "1")
	p := c.Post(formPath(registry.OpRegisterDeath), v)
	p.WantStatus(t, http.StatusUnprocessableEntity)
	p.MustContain(t, `id="confirm-grave-error" role="alert">Hãy đánh dấu ô xác nhận`)
	if d := mem.recordedDrafts(); len(d) != 0 {
		t.Fatalf("recorded without the tick: %+v", d)
	}
	v.Set("confirm_grave", "1")
	c.Post(formPath(registry.OpRegisterDeath), v).WantStatus(t, http.StatusSeeOther)
	if d := mem.recordedDrafts(); len(d) != 1 {
		t.Fatalf("recorded %+v", d)
	}
}

func between(s, from, to string) string {
	i := strings.Index(s, from)
	if i < 0 {
		return ""
	}
	s = s[i+len(from):]
	return s[:strings.Index(s, to)]
}

func withValue(v url.Values, k, val string) url.Values {
	out := url.Values{}
	for key, vs := range v {
		out[key] = vs
	}
	out.Set(k, val)
	return out
}

func TestFormChecks(t *testing.T) {
	tests := []struct {
		name   string
		op     registry.Op
		change map[string]string
		field  string // the box the message stands beside
		want   string
	}{
		{"no such day", registry.OpRegisterTemporary, map[string]string{"temporary_until": "31/02/2026"}, "temporary_until", "Ngày không hợp lệ"},
		{"month only", registry.OpRegisterTemporary, map[string]string{"temporary_until": "12/2026"}, "temporary_until", "Hãy ghi đủ ngày/tháng/năm"},
		{"today", registry.OpRegisterTemporary, map[string]string{"temporary_until": "10/03/2026"}, "temporary_until", "phải sau hôm nay (10/03/2026)"},
		{"over two years", registry.OpRegisterTemporary, map[string]string{"temporary_until": "11/03/2028"}, "temporary_until", "tối đa 2 năm, tức là đến 10/03/2028"},
		{"address too long", registry.OpRegisterTemporary, map[string]string{"temporary_address": strings.Repeat("a", 513)}, "temporary_address", "tối đa 512 byte"},
		{"control character", registry.OpRegisterTemporary, map[string]string{"temporary_address": "45\x07 Nguyễn Văn Cừ"}, "temporary_address", "ký tự lạ"},
		{"absence ended", registry.OpDeclareAbsence, map[string]string{"absence_end": "01/01/2026"}, "absence_end", "phải sau hôm nay"},
		{"commune code", registry.OpRegisterPermanent, map[string]string{"commune": "3111"}, "commune", "gồm đúng 5 chữ số"},
		{"household code", registry.OpHousehold, map[string]string{"household": "HH 0042"}, "household", "không có dấu cách"},
		{"born tomorrow", registry.OpRegisterBirth, map[string]string{"birth_date": "11/03/2026"}, "birth_date", "chưa tới"},
		{"birth year only", registry.OpRegisterBirth, map[string]string{"birth_date": "2026"}, "birth_date", "Hãy ghi đủ ngày/tháng/năm"},
		{"no sex", registry.OpRegisterBirth, map[string]string{"sex": "X"}, "sex", "Chưa chọn “Giới tính”"},
		{"parent ID", registry.OpRegisterBirth, map[string]string{"mother_id": "09219500123"}, "mother_id", "đúng 12 chữ số"},
		{"old ID", registry.OpCorrect, map[string]string{"old_id": "36123456"}, "old_id", "đúng 9 chữ số"},
		{"death before birth", registry.OpRegisterDeath, map[string]string{"death_date": "07/03/1995"}, "death_date", "không thể trước ngày sinh (08/03/1995)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mem := newMemRegistry(func() time.Time { return testNow })
			e := newEnv(t, Config{Registry: mem.fake()})
			c := e.client()
			token := c.loginAs("hung")
			f, _ := formFor(tt.op)
			form := fill(f, token, func(input) bool { return true })
			for k, v := range tt.change {
				form.Set(k, v)
			}
			p := c.Post(formPath(tt.op), form)
			p.WantStatus(t, http.StatusUnprocessableEntity)
			p.MustContain(t, `id="f-`+tt.field+`-error">`, tt.want)
			if i := strings.Index(p.Body, `id="f-`+tt.field+`-error">`); i >= 0 && !strings.Contains(p.Body[i:], tt.want) {
				t.Errorf("the message is not beside %s", tt.field)
			}
			if d := mem.recordedDrafts(); len(d) != 0 {
				t.Errorf("recorded %+v", d)
			}
		})
	}
}

// TestRefusalsBesideTheirBox: what the node refuses is shown beside the
// box of the field its error names, with the officer's input kept.
func TestRefusalsBesideTheirBox(t *testing.T) {
	tests := []struct {
		name       string
		err        error
		wantStatus int
		want       []string
	}{
		{"field", fmt.Errorf("%w: temporary_until: year 2500 out of range", registry.ErrField), 422,
			[]string{`id="f-temporary_until-error">Hệ thống không chấp nhận giá trị của ô “Tạm trú đến ngày”`, "year 2500 out of range"}},
		{"required", fmt.Errorf("%w edge-1/0: register_temporary requires temporary_address", registry.ErrChange), 422,
			[]string{`id="f-temporary_address-error">Chưa nhập “Nơi tạm trú”`}},
		{"unnamed", fmt.Errorf("%w edge-1/0: node \"\" must be 1–64 characters", registry.ErrChange), 422,
			[]string{`id="form-error"`, "Hệ thống không chấp nhận dữ liệu này"}},
		{"store fails", errors.New("bbolt: disk full"), 500, []string{"Dữ liệu bạn nhập vẫn còn trên trang"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			reg := &fakeRegistry{
				lookup: func(_, _ string) (*registry.Citizen, error) { return sampleCitizen(), nil },
				record: func(Draft) (*registry.Change, error) { return nil, tt.err },
			}
			e := newEnv(t, Config{Registry: reg})
			c := e.client()
			token := c.login()
			f, _ := formFor(registry.OpRegisterTemporary)
			p := c.Post(formPath(f.op), fill(f, token, func(input) bool { return true }))
			p.WantStatus(t, tt.wantStatus)
			p.MustContain(t, tt.want...)
			p.MustContain(t, `value="`+sampleInput["temporary_address"]+`"`, sampleInput[inputNote])
		})
	}
	if !namesField("x: absence_end: bad", "absence_end") || namesField("x: absence_end: bad", "absence") {
		t.Error("namesField does not match whole names")
	}
}

func TestSupervisorOnly(t *testing.T) {
	for _, op := range []registry.Op{registry.OpCorrect, registry.OpRegisterDeath} {
		t.Run(string(op), func(t *testing.T) {
			mem := newMemRegistry(func() time.Time { return testNow })
			e := newEnv(t, Config{Registry: mem.fake()})
			c := e.client()
			token := c.login()
			page := c.Get(formPath(op))
			page.WantStatus(t, http.StatusOK)
			page.MustContain(t, `<fieldset disabled>`, `id="denied" role="note">Chỉ cán bộ phụ trách được ghi nhận`)
			page.MustNotContain(t, "autofocus")
			f, _ := formFor(op)
			p := c.Post(formPath(op), fill(f, token, func(input) bool { return true }))
			p.WantStatus(t, http.StatusForbidden)
			p.MustContain(t, "Chỉ cán bộ phụ trách")
			if d := mem.recordedDrafts(); len(d) != 0 {
				t.Errorf("an officer recorded %+v", d)
			}
			c.Get("/citizen/"+sampleID).MustContain(t, `<span class="hint">(cần cán bộ phụ trách)</span>`)

			sup := e.client()
			sup.loginAs("hung")
			sup.Get(formPath(op)).MustNotContain(t, "disabled", `id="denied"`)
		})
	}
	if registry.OfficerMay("admin", registry.OpProcedure) || !registry.OfficerMay(RoleOfficer, registry.OpRegisterTemporary) {
		t.Error("registry.OfficerMay")
	}
}

func TestDeceasedForms(t *testing.T) {
	dead := sampleCitizen()
	dead.Set(registry.FieldStatus, registry.StatusDeceased, registry.Stamp{Index: 9})
	reg := &fakeRegistry{
		lookup: func(_, _ string) (*registry.Citizen, error) { return dead, nil },
		record: func(Draft) (*registry.Change, error) { t.Error("recorded for a deceased citizen"); return nil, nil },
	}
	e := newEnv(t, Config{Registry: reg})
	c := e.client()
	token := c.login()
	rec := c.Get("/citizen/" + sampleID)
	rec.MustNotContain(t, "/change/register_temporary", "/birth?parent=")
	rec.MustContain(t, "/change/procedure_result")
	c.Get(formPath(registry.OpRegisterTemporary)).MustContain(t, `<fieldset disabled>`, "Công dân đã mất")
	p := c.Post(formPath(registry.OpRegisterTemporary), confirmed(url.Values{"csrf": {token}, "temporary_address": {"x"}, "temporary_until": {"31/12/2026"}}))
	p.WantStatus(t, http.StatusUnprocessableEntity)
}

func TestCorrection(t *testing.T) {
	mem := newMemRegistry(func() time.Time { return testNow })
	e := newEnv(t, Config{Registry: mem.fake()})
	c := e.client()
	token := c.loginAs("hung")
	page := c.Get(formPath(registry.OpCorrect))
	page.MustContain(t, `name="full_name" value="Nguyễn Thị Thu Hà"`, `name="birth_date" value="08/03/1995"`,
		`<option value="F" selected>Nữ</option>`)
	form := url.Values{"csrf": {token}, "note": {"Giấy khai sinh bản gốc"}}
	f, _ := formFor(registry.OpCorrect)
	for _, in := range f.inputs { // the boxes as the form shows them
		if fld, ok := in.field(); ok {
			form.Set(in.name, displayInput(in, sampleCitizen().Get(fld)))
		}
	}
	p := c.Post(formPath(registry.OpCorrect), form)
	p.WantStatus(t, http.StatusUnprocessableEntity)
	p.MustContain(t, "Chưa có thông tin nào được sửa")

	form.Set("full_name", "Nguyễn Thị Thu  Hà Em") // spaces collapse
	form.Set("hometown", "")                       // emptying a box clears the field
	c.Post(formPath(registry.OpCorrect), confirmed(form)).WantStatus(t, http.StatusSeeOther)
	want := map[string]string{"full_name": "Nguyễn Thị Thu Hà Em", "hometown": ""}
	if d := mem.recordedDrafts(); len(d) != 1 || !reflect.DeepEqual(d[0].Patch, want) || d[0].Note != "Giấy khai sinh bản gốc" {
		t.Fatalf("recorded %+v, want patch %v", d, want)
	}
}

func TestBirthFromParent(t *testing.T) {
	mem := newMemRegistry(func() time.Time { return testNow })
	e := newEnv(t, Config{Registry: mem.fake()})
	c := e.client()
	c.login()
	p := c.Get("/birth?parent=" + sampleID)
	p.WantStatus(t, http.StatusOK)
	p.MustContain(t, "<h1>Đăng ký khai sinh</h1>", `aria-current="page">Khai sinh`,
		`name="mother_id" value="`+sampleID+`"`, `name="mother_name" value="Nguyễn Thị Thu Hà"`,
		`name="household" value="HH-0042"`, `name="relation" value="Con"`, `name="commune" value="31117"`,
		`name="nationality" value="Việt Nam"`)
	p.MustContain(t, `name="father_id" value=""`)
	c.Get("/birth").MustContain(t, `name="mother_id" value=""`, `name="commune" value="31117"`)
}

func TestParseInputDate(t *testing.T) {
	for in, want := range map[string]string{
		"01/05/1990": "1990-05-01", "1/5/1990": "1990-05-01", "01.05.1990": "1990-05-01", "01-05-1990": "1990-05-01",
		"01051990": "1990-05-01", "1990-05-01": "1990-05-01", "05/1990": "1990-05", "1990": "1990",
		"31/02/1990": "", "1/5/90": "", "": "", "a/b/cccc": "", "001/05/1990": "", "32/01/1990": "", "1/5/1990/2": "",
	} {
		d, ok := parseInputDate(in)
		if got := d.String(); got != want || ok != (want != "") {
			t.Errorf("parseInputDate(%q) = %q, %v; want %q", in, got, ok, want)
		}
	}
}

// confirmed adds what a review page sends with its confirmation: a form
// token of its own, confirm, and the explicit confirmation a death needs.
func confirmed(v url.Values) url.Values {
	v.Set("form_token", randomToken())
	v.Set("confirm", "1")
	v.Set("confirm_grave", "1")
	return v
}
