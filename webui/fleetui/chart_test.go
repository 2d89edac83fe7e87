package fleetui

import (
	"encoding/xml"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/xanode/xanode/webui/i18n"
)

// svgDoc is what the tests read back from a chart.
type svgDoc struct {
	XMLName xml.Name `xml:"svg"`
	NS      string   `xml:"xmlns,attr"`
	Role    string   `xml:"role,attr"`
	Label   string   `xml:"aria-label,attr"`
	Title   string   `xml:"title"`
	Desc    string   `xml:"desc"`
	Texts   []struct {
		Class string `xml:"class,attr"`
		Value string `xml:",chardata"`
	} `xml:"text"`
	Lines []struct {
		Points string `xml:"points,attr"`
	} `xml:"polyline"`
	Dots []struct {
		CX string `xml:"cx,attr"`
		CY string `xml:"cy,attr"`
	} `xml:"circle"`
}

func (d svgDoc) label(class string) (string, bool) {
	for _, t := range d.Texts {
		if t.Class == class {
			return t.Value, true
		}
	}
	return "", false
}

// xy parses a polyline's points.
func xy(t *testing.T, points string) [][2]float64 {
	t.Helper()
	var out [][2]float64
	for _, p := range strings.Fields(points) {
		xs, ys, ok := strings.Cut(p, ",")
		x, err1 := strconv.ParseFloat(xs, 64)
		y, err2 := strconv.ParseFloat(ys, 64)
		if !ok || err1 != nil || err2 != nil {
			t.Fatalf("bad point %q", p)
		}
		out = append(out, [2]float64{x, y})
	}
	return out
}

