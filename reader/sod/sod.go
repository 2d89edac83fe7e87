// Package sod reads and writes EF.SOD, the document security object of an
// eMRTD (ICAO 9303-10 4.6.2): a CMS SignedData (RFC 5652) whose content is an
// LDSSecurityObject listing the hash of every data group, signed by the
// Document Signer. ICAO CSCA master lists are CMS SignedData too and use
// ParseSignedData. Passive authentication builds on it: Parse, check each
// read data group with CheckDataGroup and the signed attributes with
// CheckDigest; the signature and the signer's chain to a CSCA are the trust
// store's (package trust).
//
// Certificates stay raw DER here because Go's crypto/x509 rejects the
// brainpool curves that Vietnam's CSCA and Document Signers use.
package sod

import (
	"bytes"
	"crypto"
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"fmt"
	"math/big"

	"github.com/xanode/xanode/reader/iso7816"
	"github.com/xanode/xanode/reader/keys"
)

// Errors of this package.
var (
	// ErrMalformed means EF.SOD is not a CMS SignedData holding an
	// LDSSecurityObject as ICAO 9303-10 describes.
	ErrMalformed = errors.New("sod: malformed EF.SOD")
	// ErrNoHash means EF.SOD lists no hash for a data group that was read.
	ErrNoHash = errors.New("sod: no hash for the data group in EF.SOD")
	// ErrHashMismatch means a data group's content differs from what the
	// Document Signer signed: the data were changed, or belong to another card.
	ErrHashMismatch = errors.New("sod: data group hash does not match EF.SOD")
	// ErrSignature means the signature over the security object does not
	// verify with the given certificate.
	ErrSignature = errors.New("sod: signature does not verify")
	// ErrUnsupported means an algorithm this package does not know.
	ErrUnsupported = errors.New("sod: unsupported algorithm")
)

// Object identifiers (RFC 5652, RFC 5754, ICAO 9303-10).
var (
	oidSignedData = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 7, 2}
	// OIDLDSSecurityObject is the content type of EF.SOD's SignedData.
	OIDLDSSecurityObject = asn1.ObjectIdentifier{2, 23, 136, 1, 1, 1}
	oidContentType       = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 3}
	oidMessageDigest     = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 4}
)

func hashOf(a pkix.AlgorithmIdentifier) (crypto.Hash, error) {
	if h, ok := keys.HashByOID(a.Algorithm); ok {
		return h, nil
	}
	return 0, fmt.Errorf("%w: digest algorithm %v", ErrUnsupported, a.Algorithm)
}

// ASN.1 structures of RFC 5652 and ICAO 9303-10.
type (
	contentInfo struct {
		ContentType asn1.ObjectIdentifier
		Content     asn1.RawValue `asn1:"explicit,tag:0"`
	}
	signedData struct {
		Version          int
		DigestAlgorithms []pkix.AlgorithmIdentifier `asn1:"set"`
		EncapContentInfo encapContentInfo
		Certificates     asn1.RawValue `asn1:"optional,tag:0"`
		CRLs             asn1.RawValue `asn1:"optional,tag:1"`
		SignerInfos      []signerInfo  `asn1:"set"`
	}
	encapContentInfo struct {
		EContentType asn1.ObjectIdentifier
		EContent     []byte `asn1:"explicit,tag:0"`
	}
	signerInfo struct {
		Version            int
		SID                asn1.RawValue
		DigestAlgorithm    pkix.AlgorithmIdentifier
		SignedAttrs        asn1.RawValue `asn1:"optional,tag:0"`
		SignatureAlgorithm pkix.AlgorithmIdentifier
		Signature          []byte
		UnsignedAttrs      asn1.RawValue `asn1:"optional,tag:1"`
	}
	issuerAndSerial struct {
		Issuer asn1.RawValue
		Serial *big.Int
	}
	attribute struct {
		Type   asn1.ObjectIdentifier
		Values []asn1.RawValue `asn1:"set"`
	}
	ldsSecurityObject struct {
		Version             int
		HashAlgorithm       pkix.AlgorithmIdentifier
		DataGroupHashValues []dataGroupHash
		LDSVersionInfo      ldsVersionInfo `asn1:"optional"`
	}
	dataGroupHash struct {
		DataGroupNumber    int
		DataGroupHashValue []byte
	}
	ldsVersionInfo struct {
		LDSVersion     string `asn1:"printable"`
		UnicodeVersion string `asn1:"printable"`
	}
)

// tagSOD is the application tag around the ContentInfo in EF.SOD.
const tagSOD iso7816.Tag = 0x77

