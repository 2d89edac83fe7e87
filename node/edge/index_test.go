package edge

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/xanode/xanode/certs"
	"github.com/xanode/xanode/node/registry"
)

func person(id, name, other, birth, household string) *registry.Citizen {
	c := citizen(id, name)
	c.Values[registry.FieldOtherName] = other
	c.Values[registry.FieldBirthDate] = birth
	c.Values[registry.FieldHousehold] = household
	return c
}

// village is a subset with namesakes, partial dates and two households.
func village() []*registry.Citizen {
	return []*registry.Citizen{
		person("092090001234", "Nguyễn Văn An", "", "1990-05-01", "HK1"),
		person("092090001235", "Nguyễn Văn An", "", "1990-07-02", "HK2"),
		person("092090001236", "Nguyễn Văn An", "", "1990", "HK2"),
		person("092085001237", "Nguyễn Văn An", "", "1985-05-01", ""),
		person("092190001238", "Đặng Thị Đào", "Bé Đào", "2001-02-03", "HK1"),
		person("092095001239", "Nguyễn Văn An", "", "", "HK1"),
		person("092090001240", "Nguyễn Văn Anh", "", "1990-05-01", "HK1"),
	}
}

func mustVillage(t *testing.T) (*Store, *Importer, *certs.PKI) {
	t.Helper()
	p := mustPKI(t)
	s := mustStore(t)
	im := importer(s, p)
	if _, err := im.Import(context.Background(), makeBundle(t, p, commune, 10, village())); err != nil {
		t.Fatal(err)
	}
	return s, im, p
}

func ids(cs []*registry.Citizen) []string {
	var out []string
	for _, c := range cs {
		out = append(out, c.ID)
	}
	return out
}

// search runs a search and returns the IDs found.
func search(t *testing.T, s *Store, name string, birth registry.Date, limit int) []string {
	t.Helper()
	res, err := s.Search(Query{Name: name, Birth: birth, Limit: limit})
	if err != nil {
		t.Fatalf("Search(%q): %v", name, err)
	}
	var out []string
	for _, m := range res.Matches {
		out = append(out, m.Citizen.ID)
	}
	return out
}

