package fleetui

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/xanode/xanode/webui/i18n"
)

// maxExported bounds the findings one export carries.
const maxExported = 100_000

// qualityExport serves the figures per commune (all communes, or one with
// ?commune=) and, for one commune, its findings, as CSV (the figures) or
// XLSX (a sheet of figures, a sheet of findings), in the page's language.
func (s *Server) qualityExport(format string) handler {
	return func(w http.ResponseWriter, r *http.Request, sess []byte) {
		l := langOf(r)
		q, rep, ok := s.report(w, r, sess)
		if !ok {
			return
		}
		commune := r.URL.Query().Get("commune")
		var figures []QualityFigures
		for _, f := range rep.Now {
			if commune == "" || f.Commune == commune {
				figures = append(figures, f)
			}
		}
		communeRank(figures)
		header, rows := figureTable(l, rep, figures)
		name := "chat-luong-du-lieu-" + s.cfg.Now().In(s.cfg.Location).Format("20060102")
		if commune != "" {
			name += "-" + commune
		}
		if format == "csv" {
			var buf bytes.Buffer
			buf.WriteString("\ufeff") // spreadsheet programs read UTF-8 by its mark
			cw := csv.NewWriter(&buf)
			cw.Write(header)
			cw.WriteAll(rows)
			send(w, "text/csv; charset=utf-8", name+".csv", buf.Bytes())
			return
		}
		var findings []Finding
		if commune != "" {
			if err := s.call(r, func(ctx context.Context) (err error) {
				findings, err = q.Findings(ctx, FindingQuery{Commune: commune, Limit: maxExported})
				return err
			}); err != nil {
				s.renderCityError(w, r, sess, "Findings", err)
				return
			}
		}
		b, err := s.workbook(l, header, rows, findings)
		if err != nil {
			s.log.Error("XLSX export failed", "err", err)
			s.renderError(w, r, sess, http.StatusInternalServerError, l.T("fleet.error.internal"), err.Error())
			return
		}
		send(w, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", name+".xlsx", b)
	}
}

func send(w http.ResponseWriter, ctype, name string, b []byte) {
	h := w.Header()
	h.Set("Content-Type", ctype)
	h.Set("Content-Disposition", `attachment; filename="`+name+`"`)
	h.Set("Content-Length", strconv.Itoa(len(b)))
	w.Write(b)
}

// figureTable lays the figures out as a table: per commune, the records,
// completeness of the required fields and of each field shown, findings
// needing attention, duplicates, stale records, then each rule's open and
// confirmed findings.
func figureTable(l i18n.Lang, rep QualityReport, fs []QualityFigures) ([]string, [][]string) {
	header := []string{l.T("fleet.quality.col.commune"), l.T("fleet.quality.col.citizens"), l.T("fleet.quality.col.alive"),
		l.T("fleet.quality.col.completeness"), l.T("fleet.quality.col.active"), l.T("fleet.quality.col.duplicates"), l.T("fleet.quality.col.stale")}
	for _, f := range completenessFields {
		header = append(header, l.T("fleet.quality.col.field", fieldLabel(l, f)))
	}
	for _, r := range rep.Rules {
		header = append(header, ruleLabel(l, r.Rule))
	}
	var rows [][]string
	for _, f := range fs {
		row := []string{f.Commune, strconv.Itoa(f.Citizens), strconv.Itoa(f.Alive), fmt.Sprintf("%.1f", completeness(f)),
			strconv.Itoa(f.Active("")), strconv.Itoa(f.Active("duplicate")), strconv.Itoa(f.Active("unconfirmed"))}
		for _, x := range completenessFields {
			row = append(row, fmt.Sprintf("%.1f", f.Complete(x)))
		}
		for _, r := range rep.Rules {
			row = append(row, strconv.Itoa(f.Active(r.Rule)))
		}
		rows = append(rows, row)
	}
	return header, rows
}

// workbook writes the figures, and findings if any, as an XLSX file.
func (s *Server) workbook(l i18n.Lang, header []string, rows [][]string, findings []Finding) ([]byte, error) {
	x := excelize.NewFile()
	defer x.Close()
	figures := l.T("fleet.quality.sheet.figures")
	if err := x.SetSheetName("Sheet1", figures); err != nil {
		return nil, err
	}
	if err := writeSheet(x, figures, header, rows); err != nil {
		return nil, err
	}
	if findings != nil {
		name := l.T("fleet.quality.sheet.findings")
		if _, err := x.NewSheet(name); err != nil {
			return nil, err
		}
		head := []string{"ID", l.T("fleet.quality.col.rule"), l.T("fleet.quality.col.state"), l.T("fleet.audit.citizen"),
			l.T("fleet.quality.col.other"), l.T("fleet.quality.col.fields"), l.T("fleet.quality.col.evidence"),
			l.T("fleet.quality.col.found"), l.T("fleet.quality.col.by"), l.T("fleet.quality.col.reason")}
		var body [][]string
		for _, f := range findings {
			body = append(body, []string{strconv.FormatUint(f.ID, 10), ruleLabel(l, f.Rule), l.T("fleet.quality.state." + f.State),
				f.Citizen, f.Other, fmt.Sprint(f.Fields), l.Evidence(f.Evidence), f.Found.In(s.cfg.Location).Format(time.DateTime), f.By, f.Reason})
		}
		if err := writeSheet(x, name, head, body); err != nil {
			return nil, err
		}
	}
	var buf bytes.Buffer
	if err := x.Write(&buf); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// writeSheet writes a header row and rows; cells that read as numbers are
// numbers, so that the sheet sums and sorts them.
func writeSheet(x *excelize.File, sheet string, header []string, rows [][]string) error {
	for i, row := range append([][]string{header}, rows...) {
		cells := make([]any, len(row))
		for j, v := range row {
			cells[j] = v
			if i > 0 {
				if n, err := strconv.ParseFloat(v, 64); err == nil && v != "" && (v[0] != '0' || len(v) == 1 || v[1] == '.') {
					cells[j] = n
				}
			}
		}
		cell, err := excelize.CoordinatesToCellName(1, i+1)
		if err != nil {
			return err
		}
		if err := x.SetSheetRow(sheet, cell, &cells); err != nil {
			return err
		}
	}
	return nil
}
