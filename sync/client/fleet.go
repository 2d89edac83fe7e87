package client

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
)

// Renew sends a CSR for the edge's next certificate over its current one
// and returns the new certificate chain (PEM).
func (c *Client) Renew(ctx context.Context, csrPEM []byte) ([]byte, error) {
	body, _ := json.Marshal(map[string]string{"csr": string(csrPEM)})
	b, err := c.do(ctx, http.MethodPost, "/v1/renew", body, func(h http.Header) { h.Set("Content-Type", "application/json") })
	if err != nil {
		return nil, err
	}
	var r struct {
		CertPEM string `json:"cert_pem"`
	}
	if err := json.Unmarshal(b, &r); err != nil || r.CertPEM == "" {
		return nil, fmt.Errorf("client: renewal answer: %v", err)
	}
	return []byte(r.CertPEM), nil
}

// WhoAmI returns the communes the city has assigned to this edge.
func (c *Client) WhoAmI(ctx context.Context) ([]string, error) {
	b, err := c.do(ctx, http.MethodGet, "/v1/whoami", nil, nil)
	if err != nil {
		return nil, err
	}
	var r struct {
		Communes []string `json:"communes"`
	}
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, fmt.Errorf("client: whoami answer: %w", err)
	}
	return r.Communes, nil
}

// URLs are the city API base URLs the client uses.
func (c *Client) URLs() []string { return append([]string(nil), c.urls...) }
