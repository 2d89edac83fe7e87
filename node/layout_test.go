package node

import (
	"encoding/json"
	"io"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

const module = "github.com/xanode/xanode/"

type listedPackage struct {
	ImportPath string
	Name       string
	Doc        string
	Imports    []string
}

// listPackages lists every package of the module with `go list`.
func listPackages(t *testing.T) []listedPackage {
	t.Helper()
	cmd := exec.Command("go", "list", "-e", "-json", module+"...")
	cmd.Dir = ".."
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	var pkgs []listedPackage
	dec := json.NewDecoder(strings.NewReader(string(out)))
	for {
		var p listedPackage
		if err := dec.Decode(&p); err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		pkgs = append(pkgs, p)
	}
	return pkgs
}

// TestImportRules enforces the dependency direction of DESIGN.md, "Layout and dependency rules".
func TestImportRules(t *testing.T) {
	type rule struct {
		pkgPrefix string
		allowed   []string // project import prefixes allowed
		forbidden []string // any import prefixes forbidden
	}
	rules := []rule{
		{"node/registry", nil, nil},
		{"node/quality", []string{"node/registry"}, nil},
		{"reader", []string{"reader"}, nil},
		{"certs", []string{"certs"}, nil},
		{"webui", []string{"webui", "node/registry"}, []string{"github.com/hashicorp/raft", "go.etcd.io/bbolt"}},
		{"sync", []string{"sync", "node/registry", "node/quality", "certs"}, nil},
		// A thin main: the command parses flags and calls into packages;
		// the raft state, its log and the stores are theirs, not its.
		{"node/cmd", []string{"node", "certs", "reader", "sync/api", "sync/cityapi", "sync/client", "sync/wire", "sync/attest", "webui"},
			[]string{"github.com/hashicorp/raft", "go.etcd.io/bbolt", module + "sync/fsm", module + "sync/cluster", module + "sync/stream"}},
		// The API contract names what travels, never who serves or sends it.
		{"sync/api", []string{"sync/wire", "sync/fsm", "sync/attest", "node/registry", "node/quality", "certs"}, nil},
		// Both sides' client speaks the contract; it holds no server or raft node.
		{"sync/client", []string{"sync/api", "sync/wire", "sync/bundle", "sync/fsm", "sync/attest", "node/registry", "certs"},
			[]string{"github.com/hashicorp/raft"}},
	}
	for _, p := range listPackages(t) {
		rel := strings.TrimPrefix(p.ImportPath, module)
		for _, r := range rules {
			if rel != r.pkgPrefix && !strings.HasPrefix(rel, r.pkgPrefix+"/") {
				continue
			}
			for _, imp := range p.Imports {
				for _, f := range r.forbidden {
					if strings.HasPrefix(imp, f) {
						t.Errorf("%s imports %s, which it must not", rel, imp)
					}
				}
				if !strings.HasPrefix(imp, module) {
					continue
				}
				ok := false
				for _, a := range r.allowed {
					irel := strings.TrimPrefix(imp, module)
					ok = ok || irel == a || strings.HasPrefix(irel, a+"/")
				}
				if !ok {
					t.Errorf("%s imports %s; it may import only %v of the project", rel, imp, r.allowed)
				}
			}
		}
		if p.Name == "sync" {
			t.Errorf("%s is a package named sync: it would shadow the standard library", rel)
		}
	}
}

// TestPackageDocs requires one package doc comment per package.
func TestPackageDocs(t *testing.T) {
	for _, p := range listPackages(t) {
		if strings.TrimSpace(p.Doc) == "" {
			t.Errorf("%s has no package doc comment", p.ImportPath)
		}
	}
}

// TestNoTestKitsShipped: the xanode binary links no test kit of the
// project — the browser kit (and Chromium's driver), the FSM's test
// helpers, any package of the project that imports "testing" — whatever
// the build tags (DESIGN.md, "Layout and dependency rules"). (hashicorp/raft
// itself imports "testing" for its own test kit.)
func TestNoTestKitsShipped(t *testing.T) {
	for _, tags := range []string{"", "pcsc"} {
		cmd := exec.Command("go", "list", "-deps", "-tags", tags, "-f", `{{.ImportPath}} {{join .Imports " "}}`, "./node/cmd/xanode")
		cmd.Dir = ".."
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("go list -tags %q: %v", tags, err)
		}
		for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
			f := strings.Fields(line)
			dep, imports := f[0], f[1:]
			switch {
			case strings.HasSuffix(dep, "/browsertest"), strings.HasSuffix(dep, "/webtest"), strings.HasSuffix(dep, "/fsmtest"), strings.HasPrefix(dep, "github.com/chromedp/"):
				t.Errorf("the binary (tags %q) links %s", tags, dep)
			case strings.HasPrefix(dep, module) && slices.Contains(imports, "testing"):
				t.Errorf("the binary (tags %q) links %s, which imports testing", tags, dep)
			}
		}
	}
}
