package keys

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"fmt"
	"math/big"
)

// Errors of this package.
var (
	// ErrMalformed means a key or signature structure is not valid DER of
	// the expected shape.
	ErrMalformed = errors.New("keys: malformed")
	// ErrUnsupported means an algorithm, curve or parameter this package
	// does not know.
	ErrUnsupported = errors.New("keys: unsupported")
	// ErrSignature means a signature does not verify.
	ErrSignature = errors.New("keys: signature does not verify")
)

// Object identifiers of key types (RFC 3279, RFC 5480, RFC 4055).
var (
	OIDECPublicKey   = asn1.ObjectIdentifier{1, 2, 840, 10045, 2, 1}
	OIDRSAEncryption = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 1}
	OIDRSAPSS        = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 10}
	oidPrimeField    = asn1.ObjectIdentifier{1, 2, 840, 10045, 1, 1}
	// OIDStandardizedDomainParameters (BSI TR-03110) names an EC curve by
	// its ICAO parameter ID, as some DG14 keys and PACE-CAM do.
	OIDStandardizedDomainParameters = asn1.ObjectIdentifier{0, 4, 0, 127, 0, 7, 1, 2}
)

type subjectPublicKeyInfo struct {
	Algorithm pkix.AlgorithmIdentifier
	PublicKey asn1.BitString
}

// ecParameters is SpecifiedECDomain of RFC 3279 / SEC 1 with a prime field.
type ecParameters struct {
	Version  int
	FieldID  fieldID
	Curve    curveCoefficients
	Base     []byte
	Order    *big.Int
	Cofactor *big.Int `asn1:"optional"`
}

type fieldID struct {
	FieldType asn1.ObjectIdentifier
	Prime     *big.Int
}

type curveCoefficients struct {
	A, B []byte
	Seed asn1.BitString `asn1:"optional"`
}

type rsaPublicKey struct {
	N *big.Int
	E int
}

// ParsePublicKey decodes a DER SubjectPublicKeyInfo holding an RSA key or
// an EC key on a known curve, named or given by explicit parameters. It
// returns *rsa.PublicKey or *ecdsa.PublicKey; an EC point must lie on its
// curve.
func ParsePublicKey(der []byte) (crypto.PublicKey, error) {
	var spki subjectPublicKeyInfo
	if err := unmarshalAll(der, &spki); err != nil {
		return nil, fmt.Errorf("%w: SubjectPublicKeyInfo: %v", ErrMalformed, err)
	}
	return PublicKeyFrom(spki.Algorithm, spki.PublicKey.RightAlign())
}

// PublicKeyFrom decodes a public key given as an algorithm identifier and
// the key bits, as SubjectPublicKeyInfo and ICAO's ChipAuthenticationPublicKeyInfo carry them.
func PublicKeyFrom(alg pkix.AlgorithmIdentifier, key []byte) (crypto.PublicKey, error) {
	switch {
	case alg.Algorithm.Equal(OIDECPublicKey), alg.Algorithm.Equal(OIDStandardizedDomainParameters):
		c, err := curveOf(alg)
		if err != nil {
			return nil, err
		}
		x, y, err := c.DecodePoint(key)
		if err != nil {
			return nil, err
		}
		return &ecdsa.PublicKey{Curve: c.Curve, X: x, Y: y}, nil
	case alg.Algorithm.Equal(OIDRSAEncryption), alg.Algorithm.Equal(OIDRSAPSS):
		var k rsaPublicKey
		if err := unmarshalAll(key, &k); err != nil {
			return nil, fmt.Errorf("%w: RSA public key: %v", ErrMalformed, err)
		}
		if k.N.Sign() <= 0 || k.N.BitLen() < 1024 || k.E < 3 || k.E%2 == 0 {
			return nil, fmt.Errorf("%w: RSA key of %d bits with exponent %d", ErrUnsupported, k.N.BitLen(), k.E)
		}
		return &rsa.PublicKey{N: k.N, E: k.E}, nil
	}
	return nil, fmt.Errorf("%w: public key algorithm %v", ErrUnsupported, alg.Algorithm)
}

