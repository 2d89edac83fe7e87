package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"

	"github.com/xanode/xanode/certs"
	"github.com/xanode/xanode/sync/cityapi"
)

// adminClient is an HTTPS client with the PKI's admin certificate.
func adminClient(pkiDir string) (*http.Client, error) {
	pki, err := certs.LoadClient(pkiDir)
	if err != nil {
		return nil, err
	}
	cfg := certs.ClientTLS(pki.Admin(), pki.RootPool())
	return &http.Client{Transport: &http.Transport{TLSClientConfig: cfg}, Timeout: 30 * time.Minute}, nil
}

func post(ctx context.Context, hc *http.Client, url, contentType string, body io.Reader) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, body)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", contentType)
	return do(hc, req)
}

func get(ctx context.Context, hc *http.Client, url string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	return do(hc, req)
}

func do(hc *http.Client, req *http.Request) ([]byte, error) {
	resp, err := hc.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%s: %s", resp.Status, bytes.TrimSpace(b))
	}
	return b, nil
}

func getOfficers(ctx context.Context, hc *http.Client, base, commune string) (*cityapi.OfficerList, error) {
	out, err := get(ctx, hc, base+"/v1/admin/officers?commune="+url.QueryEscape(commune))
	if err != nil {
		return nil, err
	}
	var list cityapi.OfficerList
	return &list, json.Unmarshal(out, &list)
}

func postOfficer(ctx context.Context, hc *http.Client, base string, req cityapi.OfficerRequest) (*cityapi.OfficerList, error) {
	body, _ := json.Marshal(req)
	out, err := post(ctx, hc, base+"/v1/admin/officers", "application/json", bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	var list cityapi.OfficerList
	return &list, json.Unmarshal(out, &list)
}
