package certs

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func TestExportAndLoadNode(t *testing.T) {
	full, err := Init(t.TempDir(), InitOptions{CityNodes: []string{"city-1", "city-2", "city-3"}})
	if err != nil {
		t.Fatal(err)
	}
	bare := filepath.Join(t.TempDir(), "city-2")
	if err := full.ExportNode(bare, "city-2", false, false); err != nil {
		t.Fatal(err)
	}
	// Nothing but what city-2 needs: no admin key, no other node's key, no CA key.
	for _, name := range []string{AdminKeyFile, FleetKeyFile, DataKeyFile, RootKeyFile, filepath.Join(NodesDir, "city-1.key")} {
		if _, err := os.Stat(filepath.Join(bare, name)); err == nil {
			t.Errorf("%s was exported", name)
		}
	}
	p, err := LoadNode(bare, "city-2")
	if err != nil {
		t.Fatal(err)
	}
	if p.CanIssue() || p.CanSign() {
		t.Fatal("a bare node folder claims keys it does not hold")
	}
	if _, err := p.Node("city-2"); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadNode(bare, "city-1"); !errors.Is(err, ErrMissing) {
		t.Fatalf("loading another node from the folder: %v", err)
	}
	_, csr, _ := NewNodeKey("edge-1")
	if _, _, err := p.IssueCSR(csr, "edge-1", RoleEdge, 0, p.Root.NotBefore); err == nil {
		t.Fatal("issued without the fleet CA key")
	}
	working := filepath.Join(t.TempDir(), "city-3")
	if err := full.ExportNode(working, "city-3", true, true); err != nil {
		t.Fatal(err)
	}
	q, err := LoadNode(working, "city-3")
	if err != nil || !q.CanIssue() || !q.CanSign() {
		t.Fatalf("full node folder: %v issue=%v sign=%v", err, q != nil && q.CanIssue(), q != nil && q.CanSign())
	}
	if err := full.ExportNode(working, "city-3", true, true); !errors.Is(err, ErrExists) {
		t.Fatalf("exported over an existing folder: %v", err)
	}
	if err := full.ExportNode(t.TempDir(), "city-9", false, false); !errors.Is(err, ErrMissing) {
		t.Fatalf("exported an unknown node: %v", err)
	}
	// The full PKI still loads node by node too.
	if _, err := LoadNode(full.Dir, "city-1"); err != nil {
		t.Fatal(err)
	}
}
