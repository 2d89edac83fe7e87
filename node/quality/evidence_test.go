package quality

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"regexp"
	"slices"
	gosync "sync"
	"testing"
)

// ruleKeys are the evidence keys each rule may state.
var ruleKeys = map[Rule][]string{
	RuleIDProvince: {"id_province"}, RuleIDSex: {"id_sex"}, RuleIDCentury: {"id_century"}, RuleIDBirthYear: {"id_birth_year"},
	RuleBirthFuture: {"birth_future"}, RuleParentAge: {"parent_self", "parent_age"},
	RuleDeathDate: {"death_before_birth", "death_future"}, RuleChipMismatch: {"chip_mismatch"},
	RuleAddressUnit: {"address_no_province", "address_former_province", "address_not_in_force", "address_district",
		"address_above_commune", "address_township", "address_no_commune", "address_unknown_commune"},
	RuleRequired: {"required"}, RuleNoCard: {"no_card"}, RuleHouseholdHead: {"household_no_head", "household_heads"},
	RuleDuplicate: {"duplicate", "duplicate_elsewhere"}, RuleUnconfirmed: {"unconfirmed"}, RuleTemporaryEnd: {"temporary_expired"},
	RuleOver120: {"over_120"}, RuleDeadInHousehold: {"dead_in_household"},
}

var (
	placeholder = regexp.MustCompile(`\{([a-z_]+)\}`)
	statedMu    gosync.Mutex
	stated      = map[string]bool{} // the keys the rules' table tests made
)

// checkEvidence: a finding's evidence says something, in keys of its
// rule, each with exactly the values its message names.
func checkEvidence(t *testing.T, f *Finding) {
	t.Helper()
	if len(f.Evidence) == 0 {
		t.Fatalf("finding %+v without evidence", f)
	}
	for _, s := range f.Evidence {
		msg, ok := EvidenceMessages[s.Key]
		if !ok || !slices.Contains(ruleKeys[f.Rule], s.Key) {
			t.Fatalf("rule %s states %q, not one of its keys %v", f.Rule, s.Key, ruleKeys[f.Rule])
		}
		var names []string
		for _, m := range placeholder.FindAllStringSubmatch(msg, -1) {
			names = append(names, m[1])
		}
		for name := range s.Args {
			if !slices.Contains(names, name) {
				t.Errorf("%s: value %s is in no message", s.Key, name)
			}
		}
		for _, name := range names {
			if _, ok := s.Args[name]; !ok {
				t.Errorf("%s: no value for {%s}: %q", s.Key, name, s.English())
			}
		}
		statedMu.Lock()
		stated[s.Key] = true
		statedMu.Unlock()
	}
}

// TestMain checks, after a run of every test, that the table tests made
// every evidence key of every rule: a key no test states may be one no
// rule states, or one whose message no test has seen filled.
func TestMain(m *testing.M) {
	flag.Parse()
	code := m.Run()
	if code == 0 && flag.Lookup("test.run").Value.String() == "" {
		for rule, keys := range ruleKeys {
			for _, k := range keys {
				if !stated[k] {
					fmt.Fprintf(os.Stderr, "no table test of rule %s states evidence %q\n", rule, k)
					code = 1
				}
			}
		}
		for _, k := range EvidenceKeys() {
			if k == KeyText {
				continue
			}
			if !slices.ContainsFunc(Rules(), func(i RuleInfo) bool { return slices.Contains(ruleKeys[i.Rule], k) }) {
				fmt.Fprintf(os.Stderr, "evidence %q belongs to no rule\n", k)
				code = 1
			}
		}
	}
	os.Exit(code)
}

// TestEvidenceJSON: evidence travels as statements with sorted values;
// evidence stored before it was structured (a string) reads as its text
// and writes back as the same string.
func TestEvidenceJSON(t *testing.T) {
	for _, tc := range []struct {
		name, in, english string
	}{
		{"statements", `[{"key":"no_card","args":{"age":"16"}}]`, "aged 16 without a card number"},
		{"two statements", `[{"key":"parent_self","args":{"parent":"father"}},{"key":"parent_self","args":{"parent":"mother"}}]`,
			"father is the citizen themself; mother is the citizen themself"},
		{"an old string", `"aged 16 without a card number"`, "aged 16 without a card number"},
		{"an unknown key", `[{"key":"later_rule","args":{"b":"2","a":"1"}}]`, "[later_rule] a=1 b=2"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var e Evidence
			if err := json.Unmarshal([]byte(tc.in), &e); err != nil {
				t.Fatal(err)
			}
			if got := e.English(); got != tc.english {
				t.Errorf("English %q, want %q", got, tc.english)
			}
			out, err := json.Marshal(e)
			if err != nil || string(out) != tc.in && tc.name != "an unknown key" {
				t.Errorf("written back as %s (%v)", out, err)
			}
		})
	}
	out, _ := json.Marshal(say("duplicate", "name", "A", "birth_date", "1990", "likeness", "0.900", "other_name", "B", "other_birth_date", "1990"))
	if want := `[{"key":"duplicate","args":{"birth_date":"1990","likeness":"0.900","name":"A","other_birth_date":"1990","other_name":"B"}}]`; string(out) != want {
		t.Errorf("JSON %s, want %s", out, want)
	}
}

// TestDuplicateElsewhere: what an office is told of a pair across
// communes names its own resident and the likeness, nothing else.
func TestDuplicateElsewhere(t *testing.T) {
	f := &Finding{Rule: RuleDuplicate, Citizen: "092090001234", Evidence: DuplicateElsewhere(937, "Nguyễn Văn An", "1990-05-01")}
	checkEvidence(t, f)
	if got, want := f.Evidence.English(), "likeness 0.937 with a record of another commune: «Nguyễn Văn An» born 1990-05-01; city IT decides"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}
