//go:build !pcsc

package pcsc

import (
	"context"

	"github.com/xanode/xanode/reader/emrtd"
)

// defaultSystem reports ErrNotBuilt: Readers, Status and a Monitor's Run
// return it.
var defaultSystem system = noSystem{}

type noSystem struct{}

func (noSystem) establish() (scContext, error) { return nil, ErrNotBuilt }

// Card is a connected card; without PC/SC support there are none.
type Card struct{}

// Open reports ErrNotBuilt.
func Open(ctx context.Context, readerName string) (*Card, error) { return nil, ErrNotBuilt }

// Transmit is never reached: Open never returns a Card.
func (c *Card) Transmit(ctx context.Context, cmd []byte) ([]byte, error) { return nil, ErrNotBuilt }

// Close does nothing.
func (c *Card) Close() error { return nil }

var _ emrtd.Transport = (*Card)(nil)

// AnswerToReset is never reached: Open never returns a Card.
func (c *Card) AnswerToReset() []byte { return nil }
