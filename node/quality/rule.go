package quality

import (
	"errors"
	"fmt"
	"strings"

	"github.com/xanode/xanode/node/registry"
)

// Rule names one data-quality rule. The string is its stable wire name:
// findings are stored and counted under it.
type Rule string

// The rules (DESIGN.md, "Data quality", which has their table).
const (
	// correct: the record says something that cannot be right.
	RuleIDProvince      Rule = "id_province"       // ID's province code against the place of birth registration
	RuleIDSex           Rule = "id_sex"            // ID's century/sex digit against the sex
	RuleIDCentury       Rule = "id_century"        // ID's century/sex digit against the birth year's century
	RuleIDBirthYear     Rule = "id_birth_year"     // ID's two year digits against the birth year
	RuleBirthFuture     Rule = "birth_future"      // born after the reference date
	RuleParentAge       Rule = "parent_age"        // a parent not old enough, or too old, to be one
	RuleDeathDate       Rule = "death_date"        // death before birth or in the future
	RuleChipMismatch    Rule = "chip_mismatch"     // a chip read at the desk says otherwise
	RuleAddressUnit     Rule = "address_unit"      // an address names units not in force
	RuleRequired        Rule = "required"          // required fields missing for the status
	RuleNoCard          Rule = "no_card"           // of card age without a card number
	RuleHouseholdHead   Rule = "household_head"    // a household without exactly one living head
	RuleDuplicate       Rule = "duplicate"         // two records likely of one person
	RuleUnconfirmed     Rule = "unconfirmed"       // nothing confirmed the person for years
	RuleTemporaryEnd    Rule = "temporary_expired" // temporary residence past its end, still on record
	RuleOver120         Rule = "over_120"          // alive at more than 120
	RuleDeadInHousehold Rule = "dead_in_household" // deceased, still a household member
)

// Category groups the rules as the programme states its aims.
type Category string

// The categories.
const (
	Correct    Category = "correct"    // đúng
	Sufficient Category = "sufficient" // đủ
	Clean      Category = "clean"      // sạch
	Alive      Category = "alive"      // sống
)

// RuleInfo describes a rule for tables, figures and the UI.
type RuleInfo struct {
	Rule     Rule
	Category Category
	// Exact rules decide from the record alone, so a finding is certain;
	// the duplicate rule scores a likeness and needs a person's judgement.
	Exact bool
	What  string // one line, English, for operators and the design table
}

var rules = []RuleInfo{
	{RuleIDProvince, Correct, true, "the ID's province code is not the province of the place of birth registration"},
	{RuleIDSex, Correct, true, "the ID's century/sex digit encodes the other sex"},
	{RuleIDCentury, Correct, true, "the ID's century/sex digit encodes another century than the birth year's"},
	{RuleIDBirthYear, Correct, true, "the ID's two year digits are not the birth year's"},
	{RuleBirthFuture, Correct, true, "the date of birth is after the reference date"},
	{RuleParentAge, Correct, true, "a parent's record is younger than the margin allows, or implausibly old"},
	{RuleDeathDate, Correct, true, "the date of death is before the birth or after the reference date"},
	{RuleChipMismatch, Correct, true, "a chip read at the desk differs from the record, field by field"},
	{RuleAddressUnit, Correct, true, "a permanent, temporary or current address does not name units in force"},
	{RuleRequired, Sufficient, true, "a field required for the record's status is missing"},
	{RuleNoCard, Sufficient, true, "a living citizen of card age has no card number"},
	{RuleHouseholdHead, Sufficient, true, "a household has no living head, or more than one"},
	{RuleDuplicate, Clean, false, "two records are likely the same person"},
	{RuleUnconfirmed, Alive, true, "no chip read, card or procedure confirmed the person for years"},
	{RuleTemporaryEnd, Alive, true, "a temporary residence is past its end date and still on record"},
	{RuleOver120, Alive, true, "the record is alive at more than 120 years of age"},
	{RuleDeadInHousehold, Alive, true, "a deceased citizen is still a household member well after the death"},
}

// Rules lists every rule, in a fixed order (categories, then rules): the
// order of tables and figures. The slice is shared: do not modify it.
func Rules() []RuleInfo { return rules }

// Info returns the description of r; false for an unknown rule.
func Info(r Rule) (RuleInfo, bool) {
	for _, i := range rules {
		if i.Rule == r {
			return i, true
		}
	}
	return RuleInfo{}, false
}

