package emrtd

import (
	"crypto/ecdsa"
	"crypto/subtle"
	"fmt"
	"io"
	"math/big"

	"github.com/xanode/xanode/reader/iso7816"
)

// PACEChip is the chip's side of PACE (generic, integrated or chip
// authentication mapping) for a software card: one run, fed the GENERAL
// AUTHENTICATE data in order.
type PACEChip struct {
	p        pace
	kpi      []byte
	static   *ecdsa.PrivateKey // chip authentication mapping's SK_IC
	rand     io.Reader
	step     int
	nonce    []byte
	gx, gy   *big.Int
	skMap    []byte
	sk, pk   []byte
	pkIFD    []byte
	ksMac, k []byte
}

// NewPACEChip starts the chip's side of a PACE run after MSE:Set AT chose
// info and the password pw. static is the chip's Chip Authentication key
// (DG14's), which chip authentication mapping needs on PACE's curve; the
// other mappings ignore it.
func NewPACEChip(info PACEInfo, pw PACEPassword, static *ecdsa.PrivateKey, rand io.Reader) (*PACEChip, error) {
	p, err := paceFor(info)
	if err != nil {
		return nil, err
	}
	if p.mapping == ChipAuthenticationMapping && (static == nil || static.Curve != p.curve.Curve) {
		return nil, fmt.Errorf("%w: %s needs the chip's chip authentication key on %s", ErrUnsupported, info, p.curve.Name)
	}
	kpi, err := p.kpi(pw)
	if err != nil {
		return nil, err
	}
	return &PACEChip{p: p, kpi: kpi, static: static, rand: rand}, nil
}

// Step answers one GENERAL AUTHENTICATE (its data, the 7C object) with the
// 7C object to send back. After the fourth step it returns the secure
// messaging of the new session. A terminal without the password fails the
// token check with ErrAccessDenied; any other error is a malformed step.
// After an error the run is over.
func (c *PACEChip) Step(data []byte) ([]byte, *SecureMessaging, error) {
	in, err := iso7816.Unwrap(data, tagDynamicAuthentication)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: %v", ErrProtocol, err)
	}
	c.step++
	var out []byte
	switch c.step {
	case 1:
		out, err = c.encryptedNonce(in)
	case 2:
		if c.p.mapping == IntegratedMapping {
			out, err = c.integratedMapping(in)
		} else {
			out, err = c.mapping(in)
		}
	case 3:
		out, err = c.keyAgreement(in)
	case 4:
		return c.mutualAuthentication(in)
	default:
		err = fmt.Errorf("%w: PACE step %d", ErrProtocol, c.step)
	}
	if err != nil {
		return nil, nil, err
	}
	return iso7816.EncodeTLV(tagDynamicAuthentication, out), nil, nil
}

func (c *PACEChip) encryptedNonce(in []byte) ([]byte, error) {
	if len(in) != 0 {
		return nil, fmt.Errorf("%w: PACE step 1 with data", ErrProtocol)
	}
	c.nonce = make([]byte, c.p.nonceLen())
	if _, err := io.ReadFull(c.rand, c.nonce); err != nil {
		return nil, err
	}
	z, err := c.p.nonce(c.kpi, c.nonce, true)
	if err != nil {
		return nil, err
	}
	return iso7816.EncodeTLV(0x80, z), nil
}

func (c *PACEChip) mapping(in []byte) ([]byte, error) {
	pkMapIFD, err := field(in, 0x81)
	if err != nil {
		return nil, err
	}
	x, y, err := c.p.point(pkMapIFD)
	if err != nil {
		return nil, err
	}
	g := c.p.curve.Params()
	if c.skMap, err = randomScalar(c.rand, c.p.curve.Curve); err != nil {
		return nil, err
	}
	hx, hy := c.p.curve.ScalarMult(x, y, c.skMap)
	if c.gx, c.gy, err = c.p.mapGenerator(c.nonce, hx, hy); err != nil {
		return nil, err
	}
	return iso7816.EncodeTLV(0x82, c.p.curve.EncodePoint(c.p.curve.ScalarMult(g.Gx, g.Gy, c.skMap))), nil
}

