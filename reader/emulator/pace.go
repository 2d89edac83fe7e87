package emulator

import (
	"errors"

	"github.com/xanode/xanode/reader/emrtd"
	"github.com/xanode/xanode/reader/iso7816"
)

// AddPACE writes EF.CardAccess announcing PACE with the given variants;
// none means the Vietnamese CCCD's: ECDH generic mapping with AES-128 on
// brainpoolP256r1 (id-PACE-ECDH-GM-AES-CBC-CMAC-128, parameter ID 13).
// EF.CardAccess lives in the master file and is not covered by EF.SOD;
// AddChipKeys, called after, repeats it in the signed DG14.
func AddPACE(files Files, infos ...emrtd.PACEInfo) error {
	if len(infos) == 0 {
		infos = []emrtd.PACEInfo{emrtd.PACEInfoFor(emrtd.AES128, 13)}
	}
	b, err := (&emrtd.SecurityInfos{PACE: infos}).Marshal()
	if err != nil {
		return err
	}
	files["CardAccess"] = b
	return nil
}

// msePACE serves MSE:Set AT for PACE: the protocol (DO'80'), the password
// (DO'83': 1 MRZ, 2 CAN) and, when given, the domain parameters (DO'84').
func (c *Card) msePACE(cmd iso7816.Command, secure bool) iso7816.Response {
	c.paceChip = nil
	if secure {
		return iso7816.Response{SW: iso7816.StatusConditionsNotMet}
	}
	oid, _, err1 := iso7816.Find(cmd.Data, 0x80)
	ref, _, err2 := iso7816.Find(cmd.Data, 0x83)
	param, hasParam, err3 := iso7816.Find(cmd.Data, 0x84)
	if err := errors.Join(err1, err2, err3); err != nil || len(ref) != 1 || (hasParam && len(param) != 1) {
		return iso7816.Response{SW: iso7816.StatusWrongData}
	}
	var pw emrtd.PACEPassword
	switch ref[0] {
	case emrtd.PasswordMRZ:
		pw, err1 = emrtd.MRZPassword(c.bacKey)
	case emrtd.PasswordCAN:
		pw, err1 = emrtd.CANPassword(c.can)
	default:
		return iso7816.Response{SW: statusWrongP1P2Detail}
	}
	if err1 != nil {
		return iso7816.Response{SW: iso7816.StatusConditionsNotMet}
	}
	for _, info := range c.pace {
		if string(oidContent(info)) != string(oid) || (hasParam && int(param[0]) != info.ParameterID) {
			continue
		}
		if c.paceChip, err1 = emrtd.NewPACEChip(info, pw, c.opts.ChipKeys.CA, c.opts.Rand); err1 != nil {
			return iso7816.Response{SW: iso7816.StatusWrongData}
		}
		return iso7816.Response{SW: iso7816.StatusOK}
	}
	return iso7816.Response{SW: iso7816.StatusWrongData}
}

func oidContent(info emrtd.PACEInfo) []byte {
	b, _ := (&emrtd.SecurityInfos{PACE: []emrtd.PACEInfo{info}}).Marshal()
	// SET { SEQUENCE { OID ... } }: the OID's content follows 31 L 30 L 06 L.
	return b[6 : 6+int(b[5])]
}

// pacePlain serves PACE's GENERAL AUTHENTICATE steps; after the last, the
// session is under secure messaging. A wrong password is 6300.
func (c *Card) pacePlain(cmd iso7816.Command) iso7816.Response {
	if c.paceChip == nil {
		return iso7816.Response{SW: iso7816.StatusConditionsNotMet}
	}
	out, sm, err := c.paceChip.Step(cmd.Data)
	switch {
	case errors.Is(err, emrtd.ErrAccessDenied):
		c.paceChip = nil
		return iso7816.Response{SW: iso7816.StatusVerificationFailed}
	case err != nil:
		c.paceChip = nil
		return iso7816.Response{SW: iso7816.StatusWrongData}
	}
	if sm != nil {
		c.paceChip, c.sm = nil, sm
	}
	return iso7816.Response{Data: out, SW: iso7816.StatusOK}
}
