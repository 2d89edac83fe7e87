package emrtd

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/rsa"
	"crypto/subtle"
	"encoding/asn1"
	"errors"
	"fmt"
	"io"
	"math/big"

	"github.com/xanode/xanode/reader/iso7816"
	"github.com/xanode/xanode/reader/keys"
)

// ErrActiveAuthentication means the chip's answer to INTERNAL AUTHENTICATE
// is not a valid signature of the challenge by the DG15 key: the chip does
// not hold that key (cloned chip?).
var ErrActiveAuthentication = errors.New("emrtd: active authentication failed: the chip's signature does not verify with the DG15 key (cloned chip?)")

// AAChallengeLen is the length of an Active Authentication challenge
// (RND.IFD, ICAO 9303-11 6.1).
const AAChallengeLen = 8

const (
	insInternalAuthenticate = 0x88
	tagDG15                 = iso7816.Tag(0x6F)
)

// ParseDG15 decodes DG15, the chip's Active Authentication public key
// (tag 6F around a SubjectPublicKeyInfo).
func ParseDG15(b []byte) (crypto.PublicKey, error) {
	v, err := iso7816.Unwrap(b, tagDG15)
	if err != nil {
		return nil, fmt.Errorf("DG15: %w", err)
	}
	k, err := keys.ParsePublicKey(v)
	if err != nil {
		return nil, fmt.Errorf("DG15: %w", err)
	}
	return k, nil
}

// MarshalDG15 encodes a public key as DG15.
func MarshalDG15(pub crypto.PublicKey) ([]byte, error) {
	spki, err := keys.MarshalPublicKey(pub, false)
	if err != nil {
		return nil, err
	}
	return iso7816.EncodeTLV(tagDG15, spki), nil
}

// ActiveAuthentication sends INTERNAL AUTHENTICATE with a random 8-byte
// challenge and verifies the chip's signature with the DG15 key (ICAO
// 9303-11 6.1). info comes from DG14 and names the ECDSA hash; nil is fine
// for RSA keys. A wrong signature is ErrActiveAuthentication.
func (s *Session) ActiveAuthentication(ctx context.Context, pub crypto.PublicKey, info *ActiveAuthenticationInfo) error {
	challenge := make([]byte, AAChallengeLen)
	if err := s.random(challenge); err != nil {
		return err
	}
	sig, err := s.InternalAuthenticate(ctx, pub, challenge)
	if err != nil {
		return err
	}
	return VerifyActiveAuthentication(pub, info, challenge, sig)
}

// InternalAuthenticate has the chip sign challenge (AAChallengeLen bytes)
// with its Active Authentication key, whose public half pub is, and
// returns the signature unchecked: for a challenge someone else chose,
// who verifies the answer later.
func (s *Session) InternalAuthenticate(ctx context.Context, pub crypto.PublicKey, challenge []byte) ([]byte, error) {
	if len(challenge) != AAChallengeLen {
		return nil, fmt.Errorf("emrtd: active authentication challenge of %d bytes, want %d", len(challenge), AAChallengeLen)
	}
	cmd := iso7816.Command{INS: insInternalAuthenticate, Data: challenge, Ne: iso7816.MaxShortNe}
	// An RSA-2048 signature (256 bytes) under secure messaging makes an
	// answer of some 290 bytes, more than a short APDU carries (as for
	// READ BINARY, MaxRead is the most that fits): ask with extended
	// length when the chip takes it.
	if k, ok := pub.(*rsa.PublicKey); ok && k.Size() > MaxRead && s.maxRead > MaxRead {
		cmd.Ne = iso7816.MaxExtendedNe
	}
	return s.call(ctx, "INTERNAL AUTHENTICATE", cmd)
}

// VerifyActiveAuthentication checks an Active Authentication signature:
// ISO/IEC 9796-2 scheme 1 with message recovery for RSA, ECDSA (plain r||s
// or DER) with the hash of info's algorithm for EC keys.
func VerifyActiveAuthentication(pub crypto.PublicKey, info *ActiveAuthenticationInfo, challenge, sig []byte) error {
	switch k := pub.(type) {
	case *rsa.PublicKey:
		if _, err := RecoverISO9796(k, challenge, sig); err != nil {
			return fmt.Errorf("%w: %v", ErrActiveAuthentication, err)
		}
		return nil
	case *ecdsa.PublicKey:
		hash := aaHash(k, info)
		alg, _ := keys.PlainECDSA(hash)
		if len(sig) > 0 && sig[0] == 0x30 {
			var rs struct{ R, S *big.Int }
			if rest, err := asn1.Unmarshal(sig, &rs); err == nil && len(rest) == 0 {
				alg, _ = keys.SignatureAlgorithm(k, hash, false)
			}
		}
		if err := keys.Verify(k, alg, 0, challenge, sig); err != nil {
			return fmt.Errorf("%w: %v", ErrActiveAuthentication, err)
		}
		return nil
	}
	return fmt.Errorf("active authentication: %w: key type %T", ErrUnsupported, pub)
}

// aaHash is the hash of ActiveAuthenticationInfo's algorithm, or when DG14
// gives none, the hash matching the curve size as chips do in practice.
func aaHash(k *ecdsa.PublicKey, info *ActiveAuthenticationInfo) crypto.Hash {
	if info != nil {
		if h, isEC, ok := keys.HashOfSignature(info.SignatureAlgorithm); ok && isEC {
			return h
		}
	}
	switch bits := k.Curve.Params().BitSize; {
	case bits > 384:
		return crypto.SHA512
	case bits > 256:
		return crypto.SHA384
	}
	return crypto.SHA256
}

