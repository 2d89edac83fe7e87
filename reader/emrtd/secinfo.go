package emrtd

import (
	"crypto"
	"crypto/x509/pkix"
	"encoding/asn1"
	"fmt"

	"github.com/xanode/xanode/reader/iso7816"
	"github.com/xanode/xanode/reader/keys"
)

// Protocol object identifiers of ICAO 9303-11 9.2 and BSI TR-03110.
var (
	oidPACE = asn1.ObjectIdentifier{0, 4, 0, 127, 0, 7, 2, 2, 4}
	oidCA   = asn1.ObjectIdentifier{0, 4, 0, 127, 0, 7, 2, 2, 3}
	oidPK   = asn1.ObjectIdentifier{0, 4, 0, 127, 0, 7, 2, 2, 1}
	// OIDActiveAuthentication is id-AA of ActiveAuthenticationInfo.
	OIDActiveAuthentication = asn1.ObjectIdentifier{2, 23, 136, 1, 1, 5}
)

// Key agreement and mapping arcs under id-PACE, id-CA and id-PK.
const (
	arcDH      = 1 // id-PACE-DH-GM, id-CA-DH, id-PK-DH
	arcECDH    = 2 // id-PACE-ECDH-GM, id-CA-ECDH, id-PK-ECDH
	arcDHIM    = 3
	arcECDHIM  = 4
	arcECDHCAM = 6
)

// ProtocolOID returns base.arc.cipher, e.g. id-CA-ECDH-AES-CBC-CMAC-128.
func protocolOID(base asn1.ObjectIdentifier, arc int, c Cipher) asn1.ObjectIdentifier {
	return append(append(asn1.ObjectIdentifier(nil), base...), arc, int(c))
}

// underArc returns (arc, cipher) of oid = base.arc.cipher.
func underArc(oid, base asn1.ObjectIdentifier) (arc int, c Cipher, ok bool) {
	if len(oid) != len(base)+2 || !asn1.ObjectIdentifier(oid[:len(base)]).Equal(base) {
		return 0, 0, false
	}
	c = Cipher(oid[len(base)+1])
	return oid[len(base)], c, c.KeySize() != 0
}

// SecurityInfos is what EF.CardAccess and DG14 announce (ICAO 9303-11 9.2).
type SecurityInfos struct {
	PACE                   []PACEInfo
	ChipAuthentication     []ChipAuthenticationInfo
	ChipAuthenticationKeys []ChipAuthenticationKey
	ActiveAuthentication   *ActiveAuthenticationInfo
	// Other lists the protocols not used here (Terminal Authentication...).
	Other []asn1.ObjectIdentifier
}

// PACEInfo announces one PACE variant.
type PACEInfo struct {
	Protocol asn1.ObjectIdentifier
	Version  int
	// ParameterID is the standardized domain parameter ID (13 for
	// brainpoolP256r1), -1 when absent.
	ParameterID int
}

// ChipAuthenticationInfo announces Chip Authentication.
type ChipAuthenticationInfo struct {
	Protocol asn1.ObjectIdentifier
	Version  int
	KeyID    int // -1 when absent
}

// ChipAuthenticationKey is a chip's static public key for Chip
// Authentication (ChipAuthenticationPublicKeyInfo).
type ChipAuthenticationKey struct {
	Protocol asn1.ObjectIdentifier
	Key      crypto.PublicKey // *ecdsa.PublicKey for id-PK-ECDH
	KeyID    int              // -1 when absent
}

// ActiveAuthenticationInfo names the signature algorithm of an ECDSA
// Active Authentication key in DG15.
type ActiveAuthenticationInfo struct {
	Version            int
	SignatureAlgorithm asn1.ObjectIdentifier
}

type securityInfo struct {
	Protocol asn1.ObjectIdentifier
	Required asn1.RawValue
	Optional asn1.RawValue `asn1:"optional"`
}

