// Package reader is the chip card reading service the rest of xanode uses:
// given a Transport to a card (a PC/SC reader, the software emulator) and
// the access key, Read unlocks the chip, reads the Vietnamese citizen card's
// files, checks what it can, and returns a Result with an assurance level.
//
// The protocols live in sub-packages: iso7816 (APDUs, BER-TLV), emrtd (ICAO
// 9303: BAC, secure messaging, file reading), vncard (MRZ, DG1, DG13, QR),
// sod (EF.SOD), keys (public keys and signatures, brainpool included),
// trust (the CSCA trust store and passive authentication) and emulator (the
// software chip). Nothing here imports the rest of the project.
package reader

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/xanode/xanode/reader/emrtd"
	"github.com/xanode/xanode/reader/iso7816"
	"github.com/xanode/xanode/reader/trust"
	"github.com/xanode/xanode/reader/vncard"
)

// Transport carries APDUs to one card; see emrtd.Transport for the contract.
type Transport = emrtd.Transport

// Errors of Read. ErrAccessDenied is emrtd's, so errors.Is works with either.
var (
	// ErrAccessDenied means the chip refused the key: the ID, date of birth
	// or expiry date does not match the card.
	ErrAccessDenied = emrtd.ErrAccessDenied
	// ErrPACENotSupported means a CAN was given but the chip offers no PACE
	// this reader runs, so only the MRZ key can open it.
	ErrPACENotSupported = errors.New("reader: the chip offers no PACE this reader runs, so a CAN cannot open it; give the MRZ key (ID, date of birth, expiry) instead")
	// ErrInvalidKey means the key data are malformed (not a wrong key).
	ErrInvalidKey = emrtd.ErrInvalidKey
	// ErrNotCard means the chip has no eMRTD application.
	ErrNotCard = errors.New("reader: the chip has no ICAO eMRTD application (is this a citizen card?)")
	// ErrInvalidConfig means a Config field is out of range.
	ErrInvalidConfig = errors.New("reader: invalid configuration")
	// ErrNoProof means a Result cannot make a proof of presence: it was
	// read without Config.AAChallenge, or lacks a file the proof needs.
	ErrNoProof = errors.New("reader: no proof of presence from this read")
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

// CANFromID is the CAN of a CCCD: the last 6 digits of the personal ID.
func CANFromID(id string) (CAN, error) {
	if !vncard.ValidID(id) {
		return "", fmt.Errorf("%w: personal ID %q is not 12 digits", ErrInvalidKey, id)
	}
	return CAN(id[6:]), nil
}

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
	// Trust is the CSCA trust store for passive authentication. Nil
	// leaves PA not checked (only the data group hashes are compared).
	Trust *trust.Store
	// Now is the clock that dates the reading, against which certificate
	// validity is checked; nil means time.Now.
	Now func() time.Time
	// AAChallenge, when set, is the 8-byte challenge someone else (the
	// city) issued for a proof of presence: a card with DG15 then signs
	// it by Active Authentication even after Chip Authentication, and
	// Result.AASignature keeps the answer (see Result.Proof). Nil means
	// Active Authentication runs only as the clone check, over a random
	// challenge.
	AAChallenge []byte
}

// Validate checks the Config's fields.
func (c Config) Validate() error {
	if c.AAChallenge != nil && len(c.AAChallenge) != emrtd.AAChallengeLen {
		return fmt.Errorf("%w: AAChallenge of %d bytes, want %d", ErrInvalidConfig, len(c.AAChallenge), emrtd.AAChallengeLen)
	}
	return nil
}

// Read unlocks the chip with key and reads it with the default Config.
func Read(ctx context.Context, t Transport, key Key) (*Result, error) {
	return Config{}.Read(ctx, t, key)
}

