package gen

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/xanode/xanode/node/registry"
	"golang.org/x/text/unicode/norm"
)

const testCommune = "92101"

// population is one 20k-citizen commune shared by the read-only tests.
var population = sync.OnceValues(func() ([]*registry.Citizen, error) {
	return Citizens(Options{Commune: testCommune, Citizens: 20000, Seed: 42})
})

func mustPopulation(t testing.TB) []*registry.Citizen {
	t.Helper()
	cs, err := population()
	if err != nil {
		t.Fatal(err)
	}
	return cs
}

func mustGenerate(t testing.TB, opts Options) []*registry.Citizen {
	t.Helper()
	cs, err := Citizens(opts)
	if err != nil {
		t.Fatal(err)
	}
	return cs
}

func jsonl(t testing.TB, cs []*registry.Citizen) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := WriteJSONL(&buf, cs...); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// byID indexes a population, failing on a repeated ID.
func byID(t testing.TB, cs []*registry.Citizen) map[string]*registry.Citizen {
	t.Helper()
	m := make(map[string]*registry.Citizen, len(cs))
	for _, c := range cs {
		if m[c.ID] != nil {
			t.Fatalf("personal ID %s issued twice", c.ID)
		}
		m[c.ID] = c
	}
	return m
}

func TestDeterministic(t *testing.T) {
	opts := Options{Commune: "92601", Citizens: 3000, Seed: 7}
	a, b := jsonl(t, mustGenerate(t, opts)), jsonl(t, mustGenerate(t, opts))
	if !bytes.Equal(a, b) {
		t.Fatal("the same options gave different files")
	}
	for _, other := range []Options{
		{Commune: "92601", Citizens: 3000, Seed: 8},
		{Commune: "92602", Citizens: 3000, Seed: 7},
		{Commune: "92601", Citizens: 3000, Seed: 7, Year: 2030},
	} {
		if bytes.Equal(a, jsonl(t, mustGenerate(t, other))) {
			t.Errorf("%+v gave the same file as %+v", other, opts)
		}
	}
	// The default year is 2026, written or not.
	opts.Year = DefaultYear
	if !bytes.Equal(a, jsonl(t, mustGenerate(t, opts))) {
		t.Error("Year 0 and Year 2026 differ")
	}
}

func TestExactSize(t *testing.T) {
	for _, n := range []int{1, 2, 3, 5, 17, 501} {
		cs := mustGenerate(t, Options{Commune: testCommune, Citizens: n, Seed: int64(n)})
		if len(cs) != n {
			t.Errorf("asked %d citizens, got %d", n, len(cs))
		}
		checkHouseholds(t, cs)
		checkLinks(t, cs)
	}
}

func TestGenerateStopsOnEmitError(t *testing.T) {
	stop := errors.New("stop")
	n := 0
	err := Generate(Options{Commune: testCommune, Citizens: 1000}, func(*registry.Citizen) error {
		if n++; n == 10 {
			return stop
		}
		return nil
	})
	if err != stop || n != 10 {
		t.Errorf("Generate = %v after %d citizens, want the emit error after 10", err, n)
	}
}

func TestOptionsValidate(t *testing.T) {
	tests := []struct {
		opts Options
		want string
	}{
		{Options{Commune: "99999", Citizens: 1}, "92101 Phường Ninh Kiều"},
		{Options{Commune: "", Citizens: 1}, "unknown commune"},
		{Options{Commune: testCommune, Citizens: 0}, "citizens"},
		{Options{Commune: testCommune, Citizens: MaxCitizens + 1}, "citizens"},
		{Options{Commune: testCommune, Citizens: 1, Year: 1999}, "year"},
		{Options{Commune: testCommune, Citizens: 1, Year: 2301}, "year"},
	}
	for _, tt := range tests {
		err := tt.opts.Validate()
		if !errors.Is(err, ErrOptions) || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%+v: Validate() = %v, want ErrOptions mentioning %q", tt.opts, err, tt.want)
		}
		if _, err := Citizens(tt.opts); !errors.Is(err, ErrOptions) {
			t.Errorf("%+v: Citizens() = %v, want ErrOptions", tt.opts, err)
		}
	}
	if err := (Options{Commune: testCommune, Citizens: 1, Year: 2000}).Validate(); err != nil {
		t.Errorf("year 2000: %v", err)
	}
}

