package fleetui

import (
	"html/template"
	"strconv"
	"strings"

	"github.com/xanode/xanode/webui/i18n"
)

// bar is one bar of a bar chart: a label, a value, and how to show it.
type bar struct {
	Label string
	Value float64
	Text  string // the value as shown beside the bar
	Warn  bool   // drawn in the problem colour
}

// Bar chart geometry: one row per bar.
const (
	barRow    = 22
	barLabelW = 330
	barW      = chartW - barLabelW - 70
)

// barChart draws bars as an inline SVG, horizontal, scaled to the largest
// value (or to top, when it is not 0: percentages run to 100). Like svg,
// it uses presentation attributes only, for the strict CSP, and carries a
// title and a sentence for screen readers.
func barChart(l i18n.Lang, title string, bars []bar, top float64) template.HTML {
	var b strings.Builder
	esc := template.HTMLEscapeString
	for _, x := range bars {
		top = max(top, x.Value)
	}
	summary := l.T("fleet.quality.bars.summary", title, l.Int(int64(len(bars))))
	h := barRow*max(1, len(bars)) + 8
	b.WriteString(`<svg xmlns="http://www.w3.org/2000/svg" class="chart bars" viewBox="0 0 ` + itoa(chartW) + " " + itoa(h) +
		`" role="img" aria-label="` + esc(summary) + `"><title>` + esc(title) + `</title><desc>` + esc(summary) + `</desc>`)
	if len(bars) == 0 {
		text(&b, chartW/2, barRow-4, "middle", "no-data", l.T("fleet.chart.nodata"))
	}
	for i, x := range bars {
		y := 4 + i*barRow
		w := 0.0
		if top > 0 {
			w = x.Value / top * barW
		}
		fill, class := "#1d4ed8", "bar"
		if x.Warn {
			fill, class = "#b45309", "bar warn"
		}
		text(&b, barLabelW-8, y+barRow-8, "end", "bar-label", x.Label)
		b.WriteString(`<rect class="` + class + `" x="` + itoa(barLabelW) + `" y="` + itoa(y+3) + `" width="` + coord(w) + `" height="` + itoa(barRow-8) +
			`" fill="` + fill + `"><title>` + esc(x.Label+": "+x.Text) + `</title></rect>`)
		text(&b, barLabelW+int(w)+6, y+barRow-8, "start", "bar-value", x.Text)
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}

// percent shows a share in percent with one decimal, in l's way.
func percent(l i18n.Lang, v float64) string { return decimal(l, v) + " %" }

func atoiOr(s string, def int) int {
	n, err := strconv.Atoi(s)
	if err != nil {
		return def
	}
	return n
}
