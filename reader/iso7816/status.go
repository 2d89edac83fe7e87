package iso7816

import (
	"errors"
	"fmt"
)

// Errors for bytes that do not follow ISO 7816-4.
var (
	// ErrMalformed marks an APDU or data object whose structure is wrong.
	ErrMalformed = errors.New("iso7816: malformed")
	// ErrTruncated marks a data object that claims more bytes than exist.
	ErrTruncated = errors.New("iso7816: truncated")
)

// StatusWord is SW1 SW2 of a response. A StatusWord other than StatusOK is
// also an error, so callers can return it and test it with errors.Is or
// errors.As (e.g. errors.Is(err, iso7816.StatusFileNotFound)).
type StatusWord uint16

// Status words used by the eMRTD protocols and the card emulator.
const (
	StatusOK                   StatusWord = 0x9000
	StatusEndOfFile            StatusWord = 0x6282 // fewer bytes than Le before the end of the file
	StatusVerificationFailed   StatusWord = 0x6300 // authentication failed; BAC with a wrong key on many chips
	StatusWrongLength          StatusWord = 0x6700
	StatusSMObjectsMissing     StatusWord = 0x6987
	StatusSMObjectsIncorrect   StatusWord = 0x6988 // bad SM MAC; BAC with a wrong key on some chips
	StatusSecurityNotSatisfied StatusWord = 0x6982
	StatusConditionsNotMet     StatusWord = 0x6985
	StatusNoCurrentEF          StatusWord = 0x6986
	StatusWrongData            StatusWord = 0x6A80
	StatusFileNotFound         StatusWord = 0x6A82
	StatusWrongP1P2            StatusWord = 0x6B00 // for READ BINARY: offset beyond the end of the file
	StatusINSNotSupported      StatusWord = 0x6D00
	StatusCLANotSupported      StatusWord = 0x6E00
	StatusNoPreciseDiagnosis   StatusWord = 0x6F00
)

var statusText = map[StatusWord]string{
	StatusOK:                   "success",
	StatusEndOfFile:            "end of file reached before Le bytes",
	StatusVerificationFailed:   "verification failed",
	StatusWrongLength:          "wrong length",
	StatusSMObjectsMissing:     "secure messaging data objects missing",
	StatusSMObjectsIncorrect:   "secure messaging data objects incorrect",
	StatusSecurityNotSatisfied: "security status not satisfied",
	StatusConditionsNotMet:     "conditions of use not satisfied",
	StatusNoCurrentEF:          "no current EF",
	StatusWrongData:            "incorrect data",
	StatusFileNotFound:         "file not found",
	StatusWrongP1P2:            "wrong parameters P1-P2",
	StatusINSNotSupported:      "instruction not supported",
	StatusCLANotSupported:      "class not supported",
	StatusNoPreciseDiagnosis:   "no precise diagnosis",
}

// SW1 returns the first status byte.
func (sw StatusWord) SW1() byte { return byte(sw >> 8) }

// SW2 returns the second status byte.
func (sw StatusWord) SW2() byte { return byte(sw) }

// OK reports whether the command completed normally (9000).
func (sw StatusWord) OK() bool { return sw == StatusOK }

// Completed reports whether the command was processed: 9000, 61xx (more
// data available) or the 62xx/63xx warnings. ICAO 9303-11 protects the
// response data of these under secure messaging.
func (sw StatusWord) Completed() bool {
	switch sw.SW1() {
	case 0x90:
		return sw == StatusOK
	case 0x61, 0x62, 0x63:
		return true
	}
	return false
}

// Err returns nil for 9000 and the status word itself otherwise.
func (sw StatusWord) Err() error {
	if sw == StatusOK {
		return nil
	}
	return sw
}

func (sw StatusWord) Error() string { return "card answered " + sw.String() }

func (sw StatusWord) String() string {
	if t, ok := statusText[sw]; ok {
		return fmt.Sprintf("%04X (%s)", uint16(sw), t)
	}
	return fmt.Sprintf("%04X", uint16(sw))
}
