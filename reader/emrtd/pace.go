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

// Mapping is how a PACE variant maps the chip's nonce to the generator of
// its key agreement (ICAO 9303-11 4.4.3.3).
type Mapping int

// Mappings of PACE over ECDH.
const (
	// GenericMapping is G' = s·G + H, H from an anonymous ECDH
	// (id-PACE-ECDH-GM-*).
	GenericMapping Mapping = iota + 1
	// IntegratedMapping is G' = f_G(R_p(s, t)), t the terminal's nonce
	// sent in clear (id-PACE-ECDH-IM-*).
	IntegratedMapping
	// ChipAuthenticationMapping is generic mapping after which the chip
	// proves it holds its DG14 key with encrypted chip authentication data
	// (id-PACE-ECDH-CAM-*, AES only).
	ChipAuthenticationMapping
)

func (m Mapping) String() string {
	switch m {
	case GenericMapping:
		return "GM"
	case IntegratedMapping:
		return "IM"
	case ChipAuthenticationMapping:
		return "CAM"
	}
	return fmt.Sprintf("Mapping(%d)", int(m))
}

// arc is the mapping's arc under id-PACE for ECDH.
func (m Mapping) arc() int {
	switch m {
	case IntegratedMapping:
		return arcECDHIM
	case ChipAuthenticationMapping:
		return arcECDHCAM
	}
	return arcECDH
}

// pace is one PACE variant: a mapping over ECDH on a known curve.
type pace struct {
	protocol asn1.ObjectIdentifier
	mapping  Mapping
	cipher   Cipher
	curve    *keys.Curve
}

// paceFor checks that info is a variant this package runs: ECDH with
// generic, integrated or chip authentication mapping on a standardized
// curve. Integrated mapping's point encoding needs p ≡ 3 mod 4 (so not
// P-224), and chip authentication mapping exists only with AES.
func paceFor(info PACEInfo) (pace, error) {
	_, c, _ := underArc(info.Protocol, oidPACE)
	m := info.Mapping()
	if m == 0 || (m == ChipAuthenticationMapping && c == TDES) {
		return pace{}, fmt.Errorf("%w: %s (only ECDH with generic, integrated or chip authentication mapping is)", ErrPACENotSupported, info)
	}
	curve, ok := keys.CurveByParameterID(info.ParameterID)
	if !ok {
		return pace{}, fmt.Errorf("%w: %s: unknown standardized domain parameters %d", ErrPACENotSupported, info, info.ParameterID)
	}
	if m == IntegratedMapping && curve.Params().P.Bit(0)&curve.Params().P.Bit(1) != 1 {
		return pace{}, fmt.Errorf("%w: %s: integrated mapping needs a curve with p ≡ 3 mod 4", ErrPACENotSupported, info)
	}
	return pace{protocol: info.Protocol, mapping: m, cipher: c, curve: curve}, nil
}

// SupportedPACE returns the PACEInfo to run among those this package can:
// chip authentication mapping first (it makes a separate Chip
// Authentication needless), then integrated mapping (cheaper than
// generic), then generic mapping, each in the order announced.
func SupportedPACE(infos *SecurityInfos) (PACEInfo, bool) {
	for _, m := range []Mapping{ChipAuthenticationMapping, IntegratedMapping, GenericMapping} {
		for _, info := range infos.PACE {
			if p, err := paceFor(info); err == nil && p.mapping == m {
				return info, true
			}
		}
	}
	return PACEInfo{}, false
}

// CheckPACE says why this package cannot run the PACE variant info
// announces (an error wrapping ErrPACENotSupported), or nil if it can.
func CheckPACE(info PACEInfo) error {
	_, err := paceFor(info)
	return err
}

// String names the variant, e.g. "id-PACE-ECDH-GM-AES-CBC-CMAC-128 on
// domain parameters 13 (brainpoolP256r1)".
func (info PACEInfo) String() string {
	name := info.Protocol.String()
	if arc, c, ok := underArc(info.Protocol, oidPACE); ok {
		if m, known := paceArcNames[arc]; known {
			name = "id-PACE-" + m + "-" + cipherSuffix(c)
		}
	}
	switch curve, ok := keys.CurveByParameterID(info.ParameterID); {
	case ok:
		return fmt.Sprintf("%s on domain parameters %d (%s)", name, info.ParameterID, curve.Name)
	case info.ParameterID >= 0:
		return fmt.Sprintf("%s on domain parameters %d", name, info.ParameterID)
	}
	return name
}

// paceArcNames are the key agreement and mapping arcs under id-PACE.
var paceArcNames = map[int]string{arcDH: "DH-GM", arcECDH: "ECDH-GM", arcDHIM: "DH-IM", arcECDHIM: "ECDH-IM", arcECDHCAM: "ECDH-CAM"}

func cipherSuffix(c Cipher) string {
	if c == TDES {
		return "3DES-CBC-CBC"
	}
	return fmt.Sprintf("AES-CBC-CMAC-%d", c.KeySize()*8)
}

// Mapping returns the mapping of an ECDH PACE variant, 0 for any other.
func (info PACEInfo) Mapping() Mapping {
	arc, _, ok := underArc(info.Protocol, oidPACE)
	switch {
	case !ok:
		return 0
	case arc == arcECDH:
		return GenericMapping
	case arc == arcECDHIM:
		return IntegratedMapping
	case arc == arcECDHCAM:
		return ChipAuthenticationMapping
	}
	return 0
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
	in := p.tokenInput(publicKey)
	if p.cipher == TDES {
		return RetailMAC(ksMac, Pad(in, 8))
	}
	b, err := aes.NewCipher(ksMac)
	if err != nil {
		return nil, err
	}
	return CMAC(b, in)[:macLen], nil
}

// tokenInput is the public key data object the token authenticates.
func (p pace) tokenInput(publicKey []byte) []byte {
	return iso7816.EncodeTLV(0x7F49, iso7816.EncodeTLV(0x06, oidValue(p.protocol)), iso7816.EncodeTLV(0x86, publicKey))
}

// keyPair returns a random scalar and its point on the generator (gx, gy).
func (p pace) keyPair(s *Session, gx, gy *big.Int) (sk []byte, pk []byte, err error) {
	if sk, err = randomScalar(s.randReader(), p.curve.Curve); err != nil {
		return nil, nil, err
	}
	return sk, p.curve.EncodePoint(p.curve.ScalarMult(gx, gy, sk)), nil
}
