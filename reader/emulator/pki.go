package emulator

import (
	"crypto"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/xanode/xanode/reader/trust/trusttest"
)

// PKIOptions choose the keys of a test PKI. The zero value is ECDSA P-256
// throughout: quick to make and to verify, for tests.
type PKIOptions struct {
	// CSCAKey and DSKey name the key types as trusttest.GenerateKey does
	// ("P-256", "brainpoolP512r1", "RSA-2048"); empty means P-256.
	CSCAKey, DSKey string
	// Explicit writes the CSCA's curve as explicit domain parameters.
	Explicit bool
	// Hash is the hash of the CSCA's certificate signatures; zero means
	// SHA-256.
	Hash crypto.Hash
}

// VietnamPKI is shaped like Vietnam's: a CSCA on brainpoolP512r1 given as
// explicit parameters, signing with SHA-512, and a Document Signer on
// brainpoolP256r1. crypto/x509 can read neither certificate.
var VietnamPKI = PKIOptions{CSCAKey: "brainpoolP512r1", Explicit: true, Hash: crypto.SHA512, DSKey: "brainpoolP256r1"}

// TestPKI is a throwaway country signing CA and Document Signer, for tests
// and the demo; these keys are never trusted outside a test trust store.
type TestPKI struct {
	CSCA           []byte // DER
	CSCAKey        crypto.Signer
	DocumentSigner Signer
	// Authority is the CSCA as an issuer: it signs CRLs and further
	// certificates (a Master List Signer) in tests.
	Authority *trusttest.Authority
}

// NewTestPKI makes a P-256 test PKI; see NewTestPKIWith.
func NewTestPKI(now time.Time) (*TestPKI, error) {
	return NewTestPKIWith(now, PKIOptions{})
}

// NewTestPKIWith makes a CSCA valid for 15 years and a Document Signer
// valid for 10, both from an hour before now.
func NewTestPKIWith(now time.Time, o PKIOptions) (*TestPKI, error) {
	if o.CSCAKey == "" {
		o.CSCAKey = "P-256"
	}
	if o.DSKey == "" {
		o.DSKey = "P-256"
	}
	cscaKey, err := trusttest.GenerateKey(o.CSCAKey)
	if err != nil {
		return nil, fmt.Errorf("emulator: %w", err)
	}
	name := func(cn string) pkix.Name {
		return pkix.Name{Country: []string{"VN"}, Organization: []string{"xanode test"}, CommonName: cn}
	}
	csca, err := trusttest.NewCA(trusttest.Template{
		Subject: name("xanode test CSCA"), NotBefore: now.Add(-time.Hour), NotAfter: now.AddDate(15, 0, 0),
		Explicit: o.Explicit, Hash: o.Hash,
	}, cscaKey)
	if err != nil {
		return nil, fmt.Errorf("emulator: CSCA: %w", err)
	}
	dsKey, err := trusttest.GenerateKey(o.DSKey)
	if err != nil {
		return nil, fmt.Errorf("emulator: %w", err)
	}
	ds, err := csca.Issue(trusttest.Template{
		Subject: name("xanode test Document Signer"), NotBefore: now.Add(-time.Hour), NotAfter: now.AddDate(10, 0, 0), Hash: o.Hash,
	}, dsKey)
	if err != nil {
		return nil, fmt.Errorf("emulator: Document Signer: %w", err)
	}
	return &TestPKI{CSCA: csca.Cert, CSCAKey: cscaKey, DocumentSigner: Signer{Key: dsKey, Cert: ds.Cert}, Authority: csca}, nil
}

// WritePEM writes csca.pem and ds.pem (certificates only, no keys) into dir,
// beside a card's files; the emulators ignore *.pem.
func (p *TestPKI) WritePEM(dir string) error {
	for name, der := range map[string][]byte{"csca.pem": p.CSCA, "ds.pem": p.DocumentSigner.Cert} {
		b := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			return fmt.Errorf("emulator: %w", err)
		}
	}
	return nil
}
