package node

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	gosync "sync"
	"testing"
	"time"

	"github.com/xanode/xanode/certs"
	"github.com/xanode/xanode/sync/client"
	"github.com/xanode/xanode/sync/wire"
)

// TestEdgeRefusesRevokedCityNode: once the edge holds the fleet CA's list
// naming a city node, its handshakes with that node fail; lists that do not
// verify against the edge's root, or are not newer, change nothing; the
// list held survives a restart.
func TestEdgeRefusesRevokedCityNode(t *testing.T) {
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	p, err := certs.Init(t.TempDir(), certs.InitOptions{CityNodes: []string{"city-1", "city-2"}})
	if err != nil {
		t.Fatal(err)
	}
	other, err := certs.Init(t.TempDir(), certs.InitOptions{CityNodes: []string{"city-1"}})
	if err != nil {
		t.Fatal(err)
	}
	city1, _ := p.Node("city-1")
	city2, _ := p.Node("city-2")
	state := func(c tls.Certificate) tls.ConnectionState {
		return tls.ConnectionState{PeerCertificates: []*x509.Certificate{c.Leaf}}
	}
	first, err := p.Revoke([]string{certs.Serial(city2.Leaf)}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	foreign, err := other.Revoke([]string{certs.Serial(city1.Leaf)}, time.Now())
	if err != nil {
		t.Fatal(err)
	}

	var mu gosync.Mutex
	serve := wire.FleetCRL{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		json.NewEncoder(w).Encode(serve)
	}))
	defer srv.Close()
	city, err := client.New([]string{srv.URL}, nil)
	if err != nil {
		t.Fatal(err)
	}
	set := func(f wire.FleetCRL) { mu.Lock(); serve = f; mu.Unlock() }

	dir := t.TempDir()
	c := newEdgeCRL(p.RootPool(), dir, time.Hour, quiet)
	if err := c.refresh(context.Background(), city); err != nil {
		t.Fatalf("no list yet: %v", err)
	}
	if c.verifyConnection(state(city2)) != nil {
		t.Fatal("refused before any list")
	}
	// Another city's list, even carried with our fleet CA, does not count.
	set(wire.FleetCRL{CRL: foreign, FleetCA: other.Fleet.Raw})
	if err := c.refresh(context.Background(), city); err == nil {
		t.Fatal("another city's fleet CA was accepted")
	}
	set(wire.FleetCRL{CRL: foreign, FleetCA: p.Fleet.Raw})
	if err := c.refresh(context.Background(), city); !errors.Is(err, certs.ErrNotFleetSigned) {
		t.Fatalf("a list our fleet CA did not sign: %v", err)
	}
	if c.verifyConnection(state(city1)) != nil {
		t.Fatal("a refused list took effect")
	}
	set(wire.FleetCRL{CRL: first, FleetCA: p.Fleet.Raw})
	if err := c.refresh(context.Background(), city); err != nil {
		t.Fatal(err)
	}
	if err := c.verifyConnection(state(city2)); !errors.Is(err, certs.ErrIdentity) {
		t.Fatalf("revoked city node: %v", err)
	}
	if err := c.verifyConnection(state(city1)); err != nil {
		t.Fatalf("city-1: %v", err)
	}
	// Served again, or an older one: nothing changes.
	if err := c.refresh(context.Background(), city); err != nil {
		t.Fatal(err)
	}
	if err := c.install(first, p.Fleet.Raw, false); !errors.Is(err, errCRLNotNewer) {
		t.Fatalf("the same list again: %v", err)
	}
	// A restart keeps it.
	again := newEdgeCRL(p.RootPool(), dir, time.Hour, quiet)
	if err := again.verifyConnection(state(city2)); err == nil {
		t.Fatal("the list was lost across a restart")
	}
	// The wrapped configuration refuses at the handshake.
	cfg := again.wrap(&tls.Config{})
	if err := cfg.VerifyConnection(state(city2)); err == nil {
		t.Fatal("the wrapped configuration let a revoked city node in")
	}
}
