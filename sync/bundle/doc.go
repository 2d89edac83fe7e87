// Package bundle builds and opens signed, zstd-compressed commune subsets
// (DESIGN.md, "Signed subsets"): what the city leader signs with the data-signing key
// and what an edge verifies before it changes anything.
//
// # File format
//
//	magic        8 bytes  "XNBUNDLE"
//	header size  uint32, big-endian, at most MaxHeaderSize
//	header       the fields below
//	signature    64 bytes, Ed25519 over every byte before it
//	payload      zstd frame, exactly PayloadSize bytes, nothing after it
//
// The header is fixed-order binary, integers big-endian and fixed-width:
//
//	format version  uint8: 3, 2, or 1 (format 2 without an officer list)
//	kind            uint8: 1 KindFull, 2 KindDelta
//	commune         uint8 length + bytes
//	from, to        uint64 each: subset versions
//	count           uint64: records of a full bundle, entries of a delta
//	subset digest   32 bytes: digest.Hash Sum of the subset after applying
//	created, expiry int64 each: Unix milliseconds
//	payload hash    32 bytes: SHA-256 of the compressed payload
//	payload size    uint64: compressed bytes
//	raw size        uint64: decompressed bytes
//	signer          uint16 length + DER certificate
//	officer flag    format 3 only: uint8, 1 when an officer list follows, 0 when not
//	officers        format 2, and format 3 with the flag: uint16 count (at
//	                most MaxOfficers), then each officer, in strictly
//	                ascending user order:
//	  user          uint8 length + bytes: 1 to 32 of a-z 0-9 . _ -
//	  name          uint8 length + bytes: 1 to 128 bytes of UTF-8
//	  role          uint8: 1 officer, 2 supervisor
//	  flags         uint8: bit 0 disabled, other bits zero
//	  salt, hash    uint8 length + bytes each: Argon2id; empty when disabled
//	  time, memory  uint32 each: Argon2id passes and KiB; 0 when disabled
//	  threads       uint8: Argon2id lanes; 0 when disabled
//
// The officer list is the commune's whole list of city-managed accounts
// at version To, in every bundle, full, delta or refresh: an edge makes its
// city accounts exactly that list, so a disabled or removed officer stops
// logging in with the next bundle. The city changes a commune's subset
// version whenever an account changes, so the version still names one
// header content. A format-1 header, or a format-3 header with the flag 0,
// has no list (Header.Officers is nil), and an edge that opens one leaves
// its accounts as they are.
//
// Fixed-width binary rather than JSON because a signed header must have
// exactly one encoding, and JSON has many (key order, spacing, escapes,
// number forms, duplicate keys); a fixed layout is canonical by
// construction, its parser is a few bounds checks that a fuzzer covers
// completely, and it matches the canonical record encoding of
// node/registry. The signature covers the magic and the header size too,
// so nothing unsigned precedes it, and the header hashes the payload, so an
// edge verifies the signature before it decompresses anything and caps the
// decompressed size at the signed raw size.
//
// # Rows (formats 1 and 2)
//
// The payload of a full bundle is registry.AppendCitizen(nil, c, false) for
// every record, concatenated in strictly ascending ID order, so the same
// subset always gives the same raw bytes. The subset digest is taken over
// the pairs (ID, that encoding), so an edge can keep it up to date record by
// record when deltas arrive.
//
// The payload of a delta is its entries, upserts and removals merged in
// strictly ascending ID order (an ID appears once):
//
//	upsert   0x01, then the record's compact encoding as in a full bundle
//	removal  0x02, ID length (1 to 64), ID bytes
//
// # Columns (format 3)
//
// The same entries, column by column, which zstd compresses about three
// times better (DESIGN.md, "Signed subsets"). Open turns them back into
// the rows above, and everything after that (order, encoding, count,
// Entry.Raw, the subset digest) is as in format 2: the two formats hold
// the same records in the same bytes, and an edge may get its full bundle
// in one and its deltas in the other.
//
// The decompressed payload is a fixed sequence of streams, each a uvarint
// length and its bytes, with nothing after the last. Numbers are minimal
// uvarints; "zigzag" maps a signed difference to one. The streams:
//
//	IDs       every entry's ID, in strictly ascending order: a 12-digit
//	          personal ID that follows another (or comes first) as
//	          2×(its number − the previous one's − 1), starting from −1;
//	          any other ID as 2×length+1, then its bytes
//	kinds     a delta's: a byte per entry, 1 upsert, 2 removal; empty in
//	          a full bundle. The upserts (all entries of a full bundle)
//	          are the records, numbered in ID order.
//	versions  each record's Version: zigzag of its difference from the
//	          previous record's (from 0)
//	columns   for each field, in the order household, full name, father,
//	          mother and spouse ID, then the others by field number: a
//	          code stream (one byte per record) and a data stream (the
//	          codes' numbers, in record order)
//	strings   one per dictionary (names; places; households; the rest):
//	          each new dictionary entry, in order of first use, as uvarint
//	          length + bytes
//
// A value is coded by the first of these that gives it, so that it has
// exactly one encoding; the decoder refuses any other choice, an entry
// named twice in a dictionary, and anything left over in a stream:
//
//	0 absent     the field is empty
//	1 as before  the value this field has in the previous record (ID order)
//	             of the same household
//	2 derived    the column's derived value, when there is one: sex from
//	             the ID's century/sex digit, the commune from the header,
//	             the current address from the permanent one, the card
//	             number from the ID, a father's, mother's or spouse's name
//	             from their record in the bundle
//	4–6 date     YYYY-MM-DD, YYYY-MM or YYYY in digits, for date fields:
//	             zigzag year, month and day differences from a reference
//	             (birth date: 1 January of the ID's birth year; card
//	             expiry: the birth date; others: 2000-01-01)
//	8 member     a personal-ID field naming a record of the same
//	             household: its index among the household's records
//	9 record     a personal-ID field naming an entry of the bundle:
//	             zigzag of that entry's number less this record's entry's
//	7 digits     a personal-ID field (12 digits) or the old ID (9 digits)
//	             written in exactly that many digits: the number
//	3 dictionary anything else: an entry of the column's dictionary,
//	             as how many entries back from the end it is, 0 for a new
//	             entry read from the dictionary's strings stream
//
// A delta's digest is still that of the whole subset after it applies: the
// edge subtracts the pairs it replaces or removes from the digest state it
// keeps, adds the new ones, and must reach the signed digest, so a delta
// that does not take exactly the edge's subset at From to the city's at To
// is refused. The city serves a delta only from the version the edge holds.
//
// Open refuses whatever does not verify; it does not refuse an expired
// bundle (Bundle.Expired reports it): what to do with stale data is the
// edge's decision (DESIGN.md, "Signed subsets", freeze protection).
package bundle
