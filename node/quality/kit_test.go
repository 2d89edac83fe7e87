package quality

import (
	"testing"

	"github.com/xanode/xanode/node/registry"
)

// person builds a record from wire names → values over a healthy adult of
// Cần Thơ born 1985; a value of "-" clears the field.
func person(id string, kv ...string) *registry.Citizen {
	c := &registry.Citizen{ID: id}
	base := map[string]string{
		"full_name": "Nguyễn Thị Thu Hà", "birth_date": "1985-03-08", "sex": "F", "nationality": "Việt Nam",
		"birth_place": "Phường Ninh Kiều, TP Cần Thơ", "commune": "92101", "status": "alive",
		"permanent_address": "12 Đường Mậu Thân, Khu vực 2, Phường Ninh Kiều, TP Cần Thơ",
		"current_address":   "12 Đường Mậu Thân, Khu vực 2, Phường Ninh Kiều, TP Cần Thơ",
		"household":         "HK92101-000001", "relation": "Chủ hộ", "card_number": id, "card_issued": "2021-05-04",
		"mother_name": "Trần Thị Lan", "father_name": "Nguyễn Văn Hùng",
	}
	for i := 0; i+1 < len(kv); i += 2 {
		base[kv[i]] = kv[i+1]
	}
	for name, v := range base {
		if v == "-" {
			continue
		}
		f, ok := registry.FieldByName(name)
		if !ok {
			panic("no field " + name)
		}
		nv, err := f.Normalize(v)
		if err != nil {
			panic(err)
		}
		c.Set(f, nv, registry.Stamp{})
	}
	return c
}

// ha is the ID of person's default: Cần Thơ (092), female 1900s (1), 85.
const ha = "092185000123"

var asOf = registry.Date{Year: 2026, Month: 6, Day: 30}

// recs is a Records over a map.
type recs struct {
	byID      map[string]*registry.Citizen
	confirmed map[string]registry.Date
}

func (r recs) Citizen(id string) *registry.Citizen { return r.byID[id] }
func (r recs) Confirmed(id string) registry.Date   { return r.confirmed[id] }

func with(cs ...*registry.Citizen) recs {
	r := recs{byID: map[string]*registry.Citizen{}, confirmed: map[string]registry.Date{}}
	for _, c := range cs {
		r.byID[c.ID] = c
	}
	return r
}

func mustChecker(t testing.TB) *Checker {
	t.Helper()
	k, err := NewChecker(DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// rulesOf lists the rules of findings, in order.
func rulesOf(fs []Finding) []Rule {
	var out []Rule
	for _, f := range fs {
		out = append(out, f.Rule)
	}
	return out
}

func fieldsOf(f *Finding) []string {
	var out []string
	for _, x := range f.Fields {
		out = append(out, x.String())
	}
	return out
}
