// Package emulator is a software eMRTD chip: the card side of what package
// emrtd speaks (SELECT, BAC, PACE with generic, integrated or chip
// authentication mapping, 3DES and AES secure messaging, READ BINARY, Chip and
// Active Authentication), behaving like the Vietnamese CCCD as
// shared/cards/README.md describes it. It serves files from a card directory,
// builds cards from a person's data with a real EF.SOD, and can present itself
// to pcscd's vpcd driver so that any PC/SC program reads it. Tests and the
// demo use it in-process as a Transport.
package emulator

import (
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"sync"

	"github.com/xanode/xanode/reader/emrtd"
	"github.com/xanode/xanode/reader/iso7816"
	"github.com/xanode/xanode/reader/vncard"
)

// Options tune the card's behaviour; the zero value is a well-behaved chip.
type Options struct {
	// QuirkCCCD makes SELECT MF answer 6D00, as the real CCCD does.
	QuirkCCCD bool
	// BACFailSW answers EXTERNAL AUTHENTICATE with a wrong key. Zero means
	// 6300 (real chips); vicc answers 6988.
	BACFailSW iso7816.StatusWord
	// MaxSMRead caps the plaintext bytes of one READ BINARY under secure
	// messaging so the protected answer fits a short APDU. Zero means 231.
	MaxSMRead int
	// OversizeError answers 6700 to a READ BINARY under secure messaging
	// that asks for more than MaxSMRead, instead of capping it.
	OversizeError bool
	// AllowPlainRead lets LDS1 files be read without secure messaging.
	AllowPlainRead bool
	// PlainErrors sends error statuses under secure messaging unprotected,
	// like some older chips.
	PlainErrors bool
	// ExtendedLength makes the chip take extended length APDUs and say so
	// in its ATR; without it, an extended APDU gets 6700, as from vicc.
	// MaxSMRead then defaults to 32 KiB.
	ExtendedLength bool
	// Key overrides the BAC key; nil means the key from DG1's MRZ.
	Key *emrtd.BACKey
	// Rand supplies challenges and the chip's key share; nil means
	// crypto/rand.
	Rand io.Reader
	// CAN is the card access number for PACE; empty means the last 6
	// digits of the personal ID in DG1's MRZ, as on the CCCD.
	CAN string
	// ChipKeys are the private keys the chip holds for Chip and Active
	// Authentication. Without them the chip answers those commands with
	// 6D00, like vicc; with other keys than DG14/DG15 say, it is a clone.
	// PACE with chip authentication mapping uses ChipKeys.CA too.
	ChipKeys ChipKeys
	// PACE, when not empty, lists the PACE variants the chip announces in
	// EF.CardAccess and runs, in place of the files' EF.CardAccess: e.g.
	// emrtd.PACEInfoWith(emrtd.IntegratedMapping, emrtd.AES128, 13).
	// Empty keeps the files' EF.CardAccess (AddPACE writes the CCCD's,
	// generic mapping), or no PACE without one. The signed DG14 does not
	// change, so on a card with DG14 this plays a man in the middle who
	// rewrites EF.CardAccess: a consistent card writes its variants with
	// AddPACE before AddChipKeys instead.
	PACE []emrtd.PACEInfo
}

// Status words the card uses beyond package iso7816's.
const (
	statusWrongP1P2Detail iso7816.StatusWord = 0x6A86
	defaultMaxSMRead                         = 231
)

// Instructions the card understands.
const (
	insSelect               = 0xA4
	insReadBinary           = 0xB0
	insGetChallenge         = 0x84
	insExternalAuthenticate = 0x82
	insMSE                  = 0x22
	insGeneralAuthenticate  = 0x86
	insInternalAuthenticate = 0x88
)

// Instructions of a read-only file system: refused with 6982.
var writeINS = map[byte]bool{0x0C: true, 0x0E: true, 0x0F: true, 0xD0: true, 0xD1: true, 0xD2: true, 0xD6: true,
	0xD7: true, 0xDA: true, 0xDB: true, 0xDC: true, 0xDD: true, 0xE0: true, 0xE2: true, 0xE4: true}

