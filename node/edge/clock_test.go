package edge

import (
	"context"
	"errors"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/xanode/xanode/node/registry"
)

// wallClock is a local clock that a test sets, forward or back, as
// whoever sits at the box could.
type wallClock struct {
	mu sync.Mutex
	t  time.Time
}

func (w *wallClock) now() time.Time {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.t
}

func (w *wallClock) set(t time.Time) {
	w.mu.Lock()
	w.t = t
	w.mu.Unlock()
}

// frozenEdge imports a bundle made at now into a store in dir, and runs an
// edge on it whose time is a CityClock over local.
func frozenEdge(t *testing.T, dir string, local *wallClock, importBundle bool) (*Edge, *CityClock, *Store) {
	t.Helper()
	s := mustStoreIn(t, dir)
	p := mustPKI(t)
	im := importer(s, p)
	if importBundle {
		if _, err := im.Import(context.Background(), makeBundle(t, p, commune, 10, sampleRecords())); err != nil {
			t.Fatal(err)
		}
	}
	clock := NewCityClock(local.now, nil)
	if err := clock.Load(s); err != nil {
		t.Fatal(err)
	}
	e, err := New(Config{Node: "edge-1", Commune: commune, Store: s, City: &fakeCity{}, Import: im.Import,
		HardLimit: 10 * 24 * time.Hour, Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	return e, clock, s
}

func wantFrozen(t *testing.T, e *Edge, want bool, when string) {
	t.Helper()
	st, err := e.Status()
	if err != nil {
		t.Fatal(err)
	}
	if st.Frozen != want {
		t.Errorf("%s: frozen %v, want %v (the edge's time is %v)", when, st.Frozen, want, st.CheckedAt)
	}
	if _, _, err := e.Identify("092090001234", nil); errors.Is(err, ErrFrozen) != want {
		t.Errorf("%s: Identify gave %v", when, err)
	}
	c, err := e.Lookup("092090001234")
	if errors.Is(err, ErrFrozen) != want || (want && c != nil) || (!want && c == nil) {
		t.Errorf("%s: Lookup gave %v, %v", when, c, err)
	}
	found, err := e.Search(Query{Name: "Nguyễn Văn An", Birth: registry.Date{Year: 1990}, Limit: 10})
	if errors.Is(err, ErrFrozen) != want || (want && found.Matches != nil) {
		t.Errorf("%s: Search gave %v, %v", when, found, err)
	}
	if _, err := e.Household("HH-1"); errors.Is(err, ErrFrozen) != want {
		t.Errorf("%s: Household gave %v", when, err)
	}
	if err := e.CheckFrozen(); errors.Is(err, ErrFrozen) != want {
		t.Errorf("%s: CheckFrozen gave %v", when, err)
	}
}

// TestClockSetBack: the freeze happens on the real date however the
// box's clock is set back: while the edge runs, across a restart, and
// when the box never moved its clock but the city's did.
func TestClockSetBack(t *testing.T) {
	dir := t.TempDir()
	local := &wallClock{t: now.Add(time.Hour)}
	e, clock, s := frozenEdge(t, dir, local, true)
	wantFrozen(t, e, false, "an hour after the bundle")

	local.set(now.Add(11 * 24 * time.Hour))
	wantFrozen(t, e, true, "eleven days on")
	local.set(now.Add(24 * time.Hour))
	wantFrozen(t, e, true, "the clock set back to day one while running")
	if got := clock.Now(); got.Before(now.Add(11 * 24 * time.Hour)) {
		t.Errorf("the edge's time went back to %v", got)
	}

	// Stopped with the clock still set back, then started again.
	if err := clock.Save(); err != nil {
		t.Fatal(err)
	}
	s.Close()
	e, clock, s = frozenEdge(t, dir, local, false)
	wantFrozen(t, e, true, "restarted with the clock set back")

	// The city's time is the reference, earlier or later: a box whose
	// own clock never moved freezes on the city's date, and a floor that
	// went too far comes back when the city says so.
	s.Close()
	dir2 := t.TempDir()
	local2 := &wallClock{t: now.Add(time.Hour)}
	e2, clock2, _ := frozenEdge(t, dir2, local2, true)
	clock2.CityTime(now.Add(12 * 24 * time.Hour))
	wantFrozen(t, e2, true, "the city says twelve days passed; the box's clock says an hour")
	clock2.CityTime(now.Add(2 * 24 * time.Hour))
	wantFrozen(t, e2, false, "the city corrected its clock to day two")
}

// TestClockCarriesForward: a floor set by the city moves on with the time
// the box runs, and a bundle's creation is a time that has passed.
func TestClockCarriesForward(t *testing.T) {
	local := &wallClock{t: now}
	c := NewCityClock(local.now, nil)
	if !c.Now().Equal(now) {
		t.Fatalf("without a floor Now is the local clock: %v", c.Now())
	}
	c.CityTime(now.Add(5 * 24 * time.Hour))
	local.set(now.Add(time.Hour))
	if got, want := c.Now(), now.Add(5*24*time.Hour+time.Hour); !got.Equal(want) {
		t.Errorf("an hour after the city said day five: %v, want %v", got, want)
	}
	c.AtLeast(now) // earlier: no change
	local.set(now.Add(30 * 24 * time.Hour))
	if got, want := c.Now(), now.Add(35*24*time.Hour); !got.Equal(want) {
		t.Errorf("thirty days of running after the city said day five: %v, want %v", got, want)
	}
	c.AtLeast(now.Add(40 * 24 * time.Hour))
	if got := c.Now(); !got.Equal(now.Add(40 * 24 * time.Hour)) {
		t.Errorf("after a bundle made on day forty: %v", got)
	}
	ahead := NewCityClock(local.now, nil)
	ahead.CityTime(now)
	if got := ahead.Now(); !got.Equal(now.Add(30 * 24 * time.Hour)) {
		t.Errorf("a local clock ahead of the city is believed (it freezes early, the safe side): %v", got)
	}
	if err := c.Save(); err != nil {
		t.Errorf("Save before Load: %v", err)
	}
}

// TestClockFloorSurvivesPurge: the floor is not subset data.
func TestClockFloorSurvivesPurge(t *testing.T) {
	dir := t.TempDir()
	local := &wallClock{t: now.Add(20 * 24 * time.Hour)}
	_, clock, s := frozenEdge(t, dir, local, true)
	if err := clock.Save(); err != nil {
		t.Fatal(err)
	}
	if err := s.Purge(); err != nil {
		t.Fatal(err)
	}
	s.Close()
	local.set(now)
	s = mustStoreIn(t, dir)
	c := NewCityClock(local.now, nil)
	if err := c.Load(s); err != nil {
		t.Fatal(err)
	}
	if got := c.Now(); got.Before(now.Add(20 * 24 * time.Hour)) {
		t.Errorf("after a purge and a restart with the clock set back: %v", got)
	}
}

// TestClockUnload: a store that is about to close is no longer saved to
// (the edge locks, or its store is rewritten); the floor stays in memory
// and the next store's Load keeps the later of the two. Unloading another
// store than the one loaded changes nothing.
func TestClockUnload(t *testing.T) {
	local := &wallClock{t: now}
	a := mustStoreIn(t, t.TempDir())
	c := NewCityClock(local.now, nil)
	if err := c.Load(a); err != nil {
		t.Fatal(err)
	}
	c.CityTime(now.Add(40 * 24 * time.Hour))
	b := mustStoreIn(t, t.TempDir())
	defer b.Close()
	c.Unload(b)
	if err := c.Save(); err != nil {
		t.Fatal(err)
	}
	c.Unload(a)
	a.Close()
	if err := c.Save(); err != nil {
		t.Fatalf("Save after Unload touched the closed store: %v", err)
	}
	if err := c.Load(b); err != nil {
		t.Fatal(err)
	}
	if got := c.Now(); got.Before(now.Add(40 * 24 * time.Hour)) {
		t.Errorf("the floor held in memory was lost across Unload and Load: %v", got)
	}
}

// TestClockFloorSurvivesRekey: a store rewritten under a new key keeps the
// saved floor.
func TestClockFloorSurvivesRekey(t *testing.T) {
	dir := t.TempDir()
	local := &wallClock{t: now.Add(20 * 24 * time.Hour)}
	_, clock, s := frozenEdge(t, dir, local, true)
	if err := clock.Save(); err != nil {
		t.Fatal(err)
	}
	s.Close()
	oldKey := readKeyFileT(t, dir)
	newKey := make([]byte, 32)
	newKey[0] = 1
	if err := Rekey(filepath.Join(dir, "edge.db"), oldKey, newKey); err != nil {
		t.Fatal(err)
	}
	s, err := OpenStoreKey(filepath.Join(dir, "edge.db"), newKey)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	local.set(now)
	c := NewCityClock(local.now, nil)
	if err := c.Load(s); err != nil {
		t.Fatal(err)
	}
	if got := c.Now(); got.Before(now.Add(20 * 24 * time.Hour)) {
		t.Errorf("after a rekey and a restart with the clock set back: %v", got)
	}
}
