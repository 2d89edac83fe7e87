package client

import (
	"context"

	"github.com/xanode/xanode/node/registry"
	"github.com/xanode/xanode/sync/api"
)

// Report fetches the city's monthly report of a commune this edge is
// assigned (GET /v1/report).
func (c *Client) Report(ctx context.Context, commune, month string) (*registry.Report, error) {
	var r registry.Report
	q := api.ReportQuery{Commune: commune, Month: month}
	if err := c.call(ctx, api.GetReport, api.GetReport.Path, q.Values(), nil, &r); err != nil {
		return nil, err
	}
	return &r, nil
}