// ISO/IEC 9796-2 trailers: BC means SHA-1; xx CC names the hash by xx.
var iso9796Hashes = map[byte]crypto.Hash{0x33: crypto.SHA1, 0x34: crypto.SHA256, 0x35: crypto.SHA512, 0x36: crypto.SHA384, 0x38: crypto.SHA224}

// RecoverISO9796 verifies an ISO/IEC 9796-2 scheme 1 signature with partial
// message recovery over M = M1 || challenge, as RSA Active Authentication
// makes it, and returns the recovered M1.
func RecoverISO9796(pub *rsa.PublicKey, challenge, sig []byte) ([]byte, error) {
	k := pub.Size()
	s := new(big.Int).SetBytes(sig)
	if len(sig) != k || s.Cmp(pub.N) >= 0 {
		return nil, fmt.Errorf("signature of %d bytes for a %d-byte modulus", len(sig), k)
	}
	f := new(big.Int).Exp(s, big.NewInt(int64(pub.E)), pub.N)
	m1, err := openISO9796(f.FillBytes(make([]byte, k)), challenge)
	if err != nil {
		// The standard allows the signer to send n - S instead of S.
		alt := new(big.Int).Sub(pub.N, f)
		if m1, err2 := openISO9796(alt.FillBytes(make([]byte, k)), challenge); err2 == nil {
			return m1, nil
		}
		return nil, err
	}
	return m1, nil
}

func openISO9796(f, challenge []byte) ([]byte, error) {
	trailer, hash := 1, crypto.SHA1
	switch {
	case f[len(f)-1] == 0xBC:
	case f[len(f)-1] == 0xCC && iso9796Hashes[f[len(f)-2]] != 0:
		trailer, hash = 2, iso9796Hashes[f[len(f)-2]]
	default:
		return nil, fmt.Errorf("no ISO 9796-2 trailer")
	}
	if f[0]&0xC0 != 0x40 || f[0]&0x20 == 0 {
		return nil, fmt.Errorf("header %02X is not ISO 9796-2 partial recovery", f[0])
	}
	start := 1
	if f[0]&0x0F == 0x0B { // padding: BB..BA before M1
		for start < len(f) && f[start] == 0xBB {
			start++
		}
		if start >= len(f) || f[start] != 0xBA {
			return nil, fmt.Errorf("bad ISO 9796-2 padding")
		}
		start++
	} else if f[0]&0x0F != 0x0A {
		return nil, fmt.Errorf("header %02X is not ISO 9796-2", f[0])
	}
	hEnd := len(f) - trailer
	if hEnd-hash.Size() < start {
		return nil, fmt.Errorf("modulus too small for %v", hash)
	}
	m1, h := f[start:hEnd-hash.Size()], f[hEnd-hash.Size():hEnd]
	d := hash.New()
	d.Write(m1)
	d.Write(challenge)
	if subtle.ConstantTimeCompare(d.Sum(nil), h) != 1 {
		return nil, fmt.Errorf("recovered hash does not match M1 || challenge")
	}
	return append([]byte(nil), m1...), nil
}

// EncodeISO9796 returns F = 6A || M1 || SHA-1(M1 || challenge) || BC for a
// k-byte modulus, with M1 filling the rest: the message representative an
// RSA chip signs for Active Authentication.
func EncodeISO9796(m1, challenge []byte, k int) ([]byte, error) {
	if len(m1) != k-22 {
		return nil, fmt.Errorf("emrtd: M1 of %d bytes for a %d-byte modulus, want %d", len(m1), k, k-22)
	}
	h := crypto.SHA1.New()
	h.Write(m1)
	h.Write(challenge)
	f := append([]byte{0x6A}, m1...)
	return append(append(f, h.Sum(nil)...), 0xBC), nil
}

// SignActiveAuthentication is the chip's side of Active Authentication for
// a software card: ISO 9796-2 with SHA-1 and a random M1 for RSA keys,
// ECDSA over SHA-256 as plain r || s for EC keys.
func SignActiveAuthentication(key crypto.Signer, challenge []byte, r io.Reader) ([]byte, error) {
	if r == nil {
		r = rand.Reader
	}
	switch k := key.(type) {
	case *rsa.PrivateKey:
		m1 := make([]byte, k.Size()-22)
		if _, err := io.ReadFull(r, m1); err != nil {
			return nil, err
		}
		f, err := EncodeISO9796(m1, challenge, k.Size())
		if err != nil {
			return nil, err
		}
		s := new(big.Int).Exp(new(big.Int).SetBytes(f), k.D, k.N)
		return s.FillBytes(make([]byte, k.Size())), nil
	case *ecdsa.PrivateKey:
		h := crypto.SHA256.New()
		h.Write(challenge)
		rr, ss, err := ecdsa.Sign(r, k, h.Sum(nil))
		if err != nil {
			return nil, err
		}
		n := (k.Curve.Params().N.BitLen() + 7) / 8
		return append(rr.FillBytes(make([]byte, n)), ss.FillBytes(make([]byte, n))...), nil
	}
	return nil, fmt.Errorf("active authentication: %w: key type %T", ErrUnsupported, key)
}
