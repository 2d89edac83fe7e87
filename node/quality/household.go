package quality

import (
	"sort"
	"strings"

	"github.com/xanode/xanode/node/registry"
)

// RelationHead is how a household register writes its head's relation.
const RelationHead = "Chủ hộ"

// IsHead reports whether the record's relation to its household's head
// is "Chủ hộ" (in any case, with or without diacritics).
func IsHead(c *registry.Citizen) bool {
	return fold(c.Get(registry.FieldRelation)) == "chu ho"
}

// checkHousehold: the living members of a household (the records whose
// household field is code; others are ignored) must include exactly one
// head. A household with no living member is dissolved, not a finding.
// The finding is about the household; its Citizen is the lowest ID among
// the living members, for the commune and the drill-down.
func checkHousehold(code string, members []*registry.Citizen) *Finding {
	var living, heads []string
	for _, m := range members {
		if m.Get(registry.FieldHousehold) != code || m.Deceased() || m.Merged() {
			continue
		}
		living = append(living, m.ID)
		if IsHead(m) {
			heads = append(heads, m.ID)
		}
	}
	if len(living) == 0 || len(heads) == 1 {
		return nil
	}
	sort.Strings(living)
	sort.Strings(heads)
	why := say("household_no_head", "household", code, "members", itoa(len(living)))
	if len(heads) > 1 {
		why = say("household_heads", "household", code, "count", itoa(len(heads)), "heads", strings.Join(heads, ", "))
	}
	return &Finding{Rule: RuleHouseholdHead, Citizen: living[0], Household: code,
		Fields: []registry.Field{registry.FieldRelation}, Evidence: why}
}
