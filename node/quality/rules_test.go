package quality

import (
	"slices"
	"strings"
	"testing"

	"github.com/xanode/xanode/node/registry"
)

// ruleCase is one row of a rule's table: a record, and the fields a
// finding names (nil: no finding).
type ruleCase struct {
	name   string
	c      *registry.Citizen
	fields []string
}

func runCases(t *testing.T, rule func(*registry.Citizen) *Finding, want Rule, cases []ruleCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := rule(tc.c)
			switch {
			case tc.fields == nil && f != nil:
				t.Fatalf("finding %+v, want none", f)
			case tc.fields != nil && f == nil:
				t.Fatalf("no finding, want one on %v", tc.fields)
			case f != nil:
				if f.Rule != want || !slices.Equal(fieldsOf(f), tc.fields) {
					t.Fatalf("finding %+v, want %s on %v", f, want, tc.fields)
				}
				checkEvidence(t, f)
			}
		})
	}
}

func TestIDProvince(t *testing.T) {
	runCases(t, checkIDProvince, RuleIDProvince, []ruleCase{
		{"agrees", person(ha), nil},
		{"former province of the code's unit", person("093185000123", "birth_place", "Phường 5, TP Vị Thanh, Tỉnh Hậu Giang"), nil},
		{"written in force for a former code", person("093185000123", "birth_place", "Phường Vị Thanh, TP Cần Thơ"), nil},
		{"another province", person(ha, "birth_place", "Phường Hoàn Kiếm, TP Hà Nội"), []string{"birth_place"}},
		{"former province elsewhere", person(ha, "birth_place", "Xã Vĩnh Trạch, Huyện Thoại Sơn, Tỉnh An Giang"), []string{"birth_place"}},
		{"unknown code", person("099185000123", "birth_place", "Phường Hoàn Kiếm, TP Hà Nội"), nil},
		{"place names no province", person(ha, "birth_place", "Bệnh viện Đa khoa"), nil},
		{"no place", person(ha, "birth_place", "-"), nil},
		{"provisional ID", person("P-edge-1-4", "birth_place", "Phường Hoàn Kiếm, TP Hà Nội"), nil},
	})
}

func TestIDSex(t *testing.T) {
	runCases(t, checkIDSex, RuleIDSex, []ruleCase{
		{"female agrees", person(ha), nil},
		{"male agrees", person("092085000123", "sex", "M"), nil},
		{"male with female digit", person(ha, "sex", "M"), []string{"sex"}},
		{"female with male digit, 2000s", person("092205000123", "sex", "F", "birth_date", "2005-01-02"), []string{"sex"}},
		{"no sex", person(ha, "sex", "-"), nil},
	})
}

func TestIDCentury(t *testing.T) {
	runCases(t, checkIDCentury, RuleIDCentury, []ruleCase{
		{"agrees", person(ha), nil},
		{"2000s digit, born 1985", person("092385000123"), []string{"birth_date"}},
		{"1900s digit, born 2085 (year only)", person(ha, "birth_date", "2085"), []string{"birth_date"}},
		{"no date", person(ha, "birth_date", "-"), nil},
	})
}

func TestIDBirthYear(t *testing.T) {
	runCases(t, checkIDBirthYear, RuleIDBirthYear, []ruleCase{
		{"agrees", person(ha), nil},
		{"agrees, year only", person(ha, "birth_date", "1985"), nil},
		{"a year off", person(ha, "birth_date", "1986-03-08"), []string{"birth_date"}},
		{"century off only is the century rule's", person(ha, "birth_date", "2085-03-08"), nil},
		{"no date", person(ha, "birth_date", "-"), nil},
	})
}

func TestBirthFuture(t *testing.T) {
	rule := func(c *registry.Citizen) *Finding { return checkBirthFuture(c, asOf) }
	runCases(t, rule, RuleBirthFuture, []ruleCase{
		{"past", person(ha), nil},
		{"the reference day", person("092226000123", "birth_date", "2026-06-30"), nil},
		{"the day after", person("092226000123", "birth_date", "2026-07-01"), []string{"birth_date"}},
		{"this year, month unknown: may be past", person("092226000123", "birth_date", "2026"), nil},
		{"next year", person("092227000123", "birth_date", "2027"), []string{"birth_date"}},
	})
}

