// Package pcsc connects the reader to real card readers through PC/SC
// (pcscd on Linux): Open connects to the card in a reader for one reading
// session, Readers and Status list the readers, and a Monitor follows
// readers being plugged in and out and cards being placed and lifted,
// reconnecting to pcscd when it restarts.
//
// The implementation needs cgo and libpcsclite and is built only with the
// build tag pcsc; without it every entry point reports ErrNotBuilt, so the
// rest of xanode builds and tests with nothing but Go installed. The
// Monitor's logic is the same in both builds: it talks to PC/SC through a
// small interface, which the tests fake.
package pcsc

import (
	"errors"
	"fmt"
)

// Errors of the package. Errors from PC/SC carry the PC/SC code and match
// these with errors.Is.
var (
	// ErrNotBuilt means the binary was built without the pcsc tag.
	ErrNotBuilt = errors.New("pcsc: this binary has no PC/SC support; rebuild with -tags pcsc (needs libpcsclite-dev)")
	// ErrNoService means pcscd is not running, was stopped, or restarted
	// under a connection that is therefore gone.
	ErrNoService = errors.New("pcscd is not running: start it with `systemctl start pcscd`")
	// ErrNoReader means pcscd lists no card reader, or not the one asked
	// for.
	ErrNoReader = errors.New("no card reader is attached: plug one in (pcsc_scan -r lists what pcscd sees)")
	// ErrNoCard means there is no card to read: Open gave up waiting for
	// one, or the card was lifted during the read.
	ErrNoCard = errors.New("pcsc: no card")
)

// PC/SC return codes the package tells apart (pcsclite.h; the same values
// on every platform).
const (
	codeCancelled        uint32 = 0x80100002 // SCARD_E_CANCELLED
	codeInvalidHandle    uint32 = 0x80100003 // SCARD_E_INVALID_HANDLE
	codeUnknownReader    uint32 = 0x80100009 // SCARD_E_UNKNOWN_READER
	codeTimeout          uint32 = 0x8010000A // SCARD_E_TIMEOUT
	codeSharingViolation uint32 = 0x8010000B // SCARD_E_SHARING_VIOLATION
	codeNoSmartcard      uint32 = 0x8010000C // SCARD_E_NO_SMARTCARD
	codeCommError        uint32 = 0x80100013 // SCARD_F_COMM_ERROR: pcscd went away during a call
	codeReaderGone       uint32 = 0x80100017 // SCARD_E_READER_UNAVAILABLE
	codeNoService        uint32 = 0x8010001D // SCARD_E_NO_SERVICE
	codeServiceStopped   uint32 = 0x8010001E // SCARD_E_SERVICE_STOPPED
	codeNoReaders        uint32 = 0x8010002E // SCARD_E_NO_READERS_AVAILABLE
	codeUnresponsive     uint32 = 0x80100066 // SCARD_W_UNRESPONSIVE_CARD
	codeUnpowered        uint32 = 0x80100067 // SCARD_W_UNPOWERED_CARD
	codeResetCard        uint32 = 0x80100068 // SCARD_W_RESET_CARD
	codeRemovedCard      uint32 = 0x80100069 // SCARD_W_REMOVED_CARD
)

var codeNames = map[uint32]string{
	codeCancelled: "SCARD_E_CANCELLED", codeInvalidHandle: "SCARD_E_INVALID_HANDLE",
	codeUnknownReader: "SCARD_E_UNKNOWN_READER", codeTimeout: "SCARD_E_TIMEOUT",
	codeSharingViolation: "SCARD_E_SHARING_VIOLATION: another program holds the card",
	codeNoSmartcard:      "SCARD_E_NO_SMARTCARD", codeCommError: "SCARD_F_COMM_ERROR", codeReaderGone: "SCARD_E_READER_UNAVAILABLE",
	codeNoService: "SCARD_E_NO_SERVICE", codeServiceStopped: "SCARD_E_SERVICE_STOPPED",
	codeNoReaders:    "SCARD_E_NO_READERS_AVAILABLE",
	codeUnresponsive: "SCARD_W_UNRESPONSIVE_CARD: the card does not answer", codeUnpowered: "SCARD_W_UNPOWERED_CARD",
	codeResetCard: "SCARD_W_RESET_CARD", codeRemovedCard: "SCARD_W_REMOVED_CARD: the card was lifted",
}

// codeError is a PC/SC call that failed: which call, and its return code.
type codeError struct {
	op   string
	code uint32
}

func (e *codeError) Error() string {
	name := codeNames[e.code]
	if name == "" {
		name = fmt.Sprintf("PC/SC error 0x%08X", e.code)
	}
	switch {
	case e.serviceGone():
		return fmt.Sprintf("pcsc: %s: %v (%s)", e.op, ErrNoService, name)
	case e.code == codeNoReaders:
		return fmt.Sprintf("pcsc: %s: %v (%s)", e.op, ErrNoReader, name)
	}
	return fmt.Sprintf("pcsc: %s: %s", e.op, name)
}

// Is makes a lost pcscd match ErrNoService, an empty reader list
// ErrNoReader, and a card lifted ErrNoCard.
func (e *codeError) Is(target error) bool {
	switch target {
	case ErrNoService:
		return e.serviceGone()
	case ErrNoReader:
		return e.code == codeNoReaders
	case ErrNoCard:
		return e.code == codeRemovedCard || e.code == codeNoSmartcard
	}
	return false
}

// serviceGone: pcscd is not there (any more), or restarted so that the
// context handle means nothing to it; a new context is the way on.
func (e *codeError) serviceGone() bool {
	switch e.code {
	case codeNoService, codeServiceStopped, codeInvalidHandle, codeCommError:
		return true
	}
	return false
}

// hasCode reports whether err is a PC/SC failure with one of codes.
func hasCode(err error, codes ...uint32) bool {
	var ce *codeError
	if !errors.As(err, &ce) {
		return false
	}
	for _, c := range codes {
		if ce.code == c {
			return true
		}
	}
	return false
}
