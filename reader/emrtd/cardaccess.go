package emrtd

import (
	"bytes"
	"encoding/asn1"
	"fmt"
	"sort"

	"github.com/xanode/xanode/reader/iso7816"
)

// SplitSecurityInfos returns the DER of each SecurityInfo in a DER SET OF
// SecurityInfo (EF.CardAccess's content, DG14's value), in the set's
// order, so that the two files can be compared byte for byte.
func SplitSecurityInfos(b []byte) ([][]byte, error) {
	var elems []asn1.RawValue
	rest, err := asn1.UnmarshalWithParams(b, &elems, "set")
	if err != nil || len(rest) != 0 {
		return nil, fmt.Errorf("%w: SecurityInfos: %v (%d bytes left)", ErrProtocol, err, len(rest))
	}
	out := make([][]byte, len(elems))
	for i, e := range elems {
		var si securityInfo
		if rest, err := asn1.Unmarshal(e.FullBytes, &si); err != nil || len(rest) != 0 {
			return nil, fmt.Errorf("%w: SecurityInfo %d is not a SEQUENCE { OID, ... }: %v", ErrProtocol, i, err)
		}
		out[i] = e.FullBytes
	}
	return out, nil
}

// marshalSecurityInfoSet encodes SecurityInfos given as DER as a SET OF,
// in DER's order (ascending encodings) and without repeats.
func marshalSecurityInfoSet(elems [][]byte) []byte {
	sorted := append([][]byte(nil), elems...)
	sort.Slice(sorted, func(i, j int) bool { return bytes.Compare(sorted[i], sorted[j]) < 0 })
	out := sorted[:0]
	for i, e := range sorted {
		if i == 0 || !bytes.Equal(e, sorted[i-1]) {
			out = append(out, e)
		}
	}
	return iso7816.EncodeTLV(0x31, out...)
}

// CheckCardAccess checks EF.CardAccess against DG14 (ICAO 9303-11 9.2.x:
// the SecurityInfos of EF.CardAccess must also be in DG14). EF.CardAccess
// lies outside EF.SOD, so a man in the middle can rewrite it to steer the
// terminal to a weaker PACE, or to none; DG14 is signed. Both directions
// are checked, because a downgrade by removal leaves EF.CardAccess a
// subset of DG14:
//   - every SecurityInfo of EF.CardAccess is in DG14, byte for byte;
//   - every PACE SecurityInfo of DG14 (PACEInfo, PACEDomainParameterInfo)
//     is in EF.CardAccess.
//
// cardAccess is nil for a chip that gave none; dg14 is the whole file
// (tag 6E). A mismatch, or a file that does not parse, is
// ErrCardAccessMismatch. The check means something only once passive
// authentication has vouched for DG14.
func CheckCardAccess(cardAccess, dg14 []byte) error {
	v, err := iso7816.Unwrap(dg14, tagDG14)
	if err != nil {
		return fmt.Errorf("%w: DG14: %v", ErrCardAccessMismatch, err)
	}
	signed, err := SplitSecurityInfos(v)
	if err != nil {
		return fmt.Errorf("%w: DG14: %v", ErrCardAccessMismatch, err)
	}
	var announced [][]byte
	if cardAccess != nil {
		if announced, err = SplitSecurityInfos(cardAccess); err != nil {
			return fmt.Errorf("%w: EF.CardAccess: %v", ErrCardAccessMismatch, err)
		}
	}
	for _, a := range announced {
		if !containsBytes(signed, a) {
			return fmt.Errorf("%w: EF.CardAccess announces %s, which the signed DG14 does not", ErrCardAccessMismatch, describeSecurityInfo(a))
		}
	}
	for _, s := range signed {
		if isPACESecurityInfo(s) && !containsBytes(announced, s) {
			return fmt.Errorf("%w: DG14 announces %s, which EF.CardAccess does not (a PACE downgrade?)", ErrCardAccessMismatch, describeSecurityInfo(s))
		}
	}
	return nil
}

func containsBytes(set [][]byte, b []byte) bool {
	for _, e := range set {
		if bytes.Equal(e, b) {
			return true
		}
	}
	return false
}

// isPACESecurityInfo tells a SecurityInfo whose protocol is under id-PACE.
func isPACESecurityInfo(der []byte) bool {
	var si securityInfo
	if _, err := asn1.Unmarshal(der, &si); err != nil {
		return false
	}
	return len(si.Protocol) > len(oidPACE) && si.Protocol[:len(oidPACE)].Equal(oidPACE)
}

// describeSecurityInfo names a SecurityInfo for an error message: a
// PACEInfo by its variant, anything else by its protocol.
func describeSecurityInfo(der []byte) string {
	if s, err := ParseSecurityInfos(iso7816.EncodeTLV(0x31, der)); err == nil && len(s.PACE) == 1 {
		return "PACEInfo " + s.PACE[0].String()
	}
	var si securityInfo
	if _, err := asn1.Unmarshal(der, &si); err != nil {
		return fmt.Sprintf("a SecurityInfo (%X)", der)
	}
	return "SecurityInfo " + si.Protocol.String()
}
