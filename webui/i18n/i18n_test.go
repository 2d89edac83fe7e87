package i18n

import (
	"regexp"
	"sort"
	"testing"
)

// TestCatalogsComplete fails on a key that one language lacks: an English
// officer must never see a Vietnamese fallback, nor anyone a "[key]".
func TestCatalogsComplete(t *testing.T) {
	for _, a := range Langs() {
		for _, b := range Langs() {
			for _, k := range Keys(a) {
				if !Has(b, k) {
					t.Errorf("%s has %q, %s does not", a, k, b)
				}
			}
		}
		for _, k := range Keys(a) {
			if Message(a, k) == "" {
				t.Errorf("%s: %q is empty", a, k)
			}
		}
	}
}

var verbRE = regexp.MustCompile(`%(\[\d+\])?[a-z]`)

// TestFormatsAgree checks that both languages take the same arguments in
// each message, and name them by index so a translation may reorder them.
func TestFormatsAgree(t *testing.T) {
	for _, k := range Keys(Default) {
		want := verbRE.FindAllString(Message(Default, k), -1)
		sort.Strings(want)
		for _, v := range want {
			if v[1] != '[' {
				t.Errorf("%q: verb %s lacks an explicit index", k, v)
			}
		}
		for _, l := range Langs() {
			got := verbRE.FindAllString(Message(l, k), -1)
			sort.Strings(got)
			if len(got) != len(want) {
				t.Errorf("%s %q takes %v, %s takes %v", l, k, got, Default, want)
				continue
			}
			for i := range got {
				if got[i] != want[i] {
					t.Errorf("%s %q takes %v, %s takes %v", l, k, got, Default, want)
					break
				}
			}
		}
	}
}

func TestT(t *testing.T) {
	if got := Vietnamese.T("lookup.length", 7); got != "Số định danh phải có đúng 12 chữ số; bạn đã nhập 7 chữ số. Hãy kiểm tra lại." {
		t.Errorf("T with args: %q", got)
	}
	if got := English.T("no.such.key"); got != "[no.such.key]" {
		t.Errorf("missing key: %q", got)
	}
	if l, ok := Parse("en"); !ok || l != English {
		t.Errorf("Parse(en) = %v, %v", l, ok)
	}
	if _, ok := Parse("fr"); ok {
		t.Error("Parse(fr) accepted")
	}
	if English.Name() != "English" || Vietnamese.Name() != "Tiếng Việt" {
		t.Error("language names")
	}
}

func TestInt(t *testing.T) {
	for _, tt := range []struct {
		n      int64
		vi, en string
	}{
		{0, "0", "0"}, {999, "999", "999"}, {1000, "1.000", "1,000"},
		{12345, "12.345", "12,345"}, {1234567, "1.234.567", "1,234,567"}, {-4321, "-4.321", "-4,321"},
	} {
		if got := Vietnamese.Int(tt.n); got != tt.vi {
			t.Errorf("vi Int(%d) = %q, want %q", tt.n, got, tt.vi)
		}
		if got := English.Int(tt.n); got != tt.en {
			t.Errorf("en Int(%d) = %q, want %q", tt.n, got, tt.en)
		}
	}
}

func TestDisplayDate(t *testing.T) {
	for in, want := range map[string]string{"2026-03-08": "08/03/2026", "2026-03": "03/2026", "2026": "2026",
		"26-03-08": "26-03-08", "2026-3-8": "2026-3-8", "a date": "a date", "2026-03-08-01": "2026-03-08-01"} {
		if got := displayDate(in); got != want {
			t.Errorf("displayDate(%q) = %q, want %q", in, got, want)
		}
	}
}
