package emrtd

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/sha1"
	"encoding/asn1"
	"errors"
	"fmt"
	"math/big"

	"github.com/xanode/xanode/reader/iso7816"
	"github.com/xanode/xanode/reader/keys"
)

// ErrPACENotSupported means the chip does not do PACE, or not a variant
// this package implements: it announces none in EF.CardAccess, or refuses
// the protocol with 6D00. Terminals then fall back to BAC (with the MRZ).
var ErrPACENotSupported = errors.New("emrtd: the chip offers no PACE this reader supports")

// Password references of MSE:Set AT (ICAO 9303-11 4.4.4.1).
const (
	PasswordMRZ byte = 1
	PasswordCAN byte = 2
)

// PACEPassword is the shared secret PACE starts from.
type PACEPassword struct {
	Ref    byte   // PasswordMRZ or PasswordCAN
	Secret []byte // π: SHA-1 of the MRZ information, or the CAN's digits
}

// MRZPassword is the PACE password of the MRZ: SHA-1 of the MRZ
// information (the full 20 bytes, unlike BAC's Kseed).
func MRZPassword(k BACKey) (PACEPassword, error) {
	info, err := k.MRZInformation()
	if err != nil {
		return PACEPassword{}, err
	}
	h := sha1.Sum([]byte(info))
	return PACEPassword{Ref: PasswordMRZ, Secret: h[:]}, nil
}

// CANPassword is the PACE password of a card access number: its digits.
// The Vietnamese CCCD's CAN is the last 6 digits of the personal ID.
func CANPassword(can string) (PACEPassword, error) {
	if len(can) != 6 {
		return PACEPassword{}, fmt.Errorf("%w: CAN %q is not 6 digits", ErrInvalidKey, can)
	}
	for _, c := range can {
		if c < '0' || c > '9' {
			return PACEPassword{}, fmt.Errorf("%w: CAN %q is not 6 digits", ErrInvalidKey, can)
		}
	}
	return PACEPassword{Ref: PasswordCAN, Secret: []byte(can)}, nil
}

// pace is one PACE variant: generic mapping over ECDH on a known curve.
type pace struct {
	protocol asn1.ObjectIdentifier
	cipher   Cipher
	curve    *keys.Curve
}

// paceFor checks that info is a variant this package runs: ECDH generic
// mapping (id-PACE-ECDH-GM-*) on a standardized curve.
func paceFor(info PACEInfo) (pace, error) {
	arc, c, ok := underArc(info.Protocol, oidPACE)
	if !ok || arc != arcECDH {
		return pace{}, fmt.Errorf("%w: %v (only ECDH generic mapping is)", ErrPACENotSupported, info.Protocol)
	}
	curve, ok := keys.CurveByParameterID(info.ParameterID)
	if !ok {
		return pace{}, fmt.Errorf("%w: domain parameters %d", ErrPACENotSupported, info.ParameterID)
	}
	return pace{protocol: info.Protocol, cipher: c, curve: curve}, nil
}

// SupportedPACE returns the first PACEInfo this package can run.
func SupportedPACE(infos *SecurityInfos) (PACEInfo, bool) {
	for _, p := range infos.PACE {
		if _, err := paceFor(p); err == nil {
			return p, true
		}
	}
	return PACEInfo{}, false
}

// kpi is K_π = KDF(π, 3).
func (p pace) kpi(pw PACEPassword) ([]byte, error) { return KDF(p.cipher, pw.Secret, CounterPassword) }

func (p pace) block(key []byte) (cipher.Block, error) {
	if p.cipher == TDES {
		return newTDES(key)
	}
	return aes.NewCipher(key)
}

// nonce deciphers (or, for the chip, enciphers) the nonce s with K_π in
// CBC mode with a zero IV.
func (p pace) nonce(kpi, in []byte, encrypt bool) ([]byte, error) {
	b, err := p.block(kpi)
	if err != nil {
		return nil, err
	}
	if len(in) == 0 || len(in)%b.BlockSize() != 0 {
		return nil, fmt.Errorf("%w: PACE nonce of %d bytes", ErrProtocol, len(in))
	}
	return cbc(b, make([]byte, b.BlockSize()), in, encrypt)
}

// mapGenerator is the generic mapping: G' = s·G + H, where H is the
// shared point of the mapping key agreement.
func (p pace) mapGenerator(s []byte, hx, hy *big.Int) (gx, gy *big.Int, err error) {
	sx, sy := p.curve.ScalarBaseMult(s)
	gx, gy = p.curve.Add(sx, sy, hx, hy)
	if gx.Sign() == 0 && gy.Sign() == 0 {
		return nil, nil, fmt.Errorf("%w: mapped generator is the point at infinity", ErrProtocol)
	}
	return gx, gy, nil
}

// point decodes the other side's public key, which must lie on the curve.
func (p pace) point(b []byte) (x, y *big.Int, err error) {
	x, y, err = p.curve.DecodePoint(b)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: PACE public key: %v", ErrProtocol, err)
	}
	return x, y, nil
}

// token is the authentication token: the MAC of the other side's
// ephemeral public key in a 7F49 data object with the protocol OID.
func (p pace) token(ksMac, publicKey []byte) ([]byte, error) {
	in := iso7816.EncodeTLV(0x7F49, iso7816.EncodeTLV(0x06, oidValue(p.protocol)), iso7816.EncodeTLV(0x86, publicKey))
	if p.cipher == TDES {
		return RetailMAC(ksMac, Pad(in, 8))
	}
	b, err := aes.NewCipher(ksMac)
	if err != nil {
		return nil, err
	}
	return CMAC(b, in)[:macLen], nil
}

// keyPair returns a random scalar and its point on the generator (gx, gy).
func (p pace) keyPair(s *Session, gx, gy *big.Int) (sk []byte, pk []byte, err error) {
	if sk, err = randomScalar(s.randReader(), p.curve.Curve); err != nil {
		return nil, nil, err
	}
	return sk, p.curve.EncodePoint(p.curve.ScalarMult(gx, gy, sk)), nil
}

// dynamic extracts the data object tag from a GENERAL AUTHENTICATE answer.
func dynamic(resp []byte, tag iso7816.Tag) ([]byte, error) {
	inner, err := iso7816.Unwrap(resp, tagDynamicAuthentication)
	if err != nil {
		return nil, fmt.Errorf("%w: GENERAL AUTHENTICATE answer: %v", ErrProtocol, err)
	}
	v, found, err := iso7816.Find(inner, tag)
	if err != nil || !found {
		return nil, fmt.Errorf("%w: GENERAL AUTHENTICATE answer without DO'%s'", ErrProtocol, tag)
	}
	return v, nil
}
