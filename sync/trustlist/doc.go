// Package trustlist builds and opens the signed CSCA trust list: the
// city's CSCA certificates and CRLs (the raft trust set, DESIGN.md "Trust
// model") as an edge receives them, signed like bundles with the city's
// data-signing key, so that an edge trusts nothing of it before the
// signature, which chains to the root it was enrolled with, verifies.
//
// # File format
//
//	magic        8 bytes  "XNTRUSTL"
//	header size  uint32, big-endian, at most MaxHeaderSize
//	header       the fields below
//	signature    64 bytes, Ed25519 over every byte before it
//	payload      exactly PayloadSize bytes, nothing after it
//
// The header is fixed-order binary, integers big-endian and fixed-width:
//
//	format       uint8: 1
//	version      uint64: the trust version (raft index of the set's last change)
//	created      int64: Unix milliseconds
//	count        uint32: items in the payload, at most MaxItems
//	payload hash 32 bytes: SHA-256 of the payload
//	payload size uint64: at most MaxPayload
//	signer       uint16 length + DER of the data-signing certificate
//
// The payload is the items, each
//
//	kind    uint8: 1 a CSCA certificate, 2 a CRL
//	length  uint32: 1 to MaxItem
//	DER     the certificate or CRL
//
// in strictly ascending order of their SHA-256 (the trust set's
// fingerprints), so one set has one encoding and no item is there twice.
//
// As with bundles, a fixed layout rather than JSON because a signed header
// must have one encoding, and the header carries the payload's hash and
// size so that an edge checks the signature before it reads any item.
// What the items say (a certificate's subject, a CRL's dates) is for the
// reader's parser; this package only carries DER.
//
// Open refuses a list older than the one the caller holds (Verifier.Held):
// an attacker who can replay an old, validly signed list must not bring
// back a CSCA since removed or a Document Signer since revoked.
package trustlist
