package quality

import (
	"strings"
	"time"

	"github.com/xanode/xanode/node/registry"
)

// Records is what the record rules read besides the record itself. The
// city's state machine implements it over its state, the benchmark over a
// population in memory. Implementations must be deterministic.
type Records interface {
	// Citizen returns the record of id, or nil when there is none.
	Citizen(id string) *registry.Citizen
	// Confirmed returns the day of the citizen's last confirmation known
	// besides the record: a chip read or a procedure at an office. The
	// zero Date when none is known.
	Confirmed(id string) registry.Date
}

// checkBirthFuture: a date of birth certainly after the reference date.
func checkBirthFuture(c *registry.Citizen, asOf registry.Date) *Finding {
	b := dateValue(c, registry.FieldBirthDate)
	if b.IsZero() || !earliest(b).After(day(asOf)) {
		return nil
	}
	return &Finding{Rule: RuleBirthFuture, Citizen: c.ID, Fields: []registry.Field{registry.FieldBirthDate},
		Evidence: say("birth_future", "birth_date", b.String(), "as_of_date", asOf.String())}
}

// checkDeathDate: a date of death certainly before the birth or after the
// reference date.
func checkDeathDate(c *registry.Citizen, asOf registry.Date) *Finding {
	d := dateValue(c, registry.FieldDeathDate)
	if d.IsZero() {
		return nil
	}
	b := dateValue(c, registry.FieldBirthDate)
	var why Evidence
	switch {
	case !b.IsZero() && latest(d).Before(earliest(b)):
		why = say("death_before_birth", "death_date", d.String(), "birth_date", b.String())
	case earliest(d).After(day(asOf)):
		why = say("death_future", "death_date", d.String(), "as_of_date", asOf.String())
	default:
		return nil
	}
	return &Finding{Rule: RuleDeathDate, Citizen: c.ID, Fields: []registry.Field{registry.FieldDeathDate}, Evidence: why}
}

// checkParentAge: each parent the record names by ID, when the registry
// holds them, must be older than the child by a sane margin (in birth
// years: MinParentGap up to MaxMotherGap or MaxFatherGap), and not the
// child itself.
func checkParentAge(cfg *Config, c *registry.Citizen, recs Records) *Finding {
	b := dateValue(c, registry.FieldBirthDate)
	var fields []registry.Field
	var why Evidence
	for _, p := range []struct {
		field registry.Field
		name  string
		most  int
	}{{registry.FieldFatherID, "father", cfg.MaxFatherGap}, {registry.FieldMotherID, "mother", cfg.MaxMotherGap}} {
		id := c.Get(p.field)
		if id == "" {
			continue
		}
		if id == c.ID {
			fields, why = append(fields, p.field), append(why, statement("parent_self", "parent", p.name))
			continue
		}
		if b.IsZero() || recs == nil {
			continue
		}
		parent := recs.Citizen(id)
		if parent == nil {
			continue
		}
		pb := dateValue(parent, registry.FieldBirthDate)
		if pb.IsZero() {
			continue
		}
		if gap := b.Year - pb.Year; gap < cfg.MinParentGap || gap > p.most {
			fields = append(fields, p.field)
			why = append(why, statement("parent_age", "parent", p.name, "id", id, "parent_birth_date", pb.String(), "gap", itoa(gap),
				"birth_date", b.String()))
		}
	}
	if len(fields) == 0 {
		return nil
	}
	return &Finding{Rule: RuleParentAge, Citizen: c.ID, Fields: fields, Evidence: why}
}

// addressFields are the addresses that must name units in force: where
// the citizen lives. Hometown and place of birth registration describe
// the past and may keep the units of their time.
var addressFields = []registry.Field{registry.FieldPermanentAddress, registry.FieldTemporaryAddress, registry.FieldCurrentAddress}

// checkAddresses: every address where the citizen lives names units in
// force (Units.CheckAddress); one finding lists each address that does not.
func checkAddresses(cfg *Config, c *registry.Citizen) *Finding {
	var fields []registry.Field
	var why Evidence
	for _, f := range addressFields {
		if s, bad := cfg.Units.addressProblem(c.Get(f)); bad {
			fields = append(fields, f)
			s.Args["field"], s.Args["address"] = f.String(), c.Get(f)
			why = append(why, s)
		}
	}
	if len(fields) == 0 {
		return nil
	}
	return &Finding{Rule: RuleAddressUnit, Citizen: c.ID, Fields: fields, Evidence: why}
}

// requiredAlways are the fields every record needs; a living citizen also
// needs a permanent address, a deceased one the date of death, and a
// household member their relation to its head.
var requiredAlways = []registry.Field{registry.FieldFullName, registry.FieldBirthDate, registry.FieldSex,
	registry.FieldNationality, registry.FieldCommune}

