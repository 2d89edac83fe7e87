package bench

import (
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestParseLoads(t *testing.T) {
	got, err := parseLoads(defaultLoads)
	want := []pushLoad{{4, 200, 100000}, {1, 1, 3000}, {4, 1, 8000}}
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Fatalf("parseLoads(%q) = %v, %v", defaultLoads, got, err)
	}
	for _, bad := range []string{"", "4x200", "4:100", "0x1:10", "4x0:10", "4x1:0", "4x1:3", "ax1:10", "4x1:10,", "-1x1:10"} {
		if l, err := parseLoads(bad); err == nil {
			t.Errorf("parseLoads(%q) = %v, want an error", bad, l)
		}
	}
	if s := (pushLoad{4, 200, 1}).String(); s != "4×200" {
		t.Errorf("load name %q", s)
	}
}

func TestParseCompareFlags(t *testing.T) {
	f, err := parseCompareFlags([]string{"--rqlited", "/x/rqlited", "--rounds", "5", "--loads", "2x10:100", "--city-flags", "--no-group-commit -v"}, io.Discard)
	if err != nil || f.rqlited != "/x/rqlited" || f.rounds != 5 || len(f.loads) != 1 || f.loads[0] != (pushLoad{2, 10, 100}) ||
		!reflect.DeepEqual(f.cityFlags, []string{"--no-group-commit", "-v"}) {
		t.Fatalf("flags %+v, %v", f, err)
	}
	if f, err := parseCompareFlags(nil, io.Discard); err != nil || f.rounds != 3 || len(f.loads) != 3 {
		t.Fatalf("defaults %+v, %v", f, err)
	}
	for _, bad := range [][]string{{"--rounds", "0"}, {"--loads", "4x"}, {"--profile-seconds", "0"}, {"extra"}, {"--nope"}} {
		if _, err := parseCompareFlags(bad, io.Discard); err != ErrUsage {
			t.Errorf("%v: %v, want the usage", bad, err)
		}
	}
}

func TestMedianAndRatio(t *testing.T) {
	res := func(changes int, took time.Duration, lat ...time.Duration) loadResult {
		return loadResult{Changes: changes, Took: took, Lat: lat}
	}
	f := figures{res(1000, time.Second), res(3000, time.Second), res(2000, time.Second)}
	if m := f.medianRate(); m != 2000 {
		t.Errorf("median of 1000, 3000, 2000/s = %v", m)
	}
	f = append(f, res(4000, time.Second))
	if m := f.medianRate(); m != 2500 {
		t.Errorf("median of four = %v, want the mean of the middle two", m)
	}
	if m := (figures{}).medianRate(); m != 0 {
		t.Errorf("median of nothing = %v", m)
	}
	lat := make([]time.Duration, 100)
	for i := range lat {
		lat[i] = time.Duration(i+1) * time.Millisecond
	}
	r := res(100, time.Second, lat...)
	if r.Pct(0.99) != 100*time.Millisecond || r.Pct(0.5) != 51*time.Millisecond || r.Pct(1) != 100*time.Millisecond {
		t.Errorf("p50 %v p99 %v max %v", r.Pct(0.5), r.Pct(0.99), r.Pct(1))
	}
	if p := (figures{r, res(1, time.Second, 5*time.Millisecond)}).medianP99(); p != (100+5)*time.Millisecond/2 {
		t.Errorf("median p99 %v", p)
	}
	if ratio(3, 2) != 1.5 || ratio(1, 0) != 0 {
		t.Error("ratio")
	}
}

func TestCompareSkipsWithoutRqlited(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	if p, msg := findRqlited(""); p != "" || !strings.Contains(msg, "skipped: rqlited is not on the PATH") {
		t.Errorf("no rqlited on the PATH: %q, %q", p, msg)
	}
	if p, msg := findRqlited("/nonexistent/rqlited"); p != "" || !strings.Contains(msg, "skipped: --rqlited /nonexistent/rqlited is not a file") {
		t.Errorf("a missing --rqlited: %q, %q", p, msg)
	}
	bin := filepath.Join(t.TempDir(), "rqlited")
	if err := os.WriteFile(bin, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	if p, msg := findRqlited(bin); p != bin || msg != "" {
		t.Errorf("--rqlited %s: %q, %q", bin, p, msg)
	}
	t.Setenv("PATH", filepath.Dir(bin))
	if p, msg := findRqlited(""); p != bin || msg != "" {
		t.Errorf("rqlited on the PATH: %q, %q", p, msg)
	}
	// The command itself prints the message and succeeds.
	t.Setenv("PATH", t.TempDir())
	if err := benchCompare(t.Context(), nil); err != nil {
		t.Errorf("bench compare without rqlited: %v", err)
	}
}

func TestParseExposition(t *testing.T) {
	text := `# HELP a_seconds x
# TYPE a_seconds histogram
a_seconds_bucket{le="0.001"} 3
a_seconds_sum 0.25
a_seconds_count 7
b_total{kind="1"} 2
b_total{kind="2"} 3
c 1e3
`
	got := parseExposition(text, []string{"a_seconds_sum", "a_seconds_count", "b_total", "c", "missing"})
	want := map[string]float64{"a_seconds_sum": 0.25, "a_seconds_count": 7, "b_total": 5, "c": 1000}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
}
