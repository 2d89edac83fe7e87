// Package emrtd is the terminal side of ICAO Doc 9303 for eMRTD chips such as
// the Vietnamese CCCD: MRZ check digits and the BAC key, the key derivation
// function, retail MAC, secure messaging, Basic Access Control, and a Session
// that selects the LDS1 application and reads elementary files over any
// Transport. It also holds the few card-side primitives (answering BAC,
// unwrapping commands, wrapping responses) so that the software chip in
// reader/emulator runs exactly the same cryptography.
//
// Later protocols plug in without replacing anything: PACE produces another
// Suite (AES) and SSC for the same SecureMessaging, Chip and Active
// Authentication are more Session methods, and a PC/SC backend is one more
// Transport.
package emrtd

import "errors"

// Errors of this package. Status words from the card travel as
// iso7816.StatusWord values, wrapped together with these where they apply.
var (
	// ErrAccessDenied means the chip refused the access key: for BAC, any
	// status other than 9000 to EXTERNAL AUTHENTICATE (6300 on real chips,
	// 6988 on some emulators). The MRZ data were probably typed wrongly.
	ErrAccessDenied = errors.New("emrtd: access denied: wrong MRZ key (document number, date of birth or expiry)")
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
	// ErrInvalidKey means access key data are malformed (not a wrong key).
	ErrInvalidKey = errors.New("emrtd: invalid access key data")
)