// Card is an in-process chip. It implements emrtd.Transport and is safe for
// concurrent use, though APDUs of one session only make sense in order.
type Card struct {
	opts   Options
	keys   emrtd.BACKeys
	bacKey emrtd.BACKey     // also PACE's MRZ password
	can    string           // PACE's CAN password
	pace   []emrtd.PACEInfo // from EF.CardAccess
	mf     map[uint16]file  // master file
	lds    map[uint16]file  // LDS1 application

	mu        sync.Mutex
	inLDS     bool  // current DF is the LDS1 application
	current   *file // current EF
	challenge []byte
	sm        *emrtd.SecureMessaging
	// nextSM replaces sm once the current answer is sent (Chip
	// Authentication); caCipher is set by MSE:Set AT for it.
	nextSM   *emrtd.SecureMessaging
	caCipher emrtd.Cipher
	paceChip *emrtd.PACEChip // a PACE run in progress
}

type file struct {
	emrtd.File
	data []byte
}

// New makes a card holding files (names as in a card directory: COM, DG1,
// SOD, ...). The BAC key comes from DG1 unless opts.Key is set.
func New(files Files, opts Options) (*Card, error) {
	c := &Card{opts: opts, mf: map[uint16]file{}, lds: map[uint16]file{}}
	if c.opts.BACFailSW == 0 {
		c.opts.BACFailSW = iso7816.StatusVerificationFailed
	}
	if c.opts.MaxSMRead == 0 {
		c.opts.MaxSMRead = defaultMaxSMRead
		if c.opts.ExtendedLength {
			c.opts.MaxSMRead = 0x8000
		}
	}
	if c.opts.Rand == nil {
		c.opts.Rand = rand.Reader
	}
	for name, data := range files {
		f, ok := emrtd.FileByName(name)
		if !ok {
			return nil, fmt.Errorf("emulator: %q is not an ICAO elementary file name", name)
		}
		df := c.lds
		if f.InMaster {
			df = c.mf
		}
		df[f.FID] = file{File: f, data: data}
	}
	if err := c.setKeys(); err != nil {
		return nil, err
	}
	return c, nil
}

// setKeys takes the BAC key and the CAN from the options or from DG1's
// MRZ, and the PACE variants from EF.CardAccess. An EF.CardAccess that
// does not parse is served as it is, without PACE, as vicc does.
func (c *Card) setKeys() error {
	var mrz *vncard.MRZ
	if dg1, ok := c.lds[emrtd.FileDG1.FID]; ok {
		m, err := vncard.ParseDG1(dg1.data)
		if err != nil && c.opts.Key == nil {
			return fmt.Errorf("emulator: BAC key from DG1: %w", err)
		}
		mrz = m
	}
	switch {
	case c.opts.Key != nil:
		c.bacKey = *c.opts.Key
	case mrz != nil:
		c.bacKey = mrz.BACKey()
	default:
		return fmt.Errorf("emulator: no DG1 to take the BAC key from, and no key given")
	}
	c.can = c.opts.CAN
	if id := ""; c.can == "" && mrz != nil {
		if id = mrz.ID(); len(id) == 12 {
			c.can = id[6:]
		}
	}
	var err error
	if c.keys, err = emrtd.DeriveBACKeys(c.bacKey); err != nil {
		return fmt.Errorf("emulator: %w", err)
	}
	if len(c.opts.PACE) > 0 {
		b, err := (&emrtd.SecurityInfos{PACE: c.opts.PACE}).Marshal()
		if err != nil {
			return fmt.Errorf("emulator: EF.CardAccess: %w", err)
		}
		c.mf[emrtd.FileCardAccess.FID] = file{File: emrtd.FileCardAccess, data: b}
	}
	if ca, ok := c.mf[emrtd.FileCardAccess.FID]; ok {
		if infos, err := emrtd.ParseSecurityInfos(ca.data); err == nil {
			c.pace = infos.PACE
		}
	}
	for _, info := range c.pace {
		if info.Mapping() == emrtd.ChipAuthenticationMapping && c.opts.ChipKeys.CA == nil {
			return fmt.Errorf("emulator: EF.CardAccess announces %s, which needs ChipKeys.CA", info)
		}
	}
	return nil
}

// Reset is a power cycle: the session ends and the master file is current.
func (c *Card) Reset() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.reset()
}

func (c *Card) reset() {
	c.inLDS, c.current, c.challenge, c.sm = false, nil, nil, nil
	c.nextSM, c.caCipher, c.paceChip = nil, 0, nil
}