// Read selects the eMRTD application, runs PACE (generic, integrated or
// chip authentication mapping) or BAC, and reads EF.COM, DG14 (then checks
// PACE-CAM's proof or runs Chip Authentication), DG1, DG2 (when listed and
// not skipped), DG13, DG15 and EF.SOD under secure messaging, runs Active
// Authentication when neither was possible (or over Config.AAChallenge),
// and checks EF.SOD against the trust store and EF.CardAccess against
// DG14. A wrong key is ErrAccessDenied; a card that answers garbage
// is an error naming what was wrong.
func (c Config) Read(ctx context.Context, t Transport, key Key) (*Result, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	r := &reading{c: c, s: emrtd.NewSession(t, c.Rand), res: &Result{Raw: map[string][]byte{}}}
	if c.AAChallenge != nil {
		r.res.AAChallenge = append([]byte(nil), c.AAChallenge...)
	}
	var err error
	switch k := key.(type) {
	case MRZKey:
		r.bac, r.haveBAC = k.bac(), true
		r.password, err = emrtd.MRZPassword(r.bac)
	case CAN:
		r.password, err = emrtd.CANPassword(string(k))
	default:
		err = fmt.Errorf("%w: no key", ErrInvalidKey)
	}
	if err != nil {
		return nil, err
	}
	if err := r.open(ctx, false); err != nil {
		return nil, err
	}
	if err := r.readFiles(ctx); err != nil {
		return nil, err
	}
	r.res.fill(c)
	r.res.APDUs = r.s.APDUs()
	return r.res, nil
}

// open unlocks the chip and selects the eMRTD application: PACE when
// EF.CardAccess offers a variant this reader runs, else BAC with the MRZ
// key, also when the chip refuses PACE with 6D00 (as vicc does). again is
// set when opening a second time, after a failed Chip Authentication.
func (r *reading) open(ctx context.Context, again bool) error {
	if !again {
		if err := r.cardAccess(ctx); err != nil {
			return err
		}
	} else if r.paceInfo != nil {
		if err := r.s.SelectMaster(ctx); err != nil {
			return err
		}
	}
	if r.paceInfo != nil {
		err := r.s.PACE(ctx, *r.paceInfo, r.password, r.severalPACE)
		switch {
		case err == nil:
			r.res.Access = AccessPACE
			if r.cam = r.s.ChipAuthenticationMapping(); r.cam != nil && r.dg14 != nil {
				r.checkCAM()
			}
			return r.selectApplication(ctx)
		case !errors.Is(err, emrtd.ErrPACENotSupported):
			return err
		case !r.haveBAC:
			return fmt.Errorf("%w: %w", ErrPACENotSupported, err)
		}
		r.res.Warnings = append(r.res.Warnings, "the chip announces PACE but refused it; read with BAC instead")
	} else if r.paceUnsupported != nil {
		if !r.haveBAC {
			return fmt.Errorf("%w: %w", ErrPACENotSupported, r.paceUnsupported)
		}
		if !again {
			r.res.Warnings = append(r.res.Warnings, "read with BAC: "+r.paceUnsupported.Error())
		}
	}
	if !r.haveBAC {
		return ErrPACENotSupported
	}
	r.res.Access = AccessBAC
	if err := r.selectApplication(ctx); err != nil {
		return err
	}
	return r.s.BAC(ctx, r.bac)
}

func (r *reading) selectApplication(ctx context.Context) error {
	if err := r.s.SelectApplication(ctx); err != nil {
		if errors.Is(err, iso7816.StatusFileNotFound) {
			return fmt.Errorf("%w: %w", ErrNotCard, err)
		}
		return err
	}
	return nil
}

// cardAccess reads EF.CardAccess from the master file (the current file
// after power-up; the CCCD refuses SELECT MF) and picks a PACE variant.
// A chip without the file, or with one that cannot be used, is read with
// BAC; only a transport failure is an error.
func (r *reading) cardAccess(ctx context.Context) error {
	b, err := r.s.ReadFile(ctx, emrtd.FileCardAccess)
	var sw iso7816.StatusWord
	switch {
	case errors.As(err, &sw) || errors.Is(err, emrtd.ErrProtocol):
		return nil
	case err != nil:
		return err
	}
	r.res.Raw[emrtd.FileCardAccess.Name] = b
	infos, err := emrtd.ParseSecurityInfos(b)
	if err != nil {
		r.res.Warnings = append(r.res.Warnings, "EF.CardAccess cannot be read: "+err.Error())
		return nil
	}
	if info, ok := emrtd.SupportedPACE(infos); ok {
		r.paceInfo, r.severalPACE = &info, len(infos.PACE) > 1
	} else if len(infos.PACE) > 0 {
		r.paceUnsupported = emrtd.CheckPACE(infos.PACE[0])
	}
	return nil
}

