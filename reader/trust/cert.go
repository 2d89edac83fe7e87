package trust

import (
	"bytes"
	"crypto"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"fmt"
	"math/big"
	"time"

	"github.com/xanode/xanode/reader/keys"
)

// Certificate is an X.509 certificate of an eMRTD PKI: a CSCA, a link
// certificate, a Document Signer or a Master List Signer. It is parsed here
// rather than by crypto/x509, which refuses keys on brainpool curves.
type Certificate struct {
	Raw       []byte
	RawTBS    []byte // what the issuer signed
	RawIssuer []byte // DER Name
	// RawSubject is the DER Name; Subject and Issuer are its RFC 4514 text.
	RawSubject      []byte
	Subject, Issuer string
	SerialNumber    *big.Int
	NotBefore       time.Time
	NotAfter        time.Time
	// PublicKey is *rsa.PublicKey or *ecdsa.PublicKey (any curve package
	// keys knows, named or explicit).
	PublicKey          crypto.PublicKey
	SignatureAlgorithm pkix.AlgorithmIdentifier
	Signature          []byte
	SubjectKeyID       []byte
	AuthorityKeyID     []byte
	// IsCA is the basicConstraints cA flag; BasicConstraints reports
	// whether the extension is there at all.
	IsCA, BasicConstraints bool
	// KeyUsage is the keyUsage extension, 0 if absent.
	KeyUsage x509.KeyUsage
	// ExtKeyUsage lists the extKeyUsage purposes, nil if absent (a Master
	// List Signer carries OIDMasterListSigning).
	ExtKeyUsage []asn1.ObjectIdentifier
	// unknownCritical names a critical extension this package does not
	// understand; such a certificate must not be relied on (RFC 5280 4.2).
	unknownCritical asn1.ObjectIdentifier
}

type certificateASN1 struct {
	TBS                asn1.RawValue
	SignatureAlgorithm pkix.AlgorithmIdentifier
	Signature          asn1.BitString
}

type tbsCertificate struct {
	Version            int `asn1:"optional,explicit,default:0,tag:0"`
	SerialNumber       *big.Int
	SignatureAlgorithm pkix.AlgorithmIdentifier
	Issuer             asn1.RawValue
	Validity           validity
	Subject            asn1.RawValue
	PublicKey          asn1.RawValue
	IssuerUniqueID     asn1.BitString   `asn1:"optional,tag:1"`
	SubjectUniqueID    asn1.BitString   `asn1:"optional,tag:2"`
	Extensions         []pkix.Extension `asn1:"optional,explicit,tag:3"`
}

type validity struct {
	NotBefore, NotAfter time.Time
}

// Extensions this package reads, and those it knows to be harmless when
// marked critical (RFC 5280, ICAO 9303-12 7.1.1).
var (
	oidSubjectKeyID     = asn1.ObjectIdentifier{2, 5, 29, 14}
	oidKeyUsage         = asn1.ObjectIdentifier{2, 5, 29, 15}
	oidBasicConstraints = asn1.ObjectIdentifier{2, 5, 29, 19}
	oidAuthorityKeyID   = asn1.ObjectIdentifier{2, 5, 29, 35}
	oidExtKeyUsage      = asn1.ObjectIdentifier{2, 5, 29, 37}
	knownExtensions     = []asn1.ObjectIdentifier{
		{2, 5, 29, 16},              // privateKeyUsagePeriod
		{2, 5, 29, 17},              // subjectAltName
		{2, 5, 29, 18},              // issuerAltName
		{2, 5, 29, 31},              // cRLDistributionPoints
		{2, 5, 29, 32},              // certificatePolicies
		{2, 23, 136, 1, 1, 6, 1},    // ICAO nameChange
		{2, 23, 136, 1, 1, 6, 2},    // ICAO documentTypeList
		{1, 3, 6, 1, 5, 5, 7, 1, 1}, // authorityInfoAccess
	}
)