func TestCommunes(t *testing.T) {
	cs := Communes()
	if len(cs) == 0 || len(cs) > communeSlots {
		t.Fatalf("%d communes, want 1..%d", len(cs), communeSlots)
	}
	codes, slots := map[string]bool{}, map[int]bool{}
	for _, c := range cs {
		if len(c.Code) != 5 || !strings.HasPrefix(c.Code, "92") || codes[c.Code] {
			t.Errorf("code %q: want a unique synthetic 92xxx code", c.Code)
		}
		if c.slot < 0 || c.slot >= communeSlots || slots[c.slot] {
			t.Errorf("%s: slot %d repeated or out of range", c.Code, c.slot)
		}
		codes[c.Code], slots[c.slot] = true, true
		if !strings.HasPrefix(c.Name, "Phường ") && !strings.HasPrefix(c.Name, "Xã ") {
			t.Errorf("%s: name %q is neither a phường nor a xã", c.Code, c.Name)
		}
		if name, err := CommuneName(c.Code); err != nil || name != c.Name {
			t.Errorf("CommuneName(%s) = %q, %v", c.Code, name, err)
		}
		if len(c.streets) < 3 {
			t.Errorf("%s: only %d streets", c.Code, len(c.streets))
		}
	}
	cs[0].Name = "changed"
	if Communes()[0].Name == "changed" {
		t.Error("Communes() exposes the table")
	}
	if _, err := CommuneName("00000"); !errors.Is(err, ErrOptions) {
		t.Errorf("CommuneName(unknown) = %v", err)
	}
}

func TestPersonalIDs(t *testing.T) {
	cs := mustPopulation(t)
	byID(t, cs)
	canTho := 0
	slot := 0 // testCommune's slot
	for _, c := range cs {
		if err := registry.CheckID(c.ID, c.BirthDate(), c.Get(registry.FieldSex)); err != nil {
			t.Fatalf("%s: %v", c.ID, err)
		}
		p, _ := registry.ParseID(c.ID)
		if p.Province == "092" {
			canTho++
		} else if _, ok := registry.Provinces[p.Province]; !ok {
			t.Errorf("%s: province %s is not in registry.Provinces", c.ID, p.Province)
		}
		var serial int
		fmt.Sscan(p.Serial, &serial)
		if serial < slot*slotSize || serial >= (slot+1)*slotSize {
			t.Errorf("%s: serial outside the commune's range", c.ID)
		}
		if c.Get(registry.FieldCardNumber) != "" && c.Get(registry.FieldCardNumber) != c.ID {
			t.Errorf("%s: card number %s is not the personal ID", c.ID, c.Get(registry.FieldCardNumber))
		}
	}
	if share := float64(canTho) / float64(len(cs)); share < 0.75 || share > 0.95 {
		t.Errorf("%.0f%% born in Cần Thơ, want most but not all", 100*share)
	}
}

func TestCommunesNeverShareIDs(t *testing.T) {
	ids := map[string]string{}
	for _, code := range []string{"92101", "92102", "92701"} {
		for _, c := range mustGenerate(t, Options{Commune: code, Citizens: 4000, Seed: 1}) {
			for _, id := range []string{c.ID, c.Get(registry.FieldOldID)} {
				if id == "" {
					continue
				}
				if prev, ok := ids[id]; ok {
					t.Fatalf("ID %s issued in %s and %s", id, prev, code)
				}
				ids[id] = code
			}
		}
	}
}

