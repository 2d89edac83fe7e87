package emrtd

import (
	"fmt"
	"math/big"
)

// Constants c0 and c1 of the pseudo-random function R(s, t) (ICAO 9303-11
// 4.4.3.3.2): 128 bits for 3DES and AES-128, 256 bits for AES-192/256.
var (
	prfC0128 = []byte{0xA6, 0x68, 0x89, 0x2A, 0x7C, 0x41, 0xE3, 0xCA, 0x73, 0x9F, 0x40, 0xB0, 0x57, 0xD8, 0x59, 0x04}
	prfC1128 = []byte{0xA4, 0xE1, 0x36, 0xAC, 0x72, 0x5F, 0x73, 0x8B, 0x01, 0xC1, 0xF6, 0x02, 0x17, 0xC1, 0x88, 0xAD}
	prfC0256 = []byte{0xD4, 0x63, 0xD6, 0x52, 0x34, 0x12, 0x4E, 0xF7, 0x89, 0x70, 0x54, 0x98, 0x6D, 0xCA, 0x0A, 0x17,
		0x4E, 0x28, 0xDF, 0x75, 0x8C, 0xBA, 0xA0, 0x3F, 0x24, 0x06, 0x16, 0x41, 0x4D, 0x5A, 0x16, 0x76}
	prfC1256 = []byte{0x54, 0xBD, 0x72, 0x55, 0xF0, 0xAA, 0xF8, 0x31, 0xBE, 0xC3, 0x42, 0x3F, 0xCF, 0x39, 0xD6, 0x9B,
		0x6C, 0xBF, 0x06, 0x66, 0x77, 0xD0, 0xFA, 0xAE, 0x5A, 0xAD, 0xD9, 0x9D, 0xF8, 0xE5, 0x35, 0x17}
)

// gmNonceLen is the length of the chip's nonce s for generic and chip
// authentication mapping: one AES block, two DES blocks.
const gmNonceLen = 16

// nonceLen is the length l/8 of the chip's nonce s (ICAO 9303-11
// 4.4.3.3): for integrated mapping the smallest multiple of the block size
// not shorter than the key (k = 128 bits for 3DES), so 16 bytes for 3DES
// and AES-128 and 32 for AES-192/256.
func (p pace) nonceLen() int {
	if p.mapping != IntegratedMapping || p.cipher.KeySize() <= 16 {
		return gmNonceLen
	}
	return 32
}

// integratedMap is integrated mapping: G' = f_G(R_p(s, t)), from the
// chip's nonce s and the terminal's nonce t (as long as the key).
func (p pace) integratedMap(s, t []byte) (gx, gy *big.Int, err error) {
	if len(s) != p.nonceLen() || len(t) != p.cipher.KeySize() {
		return nil, nil, fmt.Errorf("%w: integrated mapping with nonces of %d and %d bytes, want %d and %d",
			ErrProtocol, len(s), len(t), p.nonceLen(), p.cipher.KeySize())
	}
	x, err := p.prf(s, t)
	if err != nil {
		return nil, nil, err
	}
	return p.encodePoint(x.Mod(x, p.curve.Params().P))
}

// prf is R(s, t) of ICAO 9303-11 4.4.3.3.2 before the reduction mod p:
// with E the variant's block cipher in CBC mode with a zero IV,
// k_1 = E(t, s), then x_i = E(k_i, c1) and k_{i+1} = E(k_i, c0), each k_i
// cut to the key size; it returns int(x_1 || ... || x_n) for the smallest
// n with n·l ≥ log2 p + 64.
func (p pace) prf(s, t []byte) (*big.Int, error) {
	c0, c1 := prfC0128, prfC1128
	if len(s) == 32 {
		c0, c1 = prfC0256, prfC1256
	}
	if len(s) != len(c0) {
		return nil, fmt.Errorf("%w: integrated mapping nonce of %d bytes", ErrProtocol, len(s))
	}
	enc := func(key, in []byte) ([]byte, error) {
		b, err := p.block(key[:p.cipher.KeySize()])
		if err != nil {
			return nil, err
		}
		return cbc(b, make([]byte, b.BlockSize()), in, true)
	}
	k, err := enc(t, s)
	if err != nil {
		return nil, err
	}
	l := 8 * len(s)
	n := (p.curve.Params().P.BitLen() + 64 + l - 1) / l
	x := make([]byte, 0, n*len(s))
	for range n {
		xi, err := enc(k, c1)
		if err != nil {
			return nil, err
		}
		if k, err = enc(k, c0); err != nil {
			return nil, err
		}
		x = append(x, xi...)
	}
	return new(big.Int).SetBytes(x), nil
}

// encodePoint is f_G, the point encoding of Brier et al. that ICAO 9303-11
// Appendix B.2 gives in affine coordinates, for 0 < t < p with p ≡ 3 mod 4.
// Every curve this package knows has cofactor 1, so step 10's
// multiplication by the cofactor is the identity.
func (p pace) encodePoint(t *big.Int) (x, y *big.Int, err error) {
	P, a, b := p.curve.Params().P, p.curve.A, p.curve.B
	if t.Sign() <= 0 || t.Cmp(P) >= 0 {
		return nil, nil, fmt.Errorf("%w: integrated mapping: R_p(s,t) = 0", ErrProtocol)
	}
	mul := func(u, v *big.Int) *big.Int { r := new(big.Int).Mul(u, v); return r.Mod(r, P) }
	add := func(u, v *big.Int) *big.Int { r := new(big.Int).Add(u, v); return r.Mod(r, P) }
	neg := func(u *big.Int) *big.Int { r := new(big.Int).Neg(u); return r.Mod(r, P) }
	one := big.NewInt(1)
	// 1. α = -t²
	alpha := neg(mul(t, t))
	// 2. X2 = -b·a⁻¹·(1 + (α + α²)⁻¹) = -b·(1 + α + α²)·(a·(α + α²))⁻¹
	aa := add(alpha, mul(alpha, alpha))
	den := new(big.Int).ModInverse(mul(a, aa), P)
	if den == nil {
		return nil, nil, fmt.Errorf("%w: integrated mapping: a·(α + α²) = 0", ErrProtocol)
	}
	x2 := mul(mul(neg(b), add(one, aa)), den)
	// 3. X3 = α·X2
	x3 := mul(alpha, x2)
	// 4. h2 = X2³ + a·X2 + b (step 5's h3 is not needed in affine form)
	h2 := add(add(mul(mul(x2, x2), x2), mul(a, x2)), b)
	// 6. U = t³·h2
	u := mul(mul(mul(t, t), t), h2)
	// 7. A = h2^(p - 1 - (p + 1)/4)
	e := new(big.Int).Add(P, one)
	e.Rsh(e, 2).Sub(new(big.Int).Sub(P, one), e)
	A := new(big.Int).Exp(h2, e, P)
	// 8./9. (X2, A·h2) if A²·h2 = 1, else (X3, A·U)
	if mul(mul(A, A), h2).Cmp(one) == 0 {
		x, y = x2, mul(A, h2)
	} else {
		x, y = x3, mul(A, u)
	}
	if !p.curve.IsOnCurve(x, y) {
		return nil, nil, fmt.Errorf("%w: integrated mapping: encoded point not on %s", ErrProtocol, p.curve.Name)
	}
	return x, y, nil
}
