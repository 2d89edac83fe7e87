package main

import (
	"regexp"
	"strings"
	"testing"
)

// TestBenchBundle runs `xanode bench bundle` on a small commune: it prints
// every figure of its budget row, for format 3 and format 2, and compares
// the full bundle with the compressors of the plain export (or says
// which binary is missing).
func TestBenchBundle(t *testing.T) {
	if testing.Short() {
		t.Skip("system test")
	}
	out := xanode(t, "bench", "bundle", "--citizens", "400", "--changes", "20")
	for _, want := range []string{
		`full bundle, 400 records: [0-9.]+ MB, [0-9.]+ bytes/record`,
		`build: +[0-9.]+m?s`,
		`verify \+ import: +[0-9.]+m?s`,
		`delta of 20 changes: +[0-9.]+ KB at most of 5, [0-9.]+ bytes/change`,
		`plain JSON Lines export: +[0-9.]+ bytes/record`,
		`gzip -9 \(compress/gzip, best\): +[0-9.]+ bytes/record; the full bundle is [0-9]+% of it`,
		`xz -9 \(the xz binary\): +([0-9.]+ bytes/record|xz not found)`,
		`zstd, best \(klauspost\): +[0-9.]+ bytes/record`,
		`zstd -19 \(the zstd binary\): +([0-9.]+ bytes/record|zstd not found)`,
	} {
		if !regexp.MustCompile(want).MatchString(out) {
			t.Errorf("no line matching %q in:\n%s", want, out)
		}
	}
	rows := xanode(t, "bench", "bundle", "--citizens", "400", "--changes", "20", "--format", "2", "--compare=false")
	if !strings.Contains(rows, "full bundle, 400 records") || strings.Contains(rows, "gzip") {
		t.Errorf("format 2 without comparison:\n%s", rows)
	}
}
