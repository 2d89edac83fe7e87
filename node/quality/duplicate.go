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
// date of birth (and with the birth year, for a date written otherwise),
// the parents' names with the birth year (for a typo in the name), the
// date of birth with the sex and the name's initials (for a typo that
// changes neither), and the old 9-digit ID.

// nameKey is a name folded (no diacritics, lower case) with its words
// sorted, so that "Nguyễn Văn An", "nguyen van an" and "An Nguyễn Văn" agree.
func nameKey(s string) string {
	w := strings.Fields(registry.FoldName(s))
	sort.Strings(w)
	return strings.Join(w, " ")
}

// initials are the sorted first letters of a folded name's words.
func initials(s string) string {
	w := strings.Fields(registry.FoldName(s))
	b := make([]byte, 0, len(w))
	for _, x := range w {
		b = append(b, x[0])
	}
	sort.Slice(b, func(i, j int) bool { return b[i] < b[j] })
	return string(b)
}

// BlockKeys returns the blocking keys of a record, without repeats, in a
// fixed order. A record without a name and date of birth has none: there
// is nothing to compare it by.
func BlockKeys(c *registry.Citizen) []string {
	name := nameKey(c.Get(registry.FieldFullName))
	birth := c.Get(registry.FieldBirthDate)
	if name == "" || birth == "" {
		return nil
	}
	year := birth[:4]
	keys := []string{"n:" + name + "|" + birth, "y:" + name + "|" + year,
		"i:" + initials(name) + "|" + c.Get(registry.FieldSex) + "|" + birth}
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

// nameLikeness compares two names folded, as written and with their words
// sorted (the given name written first), and keeps the better. A word of
// one without a close match in the other (a typo's distance) caps it at
// 500: "Thu Hà" and "Thu Hương" are sisters, not one person misspelt.
func nameLikeness(a, b string) int {
	fa, fb := registry.FoldName(a), registry.FoldName(b)
	s := max(similar(fa, fb), similar(nameKey(a), nameKey(b)))
	if !wordsMatch(strings.Fields(fa), strings.Fields(fb)) {
		s = min(s, 500)
	}
	return s
}

// wordsMatch reports whether every word of a pairs off with a word of b
// within a typo: one edit, or two (a transposition) in words of four
// letters or more.
func wordsMatch(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	used := make([]bool, len(b))
	for _, x := range a {
		best, at := 3, -1
		for j, y := range b {
			if used[j] {
				continue
			}
			if d := levenshtein.ComputeDistance(x, y); d < best {
				best, at = d, j
			}
		}
		if at < 0 || best > 1 && (best > 2 || len(x) < 4 || len(b[at]) < 4) {
			return false
		}
		used[at] = true
	}
	return true
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
		if x == "" || y == "" {
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
	folded := func(x, y string) int { return similar(registry.FoldName(x), registry.FoldName(y)) }
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
	}
	if da, db := dateValue(a, registry.FieldBirthDate), dateValue(b, registry.FieldBirthDate); !da.IsZero() && !db.IsZero() {
		fs[1] = feature{25, dateLikeness(da, db), true}
	}
	if x, y := a.Get(registry.FieldOldID), b.Get(registry.FieldOldID); x != "" && y != "" {
		fs = append(fs, feature{20, equal(x, y), true})
	}
	sum, weight := 0, 0
	for _, f := range fs {
		if f.known {
			sum += f.weight * f.score
			weight += f.weight
		} else {
			sum += f.weight * 500
			weight += f.weight
		}
	}
	return sum / weight
}

// checkPair scores a pair of distinct records and reports it as a
// duplicate candidate at or above DuplicateScore, ordered by ID.
func checkPair(cfg *Config, a, b *registry.Citizen) *Finding {
	if a.ID == b.ID {
		return nil
	}
	if a.ID > b.ID {
		a, b = b, a
	}
	s := Likeness(a, b)
	if s < cfg.DuplicateScore {
		return nil
	}
	return &Finding{Rule: RuleDuplicate, Citizen: a.ID, Other: b.ID, Score: s,
		Fields: []registry.Field{registry.FieldFullName, registry.FieldBirthDate},
		Evidence: "likeness " + permille(s) + ": «" + a.Get(registry.FieldFullName) + "» born " + a.Get(registry.FieldBirthDate) +
			", «" + b.Get(registry.FieldFullName) + "» born " + b.Get(registry.FieldBirthDate)}
}

// permille writes thousandths as a decimal: 937 → "0.937".
func permille(n int) string {
	s := itoa(1000 + n)
	return itoa(n/1000) + "." + s[len(s)-3:]
}
