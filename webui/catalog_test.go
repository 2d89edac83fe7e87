package webui

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
	templateKeyRE = regexp.MustCompile(`\bt "([^"]+)"`)
	literalKeyRE  = regexp.MustCompile(`"([a-z]+(?:\.[a-z0-9_-]+)+)"`)
)

// dynamicKeys are the keys the code builds from domain values.
func dynamicKeys() []string {
	keys := []string{"lang.name", "role." + RoleOfficer, "role." + RoleSupervisor,
		"sex." + registry.SexMale, "sex." + registry.SexFemale,
		"status." + registry.StatusAlive, "status." + registry.StatusDeceased}
	for f := registry.Field(1); int(f) < registry.NumFields; f++ {
		keys = append(keys, "field."+f.String())
	}
	for _, op := range []registry.Op{registry.OpImport, registry.OpRegisterPermanent, registry.OpRegisterTemporary,
		registry.OpDeclareAbsence, registry.OpCorrect, registry.OpRegisterBirth, registry.OpRegisterDeath,
		registry.OpHousehold, registry.OpProcedure, registry.OpIdentify, registry.OpFindingResolve} {
		keys = append(keys, "op."+string(op))
	}
	for _, r := range []registry.Result{registry.Applied, registry.Merged, registry.Superseded,
		registry.NeedsReview, registry.Rejected, registry.Duplicate} {
		keys = append(keys, "result."+string(r))
	}
	for _, f := range opForms {
		keys = append(keys, "about."+string(f.op))
	}
	for _, f := range []string{FaceMissing, FaceJPEG2000, FaceUnreadable} {
		keys = append(keys, "face."+f)
	}
	for a := range assuranceLevels {
		keys = append(keys, "assurance."+a)
	}
	// The city's data-quality rules (node/quality), by wire name.
	for _, r := range []string{"id_province", "id_sex", "id_century", "id_birth_year", "birth_future", "parent_age",
		"death_date", "chip_mismatch", "address_unit", "required", "no_card", "household_head", "duplicate", "unconfirmed",
		"temporary_expired", "over_120", "dead_in_household"} {
		keys = append(keys, "findings.do."+r)
	}
	return keys
}

// TestCatalogKeys fails on a key the UI uses that a catalog lacks, and on a
// catalog key nothing uses.
func TestCatalogKeys(t *testing.T) {
	prefixes := make(map[string]bool)
	for _, k := range i18n.Keys(i18n.Default) {
		prefixes[k[:strings.IndexByte(k, '.')]] = true
	}
	used := make(map[string]string) // key → where
	for _, k := range dynamicKeys() {
		used[k] = "domain values"
	}
	tmpls, _ := filepath.Glob("templates/*.html")
	for _, name := range tmpls {
		b, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range templateKeyRE.FindAllStringSubmatch(string(b), -1) {
			used[m[1]] = name
		}
	}
	srcs, _ := filepath.Glob("*.go")
	more, _ := filepath.Glob("report/*.go") // the report's table is laid out there
	srcs = append(srcs, more...)
	for _, name := range srcs {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		b, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range literalKeyRE.FindAllStringSubmatch(string(b), -1) {
			k := m[1]
			if prefixes[k[:strings.IndexByte(k, '.')]] && !strings.HasSuffix(k, ".css") && !strings.HasSuffix(k, ".js") {
				used[k] = name
			}
		}
	}
	for k, where := range used {
		for _, l := range i18n.Langs() {
			if !i18n.Has(l, k) {
				t.Errorf("%s uses %q, missing in the %s catalog", where, k, l)
			}
		}
	}
	for _, k := range i18n.Keys(i18n.Default) {
		if strings.HasPrefix(k, "fleet.") {
			continue // the fleet UI's keys: webui/fleetui checks them
		}
		if strings.HasPrefix(k, "evidence.") {
			continue // said by Lang.Evidence from node/quality's keys: node's TestEvidenceCatalogs checks them
		}
		if _, ok := used[k]; !ok {
			t.Errorf("catalog key %q is used nowhere", k)
		}
	}
}
