package cluster

import (
	"context"
	"crypto/tls"
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
func newTLSStream(ln net.Listener, advertise net.Addr, server, client *tls.Config) (*tlsStream, error) {
	if server == nil || client == nil {
		return nil, errors.New("cluster: TLS stream needs both server and client configs")
	}
	if advertise == nil {
		advertise = ln.Addr()
	}
	return &tlsStream{Listener: tls.NewListener(ln, server), advertise: advertise, client: client}, nil
}

func (s *tlsStream) Addr() net.Addr { return s.advertise }

func (s *tlsStream) Dial(addr raft.ServerAddress, timeout time.Duration) (net.Conn, error) {
	d := &tls.Dialer{NetDialer: &net.Dialer{Timeout: timeout}, Config: s.client}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	return d.DialContext(ctx, "tcp", string(addr))
}