// integratedMapping takes the terminal's nonce t and answers with an
// empty DO'82'.
func (c *PACEChip) integratedMapping(in []byte) ([]byte, error) {
	t, err := field(in, 0x81)
	if err != nil {
		return nil, err
	}
	if c.gx, c.gy, err = c.p.integratedMap(c.nonce, t); err != nil {
		return nil, err
	}
	return iso7816.EncodeTLV(0x82, nil), nil
}

func (c *PACEChip) keyAgreement(in []byte) ([]byte, error) {
	pkIFD, err := field(in, 0x83)
	if err != nil {
		return nil, err
	}
	// Kept for the token of step 4: a copy, since the caller's buffer
	// holds the next command by then.
	c.pkIFD = append([]byte(nil), pkIFD...)
	x, y, err := c.p.point(c.pkIFD)
	if err != nil {
		return nil, err
	}
	if c.sk, err = randomScalar(c.rand, c.p.curve.Curve); err != nil {
		return nil, err
	}
	c.pk = c.p.curve.EncodePoint(c.p.curve.ScalarMult(c.gx, c.gy, c.sk))
	c.k = sharedX(c.p.curve, x, y, c.sk)
	if c.ksMac, err = KDF(c.p.cipher, c.k, CounterMAC); err != nil {
		return nil, err
	}
	return iso7816.EncodeTLV(0x84, c.pk), nil
}

// mutualAuthentication checks the terminal's token and answers with the
// chip's, and after chip authentication mapping with A_IC.
func (c *PACEChip) mutualAuthentication(in []byte) ([]byte, *SecureMessaging, error) {
	tIFD, err := field(in, 0x85)
	if err != nil {
		return nil, nil, err
	}
	want, err := c.p.token(c.ksMac, c.pk)
	if err != nil {
		return nil, nil, err
	}
	if subtle.ConstantTimeCompare(tIFD, want) != 1 {
		return nil, nil, ErrAccessDenied
	}
	tIC, err := c.p.token(c.ksMac, c.pkIFD)
	if err != nil {
		return nil, nil, err
	}
	out := iso7816.EncodeTLV(0x86, tIC)
	if c.p.mapping == ChipAuthenticationMapping {
		ca, err := c.p.chipAuthenticationData(c.static, c.skMap)
		if err != nil {
			return nil, nil, err
		}
		aIC, err := c.p.encryptCAData(c.k, ca)
		if err != nil {
			return nil, nil, err
		}
		out = iso7816.AppendTLV(out, tagEncryptedCAData, aIC)
	}
	sm, err := NewSuite(c.p.cipher, c.k)
	if err != nil {
		return nil, nil, err
	}
	return iso7816.EncodeTLV(tagDynamicAuthentication, out), sm, nil
}

func field(in []byte, tag iso7816.Tag) ([]byte, error) {
	v, found, err := iso7816.Find(in, tag)
	if err != nil || !found {
		return nil, fmt.Errorf("%w: no DO'%s' in GENERAL AUTHENTICATE", ErrProtocol, tag)
	}
	return v, nil
}

// PACEInfoFor returns the PACEInfo of ECDH generic mapping with the given
// cipher on the curve with the given standardized parameter ID; the
// Vietnamese CCCD announces AES128 on 13 (brainpoolP256r1).
func PACEInfoFor(c Cipher, parameterID int) PACEInfo {
	return PACEInfoWith(GenericMapping, c, parameterID)
}

// PACEInfoWith returns the PACEInfo of ECDH PACE with mapping m, e.g.
// id-PACE-ECDH-IM-AES-CBC-CMAC-128 for IntegratedMapping and AES128.
func PACEInfoWith(m Mapping, c Cipher, parameterID int) PACEInfo {
	return PACEInfo{Protocol: protocolOID(oidPACE, m.arc(), c), Version: 2, ParameterID: parameterID}
}
