package client

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/xanode/xanode/sync/wire"
)

// Renew sends a CSR for the edge's next certificate over its current one
// and returns the new certificate chain (PEM); with uiCSR, also the next
// certificate of its officer UI for uiHosts.
func (c *Client) Renew(ctx context.Context, csrPEM, uiCSR []byte, uiHosts []string) (certPEM, uiPEM []byte, err error) {
	req := map[string]any{"csr": string(csrPEM)}
	if uiCSR != nil {
		req["ui_csr"], req["ui_hosts"] = string(uiCSR), uiHosts
	}
	body, _ := json.Marshal(req)
	b, err := c.do(ctx, http.MethodPost, "/v1/renew", body, func(h http.Header) { h.Set("Content-Type", "application/json") })
	if err != nil {
		return nil, nil, err
	}
	var r struct {
		CertPEM string `json:"cert_pem"`
		UICert  string `json:"ui_cert_pem"`
	}
	if err := json.Unmarshal(b, &r); err != nil || r.CertPEM == "" || (uiCSR != nil && r.UICert == "") {
		return nil, nil, fmt.Errorf("client: renewal answer: %v", err)
	}
	if uiCSR != nil {
		uiPEM = []byte(r.UICert)
	}
	return []byte(r.CertPEM), uiPEM, nil
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

// PushAudit sends audit entries, in order, and returns the last sequence
// number the city holds (from which the next push continues).
func (c *Client) PushAudit(ctx context.Context, entries []wire.AuditEntry) (uint64, error) {
	body, err := json.Marshal(entries)
	if err != nil {
		return 0, err
	}
	compressed := len(body) >= compressFrom
	if compressed {
		body = encoder.EncodeAll(body, make([]byte, 0, len(body)/3))
	}
	b, err := c.do(ctx, http.MethodPost, "/v1/audit", body, func(h http.Header) {
		h.Set("Content-Type", wire.ContentAudit)
		if compressed {
			h.Set("Content-Encoding", "zstd")
		}
	})
	if err != nil {
		return 0, err
	}
	var r struct {
		Through uint64 `json:"through"`
	}
	if err := json.Unmarshal(b, &r); err != nil {
		return 0, fmt.Errorf("client: audit answer: %w", err)
	}
	return r.Through, nil
}
