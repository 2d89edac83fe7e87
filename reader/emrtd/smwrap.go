package emrtd

import (
	"encoding/binary"
	"fmt"

	"github.com/xanode/xanode/reader/iso7816"
)

// Unprotect verifies and unwraps a protected response APDU. The MAC is
// checked before anything else in the answer is used. A response without
// secure messaging objects (the card sends a bare 6987/6988 when it aborts
// the session, or an error it did not protect) is an ErrSecureMessaging
// error that also wraps the card's status word.
func (sm *SecureMessaging) Unprotect(raw []byte) (iso7816.Response, error) {
	r, err := iso7816.ParseResponse(raw)
	if err != nil {
		return iso7816.Response{}, fmt.Errorf("%w: %v", ErrProtocol, err)
	}
	if len(r.Data) == 0 {
		return iso7816.Response{}, fmt.Errorf("%w: %w without secure messaging", ErrSecureMessaging, r.SW)
	}
	o, err := parseObjects(r.Data, doCryptogram, doCryptogramOdd, doStatus)
	if err != nil {
		return iso7816.Response{}, err
	}
	if err := sm.verify(o); err != nil {
		return iso7816.Response{}, err
	}
	if len(o.status) != 2 {
		return iso7816.Response{}, fmt.Errorf("%w: response without DO'99' status", ErrSecureMessaging)
	}
	sw := iso7816.StatusWord(binary.BigEndian.Uint16(o.status))
	if sw != r.SW {
		return iso7816.Response{}, fmt.Errorf("%w: status %04X outside differs from protected %04X", ErrSecureMessaging, uint16(r.SW), uint16(sw))
	}
	data, err := sm.decrypt(o.cryptogram)
	if err != nil {
		return iso7816.Response{}, err
	}
	return iso7816.Response{Data: data, SW: sw}, nil
}

// UnprotectCommand is the card side of Protect: it verifies DO'8E' over the
// padded header and the other objects, then returns the plain command
// (CLA without SM bits, deciphered data, Ne from DO'97').
func (sm *SecureMessaging) UnprotectCommand(c iso7816.Command) (iso7816.Command, error) {
	if c.CLA&claSM != claSM {
		return iso7816.Command{}, fmt.Errorf("%w: CLA %02X is not secure messaging", ErrSecureMessaging, c.CLA)
	}
	o, err := parseObjects(c.Data, doCryptogram, doCryptogramOdd, doLe)
	if err != nil {
		return iso7816.Command{}, err
	}
	header := Pad([]byte{c.CLA, c.INS, c.P1, c.P2}, sm.suite.BlockSize())
	o.macInput = append(header, o.macInput...)
	if err := sm.verify(o); err != nil {
		return iso7816.Command{}, err
	}
	data, err := sm.decrypt(o.cryptogram)
	if err != nil {
		return iso7816.Command{}, err
	}
	plain := iso7816.Command{CLA: c.CLA &^ claSM, INS: c.INS, P1: c.P1, P2: c.P2, Data: data}
	switch len(o.le) {
	case 0:
		if o.le != nil {
			return iso7816.Command{}, fmt.Errorf("%w: empty DO'97'", ErrSecureMessaging)
		}
	case 1:
		plain.Ne = int(o.le[0])
		if plain.Ne == 0 {
			plain.Ne = iso7816.MaxShortNe
		}
	case 2:
		plain.Ne = int(binary.BigEndian.Uint16(o.le))
		if plain.Ne == 0 {
			plain.Ne = iso7816.MaxExtendedNe
		}
	default:
		return iso7816.Command{}, fmt.Errorf("%w: DO'97' of %d bytes", ErrSecureMessaging, len(o.le))
	}
	return plain, nil
}

// ProtectResponse is the card side of Unprotect. Data are enciphered only
// for a completed command (9000, 61xx, 62xx, 63xx); DO'99' always carries
// the status, so error statuses are protected too (ICAO 9303-11, and what
// JMRTD and gmrtd expect).
func (sm *SecureMessaging) ProtectResponse(r iso7816.Response) ([]byte, error) {
	sm.incrementSSC()
	var dos []byte
	if len(r.Data) > 0 && r.SW.Completed() {
		ct, err := sm.suite.Encrypt(sm.ssc, Pad(r.Data, sm.suite.BlockSize()))
		if err != nil {
			return nil, err
		}
		dos = iso7816.AppendTLV(dos, doCryptogram, append([]byte{paddingInd}, ct...))
	}
	dos = iso7816.AppendTLV(dos, doStatus, []byte{r.SW.SW1(), r.SW.SW2()})
	cc, err := sm.mac(dos)
	if err != nil {
		return nil, err
	}
	dos = iso7816.AppendTLV(dos, doMAC, cc)
	return iso7816.Response{Data: dos, SW: r.SW}.Bytes(), nil
}
