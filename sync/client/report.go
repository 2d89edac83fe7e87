package client

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"

	"github.com/xanode/xanode/node/registry"
)

// Report fetches the city's monthly report of a commune this edge is
// assigned (GET /v1/report).
func (c *Client) Report(ctx context.Context, commune, month string) (*registry.Report, error) {
	q := url.Values{"commune": {commune}, "month": {month}}
	b, err := c.do(ctx, http.MethodGet, "/v1/report?"+q.Encode(), nil, nil)
	if err != nil {
		return nil, err
	}
	var r registry.Report
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, fmt.Errorf("client: report: %w", err)
	}
	return &r, nil
}
