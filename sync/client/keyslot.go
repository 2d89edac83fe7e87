package client

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/xanode/xanode/certs"
	"github.com/xanode/xanode/sync/api"
	"github.com/xanode/xanode/sync/wire"
)

// Answers of the city to an unlock request that are not the secret.
var (
	// ErrNodeRevoked: the city revoked the node; its slot secret is gone.
	ErrNodeRevoked = errors.New("client: the city revoked this node")
	// ErrNodeSuspended: the node is suspended; the city keeps its secret
	// and answers again once city IT reinstates it.
	ErrNodeSuspended = errors.New("client: the city suspended this node")
	// ErrNoSlotSecret: the city holds no slot secret for this node (never
	// escrowed, or another unlock key): an officer's login unlocks the
	// box, which then escrows a new one.
	ErrNoSlotSecret = errors.New("client: the city holds no key slot secret for this node")
)

// Unlocker asks the city for a locked box's slot secret. It needs no
// client certificate (the box's is sealed until it unlocks): the city is
// verified against roots, and the request is signed with the box's unlock
// key over a nonce the same city node issued.
type Unlocker struct {
	URLs  []string
	Roots *x509.CertPool
	Node  string
	Key   ed25519.PrivateKey
	// CityTime, when set, is told the city node's clock from the Date of
	// each answer to the signed request (a city node verified against
	// Roots), as Client.OnCityTime is. It must not block.
	CityTime func(time.Time)
	// Check, when set, is asked about every city node's connection after
	// its chain and role are verified: an edge refuses city nodes whose
	// certificates the fleet CA revoked, which must not be able to tell a
	// box it was revoked (it would destroy its key slots).
	Check func(tls.ConnectionState) error
}

// UnlockResult is the city's answer: the secret, or the state with its
// reason.
type UnlockResult struct {
	Secret []byte
	State  string
	Reason string
}

// Unlock returns the slot secret, or ErrNodeRevoked, ErrNodeSuspended
// (with the reason in the result) or ErrNoSlotSecret; other errors mean
// no city node answered.
func (u *Unlocker) Unlock(ctx context.Context) (UnlockResult, error) { return u.ask(ctx, false) }

// Probe asks the node's state without the secret (nil error: active).
func (u *Unlocker) Probe(ctx context.Context) (UnlockResult, error) { return u.ask(ctx, true) }

func (u *Unlocker) ask(ctx context.Context, probe bool) (UnlockResult, error) {
	cfg := cityOnly(u.Roots)
	if u.Check != nil {
		verify := cfg.VerifyConnection
		cfg.VerifyConnection = func(cs tls.ConnectionState) error {
			if err := verify(cs); err != nil {
				return err
			}
			return u.Check(cs)
		}
	}
	hc := &http.Client{Timeout: 20 * time.Second, Transport: &http.Transport{TLSClientConfig: cfg}}
	defer hc.CloseIdleConnections()
	var last error
	for _, base := range u.URLs {
		res, err := u.once(ctx, hc, strings.TrimRight(base, "/"), probe)
		if err == nil || errors.Is(err, ErrNodeRevoked) || errors.Is(err, ErrNodeSuspended) || errors.Is(err, ErrNoSlotSecret) {
			return res, err
		}
		if ctx.Err() != nil {
			return res, ctx.Err()
		}
		last = err
	}
	return UnlockResult{}, fmt.Errorf("%w: %v", ErrUnavailable, last)
}

func (u *Unlocker) once(ctx context.Context, hc *http.Client, base string, probe bool) (UnlockResult, error) {
	var ch wire.UnlockChallenge
	if err := getJSON(ctx, hc, base+api.GetUnlockChallenge.Path+"?"+api.UnlockQuery{Node: u.Node}.Values().Encode(), &ch); err != nil {
		return UnlockResult{}, err
	}
	req := wire.UnlockRequest{Node: u.Node, Nonce: ch.Nonce, Probe: probe}
	req.Signature = ed25519.Sign(u.Key, wire.UnlockMessage(u.Node, ch.Nonce, probe))
	body, _ := json.Marshal(req)
	hr, err := http.NewRequestWithContext(ctx, api.PostUnlock.Method, base+api.PostUnlock.Path, bytes.NewReader(body))
	if err != nil {
		return UnlockResult{}, err
	}
	hr.Header.Set("Content-Type", api.PostUnlock.Request)
	resp, err := hc.Do(hr)
	if err != nil {
		return UnlockResult{}, fmt.Errorf("client: unlock at %s: %w", base, err)
	}
	defer resp.Body.Close()
	if u.CityTime != nil && resp.TLS != nil {
		if t, err := http.ParseTime(resp.Header.Get("Date")); err == nil {
			u.CityTime(t)
		}
	}
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	var a wire.UnlockAnswer
	json.Unmarshal(b, &a)
	res := UnlockResult{Secret: a.Secret, State: a.State, Reason: a.Reason}
	switch {
	case resp.StatusCode == http.StatusOK && (probe || len(a.Secret) == 32):
		return res, nil
	case resp.StatusCode == http.StatusForbidden && a.State == "revoked":
		return res, fmt.Errorf("%w: %s", ErrNodeRevoked, a.Reason)
	case resp.StatusCode == http.StatusForbidden && a.State == "suspended":
		return res, fmt.Errorf("%w: %s", ErrNodeSuspended, a.Reason)
	case resp.StatusCode == http.StatusNotFound, resp.StatusCode == http.StatusUnauthorized && strings.Contains(a.Error, "unlock key"):
		return res, fmt.Errorf("%w (%s)", ErrNoSlotSecret, a.Error)
	}
	return res, fmt.Errorf("client: unlock at %s: %s: %s", base, resp.Status, a.Error)
}

func getJSON(ctx context.Context, hc *http.Client, u string, v any) error {
	req, err := http.NewRequestWithContext(ctx, api.GetUnlockChallenge.Method, u, nil)
	if err != nil {
		return err
	}
	resp, err := hc.Do(req)
	if err != nil {
		return fmt.Errorf("client: %s: %w", u, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("client: %s: %s", u, resp.Status)
	}
	return json.Unmarshal(b, v)
}

// cityOnly verifies a city node against roots, with no client certificate.
func cityOnly(roots *x509.CertPool) *tls.Config {
	return &tls.Config{MinVersion: tls.VersionTLS13, RootCAs: roots, NextProtos: []string{"http/1.1"},
		VerifyConnection: func(cs tls.ConnectionState) error {
			_, role, err := certs.PeerIdentity(cs)
			if err == nil && role != certs.RoleCity {
				err = fmt.Errorf("client: the server is a %s node, not a city node", role)
			}
			return err
		}}
}

// Escrow gives the city the box's slot secret and unlock key (public
// half), over the edge's mTLS connection.
func (c *Client) Escrow(ctx context.Context, public ed25519.PublicKey, secret []byte) error {
	return c.call(ctx, api.PostKeySlot, api.PostKeySlot.Path, nil, wire.KeyEscrow{Public: public, Secret: secret}, nil)
}
