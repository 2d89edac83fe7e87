package webui

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/xanode/xanode/node/registry"
)

// reportRegistry is a registry that makes reports.
type reportRegistry struct {
	*fakeRegistry
	months []string
}

func (r *reportRegistry) Report(_ context.Context, officer, month string) (*registry.Report, error) {
	r.months = append(r.months, officer+" "+month)
	rep := registry.NewReport("31117", month, registry.ReportEdge, testNow)
	rep.Residents[0].N, rep.MovesOut = 12, -1
	return rep, nil
}

// TestReports: the page (last month by default), the downloads, a bad
// month, and the note that a box's own report is partial.
func TestReports(t *testing.T) {
	reg := &reportRegistry{fakeRegistry: &fakeRegistry{}}
	e := newEnv(t, Config{Registry: reg})
	c := e.client()
	c.login()
	p := c.Get("/reports")
	p.WantStatus(t, http.StatusOK)
	p.MustContain(t, `value="2026-02"`, "Báo cáo dân cư 31117, tháng 2026-02", "Không kết nối được thành phố",
		`href="/reports?month=2026-02&amp;format=csv"`, `>12</td>`, `aria-current="page">Báo cáo</a>`)
	csv := c.Get("/reports?month=2026-01&format=csv")
	csv.WantStatus(t, http.StatusOK)
	if ct := csv.Header.Get("Content-Type"); ct != "text/csv; charset=utf-8" ||
		!strings.Contains(csv.Header.Get("Content-Disposition"), "bao-cao-31117-2026-01.csv") {
		t.Errorf("CSV answer: %q, %q", ct, csv.Header.Get("Content-Disposition"))
	}
	x := c.Get("/reports?month=2026-01&format=xlsx")
	if !strings.HasPrefix(x.Body, "PK") {
		t.Error("the XLSX download is not a zip")
	}
	c.Get("/reports?month=2026-13").WantStatus(t, http.StatusBadRequest)
	c.Get("/reports?month=2026-01&format=pdf").WantStatus(t, http.StatusNotFound)
	if len(reg.months) != 3 || reg.months[0] != "lan 2026-02" {
		t.Errorf("reports made: %v", reg.months)
	}
	// Without the capability: no menu entry, no page.
	c2 := newEnv(t, Config{}).client()
	c2.login()
	c2.Get("/").MustNotContain(t, `href="/reports"`)
	c2.Get("/reports").WantStatus(t, http.StatusNotFound)
}

// attestRegistry signs what is printed.
type attestRegistry struct {
	*fakeRegistry
	docs []Document
	fail bool
}

func (a *attestRegistry) Attest(officer string, d Document) (string, error) {
	if a.fail {
		return "", errors.New("no node key")
	}
	a.docs = append(a.docs, d)
	return "XN1-edge-1-7-ABCDEFGHJK", nil
}

// TestPrintCarriesCode: a printed confirmation carries the code of the
// statement signed of exactly what it shows; a box that cannot sign
// prints without one and says so on screen.
func TestPrintCarriesCode(t *testing.T) {
	mem := newMemRegistry(func() time.Time { return testNow })
	reg := &attestRegistry{fakeRegistry: mem.fake()}
	e := newEnv(t, Config{Registry: reg})
	c := e.client()
	c.login()
	p := c.Get("/citizen/" + sampleID + "/print")
	p.WantStatus(t, http.StatusOK)
	p.MustContain(t, `<code>XN1-edge-1-7-ABCDEFGHJK</code>`, "Mã xác thực:")
	if len(reg.docs) != 1 || reg.docs[0].Citizen != sampleID || reg.docs[0].Lines[0] != (DocLine{"full_name", "Nguyễn Thị Thu Hà"}) ||
		len(reg.docs[0].Members) == 0 {
		t.Errorf("signed %+v", reg.docs)
	}
	reg.fail = true
	p = c.Get("/citizen/" + sampleID + "/print")
	p.MustContain(t, "Không ký được văn bản này")
	p.MustNotContain(t, "<code>XN1-")
}
