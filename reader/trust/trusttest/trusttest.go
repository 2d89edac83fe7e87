// Package trusttest builds the certificates, CRLs and master lists of a
// test eMRTD PKI, including what crypto/x509 cannot make: keys on brainpool
// curves, named or given as explicit domain parameters (as Vietnam's CSCA
// is), and RSASSA-PSS signatures. The emulator's test PKI and the tests of
// package trust use it; nothing it makes is trusted outside tests and the
// demo.
package trusttest

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"fmt"
	"math/big"
	"strings"
	"time"

	"github.com/xanode/xanode/reader/keys"
	"github.com/xanode/xanode/reader/sod"
)

// GenerateKey makes a key: "RSA-1024" to "RSA-4096", or a curve name that
// package keys knows ("P-256", "brainpoolP512r1", ...).
func GenerateKey(alg string) (crypto.Signer, error) {
	if bits, ok := strings.CutPrefix(alg, "RSA-"); ok {
		var n int
		if _, err := fmt.Sscan(bits, &n); err != nil {
			return nil, fmt.Errorf("trusttest: key %q", alg)
		}
		return rsa.GenerateKey(rand.Reader, n)
	}
	c, ok := keys.CurveByName(alg)
	if !ok {
		return nil, fmt.Errorf("trusttest: no curve %q", alg)
	}
	return ecdsa.GenerateKey(c.Curve, rand.Reader)
}

// Template says what certificate to issue. Zero fields get defaults.
type Template struct {
	Subject pkix.Name
	// Serial defaults to a random positive number.
	Serial *big.Int
	// NotBefore and NotAfter default to an hour ago and ten years on.
	NotBefore, NotAfter time.Time
	// CA makes a CA certificate (basicConstraints cA, keyCertSign and
	// cRLSign); otherwise digitalSignature only, as a Document Signer.
	CA bool
	// KeyUsage overrides the key usage bits when not zero.
	KeyUsage x509.KeyUsage
	// Hash is the issuer's signature hash; zero means SHA-256.
	Hash crypto.Hash
	// PSS signs with RSASSA-PSS when the issuer's key is RSA.
	PSS bool
	// Explicit writes the subject key's curve as explicit domain
	// parameters instead of its OID.
	Explicit bool
	// ExtKeyUsage adds an extKeyUsage extension with these purposes (e.g.
	// OIDMasterListSigning for a Master List Signer).
	ExtKeyUsage []asn1.ObjectIdentifier
	// Extensions are added as they are (e.g. an unknown critical one).
	Extensions []pkix.Extension
}

// OIDMasterListSigning is the extended key usage of a Master List Signer
// (ICAO 9303-12 7.1.1).
var OIDMasterListSigning = asn1.ObjectIdentifier{2, 23, 136, 1, 1, 3}

// Authority is an issued certificate with its private key.
type Authority struct {
	Cert    []byte // DER
	Key     crypto.Signer
	Serial  *big.Int
	Subject pkix.Name
	rawName []byte
	keyID   []byte
}

// NewCA issues a self-signed CA certificate (a CSCA) for key.
func NewCA(t Template, key crypto.Signer) (*Authority, error) {
	t.CA = true
	return issue(t, key, nil)
}

// Issue has a sign a certificate for key: a Document Signer, a Master List
// Signer, or with t.CA a link certificate.
func (a *Authority) Issue(t Template, key crypto.Signer) (*Authority, error) {
	return issue(t, key, a)
}

type tbsCertificate struct {
	Version    int `asn1:"explicit,tag:0"`
	Serial     *big.Int
	Algorithm  pkix.AlgorithmIdentifier
	Issuer     asn1.RawValue
	Validity   validity
	Subject    asn1.RawValue
	PublicKey  asn1.RawValue
	Extensions []pkix.Extension `asn1:"optional,explicit,tag:3"`
}

type validity struct{ NotBefore, NotAfter time.Time }

type signed struct {
	TBS       asn1.RawValue
	Algorithm pkix.AlgorithmIdentifier
	Signature asn1.BitString
}

func issue(t Template, key crypto.Signer, parent *Authority) (*Authority, error) {
	spki, err := keys.MarshalPublicKey(key.Public(), t.Explicit)
	if err != nil {
		return nil, err
	}
	name, err := asn1.Marshal(t.Subject.ToRDNSequence())
	if err != nil {
		return nil, err
	}
	a := &Authority{Key: key, Serial: t.Serial, Subject: t.Subject, rawName: name, keyID: keyID(spki)}
	if a.Serial == nil {
		if a.Serial, err = rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 62)); err != nil {
			return nil, err
		}
		a.Serial.Add(a.Serial, big.NewInt(1))
	}
	signer := parent
	if signer == nil {
		signer = a
	}
	exts, err := extensions(t, a.keyID, signer.keyID)
	if err != nil {
		return nil, err
	}
	if t.NotBefore.IsZero() {
		t.NotBefore = time.Now().Add(-time.Hour)
	}
	if t.NotAfter.IsZero() {
		t.NotAfter = t.NotBefore.AddDate(10, 0, 0)
	}
	tbs := tbsCertificate{
		Version: 2, Serial: a.Serial, Issuer: asn1.RawValue{FullBytes: signer.rawName},
		Validity: validity{t.NotBefore.UTC(), t.NotAfter.UTC()}, Subject: asn1.RawValue{FullBytes: name},
		PublicKey: asn1.RawValue{FullBytes: spki}, Extensions: exts,
	}
	if a.Cert, err = signer.sign(&tbs.Algorithm, func() (any, error) { return tbs, nil }, t.Hash, t.PSS); err != nil {
		return nil, err
	}
	return a, nil
}

