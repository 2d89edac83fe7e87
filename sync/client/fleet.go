package client

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/xanode/xanode/sync/api"
	"github.com/xanode/xanode/sync/fsm"
	"github.com/xanode/xanode/sync/wire"
)

// Renew sends a CSR for the edge's next certificate over its current one
// and returns the new certificate chain (PEM); with uiCSR, also the next
// certificate of its officer UI for uiHosts.
func (c *Client) Renew(ctx context.Context, csrPEM, uiCSR []byte, uiHosts []string) (certPEM, uiPEM []byte, err error) {
	req := api.EnrollRequest{CSR: string(csrPEM)}
	if uiCSR != nil {
		req.UICSR, req.UIHosts = string(uiCSR), uiHosts
	}
	var r api.EnrollResponse
	if err := c.call(ctx, api.PostRenew, api.PostRenew.Path, nil, req, &r); err != nil {
		return nil, nil, err
	}
	if r.CertPEM == "" || (uiCSR != nil && r.UICert == "") {
		return nil, nil, fmt.Errorf("client: renewal answer without the certificates asked for")
	}
	if uiCSR != nil {
		uiPEM = []byte(r.UICert)
	}
	return []byte(r.CertPEM), uiPEM, nil
}

// WhoAmI returns the communes the city has assigned to this edge.
func (c *Client) WhoAmI(ctx context.Context) ([]string, error) {
	var r api.WhoAmI
	if err := c.call(ctx, api.GetWhoAmI, api.GetWhoAmI.Path, nil, nil, &r); err != nil {
		return nil, err
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
	b, err := c.do(ctx, api.PostAudit.Method, api.PostAudit.Path, body, func(h http.Header) {
		h.Set("Content-Type", api.PostAudit.Request)
		if compressed {
			h.Set("Content-Encoding", "zstd")
		}
	})
	if err != nil {
		return 0, err
	}
	var r fsm.AuditResult
	if err := json.Unmarshal(b, &r); err != nil {
		return 0, fmt.Errorf("client: audit answer: %w", err)
	}
	return r.Through, nil
}
