package client

import (
	"context"

	"github.com/xanode/xanode/sync/api"
	"github.com/xanode/xanode/sync/wire"
)

// FleetCRL fetches the fleet CA's revocation list and certificate; the
// caller verifies both against its root before using them.
func (c *Client) FleetCRL(ctx context.Context) (*wire.FleetCRL, error) {
	var out wire.FleetCRL
	if err := c.call(ctx, api.GetCRL, api.GetCRL.Path, nil, nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}