// SOD is a parsed document security object.
type SOD struct {
	// SignedData holds the signed LDSSecurityObject (Content), the
	// certificates (normally just the Document Signer's) and the signer.
	SignedData
	// HashAlgorithm hashes the data groups.
	HashAlgorithm crypto.Hash
	// Hashes maps data group numbers (1..16) to their hash values.
	Hashes map[int][]byte
	// LDSVersion and UnicodeVersion come from LDSSecurityObject version 1.
	LDSVersion, UnicodeVersion string
}

// SignedData is a CMS SignedData with one signer, as EF.SOD and ICAO CSCA
// master lists carry it.
type SignedData struct {
	// ContentType is the encapsulated content's type.
	ContentType asn1.ObjectIdentifier
	// Content is the encapsulated content (DER), which the signature covers
	// through the messageDigest attribute.
	Content []byte
	// Certificates holds the certificates of the SignedData as DER.
	Certificates [][]byte
	Signer       Signer
}

// Signer is the one SignerInfo of a SignedData.
type Signer struct {
	// Issuer (raw DER Name) and Serial, or SubjectKeyID, identify the
	// signer's certificate.
	Issuer       []byte
	Serial       *big.Int
	SubjectKeyID []byte
	// DigestAlgorithm hashes the content for the messageDigest attribute
	// and the signed attributes for the signature.
	DigestAlgorithm    crypto.Hash
	SignatureAlgorithm pkix.AlgorithmIdentifier
	// SignedAttrs is the DER of the signed attributes with the SET tag, as
	// signed; ContentType and MessageDigest are decoded from it.
	SignedAttrs   []byte
	ContentType   asn1.ObjectIdentifier
	MessageDigest []byte
	Signature     []byte
}

// Parse decodes EF.SOD (tag 77 around the CMS ContentInfo).
func Parse(b []byte) (*SOD, error) {
	ci, err := iso7816.Unwrap(b, tagSOD)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	sd, err := ParseSignedData(ci, OIDLDSSecurityObject)
	if err != nil {
		return nil, err
	}
	s := &SOD{SignedData: *sd}
	if err := s.parseContent(); err != nil {
		return nil, err
	}
	return s, nil
}

// ParseSignedData decodes a DER ContentInfo holding a SignedData with one
// SignerInfo whose encapsulated content has the given type.
func ParseSignedData(der []byte, contentType asn1.ObjectIdentifier) (*SignedData, error) {
	var info contentInfo
	if err := unmarshalAll(der, &info); err != nil {
		return nil, fmt.Errorf("%w: ContentInfo: %v", ErrMalformed, err)
	}
	if !info.ContentType.Equal(oidSignedData) {
		return nil, fmt.Errorf("%w: content type %v is not SignedData", ErrMalformed, info.ContentType)
	}
	var sd signedData
	if err := unmarshalAll(info.Content.Bytes, &sd); err != nil {
		return nil, fmt.Errorf("%w: SignedData: %v", ErrMalformed, err)
	}
	if !sd.EncapContentInfo.EContentType.Equal(contentType) {
		return nil, fmt.Errorf("%w: encapsulated content %v, want %v", ErrMalformed, sd.EncapContentInfo.EContentType, contentType)
	}
	if len(sd.SignerInfos) != 1 {
		return nil, fmt.Errorf("%w: %d SignerInfos, ICAO 9303 wants one", ErrMalformed, len(sd.SignerInfos))
	}
	out := &SignedData{ContentType: sd.EncapContentInfo.EContentType, Content: sd.EncapContentInfo.EContent}
	var err error
	if out.Certificates, err = splitCertificates(sd.Certificates); err != nil {
		return nil, err
	}
	if out.Signer, err = parseSigner(sd.SignerInfos[0]); err != nil {
		return nil, err
	}
	return out, nil
}

