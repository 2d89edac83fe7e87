package sod

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"fmt"
	"sort"

	"github.com/xanode/xanode/reader/iso7816"
)

// Signature algorithms (RFC 5758, RFC 4055).
var (
	oidECPublicKey   = asn1.ObjectIdentifier{1, 2, 840, 10045, 2, 1}
	oidRSAEncryption = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 1}
	oidRSAPSS        = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 10}
)

var signatureAlgorithms = []struct {
	oid  asn1.ObjectIdentifier
	hash crypto.Hash // 0: the SignerInfo's digest algorithm decides
	ec   bool
	alg  x509.SignatureAlgorithm
}{
	{asn1.ObjectIdentifier{1, 2, 840, 10045, 4, 1}, crypto.SHA1, true, x509.ECDSAWithSHA1},
	{asn1.ObjectIdentifier{1, 2, 840, 10045, 4, 3, 2}, crypto.SHA256, true, x509.ECDSAWithSHA256},
	{asn1.ObjectIdentifier{1, 2, 840, 10045, 4, 3, 3}, crypto.SHA384, true, x509.ECDSAWithSHA384},
	{asn1.ObjectIdentifier{1, 2, 840, 10045, 4, 3, 4}, crypto.SHA512, true, x509.ECDSAWithSHA512},
	{asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 5}, crypto.SHA1, false, x509.SHA1WithRSA},
	{asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 11}, crypto.SHA256, false, x509.SHA256WithRSA},
	{asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 12}, crypto.SHA384, false, x509.SHA384WithRSA},
	{asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 13}, crypto.SHA512, false, x509.SHA512WithRSA},
}

var pssByHash = map[crypto.Hash]x509.SignatureAlgorithm{
	crypto.SHA256: x509.SHA256WithRSAPSS, crypto.SHA384: x509.SHA384WithRSAPSS, crypto.SHA512: x509.SHA512WithRSAPSS,
}

// x509Algorithm maps the SignerInfo's algorithms to what crypto/x509 checks.
// Some SODs name only the key type (id-ecPublicKey, rsaEncryption,
// RSASSA-PSS), with the hash given by the digest algorithm.
func (s Signer) x509Algorithm() (x509.SignatureAlgorithm, error) {
	oid := s.SignatureAlgorithm.Algorithm
	for _, a := range signatureAlgorithms {
		if oid.Equal(a.oid) {
			return a.alg, nil
		}
	}
	unsupported := fmt.Errorf("%w: signature algorithm %v with %v", ErrUnsupported, oid, s.DigestAlgorithm)
	var ec bool
	switch {
	case oid.Equal(oidECPublicKey):
		ec = true
	case oid.Equal(oidRSAEncryption):
	case oid.Equal(oidRSAPSS):
		if alg, ok := pssByHash[s.DigestAlgorithm]; ok {
			return alg, nil
		}
		return 0, unsupported
	default:
		return 0, unsupported
	}
	for _, a := range signatureAlgorithms {
		if a.ec == ec && a.hash == s.DigestAlgorithm {
			return a.alg, nil
		}
	}
	return 0, unsupported
}

// VerifySignature checks the signed attributes against the content (content
// type and message digest) and the signature with the Document Signer
// certificate's key. It does not check the certificate itself: chaining it
// to a CSCA, validity and revocation belong to the trust store.
func (s *SOD) VerifySignature(ds *x509.Certificate) error {
	if !s.Signer.ContentType.Equal(oidLDSSecurityObject) {
		return fmt.Errorf("%w: signed content type %v", ErrSignature, s.Signer.ContentType)
	}
	h := s.Signer.DigestAlgorithm.New()
	h.Write(s.Content)
	if !bytes.Equal(h.Sum(nil), s.Signer.MessageDigest) {
		return fmt.Errorf("%w: messageDigest does not match the security object", ErrSignature)
	}
	alg, err := s.Signer.x509Algorithm()
	if err != nil {
		return err
	}
	if err := ds.CheckSignature(alg, s.Signer.SignedAttrs, s.Signer.Signature); err != nil {
		return fmt.Errorf("%w: %v", ErrSignature, err)
	}
	return nil
}

