package trust

import (
	"encoding/asn1"
	"errors"
	"fmt"

	"github.com/xanode/xanode/reader/keys"
	"github.com/xanode/xanode/reader/sod"
)

// OIDCSCAMasterList is the content type of an ICAO CSCA master list
// (ICAO 9303-12 9, id-icao-cscaMasterList).
var OIDCSCAMasterList = asn1.ObjectIdentifier{2, 23, 136, 1, 1, 2}

type cscaMasterList struct {
	Version  int
	CertList []asn1.RawValue `asn1:"set"`
}

// MasterList is the content of an ICAO CSCA master list.
type MasterList struct {
	// CSCAs are the certificates the list holds: self-signed CSCAs and link
	// certificates of many countries.
	CSCAs []*Certificate
	// Skipped lists the certificates that could not be parsed (e.g. an
	// unsupported curve); the rest of the list is still usable.
	Skipped []error
	// Signer is the Master List Signer that signed it.
	Signer *Certificate
}

// ParseMasterList decodes a DER master list (a CMS SignedData) and checks
// it: its Master List Signer certificate must be in the SignedData, have
// signed the list, and be issued by one of the CSCAs in the list itself
// (the publishing country's, ICAO 9303-12 9). A list that fails these
// checks was changed or is not a master list, and nothing of it is used.
func ParseMasterList(der []byte) (*MasterList, error) {
	sd, err := sod.ParseSignedData(der, OIDCSCAMasterList)
	if err != nil {
		return nil, fmt.Errorf("master list: %w", err)
	}
	var ml cscaMasterList
	if err := unmarshalAll(sd.Content, &ml); err != nil {
		return nil, fmt.Errorf("%w: master list content: %v", ErrMalformed, err)
	}
	out := &MasterList{}
	for i, raw := range ml.CertList {
		c, err := ParseCertificate(raw.FullBytes)
		if err != nil {
			out.Skipped = append(out.Skipped, fmt.Errorf("certificate %d: %w", i+1, err))
			continue
		}
		out.CSCAs = append(out.CSCAs, c)
	}
	if out.Signer, err = signerOf(sd); err != nil {
		return nil, fmt.Errorf("master list: %w", err)
	}
	if err := verifySignedData(sd, out.Signer); err != nil {
		return nil, fmt.Errorf("master list: %w", err)
	}
	for _, c := range out.CSCAs {
		if c.issued(out.Signer) && out.Signer.CheckSignatureFrom(c) == nil {
			return out, nil
		}
	}
	return nil, fmt.Errorf("%w: master list signer %q is not issued by any CSCA in the list", ErrUntrusted, out.Signer.Subject)
}

// signerOf finds and parses the certificate the SignerInfo names.
func signerOf(sd *sod.SignedData) (*Certificate, error) {
	var errs []error
	for _, raw := range sd.Certificates {
		c, err := ParseCertificate(raw)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if sd.Signer.Serial != nil && c.SerialNumber.Cmp(sd.Signer.Serial) == 0 &&
			(string(c.RawIssuer) == string(sd.Signer.Issuer) || sameName(c.RawIssuer, sd.Signer.Issuer)) {
			return c, nil
		}
		if len(sd.Signer.SubjectKeyID) > 0 && string(c.SubjectKeyID) == string(sd.Signer.SubjectKeyID) {
			return c, nil
		}
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("the signer's certificate cannot be read: %w", errors.Join(errs...))
	}
	return nil, fmt.Errorf("%w: the signer's certificate is not in the SignedData (%d certificates)", ErrUntrusted, len(sd.Certificates))
}

// verifySignedData checks the signed attributes and the signature.
func verifySignedData(sd *sod.SignedData, signer *Certificate) error {
	if err := sd.CheckDigest(); err != nil {
		return err
	}
	s := sd.Signer
	return keys.Verify(signer.PublicKey, s.SignatureAlgorithm, s.DigestAlgorithm, s.SignedAttrs, s.Signature)
}

func sameName(a, b []byte) bool {
	sa, errA := nameString(a)
	sb, errB := nameString(b)
	return errA == nil && errB == nil && sa == sb
}
