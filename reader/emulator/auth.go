package emulator

import (
	"crypto"
	"crypto/ecdsa"
	"encoding/asn1"
	"fmt"

	"github.com/xanode/xanode/reader/emrtd"
	"github.com/xanode/xanode/reader/iso7816"
	"github.com/xanode/xanode/reader/keys"
)

// ChipKeys are a chip's private keys for Chip Authentication (DG14) and
// Active Authentication (DG15). A genuine card holds the keys whose public
// halves its DG14 and DG15 carry; a cloned chip has the files but not
// the keys.
type ChipKeys struct {
	// CA is the static ECDH key of Chip Authentication; nil means none.
	CA *ecdsa.PrivateKey
	// CACipher is the cipher DG14 announces; zero means AES-128.
	CACipher emrtd.Cipher
	// AA is the Active Authentication key (RSA or ECDSA); nil means none.
	AA crypto.Signer
}

// AddChipKeys writes DG14 (Chip Authentication info and public key, the
// ECDSA Active Authentication algorithm, and the SecurityInfos of the
// files' EF.CardAccess) and DG15 (the Active Authentication public key)
// for k into files, and seals the card again. Write EF.CardAccess first
// (AddPACE): DG14 must repeat what it announces (ICAO 9303-11), so a card
// whose EF.CardAccess changes after its DG14 is one that readers find
// inconsistent, as after a PACE downgrade.
func AddChipKeys(files Files, k ChipKeys, ds Signer) error {
	infos := &emrtd.SecurityInfos{}
	if k.CA != nil {
		c := k.CACipher
		if c == 0 {
			c = emrtd.AES128
		}
		infos.ChipAuthentication = []emrtd.ChipAuthenticationInfo{{Protocol: emrtd.ChipAuthenticationOID(c), Version: 1, KeyID: -1}}
		infos.ChipAuthenticationKeys = []emrtd.ChipAuthenticationKey{{Protocol: emrtd.OIDPKECDH, Key: &k.CA.PublicKey, KeyID: -1}}
	}
	if k.AA != nil {
		dg15, err := emrtd.MarshalDG15(k.AA.Public())
		if err != nil {
			return fmt.Errorf("emulator: %w", err)
		}
		files["DG15"] = dg15
		if _, ok := k.AA.Public().(*ecdsa.PublicKey); ok {
			alg, _ := keys.PlainECDSA(crypto.SHA256)
			infos.ActiveAuthentication = &emrtd.ActiveAuthenticationInfo{Version: 1, SignatureAlgorithm: alg.Algorithm}
		}
	}
	cardAccess, hasCardAccess := files[emrtd.FileCardAccess.Name]
	if k.CA != nil || infos.ActiveAuthentication != nil || hasCardAccess {
		dg14, err := infos.MarshalDG14(cardAccess)
		if err != nil {
			return fmt.Errorf("emulator: %w", err)
		}
		files["DG14"] = dg14
	}
	return Seal(files, ds)
}

// MSE parameters of Chip Authentication.
const (
	p1SetForComputation = 0x41
	p1PACE              = 0xC1 // set for computation and verification
	p2KeyAgreement      = 0xA6
	p2Authentication    = 0xA4
)

// mse serves MSE:Set KAT (3DES Chip Authentication, which switches keys
// after this answer) and MSE:Set AT (AES Chip Authentication, whose key
// agreement follows in GENERAL AUTHENTICATE).
func (c *Card) mse(cmd iso7816.Command, secure bool) iso7816.Response {
	if cmd.P1 == p1PACE && cmd.P2 == p2Authentication && len(c.pace) > 0 {
		return c.msePACE(cmd, secure)
	}
	if cmd.P1 != p1SetForComputation || c.opts.ChipKeys.CA == nil {
		return iso7816.Response{SW: iso7816.StatusINSNotSupported}
	}
	if !secure {
		return iso7816.Response{SW: iso7816.StatusSecurityNotSatisfied}
	}
	switch cmd.P2 {
	case p2KeyAgreement:
		pk, _, err := iso7816.Find(cmd.Data, 0x91)
		if err != nil || pk == nil {
			return iso7816.Response{SW: iso7816.StatusWrongData}
		}
		return c.agree(emrtd.TDES, pk)
	case p2Authentication:
		oid, _, err := iso7816.Find(cmd.Data, 0x80)
		if err != nil || oid == nil {
			return iso7816.Response{SW: iso7816.StatusWrongData}
		}
		full, _ := asn1.Marshal(asn1.RawValue{Tag: asn1.TagOID, Bytes: oid})
		var protocol asn1.ObjectIdentifier
		if _, err := asn1.Unmarshal(full, &protocol); err != nil {
			return iso7816.Response{SW: iso7816.StatusWrongData}
		}
		cipher, ecdh, ok := emrtd.CipherOf(protocol)
		if !ok || !ecdh || cipher == emrtd.TDES {
			return iso7816.Response{SW: iso7816.StatusWrongData}
		}
		c.caCipher = cipher
		return iso7816.Response{SW: iso7816.StatusOK}
	}
	return iso7816.Response{SW: statusWrongP1P2Detail}
}

// generalAuthenticate is AES Chip Authentication's key agreement: the
// answer goes out under the old keys, the next message uses the new ones.
func (c *Card) generalAuthenticate(cmd iso7816.Command, secure bool) iso7816.Response {
	if !secure && len(c.pace) > 0 {
		return c.pacePlain(cmd)
	}
	if c.opts.ChipKeys.CA == nil {
		return iso7816.Response{SW: iso7816.StatusINSNotSupported}
	}
	if !secure || c.caCipher == 0 {
		return iso7816.Response{SW: iso7816.StatusConditionsNotMet}
	}
	inner, err := iso7816.Unwrap(cmd.Data, 0x7C)
	if err != nil {
		return iso7816.Response{SW: iso7816.StatusWrongData}
	}
	pk, _, err := iso7816.Find(inner, 0x80)
	if err != nil || pk == nil {
		return iso7816.Response{SW: iso7816.StatusWrongData}
	}
	r := c.agree(c.caCipher, pk)
	c.caCipher = 0
	if r.SW.OK() {
		r.Data = []byte{0x7C, 0x00}
	}
	return r
}

func (c *Card) agree(cipher emrtd.Cipher, terminalKey []byte) iso7816.Response {
	sm, err := emrtd.AnswerChipAuthentication(c.opts.ChipKeys.CA, cipher, terminalKey)
	if err != nil {
		return iso7816.Response{SW: iso7816.StatusWrongData}
	}
	c.nextSM = sm
	return iso7816.Response{SW: iso7816.StatusOK}
}

// internalAuthenticate is the chip's side of Active Authentication.
func (c *Card) internalAuthenticate(cmd iso7816.Command, secure bool) iso7816.Response {
	if c.opts.ChipKeys.AA == nil {
		return iso7816.Response{SW: iso7816.StatusINSNotSupported}
	}
	if !secure {
		return iso7816.Response{SW: iso7816.StatusSecurityNotSatisfied}
	}
	if len(cmd.Data) != 8 {
		return iso7816.Response{SW: iso7816.StatusWrongLength}
	}
	sig, err := emrtd.SignActiveAuthentication(c.opts.ChipKeys.AA, cmd.Data, c.opts.Rand)
	if err != nil {
		return iso7816.Response{SW: iso7816.StatusNoPreciseDiagnosis}
	}
	return iso7816.Response{Data: sig, SW: iso7816.StatusOK}
}
