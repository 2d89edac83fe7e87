package certs

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestNewDataSigner(t *testing.T) {
	dir := t.TempDir()
	p, err := Init(dir, InitOptions{CityNodes: []string{"city-1"}})
	if err != nil {
		t.Fatal(err)
	}
	_, oldCert := p.DataSigner()
	cert, err := NewDataSigner(dir, dir, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if cert.Equal(oldCert) {
		t.Fatal("the certificate did not change")
	}
	q, err := Load(dir)
	if err != nil {
		t.Fatalf("the PKI with the new signer does not load: %v", err)
	}
	key, got := q.DataSigner()
	if !got.Equal(cert) || key == nil {
		t.Fatal("Load does not give the new signer")
	}
	if _, err := VerifyDataSigner(oldCert, q.RootPool(), time.Now()); err != nil {
		t.Fatalf("the old signer stops being valid at once: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, DataKeyFile+".old")); err != nil {
		t.Fatalf("old key not kept: %v", err)
	}
	// Another city's root is refused and changes nothing.
	other := t.TempDir()
	if _, err := Init(other, InitOptions{CityNodes: []string{"city-1"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := NewDataSigner(other, dir, time.Now()); !errors.Is(err, ErrBadFile) {
		t.Fatalf("signer from another root: %v", err)
	}
	if r, _ := Load(dir); r == nil {
		t.Fatal("the refused rotation broke the PKI")
	} else if _, c := r.DataSigner(); !c.Equal(cert) {
		t.Fatal("the refused rotation changed the signer")
	}
}
