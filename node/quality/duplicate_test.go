package quality

import (
	"slices"
	"testing"

	"github.com/xanode/xanode/node/registry"
)

func TestBlockKeysMeetDespiteDataEntryFaults(t *testing.T) {
	orig := person(ha, "old_id", "361234567")
	for _, tc := range []struct {
		name string
		dup  *registry.Citizen
	}{
		{"no diacritics", person("092185000999", "full_name", "Nguyen Thi Thu Ha")},
		{"given name first", person("092185000999", "full_name", "Hà Nguyễn Thị Thu")},
		{"typo in the name", person("092185000999", "full_name", "Nguyễn Thị Thu Hả", "mother_name", "-", "father_name", "-")},
		{"typo in the first letter", person("092185000999", "full_name", "gNuyễn Thị Thu Hà", "mother_name", "-", "father_name", "-")},
		{"typo and another date form", person("092185000999", "full_name", "Nguyễn Thi Thu Hà", "birth_date", "1985-08-03", "mother_name", "-", "father_name", "-")},
		{"typo in the name and the date", person("092185000999", "full_name", "Nguyễn Thị Thy Hà", "birth_date", "1985-03-18")},
		{"only the old ID", person("092185000999", "full_name", "Lê Văn Tám", "birth_date", "1985-01-01", "old_id", "361234567")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a, b := BlockKeys(orig), BlockKeys(tc.dup)
			shared := false
			for _, k := range a {
				shared = shared || slices.Contains(b, k)
			}
			if !shared {
				t.Fatalf("no shared key:\n%v\n%v", a, b)
			}
		})
	}
	if BlockKeys(person(ha, "birth_date", "-")) != nil {
		t.Fatal("a record without a date of birth has block keys")
	}
}

func TestLikeness(t *testing.T) {
	cfg := DefaultConfig()
	orig := person(ha, "hometown", "Xã Nhơn Ái, TP Cần Thơ")
	other := "092185000999"
	for _, tc := range []struct {
		name string
		b    *registry.Citizen
		dup  bool
	}{
		{"same but ID", person(other, "hometown", "Xã Nhơn Ái, TP Cần Thơ"), true},
		{"no diacritics anywhere", person(other, "full_name", "Nguyen Thi Thu Ha", "mother_name", "Tran Thi Lan", "father_name", "Nguyen Van Hung", "hometown", "Xa Nhon Ai, TP Can Tho"), true},
		{"given name first", person(other, "full_name", "Hà Nguyễn Thị Thu", "hometown", "Xã Nhơn Ái, TP Cần Thơ"), true},
		{"a typo, day and month swapped", person(other, "full_name", "Nguyễn Thị Thu Hàa", "birth_date", "1985-08-03", "hometown", "Xã Nhơn Ái, TP Cần Thơ"), true},
		{"a twin sister", person(other, "full_name", "Nguyễn Thị Thu Hương", "hometown", "Xã Nhơn Ái, TP Cần Thơ"), false},
		{"namesake of other parents", person(other, "mother_name", "Lê Thị Mai", "father_name", "Phạm Văn Tư", "birth_place", "Phường Cái Khế, TP Cần Thơ"), false},
		{"namesake, other old ID", person(other, "mother_name", "-", "father_name", "-", "old_id", "361111111"), false},
		{"other year", person(other, "birth_date", "1990-03-08", "mother_name", "Lê Thị Mai", "father_name", "Phạm Văn Tư"), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			orig := orig
			if tc.name == "namesake, other old ID" {
				orig = person(ha, "old_id", "361234567", "mother_name", "-", "father_name", "-")
			}
			f := checkPair(&cfg, orig, tc.b)
			if (f != nil) != tc.dup {
				t.Fatalf("likeness %d, duplicate %v, want %v", Likeness(orig, tc.b), f != nil, tc.dup)
			}
			if f != nil && (f.Citizen != ha || f.Other != other || f.Key() != "duplicate|"+ha+"|"+other) {
				t.Fatalf("finding %+v", f)
			}
			if f != nil {
				checkEvidence(t, f)
			}
			if g := checkPair(&cfg, tc.b, orig); (g == nil) != (f == nil) || g != nil && g.Key() != f.Key() {
				t.Fatal("the pair's order matters")
			}
		})
	}
	if checkPair(&cfg, orig, orig) != nil {
		t.Fatal("a record is its own duplicate")
	}
}