// checkRequired: the fields the record's status requires are present.
func checkRequired(c *registry.Citizen) *Finding {
	var missing []registry.Field
	need := func(f registry.Field) {
		if c.Get(f) == "" {
			missing = append(missing, f)
		}
	}
	for _, f := range requiredAlways {
		need(f)
	}
	if c.Deceased() {
		need(registry.FieldDeathDate)
	} else {
		need(registry.FieldPermanentAddress)
	}
	if c.Get(registry.FieldHousehold) != "" {
		need(registry.FieldRelation)
	}
	if len(missing) == 0 {
		return nil
	}
	sortFields(missing)
	names := make([]string, len(missing))
	for i, f := range missing {
		names[i] = f.String()
	}
	status := "alive"
	if c.Deceased() {
		status = "deceased"
	}
	return &Finding{Rule: RuleRequired, Citizen: c.ID, Fields: missing, Evidence: say("required", "status", status, "fields", strings.Join(names, ", "))}
}

// vietnamese reports whether the record's nationality is Vietnamese (or
// unknown): only citizens get the card.
func vietnamese(c *registry.Citizen) bool {
	n := fold(c.Get(registry.FieldNationality))
	return n == "" || n == "viet nam" || n == "vietnam"
}

// checkNoCard: a living Vietnamese citizen certainly of card age without a
// card number.
func checkNoCard(cfg *Config, c *registry.Citizen, asOf registry.Date) *Finding {
	b := dateValue(c, registry.FieldBirthDate)
	if c.Deceased() || b.IsZero() || c.Get(registry.FieldCardNumber) != "" || !vietnamese(c) {
		return nil
	}
	age := minAge(b, asOf)
	if age < cfg.CardAge {
		return nil
	}
	return &Finding{Rule: RuleNoCard, Citizen: c.ID, Fields: []registry.Field{registry.FieldCardNumber},
		Evidence: say("no_card", "age", itoa(age))}
}

// lastConfirmed is the latest day anything confirmed the citizen in
// person: the birth registration, the card's issue, or what the caller
// knows (a chip read, a procedure). The zero time when nothing did.
func lastConfirmed(c *registry.Citizen, seen registry.Date) time.Time {
	var last time.Time
	for _, d := range []registry.Date{dateValue(c, registry.FieldBirthDate), dateValue(c, registry.FieldCardIssued), seen} {
		if !d.IsZero() && latest(d).After(last) {
			last = latest(d)
		}
	}
	return last
}

// checkUnconfirmed: a living citizen whom nothing confirmed for
// StaleYears.
func checkUnconfirmed(cfg *Config, c *registry.Citizen, asOf, seen registry.Date) *Finding {
	if c.Deceased() {
		return nil
	}
	last := lastConfirmed(c, seen)
	if last.IsZero() || years(last, day(asOf)) < cfg.StaleYears {
		return nil
	}
	return &Finding{Rule: RuleUnconfirmed, Citizen: c.ID, Fields: []registry.Field{registry.FieldCardIssued},
		Evidence: say("unconfirmed", "last_date", last.Format(time.DateOnly), "years", itoa(years(last, day(asOf))), "as_of_date", asOf.String())}
}

// checkTemporaryEnd: a temporary residence still on record after its end.
func checkTemporaryEnd(c *registry.Citizen, asOf registry.Date) *Finding {
	end := dateValue(c, registry.FieldTemporaryUntil)
	if c.Deceased() || c.Get(registry.FieldTemporaryAddress) == "" || end.IsZero() || !latest(end).Before(day(asOf)) {
		return nil
	}
	return &Finding{Rule: RuleTemporaryEnd, Citizen: c.ID,
		Fields:   []registry.Field{registry.FieldTemporaryAddress, registry.FieldTemporaryUntil},
		Evidence: say("temporary_expired", "end_date", end.String(), "as_of_date", asOf.String())}
}

// checkOver120: alive and certainly older than MaxAge.
func checkOver120(cfg *Config, c *registry.Citizen, asOf registry.Date) *Finding {
	b := dateValue(c, registry.FieldBirthDate)
	if c.Deceased() || b.IsZero() || minAge(b, asOf) <= cfg.MaxAge {
		return nil
	}
	return &Finding{Rule: RuleOver120, Citizen: c.ID, Fields: []registry.Field{registry.FieldBirthDate, registry.FieldStatus},
		Evidence: say("over_120", "age", itoa(minAge(b, asOf)), "as_of_date", asOf.String())}
}

// checkDeadInHousehold: deceased, and still a household member more than
// DeathGraceDays after the death (or with no date of death at all).
func checkDeadInHousehold(cfg *Config, c *registry.Citizen, asOf registry.Date) *Finding {
	hh := c.Get(registry.FieldHousehold)
	if !c.Deceased() || hh == "" {
		return nil
	}
	d := dateValue(c, registry.FieldDeathDate)
	if !d.IsZero() && !latest(d).AddDate(0, 0, cfg.DeathGraceDays).Before(day(asOf)) {
		return nil
	}
	return &Finding{Rule: RuleDeadInHousehold, Citizen: c.ID, Fields: []registry.Field{registry.FieldHousehold, registry.FieldStatus},
		Evidence: say("dead_in_household", "death_date", d.String(), "household", hh)}
}

func sortFields(fs []registry.Field) {
	for i := 1; i < len(fs); i++ {
		for j := i; j > 0 && fs[j] < fs[j-1]; j-- {
			fs[j], fs[j-1] = fs[j-1], fs[j]
		}
	}
}