func curveOf(alg pkix.AlgorithmIdentifier) (*Curve, error) {
	if !alg.Algorithm.Equal(OIDStandardizedDomainParameters) {
		return ParseECParameters(alg.Parameters.FullBytes)
	}
	var id int
	if err := unmarshalAll(alg.Parameters.FullBytes, &id); err != nil {
		return nil, fmt.Errorf("%w: standardized domain parameter ID: %v", ErrMalformed, err)
	}
	c, ok := CurveByParameterID(id)
	if !ok {
		return nil, fmt.Errorf("%w: standardized domain parameters %d", ErrUnsupported, id)
	}
	return c, nil
}

// ParseECParameters decodes ECParameters: a namedCurve OID or explicit
// SpecifiedECDomain parameters, which must equal those of a known curve.
func ParseECParameters(der []byte) (*Curve, error) {
	if len(der) == 0 {
		return nil, fmt.Errorf("%w: EC key without domain parameters", ErrMalformed)
	}
	if der[0] == asn1.TagOID {
		var oid asn1.ObjectIdentifier
		if err := unmarshalAll(der, &oid); err != nil {
			return nil, fmt.Errorf("%w: named curve: %v", ErrMalformed, err)
		}
		c, ok := CurveByOID(oid)
		if !ok {
			return nil, fmt.Errorf("%w: curve %v", ErrUnsupported, oid)
		}
		return c, nil
	}
	var p ecParameters
	if err := unmarshalAll(der, &p); err != nil {
		return nil, fmt.Errorf("%w: explicit EC parameters: %v", ErrMalformed, err)
	}
	if !p.FieldID.FieldType.Equal(oidPrimeField) || p.FieldID.Prime == nil || p.FieldID.Prime.Sign() <= 0 || p.Order == nil {
		return nil, fmt.Errorf("%w: explicit EC parameters over field %v", ErrUnsupported, p.FieldID.FieldType)
	}
	if p.Cofactor != nil && p.Cofactor.Cmp(big.NewInt(1)) != 0 {
		return nil, fmt.Errorf("%w: EC cofactor %v", ErrUnsupported, p.Cofactor)
	}
	a, b := new(big.Int).SetBytes(p.Curve.A), new(big.Int).SetBytes(p.Curve.B)
	gx, gy, err := decodePoint(p.FieldID.Prime, a, b, p.Base)
	if err != nil {
		return nil, fmt.Errorf("explicit EC parameters: base point: %w", err)
	}
	c, ok := match(p.FieldID.Prime, a, b, gx, gy, p.Order)
	if !ok {
		return nil, fmt.Errorf("%w: explicit EC parameters of %d bits match no known curve", ErrUnsupported, p.FieldID.Prime.BitLen())
	}
	return c, nil
}

// MarshalPublicKey encodes an RSA or EC public key as DER
// SubjectPublicKeyInfo. With explicit, an EC key's curve is written as
// explicit domain parameters instead of its OID, as some CSCAs do.
func MarshalPublicKey(pub crypto.PublicKey, explicit bool) ([]byte, error) {
	alg, bits, err := marshalKey(pub, explicit)
	if err != nil {
		return nil, err
	}
	return asn1.Marshal(subjectPublicKeyInfo{Algorithm: alg, PublicKey: asn1.BitString{Bytes: bits, BitLength: 8 * len(bits)}})
}

func marshalKey(pub crypto.PublicKey, explicit bool) (pkix.AlgorithmIdentifier, []byte, error) {
	switch k := pub.(type) {
	case *rsa.PublicKey:
		bits, err := asn1.Marshal(rsaPublicKey{N: k.N, E: k.E})
		return pkix.AlgorithmIdentifier{Algorithm: OIDRSAEncryption, Parameters: asn1.NullRawValue}, bits, err
	case *ecdsa.PublicKey:
		c, ok := Of(k.Curve)
		if !ok {
			return pkix.AlgorithmIdentifier{}, nil, fmt.Errorf("%w: curve %s", ErrUnsupported, k.Curve.Params().Name)
		}
		params, err := c.MarshalParameters(explicit)
		if err != nil {
			return pkix.AlgorithmIdentifier{}, nil, err
		}
		return pkix.AlgorithmIdentifier{Algorithm: OIDECPublicKey, Parameters: asn1.RawValue{FullBytes: params}}, c.EncodePoint(k.X, k.Y), nil
	}
	return pkix.AlgorithmIdentifier{}, nil, fmt.Errorf("%w: key type %T", ErrUnsupported, pub)
}

