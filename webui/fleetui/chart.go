package fleetui

import (
	"html/template"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/xanode/xanode/webui/i18n"
)

// Chart geometry, in SVG user units: the plot sits inside the margins that
// hold the axis labels.
const (
	chartW, chartH = 640, 180
	plotLeft       = 72
	plotRight      = chartW - 12
	plotTop        = 10
	plotBottom     = chartH - 30
)

// point is one value of a series at a time.
type point struct {
	t time.Time
	v uint64
}

// chart is one series to draw.
type chart struct {
	Title  string // what it shows, with its unit
	Points []point
}

// chartView is a drawn chart with its visible caption.
type chartView struct {
	Title string
	SVG   template.HTML
	Wide  bool // a bar chart with long labels: a row of its own
}

// drawCharts draws the three charts of samples.
func drawCharts(l i18n.Lang, loc *time.Location, samples []Sample) []chartView {
	var out []chartView
	for _, c := range seriesCharts(l, samples) {
		out = append(out, chartView{Title: c.Title, SVG: svg(l, loc, c)})
	}
	return out
}

// seriesCharts splits samples into the three charts a node or commune page
// shows: lag, outbox depth, findings.
func seriesCharts(l i18n.Lang, samples []Sample) []chart {
	lag := chart{Title: l.T("fleet.chart.lag")}
	outbox := chart{Title: l.T("fleet.chart.outbox")}
	findings := chart{Title: l.T("fleet.chart.findings")}
	for _, s := range samples {
		lag.Points = append(lag.Points, point{s.Time, s.Lag})
		outbox.Points = append(outbox.Points, point{s.Time, uint64(max(0, s.Outbox))})
		findings.Points = append(findings.Points, point{s.Time, s.Findings})
	}
	return []chart{lag, outbox, findings}
}

// svg draws c as an inline SVG line chart: no script, no styles, only
// presentation attributes, so the strict CSP allows it. The y axis runs
// from the lowest to the highest value (from 0 when all are equal), the x
// axis from the first sample's time to the last's; both ends are labelled.
// A screen reader gets the title and a sentence with the figures.
func svg(l i18n.Lang, loc *time.Location, c chart) template.HTML {
	pts := slices.Clone(c.Points)
	slices.SortStableFunc(pts, func(a, b point) int { return a.t.Compare(b.t) })
	var b strings.Builder
	esc := template.HTMLEscapeString
	summary := l.T("fleet.chart.empty", c.Title)
	if len(pts) > 0 {
		lo, hi := bounds(pts)
		summary = l.T("fleet.chart.summary", c.Title, l.Int(int64(len(pts))),
			chartTime(pts[0].t, loc), chartTime(pts[len(pts)-1].t, loc),
			count(l, lo), count(l, hi), count(l, pts[len(pts)-1].v))
	}
	b.WriteString(`<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 `)
	b.WriteString(strconv.Itoa(chartW) + " " + strconv.Itoa(chartH))
	b.WriteString(`" role="img" aria-label="` + esc(summary) + `">`)
	b.WriteString(`<title>` + esc(c.Title) + `</title><desc>` + esc(summary) + `</desc>`)
	b.WriteString(`<rect x="` + itoa(plotLeft) + `" y="` + itoa(plotTop) + `" width="` + itoa(plotRight-plotLeft) +
		`" height="` + itoa(plotBottom-plotTop) + `" fill="#fff" stroke="#9ca3af"/>`)
	if len(pts) == 0 {
		text(&b, (plotLeft+plotRight)/2, (plotTop+plotBottom)/2+5, "middle", "no-data", l.T("fleet.chart.nodata"))
		b.WriteString(`</svg>`)
		return template.HTML(b.String())
	}
	lo, hi := bounds(pts)
	if lo == hi {
		if lo == 0 {
			hi = 1
		} else {
			lo = 0
		}
	}
	text(&b, plotLeft-6, plotTop+10, "end", "y-max", count(l, hi))
	text(&b, plotLeft-6, plotBottom, "end", "y-min", count(l, lo))
	first, last := pts[0].t, pts[len(pts)-1].t
	text(&b, plotLeft, chartH-10, "start", "x-start", chartTime(first, loc))
	if !last.Equal(first) {
		text(&b, plotRight, chartH-10, "end", "x-end", chartTime(last, loc))
	}
	span := last.Sub(first)
	xy := func(p point) (float64, float64) {
		x := float64(plotLeft+plotRight) / 2
		if span > 0 {
			x = plotLeft + float64(p.t.Sub(first))/float64(span)*(plotRight-plotLeft)
		}
		y := plotBottom - float64(p.v-lo)/float64(hi-lo)*(plotBottom-plotTop)
		return x, y
	}
	b.WriteString(`<polyline fill="none" stroke="#1d4ed8" stroke-width="2" stroke-linejoin="round" points="`)
	for i, p := range pts {
		if i > 0 {
			b.WriteByte(' ')
		}
		x, y := xy(p)
		b.WriteString(coord(x) + "," + coord(y))
	}
	b.WriteString(`"/>`)
	// The latest value gets a dot; a single sample is only a dot.
	x, y := xy(pts[len(pts)-1])
	b.WriteString(`<circle cx="` + coord(x) + `" cy="` + coord(y) + `" r="3.5" fill="#1d4ed8"/>`)
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}

// bounds are the lowest and highest value of pts, which is not empty.
func bounds(pts []point) (lo, hi uint64) {
	lo, hi = pts[0].v, pts[0].v
	for _, p := range pts[1:] {
		lo, hi = min(lo, p.v), max(hi, p.v)
	}
	return lo, hi
}

func text(b *strings.Builder, x, y int, anchor, class, s string) {
	b.WriteString(`<text x="` + itoa(x) + `" y="` + itoa(y) + `" text-anchor="` + anchor + `" class="` + class +
		`" font-size="12" fill="#374151">` + template.HTMLEscapeString(s) + `</text>`)
}

// chartTime labels a time axis: day/month and time of day.
func chartTime(t time.Time, loc *time.Location) string { return t.In(loc).Format("02/01 15:04") }

func itoa(n int) string { return strconv.Itoa(n) }

// coord rounds to whole units: a unit is about a pixel at the chart's
// size, and halves the page's weight against one decimal.
func coord(f float64) string { return strconv.FormatFloat(f, 'f', 0, 64) }
