package metrics

import (
	"math"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestExposition(t *testing.T) {
	r := NewBare()
	c := r.Counter("xanode_push_changes_total", "Changes pushed, by outcome.", "result")
	g := r.Gauge("xanode_edge_outbox", "Changes waiting.")
	h := r.Histogram("xanode_push_seconds", "Push latency.", []float64{.01, .1, 1})
	r.GaugeFunc("xanode_raft_leader", "1 on the leader.", func() float64 { return 1 })
	r.GaugeFunc("xanode_unknown", "Left out when NaN.", func() float64 { return math.NaN() })
	r.GaugeVecFunc("xanode_fleet_nodes", "Nodes by state.", "state", func() map[string]float64 {
		return map[string]float64{"revoked": 1, "active": 3}
	})
	c.Inc("applied")
	c.Add(2, "applied")
	c.Inc(`weird "quoted"` + "\n\\")
	g.Set(7)
	g.Add(-2)
	for _, v := range []float64{.005, .05, .05, 3} {
		h.Observe(v)
	}
	var b strings.Builder
	r.WriteTo(&b)
	want := `# HELP xanode_edge_outbox Changes waiting.
# TYPE xanode_edge_outbox gauge
xanode_edge_outbox 5
# HELP xanode_fleet_nodes Nodes by state.
# TYPE xanode_fleet_nodes gauge
xanode_fleet_nodes{state="active"} 3
xanode_fleet_nodes{state="revoked"} 1
# HELP xanode_push_changes_total Changes pushed, by outcome.
# TYPE xanode_push_changes_total counter
xanode_push_changes_total{result="applied"} 3
xanode_push_changes_total{result="weird \"quoted\"\n\\"} 1
# HELP xanode_push_seconds Push latency.
# TYPE xanode_push_seconds histogram
xanode_push_seconds_bucket{le="0.01"} 1
xanode_push_seconds_bucket{le="0.1"} 3
xanode_push_seconds_bucket{le="1"} 3
xanode_push_seconds_bucket{le="+Inf"} 4
xanode_push_seconds_sum 3.105
xanode_push_seconds_count 4
# HELP xanode_raft_leader 1 on the leader.
# TYPE xanode_raft_leader gauge
xanode_raft_leader 1
`
	if b.String() != want {
		t.Fatalf("exposition:\n%s\nwant:\n%s", b.String(), want)
	}
}

func TestConcurrentUpdates(t *testing.T) {
	r := NewBare()
	c := r.Counter("n_total", "n", "k")
	h := r.Histogram("h", "h", LatencyBuckets)
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 1000 {
				c.Inc([]string{"a", "b"}[i%2])
				h.Observe(.002)
			}
		}()
	}
	wg.Wait()
	var b strings.Builder
	r.WriteTo(&b)
	for _, want := range []string{`n_total{k="a"} 4000`, `n_total{k="b"} 4000`, "h_count 8000", `h_bucket{le="0.0025"} 8000`} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("missing %q in\n%s", want, b.String())
		}
	}
}

func TestMisuse(t *testing.T) {
	for name, f := range map[string]func(r *Registry){
		"bad name":         func(r *Registry) { r.Gauge("1x", "") },
		"twice":            func(r *Registry) { r.Gauge("x", ""); r.Gauge("x", "") },
		"le label":         func(r *Registry) { r.Histogram("x", "", []float64{1}, "le") },
		"wrong arity":      func(r *Registry) { r.Counter("x_total", "", "a").Inc() },
		"counter down":     func(r *Registry) { r.Counter("x_total", "").Add(-1) },
		"unsorted buckets": func(r *Registry) { r.Histogram("x", "", []float64{2, 1}) },
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: no panic", name)
				}
			}()
			f(New())
		}()
	}
}

func TestCached(t *testing.T) {
	calls := 0
	f := Cached(time.Hour, func() (int, error) { calls++; return calls, nil })
	for range 3 {
		if v, _ := f(); v != 1 {
			t.Fatalf("got %d", v)
		}
	}
	g := Cached(0, func() (int, error) { calls++; return calls, nil })
	g()
	if v, _ := g(); v != 3 {
		t.Fatalf("a zero ttl cached: %d", v)
	}
}

// TestRuntimeCollectors: a node's registry carries the Go runtime's and
// the process's series beside xanode's own.
func TestRuntimeCollectors(t *testing.T) {
	r := New()
	r.GaugeFunc("xanode_x", "x", func() float64 { return 1 })
	var b strings.Builder
	if _, err := r.WriteTo(&b); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"go_goroutines ", "go_memstats_heap_alloc_bytes ", "process_resident_memory_bytes ", "xanode_x 1"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("no %q in the exposition", want)
		}
	}
}
