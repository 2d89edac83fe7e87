package emrtd

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"encoding/asn1"
	"errors"
	"fmt"
	"io"
	"math/big"

	"github.com/xanode/xanode/reader/iso7816"
	"github.com/xanode/xanode/reader/keys"
)

// ErrChipAuthentication means the chip failed Chip Authentication: after
// the key agreement its answers did not verify under the new session keys,
// so it does not hold the private key of the DG14 public key. A chip whose
// data were copied to another chip fails this way.
var ErrChipAuthentication = errors.New("emrtd: chip authentication failed: the chip does not hold the DG14 key (cloned chip?)")

// ErrUnsupported means the chip announces a protocol variant this package
// does not implement (e.g. Chip Authentication with DH).
var ErrUnsupported = errors.New("emrtd: unsupported protocol variant")

// Instructions of Chip Authentication and PACE.
const (
	insMSE                   = 0x22
	insGeneralAuthenticate   = 0x86
	mseSetKAT, mseSetAT      = 0x41, 0x41 // P1: set for computation
	mseKAT, mseAT            = 0xA6, 0xA4 // P2: key agreement / authentication template
	tagDynamicAuthentication = 0x7C
)

// ChipAuthentication runs Chip Authentication (ICAO 9303-11 6.2) against
// the chip's static key from DG14 over the current secure messaging, and
// then switches to session keys from an ephemeral-static ECDH: 3DES through
// MSE:Set KAT, AES through MSE:Set AT and GENERAL AUTHENTICATE. The chip
// proves it holds the private key only by answering under the new keys;
// until its first such answer verifies, a failure is ErrChipAuthentication.
func (s *Session) ChipAuthentication(ctx context.Context, info ChipAuthenticationInfo, key ChipAuthenticationKey) error {
	if s.sm == nil {
		return fmt.Errorf("chip authentication: %w", ErrNoSession)
	}
	c, ecdh, ok := CipherOf(info.Protocol)
	pub, isEC := key.Key.(*ecdsa.PublicKey)
	if !ok || !ecdh || !isEC {
		return fmt.Errorf("chip authentication %v: %w (only ECDH is)", info.Protocol, ErrUnsupported)
	}
	curve, ok := keys.Of(pub.Curve)
	if !ok {
		return fmt.Errorf("chip authentication: %w: curve %s", ErrUnsupported, pub.Curve.Params().Name)
	}
	sk, err := randomScalar(s.randReader(), curve.Curve)
	if err != nil {
		return err
	}
	ephemeral := curve.EncodePoint(curve.ScalarBaseMult(sk))
	k := sharedX(curve, pub.X, pub.Y, sk)
	keyRef := keyReference(info.KeyID, key.KeyID)
	if c == TDES {
		data := iso7816.AppendTLV(nil, 0x91, ephemeral)
		data = append(data, keyRef...)
		if _, err := s.call(ctx, "MSE:Set KAT", iso7816.Command{INS: insMSE, P1: mseSetKAT, P2: mseKAT, Data: data}); err != nil {
			return err
		}
	} else {
		data := iso7816.AppendTLV(nil, 0x80, oidValue(info.Protocol))
		data = append(data, keyRef...)
		if _, err := s.call(ctx, "MSE:Set AT (CA)", iso7816.Command{INS: insMSE, P1: mseSetAT, P2: mseAT, Data: data}); err != nil {
			return err
		}
		ga := iso7816.EncodeTLV(tagDynamicAuthentication, iso7816.EncodeTLV(0x80, ephemeral))
		resp, err := s.call(ctx, "GENERAL AUTHENTICATE (CA)", iso7816.Command{INS: insGeneralAuthenticate, Data: ga, Ne: iso7816.MaxShortNe})
		if err != nil {
			return err
		}
		if _, err := iso7816.Unwrap(resp, tagDynamicAuthentication); err != nil {
			return fmt.Errorf("GENERAL AUTHENTICATE (CA): %w: %w", ErrProtocol, err)
		}
	}
	sm, err := NewSuite(c, k)
	if err != nil {
		return err
	}
	s.sm, s.unconfirmed = sm, true
	return nil
}

// keyReference is DO'84' with the key ID when DG14 gives one.
func keyReference(ids ...int) []byte {
	for _, id := range ids {
		if id >= 0 {
			return iso7816.AppendTLV(nil, 0x84, big.NewInt(int64(id)).Bytes())
		}
	}
	return nil
}

// oidValue is the content octets of an OID, as DO'80' carries it.
func oidValue(oid asn1.ObjectIdentifier) []byte {
	b, _ := asn1.Marshal(oid)
	return b[2:]
}

// randomScalar returns a scalar in [1, n-1], with 64 extra random bits
// to make the reduction's bias negligible.
func randomScalar(r io.Reader, c elliptic.Curve) ([]byte, error) {
	n := c.Params().N
	b := make([]byte, (n.BitLen()+7)/8+8)
	if _, err := io.ReadFull(r, b); err != nil {
		return nil, fmt.Errorf("emrtd: random source: %w", err)
	}
	k := new(big.Int).SetBytes(b)
	k.Mod(k, new(big.Int).Sub(n, big.NewInt(1))).Add(k, big.NewInt(1))
	return k.FillBytes(make([]byte, (n.BitLen()+7)/8)), nil
}

// sharedX is the x-coordinate of sk·(x, y), as long as the field: the
// shared secret K of ECDH key agreement (ICAO 9303-11 9.6).
func sharedX(c *keys.Curve, x, y *big.Int, sk []byte) []byte {
	sx, _ := c.ScalarMult(x, y, sk)
	return sx.FillBytes(make([]byte, (c.Params().P.BitLen()+7)/8))
}

// AnswerChipAuthentication is the chip's side of Chip Authentication for a
// software card: from its static private key and the terminal's ephemeral
// public key, the secure messaging of the new session.
func AnswerChipAuthentication(priv *ecdsa.PrivateKey, c Cipher, terminalKey []byte) (*SecureMessaging, error) {
	curve, ok := keys.Of(priv.Curve)
	if !ok {
		return nil, fmt.Errorf("chip authentication: %w: curve %s", ErrUnsupported, priv.Curve.Params().Name)
	}
	x, y, err := curve.DecodePoint(terminalKey)
	if err != nil {
		return nil, fmt.Errorf("%w: terminal's key: %v", ErrProtocol, err)
	}
	return NewSuite(c, sharedX(curve, x, y, priv.D.FillBytes(make([]byte, (curve.Params().N.BitLen()+7)/8))))
}
