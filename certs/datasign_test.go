package certs

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/x509"
	"errors"
	"testing"
	"time"
)

func TestVerifyDataSigner(t *testing.T) {
	p := mustInit(t, InitOptions{})
	foreign := mustInit(t, InitOptions{})
	now := time.Now()
	key, cert := p.DataSigner()
	_, foreignCert := foreign.DataSigner()
	city, _ := p.Node("city-1")
	edPub, _, _ := ed25519.GenerateKey(rand.Reader)
	fleetIssuedEd, err := p.IssueNode("edge-ed", RoleEdge, edPub, nil, 0, now)
	if err != nil {
		t.Fatal(err)
	}
	// A marker certificate from the fleet CA: what a compromised online CA
	// could make.
	fleetMarker := mustSign(t, dataSignerTemplate(now), p.Fleet, edPub, p.fleetKey)
	// The marker plus serverAuth, from the root itself.
	both := dataSignerTemplate(now)
	both.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
	rootBoth := mustSign(t, both, p.Root, edPub, mustRootKey(t, p))

	tests := []struct {
		name  string
		cert  *x509.Certificate
		roots *x509.CertPool
		now   time.Time
		want  error
	}{
		{"ok", cert, p.RootPool(), now, nil},
		{"ok with the node pool", cert, p.NodePool(), now, nil},
		{"expired", cert, p.RootPool(), now.Add(DataSignerLifetime + time.Hour), ErrUntrusted},
		{"not valid yet", cert, p.RootPool(), now.Add(-time.Hour), ErrUntrusted},
		{"another city's signer", foreignCert, p.RootPool(), now, ErrUntrusted},
		{"city TLS cert", city.Leaf, p.RootPool(), now, ErrNotDataSigner},
		{"fleet cert with an Ed25519 key", fleetIssuedEd, p.NodePool(), now, ErrNotDataSigner},
		{"fleet CA itself", p.Fleet, p.RootPool(), now, ErrNotDataSigner},
		{"marker from the fleet CA", fleetMarker, p.RootPool(), now, ErrUntrusted},
		{"marker from the fleet CA, fleet CA trusted", fleetMarker, p.NodePool(), now, ErrUntrusted},
		{"marker plus serverAuth", rootBoth, p.RootPool(), now, ErrNotDataSigner},
		{"nil cert", nil, p.RootPool(), now, ErrUntrusted},
		{"nil roots", cert, nil, now, ErrUntrusted},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pub, err := VerifyDataSigner(tt.cert, tt.roots, tt.now)
			if !errors.Is(err, tt.want) || (err == nil) != (tt.want == nil) {
				t.Fatalf("VerifyDataSigner: %v, want %v", err, tt.want)
			}
			if err == nil && !pub.Equal(key.Public()) {
				t.Fatal("returned key is not the signer's")
			}
		})
	}
}
