package edge

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/xanode/xanode/node/registry"
	"github.com/xanode/xanode/sync/bundle"
)

func TestMatch(t *testing.T) {
	rec := citizen("092090001234", "Nguyễn Văn An")
	rec.Values[registry.FieldBirthDate] = "1990-05-01"
	rec.Values[registry.FieldPermanentAddress] = "12 Đường Mậu Thân, Phường Xuân Khánh"
	chip := map[registry.Field]string{
		registry.FieldFullName:         "Nguye\u0302\u0303n Văn An", // decomposed: still the same name
		registry.FieldBirthDate:        "1990-05-01",
		registry.FieldPermanentAddress: "12 đường Mậu Thân,  phường Xuân Khánh",
		registry.FieldHometown:         "Cần Thơ",
		registry.FieldSex:              "",
	}
	ms := Match(chip, rec, nil)
	if len(ms) != 4 {
		t.Fatalf("compared %d fields, want 4 (empty chip values are skipped): %+v", len(ms), ms)
	}
	want := map[registry.Field]bool{registry.FieldFullName: true, registry.FieldBirthDate: true,
		registry.FieldPermanentAddress: true, registry.FieldHometown: false}
	for _, m := range ms {
		if m.Agree != want[m.Field] {
			t.Errorf("%s: agree=%v, want %v", m.Field, m.Agree, want[m.Field])
		}
	}
	if d := Differences(ms); len(d) != 1 {
		t.Errorf("differences %v", d)
	}
	for _, m := range Match(chip, nil, nil) {
		if m.Agree {
			t.Errorf("%s agrees with a missing record", m.Field)
		}
	}
}

// TestFreeze: past the expiry the subset is stale but still identifies;
// past the hard limit it is frozen and Identify refuses.
func TestFreeze(t *testing.T) {
	p := mustPKI(t)
	s := mustStore(t)
	im := importer(s, p)
	if _, err := im.Import(context.Background(), makeBundle(t, p, commune, 10, sampleRecords())); err != nil {
		t.Fatal(err)
	}
	at := now
	city := &fakeCity{}
	e, err := New(Config{Node: "edge-1", Commune: commune, Store: s, City: city, Import: im.Import,
		HardLimit: 10 * 24 * time.Hour, Now: func() time.Time { return at }})
	if err != nil {
		t.Fatal(err)
	}
	chip := map[registry.Field]string{registry.FieldFullName: "Nguyễn Văn An"}
	tests := []struct {
		at            time.Time
		stale, frozen bool
	}{
		{now, false, false},
		{now.Add(bundle.DefaultExpiry - time.Minute), false, false},
		{now.Add(bundle.DefaultExpiry + time.Minute), true, false},
		{now.Add(10*24*time.Hour - time.Millisecond), true, false},
		{now.Add(10 * 24 * time.Hour), true, true},
		{now.Add(400 * 24 * time.Hour), true, true},
	}
	for _, tt := range tests {
		at = tt.at
		st, err := e.Status()
		if err != nil {
			t.Fatal(err)
		}
		if st.Stale != tt.stale || st.Frozen != tt.frozen || !st.FreezesAt.Equal(now.Add(10*24*time.Hour)) {
			t.Errorf("at %v: stale %v frozen %v (freezes at %v), want %v %v", tt.at, st.Stale, st.Frozen, st.FreezesAt, tt.stale, tt.frozen)
		}
		rec, ms, err := e.Identify("092090001234", chip)
		var fe *FrozenError
		switch {
		case tt.frozen && (!errors.Is(err, ErrFrozen) || !errors.As(err, &fe) || rec != nil || ms != nil):
			t.Errorf("at %v: frozen, but Identify gave %v, %v", tt.at, rec, err)
		case tt.frozen && (!fe.Since.Equal(now.Add(10*24*time.Hour)) || !strings.Contains(err.Error(), "quá hạn")):
			t.Errorf("frozen error %+v: %v", fe, err)
		case !tt.frozen && (err != nil || rec == nil || len(ms) != 1 || !ms[0].Agree):
			t.Errorf("at %v: Identify gave %v %+v %v", tt.at, rec, ms, err)
		}
	}
	// A fresh bundle thaws the node.
	at = now.Add(20 * 24 * time.Hour)
	refresh := makeDelta(t, p, deltaOpts{from: 10, to: 10, created: at}, nil, nil, sampleRecords())
	if _, err := im.Import(context.Background(), refresh); err != nil {
		t.Fatal(err)
	}
	if st, _ := e.Status(); st.Frozen || st.Stale {
		t.Fatalf("after a refresh: %+v", st)
	}
}

func TestFreezeDefaults(t *testing.T) {
	s := mustStore(t)
	cfg := Config{Node: "edge-1", Commune: commune, Store: s, City: &fakeCity{}, Import: func(context.Context, []byte) (SubsetInfo, error) { return SubsetInfo{}, nil }}
	e, err := New(cfg)
	if err != nil || e.cfg.HardLimit != DefaultHardLimit {
		t.Fatalf("default hard limit: %v %v", e.cfg.HardLimit, err)
	}
	if _, _, err := e.Identify("092090001234", nil); !errors.Is(err, ErrNoSubset) {
		t.Fatalf("Identify without a subset: %v", err)
	}
	cfg.HardLimit = -time.Hour
	if _, err := New(cfg); err == nil {
		t.Fatal("a negative hard limit was accepted")
	}
}

// TestMatchOldUnits: a card issued before the reform names the ward and
// district of the time; with the unit map it is the record's place.
func TestMatchOldUnits(t *testing.T) {
	units, err := registry.ParseUnitMap(strings.NewReader(strings.Join(registry.UnitMapHeader, ",") + "\n" +
		"Phường Xuân Khánh,Quận Ninh Kiều,TP Cần Thơ,Phường Ninh Kiều,TP Cần Thơ\n"))
	if err != nil {
		t.Fatal(err)
	}
	rec := citizen("092090001234", "Nguyễn Văn An")
	rec.Values[registry.FieldPermanentAddress] = "Số 12 Đường Mậu Thân, Phường Ninh Kiều, TP Cần Thơ"
	rec.Values[registry.FieldHometown] = "Phường Ninh Kiều, TP Cần Thơ"
	chip := map[registry.Field]string{
		registry.FieldPermanentAddress: "Số 12 Đường Mậu Thân, Phường Xuân Khánh, Quận Ninh Kiều, TP Cần Thơ",
		registry.FieldHometown:         "Phường Xuân Khánh, Quận Ninh Kiều, TP Cần Thơ",
		registry.FieldFullName:         "Nguyễn Văn Ân", // a name is never a place
	}
	for _, m := range Match(chip, rec, units) {
		want := m.Field != registry.FieldFullName
		if m.Agree != want || m.Renamed != want {
			t.Errorf("%s: agree %v renamed %v, want %v", m.Field, m.Agree, m.Renamed, want)
		}
	}
	for _, m := range Match(chip, rec, nil) {
		if m.Agree || m.Renamed {
			t.Errorf("without the map %s agrees", m.Field)
		}
	}
	chip[registry.FieldPermanentAddress] = "Số 7 Đường Trần Phú, Phường Cái Khế, Quận Ninh Kiều, TP Cần Thơ"
	if d := Differences(Match(chip, rec, units)); len(d) != 2 {
		t.Errorf("a card of a place elsewhere: differences %v, want the address and the name", d)
	}
}
