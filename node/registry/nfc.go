package registry

import (
	"sync"

	"golang.org/x/text/unicode/norm"
)

// nfcString is norm.NFC.String(v) for valid UTF-8, with a fast path for
// the text records hold: ASCII and precomposed letters (Vietnamese's are
// U+00C0–U+01B0 and U+1EA0–U+1EF9). Every replica normalizes every value
// of every change it validates, and the general quick check cost more
// than half a microsecond for an address.
//
// A rune is inert when it is a starter (combining class 0) that never
// combines with the rune before it (NFC_Quick_Check is not Maybe) and is
// in NFC by itself (not No): a string of inert runes and ASCII is in NFC,
// since a composition needs a rune that combines backwards. Anything else
// takes norm's general path.
func nfcString(v string) string {
	t := inertRunes()
	for _, r := range v {
		if r >= 0x80 && (r >= inertLimit || t[r>>6]&(1<<(r&63)) == 0) {
			return norm.NFC.String(v)
		}
	}
	return v
}

// inertLimit bounds the runes inertRunes covers: Latin, Greek, Cyrillic,
// Vietnamese and the other alphabetic blocks below the general
// punctuation.
const inertLimit = 0x2000

// inertRunes is the set of inert runes below inertLimit, one bit each,
// built from norm's tables on first use.
var inertRunes = sync.OnceValue(func() *[inertLimit / 64]uint64 {
	var t [inertLimit / 64]uint64
	for r := rune(0x80); r < inertLimit; r++ {
		s := string(r)
		if p := norm.NFC.PropertiesString(s); p.CCC() == 0 && p.BoundaryBefore() && norm.NFC.String(s) == s {
			t[r>>6] |= 1 << (r & 63)
		}
	}
	return &t
})
