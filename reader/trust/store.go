// Package trust is the CSCA trust store and passive authentication of
// eMRTD chips (ICAO 9303-11 5.1, 9303-12). A Store holds the country
// signing CAs an office trusts, loaded from PEM or DER certificates, folders
// of them, and ICAO CSCA master lists, plus CRLs; Verify checks a card's
// EF.SOD against it: every read data group's hash, the Document Signer's
// signature, its chain to a CSCA, validity at the time of reading, and
// revocation.
//
// Certificates and CRLs are parsed here and signatures checked with package
// keys, because crypto/x509 refuses the brainpool curves (named or given as
// explicit parameters) that Vietnam's CSCA uses.
package trust

import (
	"bytes"
	"crypto/sha256"
	"encoding/asn1"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
)

// Errors of this package.
var (
	// ErrMalformed means a certificate, CRL or master list is not valid DER
	// of the expected structure.
	ErrMalformed = errors.New("trust: malformed")
	// ErrUntrusted means a signature or chain does not lead to a trusted
	// CSCA.
	ErrUntrusted = errors.New("trust: not trusted")
	// ErrNotCSCA means a certificate given as a CSCA cannot issue
	// certificates (a Document Signer given by mistake, say).
	ErrNotCSCA = errors.New("trust: not a CSCA certificate")
	// ErrNoCertificate means a PEM file holds no certificate, CRL or
	// master list (only keys, say).
	ErrNoCertificate = errors.New("trust: no certificate, CRL or master list in the PEM file")
	// ErrNoCSCA means a folder given to Load holds no CSCA certificate.
	ErrNoCSCA = errors.New("trust: no CSCA certificate")
)

// Store is a CSCA trust store. Load it first, then use it: Verify is safe
// for concurrent use, also with later loading.
type Store struct {
	mu    sync.RWMutex
	cscas []*Certificate
	crls  []*CRL
	// chains caches Document Signer certificates (by SHA-256 of their DER)
	// whose signature a CSCA verified: a country has few Document Signers,
	// and verifying on brainpoolP512r1 costs more CPU than the whole read.
	chains map[[32]byte]*Certificate
	// crlOK caches CRLs whose signature their CSCA verified.
	crlOK map[*CRL]*Certificate
}

// NewStore returns an empty store.
func NewStore() *Store {
	return &Store{chains: map[[32]byte]*Certificate{}, crlOK: map[*CRL]*Certificate{}}
}

// Len returns the number of CSCA certificates in the store.
func (s *Store) Len() int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return len(s.cscas)
}

// CSCAs returns the CSCA certificates in the store.
func (s *Store) CSCAs() []*Certificate {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return append([]*Certificate(nil), s.cscas...)
}

// CRLs returns the CRLs in the store.
func (s *Store) CRLs() []*CRL {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return append([]*CRL(nil), s.crls...)
}

// AddCSCA adds a trusted CSCA (or link) certificate. It must be a CA
// certificate allowed to sign certificates; a duplicate is ignored.
func (s *Store) AddCSCA(c *Certificate) error {
	if err := c.mayIssue(); err != nil {
		return fmt.Errorf("%w: %q: %v", ErrNotCSCA, c.Subject, err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, have := range s.cscas {
		if bytes.Equal(have.Raw, c.Raw) {
			return nil
		}
	}
	s.cscas = append(s.cscas, c)
	return nil
}

// AddCRL adds a CRL. Its signature is checked when it is used, against the
// CSCA that issued it, so CRLs may be loaded before their CSCAs.
func (s *Store) AddCRL(c *CRL) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.crls = append(s.crls, c)
}

// fileExtensions are the files Load reads from a folder; others (README,
// card files) are left alone.
var fileExtensions = map[string]bool{".pem": true, ".crt": true, ".cer": true, ".der": true, ".ml": true, ".crl": true}

// Load adds what path holds: a certificate or CRL (PEM or DER), an ICAO
// master list, or a folder whose *.pem, *.crt, *.cer, *.der, *.ml and *.crl
// files (at any depth) are loaded. It returns the number of CSCA
// certificates added. A file that cannot be used is an error naming it,
// except that a folder's certificates that are not CSCAs are skipped, as
// are certificates of a master list that cannot be parsed.
func (s *Store) Load(path string) (int, error) {
	info, err := os.Stat(path)
	if err != nil {
		return 0, fmt.Errorf("trust: %w", err)
	}
	if !info.IsDir() {
		return s.loadFile(path)
	}
	before := s.Len()
	var errs []error
	err = filepath.WalkDir(path, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() || !fileExtensions[strings.ToLower(filepath.Ext(p))] {
			return nil
		}
		// A folder may hold Document Signer certificates and keys beside
		// the CSCA (as `xanode card make` writes them); only CSCAs are taken.
		if _, err := s.loadFile(p); err != nil && !errors.Is(err, ErrNotCSCA) && !errors.Is(err, ErrNoCertificate) {
			errs = append(errs, err)
		}
		return nil
	})
	errs = append(errs, err)
	if err := errors.Join(errs...); err != nil {
		return s.Len() - before, err
	}
	if s.Len() == before {
		return 0, fmt.Errorf("%w (*.pem, *.crt, *.cer, *.der, *.ml) in %s", ErrNoCSCA, path)
	}
	return s.Len() - before, nil
}

