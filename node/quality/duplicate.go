package quality

import (
	"sort"
	"strings"

	"github.com/agnivade/levenshtein"

	"github.com/xanode/xanode/node/registry"
)

// Duplicates are found in two steps (DESIGN.md, "Data quality"): blocking
// puts records that share a key in one block, and only records of one
// block are compared, by a likeness score. The keys are chosen so that a
// second record of one person shares at least one with the first despite
// the usual faults of data entry — a typo, missing diacritics, the given
// name written first — while a block stays small: the folded name with the
// date of birth, and with the birth year (a date written otherwise); each
// word of the name with the sex and the date of birth (a typo leaves the
// other words as they were); the parents' names with the birth year; the
// old 9-digit ID.

// nameKey is a name folded (no diacritics, lower case) with its words
// sorted, so that "Nguyễn Văn An", "nguyen van an" and "An Nguyễn Văn" agree.
func nameKey(s string) string { return sortedWords(fold(s)) }

// BlockKeys returns the blocking keys of a record, without repeats, in a
// fixed order. A record without a name and date of birth has none: there
// is nothing to compare it by; nor has a retired duplicate (merged), which
// is nobody's record any more.
func BlockKeys(c *registry.Citizen) []string {
	name := nameKey(c.Get(registry.FieldFullName))
	birth := c.Get(registry.FieldBirthDate)
	if name == "" || birth == "" || c.Merged() {
		return nil
	}
	year := birth[:4]
	keys := []string{"n:" + name + "|" + birth, "y:" + name + "|" + year}
	sex := c.Get(registry.FieldSex)
	prev := ""
	for _, w := range strings.Fields(name) { // sorted: a repeated word comes twice in a row
		if w != prev {
			keys = append(keys, "w:"+birth+"|"+sex+"|"+w)
		}
		prev = w
	}
	mother, father := nameKey(c.Get(registry.FieldMotherName)), nameKey(c.Get(registry.FieldFatherName))
	if mother != "" || father != "" {
		keys = append(keys, "p:"+mother+"|"+father+"|"+year)
	}
	if old := c.Get(registry.FieldOldID); old != "" {
		keys = append(keys, "o:"+old)
	}
	return keys
}

// similar is the likeness of two strings by edit distance, from 0 (half
// the characters or more differ) to 1000 (equal): one typo in a 15-letter
// name keeps 867, two unrelated names fall to 0.
func similar(a, b string) int {
	if a == b {
		return 1000
	}
	n := max(len([]rune(a)), len([]rune(b)))
	d := levenshtein.ComputeDistance(a, b)
	return max(0, 1000-2000*d/n)
}

// nameLikeness compares two names folded (no diacritics, lower case):
// equal, or equal with their words sorted (the given name written first),
// 1000; words that pair off each within a typo (one edit, or two letters
// swapped), 1000 less 60 a typo; anything else at most 200 — "Thu Hà" and
// "Thu Hương" are sisters, not one person misspelt, and two parents of
// different names are two parents.
func nameLikeness(a, b string) int {
	fa, fb := fold(a), fold(b)
	ka, kb := sortedWords(fa), sortedWords(fb)
	if fa == fb || ka == kb {
		return 1000
	}
	if typos, ok := wordTypos(strings.Fields(ka), strings.Fields(kb)); ok {
		return max(0, 1000-60*typos)
	}
	return min(200, similar(fa, fb))
}

// sortedWords is a folded name with its words sorted.
func sortedWords(folded string) string {
	w := strings.Fields(folded)
	sort.Strings(w)
	return strings.Join(w, " ")
}

// NamesMayMatch reports, from two names' keys (NameKey), whether the names
// are alike enough for the pair to be a duplicate at all: equal, or each
// word within a typo of one of the other's. Any other pair scores at most
// 200 for the name, which no likeness threshold the Config allows can
// overcome, so a caller comparing many pairs skips the rest of the work.
func NamesMayMatch(ka, kb string) bool {
	if ka == kb {
		return true
	}
	_, ok := wordTypos(strings.Fields(ka), strings.Fields(kb))
	return ok
}

// NameKey is the key NamesMayMatch compares: the folded full name with its
// words sorted.
func NameKey(c *registry.Citizen) string { return nameKey(c.Get(registry.FieldFullName)) }

// wordTypos pairs off the words of a and b, each with the closest unpaired
// word, and counts the typos between them; ok is false when the counts of
// words differ or a pair is further apart than a typo.
func wordTypos(a, b []string) (typos int, ok bool) {
	if len(a) != len(b) {
		return 0, false
	}
	used := make([]bool, len(b))
	for _, x := range a {
		best, at := 3, -1
		for j, y := range b {
			if !used[j] {
				if d := wordDistance(x, y); d < best {
					best, at = d, j
				}
			}
		}
		if at < 0 || best > 1 && (best > 2 || len(x) < 4 || len(b[at]) < 4) {
			return 0, false
		}
		used[at] = true
		typos += best
	}
	return typos, true
}

