package certs

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/x509"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// NewDataSigner issues a new data-signing key and certificate from the
// root (rootDir holds root.crt and root.key: run it where the root key is
// kept offline) into the PKI folder dir, replacing dir's data-signing.crt
// and data-signing.key (the old ones are kept as .old). Edges need nothing:
// they accept any data-signing certificate the same root issued, so bundles
// signed with the old key and the new one are both valid while city nodes
// restart one by one.
func NewDataSigner(rootDir, dir string, now time.Time) (*x509.Certificate, error) {
	root, err := readCert(rootDir, RootCertFile, nil)
	if err != nil {
		return nil, err
	}
	rootKey, err := readKey(rootDir, RootKeyFile, root)
	if err != nil {
		return nil, err
	}
	if dirRoot, err := readCert(dir, RootCertFile, nil); err != nil || !dirRoot.Equal(root) {
		return nil, fmt.Errorf("%w: %s does not hold the root of %s (%v)", ErrBadFile, filepath.Join(dir, RootCertFile), rootDir, err)
	}
	pub, key, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, err
	}
	cert, err := sign(dataSignerTemplate(now), root, pub, rootKey)
	if err != nil {
		return nil, err
	}
	if _, err := VerifyDataSigner(cert, rootPool(root), now); err != nil {
		return nil, err
	}
	keyPEM, err := keyToPEM(key)
	if err != nil {
		return nil, err
	}
	for _, f := range []struct {
		name string
		data []byte
		mode os.FileMode
	}{{DataKeyFile, keyPEM, keyMode}, {DataCertFile, certToPEM(cert), certMode}} {
		p := filepath.Join(dir, f.name)
		if _, err := os.Stat(p); err == nil {
			os.Remove(p + ".old")
			if err := os.Link(p, p+".old"); err != nil {
				return nil, fmt.Errorf("keeping the old %s: %w", f.name, err)
			}
		}
		os.Remove(p + ".new")
		if err := writeExclusive(p+".new", f.data, f.mode); err != nil {
			return nil, err
		}
		if err := os.Rename(p+".new", p); err != nil {
			return nil, err
		}
	}
	return cert, nil
}

func rootPool(root *x509.Certificate) *x509.CertPool {
	pool := x509.NewCertPool()
	pool.AddCert(root)
	return pool
}
