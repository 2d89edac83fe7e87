package sod

import (
	"crypto"
	"crypto/rand"
	"crypto/x509/pkix"
	"encoding/asn1"
	"fmt"
	"math/big"
	"sort"

	"github.com/xanode/xanode/reader/iso7816"
	"github.com/xanode/xanode/reader/keys"
)

// Sign builds EF.SOD for the given data groups (number → file content as
// stored on the chip): an LDSSecurityObject version 0 with SHA-256 hashes,
// signed by the Document Signer's key (ECDSA on any curve package keys
// knows, or RSA) with its certificate cert (DER) included. It is what a card
// issuer does; the emulator uses it to make cards that passive
// authentication can verify.
func Sign(dataGroups map[int][]byte, key crypto.Signer, cert []byte) ([]byte, error) {
	const hash = crypto.SHA256
	content, err := securityObject(dataGroups, hash)
	if err != nil {
		return nil, err
	}
	ci, err := SignData(OIDLDSSecurityObject, content, key, cert)
	if err != nil {
		return nil, err
	}
	return iso7816.EncodeTLV(tagSOD, ci), nil
}

// SignData returns a DER ContentInfo holding a SignedData over content of
// the given type, with SHA-256 and the contentType and messageDigest signed
// attributes, signed by key. The signer's certificate cert goes in with it
// and names the signer by issuer and serial number. Test master lists are
// made with it too.
func SignData(contentType asn1.ObjectIdentifier, content []byte, key crypto.Signer, cert []byte) ([]byte, error) {
	const hash = crypto.SHA256
	issuer, serial, err := issuerAndSerialOf(cert)
	if err != nil {
		return nil, err
	}
	hashAlg, _ := keys.HashOID(hash)
	digest := pkix.AlgorithmIdentifier{Algorithm: hashAlg}
	sigAlg, err := keys.SignatureAlgorithm(key.Public(), hash, false)
	if err != nil {
		return nil, fmt.Errorf("sod: %w", err)
	}
	attrs, err := signedAttributes(contentType, content, hash)
	if err != nil {
		return nil, err
	}
	h := hash.New()
	h.Write(attrs)
	sig, err := key.Sign(rand.Reader, h.Sum(nil), hash)
	if err != nil {
		return nil, fmt.Errorf("sod: sign: %w", err)
	}
	sid, err := asn1.Marshal(issuerAndSerial{Issuer: asn1.RawValue{FullBytes: issuer}, Serial: serial})
	if err != nil {
		return nil, err
	}
	implicitAttrs := append([]byte{0xA0}, attrs[1:]...) // [0] IMPLICIT SET OF
	sd := signedData{
		Version:          3, // RFC 5652 5.1: the content is not id-data
		DigestAlgorithms: []pkix.AlgorithmIdentifier{digest},
		EncapContentInfo: encapContentInfo{EContentType: contentType, EContent: content},
		Certificates:     asn1.RawValue{Class: asn1.ClassContextSpecific, Tag: 0, IsCompound: true, Bytes: cert},
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
	return ci, nil
}

// tbsIDs is as much of an X.509 TBSCertificate as names a signer.
type tbsIDs struct {
	Version   int `asn1:"optional,explicit,default:0,tag:0"`
	Serial    *big.Int
	Algorithm asn1.RawValue
	Issuer    asn1.RawValue
	Validity  asn1.RawValue
	Subject   asn1.RawValue
	SPKI      asn1.RawValue
	Rest      []asn1.RawValue `asn1:"optional"`
}

// issuerAndSerialOf reads the issuer Name and serial number of a DER
// certificate without crypto/x509, which rejects brainpool keys.
func issuerAndSerialOf(cert []byte) ([]byte, *big.Int, error) {
	var c struct {
		TBS       tbsIDs
		Algorithm asn1.RawValue
		Signature asn1.BitString
	}
	if err := unmarshalAll(cert, &c); err != nil {
		return nil, nil, fmt.Errorf("sod: signer certificate: %w", err)
	}
	return c.TBS.Issuer.FullBytes, c.TBS.Serial, nil
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
	hashAlg, _ := keys.HashOID(hash)
	lds := ldsSecurityObject{HashAlgorithm: pkix.AlgorithmIdentifier{Algorithm: hashAlg}}
	for _, n := range nums {
		h := hash.New()
		h.Write(dataGroups[n])
		lds.DataGroupHashValues = append(lds.DataGroupHashValues, dataGroupHash{DataGroupNumber: n, DataGroupHashValue: h.Sum(nil)})
	}
	return asn1.Marshal(lds)
}

// signedAttributes returns the DER SET OF { contentType, messageDigest }.
func signedAttributes(contentType asn1.ObjectIdentifier, content []byte, hash crypto.Hash) ([]byte, error) {
	ct, err := asn1.Marshal(contentType)
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
