//go:build pcsc

package pcsc

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/ebfe/scard"

	"github.com/xanode/xanode/reader/emrtd"
)

// Card is a card in a PC/SC reader, connected exclusively for one reading
// session. It implements emrtd.Transport.
type Card struct {
	mu     sync.Mutex
	ctx    *scard.Context
	card   *scard.Card
	Reader string // the reader's PC/SC name
	ATR    []byte
}

var _ emrtd.Transport = (*Card)(nil)

// pollInterval is how often Open looks again for a card; each look also
// waits up to this long in GetStatusChange.
const pollInterval = 250 * time.Millisecond

// Readers lists the PC/SC readers pcscd knows.
func Readers(ctx context.Context) ([]string, error) {
	sc, err := scard.EstablishContext()
	if err != nil {
		return nil, fmt.Errorf("pcsc: connect to pcscd (is it running?): %w", err)
	}
	defer sc.Release()
	names, err := sc.ListReaders()
	if errors.Is(err, scard.ErrNoReadersAvailable) {
		return nil, nil
	}
	return names, err
}

// Open waits until a card is present in the reader and connects to it.
// An empty readerName picks the first reader with a card. It gives up when
// ctx ends; pass a deadline for "tap your card within N seconds".
func Open(ctx context.Context, readerName string) (*Card, error) {
	sc, err := scard.EstablishContext()
	if err != nil {
		return nil, fmt.Errorf("pcsc: connect to pcscd (is it running?): %w", err)
	}
	for {
		c, err := tryConnect(sc, readerName)
		if err == nil {
			return c, nil
		}
		if !errors.Is(err, errNoCard) && !errors.Is(err, scard.ErrRemovedCard) && !errors.Is(err, scard.ErrNoSmartcard) {
			sc.Release()
			return nil, err
		}
		// A card that was just swapped may be "removed" once: wait and retry
		// (shared/cards/README.md).
		select {
		case <-ctx.Done():
			sc.Release()
			return nil, fmt.Errorf("pcsc: no card in %s: %w", orAny(readerName), ctx.Err())
		case <-time.After(pollInterval):
		}
	}
}

var errNoCard = errors.New("pcsc: no card present")

func orAny(name string) string {
	if name == "" {
		return "any reader"
	}
	return "reader " + name
}

func tryConnect(sc *scard.Context, readerName string) (*Card, error) {
	names, err := sc.ListReaders()
	if err != nil && !errors.Is(err, scard.ErrNoReadersAvailable) {
		return nil, fmt.Errorf("pcsc: list readers: %w", err)
	}
	var candidates []string
	for _, n := range names {
		if readerName == "" || n == readerName {
			candidates = append(candidates, n)
		}
	}
	if len(candidates) == 0 {
		if readerName != "" {
			return nil, fmt.Errorf("pcsc: no reader named %q; readers: %s", readerName, strings.Join(names, ", "))
		}
		return nil, errNoCard
	}
	states := make([]scard.ReaderState, len(candidates))
	for i, n := range candidates {
		states[i] = scard.ReaderState{Reader: n, CurrentState: scard.StateUnaware}
	}
	if err := sc.GetStatusChange(states, 0); err != nil && !errors.Is(err, scard.ErrTimeout) {
		return nil, fmt.Errorf("pcsc: reader status: %w", err)
	}
	for _, st := range states {
		if st.EventState&scard.StatePresent == 0 || st.EventState&scard.StateMute != 0 {
			continue
		}
		card, err := sc.Connect(st.Reader, scard.ShareExclusive, scard.ProtocolAny)
		if err != nil {
			return nil, err
		}
		status, err := card.Status()
		if err != nil {
			card.Disconnect(scard.LeaveCard)
			return nil, err
		}
		return &Card{ctx: sc, card: card, Reader: st.Reader, ATR: status.Atr}, nil
	}
	return nil, errNoCard
}

// Transmit sends one APDU. PC/SC cannot abort a transmission in progress,
// so ctx is checked before sending only.
func (c *Card) Transmit(ctx context.Context, cmd []byte) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.card == nil {
		return nil, errors.New("pcsc: card is closed")
	}
	resp, err := exchange(c.card.Transmit, cmd)
	if err != nil {
		return nil, fmt.Errorf("pcsc: %s: %w", c.Reader, err)
	}
	return resp, nil
}

// Close resets the card, so no secure messaging session outlives the read,
// and releases the PC/SC context. Safe to call twice.
func (c *Card) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.card == nil {
		return nil
	}
	err := errors.Join(c.card.Disconnect(scard.ResetCard), c.ctx.Release())
	c.card, c.ctx = nil, nil
	return err
}

// AnswerToReset returns the card's ATR, from which a reading session
// learns whether the card takes extended length APDUs.
func (c *Card) AnswerToReset() []byte { return c.ATR }