// Finding is one rule's statement about one subject: a citizen, a
// household or a pair of records. Key names the subject for the rule, so
// that checking again finds the same finding rather than a new one.
type Finding struct {
	Rule      Rule
	Citizen   string           // the record it is about (of a pair, the lower ID; of a household, its lowest member)
	Other     string           // RuleDuplicate: the other record of the pair
	Household string           // RuleHouseholdHead: the household
	Fields    []registry.Field // the fields concerned, ascending
	Evidence  Evidence         // what was found, naming values (English renders it in English)
	Score     int              // RuleDuplicate: the likeness in thousandths
	Assurance string           // RuleChipMismatch: the read's assurance level
}

// Key identifies the finding's subject for its rule: "rule|citizen",
// "rule|citizen|field" for a chip difference (one finding per field),
// "rule|household" and "rule|citizen|other" for a pair.
func (f *Finding) Key() string {
	switch f.Rule {
	case RuleHouseholdHead:
		return string(f.Rule) + "|" + f.Household
	case RuleDuplicate:
		return string(f.Rule) + "|" + f.Citizen + "|" + f.Other
	case RuleChipMismatch:
		if len(f.Fields) == 1 {
			return string(f.Rule) + "|" + f.Citizen + "|" + f.Fields[0].String()
		}
	}
	return string(f.Rule) + "|" + f.Citizen
}

// KeyRule returns the rule a Key names.
func KeyRule(key string) Rule {
	r, _, _ := strings.Cut(key, "|")
	return Rule(r)
}

// Config holds the rules' thresholds. The city's state machine runs them:
// every replica must use the same Config, like fsm.Config.
type Config struct {
	// CardAge is the age from which a living citizen must hold a card: the
	// law's 14, plus a year to apply for it.
	CardAge int
	// StaleYears: a living citizen whose last confirmation (birth
	// registration, card issue, a chip read or procedure at an office) is
	// this many years old is stale.
	StaleYears int
	// MaxAge: alive at more than this is a finding.
	MaxAge int
	// DeathGraceDays: a deceased citizen may stay a household member this
	// long after the death while the family deregisters them.
	DeathGraceDays int
	// MinParentGap, MaxMotherGap, MaxFatherGap bound a parent's age at the
	// child's birth, in years of birth.
	MinParentGap, MaxMotherGap, MaxFatherGap int
	// DuplicateScore is the least likeness, in thousandths, that makes a
	// pair a duplicate candidate.
	DuplicateScore int
	// MaxBlock bounds how many records of one block a record is compared
	// with: a block that large is a common name, not a lead.
	MaxBlock int
	// Units are the administrative units addresses may name; nil means
	// the 34 provinces in force and the shape of an address only.
	Units *Units
}

// DefaultConfig gives the thresholds of DESIGN.md, "Data quality".
func DefaultConfig() Config {
	return Config{
		CardAge:        15,
		StaleYears:     15,
		MaxAge:         120,
		DeathGraceDays: 60,
		MinParentGap:   12,
		MaxMotherGap:   60,
		MaxFatherGap:   80,
		DuplicateScore: 850,
		MaxBlock:       200,
	}
}

// ErrConfig is returned by Validate.
var ErrConfig = errors.New("quality: invalid configuration")

// Validate checks ranges and prepares Units for lookups; call it once
// before the Config is used (Checker does).
func (c *Config) Validate() error {
	switch {
	case c.CardAge < 14 || c.CardAge > 30:
		return fmt.Errorf("%w: card age %d must be 14..30", ErrConfig, c.CardAge)
	case c.StaleYears < 1 || c.StaleYears > 100:
		return fmt.Errorf("%w: stale years %d must be 1..100", ErrConfig, c.StaleYears)
	case c.MaxAge < 100 || c.MaxAge > 150:
		return fmt.Errorf("%w: max age %d must be 100..150", ErrConfig, c.MaxAge)
	case c.DeathGraceDays < 0 || c.DeathGraceDays > 3650:
		return fmt.Errorf("%w: death grace %d days must be 0..3650", ErrConfig, c.DeathGraceDays)
	case c.MinParentGap < 8 || c.MaxMotherGap <= c.MinParentGap || c.MaxFatherGap <= c.MinParentGap:
		return fmt.Errorf("%w: parent gaps %d, %d, %d", ErrConfig, c.MinParentGap, c.MaxMotherGap, c.MaxFatherGap)
	case c.DuplicateScore < 850 || c.DuplicateScore > 1000:
		// Below 850 a pair whose names do not match (200 at most for the
		// name) could score as a duplicate, and NamesMayMatch would be no
		// safe filter.
		return fmt.Errorf("%w: duplicate score %d must be 850..1000 thousandths", ErrConfig, c.DuplicateScore)
	case c.MaxBlock < 2:
		return fmt.Errorf("%w: max block %d must be at least 2", ErrConfig, c.MaxBlock)
	}
	if c.Units == nil {
		c.Units = &Units{}
	}
	c.Units.compile()
	return nil
}
