package gen

import (
	"bytes"
	"errors"
	"io"
	"reflect"
	"strings"
	"testing"

	"github.com/xanode/xanode/node/registry"
)

func TestJSONLRoundTrip(t *testing.T) {
	// A quarter of the shared population shows every kind of record and
	// keeps the test quick under the race detector (reading normalizes every
	// value; TestValuesCanonical checks those of all 20k).
	cs := mustPopulation(t)[:5000]
	file := jsonl(t, cs)
	if n := bytes.Count(file, []byte("\n")); n != len(cs) {
		t.Fatalf("%d lines for %d citizens", n, len(cs))
	}
	i := 0
	err := ReadJSONL(bytes.NewReader(file), func(c *registry.Citizen) error {
		if !reflect.DeepEqual(c, cs[i]) {
			t.Fatalf("line %d reads back as\n%+v\nwant\n%+v", i+1, c, cs[i])
		}
		i++
		return nil
	})
	if err != nil || i != len(cs) {
		t.Fatalf("ReadJSONL: %v after %d citizens", err, i)
	}
}

// The fast writer must give exactly Citizen.MarshalJSON's bytes, also for
// values it leaves to MarshalJSON.
func TestWriterMatchesMarshalJSON(t *testing.T) {
	tricky := &registry.Citizen{ID: "092195012345", Version: 12}
	cs := append(mustPopulation(t)[:500:500], tricky, &registry.Citizen{ID: "092195012346"})
	for _, v := range []string{`Bà "Tư"`, `a\b`, "<b>&amp;</b>", "line\u2028sep", "para\u2029sep", "tab\there", "bad\xffutf8", "Nguyễn Thị Thu Hà"} {
		tricky.Values[registry.FieldFeatures] = v
		checkWriter(t, cs)
	}
	tricky.ID = `<id>`
	checkWriter(t, cs)
}

func checkWriter(t *testing.T, cs []*registry.Citizen) {
	t.Helper()
	var want bytes.Buffer
	for _, c := range cs {
		b, err := c.MarshalJSON()
		if err != nil {
			t.Fatal(err)
		}
		want.Write(b)
		want.WriteByte('\n')
	}
	if got := jsonl(t, cs); !bytes.Equal(got, want.Bytes()) {
		t.Fatalf("Writer output differs from MarshalJSON:\n got %.300s\nwant %.300s", got, want.Bytes())
	}
}

func TestReadJSONLErrors(t *testing.T) {
	good := `{"id":"092195012345","version":0,"fields":{"full_name":"Lê Thị Mai"}}`
	tests := []struct {
		name, file, want string
	}{
		{"unknown field", good + "\n" + `{"id":"092195012346","fields":{"shoe_size":"42"}}` + "\n", `line 2: citizen 092195012346: invalid field: unknown field "shoe_size"`},
		{"bad JSON", "\n\n" + `{"id":` + "\n", "line 3"},
		{"bad value", good + "\n" + `{"id":"092195012346","fields":{"sex":"Nam"}}`, "line 2"},
		{"too long", strings.Repeat(" ", MaxLineLen+1), "too long"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := ReadJSONL(strings.NewReader(tt.file), func(*registry.Citizen) error { return nil })
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("ReadJSONL = %v, want an error mentioning %q", err, tt.want)
			}
		})
	}

	// Blank lines and a missing final newline are fine; fn's error stops.
	n := 0
	err := ReadJSONL(strings.NewReader("\n"+good+"\n \n"+good), func(*registry.Citizen) error { n++; return nil })
	if err != nil || n != 2 {
		t.Errorf("ReadJSONL = %v, %d citizens; want 2", err, n)
	}
	stop := errors.New("stop")
	if err := ReadJSONL(strings.NewReader(good+"\n"+good), func(*registry.Citizen) error { return stop }); err != stop {
		t.Errorf("ReadJSONL = %v, want fn's error", err)
	}
}

// BenchmarkGenerate100k generates and writes a 100k-citizen commune, as
// `xanode gen --citizens 100000` does.
func BenchmarkGenerate100k(b *testing.B) {
	opts := Options{Commune: testCommune, Citizens: 100_000, Seed: 1}
	for b.Loop() {
		w := NewWriter(io.Discard)
		if err := Generate(opts, w.Write); err != nil {
			b.Fatal(err)
		}
		if err := w.Flush(); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(opts.Citizens)*float64(b.N)/b.Elapsed().Seconds(), "citizens/s")
}

// BenchmarkWriter compares the fast JSON path with Citizen.MarshalJSON.
func BenchmarkWriter(b *testing.B) {
	cs, err := population()
	if err != nil {
		b.Fatal(err)
	}
	cs = cs[:1000]
	b.Run("fast", func(b *testing.B) {
		for b.Loop() {
			if err := WriteJSONL(io.Discard, cs...); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("MarshalJSON", func(b *testing.B) {
		for b.Loop() {
			for _, c := range cs {
				if _, err := c.MarshalJSON(); err != nil {
					b.Fatal(err)
				}
			}
		}
	})
}
