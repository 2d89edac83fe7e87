package gen

import (
	"fmt"
	"strings"
	"time"
	"unicode"

	"golang.org/x/text/unicode/norm"

	"github.com/xanode/xanode/node/quality"
	"github.com/xanode/xanode/node/registry"
)

// Defects are known faults put into a generated population so that the
// data-quality rules can be measured against the truth (DESIGN.md, "Data
// quality"): `xanode gen --defects N` injects N of each rule's kind and
// writes what it did to a truth file, which `xanode bench quality` reads.
// The base population is the one Generate makes with the same Options
// (the defects draw from a random source of their own); each household
// carries at most one defect, so that no defect hides or causes another
// beyond what its truth lists.

// Defect is one injected fault: the finding a rule should report.
type Defect struct {
	Rule      quality.Rule
	Citizen   string
	Other     string         // RuleDuplicate: the injected second record
	Household string         // RuleHouseholdHead
	Field     registry.Field // RuleChipMismatch: the field the card states otherwise
	What      string         // how it was made, for a person reading the file
}

// Key is the Key of the finding the defect should cause.
func (d Defect) Key() string {
	f := quality.Finding{Rule: d.Rule, Citizen: d.Citizen, Other: d.Other, Household: d.Household}
	if d.Rule == quality.RuleDuplicate && f.Other < f.Citizen {
		f.Citizen, f.Other = f.Other, f.Citizen
	}
	if d.Field != 0 {
		f.Fields = []registry.Field{d.Field}
	}
	return f.Key()
}

// Read is a card read at an office's desk, as an identification reports
// it: the fields the card states, read on Date.
type Read struct {
	Citizen   string
	Assurance string
	Date      registry.Date
	Fields    map[registry.Field]string
}

// Truth is what GenerateWithDefects injected: the population's reference
// date, the defects and the reads (some of which differ from the record).
type Truth struct {
	AsOf     registry.Date
	Commune  string
	Citizens int // records emitted, injected duplicates included
	Seed     int64
	PerRule  int
	Defects  []Defect
	Reads    []Read
}

// defectKind is one kind of defect: which households can carry it, and
// how it is put in. inject changes the household's records in place and
// may return extra records (a duplicate) to emit after them.
type defectKind struct {
	name     string // the rule, or "read" for a read that agrees
	eligible func(h []*registry.Citizen) bool
	inject   func(h []*registry.Citizen) (extra []*registry.Citizen)
}

// injector holds the state of one GenerateWithDefects call.
type injector struct {
	g       *generator
	side    *generator // g's commune with the injector's random source
	r       *rng
	ref     registry.Date
	refTime time.Time
	truth   *Truth
	kinds   []defectKind
	scarce  []defectKind // those few households can carry: a newborn, a person alone
	done    map[string]int
	serial  int // serials of injected IDs count down from 999999
	dups    int
}

