package fleetui

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"
)

// maxPageBytes is the budget of one page with its CSS and JS, uncompressed,
// the dashboard's node table aside (it grows with the fleet).
const maxPageBytes = 30 << 10

// bigFleet is 200 nodes, a few of them in trouble.
func bigFleet() []Node {
	nodes := make([]Node, 200)
	for i := range nodes {
		n := healthy(fmt.Sprintf("edge-%05d", 92000+i), fmt.Sprintf("%05d", 92000+i))
		switch i % 20 {
		case 1:
			n.State, n.Reason = StateSuspended, "chuỗi nhật ký bị hỏng"
		case 2:
			n.Outbox, n.OldestUnsynced = 120, testNow.Add(-5*time.Hour)
		case 3:
			n.SubsetVersion, n.LastSynced = 4200, testNow.Add(-2*time.Hour)
		}
		nodes[i] = n
	}
	return nodes
}

var nodeTableRE = regexp.MustCompile(`(?s)<table class="nodes">.*?</table>`)

func TestPageWeight(t *testing.T) {
	series := make([]Sample, 300)
	for i := range series {
		series[i] = Sample{Time: testNow.Add(time.Duration(i-300) * time.Minute), Lag: uint64(i * 7 % 900), Outbox: i % 37, Findings: uint64(i / 50)}
	}
	trail := AuditTrail{Verified: 40}
	for i := 1; i <= 50; i++ {
		trail.Entries = append(trail.Entries, AuditEntry{Seq: uint64(i), Time: testNow, Officer: "tran.thi.lan",
			Action: "lookup", Citizen: "092195001234", Detail: "tra cứu theo số định danh"})
	}
	conflicts := make([]Conflict, 20)
	for i := range conflicts {
		conflicts[i] = Conflict{Entry: uint64(1000 + i), Citizen: "092195001234", Node: "edge-92001", Officer: "lan",
			Op: "register_temporary", Time: testNow, Reason: "citizen is deceased", Summary: "temporary_address: 45 Nguyễn Văn Cừ"}
	}
	f := &fakeFleet{
		nodes:         func(context.Context) ([]Node, error) { return bigFleet(), nil },
		nodeSeries:    func(context.Context, string) ([]Sample, error) { return series, nil },
		communeSeries: func(context.Context, string) ([]Sample, error) { return series, nil },
		conflicts:     func(context.Context) ([]Conflict, error) { return conflicts, nil },
		audit: func(_ context.Context, node string, after uint64, limit int) (AuditTrail, error) {
			tr := trail
			tr.Node, tr.Entries = node, tr.Entries[:min(limit, len(tr.Entries))]
			return tr, nil
		},
	}
	e := newEnv(t, Config{Fleet: f})
	c := e.client()
	c.login()
	assets := e.srv.assets.Size("fleet.css") + e.srv.assets.Size("fleet.js")
	t.Logf("assets: fleet.css %d B, fleet.js %d B", e.srv.assets.Size("fleet.css"), e.srv.assets.Size("fleet.js"))
	for _, path := range []string{"/", "/node/edge-92001", "/commune/92001", "/enroll", "/conflicts"} {
		p := c.Get(path)
		table := nodeTableRE.FindString(p.Body)
		if path != "/" {
			table = ""
		} else if !strings.Contains(table, "edge-92199") {
			t.Fatal("the dashboard lacks its 200 nodes")
		}
		total := len(p.Body) - len(table) + assets
		t.Logf("%-18s HTML %6d B (node table %6d B), page with assets %6d B", path, len(p.Body), len(table), total)
		if total > maxPageBytes {
			t.Errorf("%s weighs %d B with assets, without the node table; budget %d B", path, total, maxPageBytes)
		}
	}
}