func (s *Store) loadFile(path string) (int, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, fmt.Errorf("trust: %w", err)
	}
	n, err := s.LoadBytes(b)
	if err != nil {
		return n, fmt.Errorf("%s: %w", path, err)
	}
	return n, nil
}

// LoadBytes adds the certificates, CRLs or master list in b (PEM, or one
// DER structure) and returns the number of CSCA certificates added.
func (s *Store) LoadBytes(b []byte) (int, error) {
	before := s.Len()
	if bytes.Contains(b, []byte("-----BEGIN")) {
		err := s.loadPEM(b)
		return s.Len() - before, err
	}
	err := s.loadDER(b)
	return s.Len() - before, err
}

// loadPEM loads the certificate, CRL and master list blocks; others (keys)
// are passed over.
func (s *Store) loadPEM(b []byte) error {
	var skipped []string
	found := false
	for {
		var block *pem.Block
		block, b = pem.Decode(b)
		if block == nil {
			break
		}
		switch block.Type {
		case "CERTIFICATE", "X509 CRL", "CMS", "PKCS7":
			found = true
			if err := s.loadDER(block.Bytes); err != nil {
				return err
			}
		default:
			skipped = append(skipped, block.Type)
		}
	}
	if !found {
		return fmt.Errorf("%w (blocks: %q)", ErrNoCertificate, skipped)
	}
	return nil
}

// loadDER tells a certificate, a CRL and a master list apart by shape:
// a ContentInfo starts with an OID, the other two with a SEQUENCE whose
// second element is the signature AlgorithmIdentifier (certificate) or
// the issuer Name (CRL v1) / that algorithm after a version (CRL v2).
func (s *Store) loadDER(der []byte) error {
	var outer, first asn1.RawValue
	if _, err := asn1.Unmarshal(der, &outer); err != nil {
		return fmt.Errorf("%w: not DER: %v", ErrMalformed, err)
	}
	if _, err := asn1.Unmarshal(outer.Bytes, &first); err != nil {
		return fmt.Errorf("%w: not DER: %v", ErrMalformed, err)
	}
	if first.Class == asn1.ClassUniversal && first.Tag == asn1.TagOID {
		ml, err := ParseMasterList(der)
		if err != nil {
			return err
		}
		for _, c := range ml.CSCAs {
			if err := s.AddCSCA(c); err != nil && !errors.Is(err, ErrNotCSCA) {
				return err
			}
		}
		return nil
	}
	c, certErr := ParseCertificate(der)
	if certErr == nil {
		return s.AddCSCA(c)
	}
	crl, crlErr := ParseCRL(der)
	if crlErr == nil {
		s.AddCRL(crl)
		return nil
	}
	return fmt.Errorf("neither a certificate (%w) nor a CRL (%v)", certErr, crlErr)
}

// fingerprint keys the chain cache.
func fingerprint(der []byte) [32]byte { return sha256.Sum256(der) }
