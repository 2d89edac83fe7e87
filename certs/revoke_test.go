package certs

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestRevokeGrowsTheFleetCRL(t *testing.T) {
	p := mustInit(t, InitOptions{})
	now := time.Now()
	city2, _ := p.Node("city-2")
	if crl, err := p.CRL(); err != nil || crl != nil {
		t.Fatalf("a new PKI has a revocation list: %v %v", crl, err)
	}
	der1, err := p.Revoke([]string{Serial(city2.Leaf)}, now)
	if err != nil {
		t.Fatal(err)
	}
	der2, err := p.Revoke([]string{Serial(p.Admin().Leaf), Serial(city2.Leaf)}, now.Add(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	crl1, err := VerifyCRL(der1, p.Fleet)
	if err != nil {
		t.Fatal(err)
	}
	crl2, err := VerifyCRL(der2, p.Fleet)
	if err != nil {
		t.Fatal(err)
	}
	if crl1.Number.Int64() != 1 || crl2.Number.Int64() != 2 || len(crl2.RevokedCertificateEntries) != 2 {
		t.Fatalf("lists %s (%d entries) and %s (%d entries)", crl1.Number, len(crl1.RevokedCertificateEntries), crl2.Number, len(crl2.RevokedCertificateEntries))
	}
	held, err := p.CRL()
	if err != nil || held.Number.Int64() != 2 {
		t.Fatalf("the folder holds %v: %v", held, err)
	}
	if _, err := p.Revoke([]string{"not hex"}, now); !errors.Is(err, ErrInvalid) {
		t.Fatalf("bad serial: %v", err)
	}
	// A list signed by another fleet CA is not the city's.
	other := mustInit(t, InitOptions{})
	foreign, err := other.Revoke([]string{Serial(city2.Leaf)}, now)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := VerifyCRL(foreign, p.Fleet); !errors.Is(err, ErrNotFleetSigned) {
		t.Fatalf("foreign list: %v", err)
	}
	if _, err := VerifyCRL([]byte("garbage"), p.Fleet); !errors.Is(err, ErrBadFile) {
		t.Fatalf("garbage list: %v", err)
	}
}

func TestAdminCertificateIsShortLivedAndRenewed(t *testing.T) {
	now := time.Now()
	p := mustInit(t, InitOptions{Now: func() time.Time { return now }})
	if life := p.Admin().Leaf.NotAfter.Sub(now); life > DefaultAdminLifetime {
		t.Fatalf("admin certificate lives %v", life)
	}
	old := p.Admin().Leaf
	c, err := p.RenewAdmin(2*time.Hour, now)
	if err != nil {
		t.Fatal(err)
	}
	if c.TLS.Leaf.Equal(old) || Serial(c.TLS.Leaf) == Serial(old) {
		t.Fatal("the same certificate")
	}
	loaded, err := Load(p.Dir)
	if err != nil {
		t.Fatal(err)
	}
	if !loaded.Admin().Leaf.Equal(c.TLS.Leaf) {
		t.Fatal("the folder does not hold the new admin certificate")
	}
	if fi, err := os.Stat(filepath.Join(p.Dir, AdminKeyFile)); err != nil || fi.Mode().Perm() != keyMode {
		t.Fatalf("admin key: %v %v", fi.Mode(), err)
	}
}

func TestMonitorCertificate(t *testing.T) {
	p := mustInit(t, InitOptions{})
	m, ok := p.Monitor()
	if !ok {
		t.Fatal("Init made no monitor certificate")
	}
	if id, role, err := NodeIdentity(m.Leaf); err != nil || id != MonitorID || role != RoleMonitor {
		t.Fatalf("monitor certificate names %q %q: %v", id, role, err)
	}
	c, err := p.RenewMonitor(0, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	loaded, err := Load(p.Dir)
	if err != nil {
		t.Fatal(err)
	}
	if got, ok := loaded.Monitor(); !ok || !got.Leaf.Equal(c.TLS.Leaf) {
		t.Fatal("the folder does not hold the new monitor certificate")
	}
	// A folder from before monitor certificates still loads.
	os.Remove(filepath.Join(p.Dir, MonitorCertFile))
	os.Remove(filepath.Join(p.Dir, MonitorKeyFile))
	old, err := Load(p.Dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := old.Monitor(); ok {
		t.Fatal("a monitor certificate out of nowhere")
	}
}
