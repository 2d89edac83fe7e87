package keys

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/rsa"
	_ "crypto/sha1" // hashes named by signature OIDs must be linked for crypto.Hash.New
	_ "crypto/sha256"
	_ "crypto/sha512"
	"crypto/x509/pkix"
	"encoding/asn1"
	"fmt"
	"math/big"
)

type sigKind int

const (
	kindECDSA      sigKind = iota + 1 // DER SEQUENCE {r, s}
	kindECDSAPlain                    // BSI TR-03111 plain r || s
	kindRSA                           // PKCS #1 v1.5
)

// signatureAlgorithms are the named signature algorithms of RFC 5758,
// RFC 8017 and BSI TR-03111 (ecdsa-plain-*), which eMRTD PKIs use.
var signatureAlgorithms = []struct {
	oid  asn1.ObjectIdentifier
	hash crypto.Hash
	kind sigKind
}{
	{asn1.ObjectIdentifier{1, 2, 840, 10045, 4, 1}, crypto.SHA1, kindECDSA},
	{asn1.ObjectIdentifier{1, 2, 840, 10045, 4, 3, 1}, crypto.SHA224, kindECDSA},
	{asn1.ObjectIdentifier{1, 2, 840, 10045, 4, 3, 2}, crypto.SHA256, kindECDSA},
	{asn1.ObjectIdentifier{1, 2, 840, 10045, 4, 3, 3}, crypto.SHA384, kindECDSA},
	{asn1.ObjectIdentifier{1, 2, 840, 10045, 4, 3, 4}, crypto.SHA512, kindECDSA},
	{asn1.ObjectIdentifier{0, 4, 0, 127, 0, 7, 1, 1, 4, 1, 1}, crypto.SHA1, kindECDSAPlain},
	{asn1.ObjectIdentifier{0, 4, 0, 127, 0, 7, 1, 1, 4, 1, 2}, crypto.SHA224, kindECDSAPlain},
	{asn1.ObjectIdentifier{0, 4, 0, 127, 0, 7, 1, 1, 4, 1, 3}, crypto.SHA256, kindECDSAPlain},
	{asn1.ObjectIdentifier{0, 4, 0, 127, 0, 7, 1, 1, 4, 1, 4}, crypto.SHA384, kindECDSAPlain},
	{asn1.ObjectIdentifier{0, 4, 0, 127, 0, 7, 1, 1, 4, 1, 5}, crypto.SHA512, kindECDSAPlain},
	{asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 5}, crypto.SHA1, kindRSA},
	{asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 14}, crypto.SHA224, kindRSA},
	{asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 11}, crypto.SHA256, kindRSA},
	{asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 12}, crypto.SHA384, kindRSA},
	{asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 13}, crypto.SHA512, kindRSA},
}

// Hash algorithm identifiers (RFC 5754, RFC 3279).
var hashOIDs = []struct {
	oid  asn1.ObjectIdentifier
	hash crypto.Hash
}{
	{asn1.ObjectIdentifier{1, 3, 14, 3, 2, 26}, crypto.SHA1},
	{asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 4}, crypto.SHA224},
	{asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 1}, crypto.SHA256},
	{asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 2}, crypto.SHA384},
	{asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 3}, crypto.SHA512},
}

// HashByOID returns the hash function of a digest algorithm OID.
func HashByOID(oid asn1.ObjectIdentifier) (crypto.Hash, bool) {
	for _, h := range hashOIDs {
		if h.oid.Equal(oid) {
			return h.hash, true
		}
	}
	return 0, false
}

// HashOID returns the digest algorithm OID of a hash function.
func HashOID(h crypto.Hash) (asn1.ObjectIdentifier, bool) {
	for _, x := range hashOIDs {
		if x.hash == h {
			return x.oid, true
		}
	}
	return nil, false
}

var oidMGF1 = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 8}

// pssParameters is RSASSA-PSS-params of RFC 4055 with its defaults (SHA-1,
// MGF1 with SHA-1, salt 20, trailer 1).
type pssParameters struct {
	Hash         pkix.AlgorithmIdentifier `asn1:"optional,explicit,tag:0"`
	MGF          pkix.AlgorithmIdentifier `asn1:"optional,explicit,tag:1"`
	SaltLength   int                      `asn1:"optional,explicit,tag:2,default:20"`
	TrailerField int                      `asn1:"optional,explicit,tag:3,default:1"`
}

