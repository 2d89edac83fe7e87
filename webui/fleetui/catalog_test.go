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
		registry.OpHousehold, registry.OpProcedure, registry.OpIdentify, registry.OpFindingResolve} {
		keys = append(keys, "fleet.op."+string(op))
	}
	for _, r := range qualityRules {
		keys = append(keys, "fleet.rule."+r)
	}
	for _, s := range []string{FindingOpen, FindingConfirmed, FindingFixed, FindingDismissed} {
		keys = append(keys, "fleet.quality.state."+s)
	}
	for _, c := range []string{"correct", "sufficient", "clean", "alive"} {
		keys = append(keys, "fleet.quality.category."+c)
	}
	return keys
}

// qualityRules are the rules of node/quality (DESIGN.md, "Data quality"),
// whose names the city's report carries.
var qualityRules = []string{"id_province", "id_sex", "id_century", "id_birth_year", "birth_future", "parent_age",
	"death_date", "chip_mismatch", "address_unit", "required", "no_card", "household_head", "duplicate", "unconfirmed",
	"temporary_expired", "over_120", "dead_in_household"}

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