// sign sets *alg, marshals what build returns (which must include *alg),
// signs it and wraps it as a signed structure (certificate or CRL).
func (a *Authority) sign(alg *pkix.AlgorithmIdentifier, build func() (any, error), hash crypto.Hash, pss bool) ([]byte, error) {
	if hash == 0 {
		hash = crypto.SHA256
	}
	var err error
	if *alg, err = keys.SignatureAlgorithm(a.Key.Public(), hash, pss); err != nil {
		return nil, err
	}
	v, err := build()
	if err != nil {
		return nil, err
	}
	tbs, err := asn1.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("trusttest: encode: %w", err)
	}
	h := hash.New()
	h.Write(tbs)
	var opts crypto.SignerOpts = hash
	if _, isRSA := a.Key.Public().(*rsa.PublicKey); pss && isRSA {
		opts = &rsa.PSSOptions{SaltLength: hash.Size(), Hash: hash}
	}
	sig, err := a.Key.Sign(rand.Reader, h.Sum(nil), opts)
	if err != nil {
		return nil, fmt.Errorf("trusttest: sign: %w", err)
	}
	return asn1.Marshal(signed{TBS: asn1.RawValue{FullBytes: tbs}, Algorithm: *alg, Signature: asn1.BitString{Bytes: sig, BitLength: 8 * len(sig)}})
}

func keyID(spki []byte) []byte {
	var info struct {
		Algorithm asn1.RawValue
		Key       asn1.BitString
	}
	asn1.Unmarshal(spki, &info)
	h := sha1.Sum(info.Key.Bytes)
	return h[:]
}

var (
	oidSubjectKeyID     = asn1.ObjectIdentifier{2, 5, 29, 14}
	oidKeyUsage         = asn1.ObjectIdentifier{2, 5, 29, 15}
	oidBasicConstraints = asn1.ObjectIdentifier{2, 5, 29, 19}
	oidAuthorityKeyID   = asn1.ObjectIdentifier{2, 5, 29, 35}
	oidExtKeyUsage      = asn1.ObjectIdentifier{2, 5, 29, 37}
)

func extensions(t Template, subjectKeyID, authorityKeyID []byte) ([]pkix.Extension, error) {
	ku := t.KeyUsage
	if ku == 0 {
		ku = x509.KeyUsageDigitalSignature
		if t.CA {
			ku = x509.KeyUsageCertSign | x509.KeyUsageCRLSign
		}
	}
	var bits asn1.BitString
	for i := 0; i < 9; i++ {
		if ku&(1<<uint(i)) != 0 {
			for len(bits.Bytes) <= i/8 {
				bits.Bytes = append(bits.Bytes, 0)
			}
			bits.Bytes[i/8] |= 0x80 >> uint(i%8)
			bits.BitLength = i + 1
		}
	}
	kuDER, err := asn1.Marshal(bits)
	if err != nil {
		return nil, err
	}
	ski, _ := asn1.Marshal(subjectKeyID)
	aki, _ := asn1.Marshal(struct {
		ID []byte `asn1:"tag:0"`
	}{authorityKeyID})
	exts := []pkix.Extension{
		{Id: oidKeyUsage, Critical: true, Value: kuDER},
		{Id: oidSubjectKeyID, Value: ski},
		{Id: oidAuthorityKeyID, Value: aki},
	}
	if t.CA {
		bc, _ := asn1.Marshal(struct {
			IsCA    bool
			PathLen int
		}{true, 0})
		exts = append(exts, pkix.Extension{Id: oidBasicConstraints, Critical: true, Value: bc})
	}
	if len(t.ExtKeyUsage) > 0 {
		eku, err := asn1.Marshal(t.ExtKeyUsage)
		if err != nil {
			return nil, err
		}
		exts = append(exts, pkix.Extension{Id: oidExtKeyUsage, Value: eku})
	}
	return append(exts, t.Extensions...), nil
}

type tbsCertList struct {
	Version    int
	Algorithm  pkix.AlgorithmIdentifier
	Issuer     asn1.RawValue
	ThisUpdate time.Time
	NextUpdate time.Time
	Revoked    []revokedEntry `asn1:"optional"`
}

type revokedEntry struct {
	Serial *big.Int
	Date   time.Time
}

// CRL has the CA issue a v2 CRL revoking the given serial numbers.
func (a *Authority) CRL(thisUpdate, nextUpdate time.Time, revoked ...*big.Int) ([]byte, error) {
	tbs := tbsCertList{Version: 1, Issuer: asn1.RawValue{FullBytes: a.rawName}, ThisUpdate: thisUpdate.UTC(), NextUpdate: nextUpdate.UTC()}
	for _, s := range revoked {
		tbs.Revoked = append(tbs.Revoked, revokedEntry{Serial: s, Date: thisUpdate.UTC()})
	}
	return a.sign(&tbs.Algorithm, func() (any, error) { return tbs, nil }, 0, false)
}

// oidCSCAMasterList is id-icao-cscaMasterList (ICAO 9303-12 9).
var oidCSCAMasterList = asn1.ObjectIdentifier{2, 23, 136, 1, 1, 2}

// MasterList makes an ICAO CSCA master list of the given certificates,
// signed by a Master List Signer.
func MasterList(signer *Authority, certs ...[]byte) ([]byte, error) {
	list := struct {
		Version  int
		CertList []asn1.RawValue `asn1:"set"`
	}{}
	for _, c := range certs {
		list.CertList = append(list.CertList, asn1.RawValue{FullBytes: c})
	}
	content, err := asn1.Marshal(list)
	if err != nil {
		return nil, err
	}
	return sod.SignData(oidCSCAMasterList, content, signer.Key, signer.Cert)
}
