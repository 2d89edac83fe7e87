package certs

import (
	"bytes"
	"crypto"
	"crypto/ed25519"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// File names inside a PKI directory (see the package doc).
const (
	RootCertFile  = "root.crt"
	RootKeyFile   = "root.key"
	FleetCertFile = "fleet-ca.crt"
	FleetKeyFile  = "fleet-ca.key"
	DataCertFile  = "data-signing.crt"
	DataKeyFile   = "data-signing.key"
	AdminCertFile = "admin.crt"
	AdminKeyFile  = "admin.key"
	// MonitorCertFile and MonitorKeyFile: the monitor certificate of
	// probes and the metrics scraper (folders made before it existed lack
	// it: `xanode pki monitor` makes one).
	MonitorCertFile = "monitor.crt"
	MonitorKeyFile  = "monitor.key"
	NodesDir        = "nodes" // <id>.crt and <id>.key per city node
)

const (
	keyMode  fs.FileMode = 0o600
	certMode fs.FileMode = 0o644
	dirMode  fs.FileMode = 0o700
)

type file struct {
	name string // relative to the PKI directory
	data []byte
	mode fs.FileMode
}

func certFile(name string, c *x509.Certificate) file { return file{name, certToPEM(c), certMode} }

func keyFile(name string, key crypto.Signer) (file, error) {
	b, err := keyToPEM(key)
	return file{name, b, keyMode}, err
}

// checkNoPKI refuses a directory that already holds any PKI file.
func checkNoPKI(dir string) error {
	for _, name := range []string{RootCertFile, RootKeyFile, FleetCertFile, FleetKeyFile,
		DataCertFile, DataKeyFile, AdminCertFile, AdminKeyFile} {
		if _, err := os.Lstat(filepath.Join(dir, name)); err == nil {
			return fmt.Errorf("%w: %s", ErrExists, filepath.Join(dir, name))
		}
	}
	entries, err := os.ReadDir(filepath.Join(dir, NodesDir))
	if err == nil && len(entries) > 0 {
		return fmt.Errorf("%w: %s is not empty", ErrExists, filepath.Join(dir, NodesDir))
	}
	return nil
}

// writeFiles writes files under dir, never replacing an existing file. On
// failure it removes what it wrote, so a retry starts clean.
func writeFiles(dir string, files []file) (err error) {
	if err := os.MkdirAll(filepath.Join(dir, NodesDir), dirMode); err != nil {
		return err
	}
	var written []string
	defer func() {
		if err != nil {
			for _, p := range written {
				os.Remove(p)
			}
		}
	}()
	for _, f := range files {
		p := filepath.Join(dir, f.name)
		if err := writeExclusive(p, f.data, f.mode); err != nil {
			if errors.Is(err, fs.ErrExist) {
				return fmt.Errorf("%w: %s", ErrExists, p)
			}
			return err
		}
		written = append(written, p)
	}
	return nil
}

func writeExclusive(p string, data []byte, mode fs.FileMode) error {
	f, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode)
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(p)
	}
	return err
}

// Load reads the PKI that Init wrote in dir (all files but root.key). It
// checks that every key matches its certificate, that every certificate is
// signed by its issuer, and that key files are not readable by others.
func Load(dir string) (*PKI, error) {
	p := &PKI{Dir: dir, nodes: map[string]tls.Certificate{}}
	var err error
	if p.Root, err = readCert(dir, RootCertFile, nil); err != nil {
		return nil, err
	}
	if p.Fleet, err = readCert(dir, FleetCertFile, p.Root); err != nil {
		return nil, err
	}
	if p.fleetKey, err = readKey(dir, FleetKeyFile, p.Fleet); err != nil {
		return nil, err
	}
	if p.dataCert, err = readCert(dir, DataCertFile, p.Root); err != nil {
		return nil, err
	}
	if _, err := checkDataSignerShape(p.dataCert); err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrBadFile, filepath.Join(dir, DataCertFile), err)
	}
	dataKey, err := readKey(dir, DataKeyFile, p.dataCert)
	if err != nil {
		return nil, err
	}
	p.dataKey = dataKey.(ed25519.PrivateKey) // the key matches an Ed25519 certificate
	if p.admin, err = p.readNode(dir, AdminCertFile, AdminKeyFile, AdminID, RoleAdmin); err != nil {
		return nil, err
	}
	if exists(dir, MonitorCertFile) {
		if p.monitor, err = p.readNode(dir, MonitorCertFile, MonitorKeyFile, MonitorID, RoleMonitor); err != nil {
			return nil, err
		}
	}
	entries, err := os.ReadDir(filepath.Join(dir, NodesDir))
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrMissing, err)
	}
	for _, e := range entries {
		id, ok := strings.CutSuffix(e.Name(), ".crt")
		if !ok {
			continue
		}
		crt, key := filepath.Join(NodesDir, id+".crt"), filepath.Join(NodesDir, id+".key")
		if p.nodes[id], err = p.readNode(dir, crt, key, id, RoleCity); err != nil {
			return nil, err
		}
	}
	return p, nil
}

