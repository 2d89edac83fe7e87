package client

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/xanode/xanode/node/registry"
	"github.com/xanode/xanode/sync/api"
	"github.com/xanode/xanode/sync/wire"
)

// Decisions asks the city for the decisions it holds on changes this edge
// recorded (ids: node/seq), typically those still under review here. The
// answer holds an outcome for each change the city knows, in the order
// asked; one about another change is refused as an error.
func (c *Client) Decisions(ctx context.Context, ids []string) ([]*registry.Outcome, error) {
	body, err := json.Marshal(api.DecisionsRequest{Changes: ids})
	if err != nil {
		return nil, err
	}
	r := api.PostDecisions
	b, err := c.do(ctx, r.Method, r.Path, body, func(h http.Header) { h.Set("Content-Type", r.Request) })
	if err != nil {
		return nil, err
	}
	outs, err := wire.DecodeOutcomes(b)
	if err != nil {
		return nil, fmt.Errorf("client: decisions answer: %w", err)
	}
	asked := make(map[string]bool, len(ids))
	for _, id := range ids {
		asked[id] = true
	}
	for _, o := range outs {
		if !asked[o.Change] {
			return nil, fmt.Errorf("client: decisions answer about change %s, which was not asked", o.Change)
		}
	}
	return outs, nil
}