func TestValuesCanonical(t *testing.T) {
	required := []registry.Field{
		registry.FieldFullName, registry.FieldBirthDate, registry.FieldSex, registry.FieldNationality,
		registry.FieldEthnicity, registry.FieldReligion, registry.FieldBirthPlace, registry.FieldHometown,
		registry.FieldPermanentAddress, registry.FieldCurrentAddress, registry.FieldCommune,
		registry.FieldHousehold, registry.FieldRelation, registry.FieldStatus,
	}
	for _, c := range mustPopulation(t) {
		if c.Version != 0 || c.Stamps != [registry.NumFields]registry.Stamp{} {
			t.Fatalf("%s: generated records carry Version 0 and zero stamps", c.ID)
		}
		for f := registry.Field(1); int(f) < registry.NumFields; f++ {
			v := c.Values[f]
			if nv, err := f.Normalize(v); err != nil || nv != v {
				t.Fatalf("%s: %s = %q normalizes to %q, %v", c.ID, f, v, nv, err)
			}
		}
		for _, f := range required {
			if c.Values[f] == "" {
				t.Fatalf("%s: %s is empty", c.ID, f)
			}
		}
		if c.Get(registry.FieldNationality) != "Việt Nam" || c.Get(registry.FieldStatus) != registry.StatusAlive ||
			c.Get(registry.FieldCommune) != testCommune {
			t.Fatalf("%s: nationality, status or commune wrong: %v", c.ID, c.Fields())
		}
		if !strings.HasSuffix(c.Get(registry.FieldPermanentAddress), ", Phường Ninh Kiều, TP Cần Thơ") {
			t.Fatalf("%s: permanent address %q", c.ID, c.Get(registry.FieldPermanentAddress))
		}
	}
}

func TestNames(t *testing.T) {
	cs := mustPopulation(t)
	plain := 0
	for _, c := range cs {
		for _, f := range []registry.Field{registry.FieldFullName, registry.FieldFatherName, registry.FieldMotherName, registry.FieldSpouseName} {
			name := c.Get(f)
			if name == "" {
				continue
			}
			if !norm.NFC.IsNormalString(name) {
				t.Fatalf("%s: %s %q is not NFC", c.ID, f, name)
			}
			if words := strings.Fields(name); len(words) < 2 || len(words) > 5 || strings.Join(words, " ") != name {
				t.Fatalf("%s: %s %q is not 2–5 words", c.ID, f, name)
			}
		}
		if name := c.Get(registry.FieldFullName); registry.FoldName(name) == strings.ToLower(name) {
			plain++ // no diacritics at all, e.g. "Mai Minh Anh": real, but rare
		}
	}
	if share := float64(plain) / float64(len(cs)); share > 0.03 {
		t.Errorf("%.1f%% of full names have no diacritics", 100*share)
	}
}

// TestFamilyNameDistribution checks the national shares the issue gives.
func TestFamilyNameDistribution(t *testing.T) {
	want := []struct {
		names   []string
		percent float64
	}{
		{[]string{"Nguyễn"}, 38}, {[]string{"Trần"}, 11}, {[]string{"Lê"}, 9.5}, {[]string{"Phạm"}, 7},
		{[]string{"Huỳnh", "Hoàng"}, 5}, {[]string{"Phan"}, 4.5}, {[]string{"Vũ", "Võ"}, 3.9},
		{[]string{"Đặng"}, 2.1}, {[]string{"Bùi"}, 2}, {[]string{"Đỗ"}, 1.4}, {[]string{"Hồ"}, 1.3},
		{[]string{"Ngô"}, 1.3}, {[]string{"Dương"}, 1}, {[]string{"Lý"}, 0.5},
	}
	cs := mustPopulation(t)
	count := map[string]int{}
	for _, c := range cs {
		count[strings.Fields(c.Get(registry.FieldFullName))[0]]++
	}
	for _, w := range want {
		n := 0
		for _, name := range w.names {
			n += count[name]
		}
		got := 100 * float64(n) / float64(len(cs))
		if tol := 0.1*w.percent + 0.6; math.Abs(got-w.percent) > tol {
			t.Errorf("%v: %.2f%%, want %.1f%% ± %.2f", w.names, got, w.percent, tol)
		}
	}
	for _, name := range []string{"Thạch", "Sơn", "Danh", "Trương", "Lâm", "Quách"} {
		if count[name] == 0 {
			t.Errorf("no one is called %s", name)
		}
	}
}