// Verify checks sig over msg with pub under the signature algorithm alg:
// ECDSA (DER or BSI plain encoding) on any known curve, RSA PKCS #1 v1.5,
// or RSASSA-PSS with its parameters. Some EF.SODs name only the key type
// (id-ecPublicKey, rsaEncryption) or give PSS without parameters; then
// digest, the SignerInfo's digest algorithm, names the hash. A wrong
// signature is ErrSignature; an algorithm that does not fit the key is
// ErrUnsupported.
func Verify(pub crypto.PublicKey, alg pkix.AlgorithmIdentifier, digest crypto.Hash, msg, sig []byte) error {
	hash, kind, pss, err := resolve(alg, digest)
	if err != nil {
		return err
	}
	if !hash.Available() {
		return fmt.Errorf("%w: hash %v", ErrUnsupported, hash)
	}
	h := hash.New()
	h.Write(msg)
	sum := h.Sum(nil)
	switch k := pub.(type) {
	case *ecdsa.PublicKey:
		if kind != kindECDSA && kind != kindECDSAPlain {
			return fmt.Errorf("%w: signature algorithm %v with an EC key", ErrUnsupported, alg.Algorithm)
		}
		if kind == kindECDSAPlain {
			if sig, err = plainToDER(sig); err != nil {
				return err
			}
		}
		if !ecdsa.VerifyASN1(k, sum, sig) {
			return ErrSignature
		}
		return nil
	case *rsa.PublicKey:
		switch {
		case pss != nil:
			err = rsa.VerifyPSS(k, hash, sum, sig, pss)
		case kind == kindRSA:
			err = rsa.VerifyPKCS1v15(k, hash, sum, sig)
		default:
			return fmt.Errorf("%w: signature algorithm %v with an RSA key", ErrUnsupported, alg.Algorithm)
		}
		if err != nil {
			return fmt.Errorf("%w: %v", ErrSignature, err)
		}
		return nil
	}
	return fmt.Errorf("%w: key type %T", ErrUnsupported, pub)
}

// resolve turns a signature AlgorithmIdentifier into hash, encoding and,
// for RSASSA-PSS, the options.
func resolve(alg pkix.AlgorithmIdentifier, digest crypto.Hash) (crypto.Hash, sigKind, *rsa.PSSOptions, error) {
	oid := alg.Algorithm
	for _, a := range signatureAlgorithms {
		if oid.Equal(a.oid) {
			return a.hash, a.kind, nil, nil
		}
	}
	unsupported := fmt.Errorf("%w: signature algorithm %v", ErrUnsupported, oid)
	switch {
	case oid.Equal(OIDECPublicKey) && digest != 0:
		return digest, kindECDSA, nil, nil
	case oid.Equal(OIDRSAEncryption) && digest != 0:
		return digest, kindRSA, nil, nil
	case oid.Equal(OIDRSAPSS):
		pss, hash, err := pssOptions(alg, digest)
		return hash, kindRSA, pss, err
	}
	return 0, 0, nil, unsupported
}

func pssOptions(alg pkix.AlgorithmIdentifier, digest crypto.Hash) (*rsa.PSSOptions, crypto.Hash, error) {
	params := alg.Parameters.FullBytes
	if len(params) == 0 || (alg.Parameters.Tag == asn1.TagNull && alg.Parameters.Class == asn1.ClassUniversal) {
		if digest == 0 {
			return nil, 0, fmt.Errorf("%w: RSASSA-PSS without parameters or digest", ErrUnsupported)
		}
		return &rsa.PSSOptions{SaltLength: digest.Size(), Hash: digest}, digest, nil
	}
	var p pssParameters
	if err := unmarshalAll(params, &p); err != nil {
		return nil, 0, fmt.Errorf("%w: RSASSA-PSS parameters: %v", ErrMalformed, err)
	}
	hash := crypto.SHA1
	if p.Hash.Algorithm != nil {
		var ok bool
		if hash, ok = HashByOID(p.Hash.Algorithm); !ok {
			return nil, 0, fmt.Errorf("%w: RSASSA-PSS hash %v", ErrUnsupported, p.Hash.Algorithm)
		}
	}
	// crypto/rsa's MGF1 always uses the message hash; other MGFs are refused.
	mgfHash := crypto.SHA1
	if p.MGF.Algorithm != nil {
		if !p.MGF.Algorithm.Equal(oidMGF1) {
			return nil, 0, fmt.Errorf("%w: RSASSA-PSS mask generation %v", ErrUnsupported, p.MGF.Algorithm)
		}
		var inner pkix.AlgorithmIdentifier
		if err := unmarshalAll(p.MGF.Parameters.FullBytes, &inner); err != nil {
			return nil, 0, fmt.Errorf("%w: MGF1 parameters: %v", ErrMalformed, err)
		}
		var ok bool
		if mgfHash, ok = HashByOID(inner.Algorithm); !ok {
			return nil, 0, fmt.Errorf("%w: MGF1 hash %v", ErrUnsupported, inner.Algorithm)
		}
	}
	if mgfHash != hash || p.TrailerField != 1 || p.SaltLength < 0 {
		return nil, 0, fmt.Errorf("%w: RSASSA-PSS with MGF1 %v, trailer %d, salt %d", ErrUnsupported, mgfHash, p.TrailerField, p.SaltLength)
	}
	return &rsa.PSSOptions{SaltLength: p.SaltLength, Hash: hash}, hash, nil
}