// wordDistance is the edit distance of two words, with two neighbouring
// letters swapped counted as one edit.
func wordDistance(x, y string) int {
	if len(x) == len(y) {
		diff := -1
		for i := 0; i < len(x); i++ {
			if x[i] != y[i] {
				diff = i
				break
			}
		}
		if diff < 0 {
			return 0
		}
		if diff+1 < len(x) && x[diff] == y[diff+1] && x[diff+1] == y[diff] && x[diff+2:] == y[diff+2:] {
			return 1
		}
	}
	return levenshtein.ComputeDistance(x, y)
}

// dateLikeness compares two dates of birth: equal 1000; day and month
// swapped, or one partial and agreeing as far as it goes, 800; the same
// year 400; a year apart with the same day and month 400; else 0.
func dateLikeness(a, b registry.Date) int {
	switch {
	case a == b:
		return 1000
	case a.Year == b.Year && a.Month == b.Day && a.Day == b.Month:
		return 800
	case a.Year == b.Year && (a.Month == 0 || b.Month == 0 || (a.Month == b.Month && (a.Day == 0 || b.Day == 0))):
		return 800
	case a.Year == b.Year:
		return 400
	case (a.Year-b.Year == 1 || b.Year-a.Year == 1) && a.Month == b.Month && a.Day == b.Day:
		return 400
	}
	return 0
}

// feature is one compared attribute: its weight, and its likeness when
// both records state it.
type feature struct {
	weight, score int
	known         bool
}

// Likeness scores how likely two records are one person, in thousandths:
// a weighted mean of the likeness of the name, date of birth, sex,
// parents, place of birth registration, hometown and old ID, over what
// both records state. A feature only one of them states counts half
// known: name and date alone are not enough, however alike.
func Likeness(a, b *registry.Citizen) int {
	text := func(f registry.Field, w int, fn func(x, y string) int) feature {
		x, y := a.Get(f), b.Get(f)
		switch {
		case x == "" && y == "":
			return feature{}
		case x == "" || y == "":
			return feature{weight: w}
		}
		return feature{w, fn(x, y), true}
	}
	equal := func(x, y string) int {
		if x == y {
			return 1000
		}
		return 0
	}
	folded := func(x, y string) int { return similar(fold(x), fold(y)) }
	parent := func(idf, namef registry.Field, w int) feature {
		if x, y := a.Get(idf), b.Get(idf); x != "" && y != "" {
			return feature{w, equal(x, y), true}
		}
		return text(namef, w, nameLikeness)
	}
	fs := []feature{
		text(registry.FieldFullName, 30, nameLikeness),
		{weight: 25},
		text(registry.FieldSex, 5, equal),
		parent(registry.FieldMotherID, registry.FieldMotherName, 14),
		parent(registry.FieldFatherID, registry.FieldFatherName, 12),
		text(registry.FieldBirthPlace, 6, folded),
		text(registry.FieldHometown, 6, folded),
		text(registry.FieldSpouseName, 8, nameLikeness),
		text(registry.FieldFeatures, 10, folded),
		text(registry.FieldEthnicity, 3, folded),
		text(registry.FieldReligion, 3, folded),
	}
	if da, db := dateValue(a, registry.FieldBirthDate), dateValue(b, registry.FieldBirthDate); !da.IsZero() && !db.IsZero() {
		fs[1] = feature{25, dateLikeness(da, db), true}
	}
	if x, y := a.Get(registry.FieldOldID), b.Get(registry.FieldOldID); x != "" && y != "" {
		fs = append(fs, feature{20, equal(x, y), true})
	}
	sum, weight := 0, 0
	for _, f := range fs {
		if !f.known {
			f.score = 500
		}
		sum += f.weight * f.score
		weight += f.weight
	}
	return sum / weight
}

// checkPair scores a pair of distinct records and reports it as a
// duplicate candidate at or above DuplicateScore, ordered by ID.
func checkPair(cfg *Config, a, b *registry.Citizen) *Finding {
	if a.ID == b.ID || a.Merged() || b.Merged() {
		return nil
	}
	if a.ID > b.ID {
		a, b = b, a
	}
	if !NamesMayMatch(NameKey(a), NameKey(b)) {
		return nil
	}
	s := Likeness(a, b)
	if s < cfg.DuplicateScore {
		return nil
	}
	return &Finding{Rule: RuleDuplicate, Citizen: a.ID, Other: b.ID, Score: s,
		Fields: []registry.Field{registry.FieldFullName, registry.FieldBirthDate},
		Evidence: say("duplicate", "likeness", permille(s), "name", a.Get(registry.FieldFullName), "birth_date", a.Get(registry.FieldBirthDate),
			"other_name", b.Get(registry.FieldFullName), "other_birth_date", b.Get(registry.FieldBirthDate))}
}

// permille writes thousandths as a decimal: 937 → "0.937".
func permille(n int) string {
	s := itoa(1000 + n)
	return itoa(n/1000) + "." + s[len(s)-3:]
}
