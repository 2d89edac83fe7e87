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
// findings; an officer resolves one on the "cần rà soát" page; the
// resolution travels through the outbox and raft, and the city's finding
// is fixed, by that officer.
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
	if !strings.Contains(list, ref) || !strings.Contains(list, "Số định danh khác giới tính") {
		t.Fatalf("the review page lacks finding %d", target.ID)
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
}
