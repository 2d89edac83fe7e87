package node

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/xanode/xanode/sync/fsm"
)

// TestQualityThroughTheDemo walks data quality end to end in one process:
// the city's first sweep turns the rules on and finds the defects put
// into the demo's population; the edge receives its residents' open
// findings, said in Vietnamese; an officer resolves one on the "cần rà
// soát" page; the resolution travels through the outbox and raft, and the
// city's finding is fixed, by that officer. Then city IT merges a
// duplicate pair: the retired record leaves the office's subset at its
// next pull, and the city names the record kept.
func TestQualityThroughTheDemo(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a city node and an edge")
	}
	ctx := context.Background()
	d, err := StartDemo(ctx, DemoConfig{Dir: filepath.Join(t.TempDir(), "demo"), Listen: "127.0.0.1:0", CityNodes: 1, Citizens: 400,
		Defects: 2, Raft: RaftTimeouts(150 * time.Millisecond), Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
		PushEvery: 200 * time.Millisecond, PullEvery: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	city := d.Cities[0].Node().FSM()
	var open []fsm.Finding
	waitUntil(t, "the city's findings", 30*time.Second, func() bool {
		open, _ = city.Findings(fsm.FindingFilter{Commune: d.Cfg.Commune, Rule: "id_sex", States: []string{fsm.FindingOpen}})
		return len(open) > 0
	})
	target := open[0]
	waitUntil(t, "the edge's review list", 30*time.Second, func() bool {
		_, fs, err := d.Edge.Store().ReviewList()
		for _, f := range fs {
			if f.ID == target.ID {
				return true
			}
		}
		return err != nil
	})

	jar, _ := cookiejar.New(nil)
	o := &officerClient{t: t, base: d.Edge.URL(), c: &http.Client{Jar: jar, Timeout: 30 * time.Second}}
	if code, _ := o.post(o.get("/login"), "/login", url.Values{"user": {d.Login.User}, "password": {d.Login.Password}}); code != http.StatusOK {
		t.Fatalf("login: %d", code)
	}
	list := o.get("/review")
	ref := `action="/review/` + strconv.FormatUint(target.ID, 10) + `"`
	if !strings.Contains(list, ref) || !strings.Contains(list, "Số định danh khác giới tính") ||
		!strings.Contains(list, "Chữ số thứ tư của số định danh") {
		t.Fatalf("the review page lacks finding %d, or its evidence in Vietnamese", target.ID)
	}
	code, after := o.post(list, "/review/"+strconv.FormatUint(target.ID, 10), url.Values{"resolution": {"fixed"},
		"note": {"đã đối chiếu giấy khai sinh, sẽ điều chỉnh giới tính"}})
	if code != http.StatusOK || !strings.Contains(after, "Đã ghi nhận kết quả rà soát") {
		t.Fatalf("resolving: %d", code)
	}
	waitUntil(t, "the city to take the resolution", 30*time.Second, func() bool {
		f, err := city.Finding(target.ID)
		return err == nil && f.State == fsm.FindingFixed && strings.HasPrefix(f.By, "officer "+d.Login.User)
	})
	waitUntil(t, "the edge's list to drop it", 30*time.Second, func() bool {
		_, fs, _ := d.Edge.Store().ReviewList()
		for _, f := range fs {
			if f.ID == target.ID {
				return false
			}
		}
		return true
	})

	pairs, _ := city.Findings(fsm.FindingFilter{Commune: d.Cfg.Commune, Rule: "duplicate", States: []string{fsm.FindingOpen}})
	if len(pairs) == 0 {
		t.Fatal("the demo's population has no duplicate pair")
	}
	pair := pairs[0]
	before, _ := d.Edge.Store().Subset()
	if _, err := d.Edge.Store().Citizen(pair.Other); err != nil || pair.OtherCommune != "" && pair.OtherCommune != d.Cfg.Commune {
		t.Fatalf("the pair's other record is not the office's (%v, %s)", err, pair.OtherCommune)
	}
	if _, err := d.Cities[0].Node().Apply(ctx, &fsm.Command{Kind: fsm.KindFindingReview, From: localAdmin,
		Finding: &fsm.FindingOp{ID: pair.ID, Action: fsm.ReviewMerge, Keep: pair.Citizen, Reason: "cùng một người", By: "it"}}); err != nil {
		t.Fatal(err)
	}
	if into, _ := city.MergedInto(pair.Other); into != pair.Citizen {
		t.Fatalf("the city says %s was merged into %q", pair.Other, into)
	}
	waitUntil(t, "the retired record to leave the office's subset", 30*time.Second, func() bool {
		now, err := d.Edge.Store().Subset()
		return err == nil && now.Count == before.Count-1 && now.Version > before.Version
	})
}
