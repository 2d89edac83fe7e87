package edge

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/xanode/xanode/node/registry"
	"github.com/xanode/xanode/sync/bundle"
)

// importErrors are the errors Import may return for bad or unwanted
// bytes; anything else is a bug.
var importErrors = []error{bundle.ErrMalformed, bundle.ErrUnsupported, bundle.ErrTooLarge, bundle.ErrUntrustedSigner,
	bundle.ErrBadSignature, bundle.ErrPayloadHash, bundle.ErrDigestMismatch, bundle.ErrCount, bundle.ErrOrder,
	ErrNotNewer, ErrRollback, ErrWrongCommune, ErrNeedFull}

// FuzzImport: whatever the bytes, Import refuses them with one of its
// errors and changes nothing, or installs a subset that passes
// VerifySubset. One store serves every input, so what an input installs
// is the starting point of the next.
func FuzzImport(f *testing.F) {
	p := mustPKI(f)
	recs := sampleRecords()
	renamed := citizen(recs[0].ID, "Nguyễn Văn Ân")
	after := []*registry.Citizen{renamed, recs[1], recs[2]}
	f.Add(makeBundle(f, p, commune, 10, recs))
	f.Add(makeBundle(f, p, commune, 12, after))
	f.Add(makeDelta(f, p, deltaOpts{from: 10, to: 11}, []*registry.Citizen{renamed}, nil, after))
	f.Add(makeDelta(f, p, deltaOpts{from: 10, to: 10, created: now.Add(time.Hour)}, nil, nil, recs))
	f.Add(makeDelta(f, p, deltaOpts{from: 11, to: 13}, nil, []string{recs[2].ID}, after[:2]))
	s, err := OpenStore(f.TempDir() + "/edge.db")
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { s.Close() })
	im := importer(s, p)
	f.Fuzz(func(t *testing.T, data []byte) {
		before, _ := s.Subset()
		info, err := im.Import(context.Background(), data)
		if err != nil {
			if !slices.ContainsFunc(importErrors, func(e error) bool { return errors.Is(err, e) }) {
				t.Fatalf("unclassified error: %v", err)
			}
			if after, _ := s.Subset(); after != before {
				t.Fatalf("refused bundle changed the subset from %+v to %+v: %v", before, after, err)
			}
			return
		}
		if held, _ := s.Subset(); held != info {
			t.Fatalf("Import said %+v, the store holds %+v", info, held)
		}
		if err := s.VerifySubset(); err != nil {
			t.Fatal(err)
		}
	})
}
