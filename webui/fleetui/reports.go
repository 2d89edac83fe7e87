package fleetui

import (
	"bytes"
	"context"
	"net/http"
	"net/url"
	"time"

	"github.com/xanode/xanode/node/registry"
	"github.com/xanode/xanode/webui/report"
	"github.com/xanode/xanode/webui/shell"
)

// Reports is implemented by a Fleet that fetches a commune's monthly
// report as the city computes it (GET /v1/admin/report); the dashboard
// then offers the report page.
type Reports interface {
	Report(ctx context.Context, commune, month string) (*registry.Report, error)
}

type reportsPage struct {
	base
	Commune, Month  string
	FormError       string
	Heading, Source string
	Columns         []string
	Rows            []report.Row
	CSV, XLSX       string
	Error, Detail   string
}

// reports shows one commune's report for a month, or sends it as CSV or
// XLSX (/reports?commune=C&month=YYYY-MM&format=html|csv|xlsx).
func (s *Server) reports(w http.ResponseWriter, r *http.Request, sess []byte) {
	l := langOf(r)
	rep, ok := s.cfg.Fleet.(Reports)
	if !ok {
		s.notFound(w, r, sess)
		return
	}
	q := r.URL.Query()
	p := reportsPage{base: s.base(r, sess, l.T("report.title"), "reports", "/reports"), Commune: q.Get("commune"), Month: q.Get("month")}
	if p.Month == "" {
		p.Month = time.Now().In(s.cfg.Location).AddDate(0, -1, 0).Format("2006-01")
	}
	if p.Commune == "" {
		s.render(w, r, http.StatusOK, "reports", p)
		return
	}
	format := q.Get("format")
	if format == "" {
		format = report.HTML
	}
	if _, _, err := registry.ParseMonth(p.Month, s.cfg.Location); err != nil || len(p.Commune) != 5 ||
		(format != report.HTML && format != report.CSV && format != report.XLSX) {
		p.FormError = l.T("fleet.report.bad")
		s.render(w, r, http.StatusBadRequest, "reports", p)
		return
	}
	var res *registry.Report
	err := s.call(r, func(ctx context.Context) (err error) {
		res, err = rep.Report(ctx, p.Commune, p.Month)
		return err
	})
	if err != nil {
		s.log.Warn("city call failed", "call", "Report", "err", err)
		p.Error, p.Detail = s.cityError(l, err)
		s.render(w, r, http.StatusBadGateway, "reports", p)
		return
	}
	if format != report.HTML {
		var buf bytes.Buffer
		write := report.WriteCSV
		if format == report.XLSX {
			write = report.WriteXLSX
		}
		if err := write(&buf, l, res, ""); err != nil {
			p.Error = err.Error()
			s.render(w, r, http.StatusInternalServerError, "reports", p)
			return
		}
		shell.Download(w, report.ContentType(format), report.Filename(res, format), buf.Bytes())
		return
	}
	p.Heading, p.Source = report.Title(l, res, ""), report.Source(l, res)
	p.Columns, p.Rows = report.Columns(l), report.Rows(l, res)
	v := url.Values{"commune": {p.Commune}, "month": {p.Month}}
	v.Set("format", report.CSV)
	p.CSV = "/reports?" + v.Encode()
	v.Set("format", report.XLSX)
	p.XLSX = "/reports?" + v.Encode()
	s.render(w, r, http.StatusOK, "reports", p)
}
