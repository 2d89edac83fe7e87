package quality

import (
	"sort"

	"github.com/xanode/xanode/node/registry"
)

// Checker runs the rules with one Config. It holds no state of its own
// beyond the Config, so one Checker may serve concurrent callers.
type Checker struct{ cfg Config }

// NewChecker validates cfg and returns a Checker for it.
func NewChecker(cfg Config) (*Checker, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return &Checker{cfg: cfg}, nil
}

// Config returns the thresholds the Checker runs with.
func (k *Checker) Config() Config { return k.cfg }

// RecordRules are the rules Record runs: those decided by one record, the
// records it names and the date. TimeRules are those among them whose
// answer may change with the date alone, which a periodic sweep re-checks.
var (
	RecordRules = []Rule{RuleIDProvince, RuleIDSex, RuleIDCentury, RuleIDBirthYear, RuleBirthFuture, RuleParentAge,
		RuleDeathDate, RuleAddressUnit, RuleRequired, RuleNoCard, RuleUnconfirmed, RuleTemporaryEnd, RuleOver120,
		RuleDeadInHousehold}
	TimeRules = []Rule{RuleBirthFuture, RuleDeathDate, RuleNoCard, RuleUnconfirmed, RuleTemporaryEnd, RuleOver120,
		RuleDeadInHousehold}
)

// Record runs every record rule on c as of the date asOf, reading parents
// and the last confirmation from recs (which may be nil: then the parent
// rule sees no parent). The findings come in RecordRules order. A retired
// duplicate (merged into another record) has none: the record it was
// merged into answers for the person.
func (k *Checker) Record(c *registry.Citizen, asOf registry.Date, recs Records) []Finding {
	if c.Merged() {
		return nil
	}
	var seen registry.Date
	if recs != nil {
		seen = recs.Confirmed(c.ID)
	}
	cfg := &k.cfg
	var out []Finding
	for _, f := range []*Finding{
		checkIDProvince(c), checkIDSex(c), checkIDCentury(c), checkIDBirthYear(c),
		checkBirthFuture(c, asOf), checkParentAge(cfg, c, recs), checkDeathDate(c, asOf),
		checkAddresses(cfg, c), checkRequired(c), checkNoCard(cfg, c, asOf),
		checkUnconfirmed(cfg, c, asOf, seen), checkTemporaryEnd(c, asOf), checkOver120(cfg, c, asOf),
		checkDeadInHousehold(cfg, c, asOf),
	} {
		if f != nil {
			f.Citizen = c.ID
			out = append(out, *f)
		}
	}
	return out
}

// Household runs the household rule on the records that name code as
// their household.
func (k *Checker) Household(code string, members []*registry.Citizen) *Finding {
	return checkHousehold(code, members)
}

// Pair runs the duplicate rule on two records.
func (k *Checker) Pair(a, b *registry.Citizen) *Finding { return checkPair(&k.cfg, a, b) }

// Read compares a chip read with the record.
func (k *Checker) Read(rec *registry.Citizen, r Read) []Finding {
	if rec.Merged() {
		return nil
	}
	return checkRead(rec, r)
}

// Candidates returns the records to compare c with: every record sharing
// a block key with c, as block(key, limit) lists at most limit of their
// IDs, c's own included, without c and without repeats, in ID order. A
// block of more than MaxBlock records is skipped: so common a name and
// date is no lead.
func (k *Checker) Candidates(c *registry.Citizen, block func(key string, limit int) []string) []string {
	seen := map[string]bool{c.ID: true}
	var out []string
	for _, key := range BlockKeys(c) {
		ids := block(key, k.cfg.MaxBlock+1)
		if len(ids) > k.cfg.MaxBlock {
			continue
		}
		for _, id := range ids {
			if !seen[id] {
				seen[id] = true
				out = append(out, id)
			}
		}
	}
	sort.Strings(out)
	return out
}
