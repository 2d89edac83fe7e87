package edge

import (
	"bytes"
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/xanode/xanode/certs"
	"github.com/xanode/xanode/node/registry"
	"github.com/xanode/xanode/sync/bundle"
	"github.com/xanode/xanode/sync/digest"
)

// digestOf is the subset digest of recs, as the city computes it.
func digestOf(recs []*registry.Citizen) [32]byte {
	var d digest.Hash
	for _, c := range recs {
		d.Add([]byte(c.ID), registry.AppendCitizen(nil, c, false))
	}
	return d.Sum()
}

// deltaOpts shape a delta made by makeDelta.
type deltaOpts struct {
	commune  string
	from, to uint64
	created  time.Time
	digest   *[32]byte // nil: the digest of after
	format   uint8     // 0: Build's default
}

// makeDelta signs a delta that takes a subset to after: up are the
// records changed or added, rm the IDs removed.
func makeDelta(t testing.TB, p *certs.PKI, o deltaOpts, up []*registry.Citizen, rm []string, after []*registry.Citizen) []byte {
	t.Helper()
	key, cert := p.DataSigner()
	up = slices.Clone(up)
	slices.SortFunc(up, func(a, b *registry.Citizen) int { return strings.Compare(a.ID, b.ID) })
	rm = slices.Sorted(slices.Values(rm))
	if o.commune == "" {
		o.commune = commune
	}
	if o.created.IsZero() {
		o.created = now
	}
	h := bundle.Header{Kind: bundle.KindDelta, Commune: o.commune, From: o.from, To: o.to, Digest: digestOf(after), Created: o.created}
	if o.digest != nil {
		h.Digest = *o.digest
	}
	h.Format = o.format
	var buf bytes.Buffer
	if _, err := bundle.BuildDelta(&buf, h, up, rm, key, cert); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// deltaKit holds a store at version 10 with sampleRecords, and the
// delta to version 20 that renames one resident, removes one and adds
// one.
type deltaKit struct {
	pki     *certs.PKI
	store   *Store
	im      *Importer
	up      []*registry.Citizen
	rm      []string
	after   []*registry.Citizen
	renamed *registry.Citizen
}

func newDeltaKit(t *testing.T) *deltaKit {
	t.Helper()
	k := &deltaKit{pki: mustPKI(t), store: mustStore(t)}
	k.im = importer(k.store, k.pki)
	if _, err := k.im.Import(context.Background(), makeBundle(t, k.pki, commune, 10, sampleRecords())); err != nil {
		t.Fatal(err)
	}
	recs := sampleRecords()
	k.renamed = citizen(recs[0].ID, "Nguyễn Văn Ân")
	k.renamed.Version = 20
	added := citizen("092095000888", "Phạm Thị Dung")
	k.up = []*registry.Citizen{k.renamed, added}
	k.rm = []string{recs[1].ID, "092099999999"} // the second was never held
	k.after = []*registry.Citizen{k.renamed, recs[2], added}
	return k
}

func (k *deltaKit) delta(t *testing.T, o deltaOpts) []byte {
	return makeDelta(t, k.pki, o, k.up, k.rm, k.after)
}

func TestApplyDelta(t *testing.T) {
	k := newDeltaKit(t)
	info, err := k.im.Import(context.Background(), k.delta(t, deltaOpts{from: 10, to: 20}))
	if err != nil {
		t.Fatal(err)
	}
	if info.Version != 20 || info.Count != 3 || info.Digest != digestOf(k.after) {
		t.Fatalf("after the delta: %+v", info)
	}
	if held, _ := k.store.Subset(); held != info {
		t.Fatalf("held %+v, Import said %+v", held, info)
	}
	if c, err := k.store.Citizen(k.renamed.ID); err != nil || c.Get(registry.FieldFullName) != "Nguyễn Văn Ân" {
		t.Fatalf("renamed resident: %v %v", c, err)
	}
	if _, err := k.store.Citizen(sampleRecords()[1].ID); !errors.Is(err, ErrNotFound) {
		t.Fatalf("removed resident still there: %v", err)
	}
	if _, err := k.store.Citizen("092095000888"); err != nil {
		t.Fatalf("added resident: %v", err)
	}
	// The digest state kept is that of the new subset: a second delta
	// checks against it.
	again := citizen("092095000888", "Phạm Thị Dung Em")
	after := []*registry.Citizen{k.renamed, sampleRecords()[2], again}
	d2 := makeDelta(t, k.pki, deltaOpts{from: 20, to: 25}, []*registry.Citizen{again}, nil, after)
	if info, err := k.im.Import(context.Background(), d2); err != nil || info.Version != 25 || info.Count != 3 {
		t.Fatalf("second delta: %+v %v", info, err)
	}
}

// TestDeltaAcrossFormats: an edge that holds a subset from a bundle of
// one format applies a delta of the other (the city may be upgraded before
// or after it), because both formats give the same record bytes, which
// the store keeps and the digest covers.
func TestDeltaAcrossFormats(t *testing.T) {
	for _, formats := range [][2]uint8{{bundle.FormatRows, bundle.FormatColumns}, {bundle.FormatColumns, bundle.FormatRows}} {
		k := &deltaKit{pki: mustPKI(t), store: mustStore(t)}
		k.im = importer(k.store, k.pki)
		key, cert := k.pki.DataSigner()
		var full bytes.Buffer
		h := bundle.Header{Kind: bundle.KindFull, Commune: commune, To: 10, Created: now, Format: formats[0]}
		sorted := slices.SortedFunc(slices.Values(sampleRecords()), func(a, b *registry.Citizen) int { return strings.Compare(a.ID, b.ID) })
		if _, err := bundle.Build(&full, h, slices.Values(sorted), key, cert); err != nil {
			t.Fatal(err)
		}
		if _, err := k.im.Import(context.Background(), full.Bytes()); err != nil {
			t.Fatalf("full bundle of format %d: %v", formats[0], err)
		}
		recs := sampleRecords()
		moved := citizen(recs[2].ID, recs[2].Get(registry.FieldFullName))
		moved.Values[registry.FieldCurrentAddress] = "Số 5, Khu vực 2"
		moved.Version = 20
		after := []*registry.Citizen{recs[0], moved}
		d := makeDelta(t, k.pki, deltaOpts{from: 10, to: 20, format: formats[1]}, []*registry.Citizen{moved}, []string{recs[1].ID}, after)
		info, err := k.im.Import(context.Background(), d)
		if err != nil || info.Version != 20 || info.Count != 2 || info.Digest != digestOf(after) {
			t.Fatalf("delta of format %d on a subset of format %d: %+v %v", formats[1], formats[0], info, err)
		}
		if c, err := k.store.Citizen(moved.ID); err != nil || c.Get(registry.FieldCurrentAddress) != "Số 5, Khu vực 2" {
			t.Fatalf("moved resident: %v %v", c, err)
		}
	}
}

func TestRefresh(t *testing.T) {
	k := newDeltaKit(t)
	before, _ := k.store.Subset()
	later := now.Add(24 * time.Hour)
	refresh := makeDelta(t, k.pki, deltaOpts{from: 10, to: 10, created: later}, nil, nil, sampleRecords())
	info, err := k.im.Import(context.Background(), refresh)
	if err != nil {
		t.Fatal(err)
	}
	if info.Version != 10 || !info.Created.Equal(later) || !info.Expires.Equal(later.Add(bundle.DefaultExpiry)) || info.Count != before.Count {
		t.Fatalf("after a refresh: %+v", info)
	}
	if _, err := k.im.Import(context.Background(), refresh); !errors.Is(err, ErrNotNewer) {
		t.Fatalf("the same refresh again: %v, want ErrNotNewer", err)
	}
	older := makeDelta(t, k.pki, deltaOpts{from: 10, to: 10, created: now.Add(time.Hour)}, nil, nil, sampleRecords())
	if _, err := k.im.Import(context.Background(), older); !errors.Is(err, ErrNotNewer) {
		t.Fatalf("an older refresh: %v, want ErrNotNewer", err)
	}
	wrong := makeDelta(t, k.pki, deltaOpts{from: 10, to: 10, created: later.Add(time.Hour)}, nil, nil, sampleRecords()[:1])
	if _, err := k.im.Import(context.Background(), wrong); !errors.Is(err, bundle.ErrDigestMismatch) {
		t.Fatalf("a refresh of another subset: %v, want ErrDigestMismatch", err)
	}
}

// TestDeltaRefusals: a delta that does not apply, or is not what it
// claims, changes nothing.
func TestDeltaRefusals(t *testing.T) {
	k := newDeltaKit(t)
	otherCity := mustPKI(t)
	zero := [32]byte{1}
	good := k.delta(t, deltaOpts{from: 10, to: 20})
	tampered := bytes.Clone(good)
	tampered[len(tampered)-5] ^= 0x10
	cases := []struct {
		name string
		data []byte
		want error
	}{
		{"from another version", k.delta(t, deltaOpts{from: 9, to: 20}), ErrNeedFull},
		{"from a version after the one held", k.delta(t, deltaOpts{from: 15, to: 20}), ErrNeedFull},
		{"to an older version", k.delta(t, deltaOpts{from: 5, to: 8}), ErrRollback},
		{"to the version held", k.delta(t, deltaOpts{from: 5, to: 10}), ErrNotNewer},
		{"another commune", k.delta(t, deltaOpts{commune: "92102", from: 10, to: 20}), ErrWrongCommune},
		{"wrong digest", k.delta(t, deltaOpts{from: 10, to: 20, digest: &zero}), bundle.ErrDigestMismatch},
		{"signed by another city", makeDelta(t, otherCity, deltaOpts{from: 10, to: 20}, k.up, k.rm, k.after), bundle.ErrUntrustedSigner},
		{"tampered", tampered, bundle.ErrPayloadHash},
		{"truncated", good[:len(good)-9], bundle.ErrMalformed},
	}
	before, _ := k.store.Subset()
	for _, tc := range cases {
		_, err := k.im.Import(context.Background(), tc.data)
		if !errors.Is(err, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, err, tc.want)
		}
		if after, _ := k.store.Subset(); after != before {
			t.Errorf("%s: subset changed from %+v to %+v", tc.name, before, after)
		}
		if c, err := k.store.Citizen(sampleRecords()[1].ID); err != nil || c.Get(registry.FieldFullName) != "Trần Thị Bình" {
			t.Errorf("%s: record changed or lost: %v", tc.name, err)
		}
	}
	if _, err := k.im.Import(context.Background(), good); err != nil {
		t.Fatalf("the good delta after the refusals: %v", err)
	}
}