func TestDeathDate(t *testing.T) {
	rule := func(c *registry.Citizen) *Finding { return checkDeathDate(c, asOf) }
	runCases(t, rule, RuleDeathDate, []ruleCase{
		{"alive", person(ha), nil},
		{"after birth", person(ha, "status", "deceased", "death_date", "2020-01-01"), nil},
		{"before birth", person(ha, "status", "deceased", "death_date", "1984-12-31"), []string{"death_date"}},
		{"birth year only, death same year", person(ha, "birth_date", "1985", "status", "deceased", "death_date", "1985-01-01"), nil},
		{"in the future", person(ha, "status", "deceased", "death_date", "2026-07-02"), []string{"death_date"}},
	})
}

func TestParentAge(t *testing.T) {
	cfg := DefaultConfig()
	mother := person("092160000001", "birth_date", "1960-01-01")
	young := person("092180000002", "birth_date", "1980-01-01")
	old := person("092090000003", "birth_date", "1890", "sex", "M")
	r := with(mother, young, old)
	rule := func(c *registry.Citizen) *Finding { return checkParentAge(&cfg, c, r) }
	runCases(t, rule, RuleParentAge, []ruleCase{
		{"no parent IDs", person(ha), nil},
		{"mother 25 years older", person(ha, "mother_id", mother.ID), nil},
		{"mother 5 years older", person(ha, "mother_id", young.ID), []string{"mother_id"}},
		{"father 95 years older", person(ha, "father_id", old.ID), []string{"father_id"}},
		{"both wrong", person(ha, "father_id", old.ID, "mother_id", young.ID), []string{"father_id", "mother_id"}},
		{"parent unknown to the registry", person(ha, "mother_id", "092160999999"), nil},
		{"own mother", person(ha, "mother_id", ha), []string{"mother_id"}},
		{"child's date unknown", person(ha, "mother_id", young.ID, "birth_date", "-"), nil},
	})
}

func TestAddressUnits(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Units = &Units{Communes: map[string][]string{"Cần Thơ": {"Phường Ninh Kiều", "Xã Nhơn Ái"}}}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	rule := func(c *registry.Citizen) *Finding { return checkAddresses(&cfg, c) }
	const ok = "12 Đường Mậu Thân, Khu vực 2, Phường Ninh Kiều, TP Cần Thơ"
	runCases(t, rule, RuleAddressUnit, []ruleCase{
		{"in force", person(ha), nil},
		{"rural in force", person(ha, "permanent_address", "Số 3, Tổ 1, Ấp Nhơn Lộc, Xã Nhơn Ái, Thành phố Cần Thơ"), nil},
		{"other province, shape only", person(ha, "temporary_address", "45 Đường số 1, Phường Linh Xuân, TP Hồ Chí Minh"), nil},
		{"with the old district", person(ha, "permanent_address", "12 Đường Mậu Thân, Phường Xuân Khánh, Quận Ninh Kiều, TP Cần Thơ"), []string{"permanent_address"}},
		{"abolished province", person(ha, "current_address", "Số 4, Phường 5, Tỉnh Hậu Giang"), []string{"current_address"}},
		{"township", person(ha, "permanent_address", "Số 4, Thị trấn Phong Điền, TP Cần Thơ"), []string{"permanent_address"}},
		{"unknown ward of a listed province", person(ha, "permanent_address", "Số 4, Phường Xuân Khánh, TP Cần Thơ"), []string{"permanent_address"}},
		{"no province", person(ha, "permanent_address", "Số 4 Đường Lê Lợi"), []string{"permanent_address"}},
		{"ends with a ward", person(ha, "permanent_address", "Số 4, Phường Ninh Kiều"), []string{"permanent_address"}},
		{"a city inside the province", person(ha, "permanent_address", "Phường Vị Thanh, Thành phố Vị Thanh, TP Cần Thơ"), []string{"permanent_address"}},
		{"no commune", person(ha, "permanent_address", "Số 4 Đường Lê Lợi, TP Cần Thơ"), []string{"permanent_address"}},
		{"two bad", person(ha, "permanent_address", "Số 4, Tỉnh Sóc Trăng", "current_address", "Số 4, Tỉnh Sóc Trăng"), []string{"permanent_address", "current_address"}},
		{"empty is not this rule's", person(ha, "permanent_address", "-", "current_address", ok), nil},
	})
}

