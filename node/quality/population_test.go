package quality

import (
	"reflect"
	"runtime"
	"slices"
	"testing"

	"github.com/xanode/xanode/node/registry"
)

// smallTown is a population with one finding of each kind Check can see
// without a read, plus healthy records around them.
func smallTown(t *testing.T) (*Population, map[string]bool) {
	k := mustChecker(t)
	p := NewPopulation(k)
	add := func(c *registry.Citizen) {
		if err := p.Add(c); err != nil {
			t.Fatal(err)
		}
	}
	mother := person("092160000001", "birth_date", "1960-02-02", "full_name", "Trần Thị Lan", "household", "HK1")
	add(mother)
	add(person(ha, "mother_id", mother.ID, "household", "HK1", "relation", "Con"))
	add(person("092185000999", "full_name", "Nguyen Thi Thu Ha", "household", "HK2")) // duplicate of ha
	add(person("092385000124", "household", "HK3", "full_name", "Lê Văn Tám", "sex", "M", "birth_date", "1985-01-01"))
	add(person("092190000125", "household", "HK4", "relation", "Vợ", "full_name", "Phạm Thị Hoa", "birth_date", "1990-01-01",
		"mother_id", "092385000124")) // a mother 5 years older, no head
	p.Confirm("092185000999", registry.Date{Year: 2026})
	p.AddRead(Read{Citizen: ha, Assurance: "chip-verified", Fields: map[registry.Field]string{registry.FieldSex: "M"}})
	p.Seal()
	want := map[string]bool{
		"id_sex|092385000124":                 true, // 3 = female, 2000s
		"id_century|092385000124":             true,
		"parent_age|092190000125":             true,
		"household_head|HK4":                  true,
		"duplicate|092185000123|092185000999": true,
		"chip_mismatch|092185000123|sex":      true,
	}
	return p, want
}

func TestPopulationCheck(t *testing.T) {
	p, want := smallTown(t)
	got := map[string]bool{}
	for _, f := range p.Check(asOf) {
		got[f.Key()] = true
	}
	for k := range want {
		if !got[k] {
			t.Errorf("missing %s", k)
		}
	}
	for k := range got {
		if !want[k] {
			t.Errorf("unexpected %s", k)
		}
	}
}

// TestRecheckFindsWhatCheckFinds: re-checking every record finds what the
// full pass finds (reads aside: a read is checked when it arrives), and
// re-checking one record finds exactly the full pass's findings about
// what it touches.
func TestRecheckFindsWhatCheckFinds(t *testing.T) {
	p, _ := smallTown(t)
	var all, keys []string
	for _, f := range p.Check(asOf) {
		if f.Rule != RuleChipMismatch {
			all = append(all, f.Key())
		}
	}
	for _, f := range p.Recheck(p.idOf, asOf) {
		keys = append(keys, f.Key())
	}
	if !slices.Equal(all, keys) {
		t.Fatalf("recheck of all:\n%v\nfull pass:\n%v", keys, all)
	}
	var one []string
	for _, f := range p.Recheck([]string{"092385000124"}, asOf) { // the young "mother"
		one = append(one, f.Key())
	}
	want := []string{"id_century|092385000124", "id_sex|092385000124", "parent_age|092190000125"}
	if !slices.Equal(one, want) {
		t.Fatalf("recheck of one: %v, want %v", one, want)
	}
}

func TestPopulationRefusesRepeats(t *testing.T) {
	p := NewPopulation(mustChecker(t))
	if err := p.Add(person(ha)); err != nil {
		t.Fatal(err)
	}
	if err := p.Add(person(ha)); err == nil {
		t.Fatal("a repeated ID was accepted")
	}
}

// TestCheckSameWhateverTheWorkers: the full pass finds the same with one
// worker or several.
func TestCheckSameWhateverTheWorkers(t *testing.T) {
	p, _ := smallTown(t)
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	one := p.Check(asOf)
	runtime.GOMAXPROCS(3)
	three := p.Check(asOf)
	if !reflect.DeepEqual(one, three) {
		t.Fatalf("one worker:\n%+v\nthree:\n%+v", one, three)
	}
}
