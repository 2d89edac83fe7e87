package edge

import (
	"strings"

	"golang.org/x/text/unicode/norm"

	"github.com/xanode/xanode/node/registry"
)

// FieldMatch compares one field of what a card says with the local record.
type FieldMatch struct {
	Field registry.Field
	Chip  string
	Local string
	Agree bool
}

// compared are the fields a card carries that the registry also holds, in
// the order an officer reads them.
var compared = []registry.Field{
	registry.FieldFullName, registry.FieldBirthDate, registry.FieldSex, registry.FieldNationality,
	registry.FieldEthnicity, registry.FieldReligion, registry.FieldHometown, registry.FieldPermanentAddress,
	registry.FieldFatherName, registry.FieldMotherName, registry.FieldSpouseName, registry.FieldOldID,
	registry.FieldCardIssued, registry.FieldCardExpiry, registry.FieldFeatures,
}

// Match compares the card's fields with the record, field by field, for
// every field the card states. Text compares after NFC, case folding and
// collapsing spaces: a card that writes "phường" where the registry writes
// "Phường" is not a finding, a different letter is.
func Match(chip map[registry.Field]string, rec *registry.Citizen) []FieldMatch {
	var out []FieldMatch
	for _, f := range compared {
		c, ok := chip[f]
		if !ok || c == "" {
			continue
		}
		local := ""
		if rec != nil {
			local = rec.Get(f)
		}
		out = append(out, FieldMatch{Field: f, Chip: c, Local: local, Agree: rec != nil && same(c, local)})
	}
	return out
}

func same(a, b string) bool {
	clean := func(s string) string { return strings.Join(strings.Fields(norm.NFC.String(s)), " ") }
	return strings.EqualFold(clean(a), clean(b))
}

// Differences lists the fields that disagree, as "field: card «x», record «y»"
// lines for the data-quality finding recorded with an identification.
func Differences(ms []FieldMatch) []string {
	var out []string
	for _, m := range ms {
		if !m.Agree {
			out = append(out, m.Field.String()+": card «"+m.Chip+"», record «"+m.Local+"»")
		}
	}
	return out
}
