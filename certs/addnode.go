package certs

import (
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// AddCityNode certifies one more city (raft) node, or a city node at new
// addresses, into an existing PKI directory: nodes/<id>.crt and
// nodes/<id>.key. hosts are its IP addresses or DNS names; 127.0.0.1, ::1
// and localhost are always added, as Init does. An existing certificate
// for id is replaced only when replace is set (a node that moved, or one
// whose certificate nears its end), and then atomically, key first.
func (p *PKI) AddCityNode(id string, hosts []string, lifetime time.Duration, replace bool, now time.Time) (*Credential, error) {
	if lifetime == 0 {
		lifetime = DefaultCityLifetime
	}
	crt := filepath.Join(p.Dir, NodesDir, id+".crt")
	if _, err := os.Stat(crt); err == nil && !replace {
		return nil, fmt.Errorf("%w: %s (give --replace to issue it again)", ErrExists, crt)
	}
	c, err := p.IssueNodeKey(id, RoleCity, append([]string{"127.0.0.1", "::1", "localhost"}, hosts...), lifetime, now)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Join(p.Dir, NodesDir), dirMode); err != nil {
		return nil, err
	}
	if err := replaceFile(filepath.Join(p.Dir, NodesDir, id+".key"), c.KeyPEM, keyMode); err != nil {
		return nil, err
	}
	if err := replaceFile(crt, c.CertPEM, certMode); err != nil {
		return nil, err
	}
	p.nodes[id] = c.TLS
	return c, nil
}