func TestEthnicityAndReligion(t *testing.T) {
	religions := map[string]bool{"Không": true, "Phật giáo": true, "Công giáo": true, "Cao Đài": true, "Hòa Hảo": true, "Tin Lành": true}
	eth, rel := map[string]int{}, map[string]int{}
	khmerBuddhist := 0
	cs := mustPopulation(t)
	for _, c := range cs {
		e, r := c.Get(registry.FieldEthnicity), c.Get(registry.FieldReligion)
		eth[e]++
		rel[r]++
		if !religions[r] {
			t.Fatalf("%s: religion %q", c.ID, r)
		}
		if e == ethnicKhmer && r == "Phật giáo" {
			khmerBuddhist++
		}
	}
	if len(eth) != 3 || eth[ethnicKinh] < len(cs)*85/100 || eth[ethnicKhmer] < len(cs)/100 || eth[ethnicHoa] < len(cs)/200 {
		t.Errorf("ethnicities %v: want mostly Kinh, some Khmer and Hoa", eth)
	}
	if khmerBuddhist < eth[ethnicKhmer]*8/10 {
		t.Errorf("%d of %d Khmer are Buddhist", khmerBuddhist, eth[ethnicKhmer])
	}
	if len(rel) != len(religions) || rel["Không"] < len(cs)/2 {
		t.Errorf("religions %v: want every one, most none", rel)
	}
}

func TestDatesAndDocuments(t *testing.T) {
	ref := time.Date(DefaultYear, 6, 30, 0, 0, 0, 0, time.UTC)
	cs := mustPopulation(t)
	oldIDs := map[string]bool{}
	yearOnly, cards, temporary := 0, 0, 0
	for _, c := range cs {
		d := c.BirthDate()
		if d.Day == 0 {
			yearOnly++
			if d.Month != 0 || d.Year >= 1945 {
				t.Fatalf("%s: partial birth date %v for someone born after 1945", c.ID, d)
			}
		}
		birth := time.Date(d.Year, time.Month(max(d.Month, 1)), max(d.Day, 1), 0, 0, 0, 0, time.UTC)
		if birth.After(ref) || ref.Year()-d.Year > maxAge {
			t.Fatalf("%s: born %v", c.ID, d)
		}
		adult := !birth.AddDate(14, 0, 0).After(ref)
		if hasCard := c.Get(registry.FieldCardNumber) != ""; hasCard != adult {
			t.Fatalf("%s: born %v, card %v", c.ID, d, hasCard)
		}
		if adult {
			cards++
			checkCard(t, c, birth, ref)
		}
		if old := c.Get(registry.FieldOldID); old != "" {
			if len(old) != 9 || !strings.HasPrefix(old, oldIDPrefix) || oldIDs[old] || d.Year >= 1995 {
				t.Fatalf("%s: old ID %q (born %d)", c.ID, old, d.Year)
			}
			oldIDs[old] = true
		}
		if tmp := c.Get(registry.FieldTemporaryAddress); tmp != "" {
			temporary++
			until, _ := registry.ParseDate(c.Get(registry.FieldTemporaryUntil))
			if c.Get(registry.FieldCurrentAddress) != tmp || !until.After(ref) {
				t.Fatalf("%s: temporary residence %q until %v, current %q", c.ID, tmp, until, c.Get(registry.FieldCurrentAddress))
			}
		} else if c.Get(registry.FieldCurrentAddress) != c.Get(registry.FieldPermanentAddress) || c.Get(registry.FieldTemporaryUntil) != "" {
			t.Fatalf("%s: lives away without a temporary residence", c.ID)
		}
	}
	if yearOnly == 0 || yearOnly > len(cs)/50 {
		t.Errorf("%d year-only birth dates, want a few", yearOnly)
	}
	if len(oldIDs) < cards/5 || temporary == 0 || temporary > len(cs)/20 {
		t.Errorf("%d old IDs for %d card holders, %d temporary residents", len(oldIDs), cards, temporary)
	}
}

