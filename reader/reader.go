// Package reader is the chip card reading service the rest of xanode uses:
// given a Transport to a card (a PC/SC reader, the software emulator) and
// the access key, Read unlocks the chip, reads the Vietnamese citizen card's
// files, checks what it can, and returns a Result with an assurance level.
//
// The protocols live in sub-packages: iso7816 (APDUs, BER-TLV), emrtd (ICAO
// 9303: BAC, secure messaging, file reading), vncard (MRZ, DG1, DG13, QR),
// sod (EF.SOD) and emulator (the software chip). Nothing here imports the
// rest of the project.
package reader

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/xanode/xanode/reader/emrtd"
	"github.com/xanode/xanode/reader/iso7816"
	"github.com/xanode/xanode/reader/vncard"
)

// Transport carries APDUs to one card; see emrtd.Transport for the contract.
type Transport = emrtd.Transport

// Errors of Read. ErrAccessDenied is emrtd's, so errors.Is works with either.
var (
	// ErrAccessDenied means the chip refused the key: the ID, date of birth
	// or expiry date does not match the card.
	ErrAccessDenied = emrtd.ErrAccessDenied
	// ErrPACENotSupported means a CAN was given; only BAC is implemented.
	ErrPACENotSupported = errors.New("reader: PACE with a CAN is not supported yet; give the MRZ key (ID, date of birth, expiry) instead")
	// ErrInvalidKey means the key data are malformed (not a wrong key).
	ErrInvalidKey = emrtd.ErrInvalidKey
	// ErrNotCard means the chip has no eMRTD application.
	ErrNotCard = errors.New("reader: the chip has no ICAO eMRTD application (is this a citizen card?)")
)

// Key unlocks a chip: an MRZKey for BAC or a CAN for PACE.
type Key interface {
	accessMethod() string
}

// MRZKey is the BAC key printed in the card's MRZ.
type MRZKey struct {
	DocumentNumber string // on the CCCD: the last 9 digits of the 12-digit ID
	DateOfBirth    string // YYMMDD
	DateOfExpiry   string // YYMMDD
}

func (MRZKey) accessMethod() string { return AccessBAC }

// KeyFromID makes the BAC key of a CCCD from the 12-digit personal ID, whose
// last 9 digits are the document number, and the dates as YYMMDD.
func KeyFromID(id, dateOfBirth, dateOfExpiry string) (MRZKey, error) {
	if !vncard.ValidID(id) {
		return MRZKey{}, fmt.Errorf("%w: personal ID %q is not 12 digits", ErrInvalidKey, id)
	}
	k := MRZKey{DocumentNumber: id[3:], DateOfBirth: dateOfBirth, DateOfExpiry: dateOfExpiry}
	if _, err := k.bac().MRZInformation(); err != nil {
		return MRZKey{}, err
	}
	return k, nil
}

func (k MRZKey) bac() emrtd.BACKey {
	return emrtd.BACKey{DocumentNumber: k.DocumentNumber, DateOfBirth: k.DateOfBirth, DateOfExpiry: k.DateOfExpiry}
}

// CAN is the 6-digit card access number for PACE; on the CCCD, the last 6
// digits of the personal ID.
type CAN string

func (CAN) accessMethod() string { return AccessPACE }

// Access methods as Result.Access names them.
const (
	AccessBAC  = "bac"
	AccessPACE = "pace"
)

// Config tunes Read. The zero value reads like a terminal at a one-stop desk.
type Config struct {
	// Rand supplies the terminal's BAC nonces and key share; nil means
	// crypto/rand. Tests inject fixed bytes to reproduce transcripts.
	Rand io.Reader
	// SkipFace leaves DG2 (the face image, 15-20 KB, some 70 APDUs on a
	// real card) unread even when EF.COM lists it.
	SkipFace bool
}

// Read unlocks the chip with key and reads it with the default Config.
func Read(ctx context.Context, t Transport, key Key) (*Result, error) {
	return Config{}.Read(ctx, t, key)
}

// Read selects the eMRTD application, runs BAC, and reads EF.COM, DG1, DG2
// (when listed and not skipped), DG13 (when listed) and EF.SOD under secure
// messaging. A wrong key is ErrAccessDenied; a card that answers garbage is
// an error naming what was wrong.
func (c Config) Read(ctx context.Context, t Transport, key Key) (*Result, error) {
	var bk emrtd.BACKey
	switch k := key.(type) {
	case MRZKey:
		bk = k.bac()
	case CAN:
		return nil, ErrPACENotSupported
	default:
		return nil, fmt.Errorf("%w: no key", ErrInvalidKey)
	}
	s := emrtd.NewSession(t, c.Rand)
	if err := s.SelectApplication(ctx); err != nil {
		if errors.Is(err, iso7816.StatusFileNotFound) {
			return nil, fmt.Errorf("%w: %w", ErrNotCard, err)
		}
		return nil, err
	}
	if err := s.BAC(ctx, bk); err != nil {
		return nil, err
	}
	res, err := c.readFiles(ctx, s)
	if err != nil {
		return nil, err
	}
	res.APDUs = s.APDUs()
	return res, nil
}

func (c Config) readFiles(ctx context.Context, s *emrtd.Session) (*Result, error) {
	res := &Result{Access: AccessBAC, Raw: map[string][]byte{}}
	read := func(f emrtd.File) ([]byte, error) {
		b, err := s.ReadFile(ctx, f)
		if err != nil {
			return nil, err
		}
		res.Files = append(res.Files, f.Name)
		res.Raw[f.Name] = b
		return b, nil
	}
	comBytes, err := read(emrtd.FileCOM)
	if err != nil {
		return nil, err
	}
	com, err := emrtd.ParseCOM(comBytes)
	if err != nil {
		return nil, err
	}
	dg1, err := read(emrtd.FileDG1)
	if err != nil {
		return nil, err
	}
	if res.mrz, err = vncard.ParseDG1(dg1); err != nil {
		return nil, err
	}
	if com.Has(2) && !c.SkipFace {
		if _, err := read(emrtd.FileDG2); err != nil {
			return nil, err
		}
	}
	if com.Has(13) {
		b, err := read(emrtd.FileDG13)
		if err != nil {
			return nil, err
		}
		if res.DG13, err = vncard.ParseDG13(b); err != nil {
			return nil, err
		}
	}
	if _, err := read(emrtd.FileSOD); err != nil && !errors.Is(err, iso7816.StatusFileNotFound) {
		return nil, err
	}
	res.fill()
	return res, nil
}