// ParseCertificate decodes a DER X.509 certificate (v1 to v3).
func ParseCertificate(der []byte) (*Certificate, error) {
	var c certificateASN1
	if err := unmarshalAll(der, &c); err != nil {
		return nil, fmt.Errorf("%w: certificate: %v", ErrMalformed, err)
	}
	var tbs tbsCertificate
	if err := unmarshalAll(c.TBS.FullBytes, &tbs); err != nil {
		return nil, fmt.Errorf("%w: TBSCertificate: %v", ErrMalformed, err)
	}
	if tbs.SerialNumber == nil || !tbs.SignatureAlgorithm.Algorithm.Equal(c.SignatureAlgorithm.Algorithm) {
		return nil, fmt.Errorf("%w: certificate without serial number or with two signature algorithms", ErrMalformed)
	}
	pub, err := keys.ParsePublicKey(tbs.PublicKey.FullBytes)
	if err != nil {
		return nil, fmt.Errorf("certificate public key: %w", err)
	}
	out := &Certificate{
		Raw: der, RawTBS: c.TBS.FullBytes, RawIssuer: tbs.Issuer.FullBytes, RawSubject: tbs.Subject.FullBytes,
		SerialNumber: tbs.SerialNumber, NotBefore: tbs.Validity.NotBefore, NotAfter: tbs.Validity.NotAfter,
		PublicKey: pub, SignatureAlgorithm: c.SignatureAlgorithm, Signature: c.Signature.RightAlign(),
	}
	if out.Subject, err = nameString(out.RawSubject); err != nil {
		return nil, err
	}
	if out.Issuer, err = nameString(out.RawIssuer); err != nil {
		return nil, err
	}
	for _, e := range tbs.Extensions {
		if err := out.extension(e); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func nameString(der []byte) (string, error) {
	var rdn pkix.RDNSequence
	if err := unmarshalAll(der, &rdn); err != nil {
		return "", fmt.Errorf("%w: name: %v", ErrMalformed, err)
	}
	var n pkix.Name
	n.FillFromRDNSequence(&rdn)
	return n.String(), nil
}

func (c *Certificate) extension(e pkix.Extension) error {
	var err error
	switch {
	case e.Id.Equal(oidSubjectKeyID):
		err = unmarshalAll(e.Value, &c.SubjectKeyID)
	case e.Id.Equal(oidAuthorityKeyID):
		var aki struct {
			ID []byte `asn1:"optional,tag:0"`
		}
		// Only the keyIdentifier matters; issuer and serial may follow.
		_, err = asn1.Unmarshal(e.Value, &aki)
		c.AuthorityKeyID = aki.ID
	case e.Id.Equal(oidBasicConstraints):
		var bc struct {
			IsCA    bool `asn1:"optional"`
			PathLen int  `asn1:"optional,default:-1"`
		}
		err = unmarshalAll(e.Value, &bc)
		c.IsCA, c.BasicConstraints = bc.IsCA, true
	case e.Id.Equal(oidKeyUsage):
		var bits asn1.BitString
		err = unmarshalAll(e.Value, &bits)
		for i := 0; i < 9; i++ {
			if bits.At(i) != 0 {
				c.KeyUsage |= 1 << uint(i)
			}
		}
	case e.Id.Equal(oidExtKeyUsage):
		// Read leniently, as before it was read at all: a certificate
		// whose purposes do not decode simply has none that count.
		if unmarshalAll(e.Value, &c.ExtKeyUsage) != nil {
			c.ExtKeyUsage = nil
		}
	case e.Critical && !known(e.Id):
		c.unknownCritical = e.Id
	}
	if err != nil {
		return fmt.Errorf("%w: extension %v: %v", ErrMalformed, e.Id, err)
	}
	return nil
}

func known(oid asn1.ObjectIdentifier) bool {
	for _, k := range knownExtensions {
		if k.Equal(oid) {
			return true
		}
	}
	return false
}

// CheckSignatureFrom verifies that parent's key signed c.
func (c *Certificate) CheckSignatureFrom(parent *Certificate) error {
	return keys.Verify(parent.PublicKey, c.SignatureAlgorithm, 0, c.RawTBS, c.Signature)
}

// ValidAt reports whether t lies within the certificate's validity period.
func (c *Certificate) ValidAt(t time.Time) bool {
	return !t.Before(c.NotBefore) && !t.After(c.NotAfter)
}

// mayIssue reports why c cannot be a CSCA issuing certificates, or nil:
// a CA certificate allowed to sign certificates, without critical
// extensions this package does not understand.
func (c *Certificate) mayIssue() error {
	switch {
	case c.unknownCritical != nil:
		return fmt.Errorf("it has an unknown critical extension %v", c.unknownCritical)
	case c.BasicConstraints && !c.IsCA:
		return fmt.Errorf("it is not a CA certificate (basicConstraints cA is false)")
	case c.KeyUsage != 0 && c.KeyUsage&x509.KeyUsageCertSign == 0:
		return fmt.Errorf("its key usage does not allow signing certificates")
	case !c.BasicConstraints && c.KeyUsage == 0:
		return fmt.Errorf("it has neither basicConstraints nor keyUsage, so it is not a CA certificate")
	}
	return nil
}

// issued reports whether c could be the issuer of child: same name, and
// the key identifiers agree when both are there.
func (c *Certificate) issued(child *Certificate) bool {
	if !bytes.Equal(c.RawSubject, child.RawIssuer) && c.Subject != child.Issuer {
		return false
	}
	return len(c.SubjectKeyID) == 0 || len(child.AuthorityKeyID) == 0 || bytes.Equal(c.SubjectKeyID, child.AuthorityKeyID)
}

func unmarshalAll(b []byte, v any) error {
	rest, err := asn1.Unmarshal(b, v)
	if err != nil {
		return err
	}
	if len(rest) != 0 {
		return fmt.Errorf("%d bytes after the structure", len(rest))
	}
	return nil
}
