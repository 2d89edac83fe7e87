// Package digest is an incremental, order-independent hash of a set of
// (key, value) records: the city FSM keeps its state digest in step with
// every write, and an edge recomputes a commune subset's digest after a
// delta, both without rehashing what did not change.
//
// It is a lattice (additive) hash in the style of LtHash (Bellare and
// Micciancio's MuHash family; Facebook's LtHash16): every element is
// expanded with SHAKE128 into 1024 lanes of 16 bits, and the set's state is
// the lane-wise sum of its elements modulo 2^16. Adding is lane-wise
// addition and removing is lane-wise subtraction, so the state does not
// depend on the order of operations, and removing an element exactly undoes
// adding it. Lewi, Kim, Maykov and Weis ("Securing Update Propagation with
// Homomorphic Hashing", 2019) estimate about 200 bits of security for these
// parameters.
//
// It hashes a multiset: adding the same element twice counts it twice, and
// removing an element that was never added is not detected. Callers keep
// one element per key (remove the old value, then add the new one), which is
// what a key-value store does anyway.
//
// Element encoding, fixed because replicas and edges must agree on it
// byte for byte: cSHAKE128 with customization string "xanode/sync/digest
// v1" over uvarint(len(key)) || key || uvarint(len(value)) || value,
// squeezed to 2048 bytes read as 1024 little-endian uint16 lanes. The
// customization keeps these hashes apart from any other use of SHAKE, and
// the length prefixes make (key, value) splits unambiguous.
package digest

import (
	"crypto/sha256"
	"crypto/sha3"
	"encoding/binary"
	"errors"
	"fmt"
	"sync"
)

const (
	// Lanes is the number of 16-bit lanes in the state.
	Lanes = 1024
	// stateSize is the lane vector in bytes.
	stateSize = 2 * Lanes
	// format is the first byte of MarshalBinary's output; bump it if the
	// element encoding or the lane layout ever changes.
	format = 1
)

// customization is the cSHAKE128 domain separation string of elements.
var customization = []byte("xanode/sync/digest v1")

// ErrFormat is returned by UnmarshalBinary for bytes that are not a
// marshalled Hash of this version.
var ErrFormat = errors.New("malformed digest state")

// Hash is the digest of a set of (key, value) records. The zero value is
// the digest of the empty set. A Hash is not safe for concurrent use; copy
// it (it is a value of 2 KiB) to keep a snapshot.
type Hash struct {
	lanes [Lanes]uint16
}

// New returns the digest of the empty set.
func New() *Hash { return new(Hash) }

// shakes recycles cSHAKE states, saving an allocation per Add. (Reset
// re-absorbs the customization block: one of the ~16 Keccak permutations
// of an Add, the other ~13 squeeze the 2048 bytes of lanes.)
var shakes = sync.Pool{New: func() any { return sha3.NewCSHAKE128(nil, customization) }}

// expand writes the 2048-byte expansion of (key, value) into out.
func expand(out *[stateSize]byte, key, value []byte) {
	h := shakes.Get().(*sha3.SHAKE)
	var n [binary.MaxVarintLen64]byte
	h.Write(binary.AppendUvarint(n[:0], uint64(len(key))))
	h.Write(key)
	h.Write(binary.AppendUvarint(n[:0], uint64(len(value))))
	h.Write(value)
	h.Read(out[:])
	h.Reset()
	shakes.Put(h)
}

// Add adds the record (key, value) to the set.
func (d *Hash) Add(key, value []byte) {
	var e [stateSize]byte
	expand(&e, key, value)
	for i := range d.lanes {
		d.lanes[i] += binary.LittleEndian.Uint16(e[2*i:])
	}
}

// Remove removes the record (key, value) from the set; it undoes an Add of
// the same bytes.
func (d *Hash) Remove(key, value []byte) {
	var e [stateSize]byte
	expand(&e, key, value)
	for i := range d.lanes {
		d.lanes[i] -= binary.LittleEndian.Uint16(e[2*i:])
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
	for i := range d.lanes {
		d.lanes[i] += o.lanes[i]
	}
}

// Equal reports whether d and o are the digests of the same set.
func (d *Hash) Equal(o *Hash) bool { return d.lanes == o.lanes }

// Sum returns the short form of the digest: SHA-256 of the lane vector as
// 1024 little-endian uint16 values. It is what replicas compare and what
// bundle headers carry.
func (d *Hash) Sum() [32]byte {
	var b [stateSize]byte
	d.putLanes(b[:])
	return sha256.Sum256(b[:])
}

func (d *Hash) putLanes(b []byte) {
	for i, l := range d.lanes {
		binary.LittleEndian.PutUint16(b[2*i:], l)
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
	for i := range d.lanes {
		d.lanes[i] = binary.LittleEndian.Uint16(b[1+2*i:])
	}
	return nil
}
