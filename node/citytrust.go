package node

import (
	"errors"
	"fmt"
	"log/slog"
	gosync "sync"
	"time"

	"github.com/xanode/xanode/reader/trust"
	"github.com/xanode/xanode/sync/cityapi"
	"github.com/xanode/xanode/sync/fsm"
)

// cityTrust is the city node's CSCA trust (DESIGN.md, "Trust model"): the
// trust set in raft plus this node's own --csca files, as one store that
// proofs of presence are verified with, rebuilt when the trust version
// moves; and the checks of what city IT uploads to the set
// (cityapi.TrustVerifier): a master list must be signed under one of the
// --ml-signer certificates, a CRL by a CSCA of the store.
type cityTrust struct {
	fsm     *fsm.FSM
	local   *trust.Store         // --csca; nil: none
	signers []*trust.Certificate // --ml-signer; none: master lists are refused
	log     *slog.Logger

	mu      gosync.Mutex // guards version and store, and serialises rebuilds
	version uint64
	store   *trust.Store // nil until first built
}

// Store returns the store in force: rebuilt from the set if its version
// moved since the last call. If the set cannot be read, the last store
// built is used (or the --csca files alone).
func (c *cityTrust) Store() *trust.Store {
	c.mu.Lock()
	defer c.mu.Unlock()
	v, err := c.fsm.TrustVersion()
	if err == nil && c.store != nil && v == c.version {
		return c.store
	}
	var set *fsm.TrustSet
	if err == nil {
		set, err = c.fsm.Trust()
	}
	if err != nil {
		c.log.Warn("the CSCA trust set cannot be read; using the last store built", "err", err)
		if c.store == nil {
			return mergeTrust(c.local, nil, c.log)
		}
		return c.store
	}
	items := make([]trustItem, 0, len(set.Entries))
	for _, e := range set.Entries {
		items = append(items, trustItem{crl: e.Kind == fsm.TrustCRL, der: e.DER})
	}
	c.store, c.version = mergeTrust(c.local, items, c.log), set.Version
	return c.store
}

// trustItem is a CSCA certificate or a CRL, DER, from the city's set or a
// signed trust list.
type trustItem struct {
	crl bool
	der []byte
}

// mergeTrust makes a store of local's certificates and CRLs and items.
// An item that does not parse (the city checked it, so never expected) or
// is not a CSCA is left out and logged.
func mergeTrust(local *trust.Store, items []trustItem, log *slog.Logger) *trust.Store {
	s := trust.NewStore()
	if local != nil {
		for _, c := range local.CSCAs() {
			s.AddCSCA(c)
		}
		for _, crl := range local.CRLs() {
			s.AddCRL(crl)
		}
	}
	for _, it := range items {
		if it.crl {
			crl, err := trust.ParseCRL(it.der)
			if err != nil {
				log.Warn("a CRL of the trust set is left out", "err", err)
				continue
			}
			s.AddCRL(crl)
			continue
		}
		c, err := trust.ParseCertificate(it.der)
		if err == nil {
			err = s.AddCSCA(c)
		}
		if err != nil {
			log.Warn("a certificate of the trust set is left out", "err", err)
		}
	}
	return s
}

// MasterList implements cityapi.TrustVerifier.
func (c *cityTrust) MasterList(der []byte, now time.Time) (*cityapi.TrustItems, error) {
	if len(c.signers) == 0 {
		return nil, cityapi.ErrNoMasterListSigner
	}
	ml, err := trust.ParseMasterListSignedBy(der, c.signers, now)
	if errors.Is(err, trust.ErrUntrusted) {
		return nil, fmt.Errorf("%w: %w", cityapi.ErrNotTrusted, err)
	}
	if err != nil {
		return nil, err
	}
	out := &cityapi.TrustItems{Signer: ml.Signer.Subject}
	for _, e := range ml.Skipped {
		out.Skipped = append(out.Skipped, e.Error())
	}
	check := trust.NewStore()
	for _, cert := range ml.CSCAs {
		if err := check.AddCSCA(cert); err != nil {
			out.Skipped = append(out.Skipped, err.Error())
			continue
		}
		out.Items = append(out.Items, fsm.TrustItem{Kind: fsm.TrustCSCA, DER: cert.Raw, Fingerprint: fsm.Fingerprint(cert.Raw),
			Subject: cert.Subject, Issuer: cert.Issuer, NotAfter: cert.NotAfter.UTC()})
	}
	return out, nil
}

// CRL implements cityapi.TrustVerifier.
func (c *cityTrust) CRL(der []byte) (*fsm.TrustItem, error) {
	crl, err := trust.ParseCRL(der)
	if err != nil {
		return nil, err
	}
	if _, err := c.Store().CRLIssuer(crl); err != nil {
		return nil, fmt.Errorf("%w: %w (load the CSCA's master list first)", cityapi.ErrNotTrusted, err)
	}
	return &fsm.TrustItem{Kind: fsm.TrustCRL, DER: der, Fingerprint: fsm.Fingerprint(der), Issuer: crl.Issuer,
		ThisUpdate: crl.ThisUpdate.UTC(), NextUpdate: crl.NextUpdate.UTC()}, nil
}
