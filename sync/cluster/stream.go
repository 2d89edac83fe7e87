package cluster

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net"
	gosync "sync"
	"time"

	"github.com/hashicorp/raft"
)

// tlsStream is a raft.StreamLayer over mutual TLS: raft traffic between
// city nodes is authenticated with the city node certificates both ways,
// and a certificate the fleet CA revokes is refused at the next handshake
// and cut off on the connections it already holds (dropRevoked), since
// raft keeps its connections open for as long as they work.
type tlsStream struct {
	net.Listener
	advertise net.Addr
	client    *tls.Config
	check     func(*x509.Certificate) error

	mu    gosync.Mutex
	conns map[*streamConn]struct{} // open connections, both directions
}

// newTLSStream wraps a TCP listener. server must require and verify client
// certificates; client must verify the peer and present this node's cert;
// check is asked about the peer's certificate at every handshake.
func newTLSStream(ln net.Listener, advertise net.Addr, server, client *tls.Config, check func(*x509.Certificate) error) (*tlsStream, error) {
	if server == nil || client == nil {
		return nil, errors.New("cluster: TLS stream needs both server and client configs")
	}
	if advertise == nil {
		advertise = ln.Addr()
	}
	return &tlsStream{Listener: tls.NewListener(ln, withCheck(server, check)), advertise: advertise,
		client: withCheck(client, check), check: check, conns: map[*streamConn]struct{}{}}, nil
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

func (s *tlsStream) Accept() (net.Conn, error) {
	c, err := s.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return s.track(c.(*tls.Conn)), nil
}

func (s *tlsStream) Dial(addr raft.ServerAddress, timeout time.Duration) (net.Conn, error) {
	d := &tls.Dialer{NetDialer: &net.Dialer{Timeout: timeout}, Config: s.client}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	c, err := d.DialContext(ctx, "tcp", string(addr))
	if err != nil {
		return nil, err
	}
	return s.track(c.(*tls.Conn)), nil
}

// streamConn is an open raft connection the stream can cut.
type streamConn struct {
	*tls.Conn
	s *tlsStream
}

func (s *tlsStream) track(c *tls.Conn) *streamConn {
	sc := &streamConn{Conn: c, s: s}
	s.mu.Lock()
	s.conns[sc] = struct{}{}
	s.mu.Unlock()
	return sc
}

func (c *streamConn) Close() error {
	c.s.mu.Lock()
	delete(c.s.conns, c)
	c.s.mu.Unlock()
	return c.Conn.Close()
}

// dropRevoked closes every open connection whose peer's certificate check
// now refuses; raft dials again, and the handshake refuses it.
func (s *tlsStream) dropRevoked() (dropped int) {
	s.mu.Lock()
	open := make([]*streamConn, 0, len(s.conns))
	for c := range s.conns {
		open = append(open, c)
	}
	s.mu.Unlock()
	for _, c := range open {
		cs := c.ConnectionState()
		if cs.HandshakeComplete && len(cs.PeerCertificates) > 0 && s.check(cs.PeerCertificates[0]) != nil {
			c.Close()
			dropped++
		}
	}
	return dropped
}
