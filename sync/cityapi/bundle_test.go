package cityapi

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/xanode/xanode/certs"
	"github.com/xanode/xanode/node/registry"
	"github.com/xanode/xanode/sync/bundle"
	"github.com/xanode/xanode/sync/fsm"
	"github.com/xanode/xanode/sync/fsm/fsmtest"
)

// bundleKit is a one-node city serving bundles from a folder, with a
// clock the test moves.
type bundleKit struct {
	*kit
	srv   *httptest.Server
	dir   string
	admin *http.Client

	mu  sync.Mutex
	now time.Time
}

func newBundleKit(t *testing.T, dir string) *bundleKit {
	t.Helper()
	bk := &bundleKit{kit: newKit(t), dir: dir, now: time.Now().UTC()}
	key, cert := bk.pki.DataSigner()
	srv := httptest.NewUnstartedServer(New(Config{Cluster: bk.node, SigningKey: key, SigningCert: cert,
		BundleDir: dir, Now: bk.clock}))
	nodeCert, _ := bk.pki.Node("city-1")
	srv.TLS = certs.APIServerTLS(nodeCert, bk.pki.NodePool(), nil)
	srv.StartTLS()
	t.Cleanup(srv.Close)
	bk.srv = srv
	bk.admin = bk.client(t, bk.pki.Admin())
	return bk
}

func (bk *bundleKit) clock() time.Time {
	bk.mu.Lock()
	defer bk.mu.Unlock()
	return bk.now
}

func (bk *bundleKit) advance(d time.Duration) {
	bk.mu.Lock()
	bk.now = bk.now.Add(d)
	bk.mu.Unlock()
}

func resident(i int, commune, name string) *registry.Citizen {
	c := &registry.Citizen{ID: registry.MakeID("092", 1950+i%60, i%2 == 0, 1000+i)}
	c.Values[registry.FieldFullName] = name
	c.Values[registry.FieldBirthDate] = fmt.Sprintf("%d-03-04", 1950+i%60)
	c.Values[registry.FieldCommune] = commune
	c.Values[registry.FieldPermanentAddress] = fmt.Sprintf("Số %d đường Mậu Thân, phường Xuân Khánh", i)
	return c
}

// load imports records through raft, as city IT does.
func (bk *bundleKit) load(t *testing.T, recs ...*registry.Citizen) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := bk.node.Apply(ctx, fsmtest.Stamp(&fsm.Command{Kind: fsm.KindImport, Records: recs})); err != nil {
		t.Fatal(err)
	}
}

type answer struct {
	code int
	body []byte
	hdr  http.Header
}

// get asks for the bundle as an edge that reads format 3 does.
func (bk *bundleKit) get(t *testing.T, query string, hdr ...string) answer {
	t.Helper()
	if query == "" {
		query = "?format=3"
	} else {
		query += "&format=3"
	}
	return bk.request(t, query, hdr...)
}

// request asks for the bundle with exactly query.
func (bk *bundleKit) request(t *testing.T, query string, hdr ...string) answer {
	t.Helper()
	req, _ := http.NewRequest("GET", bk.srv.URL+"/v1/subsets/92101/bundle"+query, nil)
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := bk.admin.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var buf bytes.Buffer
	buf.ReadFrom(resp.Body)
	return answer{resp.StatusCode, buf.Bytes(), resp.Header}
}