// MarshalParameters encodes the curve as ECParameters: its OID, or with
// explicit, the full SpecifiedECDomain (version 1, prime field, a, b,
// uncompressed base point, order, cofactor 1).
func (c *Curve) MarshalParameters(explicit bool) ([]byte, error) {
	if !explicit {
		return asn1.Marshal(c.OID)
	}
	p := c.Params()
	return asn1.Marshal(ecParameters{
		Version:  1,
		FieldID:  fieldID{FieldType: oidPrimeField, Prime: p.P},
		Curve:    curveCoefficients{A: c.fieldBytes(c.A), B: c.fieldBytes(c.B)},
		Base:     c.EncodePoint(p.Gx, p.Gy),
		Order:    p.N,
		Cofactor: big.NewInt(1),
	})
}

func (c *Curve) size() int { return (c.Params().P.BitLen() + 7) / 8 }

func (c *Curve) fieldBytes(v *big.Int) []byte { return v.FillBytes(make([]byte, c.size())) }

// EncodePoint returns the uncompressed encoding 04 || X || Y.
func (c *Curve) EncodePoint(x, y *big.Int) []byte {
	out := make([]byte, 1+2*c.size())
	out[0] = 4
	x.FillBytes(out[1 : 1+c.size()])
	y.FillBytes(out[1+c.size():])
	return out
}

// DecodePoint decodes an uncompressed or compressed point and checks that
// it lies on the curve (and is not the point at infinity).
func (c *Curve) DecodePoint(b []byte) (x, y *big.Int, err error) {
	x, y, err = decodePoint(c.Params().P, c.A, c.B, b)
	if err != nil {
		return nil, nil, err
	}
	if !c.IsOnCurve(x, y) {
		return nil, nil, fmt.Errorf("%w: point not on %s", ErrMalformed, c.Name)
	}
	return x, y, nil
}

// decodePoint decodes a point of y² = x³ + ax + b mod p (SEC 1 2.3.4) and
// checks the equation, so that explicit parameters cannot smuggle in a
// point of another curve.
func decodePoint(p, a, b *big.Int, enc []byte) (x, y *big.Int, err error) {
	size := (p.BitLen() + 7) / 8
	switch {
	case len(enc) == 1+2*size && enc[0] == 4:
		x = new(big.Int).SetBytes(enc[1 : 1+size])
		y = new(big.Int).SetBytes(enc[1+size:])
	case len(enc) == 1+size && (enc[0] == 2 || enc[0] == 3):
		x = new(big.Int).SetBytes(enc[1:])
		y = new(big.Int).ModSqrt(rhs(p, a, b, x), p)
		if y == nil {
			return nil, nil, fmt.Errorf("%w: compressed point has no y", ErrMalformed)
		}
		if y.Bit(0) != uint(enc[0]&1) {
			y.Sub(p, y)
		}
	default:
		return nil, nil, fmt.Errorf("%w: EC point of %d bytes for a %d-byte field", ErrMalformed, len(enc), size)
	}
	if x.Cmp(p) >= 0 || y.Cmp(p) >= 0 {
		return nil, nil, fmt.Errorf("%w: EC point coordinates out of range", ErrMalformed)
	}
	if new(big.Int).Mul(y, y).Mod(new(big.Int).Mul(y, y), p).Cmp(rhs(p, a, b, x)) != 0 {
		return nil, nil, fmt.Errorf("%w: EC point not on the curve", ErrMalformed)
	}
	return x, y, nil
}

// rhs is x³ + ax + b mod p.
func rhs(p, a, b, x *big.Int) *big.Int {
	r := new(big.Int).Exp(x, big.NewInt(3), p)
	r.Add(r, new(big.Int).Mul(a, x))
	r.Add(r, b)
	return r.Mod(r, p)
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
