package node

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"math/big"
	"os"
	"path/filepath"
	"sync/atomic"
	"time"

	"github.com/xanode/xanode/certs"
	"github.com/xanode/xanode/sync/client"
)

// An edge refuses a city node whose certificate the fleet CA revoked, as
// the city nodes do (DESIGN.md, "Trust model"): otherwise a stolen or
// retired city node's key would keep convincing edges for the year its
// certificate lives, and could answer their pushes with made-up outcomes
// that empty their outboxes. The edge trusts only the root, so it fetches
// the list with the fleet CA's certificate and verifies both by itself:
// whoever serves them, they count only if the root issued the fleet CA
// and the fleet CA signed the list.

// edgeFleetCRLFile keeps the last verified list in the data folder (it is
// public), verified again at start.
const edgeFleetCRLFile = "fleet.crl"

// edgeCRL is the list in force on an edge.
type edgeCRL struct {
	roots   *x509.CertPool
	dir     string
	every   time.Duration
	log     *slog.Logger
	revoked atomic.Pointer[map[string]bool]
	number  atomic.Pointer[big.Int]
	fleet   atomic.Pointer[x509.Certificate] // the fleet CA that signed the list held
}

func newEdgeCRL(roots *x509.CertPool, dir string, every time.Duration, log *slog.Logger) *edgeCRL {
	if every <= 0 {
		every = 5 * time.Minute
	}
	c := &edgeCRL{roots: roots, dir: dir, every: every, log: log}
	if der, err := os.ReadFile(filepath.Join(dir, edgeFleetCRLFile+".ca")); err == nil {
		if list, err := os.ReadFile(filepath.Join(dir, edgeFleetCRLFile)); err == nil {
			if err := c.install(list, der, false); err != nil {
				log.Warn("the fleet CA's revocation list kept in the data folder is not used; fetching it from the city", "err", err)
			}
		}
	}
	return c
}

// verifyConnection refuses a server whose certificate the list names. It
// runs at every handshake with a city node, after the chain and role
// checks.
func (c *edgeCRL) verifyConnection(cs tls.ConnectionState) error {
	revoked := c.revoked.Load()
	if revoked == nil || len(cs.PeerCertificates) == 0 {
		return nil
	}
	if serial := certs.Serial(cs.PeerCertificates[0]); (*revoked)[serial] {
		return fmt.Errorf("%w: city node certificate %s is revoked by the fleet CA", certs.ErrIdentity, serial)
	}
	return nil
}

// wrap adds the check to a TLS configuration towards city nodes.
func (c *edgeCRL) wrap(cfg *tls.Config) *tls.Config {
	verify := cfg.VerifyConnection
	cfg.VerifyConnection = func(cs tls.ConnectionState) error {
		if verify != nil {
			if err := verify(cs); err != nil {
				return err
			}
		}
		return c.verifyConnection(cs)
	}
	return cfg
}

// errCRLNotNewer: the city's list is not newer than the one held.
var errCRLNotNewer = errors.New("not newer than the list held")

// install verifies the fleet CA against the root and the list against the
// fleet CA, keeps it if it is newer, and (when save) writes both to the
// data folder.
func (c *edgeCRL) install(list, fleetDER []byte, save bool) error {
	fleet, err := x509.ParseCertificate(fleetDER)
	if err != nil {
		return fmt.Errorf("fleet CA certificate: %w", err)
	}
	if _, err := fleet.Verify(x509.VerifyOptions{Roots: c.roots, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}}); err != nil {
		return fmt.Errorf("fleet CA certificate not issued by the city root: %w", err)
	}
	crl, err := certs.VerifyCRL(list, fleet)
	if err != nil {
		return err
	}
	if held := c.number.Load(); held != nil && crl.Number.Cmp(held) <= 0 {
		return errCRLNotNewer
	}
	if save {
		if err := writeFileAtomic(filepath.Join(c.dir, edgeFleetCRLFile+".ca"), fleetDER); err != nil {
			return err
		}
		if err := writeFileAtomic(filepath.Join(c.dir, edgeFleetCRLFile), list); err != nil {
			return err
		}
	}
	revoked := make(map[string]bool, len(crl.RevokedCertificateEntries))
	for _, e := range crl.RevokedCertificateEntries {
		revoked[certs.Serial(&x509.Certificate{SerialNumber: e.SerialNumber})] = true
	}
	c.revoked.Store(&revoked)
	c.number.Store(crl.Number)
	c.fleet.Store(fleet)
	return nil
}

// refresh fetches the city's list and installs it if it is newer.
func (c *edgeCRL) refresh(ctx context.Context, city *client.Client) error {
	got, err := city.FleetCRL(ctx)
	if err != nil || len(got.CRL) == 0 {
		return err
	}
	err = c.install(got.CRL, got.FleetCA, true)
	if errors.Is(err, errCRLNotNewer) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("the fleet CA's revocation list from the city: %w", err)
	}
	c.log.Warn("fleet CA revocation list installed: city nodes whose certificates it names are refused", "number", c.number.Load(), "entries", len(*c.revoked.Load()))
	return nil
}

// run refreshes at start and every c.every until ctx ends (through the
// unlocked edge's client).
func (c *edgeCRL) run(ctx context.Context, city *client.Client) {
	t := time.NewTicker(c.every)
	defer t.Stop()
	for {
		if err := c.refresh(ctx, city); err != nil && ctx.Err() == nil {
			c.log.Warn("fleet CA revocation list not updated", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