// reading is the state of one Read.
type reading struct {
	c   Config
	s   *emrtd.Session
	res *Result
	// The access key: a PACE password (MRZ or CAN), and the BAC key when
	// the MRZ was given.
	password emrtd.PACEPassword
	bac      emrtd.BACKey
	haveBAC  bool
	// paceInfo is the PACE variant EF.CardAccess offers, nil for none;
	// paceUnsupported says why, when it offers only variants not run here.
	paceInfo        *emrtd.PACEInfo
	severalPACE     bool
	paceUnsupported error
	// cam is the chip's proof from PACE-CAM until DG14 checks it; dg14 is
	// DG14 once read.
	cam  *emrtd.CAMProof
	dg14 *emrtd.SecurityInfos
	// caPending is set between Chip Authentication and the chip's first
	// answer under the new keys, which confirms it.
	caPending bool
	// caBroken is set when the chip failed the proof of Chip
	// Authentication or of PACE-CAM.
	caBroken bool
}

// read reads one file and keeps it. A chip that fails Chip Authentication
// shows it here, at its first answer under the new keys: that is recorded
// as a failed clone check, and the file is read again after opening the
// session anew. So is a file whose extended length read the chip refused.
func (r *reading) read(ctx context.Context, f emrtd.File) ([]byte, error) {
	b, err := r.s.ReadFile(ctx, f)
	if errors.Is(err, emrtd.ErrChipAuthentication) || errors.Is(err, emrtd.ErrExtendedLengthRefused) {
		if errors.Is(err, emrtd.ErrChipAuthentication) {
			r.caPending, r.caBroken = false, true
			r.res.CloneCheck = CloneCheck{Method: CloneCheckCA, Status: StatusFailed, Reason: err.Error()}
		}
		if err := r.open(ctx, true); err != nil {
			return nil, err
		}
		b, err = r.s.ReadFile(ctx, f)
	}
	if err != nil {
		return nil, err
	}
	if r.caPending {
		r.caPending = false
		r.res.CloneCheck = CloneCheck{Method: CloneCheckCA, Status: StatusOK}
	}
	r.res.Files = append(r.res.Files, f.Name)
	r.res.Raw[f.Name] = b
	return b, nil
}

func (r *reading) readFiles(ctx context.Context) error {
	comBytes, err := r.read(ctx, emrtd.FileCOM)
	if err != nil {
		return err
	}
	com, err := emrtd.ParseCOM(comBytes)
	if err != nil {
		return err
	}
	var infos *emrtd.SecurityInfos
	if com.Has(14) {
		if infos, err = r.chipAuthentication(ctx); err != nil {
			return err
		}
	} else if r.cam != nil {
		r.cam, r.res.CloneCheck.Reason = nil, "PACE-CAM: the card has no DG14 to check the chip's proof against"
	}
	dg1, err := r.read(ctx, emrtd.FileDG1)
	if err != nil {
		return err
	}
	if r.res.mrz, err = vncard.ParseDG1(dg1); err != nil {
		return err
	}
	if com.Has(2) && !r.c.SkipFace {
		b, err := r.read(ctx, emrtd.FileDG2)
		if err != nil {
			return err
		}
		// The face is for the officer's eyes; a DG2 in an unknown layout
		// does not stop the identification (PA still covers its bytes).
		if r.res.Face, err = vncard.ParseDG2(b); err != nil {
			r.res.Warnings = append(r.res.Warnings, "the face image cannot be shown: "+err.Error())
		}
	}
	if com.Has(13) {
		b, err := r.read(ctx, emrtd.FileDG13)
		if err != nil {
			return err
		}
		if r.res.DG13, err = vncard.ParseDG13(b); err != nil {
			return err
		}
	}
	if com.Has(15) {
		if err := r.activeAuthentication(ctx, infos); err != nil {
			return err
		}
	}
	if _, err := r.read(ctx, emrtd.FileSOD); err != nil && !errors.Is(err, iso7816.StatusFileNotFound) {
		return err
	}
	return nil
}
