package client

import (
	"context"
	"fmt"

	"github.com/xanode/xanode/sync/api"
	"github.com/xanode/xanode/sync/wire"
)

// Challenge asks the city for a presence challenge: the bytes the chip
// of a citizen of another commune signs to show it is at this desk.
func (c *Client) Challenge(ctx context.Context) (*wire.Challenge, error) {
	var ch wire.Challenge
	if err := c.call(ctx, api.PostPresenceChallenge, api.PostPresenceChallenge.Path, nil, nil, &ch); err != nil {
		return nil, err
	}
	if len(ch.Challenge) != 16 {
		return nil, fmt.Errorf("client: presence challenge answer of %d hex digits, not 16", len(ch.Challenge))
	}
	return &ch, nil
}

// Presence sends a proof of presence; the city verifies the chip itself
// and answers with what the office may do for the citizen.
func (c *Client) Presence(ctx context.Context, req *wire.PresenceRequest) (*wire.PresenceResponse, error) {
	var r wire.PresenceResponse
	if err := c.call(ctx, api.PostPresence, api.PostPresence.Path, nil, req, &r); err != nil {
		return nil, err
	}
	if r.Citizen != req.Citizen {
		return nil, fmt.Errorf("client: presence answer for %s, not %s", r.Citizen, req.Citizen)
	}
	return &r, nil
}