// CheckDigest checks the signed attributes against the content: the
// contentType attribute must name the content's type and messageDigest be
// its hash. The signature over the attributes is the caller's to verify
// (see package keys), with the signer's certificate.
func (sd *SignedData) CheckDigest() error {
	if !sd.Signer.ContentType.Equal(sd.ContentType) {
		return fmt.Errorf("%w: signed content type %v, content is %v", ErrSignature, sd.Signer.ContentType, sd.ContentType)
	}
	h := sd.Signer.DigestAlgorithm.New()
	h.Write(sd.Content)
	if !bytes.Equal(h.Sum(nil), sd.Signer.MessageDigest) {
		return fmt.Errorf("%w: messageDigest does not match the signed content", ErrSignature)
	}
	return nil
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

func (s *SOD) parseContent() error {
	var lds ldsSecurityObject
	if err := unmarshalAll(s.Content, &lds); err != nil {
		return fmt.Errorf("%w: LDSSecurityObject: %v", ErrMalformed, err)
	}
	if lds.Version != 0 && lds.Version != 1 {
		return fmt.Errorf("%w: LDSSecurityObject version %d", ErrMalformed, lds.Version)
	}
	h, err := hashOf(lds.HashAlgorithm)
	if err != nil {
		return err
	}
	s.HashAlgorithm = h
	s.LDSVersion, s.UnicodeVersion = lds.LDSVersionInfo.LDSVersion, lds.LDSVersionInfo.UnicodeVersion
	s.Hashes = make(map[int][]byte, len(lds.DataGroupHashValues))
	for _, d := range lds.DataGroupHashValues {
		if d.DataGroupNumber < 1 || d.DataGroupNumber > 16 {
			return fmt.Errorf("%w: hash for data group %d", ErrMalformed, d.DataGroupNumber)
		}
		if _, dup := s.Hashes[d.DataGroupNumber]; dup {
			return fmt.Errorf("%w: two hashes for DG%d", ErrMalformed, d.DataGroupNumber)
		}
		if len(d.DataGroupHashValue) != h.Size() {
			return fmt.Errorf("%w: DG%d hash of %d bytes for %v", ErrMalformed, d.DataGroupNumber, len(d.DataGroupHashValue), h)
		}
		s.Hashes[d.DataGroupNumber] = d.DataGroupHashValue
	}
	return nil
}

func splitCertificates(raw asn1.RawValue) ([][]byte, error) {
	var out [][]byte
	rest := raw.Bytes
	for len(rest) > 0 {
		var c asn1.RawValue
		var err error
		if rest, err = asn1.Unmarshal(rest, &c); err != nil {
			return nil, fmt.Errorf("%w: certificates: %v", ErrMalformed, err)
		}
		out = append(out, c.FullBytes)
	}
	return out, nil
}

func parseSigner(si signerInfo) (Signer, error) {
	s := Signer{SignatureAlgorithm: si.SignatureAlgorithm, Signature: si.Signature}
	var err error
	if s.DigestAlgorithm, err = hashOf(si.DigestAlgorithm); err != nil {
		return s, err
	}
	switch {
	case si.SID.Class == asn1.ClassUniversal && si.SID.Tag == asn1.TagSequence:
		var ias issuerAndSerial
		if err := unmarshalAll(si.SID.FullBytes, &ias); err != nil {
			return s, fmt.Errorf("%w: signer identifier: %v", ErrMalformed, err)
		}
		s.Issuer, s.Serial = ias.Issuer.FullBytes, ias.Serial
	case si.SID.Class == asn1.ClassContextSpecific && si.SID.Tag == 0:
		s.SubjectKeyID = si.SID.Bytes
	default:
		return s, fmt.Errorf("%w: signer identifier with tag %d", ErrMalformed, si.SID.Tag)
	}
	if len(si.SignedAttrs.FullBytes) == 0 {
		return s, fmt.Errorf("%w: no signed attributes (ICAO 9303 requires them)", ErrMalformed)
	}
	// The signature covers the attributes with the universal SET tag, not
	// the [0] IMPLICIT tag they travel under (RFC 5652 5.4).
	s.SignedAttrs = append([]byte{0x31}, si.SignedAttrs.FullBytes[1:]...)
	var attrs []attribute
	rest, err := asn1.UnmarshalWithParams(s.SignedAttrs, &attrs, "set")
	if err != nil || len(rest) != 0 {
		return s, fmt.Errorf("%w: signed attributes: %v", ErrMalformed, err)
	}
	for _, a := range attrs {
		if len(a.Values) != 1 {
			continue
		}
		switch {
		case a.Type.Equal(oidContentType):
			_, err = asn1.Unmarshal(a.Values[0].FullBytes, &s.ContentType)
		case a.Type.Equal(oidMessageDigest):
			_, err = asn1.Unmarshal(a.Values[0].FullBytes, &s.MessageDigest)
		}
		if err != nil {
			return s, fmt.Errorf("%w: signed attribute %v: %v", ErrMalformed, a.Type, err)
		}
	}
	if s.ContentType == nil || s.MessageDigest == nil {
		return s, fmt.Errorf("%w: signed attributes lack contentType or messageDigest", ErrMalformed)
	}
	return s, nil
}

// CheckDataGroup compares the hash of a data group's content, as read from
// the chip, with the one EF.SOD lists.
func (s *SOD) CheckDataGroup(n int, content []byte) error {
	want, ok := s.Hashes[n]
	if !ok {
		return fmt.Errorf("%w: DG%d", ErrNoHash, n)
	}
	h := s.HashAlgorithm.New()
	h.Write(content)
	if !bytes.Equal(h.Sum(nil), want) {
		return fmt.Errorf("%w: DG%d", ErrHashMismatch, n)
	}
	return nil
}
