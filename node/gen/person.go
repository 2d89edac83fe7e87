package gen

import (
	"fmt"
	"sort"
	"strconv"
	"time"

	"github.com/xanode/xanode/node/registry"
)

// household plans one household of at most left people and makes its
// citizens, head first.
func (g *generator) household(left int) ([]*registry.Citizen, error) {
	h := g.plan(left)
	g.households++
	h.id = fmt.Sprintf("HK%s-%06d", g.commune.Code, g.households)
	h.address = g.address()
	h.ethnicity = ethnicities.pick(g.r)
	h.religion = religions[h.ethnicity].pick(g.r)

	// Make the older first: parents exist before their children take their
	// family name, ethnicity and hometown from them.
	order := make([]int, len(h.members))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool { return h.members[order[a]].year < h.members[order[b]].year })
	for _, i := range order {
		if err := g.person(h, i); err != nil {
			return nil, err
		}
	}
	out := make([]*registry.Citizen, len(h.members))
	for i, m := range h.members {
		g.links(h, m)
		out[i] = m.c
	}
	return out, nil
}

// person makes the citizen record of h.members[i] from what the household
// and the members made before it hold.
func (g *generator) person(h *household, i int) error {
	m := h.members[i]
	father, mother := h.get(m.father), h.get(m.mother)
	g.lineage(h, m, father, mother)
	m.birth = g.birthDate(m.year)
	m.name = g.uniqueName(h, m)

	prov, place := g.birthPlace(m.year)
	id, err := g.personalID(prov, m.year, m.female)
	if err != nil {
		return err
	}
	c := &registry.Citizen{ID: id}
	m.c = c
	sex := registry.SexMale
	if m.female {
		sex = registry.SexFemale
	}
	set(c, registry.FieldFullName, m.name)
	set(c, registry.FieldBirthDate, m.birth.String())
	set(c, registry.FieldSex, sex)
	set(c, registry.FieldNationality, "Việt Nam")
	set(c, registry.FieldEthnicity, m.ethnicity)
	set(c, registry.FieldReligion, m.religion)
	set(c, registry.FieldBirthPlace, place)
	set(c, registry.FieldHometown, m.hometown)
	set(c, registry.FieldPermanentAddress, h.address)
	set(c, registry.FieldCurrentAddress, h.address)
	set(c, registry.FieldCommune, g.commune.Code)
	set(c, registry.FieldHousehold, h.id)
	set(c, registry.FieldRelation, m.rel)
	set(c, registry.FieldStatus, registry.StatusAlive)
	if m.year < 1965 && g.r.chance(0.08) {
		set(c, registry.FieldOtherName, pick(g.r, birthOrderNames))
	}
	g.residence(c, m)
	g.documents(c, m)
	return nil
}

// set stores a generated value. Generated records carry zero stamps and
// Version 0: the city stamps every field when it imports them.
func set(c *registry.Citizen, f registry.Field, v string) {
	if v != "" {
		c.Set(f, v, registry.Stamp{})
	}
}

// lineage decides what a person inherits: children take the father's
// family name, ethnicity and hometown (quê quán follows the father);
// people who married into the household bring their own.
func (g *generator) lineage(h *household, m *member, father, mother *member) {
	var partner *member
	if m.spouse >= 0 && h.members[m.spouse].family != "" {
		partner = h.members[m.spouse]
	}
	switch {
	case father != nil:
		m.ethnicity = father.ethnicity
	case mother != nil:
		m.ethnicity = mother.ethnicity
	case partner != nil && g.r.chance(0.9):
		m.ethnicity = partner.ethnicity
	case partner == nil && g.r.chance(0.95):
		m.ethnicity = h.ethnicity
	default:
		m.ethnicity = ethnicities.pick(g.r)
	}

	switch {
	case father != nil:
		m.family, m.hometown = father.family, father.hometown
	case mother != nil && g.r.chance(0.1): // registered under the mother's name
		m.family, m.hometown = mother.family, mother.hometown
	default:
		m.family, m.hometown = familyNames[m.ethnicity].pick(g.r), g.somePlace()
	}

	switch {
	case father != nil && g.r.chance(0.95):
		m.religion = father.religion
	case mother != nil:
		m.religion = mother.religion
	case partner != nil && g.r.chance(0.85):
		m.religion = partner.religion
	case m.ethnicity == h.ethnicity && g.r.chance(0.9):
		m.religion = h.religion
	default:
		m.religion = religions[m.ethnicity].pick(g.r)
	}
}

