// Package digest is an incremental, order-independent hash of a set of
// (key, value) records: the city FSM keeps its state digest in step with
// every write, and an edge recomputes a commune subset's digest after a
// delta, both without rehashing what did not change.
//
// It is a lattice (additive) hash in the style of LtHash (Bellare and
// Micciancio's MuHash family; Facebook's LtHash16): every element is
// expanded into 1024 lanes of 16 bits, and the set's state is the
// lane-wise sum of its elements modulo 2^16. Adding is lane-wise addition
// and removing is lane-wise subtraction, so the state does not depend on
// the order of operations, and removing an element exactly undoes adding
// it. Lewi, Kim, Maykov and Weis ("Securing Update Propagation with
// Homomorphic Hashing", 2019) estimate about 200 bits of security for these
// parameters.
//
// It hashes a multiset: adding the same element twice counts it twice, and
// removing an element that was never added is not detected. Callers keep
// one element per key (remove the old value, then add the new one), which is
// what a key-value store does anyway.
//
// Element encoding, fixed because replicas and edges must agree on it
// byte for byte: seed = SHA-256("xanode/sync/digest v2" || uvarint(len(key))
// || key || uvarint(len(value)) || value); the 2048-byte expansion is the
// AES-256-CTR keystream under key seed with a zero counter block, read as
// 1024 little-endian uint16 lanes. A collision-resistant hash followed by a
// PRG is the structure LtHash needs (Facebook's uses BLAKE2xb); SHA-256 and
// AES run in hardware on the city's and the edges' x86 and ARM CPUs, which
// makes an element about ten times cheaper than a SHAKE128 expansion — it
// is paid on every write of the FSM. The length prefixes make (key, value)
// splits unambiguous, and the version string keeps v1 states apart.
package digest

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	gosync "sync"
)

const (
	// Lanes is the number of 16-bit lanes in the state.
	Lanes = 1024
	// stateSize is the lane vector in bytes.
	stateSize = 2 * Lanes
	// format is the first byte of MarshalBinary's output; bump it if the
	// element encoding or the lane layout ever changes.
	format = 2
	// words is the state as 64-bit words of four lanes each.
	words = Lanes / 4
)

// domain separates these hashes from any other use of SHA-256.
var domain = []byte("xanode/sync/digest v2")

// ErrFormat is returned by UnmarshalBinary for bytes that are not a
// marshalled Hash of this version.
var ErrFormat = errors.New("malformed digest state")

// Hash is the digest of a set of (key, value) records. The zero value is
// the digest of the empty set. A Hash is not safe for concurrent use; copy
// it (it is a value of 2 KiB) to keep a snapshot.
type Hash struct {
	// w holds the lanes four to a word, lane 4k+j in bits 16j..16j+15 of
	// w[k]: the little-endian layout of the 1024 lanes, so that lane-wise
	// sums can be done a word at a time (SWAR).
	w [words]uint64
}

// New returns the digest of the empty set.
func New() *Hash { return new(Hash) }

var zeroBlock [stateSize]byte
var zeroIV [aes.BlockSize]byte

// expand writes the 2048-byte expansion of (key, value) into out.
func expand(out *[stateSize]byte, key, value []byte) {
	// The seed's input is built in a pooled buffer and hashed with
	// sha256.Sum256, whose state stays on the stack: through hash.Hash
	// every write escaped, and an element cost four allocations.
	bp := inputs.Get().(*[]byte)
	b := append((*bp)[:0], domain...)
	b = binary.AppendUvarint(b, uint64(len(key)))
	b = append(b, key...)
	b = binary.AppendUvarint(b, uint64(len(value)))
	b = append(b, value...)
	seed := sha256.Sum256(b)
	*bp = b
	inputs.Put(bp)
	block, err := aes.NewCipher(seed[:])
	if err != nil {
		panic(err) // a 32-byte key is always valid
	}
	cipher.NewCTR(block, zeroIV[:]).XORKeyStream(out[:], zeroBlock[:])
}

// inputs and expansions are reused: a state machine updates the digest
// several times per change, and these were most of what it allocated.
var (
	inputs     = gosync.Pool{New: func() any { return new([]byte) }}
	expansions = gosync.Pool{New: func() any { return new([stateSize]byte) }}
)

const hi = 0x8000800080008000

// add16 adds four lanes at once without carries between them.
func add16(a, b uint64) uint64 { return ((a &^ hi) + (b &^ hi)) ^ ((a ^ b) & hi) }

// sub16 subtracts four lanes at once without borrows between them.
func sub16(a, b uint64) uint64 { return ((a | hi) - (b &^ hi)) ^ ((a ^ ^b) & hi) }

// Add adds the record (key, value) to the set.
func (d *Hash) Add(key, value []byte) {
	e := expansions.Get().(*[stateSize]byte)
	defer expansions.Put(e)
	expand(e, key, value)
	for i := range d.w {
		d.w[i] = add16(d.w[i], binary.LittleEndian.Uint64(e[8*i:]))
	}
}

// Remove removes the record (key, value) from the set; it undoes an Add of
// the same bytes.
func (d *Hash) Remove(key, value []byte) {
	e := expansions.Get().(*[stateSize]byte)
	defer expansions.Put(e)
	expand(e, key, value)
	for i := range d.w {
		d.w[i] = sub16(d.w[i], binary.LittleEndian.Uint64(e[8*i:]))
	}
}

// Replace replaces the record (key, oldValue) with (key, newValue): the
// usual update of a key-value store.
func (d *Hash) Replace(key, oldValue, newValue []byte) {
	d.Remove(key, oldValue)
	d.Add(key, newValue)
}

// Merge adds every element of o to d: the digest of the union of two
// disjoint sets (for instance the per-commune digests of a node serving
// several communes).
func (d *Hash) Merge(o *Hash) {
	for i := range d.w {
		d.w[i] = add16(d.w[i], o.w[i])
	}
}

// Equal reports whether d and o are the digests of the same set.
func (d *Hash) Equal(o *Hash) bool { return d.w == o.w }

// Sum returns the short form of the digest: SHA-256 of the lane vector as
// 1024 little-endian uint16 values. It is what replicas compare and what
// bundle headers carry.
func (d *Hash) Sum() [32]byte {
	var b [stateSize]byte
	d.putLanes(b[:])
	return sha256.Sum256(b[:])
}

func (d *Hash) putLanes(b []byte) {
	for i, w := range d.w {
		binary.LittleEndian.PutUint64(b[8*i:], w)
	}
}

// MarshalBinary returns the state (not the short Sum) so that it can be
// persisted and later updated: a format byte followed by the lanes as
// little-endian uint16 values.
func (d *Hash) MarshalBinary() ([]byte, error) {
	b := make([]byte, 1+stateSize)
	b[0] = format
	d.putLanes(b[1:])
	return b, nil
}

// UnmarshalBinary restores a state written by MarshalBinary.
func (d *Hash) UnmarshalBinary(b []byte) error {
	if len(b) != 1+stateSize {
		return fmt.Errorf("%w: %d bytes, want %d", ErrFormat, len(b), 1+stateSize)
	}
	if b[0] != format {
		return fmt.Errorf("%w: format %d, want %d", ErrFormat, b[0], format)
	}
	for i := range d.w {
		d.w[i] = binary.LittleEndian.Uint64(b[1+8*i:])
	}
	return nil
}