// GenerateWithDefects generates like Generate and injects perRule defects
// of every rule's kind (fewer when the population has too few households
// that can carry one; the truth says how many), plus perRule reads that
// agree with their records. Injected duplicates are emitted after the
// household of their original.
func GenerateWithDefects(opts Options, perRule int, emit func(*registry.Citizen) error) (*Truth, error) {
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	if perRule < 1 {
		return nil, fmt.Errorf("%w: defects per rule must be at least 1, got %d", ErrOptions, perRule)
	}
	g := newGenerator(opts)
	in := &injector{g: g, r: newRNG(opts.Seed, "defects "+opts.Commune), ref: g.ref,
		refTime: time.Date(g.ref.Year, time.Month(g.ref.Month), g.ref.Day, 0, 0, 0, 0, time.UTC),
		truth:   &Truth{AsOf: g.ref, Commune: opts.Commune, Seed: opts.Seed, PerRule: perRule},
		done:    map[string]int{}, serial: 999_999}
	// The defects' own draws, addresses included, never touch the
	// generator's random source: the base population stays Generate's.
	in.side = &generator{r: in.r, commune: g.commune}
	in.kinds = in.defectKinds()
	for _, k := range in.kinds {
		switch quality.Rule(k.name) {
		case quality.RuleBirthFuture, quality.RuleIDCentury, quality.RuleOver120:
			in.scarce = append(in.scarce, k)
		}
	}
	// Each household carries a defect with a probability that fills every
	// kind's quota in about the first half of a population of households
	// averaging 3.3 people.
	p := min(1, 2*float64(perRule*len(in.kinds))*3.3/float64(opts.Citizens))
	for left := opts.Citizens; left > 0; {
		cs, err := g.household(left)
		if err != nil {
			return nil, err
		}
		left -= len(cs)
		switch {
		case in.r.chance(p):
			cs = append(cs, in.one(cs, perRule, in.kinds)...)
		case in.r.chance(0.5):
			// Few households can carry these: take more of those that can.
			cs = append(cs, in.one(cs, perRule, in.scarce)...)
		}
		for _, c := range cs {
			if err := emit(c); err != nil {
				return nil, err
			}
			in.truth.Citizens++
		}
	}
	return in.truth, nil
}

// one puts one defect into the household: the first of kinds, in turn
// from a random start, whose quota is not full and that the household can
// carry.
func (in *injector) one(h []*registry.Citizen, perRule int, kinds []defectKind) []*registry.Citizen {
	start := in.r.intn(len(kinds))
	for i := range kinds {
		k := kinds[(start+i)%len(kinds)]
		if in.done[k.name] < perRule && k.eligible(h) {
			in.done[k.name]++
			return k.inject(h)
		}
	}
	return nil
}

func (in *injector) defect(d Defect) { in.truth.Defects = append(in.truth.Defects, d) }

// nextID is an unused ID for an injected record: the serials count down
// from 999999, which the generator never issues.
func (in *injector) nextID(province string, year int, female bool) string {
	in.serial--
	return registry.MakeID(province, year, female, in.serial+1)
}

func (in *injector) age(c *registry.Citizen) int {
	return in.ref.Year - c.BirthDate().Year
}

func alive(c *registry.Citizen) bool { return !c.Deceased() }

// member picks a random member satisfying ok; nil if none does.
func (in *injector) member(h []*registry.Citizen, ok func(*registry.Citizen) bool) *registry.Citizen {
	var fit []*registry.Citizen
	for _, c := range h {
		if ok(c) {
			fit = append(fit, c)
		}
	}
	if len(fit) == 0 {
		return nil
	}
	return pick(in.r, fit)
}

// someone adapts a member predicate to an eligibility test.
func someone(ok func(*registry.Citizen) bool) func([]*registry.Citizen) bool {
	return func(h []*registry.Citizen) bool {
		for _, c := range h {
			if ok(c) {
				return true
			}
		}
		return false
	}
}

func put(c *registry.Citizen, f registry.Field, v string) { c.Set(f, v, registry.Stamp{}) }

func single(h []*registry.Citizen) bool { return len(h) == 1 && alive(h[0]) }

func hasCard(c *registry.Citizen) bool { return c.Get(registry.FieldCardNumber) != "" }

// reID gives c a new ID (and card number), for a defect that changes what
// the ID encodes; only a person living alone, whom no record names, is
// chosen for it.
func reID(c *registry.Citizen, id string) {
	if c.Get(registry.FieldCardNumber) == c.ID {
		put(c, registry.FieldCardNumber, id)
	}
	c.ID = id
}

