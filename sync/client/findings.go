package client

import (
	"context"
	"fmt"

	"github.com/xanode/xanode/sync/api"
	"github.com/xanode/xanode/sync/wire"
)

// Findings asks the city for the open and confirmed data-quality findings
// about this edge's residents, problems first: the office's "cần rà soát"
// list (DESIGN.md, "Data quality").
func (c *Client) Findings(ctx context.Context) ([]wire.Finding, error) {
	var out []wire.Finding
	if err := c.call(ctx, api.GetFindings, api.GetFindings.Path, nil, nil, &out); err != nil {
		return nil, err
	}
	if len(out) > wire.MaxFindings {
		return nil, fmt.Errorf("client: findings answer holds %d findings, at most %d", len(out), wire.MaxFindings)
	}
	return out, nil
}