func TestDateLikeness(t *testing.T) {
	d := func(s string) registry.Date { x, _ := registry.ParseDate(s); return x }
	for _, tc := range []struct {
		a, b string
		want int
	}{
		{"1985-03-08", "1985-03-08", 1000}, {"1985-03-08", "1985-08-03", 800}, {"1985-03-08", "1985", 800},
		{"1985-03-08", "1985-03", 800}, {"1985-03-08", "1985-04-08", 400}, {"1985-03-08", "1986-03-08", 400},
		{"1985-03-08", "1987-03-08", 0},
	} {
		if got := dateLikeness(d(tc.a), d(tc.b)); got != tc.want {
			t.Errorf("dateLikeness(%s, %s) = %d, want %d", tc.a, tc.b, got, tc.want)
		}
	}
}

func TestPermille(t *testing.T) {
	for n, want := range map[int]string{0: "0.000", 7: "0.007", 937: "0.937", 1000: "1.000"} {
		if got := permille(n); got != want {
			t.Errorf("permille(%d) = %q", n, got)
		}
	}
}

// TestOtherNamesNeverReachTheThreshold: whatever else agrees, two names
// that do not match keep a pair below the least threshold Validate
// allows, which is what makes NamesMayMatch a safe filter.
func TestOtherNamesNeverReachTheThreshold(t *testing.T) {
	a := person(ha, "old_id", "361234567", "spouse_name", "Lê Văn Tám", "features", "Nốt ruồi C:1cm", "hometown", "Xã Nhơn Ái, TP Cần Thơ",
		"ethnicity", "Kinh", "religion", "Không", "mother_id", "092160000001", "father_id", "092158000002")
	b := person("092185000999", "full_name", "Nguyễn Thị Thu Hương", "old_id", "361234567", "spouse_name", "Lê Văn Tám",
		"features", "Nốt ruồi C:1cm", "hometown", "Xã Nhơn Ái, TP Cần Thơ", "ethnicity", "Kinh", "religion", "Không",
		"mother_id", "092160000001", "father_id", "092158000002")
	if NamesMayMatch(NameKey(a), NameKey(b)) {
		t.Fatal("Thu Hà and Thu Hương may match")
	}
	if s := Likeness(a, b); s >= 850 {
		t.Fatalf("likeness %d with names that do not match", s)
	}
}

// TestMergedRecordIsNobodys: a retired duplicate (merged into another
// record) is compared with nothing, counted in no household and checked
// by no rule; the record it went into answers for the person.
func TestMergedRecordIsNobodys(t *testing.T) {
	k, err := NewChecker(DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	live := person(ha, "household", "HK1", "relation", "Con")
	retired := person("092185000999", "status", registry.StatusMerged, "household", "HK1", "relation", "Chủ hộ", "sex", "M")
	twin := person("092185000998")
	for _, tc := range []struct {
		name  string
		found bool
	}{
		{"block keys", BlockKeys(retired) != nil},
		{"pair, retired first", k.Pair(retired, twin) != nil},
		{"pair, retired second", k.Pair(twin, retired) != nil},
		{"record rules", len(k.Record(retired, registry.Date{Year: 2026, Month: 12, Day: 5}, nil)) > 0},
		{"chip read", len(k.Read(retired, Read{Citizen: retired.ID, Fields: map[registry.Field]string{registry.FieldFullName: "x"}})) > 0},
		{"household head", k.Household("HK1", []*registry.Citizen{live, retired}) == nil},
	} {
		if tc.found {
			t.Errorf("%s: the retired record counts", tc.name)
		}
	}
	if k.Pair(live, twin) == nil || BlockKeys(twin) == nil {
		t.Fatal("the same records unretired are no duplicates: the test tests nothing")
	}
}
