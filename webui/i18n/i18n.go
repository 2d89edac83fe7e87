// Package i18n holds the message catalogs of the officer UI and of the fleet
// UI (keys "fleet."): Vietnamese first, English selectable. Every text the
// UIs show comes from here, so that a translator edits one file per language
// and UI, and a test proves no language lacks a key.
//
// Messages are fmt formats; a message with arguments uses explicit indexes
// (%[1]s) so that a translation may reorder them.
package i18n

import (
	"fmt"
	"sort"
	"strconv"
)

// Lang is a UI language, by its ISO 639-1 code.
type Lang string

// The languages the UI speaks.
const (
	Vietnamese Lang = "vi"
	English    Lang = "en"
)

// Default is the language of a session that chose none: officers work in
// Vietnamese.
const Default = Vietnamese

var catalogs = map[Lang]map[string]string{
	Vietnamese: join(vi, fleetVi, deskVi, visitorVi, formsVi, qualityVi),
	English:    join(en, fleetEn, deskEn, visitorEn, formsEn, qualityEn),
}

// join merges a language's catalogs (the officer UI's, the fleet UI's,
// parts kept in files of their own); a key in two is a mistake that would
// hide one of the texts.
func join(catalogs ...map[string]string) map[string]string {
	out := map[string]string{}
	for _, c := range catalogs {
		for k, v := range c {
			if _, dup := out[k]; dup {
				panic("i18n: key " + k + " is in two catalogs")
			}
			out[k] = v
		}
	}
	return out
}

// Langs lists the languages in the order the UI offers them.
func Langs() []Lang { return []Lang{Vietnamese, English} }

// Parse maps a code such as "vi" or "en" to a Lang.
func Parse(code string) (Lang, bool) {
	l := Lang(code)
	_, ok := catalogs[l]
	return l, ok
}

// Name is the language's own name ("Tiếng Việt", "English"): a switch shows
// each language in itself, so a reader of it can find it.
func (l Lang) Name() string {
	return catalogs[l]["lang.name"]
}

// T returns the message for key, formatted with args. A key missing in l
// falls back to Vietnamese; a key missing there shows as "[key]", visible on
// the page rather than an empty space (the catalog test prevents both).
func (l Lang) T(key string, args ...any) string {
	msg, ok := catalogs[l][key]
	if !ok {
		if msg, ok = catalogs[Default][key]; !ok {
			return "[" + key + "]"
		}
	}
	if len(args) == 0 {
		return msg
	}
	return fmt.Sprintf(msg, args...)
}

// Has reports whether l's catalog holds key itself (without fallback).
func Has(l Lang, key string) bool {
	_, ok := catalogs[l][key]
	return ok
}

// Keys returns the keys of l's catalog, sorted.
func Keys(l Lang) []string {
	keys := make([]string, 0, len(catalogs[l]))
	for k := range catalogs[l] {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// Message returns l's raw format for key, for tests that compare formats.
func Message(l Lang, key string) string { return catalogs[l][key] }

// Int formats n with the language's thousands separator: "1.234" in
// Vietnamese, "1,234" in English.
func (l Lang) Int(n int64) string {
	sep := byte('.')
	if l == English {
		sep = ','
	}
	s := strconv.FormatInt(n, 10)
	neg := n < 0
	if neg {
		s = s[1:]
	}
	out := make([]byte, 0, len(s)+len(s)/3+1)
	if neg {
		out = append(out, '-')
	}
	for i := 0; i < len(s); i++ {
		if i > 0 && (len(s)-i)%3 == 0 {
			out = append(out, sep)
		}
		out = append(out, s[i])
	}
	return string(out)
}
