package gen

import "github.com/xanode/xanode/node/registry"

// Relations to the head of household, as household registers write them.
const (
	relHead        = "Chủ hộ"
	relWife        = "Vợ"
	relHusband     = "Chồng"
	relChild       = "Con"
	relDaughterLaw = "Con dâu"
	relSonLaw      = "Con rể"
	relGrandchild  = "Cháu"
	relFather      = "Cha"
	relMother      = "Mẹ"
)

// Age gaps the planner keeps: a parent is 20–42 years older than a child
// (well inside the 18–45 a reviewer would accept), spouses within a few years.
const (
	minParentGap = 20
	maxParentGap = 42
	maxAge       = 96
)

// member is one person of a household being generated. Links are indices
// into household.members; -1 means not in this household.
type member struct {
	rel                    string
	female                 bool
	year                   int
	father, mother, spouse int

	// set when the person is made
	birth     registry.Date
	family    string // họ
	name      string // full name
	ethnicity string
	religion  string
	hometown  string
	c         *registry.Citizen
}

// household is planned (who, relation, birth year, links) before anyone is
// made, so that names, hometowns and IDs can follow the family lines.
type household struct {
	members   []*member
	id        string
	address   string
	ethnicity string
	religion  string
}

func (h *household) add(rel string, female bool, year, father, mother int) int {
	h.members = append(h.members, &member{rel: rel, female: female, year: year, father: father, mother: mother, spouse: -1})
	return len(h.members) - 1
}

func (h *household) marry(a, b int) {
	h.members[a].spouse, h.members[b].spouse = b, a
}

// get returns the member at i, nil for -1.
func (h *household) get(i int) *member {
	if i < 0 {
		return nil
	}
	return h.members[i]
}

// trim keeps the first n members (the head always comes first) and drops
// links to those cut, so that the population has exactly the size asked.
func (h *household) trim(n int) {
	if len(h.members) <= n {
		return
	}
	h.members = h.members[:n]
	for _, m := range h.members {
		for _, l := range []*int{&m.father, &m.mother, &m.spouse} {
			if *l >= n {
				*l = -1
			}
		}
	}
}

// plan draws a household composition, roughly as the delta's census shows
// them: mostly couples with children, some three-generation homes, some
// living alone.
func (g *generator) plan(left int) *household {
	h := &household{}
	switch x := g.r.float(); {
	case x < 0.10:
		g.planSingle(h)
	case x < 0.21:
		g.planCouple(h)
	case x < 0.69:
		g.planNuclear(h)
	case x < 0.76:
		g.planSingleParent(h)
	case x < 0.87:
		g.planWithParents(h)
	default:
		g.planThreeGenerations(h)
	}
	h.trim(left)
	return h
}

func (g *generator) planSingle(h *household) {
	if g.r.chance(0.5) { // a young adult, more often a man
		h.add(relHead, g.r.chance(0.4), g.year-g.r.between(18, 35), -1, -1)
		return
	}
	h.add(relHead, g.r.chance(0.65), g.year-g.r.between(60, 92), -1, -1) // widowed, more often a woman
}

func (g *generator) planCouple(h *household) {
	if g.r.chance(0.4) {
		g.couple(h, g.r.between(22, 32))
		return
	}
	g.couple(h, g.r.between(50, 85))
}

func (g *generator) planNuclear(h *household) {
	husband, wife := g.couple(h, g.r.between(24, 62))
	g.children(h, relChild, husband, wife, g.childCount(h.members[wife].year))
}

func (g *generator) planSingleParent(h *household) {
	female := g.r.chance(0.75)
	head := h.add(relHead, female, g.year-g.r.between(26, 60), -1, -1)
	n := 1 + g.r.intn(3)
	if female {
		g.children(h, relChild, -1, head, n)
	} else {
		g.children(h, relChild, head, -1, n)
	}
}

