package quality

import (
	"github.com/xanode/xanode/node/registry"
)

// The personal ID encodes the province of birth registration, the century
// and sex, and the birth year's last two digits (DESIGN.md, "Domain
// model"). Each rule below checks one part against the record; a
// provisional ID (a birth not committed yet) and an unset field are not
// findings of these rules.

func parsedID(c *registry.Citizen) (registry.PersonalID, bool) {
	p, err := registry.ParseID(c.ID)
	return p, err == nil
}

// checkIDProvince: the ID's province code against the province of the
// place of birth registration. Both are read as provinces in force, so a
// place written before the reform ("Tỉnh Hậu Giang") agrees with its code
// (093) as one written since ("TP Cần Thơ") does. An unknown code or a
// place that names no province says nothing.
func checkIDProvince(c *registry.Citizen) *Finding {
	p, ok := parsedID(c)
	if !ok {
		return nil
	}
	code, known := provinceCodes[p.Province]
	place := c.Get(registry.FieldBirthPlace)
	got := provinceOf(place)
	if !known || got == "" || got == code.now {
		return nil
	}
	return &Finding{Rule: RuleIDProvince, Citizen: c.ID, Fields: []registry.Field{registry.FieldBirthPlace},
		Evidence: say("id_province", "code", p.Province, "then", code.then, "now", code.now, "place", place, "province", got)}
}

// checkIDSex: the century/sex digit's parity against the sex.
func checkIDSex(c *registry.Citizen) *Finding {
	p, ok := parsedID(c)
	sex := c.Get(registry.FieldSex)
	if !ok || (sex != registry.SexMale && sex != registry.SexFemale) || p.Female == (sex == registry.SexFemale) {
		return nil
	}
	return &Finding{Rule: RuleIDSex, Citizen: c.ID, Fields: []registry.Field{registry.FieldSex},
		Evidence: say("id_sex", "digit", c.ID[3:4], "id_sex", sexCode(p.Female), "sex", sex)}
}

func sexCode(female bool) string {
	if female {
		return registry.SexFemale
	}
	return registry.SexMale
}

// checkIDCentury: the century/sex digit's century against the birth year.
func checkIDCentury(c *registry.Citizen) *Finding {
	p, ok := parsedID(c)
	b := dateValue(c, registry.FieldBirthDate)
	if !ok || b.IsZero() || p.BirthYear/100 == b.Year/100 {
		return nil
	}
	return &Finding{Rule: RuleIDCentury, Citizen: c.ID, Fields: []registry.Field{registry.FieldBirthDate},
		Evidence: say("id_century", "digit", c.ID[3:4], "from", itoa(p.BirthYear/100*100), "to", itoa(p.BirthYear/100*100+99), "birth_date", b.String())}
}

// checkIDBirthYear: the ID's two year digits against the birth year's.
func checkIDBirthYear(c *registry.Citizen) *Finding {
	p, ok := parsedID(c)
	b := dateValue(c, registry.FieldBirthDate)
	if !ok || b.IsZero() || p.BirthYear%100 == b.Year%100 {
		return nil
	}
	return &Finding{Rule: RuleIDBirthYear, Citizen: c.ID, Fields: []registry.Field{registry.FieldBirthDate},
		Evidence: say("id_birth_year", "digits", c.ID[4:6], "birth_date", b.String())}
}
