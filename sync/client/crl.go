package client

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/xanode/xanode/sync/wire"
)

// FleetCRL fetches the fleet CA's revocation list and certificate; the
// caller verifies both against its root before using them.
func (c *Client) FleetCRL(ctx context.Context) (*wire.FleetCRL, error) {
	b, err := c.do(ctx, http.MethodGet, "/v1/crl", nil, nil)
	if err != nil {
		return nil, err
	}
	var out wire.FleetCRL
	if err := json.Unmarshal(b, &out); err != nil {
		return nil, fmt.Errorf("client: revocation list answer: %v", err)
	}
	return &out, nil
}