// checkCard: issued on or after the 14th birthday, 2016 and before the
// reference date; expiring at 25, 40 or 60 (not yet expired), or never.
func checkCard(t *testing.T, c *registry.Citizen, birth, ref time.Time) {
	t.Helper()
	issuedD, err1 := registry.ParseDate(c.Get(registry.FieldCardIssued))
	expiryD, err2 := registry.ParseDate(c.Get(registry.FieldCardExpiry))
	if err1 != nil || err2 != nil || issuedD.Day == 0 {
		t.Fatalf("%s: card dates %v", c.ID, c.Fields())
	}
	issued := time.Date(issuedD.Year, time.Month(issuedD.Month), issuedD.Day, 0, 0, 0, 0, time.UTC)
	if issued.Before(birth.AddDate(14, 0, 0)) || issued.Before(cardStart) || issued.After(ref) {
		t.Fatalf("%s: born %v, card issued %v", c.ID, birth, issued)
	}
	if expiryD.IsZero() {
		if birth.AddDate(60, 0, 0).After(issued.AddDate(2, 0, 0)) {
			t.Fatalf("%s: card without expiry issued at %v to someone born %v", c.ID, issued, birth)
		}
		return
	}
	expiry := time.Date(expiryD.Year, time.Month(expiryD.Month), expiryD.Day, 0, 0, 0, 0, time.UTC)
	age := expiryD.Year - birth.Year()
	if (age != 25 && age != 40 && age != 60) || !expiry.After(ref) || expiry.Before(issued.AddDate(2, 0, 0)) {
		t.Fatalf("%s: born %v, card issued %v expires %v", c.ID, birth, issued, expiry)
	}
}

// TestTwoLevelAddresses: since 1 July 2025 there are no districts. Every
// place the generator writes names a commune and a province only, and
// each commune's former units are written as they were (with the
// district), for cards issued before the reform.
func TestTwoLevelAddresses(t *testing.T) {
	district := regexp.MustCompile(`(?i)(^|, )(quận|huyện|thị xã) |, (TP|Thành phố) [^,]+, (Tỉnh|TP|Thành phố) `)
	for _, code := range []string{"92101", "92601"} {
		for _, c := range mustGenerate(t, Options{Commune: code, Citizens: 3000, Seed: 3}) {
			for _, f := range []registry.Field{registry.FieldPermanentAddress, registry.FieldCurrentAddress, registry.FieldTemporaryAddress,
				registry.FieldBirthPlace, registry.FieldHometown} {
				if v := c.Get(f); district.MatchString(v) {
					t.Fatalf("%s: %s %q names a district", c.ID, f, v)
				}
			}
		}
	}
	for _, c := range Communes() {
		if strings.Contains(c.Name, ",") || !strings.HasSuffix(c.Place(), ", TP Cần Thơ") {
			t.Errorf("%s: place %q", c.Code, c.Place())
		}
		for _, f := range c.Former {
			if !district.MatchString(f) {
				t.Errorf("%s: former unit %q names no district", c.Code, f)
			}
		}
	}
}

// TestSampleUnitMapCoversFormerUnits: the sample unit map in testdata
// (what the demo loads) maps every former unit the table names to its
// commune, so an address written before the reform is the same place.
func TestSampleUnitMapCoversFormerUnits(t *testing.T) {
	f, err := os.Open(filepath.Join("..", "..", "testdata", "unitmap", "can-tho-2025.csv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	m, err := registry.ParseUnitMap(f)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range Communes() {
		for _, old := range c.Former {
			if same, renamed := m.SamePlace("Số 1 Đường Lê Lợi, "+old, "Số 1 Đường Lê Lợi, "+c.Place()); !same || !renamed {
				t.Errorf("%s: the sample map does not take %q to %q", c.Code, old, c.Place())
			}
		}
	}
}
