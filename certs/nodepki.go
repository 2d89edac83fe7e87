package certs

import (
	"crypto/ed25519"
	"crypto/tls"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// A city node needs less than the whole PKI: its own certificate and key,
// the root and fleet CA certificates, and — for the work it does for edges —
// the fleet CA key (enrollment, renewal) and the data-signing key
// (bundles). The admin key and the other nodes' keys have no business on
// it: one compromised node should not give away the others' identities or
// city IT's. LoadNode reads such a folder; ExportNode writes one.

// LoadNode reads what city node id needs from dir. The fleet CA key and
// the data-signing certificate and key are optional: without them
// CanIssue and CanSign say so, and the node neither enrolls edges nor
// builds bundles (it forwards nothing of that kind: edges and admins ask
// another node). Other files in dir are not read.
func LoadNode(dir, id string) (*PKI, error) {
	p := &PKI{Dir: dir, nodes: map[string]tls.Certificate{}}
	var err error
	if p.Root, err = readCert(dir, RootCertFile, nil); err != nil {
		return nil, err
	}
	if p.Fleet, err = readCert(dir, FleetCertFile, p.Root); err != nil {
		return nil, err
	}
	crt, key := filepath.Join(NodesDir, id+".crt"), filepath.Join(NodesDir, id+".key")
	if p.nodes[id], err = p.readNode(dir, crt, key, id, RoleCity); err != nil {
		return nil, err
	}
	if exists(dir, FleetKeyFile) {
		if p.fleetKey, err = readKey(dir, FleetKeyFile, p.Fleet); err != nil {
			return nil, err
		}
	}
	if exists(dir, DataCertFile) || exists(dir, DataKeyFile) {
		if p.dataCert, err = readCert(dir, DataCertFile, p.Root); err != nil {
			return nil, err
		}
		if _, err := checkDataSignerShape(p.dataCert); err != nil {
			return nil, fmt.Errorf("%w: %s: %w", ErrBadFile, filepath.Join(dir, DataCertFile), err)
		}
		k, err := readKey(dir, DataKeyFile, p.dataCert)
		if err != nil {
			return nil, err
		}
		p.dataKey = k.(ed25519.PrivateKey)
	}
	return p, nil
}

func exists(dir, name string) bool {
	_, err := os.Stat(filepath.Join(dir, name))
	return !errors.Is(err, fs.ErrNotExist)
}

// CanIssue reports whether the PKI holds the fleet CA key.
func (p *PKI) CanIssue() bool { return p.fleetKey != nil }

// CanSign reports whether the PKI holds the data-signing key.
func (p *PKI) CanSign() bool { return p.dataKey != nil }

// ExportNode writes into out (which must not hold a PKI) the files city
// node id needs: root.crt, fleet-ca.crt, nodes/<id>.crt and .key, and,
// unless left out, fleet-ca.key (enrollment) and data-signing.crt/.key
// (bundles).
func (p *PKI) ExportNode(out, id string, withIssuer, withSigner bool) error {
	c, ok := p.nodes[id]
	if !ok {
		return fmt.Errorf("%w: no certificate for city node %q in %s (xanode pki issue-node)", ErrMissing, id, p.Dir)
	}
	if err := checkNoPKI(out); err != nil {
		return err
	}
	keyPEM, err := readFile(p.Dir, filepath.Join(NodesDir, id+".key"), true)
	if err != nil {
		return err
	}
	var chain []byte
	for _, der := range c.Certificate {
		chain = append(chain, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})...)
	}
	files := []file{
		certFile(RootCertFile, p.Root), certFile(FleetCertFile, p.Fleet),
		{filepath.Join(NodesDir, id+".crt"), chain, certMode},
		{filepath.Join(NodesDir, id+".key"), keyPEM, keyMode},
	}
	if withIssuer {
		if p.fleetKey == nil {
			return fmt.Errorf("%w: %s holds no fleet CA key to export", ErrMissing, p.Dir)
		}
		f, err := keyFile(FleetKeyFile, p.fleetKey)
		if err != nil {
			return err
		}
		files = append(files, f)
	}
	if withSigner {
		if p.dataKey == nil {
			return fmt.Errorf("%w: %s holds no data-signing key to export", ErrMissing, p.Dir)
		}
		f, err := keyFile(DataKeyFile, p.dataKey)
		if err != nil {
			return err
		}
		files = append(files, certFile(DataCertFile, p.dataCert), f)
	}
	if err := os.MkdirAll(out, dirMode); err != nil {
		return err
	}
	return writeFiles(out, files)
}

// LoadClient reads what city IT's workstation and probes need from dir: the
// root and fleet CA certificates, and the admin and monitor certificates
// with their keys where the folder holds them (at least one). No CA or
// data-signing key is read or needed, so a laptop carries only these, and
// losing it loses a certificate that lives days.
func LoadClient(dir string) (*PKI, error) {
	p := &PKI{Dir: dir, nodes: map[string]tls.Certificate{}}
	var err error
	if p.Root, err = readCert(dir, RootCertFile, nil); err != nil {
		return nil, err
	}
	if p.Fleet, err = readCert(dir, FleetCertFile, p.Root); err != nil {
		return nil, err
	}
	if exists(dir, AdminCertFile) {
		if p.admin, err = p.readNode(dir, AdminCertFile, AdminKeyFile, AdminID, RoleAdmin); err != nil {
			return nil, err
		}
	}
	if exists(dir, MonitorCertFile) {
		if p.monitor, err = p.readNode(dir, MonitorCertFile, MonitorKeyFile, MonitorID, RoleMonitor); err != nil {
			return nil, err
		}
	}
	if p.admin.Leaf == nil && p.monitor.Leaf == nil {
		return nil, fmt.Errorf("%w: %s holds neither %s nor %s", ErrMissing, dir, AdminCertFile, MonitorCertFile)
	}
	return p, nil
}

// HasAdmin reports whether the PKI holds the admin certificate.
func (p *PKI) HasAdmin() bool { return p.admin.Leaf != nil }
