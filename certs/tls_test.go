package certs

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"strings"
	"testing"
	"time"
)

type handshakeResult struct {
	id   string
	role Role
	err  error
}

// handshake runs one mutual-TLS handshake over loopback and returns what the
// server and the client saw. In TLS 1.3 the client learns of a refused
// client certificate only on its first read, so the server answers "ok"
// after a successful handshake and the client reads it.
func handshake(t *testing.T, server, client *tls.Config) (srv handshakeResult, cliErr error) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	done := make(chan handshakeResult, 1)
	go func() {
		conn, err := ln.Accept()
		if err != nil {
			done <- handshakeResult{err: err}
			return
		}
		defer conn.Close()
		conn.SetDeadline(time.Now().Add(5 * time.Second))
		tc := tls.Server(conn, server)
		if err := tc.HandshakeContext(context.Background()); err != nil {
			done <- handshakeResult{err: err}
			return
		}
		id, role, err := PeerIdentity(tc.ConnectionState())
		if err == nil {
			_, err = tc.Write([]byte("ok"))
		}
		done <- handshakeResult{id, role, err}
	}()
	dialer := &tls.Dialer{NetDialer: &net.Dialer{Timeout: 5 * time.Second}, Config: client}
	conn, err := dialer.DialContext(context.Background(), "tcp", ln.Addr().String())
	if err == nil {
		conn.SetDeadline(time.Now().Add(5 * time.Second))
		_, err = io.ReadFull(conn, make([]byte, 2))
		conn.Close()
	}
	return <-done, err
}

func TestMutualTLS(t *testing.T) {
	p := mustInit(t, InitOptions{})
	foreign := mustInit(t, InitOptions{})
	now := time.Now()
	city1, _ := p.Node("city-1")
	city2, _ := p.Node("city-2")
	edge := mustEdge(t, p, "edge-00367", 0, now)
	expired := mustEdge(t, p, "edge-old", 30*24*time.Hour, now.Add(-60*24*time.Hour))
	notYet := mustEdge(t, p, "edge-new", 0, now.Add(24*time.Hour))
	foreignEdge := mustEdge(t, foreign, "edge-00367", 0, now)
	dataKey, dataCert := p.DataSigner()
	dataAsTLS := tls.Certificate{Certificate: [][]byte{dataCert.Raw}, PrivateKey: dataKey, Leaf: dataCert}
	// A serving certificate with the admin role: only the role check
	// refuses it.
	tmpl, err := nodeTemplate("admin-srv", RoleCity, []string{"127.0.0.1"}, 0, now)
	if err != nil {
		t.Fatal(err)
	}
	tmpl.Subject.OrganizationalUnit = []string{ouPrefix + string(RoleAdmin)}
	adminSrv := city1
	adminSrv.Leaf = mustSign(t, tmpl, p.Fleet, city1.Leaf.PublicKey, p.fleetKey)
	adminSrv.Certificate = [][]byte{adminSrv.Leaf.Raw, p.Fleet.Raw}

	revoked := func(c *x509.Certificate) error {
		if c.Equal(city2.Leaf) {
			return errors.New("revoked")
		}
		return nil
	}
	tests := []struct {
		name        string
		serverCert  tls.Certificate
		clientCert  tls.Certificate
		clientRoots *x509.CertPool
		wantID      string // "" means the handshake must fail
		wantRole    Role
		api         bool // the API server (APIServerTLS); else the raft port (ServerTLS)
	}{
		{"edge to the city API, edge trusts the root only", city1, edge.TLS, p.RootPool(), "edge-00367", RoleEdge, true},
		{"edge to the raft port", city1, edge.TLS, p.RootPool(), "", "", false},
		{"city to city (raft)", city1, city2, p.NodePool(), "city-2", RoleCity, false},
		{"revoked city node to the raft port", city1, city2, p.NodePool(), "", "", false},
		{"admin to the city API", city1, p.Admin(), p.RootPool(), AdminID, RoleAdmin, true},
		{"admin to the raft port", city1, p.Admin(), p.RootPool(), "", "", false},
		{"client cert of another PKI", city1, foreignEdge.TLS, p.RootPool(), "", "", false},
		{"expired client cert", city1, expired.TLS, p.RootPool(), "", "", false},
		{"client cert not valid yet", city1, notYet.TLS, p.RootPool(), "", "", false},
		{"data-signing cert as client cert", city1, dataAsTLS, p.RootPool(), "", "", false},
		{"client trusts another root", city1, edge.TLS, foreign.RootPool(), "", "", false},
		{"server is an edge", edge.TLS, city2, p.NodePool(), "", "", false},
		{"server has the admin role", adminSrv, city2, p.NodePool(), "", "", false},
		{"no client cert", city1, tls.Certificate{}, p.RootPool(), "", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			client := ClientTLS(tt.clientCert, tt.clientRoots)
			if tt.clientCert.Certificate == nil {
				client.Certificates = nil
			}
			server := ServerTLS(tt.serverCert, p.NodePool(), nil)
			switch {
			case tt.api:
				server = APIServerTLS(tt.serverCert, p.NodePool(), nil)
			case strings.HasPrefix(tt.name, "revoked"):
				server = ServerTLS(tt.serverCert, p.NodePool(), revoked)
			}
			srv, cliErr := handshake(t, server, client)
			if tt.wantID == "" {
				if srv.err == nil && cliErr == nil {
					t.Fatalf("handshake succeeded as %q (%s), want refusal", srv.id, srv.role)
				}
				t.Logf("refused; server: %v; client: %v", srv.err, cliErr)
				return
			}
			if srv.err != nil || cliErr != nil {
				t.Fatalf("server: %v; client: %v", srv.err, cliErr)
			}
			if srv.id != tt.wantID || srv.role != tt.wantRole {
				t.Fatalf("server saw %q (%s), want %q (%s)", srv.id, srv.role, tt.wantID, tt.wantRole)
			}
		})
	}
}

func TestTLSConfigs(t *testing.T) {
	p := mustInit(t, InitOptions{})
	city, _ := p.Node("city-1")
	s, c := ServerTLS(city, p.NodePool(), nil), ClientTLS(p.Admin(), p.RootPool())
	if s.MinVersion != tls.VersionTLS13 || c.MinVersion != tls.VersionTLS13 {
		t.Fatal("TLS 1.3 is not the minimum")
	}
	if s.ClientAuth != tls.RequireAndVerifyClientCert {
		t.Fatal("server does not require client certificates")
	}
	// An unverified peer is never an identity.
	state := tls.ConnectionState{PeerCertificates: []*x509.Certificate{city.Leaf}}
	if _, _, err := PeerIdentity(state); !errors.Is(err, ErrIdentity) {
		t.Fatalf("PeerIdentity of an unverified peer: %v", err)
	}
}
