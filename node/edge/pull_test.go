package edge

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/xanode/xanode/certs"
	"github.com/xanode/xanode/node/registry"
	"github.com/xanode/xanode/sync/cityapi"
	"github.com/xanode/xanode/sync/client"
	"github.com/xanode/xanode/sync/cluster"
	"github.com/xanode/xanode/sync/fsm"
	"github.com/xanode/xanode/sync/fsm/fsmtest"
)

// cutter passes requests to the city but breaks the first cuts answers
// after limit bytes, as a poor link does.
type cutter struct {
	next  http.Handler
	limit int
	cuts  atomic.Int32
	seen  atomic.Int32 // requests that asked for a range
}

func (c *cutter) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("Range") != "" {
		c.seen.Add(1)
	}
	if c.cuts.Add(-1) >= 0 {
		w = &cutWriter{ResponseWriter: w, left: c.limit}
	}
	c.next.ServeHTTP(w, r)
}

type cutWriter struct {
	http.ResponseWriter
	left int
}

func (c *cutWriter) Write(p []byte) (int, error) {
	if len(p) > c.left {
		c.ResponseWriter.Write(p[:c.left])
		c.ResponseWriter.(http.Flusher).Flush()
		panic(http.ErrAbortHandler)
	}
	c.left -= len(p)
	return c.ResponseWriter.Write(p)
}

// TestPullFromCity runs the real pieces together: a one-node city serving
// bundles from a folder, the sync client, and an edge. The first full
// bundle arrives over a link that breaks twice and is resumed from the
// encrypted partial file; then a change in the city arrives as a delta;
// then, with nothing new, a refresh keeps the subset fresh.
func TestPullFromCity(t *testing.T) {
	p, err := certs.Init(t.TempDir(), certs.InitOptions{CityNodes: []string{"city-1"}})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	node, err := cluster.Open(cluster.Config{ID: "city-1", Dir: t.TempDir(), Listener: ln, Bootstrap: true, FSM: fsm.DefaultConfig(), LogOutput: io.Discard})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { node.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := node.WaitLeader(ctx); err != nil {
		t.Fatal(err)
	}
	for !node.IsLeader() {
		time.Sleep(10 * time.Millisecond)
	}
	apply := func(cmd *fsm.Command) {
		t.Helper()
		if _, err := node.Apply(ctx, fsmtest.Stamp(cmd)); err != nil {
			t.Fatal(err)
		}
	}
	var recs []*registry.Citizen
	for i := range 3000 {
		c := person(registry.MakeID("092", 1950+i%60, i%2 == 0, 1000+i), fmt.Sprintf("Phạm Văn Số %d", i), "", fmt.Sprintf("%d-01-02", 1950+i%60), "HK1")
		c.Values[registry.FieldPermanentAddress] = fmt.Sprintf("Số %d đường Mậu Thân, phường Xuân Khánh", i)
		recs = append(recs, c)
	}
	apply(&fsm.Command{Kind: fsm.KindImport, Records: recs})
	apply(&fsm.Command{Kind: fsm.KindAssign, Node: "edge-1", Communes: []string{commune}})

	key, cert := p.DataSigner()
	api := cityapi.New(cityapi.Config{Cluster: node, SigningKey: key, SigningCert: cert, BundleDir: t.TempDir()})
	cut := &cutter{next: api, limit: 4 << 10}
	cut.cuts.Store(2)
	srv := httptest.NewUnstartedServer(cut)
	nodeCert, _ := p.Node("city-1")
	srv.TLS = certs.APIServerTLS(nodeCert, p.NodePool(), nil)
	srv.StartTLS()
	t.Cleanup(srv.Close)

	cred, err := p.IssueNodeKey("edge-1", certs.RoleEdge, nil, time.Hour, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	city, err := client.New([]string{srv.URL}, certs.ClientTLS(cred.TLS, p.RootPool()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(city.Close)
	dir := t.TempDir()
	s := mustStoreIn(t, dir)
	t.Cleanup(func() { s.Close() })
	im := &Importer{Store: s, Commune: commune, Roots: p.RootPool(), Now: time.Now}
	e, err := New(Config{Node: "edge-1", Commune: commune, Store: s, City: city, Import: im.Import})
	if err != nil {
		t.Fatal(err)
	}

	for i := range 2 {
		if err := e.PullOnce(ctx); err == nil {
			info, _ := s.Subset()
			t.Fatalf("pull %d over a link that breaks succeeded: %+v", i+1, info)
		}
		raw, err := os.ReadFile(filepath.Join(dir, "edge.db.partial"))
		if err != nil || len(raw) < 2<<10 {
			t.Fatalf("after break %d: partial download of %d bytes, %v", i+1, len(raw), err)
		}
	}
	if err := e.PullOnce(ctx); err != nil {
		t.Fatal(err)
	}
	info, err := s.Subset()
	if err != nil || info.Count != 3000 || cut.seen.Load() != 2 {
		t.Fatalf("after resuming: %+v %v; %d range requests, want 2", info, err, cut.seen.Load())
	}
	if _, err := os.Stat(filepath.Join(dir, "edge.db.partial")); !os.IsNotExist(err) {
		t.Fatalf("the partial download is still there: %v", err)
	}

	moved := *recs[5]
	moved.Values[registry.FieldFullName] = "Phạm Văn Năm Mới"
	apply(&fsm.Command{Kind: fsm.KindImport, Records: []*registry.Citizen{&moved}})
	if err := e.PullOnce(ctx); err != nil {
		t.Fatal(err)
	}
	after, _ := s.Subset()
	if after.Version <= info.Version || after.Count != 3000 {
		t.Fatalf("after the delta: %+v", after)
	}
	if got := search(t, s, "pham van nam moi", registry.Date{}, 5); len(got) != 1 || got[0] != moved.ID {
		t.Fatalf("the changed record: %v", got)
	}
	if err := s.VerifySubset(); err != nil {
		t.Fatal(err)
	}
	if err := e.PullOnce(ctx); err != nil {
		t.Fatalf("pull with nothing new: %v", err)
	}
	if again, _ := s.Subset(); again.Version != after.Version || again.Digest != after.Digest {
		t.Fatalf("a pull with nothing new changed the subset: %+v", again)
	}
}