func (in *injector) defectKinds() []defectKind {
	return []defectKind{
		{string(quality.RuleIDProvince), someone(func(c *registry.Citizen) bool { return c.Get(registry.FieldBirthPlace) != "" }), in.idProvince},
		{string(quality.RuleIDSex), someone(func(c *registry.Citizen) bool { return c.Get(registry.FieldSex) != "" }), in.idSex},
		{string(quality.RuleIDCentury), single, in.idCentury},
		{string(quality.RuleIDBirthYear), someone(in.yearShiftable), in.idBirthYear},
		{string(quality.RuleBirthFuture), someone(in.bornThisYear), in.birthFuture},
		{string(quality.RuleParentAge), in.parentAgeable, in.parentAge},
		{string(quality.RuleDeathDate), someone(in.nonHeadAdult), in.deathDate},
		{string(quality.RuleAddressUnit), func([]*registry.Citizen) bool { return true }, in.addressUnit},
		{string(quality.RuleRequired), func([]*registry.Citizen) bool { return true }, in.required},
		{string(quality.RuleNoCard), someone(func(c *registry.Citizen) bool { return hasCard(c) && in.age(c) >= 17 }), in.noCard},
		{string(quality.RuleHouseholdHead), func(h []*registry.Citizen) bool { return len(h) >= 2 && quality.IsHead(h[0]) }, in.householdHead},
		{string(quality.RuleDuplicate), someone(func(c *registry.Citizen) bool { return c.Get(registry.FieldBirthDate) != "" }), in.duplicate},
		{string(quality.RuleUnconfirmed), someone(func(c *registry.Citizen) bool { return hasCard(c) && in.age(c) >= 45 }), in.unconfirmed},
		{string(quality.RuleTemporaryEnd), someone(func(c *registry.Citizen) bool { return in.age(c) >= 18 && in.age(c) <= 60 }), in.temporaryEnd},
		{string(quality.RuleOver120), func(h []*registry.Citizen) bool { return single(h) && in.ref.Year-126 >= 1900 }, in.over120},
		{string(quality.RuleDeadInHousehold), someone(in.nonHeadAdult), in.deadInHousehold},
		{string(quality.RuleChipMismatch), someone(func(c *registry.Citizen) bool { return hasCard(c) && c.BirthDate().Day != 0 }), in.chipMismatch},
		{"read", someone(hasCard), in.agreeingRead},
	}
}

// farPlaces are places of birth registration far from the delta, for a
// record whose ID says otherwise.
var farPlaces = []struct{ code, place string }{
	{"001", "Phường Hoàn Kiếm, TP Hà Nội"}, {"048", "Phường Hải Châu, TP Đà Nẵng"},
}

func (in *injector) idProvince(h []*registry.Citizen) []*registry.Citizen {
	c := in.member(h, func(c *registry.Citizen) bool { return c.Get(registry.FieldBirthPlace) != "" })
	far := farPlaces[0]
	if strings.HasPrefix(c.ID, far.code) {
		far = farPlaces[1]
	}
	put(c, registry.FieldBirthPlace, far.place)
	in.defect(Defect{Rule: quality.RuleIDProvince, Citizen: c.ID, What: "birth place moved to " + far.place})
	return nil
}

func (in *injector) idSex(h []*registry.Citizen) []*registry.Citizen {
	c := in.member(h, func(c *registry.Citizen) bool { return c.Get(registry.FieldSex) != "" })
	sex := registry.SexFemale
	if c.Get(registry.FieldSex) == registry.SexFemale {
		sex = registry.SexMale
	}
	put(c, registry.FieldSex, sex)
	in.defect(Defect{Rule: quality.RuleIDSex, Citizen: c.ID, What: "sex set to " + sex})
	return nil
}

func (in *injector) idCentury(h []*registry.Citizen) []*registry.Citizen {
	c := h[0]
	p, _ := registry.ParseID(c.ID)
	year := p.BirthYear + 100
	if p.BirthYear >= 2000 {
		year = p.BirthYear - 100
	}
	id := registry.MakeID(p.Province, year, p.Female, atoi(p.Serial))
	old := c.ID
	reID(c, id)
	in.defect(Defect{Rule: quality.RuleIDCentury, Citizen: id, What: "ID " + old + " given the century digit of " + itoa(year)})
	return nil
}

func (in *injector) yearShiftable(c *registry.Citizen) bool {
	b := c.BirthDate()
	return !b.IsZero() && b.Year <= in.ref.Year-2 && b.Year%100 != 0 && b.Year%100 != 99
}

