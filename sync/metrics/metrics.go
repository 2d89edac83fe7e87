// Package metrics is xanode's face of the Prometheus client library
// (github.com/prometheus/client_golang): counters, gauges and histograms
// with labels, gauges read from a function at scrape time, and the Go
// runtime and process collectors, written in the text exposition format.
// City and edge nodes serve it on /metrics.
//
// The API is xanode's own so that callers name a series in one line and
// never touch the client library's types; series names are part of the
// alert rules (deploy/prometheus/alerts.yml) and never change.
package metrics

import (
	"bytes"
	"fmt"
	"io"
	"math"
	"slices"
	"strings"
	gosync "sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/common/expfmt"
)

// Registry holds metric families and writes them out.
type Registry struct {
	reg *prometheus.Registry
}

// New returns a registry with the Go runtime and process collectors
// (go_*, process_*) already in it.
func New() *Registry {
	r := NewBare()
	r.reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return r
}

// NewBare returns a registry without the runtime and process collectors
// (for tests that compare the exposition byte for byte).
func NewBare() *Registry { return &Registry{reg: prometheus.NewRegistry()} }

// check refuses what the exposition format does not allow, at
// registration: a series name is part of the alert rules' contract.
func check(name string, labels []string) {
	if !validName(name) {
		panic(fmt.Sprintf("metrics: invalid metric name %q", name))
	}
	for _, l := range labels {
		if !validName(l) || strings.HasPrefix(l, "__") || l == "le" {
			panic(fmt.Sprintf("metrics: invalid label name %q of %s", l, name))
		}
	}
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

// Counter is a value that only goes up.
type Counter struct{ v *prometheus.CounterVec }

// Counter registers a counter; name should end in _total.
func (r *Registry) Counter(name, help string, labels ...string) Counter {
	check(name, labels)
	v := prometheus.NewCounterVec(prometheus.CounterOpts{Name: name, Help: help}, labels)
	r.reg.MustRegister(v)
	return Counter{v}
}

// Add adds d (≥ 0) to the series of the label values.
func (c Counter) Add(d float64, values ...string) { c.v.WithLabelValues(values...).Add(d) }

// Inc adds one.
func (c Counter) Inc(values ...string) { c.Add(1, values...) }

// Gauge is a value that goes up and down.
type Gauge struct{ v *prometheus.GaugeVec }

// Gauge registers a gauge.
func (r *Registry) Gauge(name, help string, labels ...string) Gauge {
	check(name, labels)
	v := prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: name, Help: help}, labels)
	r.reg.MustRegister(v)
	return Gauge{v}
}

// Set sets the series of the label values.
func (g Gauge) Set(v float64, values ...string) { g.v.WithLabelValues(values...).Set(v) }

// Add adds d to the series of the label values.
func (g Gauge) Add(d float64, values ...string) { g.v.WithLabelValues(values...).Add(d) }

// GaugeFunc registers a gauge read from fn at each scrape. fn must be
// cheap and safe to call concurrently; NaN leaves the series out.
func (r *Registry) GaugeFunc(name, help string, fn func() float64) {
	check(name, nil)
	r.reg.MustRegister(&funcCollector{desc: prometheus.NewDesc(name, help, nil, nil), kind: prometheus.GaugeValue,
		read: func() map[string]float64 { return map[string]float64{"": fn()} }})
}

// CounterFunc registers a counter read from fn at each scrape (a total
// kept elsewhere, e.g. bytes a client sent); fn must never go down.
func (r *Registry) CounterFunc(name, help string, fn func() float64) {
	check(name, nil)
	r.reg.MustRegister(&funcCollector{desc: prometheus.NewDesc(name, help, nil, nil), kind: prometheus.CounterValue,
		read: func() map[string]float64 { return map[string]float64{"": fn()} }})
}

// GaugeVecFunc registers a labelled gauge whose series fn returns at each
// scrape, keyed by the value of its one label.
func (r *Registry) GaugeVecFunc(name, help, label string, fn func() map[string]float64) {
	check(name, []string{label})
	r.reg.MustRegister(&funcCollector{desc: prometheus.NewDesc(name, help, []string{label}, nil), kind: prometheus.GaugeValue,
		labelled: true, read: fn})
}

// funcCollector reads its series at scrape time. The client library's
// GaugeFunc cannot leave a series out (a NaN, e.g. a value not known while
// the edge is locked) or take a changing set of label values.
type funcCollector struct {
	desc     *prometheus.Desc
	kind     prometheus.ValueType
	labelled bool
	read     func() map[string]float64
}

func (c *funcCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.desc }

func (c *funcCollector) Collect(ch chan<- prometheus.Metric) {
	for label, v := range c.read() {
		if math.IsNaN(v) {
			continue
		}
		var labels []string
		if c.labelled {
			labels = []string{label}
		}
		ch <- prometheus.MustNewConstMetric(c.desc, c.kind, v, labels...)
	}
}

// Histogram counts observations in cumulative buckets.
type Histogram struct{ v *prometheus.HistogramVec }

// Histogram registers a histogram with the given upper bounds (ascending;
// +Inf is implied).
func (r *Registry) Histogram(name, help string, buckets []float64, labels ...string) Histogram {
	check(name, labels)
	if !slices.IsSorted(buckets) || len(buckets) == 0 {
		panic("metrics: histogram " + name + " needs ascending buckets")
	}
	v := prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: name, Help: help, Buckets: buckets}, labels)
	r.reg.MustRegister(v)
	return Histogram{v}
}

// Observe records v in the series of the label values.
func (h Histogram) Observe(v float64, values ...string) { h.v.WithLabelValues(values...).Observe(v) }

// LatencyBuckets suit request and commit latencies in seconds: 1 ms to 10 s.
var LatencyBuckets = []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10}

// WriteTo gathers every family and writes it in the text exposition
// format (version 0.0.4), families and series in name order.
func (r *Registry) WriteTo(w io.Writer) (int64, error) {
	fams, err := r.reg.Gather()
	var buf bytes.Buffer
	enc := expfmt.NewEncoder(&buf, expfmt.NewFormat(expfmt.TypeTextPlain))
	for _, f := range fams {
		if eerr := enc.Encode(f); eerr != nil && err == nil {
			err = eerr
		}
	}
	n, werr := w.Write(buf.Bytes())
	if err == nil {
		err = werr
	}
	return int64(n), err
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
