package reader

import (
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

const module = "github.com/xanode/xanode/"

// TestImportsStayInReader enforces DESIGN.md, "Layout and dependency rules": reader and its sub-packages
// import nothing of the project's own outside reader/, so it can be reused
// and tested alone.
func TestImportsStayInReader(t *testing.T) {
	forEachGoFile(t, func(path string, f fileInfo) {
		for _, imp := range f.imports {
			if strings.HasPrefix(imp, module) && !strings.HasPrefix(imp, module+"reader") {
				t.Errorf("%s imports %s, outside reader/", path, imp)
			}
		}
	})
}

// TestPackageDocs enforces one package doc comment per package (STYLE).
func TestPackageDocs(t *testing.T) {
	docs := map[string]int{}
	forEachGoFile(t, func(path string, f fileInfo) {
		dir := filepath.Dir(path)
		if _, ok := docs[dir]; !ok {
			docs[dir] = 0
		}
		if f.doc && !strings.HasSuffix(path, "_test.go") {
			docs[dir]++
		}
	})
	for dir, n := range docs {
		if n != 1 {
			t.Errorf("package in %s has %d package doc comments, want 1", dir, n)
		}
	}
}

type fileInfo struct {
	imports []string
	doc     bool
}

func forEachGoFile(t *testing.T, fn func(path string, f fileInfo)) {
	t.Helper()
	fset := token.NewFileSet()
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == "testdata" || strings.HasPrefix(d.Name(), ".")) {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, parser.ImportsOnly|parser.ParseComments)
		if err != nil {
			return err
		}
		info := fileInfo{doc: f.Doc != nil}
		for _, imp := range f.Imports {
			p, _ := strconv.Unquote(imp.Path.Value)
			info.imports = append(info.imports, p)
		}
		fn(path, info)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