// planWithParents: a couple with children who took in the head's parents.
func (g *generator) planWithParents(h *household) {
	husband, wife := g.couple(h, g.r.between(25, 45))
	g.children(h, relChild, husband, wife, g.childCount(h.members[wife].year))
	head := h.members[0]
	fy := head.year - g.r.between(24, 38)
	my := min(fy+g.r.between(0, 6), head.year-minParentGap)
	if g.year-fy <= maxAge && g.r.chance(0.6) {
		head.father = h.add(relFather, false, fy, -1, -1)
	}
	if g.year-my <= maxAge {
		head.mother = h.add(relMother, true, my, -1, -1)
	}
	if head.father >= 0 && head.mother >= 0 {
		h.marry(head.father, head.mother)
	}
}

// planThreeGenerations: an older head, a married child with their spouse
// and children, sometimes a younger unmarried child.
func (g *generator) planThreeGenerations(h *household) {
	age := g.r.between(52, 80)
	father, mother := -1, -1
	if g.r.chance(0.85) {
		father, mother = g.couple(h, age)
	} else if g.r.chance(0.6) {
		mother = h.add(relHead, true, g.year-age, -1, -1)
	} else {
		father = h.add(relHead, false, g.year-age, -1, -1)
	}
	lo, hi := g.childYears(h, father, mother)
	hi = min(hi, g.year-22) // old enough to be married
	if lo > hi {
		return
	}
	child := h.add(relChild, g.r.chance(0.25), g.r.between(lo, hi), father, mother)
	cy, n := h.members[child].year, 1+g.r.intn(3)
	if h.members[child].female {
		inLaw := h.add(relSonLaw, false, g.adult(cy-g.r.between(0, 6)), -1, -1)
		h.marry(child, inLaw)
		g.children(h, relGrandchild, inLaw, child, n)
	} else {
		inLaw := h.add(relDaughterLaw, true, g.adult(cy+g.r.between(0, 6)), -1, -1)
		h.marry(child, inLaw)
		g.children(h, relGrandchild, child, inLaw, n)
	}
	if g.r.chance(0.3) {
		g.children(h, relChild, father, mother, 1)
	}
}

// couple adds a head and spouse, the head aged headAge, and returns them
// as (husband, wife). Husbands are usually a few years older.
func (g *generator) couple(h *household, headAge int) (husband, wife int) {
	headFemale := g.r.chance(0.18)
	gap := g.r.between(0, 7)
	if g.r.chance(0.15) {
		gap = -g.r.between(1, 3)
	}
	headYear := g.year - headAge
	spouseYear, spouseRel := headYear+gap, relWife
	if headFemale {
		spouseYear, spouseRel = headYear-gap, relHusband
	}
	head := h.add(relHead, headFemale, headYear, -1, -1)
	spouse := h.add(spouseRel, !headFemale, g.adult(spouseYear), -1, -1)
	h.marry(head, spouse)
	if headFemale {
		return spouse, head
	}
	return head, spouse
}

// adult clamps a birth year so that the person is at least 18 and at most
// maxAge at the reference date.
func (g *generator) adult(year int) int {
	return max(min(year, g.year-18), g.year-maxAge)
}

// childYears is the range of birth years the present parents allow.
func (g *generator) childYears(h *household, father, mother int) (lo, hi int) {
	lo, hi = 0, g.year
	for _, p := range []int{father, mother} {
		if p >= 0 {
			lo = max(lo, h.members[p].year+minParentGap)
			hi = min(hi, h.members[p].year+maxParentGap)
		}
	}
	return lo, hi
}

// children adds up to n children of father and mother (either may be -1),
// a few years apart, as many as the parents' ages allow.
func (g *generator) children(h *household, rel string, father, mother, n int) {
	lo, hi := g.childYears(h, father, mother)
	y := lo + g.r.intn(6)
	for i := 0; i < n && y <= hi; i++ {
		h.add(rel, g.r.chance(0.48), y, father, mother)
		y += g.r.between(1, 6)
	}
}

// childCount: older mothers had more children.
func (g *generator) childCount(motherYear int) int {
	switch {
	case motherYear < 1960:
		return 2 + g.r.intn(4)
	case motherYear < 1980:
		return 1 + g.r.intn(4)
	}
	return 1 + g.r.intn(3)
}
