// Package keys reads and writes the public keys of the eMRTD world and
// checks signatures made with them. Country signing CAs, Document Signers
// and chips use RSA and ECDSA on NIST and brainpool curves, often with the
// curve given as explicit domain parameters (Vietnam's CSCA does this on
// brainpoolP512r1). Go's crypto/x509 refuses every non-NIST curve, named or
// explicit, so this package parses SubjectPublicKeyInfo itself, matches
// explicit parameters to the curves it knows, and verifies with
// crypto/ecdsa and crypto/rsa, which work on any elliptic.Curve.
package keys

import (
	"crypto/elliptic"
	"encoding/asn1"
	"math/big"
	"sync"

	"github.com/osanderson/brainpool"
)

// Curve is an elliptic curve y² = x³ + ax + b over a prime field, with the
// names eMRTD structures give it.
type Curve struct {
	Name string
	// OID is the namedCurve identifier of RFC 5480 and RFC 5639.
	OID asn1.ObjectIdentifier
	// ParameterID is the standardized domain parameter number of ICAO
	// 9303-11 9.5.1 (PACE, Chip Authentication); 0 if it has none.
	ParameterID int
	elliptic.Curve
	// A and B are the curve coefficients. crypto/elliptic assumes a = -3
	// and brainpool's random curves do not have it, so they are kept here.
	A, B *big.Int
}

var (
	curvesOnce sync.Once
	curves     []*Curve
)

// Curves returns every curve the package knows: the NIST curves crypto/ecdsa
// supports natively and the brainpool "r1" curves of RFC 5639.
func Curves() []*Curve {
	curvesOnce.Do(initCurves)
	return curves
}

func initCurves() {
	nist := func(name string, oid asn1.ObjectIdentifier, id int, c elliptic.Curve) *Curve {
		p := c.Params()
		return &Curve{Name: name, OID: oid, ParameterID: id, Curve: c, A: new(big.Int).Sub(p.P, big.NewInt(3)), B: p.B}
	}
	bp := func(name string, arc, id int, c elliptic.Curve) *Curve {
		cv := &Curve{Name: name, OID: asn1.ObjectIdentifier{1, 3, 36, 3, 3, 2, 8, 1, 1, arc}, ParameterID: id, Curve: c}
		cv.A, cv.B = coefficients(c)
		return cv
	}
	curves = []*Curve{
		nist("P-224", asn1.ObjectIdentifier{1, 3, 132, 0, 33}, 10, elliptic.P224()),
		nist("P-256", asn1.ObjectIdentifier{1, 2, 840, 10045, 3, 1, 7}, 12, elliptic.P256()),
		nist("P-384", asn1.ObjectIdentifier{1, 3, 132, 0, 34}, 15, elliptic.P384()),
		nist("P-521", asn1.ObjectIdentifier{1, 3, 132, 0, 35}, 18, elliptic.P521()),
		bp("brainpoolP160r1", 1, 0, brainpool.P160r1()),
		bp("brainpoolP192r1", 3, 9, brainpool.P192r1()),
		bp("brainpoolP224r1", 5, 11, brainpool.P224r1()),
		bp("brainpoolP256r1", 7, 13, brainpool.P256r1()),
		bp("brainpoolP320r1", 9, 14, brainpool.P320r1()),
		bp("brainpoolP384r1", 11, 16, brainpool.P384r1()),
		bp("brainpoolP512r1", 13, 17, brainpool.P512r1()),
	}
}

// coefficients recovers a and b of a curve from two of its points, G and
// 2G: y² - x³ = ax + b is linear in a and b. The brainpool package hides
// them (its Params().B is nil because crypto/elliptic's formulas assume
// a = -3), and deriving them from the package's own arithmetic keeps one
// source of truth; a test checks them against RFC 5639's printed values.
func coefficients(c elliptic.Curve) (a, b *big.Int) {
	p := c.Params()
	x1, y1 := p.Gx, p.Gy
	x2, y2 := c.Double(x1, y1)
	rhs := func(x, y *big.Int) *big.Int { // y² - x³ mod p
		r := new(big.Int).Mul(y, y)
		x3 := new(big.Int).Exp(x, big.NewInt(3), p.P)
		return r.Sub(r, x3).Mod(r, p.P)
	}
	num := new(big.Int).Sub(rhs(x1, y1), rhs(x2, y2))
	den := new(big.Int).Sub(x1, x2)
	den.Mod(den, p.P).ModInverse(den, p.P)
	a = num.Mul(num, den).Mod(num, p.P)
	b = new(big.Int).Mul(a, x1)
	b.Sub(rhs(x1, y1), b).Mod(b, p.P)
	return a, b
}

// CurveByOID returns the curve with the given namedCurve OID.
func CurveByOID(oid asn1.ObjectIdentifier) (*Curve, bool) {
	for _, c := range Curves() {
		if c.OID.Equal(oid) {
			return c, true
		}
	}
	return nil, false
}

// CurveByName returns the curve with the given name, e.g. "brainpoolP256r1".
func CurveByName(name string) (*Curve, bool) {
	for _, c := range Curves() {
		if c.Name == name {
			return c, true
		}
	}
	return nil, false
}

// CurveByParameterID returns the curve of an ICAO standardized domain
// parameter ID (e.g. 13 for brainpoolP256r1).
func CurveByParameterID(id int) (*Curve, bool) {
	for _, c := range Curves() {
		if c.ParameterID == id && id != 0 {
			return c, true
		}
	}
	return nil, false
}

// Of returns the Curve describing an elliptic.Curve the package knows.
func Of(ec elliptic.Curve) (*Curve, bool) {
	for _, c := range Curves() {
		if c.Curve == ec {
			return c, true
		}
	}
	return nil, false
}

// match finds the known curve with these explicit domain parameters. The
// generator must match too: a curve with the right equation and another
// base point is a different group, and signatures on it mean nothing here.
func match(prime, a, b, gx, gy, order *big.Int) (*Curve, bool) {
	for _, c := range Curves() {
		p := c.Params()
		if p.P.Cmp(prime) == 0 && c.A.Cmp(a) == 0 && c.B.Cmp(b) == 0 &&
			p.Gx.Cmp(gx) == 0 && p.Gy.Cmp(gy) == 0 && p.N.Cmp(order) == 0 {
			return c, true
		}
	}
	return nil, false
}
