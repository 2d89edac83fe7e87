package gen

import (
	"strings"
	"testing"

	"github.com/xanode/xanode/node/registry"
)

var relations = map[string]bool{
	relHead: true, relWife: true, relHusband: true, relChild: true, relDaughterLaw: true,
	relSonLaw: true, relGrandchild: true, relFather: true, relMother: true,
}

func TestHouseholds(t *testing.T) {
	cs := mustPopulation(t)
	checkHouseholds(t, cs)
	sizes := map[int]int{}
	n := 0
	for i, c := range cs {
		n++
		if i+1 == len(cs) || cs[i+1].Get(registry.FieldHousehold) != c.Get(registry.FieldHousehold) {
			sizes[n]++
			n = 0
		}
	}
	households := 0
	for _, k := range sizes {
		households += k
	}
	if avg := float64(len(cs)) / float64(households); avg < 3 || avg > 4.5 {
		t.Errorf("average household size %.2f, want the delta's 3–4.5 (sizes %v)", avg, sizes)
	}
	if sizes[1] == 0 || sizes[6] == 0 {
		t.Errorf("household sizes %v: want people living alone and large families", sizes)
	}
}

func TestFamilyLinks(t *testing.T) {
	cs := mustPopulation(t)
	checkLinks(t, cs)
	withFather, spouses := 0, 0
	for _, c := range cs {
		if c.Get(registry.FieldFatherID) != "" {
			withFather++
		}
		if c.Get(registry.FieldSpouseID) != "" {
			spouses++
		}
	}
	if withFather < len(cs)/4 || spouses < len(cs)/4 {
		t.Errorf("%d with a father, %d married in the household: want many of each", withFather, spouses)
	}
}

// checkHouseholds: members of a household are emitted together, head
// first; each has exactly one head; household IDs are not reused; members
// share the address and the commune.
func checkHouseholds(t *testing.T, cs []*registry.Citizen) {
	t.Helper()
	seen := map[string]bool{}
	var head *registry.Citizen
	for i, c := range cs {
		hh, rel := c.Get(registry.FieldHousehold), c.Get(registry.FieldRelation)
		if !relations[rel] {
			t.Fatalf("%s: relation %q", c.ID, rel)
		}
		if i == 0 || hh != cs[i-1].Get(registry.FieldHousehold) { // a new household starts
			if seen[hh] {
				t.Fatalf("household %s appears twice", hh)
			}
			if !strings.HasPrefix(hh, "HK"+c.Get(registry.FieldCommune)+"-") {
				t.Fatalf("household ID %q", hh)
			}
			seen[hh] = true
			if rel != relHead {
				t.Fatalf("household %s starts with %s, not its head", hh, rel)
			}
			head = c
			continue
		}
		if rel == relHead {
			t.Fatalf("household %s has a second head %s", hh, c.ID)
		}
		if c.Get(registry.FieldPermanentAddress) != head.Get(registry.FieldPermanentAddress) {
			t.Fatalf("%s: address differs from the head's", c.ID)
		}
	}
}

// checkLinks: father, mother and spouse IDs point into the same household
// at someone of the right sex, age and name, spouse links go both ways,
// children carry the father's family name and not a parent's given name.
func checkLinks(t *testing.T, cs []*registry.Citizen) {
	t.Helper()
	people := byID(t, cs)
	for _, c := range cs {
		for _, l := range []struct {
			id, name registry.Field
			sex      string
		}{
			{registry.FieldFatherID, registry.FieldFatherName, registry.SexMale},
			{registry.FieldMotherID, registry.FieldMotherName, registry.SexFemale},
		} {
			pid := c.Get(l.id)
			if pid == "" {
				continue
			}
			p := people[pid]
			if p == nil || p.Get(registry.FieldHousehold) != c.Get(registry.FieldHousehold) {
				t.Fatalf("%s: %s %s is not in the household", c.ID, l.id, pid)
			}
			if p.Get(registry.FieldSex) != l.sex || p.Get(registry.FieldFullName) != c.Get(l.name) {
				t.Fatalf("%s: %s %s is %s %q, record says %q", c.ID, l.id, pid, p.Get(registry.FieldSex), p.Get(registry.FieldFullName), c.Get(l.name))
			}
			if gap := c.BirthDate().Year - p.BirthDate().Year; gap < 18 || gap > 45 {
				t.Fatalf("%s: parent %s is %d years older", c.ID, pid, gap)
			}
			if givenName(c.Get(registry.FieldFullName)) == givenName(p.Get(registry.FieldFullName)) {
				t.Fatalf("%s: shares a given name with parent %s", c.ID, pid)
			}
			if l.id == registry.FieldFatherID && familyName(c) != familyName(p) {
				t.Fatalf("%s %q does not carry the family name of father %q", c.ID, c.Get(registry.FieldFullName), p.Get(registry.FieldFullName))
			}
		}
		sid := c.Get(registry.FieldSpouseID)
		if sid == "" {
			if c.Get(registry.FieldSpouseName) != "" {
				t.Fatalf("%s: spouse name without ID", c.ID)
			}
			continue
		}
		s := people[sid]
		if s == nil || s.Get(registry.FieldSpouseID) != c.ID || s.Get(registry.FieldHousehold) != c.Get(registry.FieldHousehold) {
			t.Fatalf("%s: spouse %s does not link back", c.ID, sid)
		}
		if s.Get(registry.FieldSex) == c.Get(registry.FieldSex) || s.Get(registry.FieldFullName) != c.Get(registry.FieldSpouseName) {
			t.Fatalf("%s: spouse %s sex or name wrong", c.ID, sid)
		}
		if gap := c.BirthDate().Year - s.BirthDate().Year; gap < -10 || gap > 10 {
			t.Fatalf("%s: spouse %s born %d years apart", c.ID, sid, gap)
		}
	}
}

func familyName(c *registry.Citizen) string { return strings.Fields(c.Get(registry.FieldFullName))[0] }