// birthDate gives a full date, or only the year for some of the oldest,
// whose birth records were lost or never kept.
func (g *generator) birthDate(year int) registry.Date {
	if year < 1945 && g.r.chance(0.35) {
		return registry.Date{Year: year}
	}
	months := 12
	if year == g.ref.Year {
		months = g.ref.Month
	}
	month := g.r.between(1, months)
	return registry.Date{Year: year, Month: month, Day: g.r.between(1, daysIn(year, month))}
}

func daysIn(year, month int) int {
	return time.Date(year, time.Month(month)+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

// birthPlace picks the province of birth registration (the ID prefix) and
// the place as written on the record. Older people more often came from
// elsewhere in the delta; children are mostly born here.
func (g *generator) birthPlace(year int) (province, place string) {
	elsewhere := 0.04
	switch {
	case year < 1990:
		elsewhere = 0.25
	case year < 2010:
		elsewhere = 0.12
	}
	if g.r.chance(elsewhere) {
		p := otherProvinces[provinceTable.index(g.r)]
		return p.code, pick(g.r, p.places)
	}
	if year >= 1990 && g.r.chance(0.6) {
		return "092", g.commune.Place()
	}
	return "092", pick(g.r, canThoPlaces) + ", " + Province
}

// somePlace is a hometown for someone whose father is not in the record.
func (g *generator) somePlace() string {
	switch x := g.r.float(); {
	case x < 0.3:
		return g.commune.Place()
	case x < 0.65:
		return pick(g.r, canThoPlaces) + ", " + Province
	}
	return pick(g.r, otherProvinces[provinceTable.index(g.r)].places)
}

// address is a household's permanent address: house number and street
// with khu vực in a ward, tổ and ấp in a rural commune.
func (g *generator) address() string {
	c := g.commune
	if c.Rural() {
		return "Số " + strconv.Itoa(g.r.between(1, 450)) + ", Tổ " + strconv.Itoa(g.r.between(1, 12)) +
			", " + pick(g.r, c.streets) + ", " + c.Place()
	}
	return g.houseNumber() + " " + pick(g.r, c.streets) + ", Khu vực " + strconv.Itoa(g.r.between(1, 8)) + ", " + c.Place()
}

// houseNumber: street numbers, alley numbers (hẻm: 45/12) and split lots (12A).
func (g *generator) houseNumber() string {
	n := strconv.Itoa(g.r.between(1, 420))
	switch x := g.r.float(); {
	case x < 0.3:
		return n + "/" + strconv.Itoa(g.r.between(1, 60))
	case x < 0.35:
		return n + pick(g.r, []string{"A", "B", "C"})
	}
	return n
}

// residence registers a few young adults as living elsewhere for work or
// study: a temporary residence with its expiry, which is also where they
// currently live.
func (g *generator) residence(c *registry.Citizen, m *member) {
	age := g.year - m.year
	if age < 18 || age > 40 || !g.r.chance(0.06) {
		return
	}
	addr := g.houseNumber() + " " + pick(g.r, []string{"Đường số 1", "Đường số 5", "Đường số 8", "Hẻm 42", "Đường Nguyễn Văn Linh", "Đường Lê Văn Việt"}) +
		", " + pick(g.r, temporaryPlaces)
	until := time.Date(g.ref.Year, time.Month(g.ref.Month), g.ref.Day, 0, 0, 0, 0, time.UTC).AddDate(0, g.r.between(3, 24), 0)
	set(c, registry.FieldTemporaryAddress, addr)
	set(c, registry.FieldTemporaryUntil, dateOf(until).String())
	set(c, registry.FieldCurrentAddress, addr)
}

func dateOf(t time.Time) registry.Date {
	return registry.Date{Year: t.Year(), Month: int(t.Month()), Day: t.Day()}
}
