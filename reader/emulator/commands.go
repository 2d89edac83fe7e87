package emulator

import (
	"errors"
	"io"

	"github.com/xanode/xanode/reader/emrtd"
	"github.com/xanode/xanode/reader/iso7816"
)

// readBinary serves READ BINARY by current EF or by short EF identifier
// (P1 = 80 + SFI), with the Le rules of shared/cards/README.md: Le = 00
// returns what is left (up to 256) with 9000, an explicit Le beyond the end
// returns what is left with 6282, and under secure messaging at most
// MaxSMRead bytes come back.
func (c *Card) readBinary(cmd iso7816.Command, secure bool) iso7816.Response {
	var off int
	if cmd.P1&0x80 != 0 {
		sfi := cmd.P1 & 0x1F
		var found *file
		for _, f := range c.currentDF() {
			if f.SFI == sfi {
				found = &f
				break
			}
		}
		if found == nil {
			return iso7816.Response{SW: iso7816.StatusFileNotFound}
		}
		c.current, off = found, int(cmd.P2)
	} else {
		if c.current == nil {
			return iso7816.Response{SW: iso7816.StatusNoCurrentEF}
		}
		off = int(cmd.P1&0x7F)<<8 | int(cmd.P2)
	}
	f := c.current
	if !f.InMaster && !secure && !c.opts.AllowPlainRead {
		return iso7816.Response{SW: iso7816.StatusSecurityNotSatisfied}
	}
	if off > len(f.data) {
		return iso7816.Response{SW: iso7816.StatusWrongP1P2}
	}
	left := f.data[off:]
	n, sw := cmd.Ne, iso7816.StatusOK
	switch {
	case n == iso7816.MaxShortNe && len(left) < n:
		n = len(left)
	case n > len(left):
		n, sw = len(left), iso7816.StatusEndOfFile
	}
	if secure && n > c.opts.MaxSMRead {
		if c.opts.OversizeError {
			return iso7816.Response{SW: iso7816.StatusWrongLength}
		}
		n, sw = c.opts.MaxSMRead, iso7816.StatusOK
	}
	return iso7816.Response{Data: left[:n], SW: sw}
}

func (c *Card) getChallenge(cmd iso7816.Command) iso7816.Response {
	if cmd.Ne != 8 {
		return iso7816.Response{SW: iso7816.StatusWrongLength}
	}
	ch := make([]byte, 8)
	if _, err := io.ReadFull(c.opts.Rand, ch); err != nil {
		return iso7816.Response{SW: iso7816.StatusNoPreciseDiagnosis}
	}
	c.challenge = ch
	return iso7816.Response{Data: ch, SW: iso7816.StatusOK}
}

// externalAuthenticate is the chip's half of BAC. A challenge is good for
// one attempt only, so a terminal cannot try keys against a fixed nonce.
func (c *Card) externalAuthenticate(cmd iso7816.Command) iso7816.Response {
	ch := c.challenge
	c.challenge = nil
	if ch == nil {
		return iso7816.Response{SW: iso7816.StatusConditionsNotMet}
	}
	kIC := make([]byte, 16)
	if _, err := io.ReadFull(c.opts.Rand, kIC); err != nil {
		return iso7816.Response{SW: iso7816.StatusNoPreciseDiagnosis}
	}
	resp, sm, err := emrtd.AnswerExternalAuthenticate(c.keys, ch, kIC, cmd.Data)
	switch {
	case errors.Is(err, emrtd.ErrAccessDenied):
		return iso7816.Response{SW: c.opts.BACFailSW}
	case err != nil:
		return iso7816.Response{SW: iso7816.StatusWrongLength}
	}
	c.sm = sm
	return iso7816.Response{Data: resp, SW: iso7816.StatusOK}
}
