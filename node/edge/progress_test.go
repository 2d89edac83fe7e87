package edge

import (
	"fmt"
	"testing"
	"time"

	"github.com/xanode/xanode/node/registry"
)

func TestProgressLeft(t *testing.T) {
	t0 := time.Date(2026, 11, 27, 8, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		name string
		p    Progress
		at   time.Duration
		want time.Duration
	}{
		{"half in 10 s: 10 s more", Progress{Phase: PhaseDownload, Done: 50, Total: 100, Started: t0}, 10 * time.Second, 10 * time.Second},
		{"resumed bytes do not count towards the pace", Progress{Phase: PhaseDownload, Done: 60, Resumed: 40, Total: 100, Started: t0}, 10 * time.Second, 20 * time.Second},
		{"unknown total", Progress{Phase: PhaseDownload, Done: 60, Started: t0}, 10 * time.Second, 0},
		{"nothing gained yet", Progress{Phase: PhaseDownload, Done: 40, Resumed: 40, Total: 100, Started: t0}, 10 * time.Second, 0},
		{"done", Progress{Phase: PhaseImport, Done: 100, Total: 100, Started: t0}, 10 * time.Second, 0},
	} {
		if got := c.p.Left(t0.Add(c.at)); got != c.want {
			t.Errorf("%s: %v, want %v", c.name, got, c.want)
		}
	}
}

func TestTrackerNotifiesAtMostEveryTick(t *testing.T) {
	now := time.Date(2026, 11, 27, 8, 0, 0, 0, time.UTC)
	calls := 0
	tr := NewTracker(func() time.Time { return now }, time.Second, func() { calls++ })
	tr.Start(PhaseDownload, 0, 1000)
	for i := 1; i <= 100; i++ {
		now = now.Add(100 * time.Millisecond)
		tr.Set(int64(i*10), 1000)
	}
	tr.Stop()
	// start + one per second over 10 s + stop
	if calls != 12 {
		t.Fatalf("%d notifications, want 12", calls)
	}
	if p := tr.Get(); p.Phase != "" {
		t.Fatalf("after Stop: %+v", p)
	}
	var nilTracker *Tracker
	nilTracker.Start(PhaseImport, 0, 1) // a nil tracker follows nothing and does not fail
	nilTracker.Set(1, 1)
	nilTracker.Stop()
}

// TestImportReportsProgress: a full bundle's records are counted as they
// are verified, and the phase ends with the import.
func TestImportReportsProgress(t *testing.T) {
	p := mustPKI(t)
	var recs []*registry.Citizen
	for i := range 3000 {
		recs = append(recs, citizen(fmt.Sprintf("0920900%05d", i), "Nguyễn Văn An"))
	}
	data := makeBundle(t, p, commune, 1, recs)
	s := mustStore(t)
	var seen []Progress
	var tr *Tracker
	tr = NewTracker(nil, 0, func() { seen = append(seen, tr.Get()) })
	im := importer(s, p)
	im.Progress = tr
	if _, err := im.Import(t.Context(), data); err != nil {
		t.Fatal(err)
	}
	if len(seen) < 3 || seen[0].Phase != PhaseImport || seen[0].Total != 3000 || seen[len(seen)-1].Phase != "" {
		t.Fatalf("progress seen: %+v", seen)
	}
	if mid := seen[len(seen)-2]; mid.Done < 2048 || mid.Done > 3000 {
		t.Fatalf("last progress before the end: %+v", mid)
	}
}
