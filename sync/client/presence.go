package client

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/xanode/xanode/sync/wire"
)

// Challenge asks the city for a presence challenge: the bytes the chip
// of a citizen of another commune signs to show it is at this desk.
func (c *Client) Challenge(ctx context.Context) (*wire.Challenge, error) {
	b, err := c.do(ctx, http.MethodPost, "/v1/presence/challenge", nil, nil)
	if err != nil {
		return nil, err
	}
	var ch wire.Challenge
	if err := json.Unmarshal(b, &ch); err != nil || len(ch.Challenge) != 16 {
		return nil, fmt.Errorf("client: presence challenge answer: %v", err)
	}
	return &ch, nil
}

// Presence sends a proof of presence; the city verifies the chip itself
// and answers with what the office may do for the citizen.
func (c *Client) Presence(ctx context.Context, req *wire.PresenceRequest) (*wire.PresenceResponse, error) {
	body, err := json.Marshal(req)
	if err != nil {
		return nil, err
	}
	b, err := c.do(ctx, http.MethodPost, "/v1/presence", body, func(h http.Header) { h.Set("Content-Type", "application/json") })
	if err != nil {
		return nil, err
	}
	var r wire.PresenceResponse
	if err := json.Unmarshal(b, &r); err != nil || r.Citizen != req.Citizen {
		return nil, fmt.Errorf("client: presence answer for %s: %v", req.Citizen, err)
	}
	return &r, nil
}
