package emulator

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"time"
)

// TestPKI is a throwaway country signing CA and Document Signer on ECDSA
// P-256, for tests and the demo. Real Vietnamese cards chain to a brainpool
// CSCA instead; these keys are never trusted outside a test trust store.
type TestPKI struct {
	CSCA           *x509.Certificate
	CSCAKey        *ecdsa.PrivateKey
	DocumentSigner Signer
}

// NewTestPKI makes a CSCA valid for 15 years and a Document Signer valid
// for 10, both from an hour before now.
func NewTestPKI(now time.Time) (*TestPKI, error) {
	cscaKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	csca := &x509.Certificate{
		Subject:               pkix.Name{Country: []string{"VN"}, Organization: []string{"xanode test"}, CommonName: "xanode test CSCA"},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.AddDate(15, 0, 0),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
		MaxPathLenZero:        true,
	}
	cscaCert, err := issue(csca, csca, &cscaKey.PublicKey, cscaKey)
	if err != nil {
		return nil, err
	}
	dsKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	ds := &x509.Certificate{
		Subject:   pkix.Name{Country: []string{"VN"}, Organization: []string{"xanode test"}, CommonName: "xanode test Document Signer"},
		NotBefore: now.Add(-time.Hour),
		NotAfter:  now.AddDate(10, 0, 0),
		KeyUsage:  x509.KeyUsageDigitalSignature,
	}
	dsCert, err := issue(ds, cscaCert, &dsKey.PublicKey, cscaKey)
	if err != nil {
		return nil, err
	}
	return &TestPKI{CSCA: cscaCert, CSCAKey: cscaKey, DocumentSigner: Signer{Key: dsKey, Cert: dsCert}}, nil
}

func issue(tmpl, parent *x509.Certificate, pub *ecdsa.PublicKey, signer *ecdsa.PrivateKey) (*x509.Certificate, error) {
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 63))
	if err != nil {
		return nil, err
	}
	tmpl.SerialNumber = serial.Add(serial, big.NewInt(1))
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, pub, signer)
	if err != nil {
		return nil, fmt.Errorf("emulator: issue %s: %w", tmpl.Subject.CommonName, err)
	}
	return x509.ParseCertificate(der)
}

// WritePEM writes csca.pem and ds.pem (certificates only, no keys) into dir,
// beside a card's files; the emulators ignore *.pem.
func (p *TestPKI) WritePEM(dir string) error {
	for name, c := range map[string]*x509.Certificate{"csca.pem": p.CSCA, "ds.pem": p.DocumentSigner.Cert} {
		b := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			return fmt.Errorf("emulator: %w", err)
		}
	}
	return nil
}
