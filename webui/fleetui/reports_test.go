package fleetui

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/xanode/xanode/node/registry"
)

// reportFleet is the sample fleet that also fetches reports.
type reportFleet struct {
	*fakeFleet
	asked []string
	fail  bool
}

func (f *reportFleet) Report(_ context.Context, commune, month string) (*registry.Report, error) {
	f.asked = append(f.asked, commune+" "+month)
	if f.fail {
		return nil, errors.New("city: 503 no leader")
	}
	r := registry.NewReport(commune, month, registry.ReportCity, time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC))
	r.Residents[0].N, r.MovesIn = 2000, 3
	return r, nil
}

// TestReportsPage: city IT picks a commune and a month and gets the
// city's report on the page and as downloads.
func TestReportsPage(t *testing.T) {
	f := &reportFleet{fakeFleet: &fakeFleet{nodes: func(context.Context) ([]Node, error) { return sampleNodes(), nil }}}
	e := newEnv(t, Config{Fleet: f})
	c := e.client()
	c.login()
	c.Get("/").MustContain(t, `href="/reports"`)
	c.Get("/reports").MustContain(t, `id="commune" name="commune" value=""`, `type="month"`)
	p := c.Get("/reports?commune=92101&month=2026-11")
	p.MustContain(t, "Báo cáo dân cư 92101, tháng 2026-11", ">2000</td>", `href="/reports?commune=92101&amp;format=xlsx&amp;month=2026-11"`)
	x := c.Get("/reports?commune=92101&month=2026-11&format=xlsx")
	if x.Status != http.StatusOK || !strings.HasPrefix(x.Body, "PK") {
		t.Errorf("XLSX download: %d", x.Status)
	}
	if got := c.Get("/reports?commune=921&month=2026-11"); got.Status != http.StatusBadRequest {
		t.Errorf("a bad commune: %d", got.Status)
	}
	f.fail = true
	if got := c.Get("/reports?commune=92101&month=2026-11"); got.Status != http.StatusBadGateway {
		t.Errorf("the city failing: %d", got.Status)
	}
	if len(f.asked) != 3 {
		t.Errorf("asked the city %v", f.asked)
	}
}
