package main

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/xanode/xanode/certs"
)

func init() {
	commands["health"] = command{"check that a city or edge node is ready (exit 0) or not (exit 1), for probes", runHealth}
}

// runHealth is a probe for containers, systemd and monitoring: the image
// has no shell or HTTP client, and city nodes speak only mutual TLS.
func runHealth(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("health", flag.ContinueOnError)
	pkiDir := fs.String("pki", "", "PKI folder: the city root to check an https node, and the monitor certificate (or else the admin's) to read its /v1/status")
	timeout := fs.Duration("timeout", 5*time.Second, "give up after this long")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: xanode health URL [--pki DIR] [--timeout 5s]\n"+
			"  exit 0: the node at URL is ready (GET /readyz); 1: it is not, or cannot be reached (the reason is printed)\n"+
			"  https (city): --pki is required; the node's leader, applied index and state digest are printed\n"+
			"  http (edge): its subset version, outbox and staleness are printed")
		fs.PrintDefaults()
	}
	// The URL may come before or after the flags.
	var url string
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		url, args = args[0], args[1:]
	}
	if err := fs.Parse(args); err != nil {
		return errUsage
	}
	if url == "" && fs.NArg() == 1 {
		url = fs.Arg(0)
	} else if fs.NArg() > 0 {
		url = ""
	}
	url = strings.TrimRight(url, "/")
	if url == "" || (!strings.HasPrefix(url, "https://") && !strings.HasPrefix(url, "http://")) {
		fs.Usage()
		return errUsage
	}
	hc := &http.Client{Timeout: *timeout}
	if strings.HasPrefix(url, "https://") {
		if *pkiDir == "" {
			fmt.Fprintln(os.Stderr, "xanode health: an https node (a city node) needs --pki: its root checks the node, its monitor certificate reads the status")
			return errUsage
		}
		pki, err := certs.LoadClient(*pkiDir)
		if err != nil {
			return err
		}
		// The monitor certificate reads the status and nothing else; the
		// admin one, which lives days, only in folders without it.
		cert, ok := pki.Monitor()
		if !ok {
			cert = pki.Admin()
		}
		// Any server the city root vouches for: a city node, or an edge
		// serving its officer UI with a certificate from the fleet CA.
		hc.Transport = &http.Transport{TLSClientConfig: &tls.Config{MinVersion: tls.VersionTLS13,
			RootCAs: pki.RootPool(), Certificates: []tls.Certificate{cert}}}
	}
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()

	body, code, err := fetch(ctx, hc, url+"/readyz")
	if err != nil {
		return fmt.Errorf("not ready: cannot reach %s: %w", url, err)
	}
	if code != http.StatusOK {
		return fmt.Errorf("not ready: %s/readyz answered %d: %s", url, code, reason(body))
	}
	fmt.Printf("ready: %s\n", url)
	body, code, err = fetch(ctx, hc, url+"/v1/status")
	if err != nil || code != http.StatusOK {
		if err == nil {
			err = fmt.Errorf("%d: %s", code, reason(body))
		}
		return fmt.Errorf("ready, but %s/v1/status failed: %w", url, err)
	}
	var st map[string]any
	if err := json.Unmarshal(body, &st); err != nil {
		return fmt.Errorf("ready, but %s/v1/status is not JSON: %w", url, err)
	}
	keys := []string{"node_id", "leader", "is_leader", "voters", "applied_index", "commands", "citizens", "changes", "state_digest"}
	if _, city := st["applied_index"]; !city {
		keys = []string{"node_id", "communes", "subset_version", "citizens", "state_digest", "outbox", "stale", "frozen", "last_synced", "last_error"}
	}
	for _, k := range keys {
		if v, ok := st[k]; ok {
			b, _ := json.Marshal(v)
			fmt.Printf("%-15s %s\n", k+":", strings.Trim(string(b), `"`))
		}
	}
	return nil
}

func fetch(ctx context.Context, hc *http.Client, url string) ([]byte, int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, 0, err
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, 0, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	return b, resp.StatusCode, err
}

// reason is the error text of an answer: the "error" of a JSON body, or
// the body itself.
func reason(body []byte) string {
	var e struct {
		Error string `json:"error"`
	}
	if json.Unmarshal(body, &e) == nil && e.Error != "" {
		return e.Error
	}
	return strings.TrimSpace(string(body))
}