func (in *injector) idBirthYear(h []*registry.Citizen) []*registry.Citizen {
	c := in.member(h, in.yearShiftable)
	b := c.BirthDate()
	b.Year++
	if b.Month == 2 && b.Day == 29 {
		b.Day = 28
	}
	put(c, registry.FieldBirthDate, b.String())
	in.defect(Defect{Rule: quality.RuleIDBirthYear, Citizen: c.ID, What: "birth year moved to " + itoa(b.Year)})
	return nil
}

func (in *injector) bornThisYear(c *registry.Citizen) bool {
	b := c.BirthDate()
	return b.Year == in.ref.Year && b.Day != 0 && in.ref.Month < 12
}

func (in *injector) birthFuture(h []*registry.Citizen) []*registry.Citizen {
	c := in.member(h, in.bornThisYear)
	d := registry.Date{Year: in.ref.Year, Month: in.r.between(in.ref.Month+1, 12), Day: in.r.between(1, 28)}
	put(c, registry.FieldBirthDate, d.String())
	in.defect(Defect{Rule: quality.RuleBirthFuture, Citizen: c.ID, What: "born " + d.String()})
	return nil
}

// parentAgeable: someone names a parent by ID and someone else in the
// household is younger than them or close to their age.
func (in *injector) parentAgeable(h []*registry.Citizen) bool {
	child, _ := in.youngParent(h)
	return child != nil
}

func (in *injector) youngParent(h []*registry.Citizen) (child, parent *registry.Citizen) {
	for _, c := range h {
		if c.Get(registry.FieldMotherID) == "" && c.Get(registry.FieldFatherID) == "" || c.BirthDate().IsZero() {
			continue
		}
		for _, y := range h {
			if y != c && !y.BirthDate().IsZero() && y.BirthDate().Year > c.BirthDate().Year-5 {
				return c, y
			}
		}
	}
	return nil, nil
}

func (in *injector) parentAge(h []*registry.Citizen) []*registry.Citizen {
	c, y := in.youngParent(h)
	f := registry.FieldMotherID
	if c.Get(f) == "" {
		f = registry.FieldFatherID
	}
	put(c, f, y.ID)
	in.defect(Defect{Rule: quality.RuleParentAge, Citizen: c.ID, What: f.String() + " set to " + y.ID + ", born " + y.Get(registry.FieldBirthDate)})
	return nil
}

func (in *injector) nonHeadAdult(c *registry.Citizen) bool {
	return alive(c) && !quality.IsHead(c) && in.age(c) >= 30 && c.BirthDate().Day != 0
}

func (in *injector) deathDate(h []*registry.Citizen) []*registry.Citizen {
	c := in.member(h, in.nonHeadAdult)
	b := c.BirthDate()
	d := dateOf(time.Date(b.Year, time.Month(b.Month), b.Day, 0, 0, 0, 0, time.UTC).AddDate(0, 0, -in.r.between(1, 365)))
	put(c, registry.FieldStatus, registry.StatusDeceased)
	put(c, registry.FieldDeathDate, d.String())
	put(c, registry.FieldHousehold, "")
	put(c, registry.FieldRelation, "")
	in.defect(Defect{Rule: quality.RuleDeathDate, Citizen: c.ID, What: "died " + d.String() + ", born " + b.String()})
	return nil
}

func (in *injector) addressUnit(h []*registry.Citizen) []*registry.Citizen {
	c := pick(in.r, h)
	addr := c.Get(registry.FieldPermanentAddress)
	detail := strings.TrimSuffix(addr, ", "+in.g.commune.Place())
	old := in.g.commune.Name + ", Tỉnh Hậu Giang"
	if len(in.g.commune.Former) > 0 {
		old = pick(in.r, in.g.commune.Former)
	}
	put(c, registry.FieldPermanentAddress, detail+", "+old)
	in.defect(Defect{Rule: quality.RuleAddressUnit, Citizen: c.ID, What: "permanent address written in former units: " + old})
	return nil
}

