package gen

import (
	"bytes"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/xanode/xanode/node/quality"
	"github.com/xanode/xanode/node/registry"
)

func mustDefects(t testing.TB, opts Options, perRule int) ([]*registry.Citizen, *Truth) {
	t.Helper()
	var cs []*registry.Citizen
	truth, err := GenerateWithDefects(opts, perRule, func(c *registry.Citizen) error { cs = append(cs, c); return nil })
	if err != nil {
		t.Fatal(err)
	}
	return cs, truth
}

// TestDefectsAreFoundExactly: every injected defect is found, and nothing
// else (the rules against the generator, both ways: a clean generated
// record that a rule flags is a generator or a rule bug).
func TestDefectsAreFoundExactly(t *testing.T) {
	opts := Options{Commune: testCommune, Citizens: 15000, Seed: 3}
	cs, truth := mustDefects(t, opts, 12)
	k, err := quality.NewChecker(quality.DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	p := quality.NewPopulation(k)
	for _, c := range cs {
		if err := p.Add(c); err != nil {
			t.Fatal(err)
		}
	}
	for _, r := range truth.Reads {
		p.Confirm(r.Citizen, r.Date)
		p.AddRead(quality.Read{Citizen: r.Citizen, Assurance: r.Assurance, Fields: r.Fields})
	}
	p.Seal()
	want := map[string]bool{}
	per := map[quality.Rule]int{}
	for _, d := range truth.Defects {
		want[d.Key()] = true
		per[d.Rule]++
	}
	for _, r := range quality.Rules() {
		if n := per[r.Rule]; n < 12 {
			t.Errorf("%d defects of %s, asked 12", n, r.Rule)
		}
	}
	got := map[string]bool{}
	for _, f := range p.Check(truth.AsOf) {
		got[f.Key()] = true
		if !want[f.Key()] {
			t.Errorf("found %s, not injected: %s", f.Key(), f.Evidence)
		}
	}
	for _, d := range truth.Defects {
		if !got[d.Key()] {
			t.Errorf("injected %s (%s), not found", d.Key(), d.What)
		}
	}
	if truth.Citizens != len(cs) || truth.AsOf != (registry.Date{Year: DefaultYear, Month: 6, Day: 30}) {
		t.Errorf("truth header %+v for %d records", truth, len(cs))
	}
}

// TestDefectsLeaveTheRestAlone: the records of households without a
// defect are those Generate makes, byte for byte, and the same options
// give the same population and truth.
func TestDefectsLeaveTheRestAlone(t *testing.T) {
	opts := Options{Commune: testCommune, Citizens: 3000, Seed: 9}
	plain := byID(t, mustGenerate(t, opts))
	cs, truth := mustDefects(t, opts, 3)
	touched := map[string]bool{}
	for _, d := range truth.Defects {
		touched[d.Citizen], touched[d.Other], touched[d.Household] = true, true, true
	}
	for _, c := range cs {
		if p := plain[c.ID]; p != nil && !touched[c.ID] && !touched[p.Get(registry.FieldHousehold)] && c.Values != p.Values {
			t.Errorf("%s changed without a defect", c.ID)
		}
	}
	again, truth2 := mustDefects(t, opts, 3)
	if !reflect.DeepEqual(jsonl(t, cs), jsonl(t, again)) || !reflect.DeepEqual(truth, truth2) {
		t.Fatal("same options, different defects")
	}
	if _, err := GenerateWithDefects(opts, 0, func(*registry.Citizen) error { return nil }); !errors.Is(err, ErrOptions) {
		t.Fatalf("0 defects per rule: %v", err)
	}
}

func TestTruthRoundTrip(t *testing.T) {
	_, truth := mustDefects(t, Options{Commune: testCommune, Citizens: 3000, Seed: 9}, 3)
	var buf bytes.Buffer
	if err := WriteTruth(&buf, truth); err != nil {
		t.Fatal(err)
	}
	back, err := ReadTruth(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(truth, back) {
		t.Fatalf("read back differs:\n%+v\n%+v", truth, back)
	}
}

func TestReadTruthRefuses(t *testing.T) {
	const head = `{"kind":"header","as_of":"2026-06-30","commune":"92101","citizens":10,"seed":1,"per_rule":1}` + "\n"
	for name, body := range map[string]string{
		"empty":              "",
		"no header":          `{"kind":"defect","rule":"id_sex","citizen":"092185000123"}`,
		"two headers":        head + head,
		"unknown key":        head + `{"kind":"defect","rule":"id_sex","citizen":"092185000123","x":1}`,
		"unknown rule":       head + `{"kind":"defect","rule":"shoe_size","citizen":"092185000123"}`,
		"bad ID":             head + `{"kind":"defect","rule":"id_sex","citizen":"P-1"}`,
		"pair without other": head + `{"kind":"defect","rule":"duplicate","citizen":"092185000123"}`,
		"field elsewhere":    head + `{"kind":"defect","rule":"id_sex","citizen":"092185000123","field":"sex"}`,
		"unknown read field": head + `{"kind":"read","citizen":"092185000123","date":"2026-06-01","fields":{"x":"y"}}`,
		"read with a rule":   head + `{"kind":"read","rule":"id_sex","citizen":"092185000123","date":"2026-06-01"}`,
		"partial as_of":      `{"kind":"header","as_of":"2026"}`,
		"two values":         head + `{"kind":"read","citizen":"092185000123","date":"2026-06-01"} {}`,
	} {
		if _, err := ReadTruth(strings.NewReader(body)); !errors.Is(err, ErrTruth) {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// FuzzReadTruth: a truth file never panics the reader, and what it
// accepts it writes back to the same truth.
func FuzzReadTruth(f *testing.F) {
	f.Add([]byte(`{"kind":"header","as_of":"2026-06-30","commune":"92101","citizens":10,"seed":1,"per_rule":1}
{"kind":"defect","rule":"chip_mismatch","citizen":"092185000123","field":"sex","what":"x"}
{"kind":"read","citizen":"092185000123","assurance":"qr","date":"2026-06-01","fields":{"sex":"M"}}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		truth, err := ReadTruth(bytes.NewReader(b))
		if err != nil {
			return
		}
		var buf bytes.Buffer
		if err := WriteTruth(&buf, truth); err != nil {
			t.Fatal(err)
		}
		back, err := ReadTruth(&buf)
		if err != nil || !reflect.DeepEqual(truth, back) {
			t.Fatalf("accepted truth does not read back: %v\n%+v\n%+v", err, truth, back)
		}
	})
}
