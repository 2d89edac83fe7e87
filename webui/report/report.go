// Package report lays out a commune's monthly report (registry.Report)
// as a table in the UI's language, and writes it as CSV or XLSX: the
// officer UI, the fleet UI and `xanode fleet report` share it, so the
// three give the same file.
package report

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/xanode/xanode/node/registry"
	"github.com/xanode/xanode/webui/i18n"
)

// Formats a report is written in.
const (
	HTML = "html"
	CSV  = "csv"
	XLSX = "xlsx"
)

// Row is one line of the table: its section, what it counts, and the
// figures; a figure that does not apply is "".
type Row struct {
	Section, Item                            string
	Count, Applied, Review, Refused, Waiting string
}

// Columns are the table's headings.
func Columns(l i18n.Lang) []string {
	return []string{l.T("report.col.section"), l.T("report.col.item"), l.T("report.col.count"),
		l.T("report.col.applied"), l.T("report.col.review"), l.T("report.col.refused"), l.T("report.col.waiting")}
}

var residentKeys = map[string]string{
	registry.ResidentsAlive: "report.res.alive", registry.ResidentsDeceased: "report.res.deceased",
	registry.ResidentsAbsent: "report.res.absent",
}

// Rows lays r out: residents by status, changes by operation and
// outcome, moves, identifications by assurance.
func Rows(l i18n.Lang, r *registry.Report) []Row {
	n := func(v int) string { return strconv.Itoa(v) }
	var out []Row
	for _, c := range r.Residents {
		out = append(out, Row{Section: l.T("report.sec.residents"), Item: l.T(residentKeys[c.Key]), Count: n(c.N)})
	}
	for _, c := range r.Changes {
		out = append(out, Row{Section: l.T("report.sec.changes"), Item: l.T("op." + string(c.Op)), Count: n(c.Recorded),
			Applied: n(c.Applied), Review: n(c.Review), Refused: n(c.Refused), Waiting: n(c.Waiting)})
	}
	moves := func(v int) string {
		if v < 0 {
			return l.T("report.unknown")
		}
		return n(v)
	}
	out = append(out,
		Row{Section: l.T("report.sec.moves"), Item: l.T("report.moves.in"), Count: moves(r.MovesIn)},
		Row{Section: l.T("report.sec.moves"), Item: l.T("report.moves.out"), Count: moves(r.MovesOut)})
	for _, c := range r.Identifications {
		item := l.T("report.assurance.other")
		if c.Key != registry.AssuranceOther {
			item = l.T("assurance." + c.Key)
		}
		out = append(out, Row{Section: l.T("report.sec.identifications"), Item: item, Count: n(c.N)})
	}
	return out
}

// Title is the report's heading: the commune (name, when known, and
// code) and the month.
func Title(l i18n.Lang, r *registry.Report, communeName string) string {
	who := r.Commune
	if communeName != "" {
		who = communeName + " (" + r.Commune + ")"
	}
	return l.T("report.heading", who, r.Month)
}

func (row Row) cells() []string {
	return []string{row.Section, row.Item, row.Count, row.Applied, row.Review, row.Refused, row.Waiting}
}

// WriteCSV writes the report as CSV (UTF-8 with a byte-order mark, which
// spreadsheet programs need to read Vietnamese right): a title line, the
// source line, the headings, the rows.
func WriteCSV(w io.Writer, l i18n.Lang, r *registry.Report, communeName string) error {
	if _, err := w.Write([]byte("\ufeff")); err != nil {
		return err
	}
	cw := csv.NewWriter(w)
	cw.Write([]string{Title(l, r, communeName)})
	cw.Write([]string{Source(l, r)})
	cw.Write(Columns(l))
	for _, row := range Rows(l, r) {
		cw.Write(row.cells())
	}
	cw.Flush()
	return cw.Error()
}

// Source says who computed the report and when.
func Source(l i18n.Lang, r *registry.Report) string {
	key := "report.source.city"
	if r.Source == registry.ReportEdge {
		key = "report.source.edge"
	}
	return l.T(key, r.Made.In(vietnam).Format("02/01/2006 15:04"))
}

var vietnam = time.FixedZone("ICT", 7*60*60)

// WriteXLSX writes the report as one worksheet, figures as numbers.
func WriteXLSX(w io.Writer, l i18n.Lang, r *registry.Report, communeName string) error {
	f := excelize.NewFile()
	defer f.Close()
	sheet := l.T("report.sheet")
	if err := f.SetSheetName("Sheet1", sheet); err != nil {
		return err
	}
	set := func(col, row int, v any) error {
		cell, err := excelize.CoordinatesToCellName(col, row)
		if err != nil {
			return err
		}
		return f.SetCellValue(sheet, cell, v)
	}
	if err := set(1, 1, Title(l, r, communeName)); err != nil {
		return err
	}
	if err := set(1, 2, Source(l, r)); err != nil {
		return err
	}
	for i, h := range Columns(l) {
		if err := set(i+1, 4, h); err != nil {
			return err
		}
	}
	for i, row := range Rows(l, r) {
		for j, cell := range row.cells() {
			var v any = cell
			if n, err := strconv.Atoi(cell); err == nil && j >= 2 {
				v = n
			}
			if err := set(j+1, i+5, v); err != nil {
				return err
			}
		}
	}
	if err := f.SetColWidth(sheet, "A", "B", 36); err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		return fmt.Errorf("report: xlsx: %w", err)
	}
	_, err := w.Write(buf.Bytes())
	return err
}

// Filename is the name a download of r in format gets.
func Filename(r *registry.Report, format string) string {
	return "bao-cao-" + r.Commune + "-" + r.Month + "." + format
}

// ContentType is the media type of format.
func ContentType(format string) string {
	switch format {
	case CSV:
		return "text/csv; charset=utf-8"
	case XLSX:
		return "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
	}
	return "text/html; charset=utf-8"
}
