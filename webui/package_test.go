package webui

import (
	"go/parser"
	"go/token"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestImports enforces DESIGN.md, "Layout and dependency rules": webui declares what it needs and
// never reaches into raft, bbolt or other xanode packages.
func TestImports(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "./...").Output()
	if err != nil {
		t.Skipf("go list unavailable: %v", err)
	}
	for _, dep := range strings.Fields(string(out)) {
		switch {
		case strings.Contains(dep, "raft"), strings.Contains(dep, "bbolt"), strings.Contains(dep, "boltdb"):
			t.Errorf("webui depends on %s", dep)
		case strings.HasPrefix(dep, "github.com/xanode/xanode/") &&
			dep != "github.com/xanode/xanode/node/registry" &&
			!strings.HasPrefix(dep, "github.com/xanode/xanode/webui"):
			t.Errorf("webui depends on %s; declare an interface and let node wire it", dep)
		}
	}
}

// TestPackageDocs: every package under webui has exactly one package doc
// comment (STYLE.md).
func TestPackageDocs(t *testing.T) {
	for _, dir := range []string{".", "i18n"} {
		files, _ := filepath.Glob(filepath.Join(dir, "*.go"))
		docs := 0
		for _, name := range files {
			if strings.HasSuffix(name, "_test.go") {
				continue
			}
			f, err := parser.ParseFile(token.NewFileSet(), name, nil, parser.PackageClauseOnly|parser.ParseComments)
			if err != nil {
				t.Fatal(err)
			}
			if f.Doc != nil {
				docs++
			}
		}
		if docs != 1 {
			t.Errorf("package %s has %d package doc comments, want 1", dir, docs)
		}
	}
}
