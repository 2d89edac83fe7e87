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

func TestSearch(t *testing.T) {
	s, _, _ := mustVillage(t)
	date := func(s string) registry.Date {
		d, err := registry.ParseDate(s)
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	tests := []struct {
		name  string
		birth registry.Date
		limit int
		want  []string
	}{
		{"nguyen van an", date("1990-05-01"), 10, []string{"092090001234", "092090001236", "092095001239"}},
		{"Nguyễn  Văn  AN", date("1990-05-01"), 10, []string{"092090001234", "092090001236", "092095001239"}},
		{"nguyen van an", date("1990"), 10, []string{"092090001234", "092090001235", "092090001236", "092095001239"}},
		{"nguyen van an", date("1990-07"), 10, []string{"092090001235", "092090001236", "092095001239"}},
		{"nguyen van an", date("1985-05-01"), 10, []string{"092085001237", "092095001239"}},
		{"nguyen van an", registry.Date{}, 10, []string{"092085001237", "092090001234", "092090001235", "092090001236", "092095001239"}},
		{"nguyen van an", registry.Date{}, 2, []string{"092085001237", "092090001234"}},
		{"dang thi dao", date("2001-02-03"), 10, []string{"092190001238"}},
		{"be dao", registry.Date{}, 10, []string{"092190001238"}},
		{"nguyen van", registry.Date{}, 10, nil},
		{"tran van an", registry.Date{}, 10, nil},
	}
	for _, tt := range tests {
		got, err := s.Search(tt.name, tt.birth, tt.limit)
		if err != nil || !slices.Equal(ids(got), tt.want) {
			t.Errorf("Search(%q, %v, %d) = %v, %v; want %v", tt.name, tt.birth, tt.limit, ids(got), err, tt.want)
		}
	}
	for _, bad := range []struct {
		name  string
		limit int
	}{{"", 5}, {"  ", 5}, {"an", 0}} {
		if _, err := s.Search(bad.name, registry.Date{}, bad.limit); !errors.Is(err, ErrQuery) {
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
	got, _ := s.Search("nguyen van an", registry.Date{}, 10)
	if want := []string{"092085001237", "092090001236", "092095001239", "092099001299"}; !slices.Equal(ids(got), want) {
		t.Errorf("after the delta, search finds %v, want %v", ids(got), want)
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
	if got, _ := s.Search("nguyen van an", registry.Date{}, 10); len(got) != 0 {
		t.Fatalf("search after purge: %v", ids(got))
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