func (in *injector) required(h []*registry.Citizen) []*registry.Citizen {
	c := pick(in.r, h)
	f := pick(in.r, []registry.Field{registry.FieldPermanentAddress, registry.FieldSex, registry.FieldNationality})
	put(c, f, "")
	in.defect(Defect{Rule: quality.RuleRequired, Citizen: c.ID, What: f.String() + " cleared"})
	return nil
}

func (in *injector) noCard(h []*registry.Citizen) []*registry.Citizen {
	c := in.member(h, func(c *registry.Citizen) bool { return hasCard(c) && in.age(c) >= 17 })
	for _, f := range []registry.Field{registry.FieldCardNumber, registry.FieldCardIssued, registry.FieldCardExpiry} {
		put(c, f, "")
	}
	in.defect(Defect{Rule: quality.RuleNoCard, Citizen: c.ID, What: "card cleared"})
	// Without the card nothing but the birth, decades ago, confirms them.
	in.defect(Defect{Rule: quality.RuleUnconfirmed, Citizen: c.ID, What: "card cleared: confirmed last by the birth registration"})
	return nil
}

func (in *injector) householdHead(h []*registry.Citizen) []*registry.Citizen {
	put(h[0], registry.FieldRelation, "Người thân")
	low := h[0].ID
	for _, c := range h {
		if alive(c) && c.ID < low {
			low = c.ID
		}
	}
	in.defect(Defect{Rule: quality.RuleHouseholdHead, Citizen: low, Household: h[0].Get(registry.FieldHousehold),
		What: "head " + h[0].ID + " written as a relative"})
	return nil
}

func (in *injector) unconfirmed(h []*registry.Citizen) []*registry.Citizen {
	c := in.member(h, func(c *registry.Citizen) bool { return hasCard(c) && in.age(c) >= 45 })
	d := dateOf(in.refTime.AddDate(-in.r.between(16, 25), -in.r.between(0, 11), 0))
	put(c, registry.FieldCardIssued, d.String())
	put(c, registry.FieldCardExpiry, "")
	in.defect(Defect{Rule: quality.RuleUnconfirmed, Citizen: c.ID, What: "card issued " + d.String() + ", nothing since"})
	return nil
}

func (in *injector) temporaryEnd(h []*registry.Citizen) []*registry.Citizen {
	c := in.member(h, func(c *registry.Citizen) bool { return in.age(c) >= 18 && in.age(c) <= 60 })
	if c.Get(registry.FieldTemporaryAddress) == "" {
		addr := in.side.houseNumber() + " Đường số 5, " + pick(in.r, temporaryPlaces)
		put(c, registry.FieldTemporaryAddress, addr)
		put(c, registry.FieldCurrentAddress, addr)
	}
	end := dateOf(in.refTime.AddDate(0, 0, -in.r.between(1, 300)))
	put(c, registry.FieldTemporaryUntil, end.String())
	in.defect(Defect{Rule: quality.RuleTemporaryEnd, Citizen: c.ID, What: "temporary residence ended " + end.String()})
	return nil
}

func (in *injector) over120(h []*registry.Citizen) []*registry.Citizen {
	c := h[0]
	p, _ := registry.ParseID(c.ID)
	year := in.ref.Year - 122 - in.r.intn(5)
	b := c.BirthDate()
	d := registry.Date{Year: year, Month: max(b.Month, 1), Day: max(b.Day, 1)}
	if d.Month == 2 && d.Day == 29 {
		d.Day = 28
	}
	reID(c, in.nextID(p.Province, year, p.Female))
	put(c, registry.FieldBirthDate, d.String())
	in.defect(Defect{Rule: quality.RuleOver120, Citizen: c.ID, What: "born " + d.String() + ", alive"})
	return nil
}

