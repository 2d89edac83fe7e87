package node

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	gosync "sync"
	"testing"
	"time"

	"github.com/xanode/xanode/certs"
	"github.com/xanode/xanode/reader/emulator"
	"github.com/xanode/xanode/reader/sod"
	"github.com/xanode/xanode/reader/trust"
	"github.com/xanode/xanode/sync/client"
	"github.com/xanode/xanode/sync/trustlist"
)

// fakeTrustCity serves signed trust lists as GET /v1/trust does.
type fakeTrustCity struct {
	mu      gosync.Mutex
	version uint64
	data    []byte
}

func (c *fakeTrustCity) serve(w http.ResponseWriter, r *http.Request) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if r.Header.Get("If-None-Match") == `"trust-`+strconv.FormatUint(c.version, 10)+`"` {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	w.Write(c.data)
}

func (c *fakeTrustCity) set(version uint64, data []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.version, c.data = version, data
}

// TestEdgeTrust: the edge installs a verified list at once, with its own
// files as an addition; a CRL revoking the Document Signer fails the next
// verification; an older list, a tampered one and another city's are
// refused; the list kept in the data folder comes back after a restart.
func TestEdgeTrust(t *testing.T) {
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	city, err := certs.Init(t.TempDir(), certs.InitOptions{CityNodes: []string{"city-1"}})
	if err != nil {
		t.Fatal(err)
	}
	other, err := certs.Init(t.TempDir(), certs.InitOptions{CityNodes: []string{"city-1"}})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	card, err := emulator.NewTestPKIWith(now, emulator.PKIOptions{})
	if err != nil {
		t.Fatal(err)
	}
	mine, err := emulator.NewTestPKIWith(now, emulator.PKIOptions{}) // the edge's own --csca
	if err != nil {
		t.Fatal(err)
	}
	dgs := map[int][]byte{1: []byte("\x61\x03\x5F\x1F\x00")}
	sodOf := func(p *emulator.TestPKI) []byte {
		b, err := sod.Sign(dgs, p.DocumentSigner.Key, p.DocumentSigner.Cert)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	verified := func(csca *CSCATrust, p *emulator.TestPKI) bool {
		s := csca.Store()
		return s != nil && s.Verify(sodOf(p), dgs, now).Verified
	}
	ds, err := trust.ParseCertificate(card.DocumentSigner.Cert)
	if err != nil {
		t.Fatal(err)
	}
	revoking, err := card.Authority.CRL(now.Add(-time.Minute), now.AddDate(0, 1, 0), ds.SerialNumber)
	if err != nil {
		t.Fatal(err)
	}
	build := func(p *certs.PKI, version uint64, items ...trustlist.Item) []byte {
		key, cert := p.DataSigner()
		b, err := trustlist.Build(items, version, now, key, cert)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}

	fake := &fakeTrustCity{}
	srv := httptest.NewServer(http.HandlerFunc(fake.serve))
	defer srv.Close()
	hc, err := client.New([]string{srv.URL}, nil)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	local := trust.NewStore()
	if _, err := local.LoadBytes(mine.CSCA); err != nil {
		t.Fatal(err)
	}
	csca := NewCSCATrust(local)
	et := newEdgeTrust(csca, city.RootPool(), dir, time.Hour, time.Now, quiet)
	if verified(csca, card) || !verified(csca, mine) || csca.Version() != 0 {
		t.Fatal("before any list: only the edge's own CSCA")
	}
	refresh := func() {
		t.Helper()
		if err := et.refresh(context.Background(), hc); err != nil {
			t.Fatal(err)
		}
	}

	fake.set(5, build(city, 5, trustlist.Item{Kind: trustlist.KindCSCA, DER: card.CSCA}))
	refresh()
	if !verified(csca, card) || !verified(csca, mine) || csca.Version() != 5 {
		t.Fatalf("after list 5 (version %d): the card's CSCA and the edge's own", csca.Version())
	}
	fake.set(6, build(city, 6, trustlist.Item{Kind: trustlist.KindCSCA, DER: card.CSCA}, trustlist.Item{Kind: trustlist.KindCRL, DER: revoking}))
	refresh()
	if verified(csca, card) || csca.Version() != 6 {
		t.Fatal("the Document Signer revoked by list 6 still verifies")
	}
	kept, err := os.ReadFile(filepath.Join(dir, edgeTrustFile))
	if err != nil {
		t.Fatal(err)
	}

	// Refused: an older list, a tampered one, another city's. Nothing
	// changes, on disk or in memory.
	fake.set(7, build(city, 4, trustlist.Item{Kind: trustlist.KindCSCA, DER: card.CSCA}))
	refresh()
	tampered := build(city, 8, trustlist.Item{Kind: trustlist.KindCSCA, DER: card.CSCA})
	tampered[len(tampered)-5] ^= 1
	for name, data := range map[string][]byte{"tampered": tampered, "another city's": build(other, 9, trustlist.Item{Kind: trustlist.KindCSCA, DER: card.CSCA})} {
		fake.set(9, data)
		if err := et.refresh(context.Background(), hc); err == nil {
			t.Errorf("%s list installed", name)
		}
	}
	if now, _ := os.ReadFile(filepath.Join(dir, edgeTrustFile)); csca.Version() != 6 || verified(csca, card) || string(now) != string(kept) {
		t.Fatalf("a refused list changed the trust held (version %d)", csca.Version())
	}

	// A restart: the kept list is verified and installed again.
	again := NewCSCATrust(nil)
	newEdgeTrust(again, city.RootPool(), dir, time.Hour, time.Now, quiet)
	if again.Version() != 6 || verified(again, card) || again.Store() == nil {
		t.Fatalf("after a restart: version %d", again.Version())
	}
	os.WriteFile(filepath.Join(dir, edgeTrustFile), tampered, 0o644)
	if fresh := NewCSCATrust(nil); newEdgeTrust(fresh, city.RootPool(), dir, time.Hour, time.Now, quiet) != nil && fresh.Version() != 0 {
		t.Fatal("a tampered kept list was installed at start")
	}
	if (*CSCATrust)(nil).Store() != nil || (*CSCATrust)(nil).Version() != 0 {
		t.Fatal("a nil CSCATrust has a store")
	}
}
