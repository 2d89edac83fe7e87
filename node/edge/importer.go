package edge

import (
	"bytes"
	"context"
	"crypto/x509"
	"fmt"
	"time"

	"github.com/xanode/xanode/sync/bundle"
)

// Importer verifies bundles against the city root and installs them.
type Importer struct {
	Store *Store
	// Commune the bundles must be for; empty: the commune the store
	// belongs to (Store.SetIdentity), which follows a reassignment.
	Commune string
	Roots   *x509.CertPool
	Now     func() time.Time
	// Progress follows the records of a full bundle as they are verified
	// (nil: not followed).
	Progress *Tracker
}

// Import verifies data completely (signature, chain, payload hash, entry
// encoding and, for a full bundle, the subset digest) before it changes
// anything. A full bundle then replaces the subset and a delta is applied
// to it, each in one transaction that checks the versions again (see
// Store.ApplyDelta). What is refused changes
// nothing: a bundle for another commune (ErrWrongCommune), one not newer
// than the subset held (ErrRollback, ErrNotNewer), and a delta that does
// not start from the subset held or does not reach its signed digest
// (ErrNeedFull, bundle.ErrDigestMismatch), after which the caller asks
// for a full bundle.
func (im *Importer) Import(_ context.Context, data []byte) (SubsetInfo, error) {
	v := bundle.Verifier{Roots: im.Roots, Now: im.Now()}
	// A full bundle's records are prepared for the store (hashed, sealed)
	// during the pass that verifies them, so they are decoded once; they
	// are written only if the whole bundle verifies. The unverified header
	// only chooses the path.
	if h, _, err := bundle.ReadHeader(bytes.NewReader(data)); err == nil && h.Kind == bundle.KindFull {
		p := im.Store.newFullRows(min(h.Count, maxPrealloc))
		defer p.stop()
		add := p.add
		if im.Progress != nil {
			im.Progress.Start(PhaseImport, 0, int64(h.Count))
			defer im.Progress.Stop()
			n := int64(0)
			add = func(e bundle.Entry) error {
				if n++; n%1024 == 0 {
					im.Progress.Set(n, int64(h.Count))
				}
				return p.add(e)
			}
		}
		b, err := bundle.OpenEach(data, v, add)
		if err != nil {
			return SubsetInfo{}, err
		}
		if err := im.checkCommune(b); err != nil {
			return SubsetInfo{}, err
		}
		return im.Store.installFull(b, p)
	}
	b, err := bundle.Open(data, v)
	if err != nil {
		return SubsetInfo{}, err
	}
	if err := im.checkCommune(b); err != nil {
		return SubsetInfo{}, err
	}
	return im.Store.ApplyDelta(b)
}

// maxPrealloc bounds the rows prepared in advance from an unverified
// count.
const maxPrealloc = 1 << 18

func (im *Importer) checkCommune(b *bundle.Bundle) error {
	want := im.Commune
	if want == "" {
		_, c, err := im.Store.Identity()
		if err != nil {
			return err
		}
		want = c
	}
	if b.Commune != want {
		return fmt.Errorf("%w: %s, this node serves %s", ErrWrongCommune, b.Commune, want)
	}
	return nil
}