type spkiInfo struct {
	Algorithm pkix.AlgorithmIdentifier
	Key       asn1.BitString
}

// tagDG14 is DG14's application tag.
const tagDG14 iso7816.Tag = 0x6E

// ParseDG14 decodes DG14 (tag 6E around SecurityInfos).
func ParseDG14(b []byte) (*SecurityInfos, error) {
	v, err := iso7816.Unwrap(b, tagDG14)
	if err != nil {
		return nil, fmt.Errorf("DG14: %w", err)
	}
	s, err := ParseSecurityInfos(v)
	if err != nil {
		return nil, fmt.Errorf("DG14: %w", err)
	}
	return s, nil
}

// ParseSecurityInfos decodes a DER SET OF SecurityInfo, the content of
// EF.CardAccess and of DG14. Unknown protocols are listed, not refused; a
// known one with malformed data is an error.
func ParseSecurityInfos(b []byte) (*SecurityInfos, error) {
	var infos []securityInfo
	rest, err := asn1.UnmarshalWithParams(b, &infos, "set")
	if err != nil || len(rest) != 0 {
		return nil, fmt.Errorf("%w: SecurityInfos: %v (%d bytes left)", ErrProtocol, err, len(rest))
	}
	s := &SecurityInfos{}
	for _, si := range infos {
		if err := s.add(si); err != nil {
			return nil, fmt.Errorf("%w: SecurityInfo %v: %v", ErrProtocol, si.Protocol, err)
		}
	}
	return s, nil
}

func (s *SecurityInfos) add(si securityInfo) error {
	p := si.Protocol
	if arc, _, ok := underArc(p, oidPACE); ok && arc != 5 {
		info := PACEInfo{Protocol: p, ParameterID: -1}
		if err := unmarshalInt(si.Required, &info.Version); err != nil {
			return err
		}
		if err := optionalInt(si.Optional, &info.ParameterID); err != nil {
			return err
		}
		s.PACE = append(s.PACE, info)
		return nil
	}
	if _, _, ok := underArc(p, oidCA); ok {
		info := ChipAuthenticationInfo{Protocol: p, KeyID: -1}
		if err := unmarshalInt(si.Required, &info.Version); err != nil {
			return err
		}
		if err := optionalInt(si.Optional, &info.KeyID); err != nil {
			return err
		}
		s.ChipAuthentication = append(s.ChipAuthentication, info)
		return nil
	}
	if p.Equal(protocolArc(oidPK, arcECDH)) || p.Equal(protocolArc(oidPK, arcDH)) {
		k := ChipAuthenticationKey{Protocol: p, KeyID: -1}
		var spki spkiInfo
		if _, err := asn1.Unmarshal(si.Required.FullBytes, &spki); err != nil {
			return err
		}
		var err error
		if k.Key, err = keys.PublicKeyFrom(spki.Algorithm, spki.Key.RightAlign()); err != nil {
			return err
		}
		if err := optionalInt(si.Optional, &k.KeyID); err != nil {
			return err
		}
		s.ChipAuthenticationKeys = append(s.ChipAuthenticationKeys, k)
		return nil
	}
	if p.Equal(OIDActiveAuthentication) {
		aa := &ActiveAuthenticationInfo{}
		if err := unmarshalInt(si.Required, &aa.Version); err != nil {
			return err
		}
		if len(si.Optional.FullBytes) > 0 {
			if _, err := asn1.Unmarshal(si.Optional.FullBytes, &aa.SignatureAlgorithm); err != nil {
				return err
			}
		}
		s.ActiveAuthentication = aa
		return nil
	}
	s.Other = append(s.Other, p)
	return nil
}

func protocolArc(base asn1.ObjectIdentifier, arc int) asn1.ObjectIdentifier {
	return append(append(asn1.ObjectIdentifier(nil), base...), arc)
}

