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

// TestOneShell enforces the web shell's place (DESIGN.md, "Layout and
// dependency rules"): the two UIs share webui/shell and never import each
// other, and the shell carries nothing of either UI (of the project it
// imports only the message catalogs).
func TestOneShell(t *testing.T) {
	const mod = "github.com/xanode/xanode/"
	rules := map[string]func(dep string) bool{ // package → a project import it may not have
		"./shell":   func(dep string) bool { return dep != mod+"webui/i18n" },
		"./fleetui": func(dep string) bool { return dep == mod+"webui" },
		".":         func(dep string) bool { return strings.HasPrefix(dep, mod+"webui/fleetui") },
	}
	for pkg, forbidden := range rules {
		out, err := exec.Command("go", "list", "-deps", pkg).Output()
		if err != nil {
			t.Skipf("go list unavailable: %v", err)
		}
		deps := strings.Fields(string(out))
		self := deps[len(deps)-1] // go list -deps ends with the package itself
		uses := false
		for _, dep := range deps[:len(deps)-1] {
			if strings.HasPrefix(dep, mod) && forbidden(dep) {
				t.Errorf("%s imports %s", self, dep)
			}
			uses = uses || dep == mod+"webui/shell"
		}
		if pkg != "./shell" && !uses {
			t.Errorf("%s does not use the shared web shell", self)
		}
	}
}

// TestPackageDocs: every package under webui has exactly one package doc
// comment (STYLE.md).
func TestPackageDocs(t *testing.T) {
	for _, dir := range []string{".", "i18n", "shell", "fleetui", "report"} {
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
