package trust

import (
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"fmt"
	"math/big"
	"time"

	"github.com/xanode/xanode/reader/keys"
)

// CRL is a certificate revocation list of a CSCA (ICAO 9303-12 7.1.4),
// parsed here because crypto/x509 cannot check signatures on brainpool.
type CRL struct {
	Raw       []byte
	RawTBS    []byte
	RawIssuer []byte
	Issuer    string
	// ThisUpdate is when it was issued; NextUpdate, when the next one is
	// due (zero if not given). A CRL past NextUpdate is still used, and
	// passive authentication notes that it is stale.
	ThisUpdate, NextUpdate time.Time
	// Revoked holds the serial numbers of revoked certificates, in hex.
	Revoked            map[string]time.Time
	SignatureAlgorithm pkix.AlgorithmIdentifier
	Signature          []byte
}

type crlASN1 struct {
	TBS                asn1.RawValue
	SignatureAlgorithm pkix.AlgorithmIdentifier
	Signature          asn1.BitString
}

type tbsCertList struct {
	Version             int `asn1:"optional,default:0"`
	Signature           pkix.AlgorithmIdentifier
	Issuer              asn1.RawValue
	ThisUpdate          time.Time
	NextUpdate          time.Time      `asn1:"optional"`
	RevokedCertificates []revokedEntry `asn1:"optional"`
	Extensions          asn1.RawValue  `asn1:"optional,explicit,tag:0"`
}

type revokedEntry struct {
	Serial     *big.Int
	Date       time.Time
	Extensions asn1.RawValue `asn1:"optional"`
}

// ParseCRL decodes a DER CertificateList.
func ParseCRL(der []byte) (*CRL, error) {
	var c crlASN1
	if err := unmarshalAll(der, &c); err != nil {
		return nil, fmt.Errorf("%w: CRL: %v", ErrMalformed, err)
	}
	var tbs tbsCertList
	if err := unmarshalAll(c.TBS.FullBytes, &tbs); err != nil {
		return nil, fmt.Errorf("%w: TBSCertList: %v", ErrMalformed, err)
	}
	issuer, err := nameString(tbs.Issuer.FullBytes)
	if err != nil {
		return nil, err
	}
	out := &CRL{
		Raw: der, RawTBS: c.TBS.FullBytes, RawIssuer: tbs.Issuer.FullBytes, Issuer: issuer,
		ThisUpdate: tbs.ThisUpdate, NextUpdate: tbs.NextUpdate, Revoked: map[string]time.Time{},
		SignatureAlgorithm: c.SignatureAlgorithm, Signature: c.Signature.RightAlign(),
	}
	for _, r := range tbs.RevokedCertificates {
		if r.Serial == nil {
			return nil, fmt.Errorf("%w: CRL entry without serial number", ErrMalformed)
		}
		out.Revoked[r.Serial.Text(16)] = r.Date
	}
	return out, nil
}

func verifyCRL(crl *CRL, issuer *Certificate) error {
	return keys.Verify(issuer.PublicKey, crl.SignatureAlgorithm, 0, crl.RawTBS, crl.Signature)
}

// CRLIssuer returns the CSCA in the store whose key signed crl, or
// ErrUntrusted: a CRL counts only when a CSCA already trusted issued it.
func (s *Store) CRLIssuer(crl *CRL) (*Certificate, error) {
	s.mu.RLock()
	cscas := append([]*Certificate(nil), s.cscas...)
	s.mu.RUnlock()
	var errs []error
	for _, c := range cscas {
		if !c.issued(&Certificate{RawIssuer: crl.RawIssuer, Issuer: crl.Issuer}) {
			continue
		}
		err := verifyCRL(crl, c)
		if err == nil {
			return c, nil
		}
		errs = append(errs, err)
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("%w: the CRL of %q does not verify with the CSCA of that name: %w", ErrUntrusted, crl.Issuer, errors.Join(errs...))
	}
	return nil, fmt.Errorf("%w: no CSCA in the trust store (%d certificates) is %q, the CRL's issuer", ErrUntrusted, len(cscas), crl.Issuer)
}
