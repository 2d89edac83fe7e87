package i18n

// deskEn is deskVi in English.
var deskEn = map[string]string{
	"search.short":        "Type at least one word of two letters or more of the name (“ng v tu” works, “n v t” does not).",
	"search.many":         "%[1]s people have a name matching “%[2]s”, too many to list. Give the year (or date) of birth to narrow it down, or the full name.",
	"search.best":         "Showing only the %[1]d best of %[2]s people whose name matches. Give the year of birth to see the others.",
	"search.none.name":    "No citizen whose name matches “%[1]s” is in the commune's data. Check the spelling; the citizen may live in another commune.",
	"search.match.exact":  "Same name",
	"search.match.words":  "All words",
	"search.match.prefix": "Partly",
	"search.match":        "Match",
	"search.othername":    "by other name: %[1]s",
	"search.birth.hint":   "Optional. Useful when many share the name; a year of birth off by one or two still finds them.",
}
