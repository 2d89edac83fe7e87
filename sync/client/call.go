package client

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"

	"github.com/xanode/xanode/sync/api"
)

// call sends one request of route, with in as its JSON body (nil: none),
// and decodes the JSON answer into out (nil: ignored). path is the
// route's, its wildcards filled (api.Route.Expand); query may be nil.
func (c *Client) call(ctx context.Context, r api.Route, path string, query url.Values, in, out any) error {
	var body []byte
	var hdr func(http.Header)
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return fmt.Errorf("client: %s %s: %w", r.Method, r.Path, err)
		}
		body, hdr = b, func(h http.Header) { h.Set("Content-Type", r.Request) }
	}
	if len(query) > 0 {
		path += "?" + query.Encode()
	}
	b, err := c.do(ctx, r.Method, path, body, hdr)
	if err != nil {
		return err
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(b, out); err != nil {
		return fmt.Errorf("client: %s %s: the city's answer: %w", r.Method, r.Path, err)
	}
	return nil
}
