package webui

import (
	"bytes"
	"context"
	"errors"
	"net/http"

	"github.com/xanode/xanode/node/registry"
	"github.com/xanode/xanode/webui/report"
	"github.com/xanode/xanode/webui/shell"
)

// Reports is implemented by a Registry that makes the commune's monthly
// report (DESIGN.md, "Reports"). Report returns the figures of month
// (YYYY-MM, already checked) on behalf of officer, whom the audit names:
// the city's, when it can be reached, else the box's own (Source says
// which). It may take seconds.
type Reports interface {
	Report(ctx context.Context, officer, month string) (*registry.Report, error)
}

type reportPage struct {
	base
	Month, MonthError string
	Heading, Source   string
	Edge              bool // computed on the box: the figures are partial
	Columns           []string
	Rows              []report.Row
	CSV, XLSX         string // download links
	Error             string
}

// reports shows a month's report, or sends it as CSV or XLSX
// (/reports?month=YYYY-MM&format=html|csv|xlsx). Without a month it is
// last month, the one a commune reports.
func (s *Server) reports(w http.ResponseWriter, r *http.Request, sess session) {
	l := langOf(r)
	rep, ok := s.cfg.Registry.(Reports)
	if !ok {
		s.renderError(w, r, &sess, http.StatusNotFound, "error.notfound")
		return
	}
	q := r.URL.Query()
	p := reportPage{base: s.base(r, &sess, "report.title", "/reports"), Month: q.Get("month")}
	p.Nav = "reports"
	if p.Month == "" {
		p.Month = s.cfg.Now().In(s.cfg.Location).AddDate(0, -1, 0).Format("2006-01")
	}
	format := q.Get("format")
	if format == "" {
		format = report.HTML
	}
	if format != report.HTML && format != report.CSV && format != report.XLSX {
		s.renderError(w, r, &sess, http.StatusNotFound, "error.notfound")
		return
	}
	if _, _, err := registry.ParseMonth(p.Month, s.cfg.Location); err != nil {
		p.MonthError = l.T("report.month.bad")
		s.renderPage(w, r, http.StatusBadRequest, "reports", p)
		return
	}
	res, err := rep.Report(r.Context(), sess.officer.User, p.Month)
	if err != nil {
		if errors.Is(err, context.Canceled) {
			return
		}
		s.log.Error("report failed", "user", sess.officer.User, "month", p.Month, "err", err)
		p.Error = l.T("report.failed")
		s.renderPage(w, r, http.StatusInternalServerError, "reports", p)
		return
	}
	name := s.communeName()
	if format != report.HTML {
		var buf bytes.Buffer
		write := report.WriteCSV
		if format == report.XLSX {
			write = report.WriteXLSX
		}
		if err := write(&buf, l, res, name); err != nil {
			s.log.Error("report file failed", "format", format, "err", err)
			s.renderError(w, r, &sess, http.StatusInternalServerError, "report.failed")
			return
		}
		shell.Download(w, report.ContentType(format), report.Filename(res, format), buf.Bytes())
		return
	}
	p.Heading, p.Source, p.Edge = report.Title(l, res, name), report.Source(l, res), res.Source == registry.ReportEdge
	p.Columns, p.Rows = report.Columns(l), report.Rows(l, res)
	p.CSV = "/reports?month=" + p.Month + "&format=csv"
	p.XLSX = "/reports?month=" + p.Month + "&format=xlsx"
	s.renderPage(w, r, http.StatusOK, "reports", p)
}

// communeName is the node's commune's name, "" when unknown.
func (s *Server) communeName() string {
	st, err := s.cfg.Registry.Status()
	if err != nil {
		return ""
	}
	return st.CommuneName
}
