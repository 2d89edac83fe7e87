package edge

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/xanode/xanode/certs"
	"github.com/xanode/xanode/node/registry"
	"github.com/xanode/xanode/sync/bundle"
	"github.com/xanode/xanode/sync/client"
)

const commune = "92101"

var now = time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)

func mustStore(t *testing.T) *Store {
	t.Helper()
	s, err := OpenStore(filepath.Join(t.TempDir(), "edge.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func mustPKI(t testing.TB) *certs.PKI {
	t.Helper()
	p, err := certs.Init(t.TempDir(), certs.InitOptions{CityNodes: []string{"city-1"}, Now: func() time.Time { return now.Add(-time.Hour) }})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func citizen(id, name string) *registry.Citizen {
	c := &registry.Citizen{ID: id, Version: 3}
	c.Values[registry.FieldFullName] = name
	c.Values[registry.FieldCommune] = commune
	return c
}

func sampleRecords() []*registry.Citizen {
	return []*registry.Citizen{
		citizen("092090001234", "Nguyễn Văn An"),
		citizen("092190004321", "Trần Thị Bình"),
		citizen("092095000777", "Lê Hoàng Cường"),
	}
}

func makeBundle(t testing.TB, p *certs.PKI, comm string, version uint64, recs []*registry.Citizen) []byte {
	t.Helper()
	key, cert := p.DataSigner()
	var buf bytes.Buffer
	recs = slices.Clone(recs)
	slices.SortFunc(recs, func(a, b *registry.Citizen) int { return cmpString(a.ID, b.ID) })
	h := bundle.Header{Kind: bundle.KindFull, Commune: comm, To: version, Created: now}
	if _, err := bundle.Build(&buf, h, slices.Values(recs), key, cert); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func cmpString(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func importer(s *Store, p *certs.PKI) *Importer {
	return &Importer{Store: s, Commune: commune, Roots: p.RootPool(), Now: func() time.Time { return now }}
}

func TestImportVerifiesBeforeChangingAnything(t *testing.T) {
	p := mustPKI(t)
	s := mustStore(t)
	im := importer(s, p)
	good := makeBundle(t, p, commune, 10, sampleRecords())
	if _, err := im.Import(context.Background(), good); err != nil {
		t.Fatal(err)
	}
	before, _ := s.Subset()

	other := mustPKI(t)
	newer := makeBundle(t, p, commune, 20, sampleRecords()[:1])
	flipped := bytes.Clone(newer)
	flipped[len(flipped)/2] ^= 0x01
	cases := []struct {
		name string
		data []byte
		want error
	}{
		{"one flipped byte", flipped, nil},
		{"truncated", newer[:len(newer)-7], nil},
		{"signed by another city", makeBundle(t, other, commune, 30, sampleRecords()), nil},
		{"another commune", makeBundle(t, p, "92102", 30, sampleRecords()), ErrWrongCommune},
		{"rollback", makeBundle(t, p, commune, 5, sampleRecords()), ErrRollback},
		{"same version", good, ErrNotNewer},
	}
	for _, tc := range cases {
		_, err := im.Import(context.Background(), tc.data)
		if err == nil || (tc.want != nil && !errors.Is(err, tc.want)) {
			t.Errorf("%s: err = %v, want %v", tc.name, err, tc.want)
		}
		after, _ := s.Subset()
		if after != before {
			t.Errorf("%s: subset changed from %+v to %+v", tc.name, before, after)
		}
		if c, err := s.Citizen("092190004321"); err != nil || c.Get(registry.FieldFullName) != "Trần Thị Bình" {
			t.Errorf("%s: record lost: %v", tc.name, err)
		}
	}
	if _, err := im.Import(context.Background(), newer); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Citizen("092190004321"); !errors.Is(err, ErrNotFound) {
		t.Errorf("a full bundle replaces the subset: removed record still there (%v)", err)
	}
}

func TestInstallIsAtomic(t *testing.T) {
	p := mustPKI(t)
	s := mustStore(t)
	im := importer(s, p)
	if _, err := im.Import(context.Background(), makeBundle(t, p, commune, 1, sampleRecords())); err != nil {
		t.Fatal(err)
	}
	boom := errors.New("crash in the middle")
	failPoint = func(n int) error {
		if n == 2 {
			return boom
		}
		return nil
	}
	t.Cleanup(func() { failPoint = nil })
	newer := append(sampleRecords()[:1], citizen("092090009999", "Ngô Thị Hoa"), citizen("092090009998", "Ngô Văn Hải"))
	if _, err := im.Import(context.Background(), makeBundle(t, p, commune, 2, newer)); !errors.Is(err, boom) {
		t.Fatal(err)
	}
	if info, _ := s.Subset(); info.Version != 1 || info.Count != 3 {
		t.Fatalf("subset %+v after a failed import", info)
	}
	if _, err := s.Citizen("092090009999"); !errors.Is(err, ErrNotFound) {
		t.Fatal("half an import is visible")
	}
	if _, err := s.Citizen("092190004321"); err != nil {
		t.Fatal(err)
	}
}

// fakeCity is a City whose behaviour each test sets.
type fakeCity struct {
	push   func([]*registry.Change) ([]*registry.Outcome, error)
	bundle func(commune string, since uint64) ([]byte, error)
}

func (f *fakeCity) Push(_ context.Context, cs []*registry.Change) ([]*registry.Outcome, error) {
	return f.push(cs)
}
func (f *fakeCity) Bundle(_ context.Context, c string, since uint64, _ client.Partial) ([]byte, error) {
	return f.bundle(c, since)
}

func TestRecordPushSettle(t *testing.T) {
	p := mustPKI(t)
	s := mustStore(t)
	im := importer(s, p)
	if _, err := im.Import(context.Background(), makeBundle(t, p, commune, 10, sampleRecords())); err != nil {
		t.Fatal(err)
	}
	up := true
	var pushed [][]*registry.Change
	city := &fakeCity{push: func(cs []*registry.Change) ([]*registry.Outcome, error) {
		if !up {
			return nil, errors.New("link down")
		}
		pushed = append(pushed, cs)
		outs := make([]*registry.Outcome, len(cs))
		for i, c := range cs {
			outs[i] = &registry.Outcome{Change: c.ID(), Result: registry.Applied, Index: 11, Citizen: c.Citizen}
		}
		return outs, nil
	}}
	e, err := New(Config{Node: "edge-1", Commune: commune, Store: s, City: city, Import: im.Import, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	draft := Draft{Officer: "canbo01", Op: registry.OpRegisterTemporary, Citizen: "092090001234",
		Patch: map[string]string{"temporary_address": "5 Nguyễn Trãi", "temporary_until": "30/06/2027"}}
	c, err := e.Record(draft)
	if err != nil {
		t.Fatal(err)
	}
	if c.Seq != 1 || c.Base != 3 || c.ID() != "edge-1/1" {
		t.Fatalf("recorded %+v", c)
	}
	if v, _ := c.Patch.Get(registry.FieldTemporaryUntil); v != "2027-06-30" {
		t.Fatalf("date not normalized: %q", v)
	}
	if _, err := e.Record(Draft{Officer: "canbo01", Op: registry.OpRegisterTemporary, Citizen: "092090001234",
		Patch: map[string]string{"temporary_address": "x"}}); err == nil {
		t.Fatal("a draft without the required until date was accepted")
	}

	up = false
	if err := e.PushOnce(context.Background()); err == nil {
		t.Fatal("push with the link down succeeded")
	}
	if q, _ := s.Queue(); q.Pending != 1 {
		t.Fatalf("outbox %d after a failed push, want 1", q.Pending)
	}
	up = true
	if err := e.PushOnce(context.Background()); err != nil {
		t.Fatal(err)
	}
	if q, _ := s.Queue(); q.Pending != 0 || !q.LastSynced.Equal(now) {
		t.Fatalf("queue after push: %+v", q)
	}
	recent, _ := e.Recent(10)
	if len(recent) != 1 || recent[0].Outcome == nil || recent[0].Outcome.Result != registry.Applied {
		t.Fatalf("recent: %+v", recent)
	}
	if len(pushed) != 1 || len(pushed[0]) != 1 {
		t.Fatalf("pushed %v", pushed)
	}
}

func TestSettleRefusesForeignOutcomes(t *testing.T) {
	s := mustStore(t)
	c := &registry.Change{Officer: "canbo01", Node: "edge-1", Op: registry.OpIdentify, Citizen: "092090001234", Commune: commune}
	if err := s.Append(c); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"edge-2/1", "edge-1/2", "edge-1/01", "edge-1/1x"} {
		if err := s.Settle("edge-1", []*registry.Outcome{{Change: id, Result: registry.Applied}}, now); err == nil {
			t.Errorf("outcome for %s accepted", id)
		}
	}
	if q, _ := s.Queue(); q.Pending != 1 {
		t.Fatal("a refused outcome emptied the outbox")
	}
}

func TestOfficers(t *testing.T) {
	s := mustStore(t)
	if err := s.PutOfficer("canbo01", "Nguyễn Thị Lan", "officer", "mật khẩu dài"); err != nil {
		t.Fatal(err)
	}
	if o, err := s.Authenticate(context.Background(), "canbo01", "mật khẩu dài"); err != nil || o.Name != "Nguyễn Thị Lan" {
		t.Fatalf("login: %v %+v", err, o)
	}
	for _, bad := range [][2]string{{"canbo01", "sai"}, {"khong-co", "mật khẩu dài"}, {"", ""}} {
		if _, err := s.Authenticate(context.Background(), bad[0], bad[1]); !errors.Is(err, ErrBadLogin) {
			t.Errorf("login %q: %v", bad[0], err)
		}
	}
	if err := s.PutOfficer("x", "X", "admin", "12345678"); err == nil {
		t.Error("unknown role accepted")
	}
}

// TestRecordIsOneTransaction: an officer's action is the change and its
// audit entry together, or neither (a refused change leaves no entry).
func TestRecordIsOneTransaction(t *testing.T) {
	s := mustStore(t)
	count := func() int {
		n, err := s.VerifyAudit()
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	bad := &registry.Change{Node: "edge-1", Officer: "canbo01", Op: registry.OpRegisterTemporary, Citizen: "092090001234", Commune: commune}
	if err := s.Record(bad, time.Now()); err == nil {
		t.Fatal("a change without its required fields was recorded")
	}
	if n := count(); n != 0 {
		t.Fatalf("a refused change left %d audit entries", n)
	}
	if q, _ := s.Queue(); q.Pending != 0 {
		t.Fatalf("a refused change is in the outbox: %+v", q)
	}
	good := &registry.Change{Node: "edge-1", Officer: "canbo01", Op: registry.OpIdentify, Citizen: "092090001234", Commune: commune}
	if err := s.Record(good, time.Now()); err != nil {
		t.Fatal(err)
	}
	if q, _ := s.Queue(); q.Pending != 1 || count() != 1 {
		t.Fatalf("outbox %+v, %d audit entries; want the change and its entry", q, count())
	}
}

// TestMergedRecordIsNoResident: a retired duplicate (status merged) that
// reached a subset anyway is not served as a resident; the others are.
func TestMergedRecordIsNoResident(t *testing.T) {
	p := mustPKI(t)
	s := mustStore(t)
	recs := sampleRecords()
	recs[1].Values[registry.FieldStatus] = registry.StatusMerged
	if _, err := importer(s, p).Import(context.Background(), makeBundle(t, p, commune, 10, recs)); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		id       string
		resident bool
	}{{recs[0].ID, true}, {recs[1].ID, false}, {recs[2].ID, true}} {
		c, err := s.Citizen(tc.id)
		if (err == nil) != tc.resident || (err != nil && (c != nil || !errors.Is(err, ErrNotFound))) {
			t.Errorf("%s: %v, %v; want resident %v", tc.id, c, err, tc.resident)
		}
	}
}

// TestRetryAfter: a failed try waits the next backoff (at most 10 s), or
// what the city said when it said longer, up to an hour.
// TestHeldByTheCity: a push the city answers 429 with Retry-After makes
// the status say until when the city holds the office's changes (the
// officer's pages show it); the changes stay in the outbox; another kind
// of failure, or a push that went through, says nothing of it.
func TestHeldByTheCity(t *testing.T) {
	p := mustPKI(t)
	s := mustStore(t)
	im := importer(s, p)
	if _, err := im.Import(context.Background(), makeBundle(t, p, commune, 10, sampleRecords())); err != nil {
		t.Fatal(err)
	}
	city := &fakeCity{push: func([]*registry.Change) ([]*registry.Outcome, error) {
		return nil, &client.StatusError{Code: http.StatusTooManyRequests, RetryAfter: 20 * time.Minute, Reason: "over its limit"}
	}}
	e, err := New(Config{Node: "edge-1", Commune: commune, Store: s, City: city, Import: im.Import, PushEvery: time.Millisecond,
		Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.Record(Draft{Officer: "canbo01", Op: registry.OpIdentify, Citizen: "092090001234"}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); e.pushLoop(ctx) }()
	deadline := time.Now().Add(10 * time.Second)
	for {
		st, _ := e.Status()
		if st.HeldUntil.Equal(now.Add(20 * time.Minute)) {
			if st.Queue.Pending != 1 {
				t.Errorf("outbox %d while held, want 1", st.Queue.Pending)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("held until %v, want %v", st.HeldUntil, now.Add(20*time.Minute))
		}
		time.Sleep(time.Millisecond)
	}
	cancel()
	<-done
	e.hold(errors.New("connection refused"), time.Second)
	if st, _ := e.Status(); !st.HeldUntil.IsZero() {
		t.Errorf("a network failure holds until %v", st.HeldUntil)
	}
}

func TestRetryAfter(t *testing.T) {
	limited := func(d time.Duration) error {
		return fmt.Errorf("push: %w", &client.StatusError{Code: http.StatusTooManyRequests, RetryAfter: d})
	}
	for _, tc := range []struct {
		name   string
		err    error
		lo, hi time.Duration
	}{
		{"a network error", errors.New("connection refused"), 250 * time.Millisecond, 10 * time.Second},
		{"a 503 without Retry-After", &client.StatusError{Code: http.StatusServiceUnavailable}, 250 * time.Millisecond, 10 * time.Second},
		{"over the limit for 20 minutes", limited(20 * time.Minute), 20 * time.Minute, 20 * time.Minute},
		{"a second", limited(time.Second), 250 * time.Millisecond, 10 * time.Second},
		{"a day", limited(24 * time.Hour), time.Hour, time.Hour},
	} {
		if got := retryAfter(tc.err, 0); got < tc.lo || got > tc.hi {
			t.Errorf("%s: waits %v, want %v..%v", tc.name, got, tc.lo, tc.hi)
		}
	}
}
