package fleetui

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/xanode/xanode/node/registry"
	"github.com/xanode/xanode/webui/i18n"
)

var (
	templateKeyRE = regexp.MustCompile(`\bt "(fleet\.[^"]+)"`)
	literalKeyRE  = regexp.MustCompile(`"(fleet(?:\.[a-z0-9_-]+)+)"`)
)

// dynamicKeys are the keys the code builds from values.
func dynamicKeys() []string {
	var keys []string
	for _, s := range []string{StateActive, StateFlagged, StateSuspended, StateRevoked} {
		keys = append(keys, "fleet.state."+s)
	}
	for _, f := range stateFilters[1:] {
		keys = append(keys, "fleet.filter."+f)
	}
	for _, d := range flashes {
		keys = append(keys, "fleet.done."+d)
	}
	for _, op := range []registry.Op{registry.OpImport, registry.OpRegisterPermanent, registry.OpRegisterTemporary,
		registry.OpDeclareAbsence, registry.OpCorrect, registry.OpRegisterBirth, registry.OpRegisterDeath,
		registry.OpHousehold, registry.OpProcedure, registry.OpIdentify} {
		keys = append(keys, "fleet.op."+string(op))
	}
	return keys
}

// TestCatalogKeys fails on a key the fleet UI uses that a catalog lacks,
// and on a "fleet." key nothing uses.
func TestCatalogKeys(t *testing.T) {
	used := make(map[string]string) // key → where
	for _, k := range dynamicKeys() {
		used[k] = "values"
	}
	tmpls, _ := filepath.Glob("templates/*.html")
	srcs, _ := filepath.Glob("*.go")
	for _, name := range append(tmpls, srcs...) {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		b, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		re := literalKeyRE
		if strings.HasSuffix(name, ".html") {
			re = templateKeyRE
		}
		for _, m := range re.FindAllStringSubmatch(string(b), -1) {
			if k := m[1]; !strings.HasSuffix(k, ".css") && !strings.HasSuffix(k, ".js") {
				used[k] = name
			}
		}
	}
	if len(used) < 100 {
		t.Fatalf("found only %d keys: the scan is broken", len(used))
	}
	for k, where := range used {
		for _, l := range i18n.Langs() {
			if !i18n.Has(l, k) {
				t.Errorf("%s uses %q, missing in the %s catalog", where, k, l)
			}
		}
	}
	for _, k := range i18n.Keys(i18n.Default) {
		if _, ok := used[k]; strings.HasPrefix(k, "fleet.") && !ok {
			t.Errorf("catalog key %q is used nowhere", k)
		}
	}
}