func unmarshalInt(v asn1.RawValue, into *int) error {
	rest, err := asn1.Unmarshal(v.FullBytes, into)
	if err == nil && len(rest) != 0 {
		err = fmt.Errorf("%d bytes after an INTEGER", len(rest))
	}
	return err
}

func optionalInt(v asn1.RawValue, into *int) error {
	if len(v.FullBytes) == 0 {
		return nil
	}
	return unmarshalInt(v, into)
}

// CipherOf returns the cipher a PACE or Chip Authentication protocol OID
// names, and whether it is an ECDH variant.
func CipherOf(protocol asn1.ObjectIdentifier) (c Cipher, ecdh bool, ok bool) {
	for _, base := range []asn1.ObjectIdentifier{oidPACE, oidCA} {
		if arc, c, ok := underArc(protocol, base); ok {
			return c, arc == arcECDH || arc == arcECDHIM || arc == arcECDHCAM, true
		}
	}
	return 0, false, false
}

// Marshal encodes the SecurityInfos as a DER SET OF SecurityInfo, for the
// emulator's EF.CardAccess and DG14.
func (s *SecurityInfos) Marshal() ([]byte, error) {
	var infos []securityInfo
	raw := func(v any) asn1.RawValue {
		b, _ := asn1.Marshal(v)
		return asn1.RawValue{FullBytes: b}
	}
	for _, p := range s.PACE {
		si := securityInfo{Protocol: p.Protocol, Required: raw(p.Version)}
		if p.ParameterID >= 0 {
			si.Optional = raw(p.ParameterID)
		}
		infos = append(infos, si)
	}
	for _, c := range s.ChipAuthentication {
		si := securityInfo{Protocol: c.Protocol, Required: raw(c.Version)}
		if c.KeyID >= 0 {
			si.Optional = raw(c.KeyID)
		}
		infos = append(infos, si)
	}
	for _, k := range s.ChipAuthenticationKeys {
		spki, err := keys.MarshalPublicKey(k.Key, false)
		if err != nil {
			return nil, err
		}
		si := securityInfo{Protocol: k.Protocol, Required: asn1.RawValue{FullBytes: spki}}
		if k.KeyID >= 0 {
			si.Optional = raw(k.KeyID)
		}
		infos = append(infos, si)
	}
	if aa := s.ActiveAuthentication; aa != nil {
		infos = append(infos, securityInfo{Protocol: OIDActiveAuthentication, Required: raw(aa.Version), Optional: raw(aa.SignatureAlgorithm)})
	}
	return asn1.MarshalWithParams(infos, "set")
}

// MarshalDG14 encodes DG14: s's SecurityInfos and every SecurityInfo of
// EF.CardAccess, whose content cardAccess is (nil for a chip without
// one), as it is there, since DG14 must repeat them byte for byte (see
// CheckCardAccess).
func (s *SecurityInfos) MarshalDG14(cardAccess []byte) ([]byte, error) {
	b, err := s.Marshal()
	if err != nil {
		return nil, err
	}
	elems, err := SplitSecurityInfos(b)
	if err != nil {
		return nil, err
	}
	if cardAccess != nil {
		announced, err := SplitSecurityInfos(cardAccess)
		if err != nil {
			return nil, fmt.Errorf("EF.CardAccess: %w", err)
		}
		elems = append(elems, announced...)
	}
	return iso7816.EncodeTLV(tagDG14, marshalSecurityInfoSet(elems)), nil
}

// OIDPKECDH is id-PK-ECDH, the protocol of an ECDH
// ChipAuthenticationPublicKeyInfo.
var OIDPKECDH = protocolArc(oidPK, arcECDH)

// ChipAuthenticationOID returns id-CA-ECDH-<cipher>, e.g.
// id-CA-ECDH-AES-CBC-CMAC-128 for AES128.
func ChipAuthenticationOID(c Cipher) asn1.ObjectIdentifier { return protocolOID(oidCA, arcECDH, c) }