// Transmit executes one command APDU and returns the response APDU.
func (c *Card) Transmit(ctx context.Context, cmd []byte) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	// The command is parsed in place and parts of it kept across commands
	// (PACE); a transport may reuse its buffer for the next one.
	return c.execute(append([]byte(nil), cmd...)), nil
}

func (c *Card) execute(raw []byte) []byte {
	cmd, err := iso7816.ParseCommand(raw)
	if err != nil {
		return status(iso7816.StatusWrongLength)
	}
	if len(raw) > 5 && raw[4] == 0 && !c.opts.ExtendedLength { // extended Lc or Le
		return status(iso7816.StatusWrongLength)
	}
	if cmd.CLA&0x80 != 0 {
		return status(iso7816.StatusCLANotSupported)
	}
	if cmd.CLA&0x0C == 0 {
		c.sm, c.nextSM, c.caCipher = nil, nil, 0 // ICAO 9303-11: a plain command ends secure messaging
		return c.dispatch(cmd, false).Bytes()
	}
	if c.sm == nil {
		return status(iso7816.StatusSMObjectsIncorrect)
	}
	plain, err := c.sm.UnprotectCommand(cmd)
	if err != nil {
		c.sm = nil // the chip aborts the session and answers unprotected
		return status(iso7816.StatusSMObjectsIncorrect)
	}
	sm := c.sm
	r := c.dispatch(plain, true)
	if (c.opts.PlainErrors && !r.SW.Completed()) || c.sm != sm {
		return r.Bytes()
	}
	out, err := sm.ProtectResponse(r)
	if err != nil {
		c.sm = nil
		return status(iso7816.StatusNoPreciseDiagnosis)
	}
	if c.nextSM != nil {
		c.sm, c.nextSM = c.nextSM, nil
	}
	return out
}

func status(sw iso7816.StatusWord) []byte { return iso7816.Response{SW: sw}.Bytes() }

func (c *Card) dispatch(cmd iso7816.Command, secure bool) iso7816.Response {
	switch {
	case cmd.INS == insSelect:
		return iso7816.Response{SW: c.selectFile(cmd)}
	case cmd.INS == insReadBinary:
		return c.readBinary(cmd, secure)
	case cmd.INS == insGetChallenge:
		return c.getChallenge(cmd)
	case cmd.INS == insExternalAuthenticate:
		return c.externalAuthenticate(cmd)
	case cmd.INS == insMSE:
		return c.mse(cmd, secure)
	case cmd.INS == insGeneralAuthenticate:
		return c.generalAuthenticate(cmd, secure)
	case cmd.INS == insInternalAuthenticate:
		return c.internalAuthenticate(cmd, secure)
	case writeINS[cmd.INS]:
		return iso7816.Response{SW: iso7816.StatusSecurityNotSatisfied}
	}
	// PSO, VERIFY, GET DATA and the rest: not an eMRTD's business.
	return iso7816.Response{SW: iso7816.StatusINSNotSupported}
}

func (c *Card) selectFile(cmd iso7816.Command) iso7816.StatusWord {
	switch cmd.P1 {
	case 0x00: // MF, or an EF by FID from the MF (ISO 7816-4 allows both)
		if len(cmd.Data) == 0 || (len(cmd.Data) == 2 && cmd.Data[0] == 0x3F && cmd.Data[1] == 0x00) {
			if c.opts.QuirkCCCD {
				return iso7816.StatusINSNotSupported
			}
			c.inLDS, c.current = false, nil
			return iso7816.StatusOK
		}
		return c.selectEF(cmd.Data)
	case 0x02:
		return c.selectEF(cmd.Data)
	case 0x04:
		if string(cmd.Data) != string(emrtd.AID) {
			return iso7816.StatusFileNotFound
		}
		c.inLDS, c.current = true, nil
		return iso7816.StatusOK
	}
	return statusWrongP1P2Detail
}

func (c *Card) selectEF(fid []byte) iso7816.StatusWord {
	if len(fid) != 2 {
		return iso7816.StatusWrongData
	}
	f, ok := c.currentDF()[uint16(fid[0])<<8|uint16(fid[1])]
	if !ok {
		return iso7816.StatusFileNotFound
	}
	c.current = &f
	return iso7816.StatusOK
}

func (c *Card) currentDF() map[uint16]file {
	if c.inLDS {
		return c.lds
	}
	return c.mf
}