// readFile reads a PKI file; a key file must not be readable by others.
func readFile(dir, name string, secret bool) ([]byte, error) {
	p := filepath.Join(dir, name)
	fi, err := os.Stat(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%w: %s", ErrMissing, p)
	}
	if err != nil {
		return nil, err
	}
	if secret && fi.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("%w: %s has mode %#o; a key must be readable by its owner only (chmod 600)", ErrBadFile, p, fi.Mode().Perm())
	}
	return os.ReadFile(p)
}

// readCert reads a file holding exactly one certificate, signed by issuer
// (nil: self-signed).
func readCert(dir, name string, issuer *x509.Certificate) (*x509.Certificate, error) {
	data, err := readFile(dir, name, false)
	if err != nil {
		return nil, err
	}
	p := filepath.Join(dir, name)
	block, rest := pem.Decode(data)
	if block == nil || block.Type != "CERTIFICATE" || len(bytes.TrimSpace(rest)) != 0 {
		return nil, fmt.Errorf("%w: %s must hold exactly one PEM CERTIFICATE", ErrBadFile, p)
	}
	c, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrBadFile, p, err)
	}
	if issuer == nil {
		issuer = c
	}
	if err := c.CheckSignatureFrom(issuer); err != nil {
		return nil, fmt.Errorf("%w: %s is not signed by %q: %w", ErrBadFile, p, issuer.Subject.CommonName, err)
	}
	return c, nil
}

// readKey reads a PKCS#8 key that must match cert.
func readKey(dir, name string, cert *x509.Certificate) (crypto.Signer, error) {
	data, err := readFile(dir, name, true)
	if err != nil {
		return nil, err
	}
	p := filepath.Join(dir, name)
	block, rest := pem.Decode(data)
	if block == nil || block.Type != "PRIVATE KEY" || len(bytes.TrimSpace(rest)) != 0 {
		return nil, fmt.Errorf("%w: %s must hold exactly one PEM PRIVATE KEY (PKCS#8)", ErrBadFile, p)
	}
	k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrBadFile, p, err)
	}
	signer, ok := k.(crypto.Signer)
	if !ok || !publicKeysEqual(signer.Public(), cert.PublicKey) {
		return nil, fmt.Errorf("%w: %s does not match the certificate %q", ErrBadFile, p, cert.Subject.CommonName)
	}
	return signer, nil
}

func publicKeysEqual(a, b crypto.PublicKey) bool {
	e, ok := a.(interface{ Equal(crypto.PublicKey) bool })
	return ok && e.Equal(b)
}

// readNode reads a node certificate chain and its key, and checks issuer,
// identity and role.
func (p *PKI) readNode(dir, crtName, keyName, id string, role Role) (tls.Certificate, error) {
	crt, err := readFile(dir, crtName, false)
	if err != nil {
		return tls.Certificate{}, err
	}
	key, err := readFile(dir, keyName, true)
	if err != nil {
		return tls.Certificate{}, err
	}
	c, err := tls.X509KeyPair(crt, key)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("%w: %s, %s: %w", ErrBadFile, filepath.Join(dir, crtName), filepath.Join(dir, keyName), err)
	}
	if err := c.Leaf.CheckSignatureFrom(p.Fleet); err != nil {
		return tls.Certificate{}, fmt.Errorf("%w: %s is not signed by the fleet CA: %w", ErrBadFile, filepath.Join(dir, crtName), err)
	}
	gotID, gotRole, err := NodeIdentity(c.Leaf)
	if err != nil || gotID != id || gotRole != role {
		return tls.Certificate{}, fmt.Errorf("%w: %s must certify %s node %q (got %q, %q, %v)",
			ErrBadFile, filepath.Join(dir, crtName), role, id, gotID, gotRole, err)
	}
	return c, nil
}

// PoolFromPEM builds a pool of trust anchors from PEM certificates (such as
// RootPEM, which is what an edge receives at enrollment). Every block must
// be a CA certificate.
func PoolFromPEM(data []byte) (*x509.CertPool, error) {
	pool := x509.NewCertPool()
	n := 0
	for len(bytes.TrimSpace(data)) > 0 {
		block, rest := pem.Decode(data)
		if block == nil || block.Type != "CERTIFICATE" {
			return nil, fmt.Errorf("%w: trust anchors must be PEM CERTIFICATE blocks only", ErrBadFile)
		}
		c, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("%w: trust anchor %d: %w", ErrBadFile, n+1, err)
		}
		if !c.IsCA {
			return nil, fmt.Errorf("%w: trust anchor %q is not a CA certificate", ErrBadFile, c.Subject.CommonName)
		}
		pool.AddCert(c)
		data, n = rest, n+1
	}
	if n == 0 {
		return nil, fmt.Errorf("%w: no trust anchor certificate", ErrBadFile)
	}
	return pool, nil
}