func TestSearch(t *testing.T) {
	s, _, _ := mustVillage(t)
	date := func(s string) registry.Date {
		d, err := registry.ParseDate(s)
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	const (
		an90     = "092090001234"
		an90July = "092090001235"
		an90Year = "092090001236"
		an85     = "092085001237"
		dao      = "092190001238"
		anNoDate = "092095001239"
		anh      = "092090001240"
	)
	tests := []struct {
		name  string
		birth registry.Date
		limit int
		want  []string
		total int
	}{
		// Exact names first; then by year, date agreement, ID; 1985 is
		// too far from 1990, a record without a year comes after those
		// with one; "Anh" is a prefix match, last.
		{"nguyen van an", date("1990-05-01"), 10, []string{an90, an90Year, an90July, anNoDate, anh}, 5},
		{"Nguyễn  Văn  AN", date("1990-05-01"), 10, []string{an90, an90Year, an90July, anNoDate, anh}, 5},
		{"nguyen van an", date("1990-05-01"), 2, []string{an90, an90Year}, 5},
		{"nguyen van an", date("1986"), 10, []string{an85, anNoDate}, 2},
		{"van an", registry.Date{}, 10, []string{an85, an90, an90July, an90Year, anNoDate, anh}, 6},
		{"nguyen van", registry.Date{}, 10, []string{an85, an90, an90July, an90Year, anh, anNoDate}, 6},
		{"ng v an", registry.Date{}, 10, []string{an85, an90, an90July, an90Year, anh, anNoDate}, 6},
		// Name only and too many: the best class that fits, or nothing.
		{"nguyen van an", registry.Date{}, 5, []string{an85, an90, an90July, an90Year, anNoDate}, 6},
		{"nguyen van an", registry.Date{}, 2, nil, 6},
		{"dang thi dao", date("2001-02-03"), 10, []string{dao}, 1},
		{"Đào", registry.Date{}, 10, []string{dao}, 1},
		{"be dao", registry.Date{}, 10, []string{dao}, 1},
		{"an nguyen", registry.Date{}, 10, nil, 0},
		{"tran van an", registry.Date{}, 10, nil, 0},
	}
	for _, tt := range tests {
		res, err := s.Search(Query{Name: tt.name, Birth: tt.birth, Limit: tt.limit})
		var got []string
		for _, m := range res.Matches {
			got = append(got, m.Citizen.ID)
		}
		if err != nil || !slices.Equal(got, tt.want) || res.Total != tt.total {
			t.Errorf("Search(%q, %v, %d) = %v of %d, %v; want %v of %d", tt.name, tt.birth, tt.limit, got, res.Total, err, tt.want, tt.total)
		}
	}
	res, _ := s.Search(Query{Name: "nguyen van an", Limit: 10})
	if m := res.Matches[0]; m.Class != ClassExact || res.Matches[5].Class != ClassPrefix {
		t.Errorf("classes: %+v", res.Matches)
	}
	if res, _ := s.Search(Query{Name: "b", Limit: 10}); len(res.Matches) != 0 {
		t.Errorf("one letter: %+v", res.Matches)
	}
	if res, _ := s.Search(Query{Name: "bé đ", Limit: 10}); len(res.Matches) != 1 || !res.Matches[0].OtherName || res.Matches[0].Class != ClassWords {
		t.Errorf("other name: %+v", res.Matches)
	}
	for _, bad := range []struct {
		name  string
		limit int
	}{{"", 5}, {"  ", 5}, {"a", 5}, {"an", 0}} {
		if _, err := s.Search(Query{Name: bad.name, Limit: bad.limit}); !errors.Is(err, ErrQuery) {
			t.Errorf("Search(%q, limit %d): %v, want ErrQuery", bad.name, bad.limit, err)
		}
	}
}

func TestHousehold(t *testing.T) {
	s, _, _ := mustVillage(t)
	got, err := s.Household("HK1")
	if want := []string{"092090001234", "092090001240", "092095001239", "092190001238"}; err != nil || !slices.Equal(ids(got), want) {
		t.Fatalf("household HK1: %v %v, want %v", ids(got), err, want)
	}
	if got, err := s.Household("HK9"); err != nil || len(got) != 0 {
		t.Fatalf("unknown household: %v %v", got, err)
	}
	if _, err := s.Household(""); !errors.Is(err, ErrQuery) {
		t.Fatalf("empty household: %v", err)
	}
}

// TestDeltaKeepsIndexes: a renamed, moved or removed resident is found
// where they are now, and nowhere else.
func TestDeltaKeepsIndexes(t *testing.T) {
	s, im, p := mustVillage(t)
	v := village()
	renamed := person(v[0].ID, "Nguyễn Văn Bình", "", "1990-05-01", "HK3")
	newcomer := person("092099001299", "Nguyễn Văn An", "", "1999-09-09", "HK3")
	after := append([]*registry.Citizen{renamed, newcomer}, v[2:]...)
	d := makeDelta(t, p, deltaOpts{from: 10, to: 11}, []*registry.Citizen{renamed, newcomer}, []string{v[1].ID}, after)
	if _, err := im.Import(context.Background(), d); err != nil {
		t.Fatal(err)
	}
	got := search(t, s, "nguyen van an", registry.Date{}, 10)
	if want := []string{"092085001237", "092090001236", "092095001239", "092099001299", "092090001240"}; !slices.Equal(got, want) {
		t.Errorf("after the delta, search finds %v, want %v", got, want)
	}
	if got := search(t, s, "binh", registry.Date{}, 10); !slices.Equal(got, []string{"092090001234"}) {
		t.Errorf("the renamed resident: %v", got)
	}
	if got, _ := s.Household("HK3"); !slices.Equal(ids(got), []string{"092090001234", "092099001299"}) {
		t.Errorf("HK3 after the delta: %v", ids(got))
	}
	if got, _ := s.Household("HK2"); !slices.Equal(ids(got), []string{"092090001236"}) {
		t.Errorf("HK2 after the delta: %v", ids(got))
	}
	if err := s.VerifySubset(); err != nil {
		t.Fatal(err)
	}
}

func TestHistory(t *testing.T) {
	s := mustStore(t)
	add := func(c *registry.Change) {
		t.Helper()
		c.Node, c.Commune = "edge-1", commune
		if err := s.Append(c); err != nil {
			t.Fatal(err)
		}
	}
	add(&registry.Change{Officer: "canbo01", Op: registry.OpIdentify, Citizen: "092090001234"})
	add(&registry.Change{Officer: "canbo01", Op: registry.OpIdentify, Citizen: "092190004321"})
	add(&registry.Change{Officer: "canbo01", Op: registry.OpRegisterBirth, Patch: registry.Patch{
		{Field: registry.FieldFullName, Value: "Lê Thị Mới"}, {Field: registry.FieldBirthDate, Value: "2026-11-20"},
		{Field: registry.FieldSex, Value: registry.SexFemale}, {Field: registry.FieldCommune, Value: commune}}})
	add(&registry.Change{Officer: "canbo01", Op: registry.OpIdentify, Citizen: "092090001234", Note: "lần hai"})
	if err := s.Settle("edge-1", []*registry.Outcome{
		{Change: "edge-1/1", Result: registry.Applied, Citizen: "092090001234"},
		{Change: "edge-1/3", Result: registry.Applied, Citizen: "092126000001"},
	}, now); err != nil {
		t.Fatal(err)
	}
	h, err := s.History("092090001234", 10)
	if err != nil || len(h) != 2 || h[0].Change.Seq != 4 || h[1].Change.Seq != 1 || h[0].Outcome != nil || h[1].Outcome == nil {
		t.Fatalf("history: %+v %v", h, err)
	}
	if h, _ := s.History("092090001234", 1); len(h) != 1 || h[0].Change.Seq != 4 {
		t.Fatalf("history limited to 1: %+v", h)
	}
	if h, _ := s.History("092126000001", 10); len(h) != 1 || h[0].Change.Op != registry.OpRegisterBirth {
		t.Fatalf("history of the newborn by the ID the city gave: %+v", h)
	}
	if h, _ := s.History(registry.ProvisionalID("edge-1", 3), 10); len(h) != 1 {
		t.Fatalf("history of the newborn by the provisional ID: %+v", h)
	}
	if h, err := s.History("092095000777", 10); err != nil || len(h) != 0 {
		t.Fatalf("history of someone never seen: %+v %v", h, err)
	}
}

func TestPurge(t *testing.T) {
	s, im, p := mustVillage(t)
	c := &registry.Change{Officer: "canbo01", Node: "edge-1", Op: registry.OpIdentify, Citizen: "092090001234", Commune: commune}
	if err := s.Append(c); err != nil {
		t.Fatal(err)
	}
	s.Audit(now, "canbo01", AuditLookup, "092090001234", "")
	if err := s.Purge(); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Subset(); !errors.Is(err, ErrNoSubset) {
		t.Fatalf("subset after purge: %v", err)
	}
	if _, err := s.Citizen("092090001234"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("record after purge: %v", err)
	}
	if got := search(t, s, "nguyen van an", registry.Date{}, 10); len(got) != 0 {
		t.Fatalf("search after purge: %v", got)
	}
	if got, _ := s.Household("HK1"); len(got) != 0 {
		t.Fatalf("household after purge: %v", ids(got))
	}
	if q, _ := s.Queue(); q.Pending != 1 {
		t.Fatalf("the outbox was purged: %+v", q)
	}
	if n, err := s.VerifyAudit(); n != 1 || err != nil {
		t.Fatalf("the audit log was purged: %d %v", n, err)
	}
	if h, _ := s.History("092090001234", 5); len(h) != 1 {
		t.Fatal("the history was purged")
	}
	if err := s.VerifySubset(); err != nil {
		t.Fatal(err)
	}
	// A purged node takes a full bundle again, even of an older version.
	if _, err := im.Import(context.Background(), makeBundle(t, p, commune, 5, village())); err != nil {
		t.Fatalf("import after purge: %v", err)
	}
}

func TestReassignmentPurges(t *testing.T) {
	s, _, _ := mustVillage(t)
	if err := s.SetIdentity("edge-1", commune); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Subset(); err != nil {
		t.Fatal("the subset went although the commune stayed")
	}
	if err := s.SetIdentity("edge-1", "92102"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Subset(); !errors.Is(err, ErrNoSubset) {
		t.Fatalf("the old commune's subset stayed after reassignment: %v", err)
	}
	if err := s.SetIdentity("edge-2", "92102"); err == nil {
		t.Fatal("another node took over the data folder")
	}
}
