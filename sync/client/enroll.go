package client

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/xanode/xanode/sync/api"
)

// enrollTimeout bounds each enrollment request.
const enrollTimeout = 30 * time.Second

// EnrollRoot downloads the city root certificate (PEM) from the city node
// at cityURL without trusting the connection: the box holds nothing to
// trust it with yet, so the caller checks the root against its token's
// fingerprint before using it.
func EnrollRoot(ctx context.Context, cityURL string) ([]byte, error) {
	insecure := &tls.Config{MinVersion: tls.VersionTLS13,
		InsecureSkipVerify: true, // integrity comes from the token's root fingerprint, checked by the caller
	}
	return once(ctx, insecure, api.GetEnrollRoot, cityURL, nil, 64<<10)
}

// Enroll sends an enrollment request (a token and CSRs) to the city node at
// cityURL, verified as a city node under roots; the box has no client
// certificate yet.
func Enroll(ctx context.Context, cityURL string, roots *x509.CertPool, req api.EnrollRequest) (*api.EnrollResponse, error) {
	body, err := json.Marshal(req)
	if err != nil {
		return nil, err
	}
	b, err := once(ctx, cityOnly(roots), api.PostEnroll, cityURL, body, 1<<20)
	if err != nil {
		return nil, err
	}
	var out api.EnrollResponse
	if err := json.Unmarshal(b, &out); err != nil {
		return nil, fmt.Errorf("client: enrollment answer: %w", err)
	}
	return &out, nil
}

// once sends one request of route to one city node on a connection of its
// own, for the callers that have no Client yet.
func once(ctx context.Context, cfg *tls.Config, r api.Route, base string, body []byte, max int64) ([]byte, error) {
	hc := &http.Client{Timeout: enrollTimeout, Transport: &http.Transport{TLSClientConfig: cfg}}
	defer hc.CloseIdleConnections()
	url := strings.TrimRight(base, "/") + r.Path
	req, err := http.NewRequestWithContext(ctx, r.Method, url, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	if body != nil {
		req.Header.Set("Content-Type", r.Request)
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("%w: %s %s: %w", ErrUnavailable, r.Method, url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, max))
	if err != nil {
		return nil, fmt.Errorf("%w: %s %s: reading the answer: %w", ErrUnavailable, r.Method, url, err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, statusError(r.Method, url, resp, b)
	}
	return b, nil
}

// Join asks the city node the client talks to for this city node's place
// in the raft cluster (a follower forwards it to the leader); the client
// holds the city node's own certificate.
func (c *Client) Join(ctx context.Context, req api.JoinRequest) error {
	return c.call(ctx, api.PostJoin, api.PostJoin.Path, nil, req, nil)
}
