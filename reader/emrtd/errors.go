// Package emrtd is the terminal side of ICAO Doc 9303 for eMRTD chips such as
// the Vietnamese CCCD: MRZ check digits and the BAC key, the key derivation
// function, retail MAC and AES-CMAC, 3DES and AES secure messaging, Basic
// Access Control, PACE (ECDH with generic, integrated or chip authentication
// mapping; MRZ or CAN), Chip Authentication (DG14) and Active Authentication
// (DG15), and a Session that selects the LDS1 application and reads elementary
// files over any Transport, with extended length when the card's ATR announces
// it. It also holds the card-side primitives (answering BAC, PACE and Chip
// Authentication, signing Active Authentication challenges, unwrapping
// commands, wrapping responses) so that the software chip in reader/emulator
// runs exactly the same cryptography.
package emrtd

import "errors"

// Errors of this package. Status words from the card travel as
// iso7816.StatusWord values, wrapped together with these where they apply.
var (
	// ErrAccessDenied means the chip refused the access key: for BAC, any
	// status other than 9000 to EXTERNAL AUTHENTICATE (6300 on real chips,
	// 6988 on some emulators); for PACE, to the last GENERAL AUTHENTICATE.
	// The MRZ data or the CAN were probably typed wrongly.
	ErrAccessDenied = errors.New("emrtd: access denied: wrong access key (MRZ document number, date of birth or expiry; or CAN)")
	// ErrProtocol means the card's answer does not follow the protocol:
	// wrong lengths, malformed data objects, nonces that do not match.
	ErrProtocol = errors.New("emrtd: card answer breaks the protocol")
	// ErrSecureMessaging means secure messaging failed: a response MAC that
	// does not verify, missing or malformed SM objects, or a card that
	// ended the session (bare 6987/6988). Nothing from that answer is used,
	// and the session must authenticate again.
	ErrSecureMessaging = errors.New("emrtd: secure messaging failed")
	// ErrNoSession means a command needs secure messaging that is not set up.
	ErrNoSession = errors.New("emrtd: no secure messaging session (authenticate first)")
	// ErrExtendedLengthRefused means the chip refused an extended length
	// READ BINARY outright, ending secure messaging: the session must be
	// opened again, and reads only short APDUs from then on.
	ErrExtendedLengthRefused = errors.New("emrtd: the chip refused an extended length APDU that its ATR announced")
	// ErrInvalidKey means access key data are malformed (not a wrong key).
	ErrInvalidKey = errors.New("emrtd: invalid access key data")
	// ErrCardAccessMismatch means EF.CardAccess, which nothing signs, and
	// the signed DG14 disagree on the SecurityInfos EF.CardAccess must
	// repeat in DG14: a PACE downgrade on the way, or a chip that breaks
	// ICAO 9303-11.
	ErrCardAccessMismatch = errors.New("emrtd: EF.CardAccess does not match the signed DG14")
)
