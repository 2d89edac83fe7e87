package webui

import (
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/xanode/xanode/node/registry"
)

type fakeUnits struct{}

func (fakeUnits) Provinces() []Unit {
	return []Unit{{"01", "Thành phố Hà Nội"}, {"92", "Thành phố Cần Thơ"}}
}

func (fakeUnits) Communes(p string) []Unit {
	if p == "92" {
		return []Unit{{"92101", "Phường Xuân Khánh"}, {"92103", "Phường Cái Khế"}}
	}
	return nil
}

// TestAddressPicker: an address is picked province first, then commune
// (without a script: a button shows the province's communes, recording
// nothing), and recorded as "detail, commune, province"; a permanent
// address picked so gives the registration its commune code.
func TestAddressPicker(t *testing.T) {
	mem := newMemRegistry(func() time.Time { return testNow })
	e := newEnv(t, Config{Registry: mem.fake(), Units: fakeUnits{}})
	c := e.client()
	token := c.login()
	form := c.Get(formPath(registry.OpRegisterPermanent))
	form.MustContain(t, `<select id="f-permanent_address_province" name="permanent_address_province">`,
		`<option value="92">Thành phố Cần Thơ</option>`, `name="pick" value="permanent_address"`)
	form.MustNotContain(t, `id="f-permanent_address_commune"`)
	v := url.Values{"csrf": {token}, "permanent_address_detail": {"Số 7, Đường Trần Phú"}, "permanent_address_province": {"92"},
		"pick": {"permanent_address"}, "commune": {"31117"}}
	p := c.Post(formPath(registry.OpRegisterPermanent), v)
	p.WantStatus(t, http.StatusOK)
	p.MustContain(t, `<option value="92103">Phường Cái Khế</option>`, `value="Số 7, Đường Trần Phú"`)
	if d := mem.recordedDrafts(); len(d) != 0 {
		t.Fatalf("picking a province recorded %+v", d)
	}
	v.Del("pick")
	v.Set("permanent_address_commune", "92103")
	review := c.Post(formPath(registry.OpRegisterPermanent), v)
	review.WantStatus(t, http.StatusOK)
	review.MustContain(t, "<dd>Số 7, Đường Trần Phú, Phường Cái Khế, Thành phố Cần Thơ</dd>", "<dd>92103</dd>")
	c.Post(formPath(registry.OpRegisterPermanent), confirmed(v)).WantStatus(t, http.StatusSeeOther)
	d := mem.recordedDrafts()
	if len(d) != 1 || d[0].Patch["permanent_address"] != "Số 7, Đường Trần Phú, Phường Cái Khế, Thành phố Cần Thơ" ||
		d[0].Patch["commune"] != "92103" {
		t.Fatalf("recorded %+v", d)
	}
}
