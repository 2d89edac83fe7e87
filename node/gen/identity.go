package gen

import (
	"strconv"
	"strings"
	"time"

	"github.com/xanode/xanode/node/registry"
)

// uniqueName gives m a full name no one else in the household has, and a
// given name that is not a parent's: Vietnamese families avoid both. (The
// bound only guards the loop; the name space is far larger than a household.)
func (g *generator) uniqueName(h *household, m *member) string {
	var name string
	for range 20 {
		name = g.fullName(m.family, m.ethnicity, m.female, m.year)
		taken := false
		for _, o := range h.members {
			taken = taken || o.name == name
		}
		for _, p := range []*member{h.get(m.father), h.get(m.mother)} {
			taken = taken || p != nil && givenName(p.name) == givenName(name)
		}
		if !taken {
			break
		}
	}
	return name
}

// absentParent names a parent who is not in the household, with a given
// name other than the child's.
func (g *generator) absentParent(family, ethnicity string, female bool, year int, child string) string {
	var name string
	for range 20 {
		if name = g.fullName(family, ethnicity, female, year); givenName(name) != givenName(child) {
			break
		}
	}
	return name
}

// givenName is the last word of a full name.
func givenName(full string) string { return full[strings.LastIndexByte(full, ' ')+1:] }

// fullName is family + middle + given name, chosen by sex and, for the
// middle and given names, by the fashion of the birth years.
func (g *generator) fullName(family, ethnicity string, female bool, year int) string {
	var middle string
	var given func() string
	switch {
	case ethnicity == ethnicKhmer && female:
		middle = pick(g.r, khmerMiddleFemale)
		given = func() string { return pick(g.r, khmerGivenFemale) }
	case ethnicity == ethnicKhmer:
		middle = pick(g.r, khmerMiddleMale)
		given = func() string { return pick(g.r, khmerGivenMale) }
	case female:
		middle = g.middle(year, "Thị", middleFemale, middleFemale2, 0.2)
		given = func() string { return g.given(year, givenFemaleOld, givenFemaleNew) }
	default:
		middle = g.middle(year, "Văn", middleMale, middleMale2, 0.1)
		given = func() string { return g.given(year, givenMaleOld, givenMaleNew) }
	}
	first := given()
	for middle != "" && strings.HasSuffix(middle, first) { // no "Thị Thu Thu"
		first = given()
	}
	if middle == "" {
		return family + " " + first
	}
	return family + " " + middle + " " + first
}

// middle: the traditional Văn/Thị for most people born before the 1980s
// and fewer since; otherwise one of the others, sometimes compound.
func (g *generator) middle(year int, traditional string, others, second []string, compound float64) string {
	p := 0.2
	switch {
	case year < 1980:
		p = 0.7
	case year < 2000:
		p = 0.45
	}
	first := traditional
	if !g.r.chance(p) {
		first = pick(g.r, others)
	}
	if g.r.chance(compound) {
		if s := pick(g.r, second); s != first {
			return first + " " + s
		}
	}
	return first
}

func (g *generator) given(year int, old, new []string) string {
	switch {
	case year < 1975:
		return pick(g.r, old)
	case year >= 1995:
		return pick(g.r, new)
	case g.r.chance(0.5):
		return pick(g.r, old)
	}
	return pick(g.r, new)
}

// links fills father, mother and spouse. Those in the household get ID and
// name; for an absent parent most records still hold the name, as the
// card's chip does, but no ID.
func (g *generator) links(h *household, m *member) {
	c := m.c
	if f := h.get(m.father); f != nil {
		set(c, registry.FieldFatherID, f.c.ID)
		set(c, registry.FieldFatherName, f.name)
	} else if g.r.chance(0.85) {
		set(c, registry.FieldFatherName, g.absentParent(m.family, m.ethnicity, false, m.year-30, m.name))
	}
	if mo := h.get(m.mother); mo != nil {
		set(c, registry.FieldMotherID, mo.c.ID)
		set(c, registry.FieldMotherName, mo.name)
	} else if g.r.chance(0.85) {
		set(c, registry.FieldMotherName, g.absentParent(familyNames[m.ethnicity].pick(g.r), m.ethnicity, true, m.year-27, m.name))
	}
	if s := h.get(m.spouse); s != nil {
		set(c, registry.FieldSpouseID, s.c.ID)
		set(c, registry.FieldSpouseName, s.name)
	}
}

// Cards began to carry the 12-digit ID in 2016; the chip card campaign of
// 2021–22 reissued most of them.
var (
	cardStart    = time.Date(2016, 1, 1, 0, 0, 0, 0, time.UTC)
	campaignFrom = time.Date(2021, 1, 15, 0, 0, 0, 0, time.UTC)
	campaignTo   = time.Date(2022, 6, 30, 0, 0, 0, 0, time.UTC)
)

// documents gives those 14 and over an ID card (its number is the personal
// ID) with an identifying mark, and most of those born before 1995 the old
// 9-digit ID they held before.
func (g *generator) documents(c *registry.Citizen, m *member) {
	birth := time.Date(m.birth.Year, time.Month(max(m.birth.Month, 1)), max(m.birth.Day, 1), 0, 0, 0, 0, time.UTC)
	ref := time.Date(g.ref.Year, time.Month(g.ref.Month), g.ref.Day, 0, 0, 0, 0, time.UTC)
	from := birth.AddDate(14, 0, 0)
	if from.After(ref) {
		return
	}
	if m.year < 1995 && g.r.chance(0.7) {
		set(c, registry.FieldOldID, g.oldID())
	}
	from = later(from, cardStart)
	if from.After(ref) {
		return
	}
	issued := g.dayBetween(from, ref)
	if !from.After(campaignFrom) && !ref.Before(campaignTo) && g.r.chance(0.6) {
		issued = g.dayBetween(campaignFrom, campaignTo)
	}
	exp, expires := cardExpiry(birth, issued)
	for expires && !exp.After(ref) { // renewed shortly before it ran out
		issued = g.dayBetween(exp.AddDate(0, -2, 0), exp)
		exp, expires = cardExpiry(birth, issued)
	}
	set(c, registry.FieldCardNumber, c.ID)
	set(c, registry.FieldCardIssued, dateOf(issued).String())
	if expires {
		set(c, registry.FieldCardExpiry, dateOf(exp).String())
	}
	set(c, registry.FieldFeatures, pick(g.r, featureKinds)+" C:"+strconv.Itoa(g.r.between(1, 4))+"cm "+
		pick(g.r, featureWhere)+" "+pick(g.r, featurePlaces)+" "+pick(g.r, featureSides))
}

// cardExpiry follows the card law: a card must be renewed at 25, 40 and
// 60; one issued within two years before such an age runs to the next; one
// issued within two years of 60 or later never expires (ok false).
func cardExpiry(birth, issued time.Time) (time.Time, bool) {
	for _, age := range []int{25, 40, 60} {
		at := birth.AddDate(age, 0, 0)
		if at.After(issued.AddDate(2, 0, 0)) {
			return at, true
		}
	}
	return time.Time{}, false
}

func (g *generator) dayBetween(from, to time.Time) time.Time {
	days := int(to.Sub(from).Hours() / 24)
	return from.AddDate(0, 0, g.r.between(0, days))
}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}
