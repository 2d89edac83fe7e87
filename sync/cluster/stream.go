package cluster

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net"
	"time"

	"github.com/hashicorp/raft"
)

// tlsStream is a raft.StreamLayer over mutual TLS: raft traffic between
// city nodes is authenticated with the city node certificates both ways.
type tlsStream struct {
	net.Listener
	advertise net.Addr
	client    *tls.Config
}

// newTLSStream wraps a TCP listener. server must require and verify client
// certificates; client must verify the peer and present this node's cert.
func newTLSStream(ln net.Listener, advertise net.Addr, server, client *tls.Config, check func(*x509.Certificate) error) (*tlsStream, error) {
	if server == nil || client == nil {
		return nil, errors.New("cluster: TLS stream needs both server and client configs")
	}
	if advertise == nil {
		advertise = ln.Addr()
	}
	return &tlsStream{Listener: tls.NewListener(ln, withCheck(server, check)), advertise: advertise, client: withCheck(client, check)}, nil
}

// withCheck adds check on the peer's certificate to what c verifies at the
// handshake: on the raft port, a city-node certificate on the fleet CA's
// revocation list is refused both ways, whatever the chain says.
func withCheck(c *tls.Config, check func(*x509.Certificate) error) *tls.Config {
	c = c.Clone()
	verify := c.VerifyConnection
	c.VerifyConnection = func(cs tls.ConnectionState) error {
		if verify != nil {
			if err := verify(cs); err != nil {
				return err
			}
		}
		if len(cs.PeerCertificates) == 0 {
			return errors.New("cluster: the raft peer presented no certificate")
		}
		return check(cs.PeerCertificates[0])
	}
	return c
}

func (s *tlsStream) Addr() net.Addr { return s.advertise }

func (s *tlsStream) Dial(addr raft.ServerAddress, timeout time.Duration) (net.Conn, error) {
	d := &tls.Dialer{NetDialer: &net.Dialer{Timeout: timeout}, Config: s.client}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	return d.DialContext(ctx, "tcp", string(addr))
}
