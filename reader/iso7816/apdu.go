// Package iso7816 encodes and decodes what travels between a terminal and a
// chip card under ISO/IEC 7816-4: command and response APDUs, status words
// and BER-TLV data objects. It knows nothing about any card application; the
// eMRTD protocols and the card emulator build on it.
package iso7816

import (
	"encoding/binary"
	"fmt"
)

// Limits of ISO 7816-4 length fields.
const (
	MaxShortNc    = 255   // data bytes in a short command
	MaxShortNe    = 256   // expected bytes in a short command (Le = 00)
	MaxExtendedNc = 65535 // data bytes in an extended command
	MaxExtendedNe = 65536 // expected bytes in an extended command (Le = 0000)
)

// Command is a command APDU.
type Command struct {
	CLA, INS, P1, P2 byte
	// Data is the command data field (Nc = len(Data)); nil means none.
	Data []byte
	// Ne is the maximum number of response bytes expected. Zero means the
	// command has no Le field; 256 is encoded as Le = 00 in short form.
	Ne int
}

// Extended reports whether the command needs extended length fields.
func (c Command) Extended() bool {
	return len(c.Data) > MaxShortNc || c.Ne > MaxShortNe
}

// Bytes encodes the command, choosing short length fields when they suffice
// (many cards, the Vietnamese CCCD among them, do not support extended ones).
func (c Command) Bytes() ([]byte, error) {
	if len(c.Data) > MaxExtendedNc {
		return nil, fmt.Errorf("iso7816: command data of %d bytes exceeds %d", len(c.Data), MaxExtendedNc)
	}
	if c.Ne < 0 || c.Ne > MaxExtendedNe {
		return nil, fmt.Errorf("iso7816: Ne %d out of range 0..%d", c.Ne, MaxExtendedNe)
	}
	b := make([]byte, 0, 4+3+len(c.Data)+3)
	b = append(b, c.CLA, c.INS, c.P1, c.P2)
	ext := c.Extended()
	if len(c.Data) > 0 {
		if ext {
			b = append(b, 0, byte(len(c.Data)>>8), byte(len(c.Data)))
		} else {
			b = append(b, byte(len(c.Data)))
		}
		b = append(b, c.Data...)
	}
	if c.Ne > 0 {
		switch {
		case !ext:
			b = append(b, byte(c.Ne)) // 256 wraps to 00 as the standard wants
		case len(c.Data) == 0:
			b = append(b, 0, byte(c.Ne>>8), byte(c.Ne))
		default:
			b = append(b, byte(c.Ne>>8), byte(c.Ne))
		}
	}
	return b, nil
}

// ParseCommand decodes a command APDU in any of the seven ISO 7816-3 cases
// (1, 2S, 3S, 4S, 2E, 3E, 4E). Data aliases b.
func ParseCommand(b []byte) (Command, error) {
	if len(b) < 4 {
		return Command{}, fmt.Errorf("%w: command APDU of %d bytes, need at least 4", ErrMalformed, len(b))
	}
	c := Command{CLA: b[0], INS: b[1], P1: b[2], P2: b[3]}
	body := b[4:]
	switch {
	case len(body) == 0: // case 1
		return c, nil
	case len(body) == 1: // case 2S
		c.Ne = shortNe(body[0])
		return c, nil
	case body[0] != 0: // case 3S or 4S
		nc := int(body[0])
		switch len(body) {
		case 1 + nc:
		case 2 + nc:
			c.Ne = shortNe(body[1+nc])
		default:
			return Command{}, fmt.Errorf("%w: Lc %d does not match a body of %d bytes", ErrMalformed, nc, len(body))
		}
		c.Data = body[1 : 1+nc]
		return c, nil
	case len(body) == 3: // case 2E
		c.Ne = extendedNe(body[1:3])
		return c, nil
	case len(body) < 3:
		return Command{}, fmt.Errorf("%w: extended length field cut short", ErrMalformed)
	}
	nc := int(binary.BigEndian.Uint16(body[1:3]))
	if nc == 0 {
		return Command{}, fmt.Errorf("%w: extended Lc of 0", ErrMalformed)
	}
	switch len(body) {
	case 3 + nc: // case 3E
	case 5 + nc: // case 4E
		c.Ne = extendedNe(body[3+nc:])
	default:
		return Command{}, fmt.Errorf("%w: extended Lc %d does not match a body of %d bytes", ErrMalformed, nc, len(body))
	}
	c.Data = body[3 : 3+nc]
	return c, nil
}

func shortNe(le byte) int {
	if le == 0 {
		return MaxShortNe
	}
	return int(le)
}

func extendedNe(le []byte) int {
	n := int(binary.BigEndian.Uint16(le))
	if n == 0 {
		return MaxExtendedNe
	}
	return n
}

// Response is a response APDU: the response data and the status word.
type Response struct {
	Data []byte
	SW   StatusWord
}

// ParseResponse splits a response APDU into data and status word. Data
// aliases b.
func ParseResponse(b []byte) (Response, error) {
	if len(b) < 2 {
		return Response{}, fmt.Errorf("%w: response APDU of %d bytes, need at least the 2 status bytes", ErrMalformed, len(b))
	}
	n := len(b) - 2
	return Response{Data: b[:n:n], SW: StatusWord(binary.BigEndian.Uint16(b[n:]))}, nil
}

// Bytes encodes the response as data followed by SW1 SW2.
func (r Response) Bytes() []byte {
	b := make([]byte, 0, len(r.Data)+2)
	b = append(b, r.Data...)
	return binary.BigEndian.AppendUint16(b, uint16(r.SW))
}