func (in *injector) deadInHousehold(h []*registry.Citizen) []*registry.Citizen {
	c := in.member(h, in.nonHeadAdult)
	d := dateOf(in.refTime.AddDate(0, 0, -in.r.between(90, 1000)))
	put(c, registry.FieldStatus, registry.StatusDeceased)
	put(c, registry.FieldDeathDate, d.String())
	in.defect(Defect{Rule: quality.RuleDeadInHousehold, Citizen: c.ID, What: "died " + d.String() + ", still in household " + c.Get(registry.FieldHousehold)})
	return nil
}

// readFields are what a read reports of the card: the fields every card
// states.
var readFields = []registry.Field{registry.FieldFullName, registry.FieldBirthDate, registry.FieldSex, registry.FieldPermanentAddress}

func (in *injector) read(c *registry.Citizen) Read {
	r := Read{Citizen: c.ID, Assurance: "chip-verified", Date: dateOf(in.refTime.AddDate(0, 0, -in.r.between(1, 30))),
		Fields: map[registry.Field]string{}}
	for _, f := range readFields {
		if v := c.Get(f); v != "" {
			r.Fields[f] = v
		}
	}
	// Cards print names in capitals: no difference.
	if v, ok := r.Fields[registry.FieldFullName]; ok {
		r.Fields[registry.FieldFullName] = strings.ToUpper(v)
	}
	return r
}

func (in *injector) chipMismatch(h []*registry.Citizen) []*registry.Citizen {
	c := in.member(h, func(c *registry.Citizen) bool { return hasCard(c) && c.BirthDate().Day != 0 })
	r := in.read(c)
	f := pick(in.r, []registry.Field{registry.FieldFullName, registry.FieldBirthDate, registry.FieldPermanentAddress})
	switch f {
	case registry.FieldFullName:
		r.Fields[f] = in.typo(c.Get(f))
	case registry.FieldBirthDate:
		b := c.BirthDate()
		r.Fields[f] = dateOf(time.Date(b.Year, time.Month(b.Month), b.Day, 0, 0, 0, 0, time.UTC).AddDate(0, 0, 1)).String()
	case registry.FieldPermanentAddress:
		r.Fields[f] = "Số " + itoa(in.r.between(451, 999)) + ", " + in.g.commune.Place()
	}
	in.truth.Reads = append(in.truth.Reads, r)
	in.defect(Defect{Rule: quality.RuleChipMismatch, Citizen: c.ID, Field: f, What: "card states " + f.String() + " «" + r.Fields[f] + "»"})
	return nil
}

func (in *injector) agreeingRead(h []*registry.Citizen) []*registry.Citizen {
	in.truth.Reads = append(in.truth.Reads, in.read(in.member(h, hasCard)))
	return nil
}

