//go:build pcsc

package pcsc

import (
	"context"
	"errors"
	"fmt"
	"slices"
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

// pollInterval is how often Open looks again for a card.
const pollInterval = 250 * time.Millisecond

// Open waits until a card is present in the reader and connects to it
// exclusively. An empty readerName picks the first reader with a card. It
// gives up when ctx ends, with an error matching ErrNoCard; pass a
// deadline for "tap your card within N seconds". A reader that is not
// there is ErrNoReader at once, pcscd not running ErrNoService.
func Open(ctx context.Context, readerName string) (*Card, error) {
	sc, err := scard.EstablishContext()
	if err != nil {
		return nil, scardError("connect to pcscd", err)
	}
	for {
		c, err := tryConnect(sc, readerName)
		if err == nil {
			return c, nil
		}
		if !waitable(err) {
			sc.Release()
			return nil, err
		}
		// A card that was just swapped may be "removed" once: wait and retry
		// (shared/cards/README.md).
		select {
		case <-ctx.Done():
			sc.Release()
			if errors.Is(err, errNoCard) {
				return nil, fmt.Errorf("%w in %s: %w", ErrNoCard, orAny(readerName), ctx.Err())
			}
			return nil, fmt.Errorf("%w in %s (%w): %w", ErrNoCard, orAny(readerName), err, ctx.Err())
		case <-time.After(pollInterval):
		}
	}
}

// errNoCard: no reader holds a card yet.
var errNoCard = errors.New("pcsc: no card present")

// waitable errors may go away by themselves while Open waits: no card yet,
// a card being placed, lifted or swapped, another program holding it for
// a moment, a reader unplugged while listing.
func waitable(err error) bool {
	return errors.Is(err, errNoCard) || hasCode(err, codeNoSmartcard, codeRemovedCard, codeResetCard, codeUnresponsive,
		codeUnpowered, codeSharingViolation, codeUnknownReader, codeReaderGone)
}

func orAny(name string) string {
	if name == "" {
		return "any reader"
	}
	return "reader " + name
}

// scardError gives an error of github.com/ebfe/scard its PC/SC code, so
// that it matches this package's errors.
func scardError(op string, err error) error {
	var e scard.Error
	if errors.As(err, &e) {
		return &codeError{op: op, code: uint32(e)}
	}
	return fmt.Errorf("pcsc: %s: %w", op, err)
}

// tryConnect connects to the card in readerName, or in the first reader
// that holds one. Connecting to an empty reader fails at once
// (SCARD_E_NO_SMARTCARD), so no status query is needed (and scard's
// GetStatusChange is not safe beside the Monitor's: see sys_pcsclite.go).
func tryConnect(sc *scard.Context, readerName string) (*Card, error) {
	names, err := sc.ListReaders()
	if err != nil && !errors.Is(err, scard.ErrNoReadersAvailable) {
		return nil, scardError("list readers", err)
	}
	if len(names) == 0 {
		return nil, fmt.Errorf("pcsc: %w", ErrNoReader)
	}
	if readerName != "" {
		if !slices.Contains(names, readerName) {
			return nil, fmt.Errorf("pcsc: no reader named %q (readers: %s): %w", readerName, strings.Join(names, ", "), ErrNoReader)
		}
		names = []string{readerName}
	}
	last := errNoCard
	for _, n := range names {
		card, err := sc.Connect(n, scard.ShareExclusive, scard.ProtocolAny)
		if err != nil {
			if err := scardError("connect to the card in "+n, err); !hasCode(err, codeNoSmartcard) {
				last = err
			}
			continue
		}
		status, err := card.Status()
		if err != nil {
			card.Disconnect(scard.LeaveCard)
			last = scardError("card status in "+n, err)
			continue
		}
		return &Card{ctx: sc, card: card, Reader: n, ATR: status.Atr}, nil
	}
	return nil, last
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
		return nil, scardError("send to the card in "+c.Reader, err)
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
