// Package metrics is a small Prometheus registry: counters, gauges and
// histograms with labels, and gauges read from a function at scrape time,
// written in the Prometheus text exposition format (version 0.0.4). City
// and edge nodes serve it on /metrics.
//
// It exists instead of the Prometheus client library because xanode needs
// a few dozen series and no more: the whole exposition is this file, and
// every update is a map lookup under a mutex and an atomic add.
package metrics

import (
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	gosync "sync"
	"sync/atomic"
	"time"
)

// Registry holds metric families and writes them out.
type Registry struct {
	mu       gosync.Mutex
	families map[string]*family
}

// New returns an empty registry.
func New() *Registry { return &Registry{families: map[string]*family{}} }

type kind string

const (
	counterKind   kind = "counter"
	gaugeKind     kind = "gauge"
	histogramKind kind = "histogram"
)

type family struct {
	name, help string
	kind       kind
	labels     []string
	buckets    []float64 // histograms

	mu     gosync.Mutex
	series map[string]*series // by joined label values
	fn     func() float64     // GaugeFunc
	fnVec  func() map[string]float64
}

type series struct {
	values []string
	bits   atomic.Uint64 // float64 bits: counter or gauge value, histogram sum
	counts []atomic.Uint64
	count  atomic.Uint64
}

func (r *Registry) register(f *family) *family {
	if !validName(f.name) {
		panic(fmt.Sprintf("metrics: invalid metric name %q", f.name))
	}
	for _, l := range f.labels {
		if !validName(l) || strings.HasPrefix(l, "__") || l == "le" {
			panic(fmt.Sprintf("metrics: invalid label name %q of %s", l, f.name))
		}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, dup := r.families[f.name]; dup {
		panic(fmt.Sprintf("metrics: %s registered twice", f.name))
	}
	f.series = map[string]*series{}
	r.families[f.name] = f
	return f
}

func validName(s string) bool {
	if s == "" {
		return false
	}
	for i, c := range s {
		if !(c == '_' || c == ':' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || i > 0 && c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

func (f *family) with(values []string) *series {
	if len(values) != len(f.labels) {
		panic(fmt.Sprintf("metrics: %s takes %d label values, got %d", f.name, len(f.labels), len(values)))
	}
	key := strings.Join(values, "\xff")
	f.mu.Lock()
	defer f.mu.Unlock()
	s := f.series[key]
	if s == nil {
		s = &series{values: slices.Clone(values)}
		if f.kind == histogramKind {
			s.counts = make([]atomic.Uint64, len(f.buckets))
		}
		f.series[key] = s
	}
	return s
}

func addFloat(a *atomic.Uint64, d float64) {
	for {
		old := a.Load()
		if a.CompareAndSwap(old, math.Float64bits(math.Float64frombits(old)+d)) {
			return
		}
	}
}

// Counter is a value that only goes up.
type Counter struct{ f *family }

// Counter registers a counter; name should end in _total.
func (r *Registry) Counter(name, help string, labels ...string) Counter {
	return Counter{r.register(&family{name: name, help: help, kind: counterKind, labels: labels})}
}

// Add adds d (≥ 0) to the series of the label values.
func (c Counter) Add(d float64, values ...string) {
	if d < 0 {
		panic("metrics: counter " + c.f.name + " decreased")
	}
	addFloat(&c.f.with(values).bits, d)
}

// Inc adds one.
func (c Counter) Inc(values ...string) { c.Add(1, values...) }

// Gauge is a value that goes up and down.
type Gauge struct{ f *family }

// Gauge registers a gauge.
func (r *Registry) Gauge(name, help string, labels ...string) Gauge {
	return Gauge{r.register(&family{name: name, help: help, kind: gaugeKind, labels: labels})}
}

// Set sets the series of the label values.
func (g Gauge) Set(v float64, values ...string) { g.f.with(values).bits.Store(math.Float64bits(v)) }

// Add adds d to the series of the label values.
func (g Gauge) Add(d float64, values ...string) { addFloat(&g.f.with(values).bits, d) }

// GaugeFunc registers a gauge read from fn at each scrape. fn must be
// cheap and safe to call concurrently; NaN leaves the metric out.
func (r *Registry) GaugeFunc(name, help string, fn func() float64) {
	r.register(&family{name: name, help: help, kind: gaugeKind, fn: fn})
}

// CounterFunc registers a counter read from fn at each scrape (a total
// kept elsewhere, e.g. bytes a client sent); fn must never go down.
func (r *Registry) CounterFunc(name, help string, fn func() float64) {
	r.register(&family{name: name, help: help, kind: counterKind, fn: fn})
}

// GaugeVecFunc registers a labelled gauge whose series fn returns at each
// scrape, keyed by the value of its one label.
func (r *Registry) GaugeVecFunc(name, help, label string, fn func() map[string]float64) {
	r.register(&family{name: name, help: help, kind: gaugeKind, labels: []string{label}, fnVec: fn})
}

// Histogram counts observations in cumulative buckets.
type Histogram struct{ f *family }

// Histogram registers a histogram with the given upper bounds (ascending;
// +Inf is implied).
func (r *Registry) Histogram(name, help string, buckets []float64, labels ...string) Histogram {
	if !slices.IsSorted(buckets) || len(buckets) == 0 {
		panic("metrics: histogram " + name + " needs ascending buckets")
	}
	return Histogram{r.register(&family{name: name, help: help, kind: histogramKind, labels: labels, buckets: buckets})}
}

// Observe records v in the series of the label values.
func (h Histogram) Observe(v float64, values ...string) {
	s := h.f.with(values)
	if i, _ := slices.BinarySearch(h.f.buckets, v); i < len(s.counts) {
		s.counts[i].Add(1)
	}
	s.count.Add(1)
	addFloat(&s.bits, v)
}

// LatencyBuckets suit request and commit latencies in seconds: 1 ms to 10 s.
var LatencyBuckets = []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10}

// WriteTo writes every family in the text exposition format, families
// and series in name order, so that two scrapes of the same state are
// byte for byte equal.
func (r *Registry) WriteTo(w io.Writer) (int64, error) {
	r.mu.Lock()
	fams := make([]*family, 0, len(r.families))
	for _, f := range r.families {
		fams = append(fams, f)
	}
	r.mu.Unlock()
	slices.SortFunc(fams, func(a, b *family) int { return strings.Compare(a.name, b.name) })
	var b strings.Builder
	for _, f := range fams {
		f.write(&b)
	}
	n, err := io.WriteString(w, b.String())
	return int64(n), err
}

func (f *family) write(b *strings.Builder) {
	type point struct {
		values []string
		s      *series
		v      float64
	}
	var points []point
	switch {
	case f.fn != nil:
		if v := f.fn(); !math.IsNaN(v) {
			points = append(points, point{v: v})
		}
	case f.fnVec != nil:
		for k, v := range f.fnVec() {
			points = append(points, point{values: []string{k}, v: v})
		}
	default:
		f.mu.Lock()
		for _, s := range f.series {
			points = append(points, point{values: s.values, s: s, v: math.Float64frombits(s.bits.Load())})
		}
		f.mu.Unlock()
	}
	fmt.Fprintf(b, "# HELP %s %s\n# TYPE %s %s\n", f.name, escapeHelp(f.help), f.name, f.kind)
	slices.SortFunc(points, func(a, b point) int { return slices.Compare(a.values, b.values) })
	for _, p := range points {
		if f.kind != histogramKind {
			fmt.Fprintf(b, "%s%s %s\n", f.name, labelText(f.labels, p.values, "", ""), num(p.v))
			continue
		}
		var cum uint64
		for i, ub := range f.buckets {
			cum += p.s.counts[i].Load()
			fmt.Fprintf(b, "%s_bucket%s %d\n", f.name, labelText(f.labels, p.values, "le", num(ub)), cum)
		}
		count := p.s.count.Load()
		fmt.Fprintf(b, "%s_bucket%s %d\n", f.name, labelText(f.labels, p.values, "le", "+Inf"), count)
		fmt.Fprintf(b, "%s_sum%s %s\n", f.name, labelText(f.labels, p.values, "", ""), num(p.v))
		fmt.Fprintf(b, "%s_count%s %d\n", f.name, labelText(f.labels, p.values, "", ""), count)
	}
}

func labelText(names, values []string, extra, extraValue string) string {
	if len(names) == 0 && extra == "" {
		return ""
	}
	var b strings.Builder
	b.WriteByte('{')
	for i, n := range names {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `%s="%s"`, n, escapeValue(values[i]))
	}
	if extra != "" {
		if len(names) > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `%s="%s"`, extra, extraValue)
	}
	b.WriteByte('}')
	return b.String()
}

// escapeValue escapes a label value as the format wants: backslash,
// double quote and line feed; any other UTF-8 passes as it is.
func escapeValue(s string) string {
	return strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`).Replace(strings.ToValidUTF8(s, "\uFFFD"))
}

func escapeHelp(s string) string {
	return strings.NewReplacer(`\`, `\\`, "\n", `\n`).Replace(s)
}

func num(v float64) string {
	switch {
	case math.IsInf(v, 1):
		return "+Inf"
	case math.IsInf(v, -1):
		return "-Inf"
	}
	return strconv.FormatFloat(v, 'g', -1, 64)
}

// Cached returns fn wrapped so that it runs at most once per ttl; callers
// in between share its last result. Several series read from one costly
// snapshot (a state read, a status) use it so that a scrape takes the
// snapshot once, not once per series.
func Cached[T any](ttl time.Duration, fn func() (T, error)) func() (T, error) {
	var mu gosync.Mutex
	var at time.Time
	var v T
	var err error
	return func() (T, error) {
		mu.Lock()
		defer mu.Unlock()
		if at.IsZero() || time.Since(at) >= ttl {
			v, err = fn()
			at = time.Now()
		}
		return v, err
	}
}
