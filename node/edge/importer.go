package edge

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"time"

	"github.com/xanode/xanode/node/registry"
	"github.com/xanode/xanode/sync/bundle"
)

// Errors of bundle import.
var (
	ErrNotNewer      = errors.New("edge: bundle is not newer than the subset held")
	ErrRollback      = errors.New("edge: bundle is older than the subset held (rollback refused)")
	ErrWrongCommune  = errors.New("edge: bundle is for another commune")
	ErrUnsupportedKS = errors.New("edge: only full bundles can be imported yet")
)

// Importer verifies bundles against the city root and installs them.
type Importer struct {
	Store   *Store
	Commune string
	Roots   *x509.CertPool
	Now     func() time.Time
}

// Import verifies data completely (signature, chain, payload hash, record
// encoding and subset digest) before it changes anything, then replaces the
// subset in one transaction. A bundle for another commune, or not newer
// than what is held, changes nothing.
func (im *Importer) Import(_ context.Context, data []byte) (SubsetInfo, error) {
	b, err := bundle.Open(data, bundle.Verifier{Roots: im.Roots, Now: im.Now()})
	if err != nil {
		return SubsetInfo{}, err
	}
	if b.Commune != im.Commune {
		return SubsetInfo{}, fmt.Errorf("%w: %s, this node serves %s", ErrWrongCommune, b.Commune, im.Commune)
	}
	if b.Kind != bundle.KindFull {
		return SubsetInfo{}, ErrUnsupportedKS
	}
	held, err := im.Store.Subset()
	switch {
	case err == nil && b.To < held.Version:
		return SubsetInfo{}, fmt.Errorf("%w: bundle version %d, held %d", ErrRollback, b.To, held.Version)
	case err == nil && b.To == held.Version:
		return held, ErrNotNewer
	case err != nil && !errors.Is(err, ErrNoSubset):
		return SubsetInfo{}, err
	}
	info := SubsetInfo{Commune: b.Commune, Version: b.To, Digest: b.Digest, Count: b.Count, Created: b.Created, Expires: b.Expires}
	err = im.Store.ReplaceSubset(info, func(put func(*registry.Citizen) error) error {
		return b.Records(put)
	})
	if err != nil {
		return SubsetInfo{}, err
	}
	return info, nil
}
