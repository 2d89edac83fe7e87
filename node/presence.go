package node

import (
	"bytes"
	"errors"
	"fmt"
	"time"

	"github.com/xanode/xanode/reader/presence"
	"github.com/xanode/xanode/reader/trust"
	"github.com/xanode/xanode/sync/cityapi"
	"github.com/xanode/xanode/sync/wire"
)

// presenceVerifier is the city's side of proof of presence: the chip's
// signed files checked against the city's own CSCA trust store
// (reader/presence.Verify), never the edge's word.
type presenceVerifier struct {
	store func() *trust.Store // the CSCA store in force
}

// VerifyPresence implements cityapi.PresenceVerifier. challenge is the one
// the request names. A card with active authentication must have signed
// exactly it, so a signature recorded for another request proves nothing.
// A request that names no challenge is a read the office made while the
// city was out of reach (DESIGN.md, "Authority"): the chip signed a
// challenge of the office's own, which proves that it answered at some
// time, not when; so its data are verified like a card's without active
// authentication, and AA stays false (a grant for review only).
func (v presenceVerifier) VerifyPresence(raw, challenge []byte, now time.Time) (*cityapi.VerifiedChip, error) {
	p, err := presence.Unmarshal(raw)
	if err != nil {
		return nil, err
	}
	if p.DG15 != nil && len(challenge) > 0 && !bytes.Equal(p.Challenge, challenge) {
		return nil, fmt.Errorf("%w: the card has active authentication, so it must sign this request's challenge", cityapi.ErrNotAuthentic)
	}
	got, err := presence.Verify(p, v.store(), now)
	if errors.Is(err, presence.ErrNotAuthentic) {
		return nil, fmt.Errorf("%w: %w", cityapi.ErrNotAuthentic, err)
	}
	if err != nil {
		return nil, err
	}
	chip := wire.ChipSummary{Document: got.MRZ.DocumentNumber, CSCA: got.CSCA, DocumentSigner: got.DocumentSigner}
	if d := got.DG13; d != nil {
		chip.FullName, chip.Sex = d.FullName, d.Sex
		if !d.DateOfBirth.IsZero() {
			chip.BirthDate = d.DateOfBirth.String()
		}
	}
	return &cityapi.VerifiedChip{ID: got.ID, AA: got.AA && len(challenge) > 0, Chip: chip}, nil
}
