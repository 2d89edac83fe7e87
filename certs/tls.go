package certs

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
)

// ServerTLS is the configuration of a city node's raft transport: TLS 1.3
// only, and the peer must present a city-node certificate, verified
// against clientCAs (normally NodePool), that check (may be nil) accepts —
// e.g. not on the fleet CA's revocation list. An edge, admin or revoked
// certificate fails the handshake: only city nodes speak raft.
func ServerTLS(cert tls.Certificate, clientCAs *x509.CertPool, check func(*x509.Certificate) error) *tls.Config {
	return &tls.Config{
		MinVersion:   tls.VersionTLS13,
		Certificates: []tls.Certificate{cert},
		ClientAuth:   tls.RequireAndVerifyClientCert,
		ClientCAs:    clientCAs,
		VerifyConnection: func(cs tls.ConnectionState) error {
			return verifyCity(cs, "client", check)
		},
	}
}

// CityClientTLS is ClientTLS for a city node dialling another (raft, and
// requests forwarded to the leader): the server must also pass check.
func CityClientTLS(cert tls.Certificate, roots *x509.CertPool, check func(*x509.Certificate) error) *tls.Config {
	c := ClientTLS(cert, roots)
	c.VerifyConnection = func(cs tls.ConnectionState) error { return verifyCity(cs, "server", check) }
	return c
}

func verifyCity(cs tls.ConnectionState, side string, check func(*x509.Certificate) error) error {
	id, role, err := PeerIdentity(cs)
	if err != nil {
		return err
	}
	if role != RoleCity {
		return fmt.Errorf("%w: %s %q has role %s, want %s", ErrIdentity, side, id, role, RoleCity)
	}
	if check != nil {
		return check(cs.PeerCertificates[0])
	}
	return nil
}

// ClientTLS is the configuration of a client of a city node (an edge, the
// fleet CLI, or a city node dialling a peer): TLS 1.3 only, cert presented
// to the server, and the server verified against roots (an edge holds only
// the root; city nodes send the fleet CA as an intermediate) and required to
// be a city node. The caller sets ServerName when it dials by something
// other than the host name or IP address in the server's certificate.
func ClientTLS(cert tls.Certificate, roots *x509.CertPool) *tls.Config {
	return &tls.Config{
		MinVersion:   tls.VersionTLS13,
		Certificates: []tls.Certificate{cert},
		RootCAs:      roots,
		VerifyConnection: func(cs tls.ConnectionState) error {
			return verifyCity(cs, "server", nil)
		},
	}
}

// PeerIdentity returns the node identity of the peer of a connection whose
// certificate chain was verified. An unverified peer certificate never
// counts as an identity.
func PeerIdentity(cs tls.ConnectionState) (id string, role Role, err error) {
	if len(cs.VerifiedChains) == 0 || len(cs.PeerCertificates) == 0 {
		return "", "", fmt.Errorf("%w: peer presented no verified certificate", ErrIdentity)
	}
	return NodeIdentity(cs.PeerCertificates[0])
}
