package trust

import (
	"bytes"
	"encoding/asn1"
	"errors"
	"fmt"
	"slices"
	"time"

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
//
// A list that is consistent with itself says nothing about who made it:
// anyone can make one. Where a master list decides what is trusted (the
// city's CSCA trust set), use ParseMasterListSignedBy.
func ParseMasterList(der []byte) (*MasterList, error) {
	out, err := parseSignedMasterList(der)
	if err != nil {
		return nil, err
	}
	for _, c := range out.CSCAs {
		if c.issued(out.Signer) && out.Signer.CheckSignatureFrom(c) == nil {
			return out, nil
		}
	}
	return nil, fmt.Errorf("%w: master list signer %q is not issued by any CSCA in the list", ErrUntrusted, out.Signer.Subject)
}

// OIDMasterListSigning is the extended key usage of a Master List Signer
// certificate (id-icao-mrtd-security-cscaMasterListSigningKey, ICAO
// 9303-12 7.1.1).
var OIDMasterListSigning = asn1.ObjectIdentifier{2, 23, 136, 1, 1, 3}

// ParseMasterListSignedBy decodes a master list and trusts it only when
// it was signed under one of the configured signers: its Master List
// Signer certificate, valid at at, is one of signers byte for byte, or a
// Master List Signer certificate (extended key usage
// OIDMasterListSigning) that one of signers, a CA certificate, issued and
// signed. The usage is required of an issued signer so that another
// certificate of the same CSCA (a Document Signer, whose key sits in a
// card personalisation line) cannot vouch for CSCAs. Any other signer is
// ErrUntrusted, naming it. Unlike ParseMasterList, the list need not hold
// its own CSCA.
func ParseMasterListSignedBy(der []byte, signers []*Certificate, at time.Time) (*MasterList, error) {
	out, err := parseSignedMasterList(der)
	if err != nil {
		return nil, err
	}
	mls := out.Signer
	if !mls.ValidAt(at) {
		return nil, fmt.Errorf("%w: master list signer %q is valid from %s to %s, not at %s", ErrUntrusted, mls.Subject, day(mls.NotBefore), day(mls.NotAfter), day(at))
	}
	for _, s := range signers {
		if bytes.Equal(s.Raw, mls.Raw) {
			return out, nil
		}
	}
	for _, s := range signers {
		if !s.issued(mls) || s.mayIssue() != nil || mls.CheckSignatureFrom(s) != nil {
			continue
		}
		if !slices.ContainsFunc(mls.ExtKeyUsage, OIDMasterListSigning.Equal) {
			return nil, fmt.Errorf("%w: master list signer %q, issued by %q, is not a Master List Signer certificate (no extended key usage %v)", ErrUntrusted, mls.Subject, s.Subject, OIDMasterListSigning)
		}
		return out, nil
	}
	return nil, fmt.Errorf("%w: master list signer %q (issued by %q) is not one of the %d configured master-list signers nor issued by one", ErrUntrusted, mls.Subject, mls.Issuer, len(signers))
}

// parseSignedMasterList decodes a master list and checks that the signer
// certificate it carries signed it.
func parseSignedMasterList(der []byte) (*MasterList, error) {
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
	return out, nil
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
