package certs

import (
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"testing"
	"time"
)

func TestNodeIdentity(t *testing.T) {
	p := mustInit(t, InitOptions{})
	now := time.Now()
	city, _ := p.Node("city-2")
	edge := mustEdge(t, p, "edge-00367", 0, now)
	_, data := p.DataSigner()
	handMade := func(cn string, ous ...string) *x509.Certificate {
		tmpl, err := nodeTemplate("placeholder", RoleEdge, nil, 0, now)
		if err != nil {
			t.Fatal(err)
		}
		tmpl.Subject = pkix.Name{CommonName: cn, OrganizationalUnit: ous}
		return mustSign(t, tmpl, p.Fleet, edge.TLS.Leaf.PublicKey, p.fleetKey)
	}
	tests := []struct {
		name     string
		cert     *x509.Certificate
		wantID   string
		wantRole Role
	}{
		{"city", city.Leaf, "city-2", RoleCity},
		{"edge", edge.TLS.Leaf, "edge-00367", RoleEdge},
		{"admin", p.Admin().Leaf, AdminID, RoleAdmin},
		{"root CA", p.Root, "", ""},
		{"fleet CA", p.Fleet, "", ""},
		{"data signer", data, "", ""},
		{"nil", nil, "", ""},
		{"role without prefix", handMade("edge-1", "city"), "", ""},
		{"unknown role", handMade("edge-1", "xanode-root"), "", ""},
		{"two roles", handMade("edge-1", "xanode-edge", "xanode-city"), "", ""},
		{"no role", handMade("edge-1"), "", ""},
		{"bad ID", handMade("Edge 1", "xanode-edge"), "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id, role, err := NodeIdentity(tt.cert)
			if id != tt.wantID || role != tt.wantRole {
				t.Fatalf("NodeIdentity = %q, %q, %v; want %q, %q", id, role, err, tt.wantID, tt.wantRole)
			}
			if (err == nil) != (tt.wantID != "") || (err != nil && !errors.Is(err, ErrIdentity)) {
				t.Fatalf("error %v", err)
			}
		})
	}
}