// Sign builds EF.SOD for the given data groups (number → file content as
// stored on the chip): an LDSSecurityObject version 0 with SHA-256 hashes,
// in a CMS SignedData signed by the Document Signer's key (ECDSA or RSA)
// over the contentType and messageDigest attributes, with the Document
// Signer certificate included. It is what a card issuer does; the emulator
// uses it to make cards that passive authentication can verify.
func Sign(dataGroups map[int][]byte, key crypto.Signer, ds *x509.Certificate) ([]byte, error) {
	const hash = crypto.SHA256
	content, err := securityObject(dataGroups, hash)
	if err != nil {
		return nil, err
	}
	hashAlg, _ := hashOID(hash)
	digest := pkix.AlgorithmIdentifier{Algorithm: hashAlg}
	sigAlg, err := signatureAlgorithmFor(key, hash)
	if err != nil {
		return nil, err
	}
	attrs, err := signedAttributes(content, hash)
	if err != nil {
		return nil, err
	}
	h := hash.New()
	h.Write(attrs)
	sig, err := key.Sign(rand.Reader, h.Sum(nil), hash)
	if err != nil {
		return nil, fmt.Errorf("sod: sign: %w", err)
	}
	sid, err := asn1.Marshal(issuerAndSerial{Issuer: asn1.RawValue{FullBytes: ds.RawIssuer}, Serial: ds.SerialNumber})
	if err != nil {
		return nil, err
	}
	implicitAttrs := append([]byte{0xA0}, attrs[1:]...) // [0] IMPLICIT SET OF
	sd := signedData{
		Version:          3, // RFC 5652 5.1: the content is not id-data
		DigestAlgorithms: []pkix.AlgorithmIdentifier{digest},
		EncapContentInfo: encapContentInfo{EContentType: oidLDSSecurityObject, EContent: content},
		Certificates:     asn1.RawValue{Class: asn1.ClassContextSpecific, Tag: 0, IsCompound: true, Bytes: ds.Raw},
		SignerInfos: []signerInfo{{
			Version:            1, // issuerAndSerialNumber
			SID:                asn1.RawValue{FullBytes: sid},
			DigestAlgorithm:    digest,
			SignedAttrs:        asn1.RawValue{FullBytes: implicitAttrs},
			SignatureAlgorithm: sigAlg,
			Signature:          sig,
		}},
	}
	sdDER, err := asn1.Marshal(sd)
	if err != nil {
		return nil, fmt.Errorf("sod: encode SignedData: %w", err)
	}
	ci, err := asn1.Marshal(contentInfo{ContentType: oidSignedData, Content: asn1.RawValue{Class: asn1.ClassContextSpecific, Tag: 0, IsCompound: true, Bytes: sdDER}})
	if err != nil {
		return nil, fmt.Errorf("sod: encode ContentInfo: %w", err)
	}
	return iso7816.EncodeTLV(tagSOD, ci), nil
}

func securityObject(dataGroups map[int][]byte, hash crypto.Hash) ([]byte, error) {
	nums := make([]int, 0, len(dataGroups))
	for n := range dataGroups {
		if n < 1 || n > 16 {
			return nil, fmt.Errorf("sod: no data group %d", n)
		}
		nums = append(nums, n)
	}
	if len(nums) == 0 {
		return nil, fmt.Errorf("sod: no data groups to sign")
	}
	sort.Ints(nums)
	hashAlg, err := hashOID(hash)
	if err != nil {
		return nil, err
	}
	lds := ldsSecurityObject{HashAlgorithm: pkix.AlgorithmIdentifier{Algorithm: hashAlg}}
	for _, n := range nums {
		h := hash.New()
		h.Write(dataGroups[n])
		lds.DataGroupHashValues = append(lds.DataGroupHashValues, dataGroupHash{DataGroupNumber: n, DataGroupHashValue: h.Sum(nil)})
	}
	return asn1.Marshal(lds)
}

// signedAttributes returns the DER SET OF { contentType, messageDigest }.
func signedAttributes(content []byte, hash crypto.Hash) ([]byte, error) {
	ct, err := asn1.Marshal(oidLDSSecurityObject)
	if err != nil {
		return nil, err
	}
	h := hash.New()
	h.Write(content)
	md, err := asn1.Marshal(h.Sum(nil))
	if err != nil {
		return nil, err
	}
	attrs := []attribute{
		{Type: oidContentType, Values: []asn1.RawValue{{FullBytes: ct}}},
		{Type: oidMessageDigest, Values: []asn1.RawValue{{FullBytes: md}}},
	}
	return asn1.MarshalWithParams(attrs, "set")
}

func signatureAlgorithmFor(key crypto.Signer, hash crypto.Hash) (pkix.AlgorithmIdentifier, error) {
	var ec bool
	switch key.Public().(type) {
	case *ecdsa.PublicKey:
		ec = true
	case *rsa.PublicKey:
	default:
		return pkix.AlgorithmIdentifier{}, fmt.Errorf("%w: Document Signer key %T", ErrUnsupported, key.Public())
	}
	for _, a := range signatureAlgorithms {
		if a.ec == ec && a.hash == hash {
			return pkix.AlgorithmIdentifier{Algorithm: a.oid}, nil
		}
	}
	return pkix.AlgorithmIdentifier{}, fmt.Errorf("%w: hash %v", ErrUnsupported, hash)
}