// duplicate registers a member a second time, as data entry does: a new
// ID, the name with a typo, without diacritics or with the given name
// first, sometimes the date of birth written otherwise, the parents by
// name, in a household of their own.
func (in *injector) duplicate(h []*registry.Citizen) []*registry.Citizen {
	o := in.member(h, func(c *registry.Citizen) bool { return c.Get(registry.FieldBirthDate) != "" })
	d := &registry.Citizen{}
	for f := registry.Field(1); int(f) < registry.NumFields; f++ {
		if v := o.Values[f]; v != "" {
			put(d, f, v)
		}
	}
	p, _ := registry.ParseID(o.ID)
	d.ID = in.nextID(p.Province, p.BirthYear, p.Female)
	if hasCard(o) {
		put(d, registry.FieldCardNumber, d.ID)
	}
	name := o.Get(registry.FieldFullName)
	var how string
	switch in.r.intn(4) {
	case 0:
		name, how = in.typo(name), "a typo"
	case 1:
		name, how = stripMarks(name), "no diacritics"
	case 2:
		w := strings.Fields(name)
		name, how = strings.Join(append(w[len(w)-1:], w[:len(w)-1]...), " "), "given name first"
	default:
		name, how = stripMarks(in.typo(name)), "a typo, no diacritics"
	}
	put(d, registry.FieldFullName, name)
	b := o.BirthDate()
	switch x := in.r.float(); {
	case x < 0.10 && b.Day != 0 && b.Day <= 12 && b.Day != b.Month && (b.Year < in.ref.Year || b.Day <= in.ref.Month):
		b.Month, b.Day = b.Day, b.Month
		how += ", day and month swapped"
	case x >= 0.10 && x < 0.15:
		b = registry.Date{Year: b.Year}
		how += ", birth year only"
	}
	put(d, registry.FieldBirthDate, b.String())
	for _, f := range []registry.Field{registry.FieldMotherName, registry.FieldFatherName} {
		if v := d.Get(f); v != "" {
			switch x := in.r.float(); {
			case x < 0.2:
				put(d, f, stripMarks(v))
			case x < 0.3:
				put(d, f, in.typo(v))
			}
		}
	}
	for _, f := range []registry.Field{registry.FieldMotherID, registry.FieldFatherID, registry.FieldOldID} {
		if in.r.chance(0.5) {
			put(d, f, "")
		}
	}
	for _, f := range []registry.Field{registry.FieldSpouseID, registry.FieldSpouseName, registry.FieldTemporaryAddress, registry.FieldTemporaryUntil} {
		put(d, f, "")
	}
	in.dups++
	put(d, registry.FieldHousehold, fmt.Sprintf("HK%s-D%05d", in.g.commune.Code, in.dups))
	put(d, registry.FieldRelation, relHead)
	if in.r.chance(0.5) {
		addr := in.side.address()
		put(d, registry.FieldPermanentAddress, addr)
		put(d, registry.FieldCurrentAddress, addr)
	} else {
		put(d, registry.FieldCurrentAddress, d.Get(registry.FieldPermanentAddress))
	}
	in.defect(Defect{Rule: quality.RuleDuplicate, Citizen: o.ID, Other: d.ID, What: "registered again as «" + name + "» (" + how + ")"})
	return []*registry.Citizen{d}
}

// typo makes one keying mistake in a letter of a name: a letter replaced,
// dropped, doubled, or swapped with the next.
func (in *injector) typo(s string) string {
	rs := []rune(norm.NFC.String(s))
	var letters []int
	for i, r := range rs {
		if unicode.IsLetter(r) {
			letters = append(letters, i)
		}
	}
	if len(letters) == 0 {
		return s
	}
	i := pick(in.r, letters)
	switch in.r.intn(4) {
	case 0:
		rs[i] = in.otherLetter(rs[i])
	case 1:
		if len(letters) > 2 {
			rs = append(rs[:i], rs[i+1:]...)
			break
		}
		fallthrough
	case 2:
		rs = append(rs[:i+1], rs[i:]...)
	default:
		if i+1 < len(rs) && unicode.IsLetter(rs[i+1]) && rs[i+1] != rs[i] {
			rs[i], rs[i+1] = rs[i+1], rs[i]
		} else {
			rs[i] = in.otherLetter(rs[i])
		}
	}
	return norm.NFC.String(string(rs))
}

// otherLetter is a letter a finger slips to, never r itself (nor r
// without its marks).
func (in *injector) otherLetter(r rune) rune {
	for {
		if x := rune(pick(in.r, []byte("aeiounhtcgm"))); x != unicode.ToLower(r) && stripMarks(string(unicode.ToLower(r))) != string(x) {
			return x
		}
	}
}

// stripMarks writes a name without diacritics, keeping its capitals, as
// keyboards without Vietnamese input do.
func stripMarks(s string) string {
	var b strings.Builder
	for _, r := range norm.NFD.String(s) {
		switch {
		case unicode.Is(unicode.Mn, r):
		case r == 'đ':
			b.WriteRune('d')
		case r == 'Đ':
			b.WriteRune('D')
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

func itoa(n int) string { return fmt.Sprint(n) }

func atoi(s string) int {
	n := 0
	for _, c := range s {
		n = n*10 + int(c-'0')
	}
	return n
}
