package fsm

import (
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/xanode/xanode/sync/wire"
)

// MaxGroup bounds the pushes one KindGroup entry carries.
const MaxGroup = 64

// A group is pushes of several edges that arrived at the leader together
// and share one raft entry, one log write and one replication round
// (DESIGN.md, "Sync"). Each push keeps what a KindChanges entry of its own
// would carry — its sender stamp, its receive time, its changes — and is
// authorized and decided on its own, in order, exactly as consecutive
// KindChanges entries at the group's index would be. The entry's own
// sender is the city node that grouped them.

// Group builds the KindGroup command of pushes (each a KindChanges command
// with its sender and receive time), stamped by the city node from.
func Group(from Sender, received time.Time, pushes []*Command) *Command {
	return &Command{Kind: KindGroup, From: from, Received: received, Pushes: pushes}
}

func appendGroup(b []byte, pushes []*Command) []byte {
	encoded := make([][]byte, len(pushes))
	size := 8
	for i, p := range pushes {
		encoded[i] = wire.EncodeChanges(p.Changes)
		size += 32 + len(p.From.Role) + len(p.From.ID) + len(encoded[i])
	}
	b = slices.Grow(b, size) // grown once, not by doubling
	b = binary.AppendUvarint(b, uint64(len(pushes)))
	for i, p := range pushes {
		b = appendString(appendString(b, string(p.From.Role)), p.From.ID)
		b = binary.AppendUvarint(b, uint64(p.Received.UnixMilli()))
		b = binary.AppendUvarint(b, uint64(len(encoded[i])))
		b = append(b, encoded[i]...)
	}
	return b
}

func decodeGroup(b []byte) ([]*Command, error) {
	n, k := binary.Uvarint(b)
	if k <= 0 || n == 0 || n > MaxGroup {
		return nil, errors.New("bad push count")
	}
	b = b[k:]
	pushes := make([]*Command, 0, n)
	for i := uint64(0); i < n; i++ {
		p := &Command{Kind: KindChanges}
		var err error
		if p.From, b, err = decodeSender(b); err != nil {
			return nil, fmt.Errorf("push %d: sender: %v", i, err)
		}
		ms, k := binary.Uvarint(b)
		if k <= 0 {
			return nil, fmt.Errorf("push %d: bad time", i)
		}
		p.Received = time.UnixMilli(int64(ms)).UTC()
		size, k2 := binary.Uvarint(b[k:])
		if k2 <= 0 || size > uint64(len(b)-k-k2) {
			return nil, fmt.Errorf("push %d: bad length", i)
		}
		b = b[k+k2:]
		if p.Changes, err = wire.DecodeChanges(b[:size]); err != nil {
			return nil, fmt.Errorf("push %d: %v", i, err)
		}
		b = b[size:]
		pushes = append(pushes, p)
	}
	if len(b) != 0 {
		return nil, errors.New("trailing bytes")
	}
	return pushes, nil
}

// authorizeGroup checks the group's shape: pushes only, each with a
// sender. Whether each push's sender may send it is checked push by push,
// by the city before it groups them and by applyGroup, so that one push
// refused is refused alone, as its own entry would be; a group never lends
// one push's sender to another.
func (c *Command) authorizeGroup() error {
	if len(c.Pushes) == 0 || len(c.Pushes) > MaxGroup {
		return fmt.Errorf("%w: a group of %d pushes (1 to %d)", ErrForbidden, len(c.Pushes), MaxGroup)
	}
	for _, p := range c.Pushes {
		if p.Kind != KindChanges || p.Legacy() {
			return fmt.Errorf("%w: a group holds stamped pushes only, not command %d from %q", ErrForbidden, p.Kind, p.From)
		}
	}
	return nil
}

// applyGroup decides each push of a group in order. The response is one
// per push: []*registry.Outcome, or the error its own entry would have
// given.
func (f *FSM) applyGroup(t *txn, index uint64, cmd *Command) []any {
	out := make([]any, len(cmd.Pushes))
	for i, p := range cmd.Pushes {
		if err := p.Authorize(); err != nil {
			out[i] = err
			continue
		}
		out[i] = f.applyChanges(t, index, p)
	}
	return out
}