func TestSVG(t *testing.T) {
	at := func(min int) time.Time { return testNow.Add(time.Duration(min) * time.Minute) }
	many := make([]point, 300)
	for i := range many {
		many[i] = point{at(i), uint64(1000 + (i*37)%500)}
	}
	tests := []struct {
		name                 string
		title                string
		points               []point
		wantPoints           int
		yMax, yMin           string
		xStart, xEnd         string
		wantLabel, notLabel  string
		allAtBottom, ordered bool
		ys                   []float64 // the points' heights, when checked
	}{
		{name: "empty", title: "Độ trễ", wantLabel: "Độ trễ: chưa có số liệu."},
		{name: "single sample", title: "Chờ gửi", points: []point{{at(0), 7}}, wantPoints: 1,
			yMax: "7", yMin: "0", xStart: "10/03 09:00",
			wantLabel: "Chờ gửi: 1 mẫu từ 10/03 09:00 đến 10/03 09:00; thấp nhất 7, cao nhất 7, gần nhất 7."},
		{name: "constant zero", title: "Lag", points: []point{{at(0), 0}, {at(5), 0}, {at(10), 0}}, wantPoints: 3,
			yMax: "1", yMin: "0", xStart: "10/03 09:00", xEnd: "10/03 09:10", allAtBottom: true},
		{name: "300 samples", title: "Lag", points: many, wantPoints: 300,
			yMax: "1.499", yMin: "1.000", xStart: "10/03 09:00", xEnd: "10/03 13:59", ordered: true,
			wantLabel: "Lag: 300 mẫu từ 10/03 09:00 đến 10/03 13:59; thấp nhất 1.000, cao nhất 1.499, gần nhất"},
		{name: "unsorted input is drawn in time order", title: "Lag",
			points: []point{{at(10), 3}, {at(0), 1}, {at(5), 2}}, wantPoints: 3,
			yMax: "3", yMin: "1", xStart: "10/03 09:00", xEnd: "10/03 09:10", ordered: true},
		{name: "lowest in the middle", title: "Lag", points: []point{{at(0), 5}, {at(1), 2}, {at(2), 9}}, wantPoints: 3,
			yMax: "9", yMin: "2", xStart: "10/03 09:00", xEnd: "10/03 09:02", ordered: true, ys: []float64{90, plotBottom, plotTop},
			wantLabel: "Lag: 3 mẫu từ 10/03 09:00 đến 10/03 09:02; thấp nhất 2, cao nhất 9, gần nhất 9."},
		{name: "title is escaped", title: `<b>"x" & y</b>`, points: []point{{at(0), 1}, {at(1), 2}}, wantPoints: 2,
			yMax: "2", yMin: "1", xStart: "10/03 09:00", xEnd: "10/03 09:01", wantLabel: `<b>"x" & y</b>: 2 mẫu`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := string(svg(i18n.Vietnamese, vietnam, chart{Title: tt.title, Points: tt.points}))
			var d svgDoc
			if err := xml.Unmarshal([]byte(out), &d); err != nil {
				t.Fatalf("not valid XML: %v\n%s", err, out)
			}
			if d.NS != "http://www.w3.org/2000/svg" || d.Role != "img" || d.Title != tt.title || d.Desc != d.Label {
				t.Errorf("svg ns %q role %q title %q, desc %q vs label %q", d.NS, d.Role, d.Title, d.Desc, d.Label)
			}
			if tt.wantLabel != "" && !strings.HasPrefix(d.Label, tt.wantLabel) {
				t.Errorf("aria-label %q, want %q…", d.Label, tt.wantLabel)
			}
			if tt.wantPoints == 0 {
				if len(d.Lines) != 0 || len(d.Dots) != 0 {
					t.Errorf("empty series drew %d lines, %d dots", len(d.Lines), len(d.Dots))
				}
				if s, ok := d.label("no-data"); !ok || s != "Chưa có số liệu" {
					t.Errorf("empty series says %q", s)
				}
				return
			}
			if len(d.Lines) != 1 || len(d.Dots) != 1 {
				t.Fatalf("%d lines, %d dots; want one of each", len(d.Lines), len(d.Dots))
			}
			pts := xy(t, d.Lines[0].Points)
			if len(pts) != tt.wantPoints {
				t.Errorf("%d points, want %d", len(pts), tt.wantPoints)
			}
			for _, c := range []struct{ class, want string }{
				{"y-max", tt.yMax}, {"y-min", tt.yMin}, {"x-start", tt.xStart}, {"x-end", tt.xEnd},
			} {
				got, ok := d.label(c.class)
				if c.want == "" && ok {
					t.Errorf("label %s = %q, want none", c.class, got)
				}
				if c.want != "" && got != c.want {
					t.Errorf("label %s = %q, want %q", c.class, got, c.want)
				}
			}
			for i, p := range pts {
				if p[0] < plotLeft || p[0] > plotRight || p[1] < plotTop || p[1] > plotBottom {
					t.Errorf("point %d %v outside the plot", i, p)
				}
				if tt.allAtBottom && p[1] != plotBottom {
					t.Errorf("point %d of a zero series at y %v", i, p[1])
				}
				if tt.ys != nil && p[1] != tt.ys[i] {
					t.Errorf("point %d at y %v, want %v", i, p[1], tt.ys[i])
				}
				if tt.ordered && i > 0 && p[0] <= pts[i-1][0] {
					t.Errorf("point %d x %v not after %v", i, p[0], pts[i-1][0])
				}
			}
			if len(pts) > 1 && (pts[0][0] != plotLeft || pts[len(pts)-1][0] != plotRight) {
				t.Errorf("series spans x %v..%v, want the plot's width", pts[0][0], pts[len(pts)-1][0])
			}
			last := pts[len(pts)-1]
			if d.Dots[0].CX != coord(last[0]) || d.Dots[0].CY != coord(last[1]) {
				t.Errorf("dot at %s,%s, want the last point %v", d.Dots[0].CX, d.Dots[0].CY, last)
			}
		})
	}
}

// TestSeriesCharts: a page's samples become three charts, lag, outbox and
// findings, each with every sample.
func TestSeriesCharts(t *testing.T) {
	samples := []Sample{{testNow, 5, 2, 1}, {testNow.Add(time.Minute), 6, -1, 1}}
	cs := seriesCharts(i18n.English, samples)
	if len(cs) != 3 || cs[0].Title != "Lag behind the city (entries)" || cs[1].Title != "Changes waiting to be sent" || cs[2].Title != "Audit findings" {
		t.Fatalf("charts %+v", cs)
	}
	if cs[0].Points[1].v != 6 || cs[1].Points[0].v != 2 || cs[1].Points[1].v != 0 || cs[2].Points[1].v != 1 {
		t.Errorf("points %+v", cs)
	}
}
