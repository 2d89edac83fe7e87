// Package wire is the edge↔city message format: batches of changes pushed
// by an edge and batches of outcomes returned by the city, each the
// canonical registry encoding behind a magic and a count, so a message is
// compact, decodes without reflection and has exactly one byte form; and
// the JSON messages the state machine keeps as they came (audit entries,
// key slot and presence messages, findings). The raft log command and its
// encoding are sync/fsm's (command.go); the rest of the city API's
// contract is sync/api's.
package wire

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/xanode/xanode/node/registry"
)

// Content types on the HTTP surface.
const (
	ContentChanges  = "application/x-xanode-changes"
	ContentOutcomes = "application/x-xanode-outcomes"
)

// HeaderLeader names, on an answer a follower got from the leader, the
// leader's API URL: a client that knows that URL sends its next requests
// there, saving the follower's hop (DESIGN.md, "Sync").
const HeaderLeader = "X-Xanode-Leader"

// Limits a receiver enforces before doing any work.
const (
	MaxBatch     = 10000   // changes or outcomes in one message
	MaxBodyBytes = 8 << 20 // decompressed body of one message
)

// Errors of decoding.
var (
	ErrMagic   = errors.New("wire: not a xanode message (bad magic)")
	ErrTooMany = errors.New("wire: too many entries in one message")
	ErrTrail   = errors.New("wire: trailing bytes after the last entry")
)

var (
	magicChanges  = []byte("XNC1")
	magicOutcomes = []byte("XNO1")
)

// EncodeChanges encodes a push batch.
func EncodeChanges(cs []*registry.Change) []byte {
	b := append(make([]byte, 0, changesSize(cs)), magicChanges...)
	b = binary.AppendUvarint(b, uint64(len(cs)))
	for _, c := range cs {
		b = registry.AppendChange(b, c)
	}
	return b
}

// DecodeChanges decodes a push batch. It checks the encoding, not the rules.
func DecodeChanges(b []byte) ([]*registry.Change, error) {
	n, rest, err := header(b, magicChanges)
	if err != nil {
		return nil, err
	}
	cs := make([]*registry.Change, 0, n)
	dec := registry.NewChangeDecoder()
	for i := 0; i < n; i++ {
		var c *registry.Change
		if c, rest, err = dec.Decode(rest); err != nil {
			return nil, fmt.Errorf("wire: change %d of %d: %w", i+1, n, err)
		}
		cs = append(cs, c)
	}
	if len(rest) != 0 {
		return nil, ErrTrail
	}
	return cs, nil
}

// changesSize is about the size of cs encoded (a buffer grown by doubling
// copied the whole batch several times on the way).
func changesSize(cs []*registry.Change) int {
	n := 16
	for _, c := range cs {
		n += 48 + len(c.Node) + len(c.Officer) + len(c.Op) + len(c.Citizen) + len(c.Commune) + len(c.Procedure) + len(c.Note) + len(c.Sig)
		for _, fv := range c.Patch {
			n += 4 + len(fv.Value)
		}
	}
	return n
}

// outcomesSize is about the size of os encoded.
func outcomesSize(os []*registry.Outcome) int {
	n := 16
	for _, o := range os {
		n += 32 + len(o.Change) + len(o.Result) + len(o.Original) + len(o.Reason) + len(o.Citizen)
		for _, l := range o.Lost {
			n += 24 + len(l.Winner) + len(l.By)
		}
	}
	return n
}

// EncodeOutcomes encodes the answer to a push.
func EncodeOutcomes(os []*registry.Outcome) []byte {
	b := append(make([]byte, 0, outcomesSize(os)), magicOutcomes...)
	b = binary.AppendUvarint(b, uint64(len(os)))
	for _, o := range os {
		b = registry.AppendOutcome(b, o)
	}
	return b
}

// DecodeOutcomes decodes the answer to a push.
func DecodeOutcomes(b []byte) ([]*registry.Outcome, error) {
	n, rest, err := header(b, magicOutcomes)
	if err != nil {
		return nil, err
	}
	os := make([]*registry.Outcome, 0, n)
	for i := 0; i < n; i++ {
		var o *registry.Outcome
		if o, rest, err = registry.DecodeOutcome(rest); err != nil {
			return nil, fmt.Errorf("wire: outcome %d of %d: %w", i+1, n, err)
		}
		os = append(os, o)
	}
	if len(rest) != 0 {
		return nil, ErrTrail
	}
	return os, nil
}

func header(b, magic []byte) (int, []byte, error) {
	if len(b) < len(magic) || string(b[:len(magic)]) != string(magic) {
		return 0, nil, ErrMagic
	}
	b = b[len(magic):]
	n, k := binary.Uvarint(b)
	if k <= 0 {
		return 0, nil, fmt.Errorf("wire: bad count: %w", registry.ErrEncoding)
	}
	if n > MaxBatch || n > uint64(len(b)) {
		return 0, nil, fmt.Errorf("%w: %d", ErrTooMany, n)
	}
	return int(n), b[k:], nil
}
