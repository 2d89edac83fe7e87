package certs

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
)

// ServerTLS is the configuration of a city node's TLS server (API and raft
// transport): TLS 1.3 only, and a client certificate is required, verified
// against clientCAs (normally NodePool) and must carry a node identity.
// Handlers read the peer with PeerIdentity and authorise by role.
func ServerTLS(cert tls.Certificate, clientCAs *x509.CertPool) *tls.Config {
	return &tls.Config{
		MinVersion:   tls.VersionTLS13,
		Certificates: []tls.Certificate{cert},
		ClientAuth:   tls.RequireAndVerifyClientCert,
		ClientCAs:    clientCAs,
		VerifyConnection: func(cs tls.ConnectionState) error {
			_, _, err := PeerIdentity(cs)
			return err
		},
	}
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
			id, role, err := PeerIdentity(cs)
			if err != nil {
				return err
			}
			if role != RoleCity {
				return fmt.Errorf("%w: server %q has role %s, want %s", ErrIdentity, id, role, RoleCity)
			}
			return nil
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