func TestCheckAddressReasons(t *testing.T) {
	var u Units
	u.compile()
	for addr, want := range map[string]string{
		"Số 4, Phường 5, Tỉnh Hậu Giang":                     "no longer exists (now Cần Thơ)",
		"1 Lê Lợi, Phường Bến Thành, Quận 1, TP Hồ Chí Minh": "districts no longer exist",
		"Phường Vị Thanh, Thành phố Vị Thanh, TP Cần Thơ":    "unit above the commune",
		"Xã Long Hồ, Tỉnh Vĩnh Long":                         "",
		"Đặc khu Phú Quốc, Tỉnh An Giang":                    "",
		"Phường Thuận Hóa, TP Huế":                           "",
		"Phường Thuận Hóa, Tỉnh Thừa Thiên Huế":              "no longer exists (now Huế)",
	} {
		got := u.CheckAddress(addr)
		if (want == "") != (got == "") || !strings.Contains(got, want) {
			t.Errorf("CheckAddress(%q) = %q, want %q", addr, got, want)
		}
	}
}

func TestRequired(t *testing.T) {
	runCases(t, checkRequired, RuleRequired, []ruleCase{
		{"complete", person(ha), nil},
		{"alive without permanent address", person(ha, "permanent_address", "-"), []string{"permanent_address"}},
		{"deceased without death date or address", person(ha, "status", "deceased", "permanent_address", "-"), []string{"death_date"}},
		{"member without relation, no sex", person(ha, "relation", "-", "sex", "-"), []string{"sex", "relation"}},
		{"no household, no relation", person(ha, "relation", "-", "household", "-"), nil},
	})
}

func TestNoCard(t *testing.T) {
	cfg := DefaultConfig()
	rule := func(c *registry.Citizen) *Finding { return checkNoCard(&cfg, c, asOf) }
	runCases(t, rule, RuleNoCard, []ruleCase{
		{"has a card", person(ha), nil},
		{"adult without", person(ha, "card_number", "-"), []string{"card_number"}},
		{"14, still applying", person("092212000123", "birth_date", "2012-01-01", "card_number", "-"), nil},
		{"15", person("092211000123", "birth_date", "2011-06-30", "card_number", "-"), []string{"card_number"}},
		{"15 later this year", person("092211000123", "birth_date", "2011", "card_number", "-"), nil},
		{"foreigner", person(ha, "card_number", "-", "nationality", "Hàn Quốc"), nil},
		{"deceased", person(ha, "card_number", "-", "status", "deceased", "death_date", "2020-01-01"), nil},
	})
}

func TestUnconfirmed(t *testing.T) {
	cfg := DefaultConfig()
	seen := registry.Date{}
	rule := func(c *registry.Citizen) *Finding { return checkUnconfirmed(&cfg, c, asOf, seen) }
	runCases(t, rule, RuleUnconfirmed, []ruleCase{
		{"card issued 2021", person(ha), nil},
		{"card issued 2011-07-01", person(ha, "card_issued", "2011-07-01"), nil},
		{"card issued 2011-06-30", person(ha, "card_issued", "2011-06-30"), []string{"card_issued"}},
		{"no card, born 1985", person(ha, "card_issued", "-"), []string{"card_issued"}},
		{"a child, by the birth", person("092220000123", "birth_date", "2020-01-01", "card_issued", "-"), nil},
		{"deceased", person(ha, "card_issued", "2001-01-01", "status", "deceased", "death_date", "2002-01-01"), nil},
	})
	seen = registry.Date{Year: 2025, Month: 1, Day: 1}
	runCases(t, rule, RuleUnconfirmed, []ruleCase{
		{"old card, read at the desk last year", person(ha, "card_issued", "2001-01-01"), nil},
	})
}

func TestTemporaryEnd(t *testing.T) {
	rule := func(c *registry.Citizen) *Finding { return checkTemporaryEnd(c, asOf) }
	const tmp = "45 Đường số 1, Phường Linh Xuân, TP Hồ Chí Minh"
	runCases(t, rule, RuleTemporaryEnd, []ruleCase{
		{"none", person(ha), nil},
		{"running", person(ha, "temporary_address", tmp, "temporary_until", "2026-06-30"), nil},
		{"ended yesterday", person(ha, "temporary_address", tmp, "temporary_until", "2026-06-29"), []string{"temporary_address", "temporary_until"}},
		{"ended, month only, this month", person(ha, "temporary_address", tmp, "temporary_until", "2026-06"), nil},
		{"end cleared with the address", person(ha, "temporary_until", "2020-01-01"), nil},
	})
}