// plainToDER converts a BSI TR-03111 plain signature r || s into the DER
// SEQUENCE crypto/ecdsa reads.
func plainToDER(sig []byte) ([]byte, error) {
	if len(sig) == 0 || len(sig)%2 != 0 {
		return nil, fmt.Errorf("%w: plain ECDSA signature of %d bytes", ErrSignature, len(sig))
	}
	n := len(sig) / 2
	return asn1.Marshal(struct{ R, S *big.Int }{new(big.Int).SetBytes(sig[:n]), new(big.Int).SetBytes(sig[n:])})
}

// SignatureAlgorithm returns the AlgorithmIdentifier for signatures by a
// key of pub's type with hash: ecdsa-with-SHA*, sha*WithRSAEncryption, or,
// with pss, RSASSA-PSS with MGF1 over the same hash and a salt as long as
// the hash. It is what the test PKI and the emulator's issuer sign with.
func SignatureAlgorithm(pub crypto.PublicKey, hash crypto.Hash, pss bool) (pkix.AlgorithmIdentifier, error) {
	var kind sigKind
	switch pub.(type) {
	case *ecdsa.PublicKey:
		kind = kindECDSA
	case *rsa.PublicKey:
		kind = kindRSA
	default:
		return pkix.AlgorithmIdentifier{}, fmt.Errorf("%w: key type %T", ErrUnsupported, pub)
	}
	if pss && kind == kindRSA {
		return pssAlgorithm(hash)
	}
	for _, a := range signatureAlgorithms {
		if a.kind == kind && a.hash == hash {
			id := pkix.AlgorithmIdentifier{Algorithm: a.oid}
			if kind == kindRSA {
				id.Parameters = asn1.NullRawValue
			}
			return id, nil
		}
	}
	return pkix.AlgorithmIdentifier{}, fmt.Errorf("%w: hash %v", ErrUnsupported, hash)
}

func pssAlgorithm(hash crypto.Hash) (pkix.AlgorithmIdentifier, error) {
	oid, ok := HashOID(hash)
	if !ok {
		return pkix.AlgorithmIdentifier{}, fmt.Errorf("%w: hash %v", ErrUnsupported, hash)
	}
	hashAlg := pkix.AlgorithmIdentifier{Algorithm: oid, Parameters: asn1.NullRawValue}
	inner, err := asn1.Marshal(hashAlg)
	if err != nil {
		return pkix.AlgorithmIdentifier{}, err
	}
	params, err := asn1.Marshal(pssParameters{
		Hash:         hashAlg,
		MGF:          pkix.AlgorithmIdentifier{Algorithm: oidMGF1, Parameters: asn1.RawValue{FullBytes: inner}},
		SaltLength:   hash.Size(),
		TrailerField: 1,
	})
	if err != nil {
		return pkix.AlgorithmIdentifier{}, err
	}
	return pkix.AlgorithmIdentifier{Algorithm: OIDRSAPSS, Parameters: asn1.RawValue{FullBytes: params}}, nil
}

// HashOfSignature returns the hash of a named signature algorithm, and
// whether it is an ECDSA one.
func HashOfSignature(oid asn1.ObjectIdentifier) (h crypto.Hash, ecdsa bool, ok bool) {
	for _, a := range signatureAlgorithms {
		if a.oid.Equal(oid) {
			return a.hash, a.kind != kindRSA, true
		}
	}
	return 0, false, false
}

// PlainECDSA returns the BSI ecdsa-plain-* algorithm for hash, whose
// signatures are r || s as chips send them.
func PlainECDSA(hash crypto.Hash) (pkix.AlgorithmIdentifier, bool) {
	for _, a := range signatureAlgorithms {
		if a.kind == kindECDSAPlain && a.hash == hash {
			return pkix.AlgorithmIdentifier{Algorithm: a.oid}, true
		}
	}
	return pkix.AlgorithmIdentifier{}, false
}