func (bk *bundleKit) open(t *testing.T, a answer) *bundle.Bundle {
	t.Helper()
	if a.code != http.StatusOK {
		t.Fatalf("status %d: %s", a.code, a.body)
	}
	b, err := bundle.Open(a.body, bundle.Verifier{Roots: bk.pki.RootPool(), Now: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	if a.hdr.Get("X-Xanode-Subset-Version") != strconv.FormatUint(b.To, 10) ||
		a.hdr.Get("X-Xanode-Bundle-From") != strconv.FormatUint(b.From, 10) {
		t.Fatalf("headers %v for a bundle from %d to %d", a.hdr, b.From, b.To)
	}
	return b
}

func residents(n int) []*registry.Citizen {
	var recs []*registry.Citizen
	for i := range n {
		recs = append(recs, resident(i, "92101", fmt.Sprintf("Nguyễn Văn Số %d", i)))
	}
	return append(recs, resident(n, "92102", "Trần Thị Khác"))
}

func TestBundleKinds(t *testing.T) {
	bk := newBundleKit(t, t.TempDir())
	recs := residents(50)
	bk.load(t, recs...)

	first := bk.get(t, "?since=0")
	full := bk.open(t, first)
	if full.Kind != bundle.KindFull || full.Count != 50 || first.hdr.Get("ETag") == "" {
		t.Fatalf("full bundle: %+v, ETag %q", full.Header, first.hdr.Get("ETag"))
	}
	if again := bk.get(t, ""); !bytes.Equal(again.body, first.body) || again.hdr.Get("ETag") != first.hdr.Get("ETag") {
		t.Fatal("a kept bundle was built again")
	}
	v1 := full.To

	changed := resident(3, "92101", "Nguyễn Văn Số Ba")
	moved := resident(4, "92102", recs[4].Values[registry.FieldFullName])
	bk.load(t, changed, moved)

	d := bk.open(t, bk.get(t, "?since="+strconv.FormatUint(v1, 10)))
	if d.Kind != bundle.KindDelta || d.From != v1 || d.To <= v1 || d.Count != 2 {
		t.Fatalf("delta: %+v", d.Header)
	}
	state := full.SubsetState()
	held := map[string][]byte{}
	full.Entries(func(e bundle.Entry) error { held[e.ID] = bytes.Clone(e.Raw); return nil })
	d.Entries(func(e bundle.Entry) error {
		state.Remove([]byte(e.ID), held[e.ID])
		if e.Citizen != nil {
			state.Add([]byte(e.ID), e.Raw)
		} else if e.ID != moved.ID {
			t.Errorf("removed %s, want %s", e.ID, moved.ID)
		}
		return nil
	})
	if state.Sum() != d.Digest {
		t.Fatal("the delta does not take the full bundle's subset to its digest")
	}
	v2 := d.To

	refresh := bk.open(t, bk.get(t, "?since="+strconv.FormatUint(v2, 10)))
	if refresh.Kind != bundle.KindDelta || refresh.From != v2 || refresh.To != v2 || refresh.Count != 0 || refresh.Digest != d.Digest {
		t.Fatalf("refresh: %+v", refresh.Header)
	}
	if ahead := bk.open(t, bk.get(t, "?since="+strconv.FormatUint(v2+1000, 10))); ahead.Kind != bundle.KindFull || ahead.To != v2 {
		t.Fatalf("an edge ahead of the city: %+v, want the full bundle", ahead.Header)
	}
	if a := bk.get(t, "?since=abc"); a.code != http.StatusBadRequest {
		t.Fatalf("since=abc: %d", a.code)
	}
	var names []string
	entries, _ := os.ReadDir(bk.dir)
	for _, e := range entries {
		names = append(names, e.Name())
	}
	for _, want := range []string{bundleName("92101", 0, v1, bundle.FormatColumns), bundleName("92101", 0, v2, bundle.FormatColumns), bundleName("92101", v1, v2, bundle.FormatColumns), bundleName("92101", v2, v2, bundle.FormatColumns)} {
		if !slices.Contains(names, want) {
			t.Errorf("%s not kept; the folder holds %v", want, names)
		}
	}
}

// TestBundleFullWhenSmaller: a delta no smaller than the full bundle is
// not worth sending.
func TestBundleFullWhenSmaller(t *testing.T) {
	bk := newBundleKit(t, t.TempDir())
	recs := residents(30)
	bk.load(t, recs...)
	v1 := bk.open(t, bk.get(t, "")).To
	// Every record changes and five leave: the delta says all the full
	// bundle says, and names those five besides.
	for i, c := range recs[:30] {
		c.Values[registry.FieldCurrentAddress] = "Số 9 đường 30 tháng 4"
		if i < 5 {
			c.Values[registry.FieldCommune] = "92102"
		}
	}
	bk.load(t, recs...)
	if b := bk.open(t, bk.get(t, "?since="+strconv.FormatUint(v1, 10))); b.Kind != bundle.KindFull || b.Count != 25 {
		t.Fatalf("every record changed: got a delta of %d entries rather than the full bundle", b.Count)
	}
}

func TestBundleRangeResume(t *testing.T) {
	bk := newBundleKit(t, t.TempDir())
	bk.load(t, residents(40)...)
	first := bk.get(t, "?since=0")
	tag := first.hdr.Get("ETag")
	a := bk.get(t, "?since=0", "Range", "bytes=100-", "If-Range", tag)
	if a.code != http.StatusPartialContent || !bytes.Equal(a.body, first.body[100:]) {
		t.Fatalf("resume: %d, %d bytes", a.code, len(a.body))
	}
	// The subset moves on; the download that began still finishes.
	bk.load(t, resident(500, "92101", "Lê Văn Mới"))
	a = bk.get(t, "?since=0", "Range", "bytes=100-", "If-Range", tag)
	if a.code != http.StatusPartialContent || !bytes.Equal(a.body, first.body[100:]) {
		t.Fatalf("resume after the subset moved on: %d", a.code)
	}
	// Without the range, the edge gets the new version.
	if b := bk.open(t, bk.get(t, "?since=0")); b.Count != 41 {
		t.Fatalf("new full bundle: %+v", b.Header)
	}
	// A validator that names another bundle gets the whole current one.
	for _, other := range []string{`"92101-0-1-00000000000000000000000000000000"`, "garbage", tag + "x"} {
		a = bk.get(t, "?since=0", "Range", "bytes=100-", "If-Range", other)
		if b := bk.open(t, a); b.Count != 41 {
			t.Fatalf("If-Range %s: %+v", other, b.Header)
		}
	}
	// A kept bundle that does not start at since is not resumed.
	a = bk.get(t, "?since=5", "Range", "bytes=100-", "If-Range", tag)
	if a.code != http.StatusOK {
		t.Fatalf("If-Range of a full bundle with since=5: %d", a.code)
	}
}

func TestBundleRebuiltWhenOld(t *testing.T) {
	bk := newBundleKit(t, t.TempDir())
	bk.load(t, residents(5)...)
	first := bk.open(t, bk.get(t, ""))
	bk.advance(2 * 24 * time.Hour) // older than a seventh of the 7-day TTL
	second := bk.open(t, bk.get(t, ""))
	if second.To != first.To || !second.Created.After(first.Created) {
		t.Fatalf("an old bundle was served again: created %v, then %v", first.Created, second.Created)
	}
}

func TestBundlePrune(t *testing.T) {
	bk := newBundleKit(t, t.TempDir())
	var versions []uint64
	for i := range keepVersions + 2 {
		bk.load(t, resident(i, "92101", "Võ Thị Mai"))
		versions = append(versions, bk.open(t, bk.get(t, "")).To)
	}
	stray := filepath.Join(bk.dir, ".92101-0-1.xnb.123")
	os.WriteFile(stray, []byte("half"), 0o600)
	old := bk.clock().Add(-2 * time.Hour)
	os.Chtimes(stray, old, old)
	bk.load(t, resident(99, "92101", "Võ Thị Mai"))
	bk.get(t, "")
	for i, v := range versions {
		_, err := os.Stat(filepath.Join(bk.dir, bundleName("92101", 0, v, bundle.FormatColumns)))
		if kept := err == nil; kept != (i >= len(versions)-keepVersions+1) {
			t.Errorf("bundle of version %d (%d of %d): kept %v", v, i+1, len(versions), kept)
		}
	}
	if _, err := os.Stat(stray); err == nil {
		t.Error("an old temporary file was left")
	}
}

// TestBundleWithoutFolder: with no folder every request builds its bundle;
// deltas still work, but nothing can be resumed.
func TestBundleWithoutFolder(t *testing.T) {
	bk := newBundleKit(t, "")
	recs := residents(10)
	bk.load(t, recs...)
	first := bk.get(t, "")
	full := bk.open(t, first)
	if first.hdr.Get("ETag") != "" {
		t.Fatalf("ETag %q for a bundle that is not kept", first.hdr.Get("ETag"))
	}
	bk.load(t, resident(2, "92101", "Đặng Văn Hai"))
	if d := bk.open(t, bk.get(t, "?since="+strconv.FormatUint(full.To, 10))); d.Kind != bundle.KindDelta || d.Count != 1 {
		t.Fatalf("delta without a folder: %+v", d.Header)
	}
}

func TestBundleNames(t *testing.T) {
	for _, tc := range []struct {
		commune  string
		from, to uint64
	}{{"92101", 0, 7}, {"ha-noi-01", 12, 40}} {
		for _, format := range []uint8{bundle.FormatColumns, bundle.FormatRows} {
			c, f, to, fm, ok := parseName(bundleName(tc.commune, tc.from, tc.to, format))
			if !ok || c != tc.commune || f != tc.from || to != tc.to || fm != format {
				t.Errorf("parseName(bundleName(%v, %d)) = %s %d %d %d %v", tc, format, c, f, to, fm, ok)
			}
		}
		h := &bundle.Header{Commune: tc.commune, From: tc.from, To: tc.to}
		c, f, to, ok := parseETag(etag(h, make([]byte, 64)))
		if !ok || c != tc.commune || f != tc.from || to != tc.to {
			t.Errorf("parseETag(etag(%v)) = %s %d %d %v", tc, c, f, to, ok)
		}
	}
	for _, bad := range []string{"", `"`, `""`, `"92101"`, `"92101-x-1-ab"`, "92101-0-1-ab", `W/"92101-0-1-ab"`} {
		if _, _, _, ok := parseETag(bad); ok {
			t.Errorf("parseETag(%q) accepted", bad)
		}
	}
}

// TestBundleFormats: an edge that asks for format 3 gets it; a request
// without a format, from an edge of the release before, gets format 2,
// which that edge opens. Both are kept, under their own names, full
// bundles and deltas alike, and a format-2 bundle that an older city kept
// under the name format 3 now has is built again.
func TestBundleFormats(t *testing.T) {
	bk := newBundleKit(t, t.TempDir())
	bk.load(t, residents(20)...)
	for _, tc := range []struct {
		query string
		want  uint8
	}{{"?format=3", bundle.FormatColumns}, {"", bundle.FormatRows}, {"?format=2", bundle.FormatRows}, {"?format=9", bundle.FormatColumns}} {
		if b := bk.open(t, bk.request(t, tc.query)); b.Format != tc.want || b.Count != 20 {
			t.Fatalf("%q: format %d with %d records, want format %d", tc.query, b.Format, b.Count, tc.want)
		}
	}
	if a := bk.request(t, "?format=x"); a.code != http.StatusBadRequest {
		t.Fatalf("format=x: %d", a.code)
	}
	v1, _ := bk.node.FSM().SubsetVersion("92101")
	bk.load(t, resident(3, "92101", "Đặng Văn Ba"))
	v2, _ := bk.node.FSM().SubsetVersion("92101")
	since := "?since=" + strconv.FormatUint(v1, 10)
	old, now := bk.open(t, bk.request(t, since)), bk.open(t, bk.request(t, since+"&format=3"))
	if old.Kind != bundle.KindDelta || now.Kind != bundle.KindDelta || old.Format != bundle.FormatRows ||
		now.Format != bundle.FormatColumns || old.Digest != now.Digest {
		t.Fatalf("deltas: %+v and %+v", old.Header, now.Header)
	}
	for _, format := range []uint8{bundle.FormatColumns, bundle.FormatRows} {
		for _, name := range []string{bundleName("92101", 0, v1, format), bundleName("92101", v1, v2, format)} {
			if _, err := os.Stat(filepath.Join(bk.dir, name)); err != nil {
				t.Errorf("%s not kept: %v", name, err)
			}
		}
	}
	rows, err := os.ReadFile(filepath.Join(bk.dir, bundleName("92101", 0, v2, bundle.FormatRows)))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(bk.dir, bundleName("92101", 0, v2, bundle.FormatColumns)), rows, 0o600); err != nil {
		t.Fatal(err)
	}
	if b := bk.open(t, bk.get(t, "")); b.Format != bundle.FormatColumns || b.To != v2 {
		t.Fatalf("a format-2 file under the format-3 name was served: %+v", b.Header)
	}
}
