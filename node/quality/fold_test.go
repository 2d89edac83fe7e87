package quality

import (
	"testing"

	"github.com/xanode/xanode/node/registry"
)

func TestFoldAgrees(t *testing.T) {
	for _, s := range []string{"", "  Nguyễn   Văn  Đức ", "Phường Ninh Kiều, TP Cần Thơ", "ĐẶNG THỊ HƯỜNG",
		"Nguyễn Văn Đức" /* NFD */, "Ấp Nhơn Lộc\t2", "Ŧest ǅ", "Москва", "a\u0301b", "x\x00y", "Ｔｏｋｙｏ"} {
		if got, want := fold(s), registry.FoldName(s); got != want {
			t.Errorf("fold(%q) = %q, FoldName gives %q", s, got, want)
		}
	}
}

func FuzzFold(f *testing.F) {
	f.Add("Nguyễn Văn Đức")
	f.Add("Hà  Nội\u00a0x")
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := fold(s), registry.FoldName(s); got != want {
			t.Fatalf("fold(%q) = %q, FoldName gives %q", s, got, want)
		}
	})
}
