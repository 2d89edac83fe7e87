package quality

import (
	"strings"

	"golang.org/x/text/unicode/norm"

	"github.com/xanode/xanode/node/registry"
)

// Read is what an office read from a citizen's card at the desk and found
// different from its local record (DESIGN.md, "Chip cards"): the fields
// as the card states them, with the read's assurance level.
type Read struct {
	Citizen   string
	Assurance string // reader.Assurance: chip-cloning-checked, chip-verified, chip-read, qr, typed
	Fields    map[registry.Field]string
}

// sameText compares as the edge's identification does: NFC, case and runs
// of spaces ignored.
func sameText(a, b string) bool {
	clean := func(s string) string { return strings.Join(strings.Fields(norm.NFC.String(s)), " ") }
	return strings.EqualFold(clean(a), clean(b))
}

// checkRead compares a read with the record as the city holds it, field by
// field: each field that still differs is one finding, carrying the read's
// assurance. A field the record has come to agree with (corrected since,
// or the office's copy was behind) is none.
func checkRead(rec *registry.Citizen, r Read) []Finding {
	var out []Finding
	for f := registry.Field(1); int(f) < registry.NumFields; f++ {
		v, ok := r.Fields[f]
		if !ok || sameText(v, rec.Get(f)) {
			continue
		}
		out = append(out, Finding{Rule: RuleChipMismatch, Citizen: rec.ID, Fields: []registry.Field{f}, Assurance: r.Assurance,
			Evidence: say("chip_mismatch", "field", f.String(), "card", v, "record", rec.Get(f), "assurance", r.Assurance)})
	}
	return out
}

// The identification change an edge sends (registry.OpIdentify) carries
// the read in its note, as node.officerUI writes it: the assurance level,
// then one "field: card «x», record «y»" part per field that differed,
// joined by "; ", or a remark ("subset frozen: not compared", "visitor,
// …") that is no difference.
const (
	noteSep    = "; "
	cardOpen   = ": card «"
	recordOpen = "», record «"
	valueClose = "»"
)

// ParseIdentification reads an identification change's note into a Read
// of the fields that differed (Citizen is left for the caller). ok is
// false when the note holds no difference at all. The note is an edge's
// free text: it never panics, a part that is not a well-formed difference
// of a known field is skipped, and a value may contain the separators —
// a value ends only where the next part of a known field begins.
func ParseIdentification(note string) (r Read, ok bool) {
	assurance, rest, found := strings.Cut(note, noteSep)
	r.Assurance = assurance
	if !found {
		return r, false
	}
	for rest != "" {
		f, chip, next, good := nextDifference(rest)
		if good && f.Valid() && chip != "" {
			if r.Fields == nil {
				r.Fields = make(map[registry.Field]string)
			}
			if _, dup := r.Fields[f]; !dup {
				r.Fields[f] = chip
			}
		}
		rest = next
	}
	return r, len(r.Fields) > 0
}

// nextDifference reads one part at the start of s and returns the rest
// after its separator. A well-formed part is read value by value (the
// values hold no "»", so a record value may hold "; sex: card «" and
// still end at its own "»"); a malformed one is skipped up to the next
// part that begins with a known field.
func nextDifference(s string) (f registry.Field, chip, rest string, ok bool) {
	if f, chip, rest, ok := strictDifference(s); ok {
		return f, chip, rest, true
	}
	end := partEnd(s, 0)
	part, rest := s[:end], strings.TrimPrefix(s[end:], noteSep)
	name, body, found := strings.Cut(part, cardOpen)
	if !found {
		return 0, "", rest, false
	}
	f, known := registry.FieldByName(name)
	chip, tail, found := strings.Cut(body, recordOpen)
	if !known || !found || !strings.HasSuffix(tail, valueClose) {
		return 0, "", rest, false
	}
	return f, chip, rest, true
}

// strictDifference reads "field: card «chip», record «record»" at the
// start of s, followed by the end or the separator.
func strictDifference(s string) (f registry.Field, chip, rest string, ok bool) {
	name, after, found := strings.Cut(s, cardOpen)
	if !found || strings.Contains(name, " ") {
		return 0, "", "", false
	}
	if f, ok = registry.FieldByName(name); !ok {
		return 0, "", "", false
	}
	if chip, after, found = strings.Cut(after, recordOpen); !found || strings.Contains(chip, valueClose) {
		return 0, "", "", false
	}
	if _, after, found = strings.Cut(after, valueClose); !found {
		return 0, "", "", false
	}
	if after != "" && !strings.HasPrefix(after, noteSep) {
		return 0, "", "", false
	}
	return f, chip, strings.TrimPrefix(after, noteSep), true
}

// partEnd is where the part of s starting at from ends: at the first
// "; " that begins the difference of a known field, else at the end.
func partEnd(s string, from int) int {
	for i := from; i < len(s); {
		j := strings.Index(s[i:], noteSep)
		if j < 0 {
			return len(s)
		}
		j += i
		after := s[j+len(noteSep):]
		if name, _, found := strings.Cut(after, cardOpen); found && !strings.Contains(name, " ") {
			if _, known := registry.FieldByName(name); known {
				return j
			}
		}
		i = j + len(noteSep)
	}
	return len(s)
}
