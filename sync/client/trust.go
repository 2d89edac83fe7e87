package client

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/xanode/xanode/sync/api"
)

// maxTrustList caps the download of a trust list: trustlist.MaxPayload of
// items and a header.
const maxTrustList = 32<<20 + 64<<10

// TrustList fetches the city's signed CSCA trust list unless the city's
// version is held (the list this node holds; 0: none), in which case it
// returns nil and no error. The bytes are not verified: open them with
// trustlist.Open, which also refuses a version older than held.
func (c *Client) TrustList(ctx context.Context, held uint64) ([]byte, error) {
	var last error
	start := int(c.next.Load())
	for i := range c.urls {
		k := (start + i) % len(c.urls)
		b, err := c.trustOnce(ctx, c.urls[k]+api.GetTrust.Path, held)
		if err == nil {
			c.next.Store(uint32(k))
			return b, nil
		}
		if errors.Is(err, ErrRefused) || ctx.Err() != nil {
			return nil, err
		}
		last = err
	}
	return nil, fmt.Errorf("%w: %w", ErrUnavailable, last)
}

func (c *Client) trustOnce(ctx context.Context, url string, held uint64) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, api.GetTrust.Method, url, nil)
	if err != nil {
		return nil, err
	}
	if held > 0 {
		req.Header.Set("If-None-Match", api.TrustETag(held))
	}
	resp, err := c.http().Do(req)
	if err != nil {
		return nil, fmt.Errorf("client: GET %s: %w", url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxTrustList+1))
	c.received.Add(uint64(len(b)))
	switch {
	case err != nil:
		return nil, fmt.Errorf("client: GET %s: reading answer: %w", url, err)
	case resp.StatusCode == http.StatusNotModified:
		return nil, nil
	case resp.StatusCode == http.StatusOK && len(b) > maxTrustList:
		return nil, fmt.Errorf("%w: trust list larger than %d bytes", ErrRefused, maxTrustList)
	case resp.StatusCode == http.StatusOK:
		return b, nil
	}
	return nil, statusError(api.GetTrust.Method, url, resp, b)
}
