package client

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/xanode/xanode/sync/wire"
)

// Findings asks the city for the open and confirmed data-quality findings
// about this edge's residents, problems first: the office's "cần rà soát"
// list (DESIGN.md, "Data quality").
func (c *Client) Findings(ctx context.Context) ([]wire.Finding, error) {
	b, err := c.do(ctx, http.MethodGet, "/v1/findings", nil, nil)
	if err != nil {
		return nil, err
	}
	var out []wire.Finding
	if err := json.Unmarshal(b, &out); err != nil {
		return nil, fmt.Errorf("client: findings answer: %w", err)
	}
	if len(out) > wire.MaxFindings {
		return nil, fmt.Errorf("client: findings answer holds %d findings, at most %d", len(out), wire.MaxFindings)
	}
	return out, nil
}
