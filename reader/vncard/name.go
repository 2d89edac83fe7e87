package vncard

import (
	"strings"
	"unicode"
)

// vietnameseBase maps every precomposed Vietnamese letter to its base
// letter. Written out rather than taken from Unicode decomposition because
// đ/Đ have none and must still become d/D (ICAO 9303-3 transliteration
// and DESIGN.md, "Web UI").
var vietnameseBase = func() map[rune]rune {
	groups := map[rune]string{
		'a': "àáảãạăằắẳẵặâầấẩẫậ", 'A': "ÀÁẢÃẠĂẰẮẲẴẶÂẦẤẨẪẬ",
		'e': "èéẻẽẹêềếểễệ", 'E': "ÈÉẺẼẸÊỀẾỂỄỆ",
		'i': "ìíỉĩị", 'I': "ÌÍỈĨỊ",
		'o': "òóỏõọôồốổỗộơờớởỡợ", 'O': "ÒÓỎÕỌÔỒỐỔỖỘƠỜỚỞỠỢ",
		'u': "ùúủũụưừứửữự", 'U': "ÙÚỦŨỤƯỪỨỬỮỰ",
		'y': "ỳýỷỹỵ", 'Y': "ỲÝỶỸỴ",
		'd': "đ", 'D': "Đ",
	}
	m := map[rune]rune{}
	for base, letters := range groups {
		for _, r := range letters {
			m[r] = base
		}
	}
	return m
}()

// RemoveDiacritics folds Vietnamese letters to plain Latin ("Nguyễn Thị
// Đào" → "Nguyen Thi Dao"), including decomposed input (combining marks are
// dropped).
func RemoveDiacritics(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		if base, ok := vietnameseBase[r]; ok {
			r = base
		}
		if unicode.Is(unicode.Mn, r) {
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// MRZName returns the name field of a TD1 line 3 for a Vietnamese full name:
// the family name (first word), '<<', then the other names joined by '<',
// upper case without diacritics, cut or padded to 30 characters.
// "Nguyễn Thị Thu Hà" → "NGUYEN<<THI<THU<HA<<<<<<<<<<<<".
func MRZName(fullName string) string {
	words := strings.FieldsFunc(strings.ToUpper(RemoveDiacritics(fullName)), func(r rune) bool {
		return r < 'A' || r > 'Z'
	})
	var s string
	if len(words) > 0 {
		s = words[0] + "<<" + strings.Join(words[1:], "<")
	}
	return padMRZ(s, 30)
}

func padMRZ(s string, n int) string {
	if len(s) >= n {
		return s[:n]
	}
	return s + strings.Repeat("<", n-len(s))
}