func TestOver120(t *testing.T) {
	cfg := DefaultConfig()
	rule := func(c *registry.Citizen) *Finding { return checkOver120(&cfg, c, asOf) }
	runCases(t, rule, RuleOver120, []ruleCase{
		{"41", person(ha), nil},
		{"120", person("092006000123", "birth_date", "1906-06-30"), nil},
		{"121", person("092005000123", "birth_date", "1905-06-30"), []string{"birth_date", "status"}},
		{"121 dead", person("092005000123", "birth_date", "1905-06-30", "status", "deceased", "death_date", "1990"), nil},
		{"year only, maybe 121", person("092005000123", "birth_date", "1905"), nil},
	})
}

func TestDeadInHousehold(t *testing.T) {
	cfg := DefaultConfig()
	rule := func(c *registry.Citizen) *Finding { return checkDeadInHousehold(&cfg, c, asOf) }
	runCases(t, rule, RuleDeadInHousehold, []ruleCase{
		{"alive", person(ha), nil},
		{"died last month", person(ha, "status", "deceased", "death_date", "2026-05-30"), nil},
		{"died last year", person(ha, "status", "deceased", "death_date", "2025-05-30"), []string{"household", "status"}},
		{"no date of death", person(ha, "status", "deceased"), []string{"household", "status"}},
		{"deregistered", person(ha, "status", "deceased", "death_date", "2020-01-01", "household", "-", "relation", "-"), nil},
	})
}

func TestHousehold(t *testing.T) {
	head := person("092160000001", "household", "HK1")
	wife := person("092162000002", "household", "HK1", "relation", "Vợ")
	child := person("092290000003", "household", "HK1", "relation", "Con")
	deadHead := person("092160000001", "household", "HK1", "status", "deceased", "death_date", "2020-01-01")
	secondHead := person("092162000002", "household", "HK1", "relation", "chu ho")
	elsewhere := person("092162000009", "household", "HK2")
	for _, tc := range []struct {
		name    string
		members []*registry.Citizen
		want    string // evidence part; "" for no finding
	}{
		{"one head", []*registry.Citizen{head, wife, child}, ""},
		{"no head", []*registry.Citizen{wife, child}, "no living head among 2"},
		{"head died", []*registry.Citizen{deadHead, wife, child}, "no living head"},
		{"two heads", []*registry.Citizen{head, secondHead}, "2 heads"},
		{"other households ignored", []*registry.Citizen{head, elsewhere}, ""},
		{"dissolved", []*registry.Citizen{deadHead}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := checkHousehold("HK1", tc.members)
			switch {
			case tc.want == "" && f != nil:
				t.Fatalf("finding %+v", f)
			case tc.want != "" && (f == nil || !strings.Contains(f.Evidence.English(), tc.want) || f.Household != "HK1" || f.Citizen != "092162000002" && f.Citizen != "092160000001"):
				t.Fatalf("finding %+v, want %q", f, tc.want)
			}
			if f != nil {
				checkEvidence(t, f)
			}
		})
	}
}

func TestRecordRunsEveryRecordRule(t *testing.T) {
	k := mustChecker(t)
	if fs := k.Record(person(ha), asOf, with()); len(fs) != 0 {
		t.Fatalf("a healthy record has findings: %+v", fs)
	}
	bad := person("092385000123", "birth_place", "Phường Hoàn Kiếm, TP Hà Nội", "sex", "M", "birth_date", "1986-03-08",
		"permanent_address", "Số 4, Tỉnh Hậu Giang", "card_number", "-", "card_issued", "-",
		"temporary_address", "Số 1, Phường Tân An, TP Cần Thơ", "temporary_until", "2020-01-01")
	got := rulesOf(k.Record(bad, asOf, with()))
	want := []Rule{RuleIDProvince, RuleIDSex, RuleIDCentury, RuleIDBirthYear, RuleAddressUnit, RuleNoCard, RuleUnconfirmed, RuleTemporaryEnd}
	if !slices.Equal(got, want) {
		t.Fatalf("rules %v, want %v", got, want)
	}
	for _, r := range RecordRules {
		if _, ok := Info(r); !ok {
			t.Errorf("rule %s has no description", r)
		}
	}
}

func TestConfigValidate(t *testing.T) {
	for _, bad := range []func(*Config){
		func(c *Config) { c.CardAge = 5 },
		func(c *Config) { c.StaleYears = 0 },
		func(c *Config) { c.MaxAge = 90 },
		func(c *Config) { c.MaxMotherGap = c.MinParentGap },
		func(c *Config) { c.DuplicateScore = 1001 },
		func(c *Config) { c.MaxBlock = 1 },
	} {
		c := DefaultConfig()
		bad(&c)
		if _, err := NewChecker(c); err == nil {
			t.Errorf("config %+v accepted", c)
		}
	}
}
