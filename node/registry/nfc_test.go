package registry

import (
	"math/rand/v2"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// TestNFCString: the fast path answers what norm does, for every rune it
// covers alone and after a letter, and for random strings of Vietnamese
// letters, ASCII, combining marks, Hangul jamo and runes above its range.
func TestNFCString(t *testing.T) {
	check := func(s string) {
		t.Helper()
		if got, want := nfcString(s), norm.NFC.String(s); got != want {
			t.Fatalf("nfcString(%+q) = %+q, norm gives %+q", s, got, want)
		}
	}
	inert := 0
	for r := rune(0); r < inertLimit+0x100; r++ {
		check(string(r))
		check("a" + string(r))
		check(string(r) + "\u0301")
		if r < inertLimit && inertRunes()[r>>6]&(1<<(r&63)) != 0 {
			inert++
		}
	}
	if inert < 1000 {
		t.Fatalf("only %d inert runes: the fast path would rarely apply", inert)
	}
	pool := []rune("aAeEoOuUyYdDđĐăâêôơưĂÂÊÔƠƯáàảãạấầẩẫậắằẳẵặéèẻẽẹếềểễệíìỉĩịóòỏõọốồổỗộớờởỡợúùủũụứừửữựýỳỷỹỵ 0123456789,.-/" +
		"\u0300\u0301\u0303\u0309\u0323\u0306\u0302\u031b\u1100\u1161\u11a8\u212b\u2126\uac00\u00c5\u0041\u030a")
	rng := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 20000; i++ {
		var b strings.Builder
		for n := rng.IntN(12); n >= 0; n-- {
			b.WriteRune(pool[rng.IntN(len(pool))])
		}
		check(b.String())
	}
	if s := "Số 12 Đường Mậu Thân, Phường Xuân Khánh"; nfcString(s) != s {
		t.Fatal("a Vietnamese address in NFC changed")
	}
}

func BenchmarkNFCString(b *testing.B) {
	s := "Số 123 Đường 3 Tháng 2, Phường Xuân Khánh"
	for b.Loop() {
		nfcString(s)
	}
}

// FuzzNFCString: the fast path and norm agree on any valid UTF-8.
func FuzzNFCString(f *testing.F) {
	for _, s := range []string{"Số 12 Đường Mậu Thân", "A\u030a", "\u1100\u1161", "\u212b", "ệ\u0301"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if !utf8.ValidString(s) {
			return
		}
		if got, want := nfcString(s), norm.NFC.String(s); got != want {
			t.Fatalf("nfcString(%+q) = %+q, norm gives %+q", s, got, want)
		}
	})
}

// canonicalSlow is what canonicalText must agree with: the text is what
// Normalize's general path makes of it.
func canonicalSlow(s string) bool {
	return s != "" && utf8.ValidString(s) && collapseSpace(s) == s && strings.IndexFunc(s, unicode.IsControl) < 0 && norm.NFC.String(s) == s
}

// TestCanonicalText: the one-pass check never calls text canonical that
// Normalize would change or refuse, and does call ordinary Vietnamese
// text canonical.
func TestCanonicalText(t *testing.T) {
	pool := []rune("aAđĐăâêôơưếềểễệốồổỗộứừửữựýỳỷỹỵ 09,.-/  \t\n\u00a0\u2003\u0085\u0007\u007f\u0301\u0323\u1100\u1161\u212b\ufffd")
	rng := rand.New(rand.NewPCG(3, 4))
	for i := 0; i < 50000; i++ {
		var b strings.Builder
		for n := rng.IntN(10); n >= 0; n-- {
			b.WriteRune(pool[rng.IntN(len(pool))])
		}
		s := b.String()
		if i%7 == 0 {
			s += "\xff"
		}
		if canonicalText(s) && !canonicalSlow(s) {
			t.Fatalf("canonicalText(%+q) but Normalize changes or refuses it", s)
		}
	}
	for _, s := range []string{"Số 12 Đường Mậu Thân, Phường Xuân Khánh", "Nguyễn Thị Lan", "a"} {
		if !canonicalText(s) {
			t.Errorf("canonicalText(%q) = false", s)
		}
	}
}

// FuzzCanonicalText: canonicalText agrees with Normalize's general path.
func FuzzCanonicalText(f *testing.F) {
	for _, s := range []string{"Số 12 Đường Mậu Thân", " a", "a  b", "a\tb", "A\u030a", "\u00a0x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if canonicalText(s) && !canonicalSlow(s) {
			t.Fatalf("canonicalText(%+q) but Normalize changes or refuses it", s)
		}
	})
}