func TestDeltaWithoutSubset(t *testing.T) {
	k := newDeltaKit(t)
	empty := mustStore(t)
	im := importer(empty, k.pki)
	if _, err := im.Import(context.Background(), k.delta(t, deltaOpts{from: 10, to: 20})); !errors.Is(err, ErrNeedFull) {
		t.Fatalf("a delta on an empty store: %v, want ErrNeedFull", err)
	}
}

// TestPullFallsBackToFull: a delta the edge cannot apply makes it ask for
// a full bundle at once.
func TestPullFallsBackToFull(t *testing.T) {
	k := newDeltaKit(t)
	var asked []uint64
	full := makeBundle(t, k.pki, commune, 20, k.after)
	zero := [32]byte{1}
	bad := k.delta(t, deltaOpts{from: 10, to: 20, digest: &zero})
	city := &fakeCity{bundle: func(c string, since uint64) ([]byte, error) {
		asked = append(asked, since)
		if since == 0 {
			return full, nil
		}
		return bad, nil
	}}
	e, err := New(Config{Node: "edge-1", Commune: commune, Store: k.store, City: city, Import: k.im.Import, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.PullOnce(context.Background()); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(asked, []uint64{10, 0}) {
		t.Fatalf("asked for since=%v, want [10 0]", asked)
	}
	if info, _ := k.store.Subset(); info.Version != 20 || info.Digest != digestOf(k.after) {
		t.Fatalf("after the fallback: %+v", info)
	}
	st, _ := e.Status()
	if st.LastError != "" {
		t.Fatalf("status shows an error after a successful fallback: %s", st.LastError)
	}
}

func TestPartialDownload(t *testing.T) {
	s := mustStore(t)
	p := s.Partial()
	if tag, data, err := p.Load(); tag != "" || data != nil || err != nil {
		t.Fatalf("nothing kept yet: %q %q %v", tag, data, err)
	}
	if err := p.Begin(`"92101-0-7-ab"`); err != nil {
		t.Fatal(err)
	}
	for _, part := range []string{"first ", "second\n", "third"} {
		if err := p.Append([]byte(part)); err != nil {
			t.Fatal(err)
		}
	}
	if tag, data, err := p.Load(); tag != `"92101-0-7-ab"` || string(data) != "first second\nthird" || err != nil {
		t.Fatalf("kept %q %q %v", tag, data, err)
	}
	if err := p.Begin(`"92101-0-8-cd"`); err != nil {
		t.Fatal(err)
	}
	if _, data, _ := p.Load(); len(data) != 0 {
		t.Fatalf("Begin kept %q of the previous download", data)
	}
	if err := p.Discard(); err != nil {
		t.Fatal(err)
	}
	if err := p.Discard(); err != nil {
		t.Fatalf("Discard twice: %v", err)
	}
	if tag, _, _ := p.Load(); tag != "" {
		t.Fatalf("discarded download still kept: %q", tag)
	}
}
