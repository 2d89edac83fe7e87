package cityapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/xanode/xanode/sync/api"
	"github.com/xanode/xanode/sync/cluster"
	"github.com/xanode/xanode/sync/fsm"
	"github.com/xanode/xanode/sync/trustlist"
)

// The CSCA trust set (DESIGN.md, "Trust model"): city IT uploads a master
// list or a CRL once, here; this node checks its signature with its own
// TrustVerifier — a master list must be signed under one of the city's
// configured master-list signers, a CRL by a CSCA the city already trusts
// — and only then proposes KindTrust. Edges fetch the set as a signed
// trust list (sync/trustlist), signed like bundles with the data-signing
// key, so an admin certificate alone can neither make an edge trust a
// CSCA nor forge a list.

// TrustVerifier checks what city IT uploads to the trust set. Package node
// wires reader/trust with the city's --ml-signer and --csca files and the
// trust set in raft. It is called concurrently.
type TrustVerifier interface {
	// MasterList verifies a DER master list against the configured
	// master-list signers at now, and returns its CSCA certificates as
	// trust items (Source left empty). Without configured signers it fails
	// with ErrNoMasterListSigner; with a signer that is not one, with
	// ErrNotTrusted.
	MasterList(der []byte, now time.Time) (*TrustItems, error)
	// CRL verifies a DER CRL's signature by a CSCA the city trusts (the
	// trust set or the node's own --csca files), failing with
	// ErrNotTrusted if none signed it, and returns it as a trust item.
	CRL(der []byte) (*fsm.TrustItem, error)
}

// TrustItems is what a verified master list yields.
type TrustItems struct {
	Items   []fsm.TrustItem
	Signer  string   // the Master List Signer's subject
	Skipped []string // certificates of the list not taken, and why
}

// ErrNotTrusted is wrapped by a TrustVerifier's error for a master list
// or CRL that is well formed but not signed by a signer the city trusts
// (answered 403, not 400).
var ErrNotTrusted = errors.New("cityapi: not signed by a signer the city trusts")

// ErrNoMasterListSigner is a TrustVerifier's answer to a master list on a
// node configured without a master-list signer.
var ErrNoMasterListSigner = errors.New("cityapi: this city node has no master-list signer configured (xanode city --ml-signer FILE), so it refuses master lists")

// maxTrustBody bounds an upload: fsm.MaxTrustBytes of DER in base64.
const maxTrustBody = 8 << 20

// trustCache keeps the signed trust list of one version: edges ask for it
// after every change, all at once.
type trustCache struct {
	mu      sync.Mutex
	version uint64
	data    []byte
}

func (s *Server) trustRoutes() {
	s.handle(api.PostTrust, s.uploadTrust)
	s.handle(api.PostTrustRemove, s.removeTrust)
	s.handle(api.GetAdminTrust, s.trustView)
	s.handle(api.GetTrust, s.trustList)
}

func (s *Server) uploadTrust(w http.ResponseWriter, r *http.Request) {
	if s.cfg.Trust == nil {
		httpError(w, http.StatusServiceUnavailable, "this city node cannot check CSCA master lists or CRLs: ask another")
		return
	}
	var up api.TrustUpload
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxTrustBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&up); err != nil {
		httpError(w, http.StatusBadRequest, "trust upload: %v", err)
		return
	}
	var ans api.TrustAnswer
	var items []fsm.TrustItem
	var err error
	switch up.Kind {
	case api.UploadMasterList:
		var got *TrustItems
		if got, err = s.cfg.Trust.MasterList(up.Data, s.cfg.Now()); err == nil {
			items, ans.Signer, ans.Skipped = got.Items, got.Signer, got.Skipped
			if up.Source == "" {
				up.Source = truncate("master list signed by "+got.Signer, 256)
			}
		}
	case api.UploadCRL:
		var it *fsm.TrustItem
		if it, err = s.cfg.Trust.CRL(up.Data); err == nil {
			items = []fsm.TrustItem{*it}
		}
	default:
		httpError(w, http.StatusBadRequest, "trust upload: kind %q, want %s or %s", up.Kind, api.UploadMasterList, api.UploadCRL)
		return
	}
	if err != nil {
		s.log.Warn("trust upload refused", "kind", up.Kind, "by", callerOf(r).id, "err", err)
		httpError(w, trustErrorCode(err), "%s refused: %v", up.Kind, err)
		return
	}
	if len(items) == 0 {
		httpError(w, http.StatusBadRequest, "the master list holds no CSCA certificate this city can use (skipped: %q)", ans.Skipped)
		return
	}
	for i := range items {
		items[i].Source = up.Source
	}
	s.applyTrust(w, r, &fsm.TrustOp{Add: items}, ans)
}

func trustErrorCode(err error) int {
	switch {
	case errors.Is(err, ErrNoMasterListSigner):
		return http.StatusServiceUnavailable
	case errors.Is(err, ErrNotTrusted):
		return http.StatusForbidden
	}
	return http.StatusBadRequest
}

func (s *Server) removeTrust(w http.ResponseWriter, r *http.Request) {
	var rm api.TrustRemoval
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&rm); err != nil {
		httpError(w, http.StatusBadRequest, "trust removal: %v", err)
		return
	}
	s.applyTrust(w, r, &fsm.TrustOp{Remove: rm.Fingerprints}, api.TrustAnswer{})
}

// applyTrust checks op as the log will, proposes it, and answers with
// the FSM's result.
func (s *Server) applyTrust(w http.ResponseWriter, r *http.Request, op *fsm.TrustOp, ans api.TrustAnswer) {
	if err := op.Check(); err != nil {
		httpError(w, http.StatusBadRequest, "trust set: %v", err)
		return
	}
	tr, err := cluster.ChangeTrust(r.Context(), s.forwarder(), callerOf(r).sender(), op)
	if err != nil {
		applyError(w, err) // an older CRL or an unknown fingerprint: 409, the FSM's refusal
		return
	}
	ans.TrustResult = *tr
	s.log.Warn("CSCA trust set changed", "version", tr.Version, "added", tr.Added, "replaced", tr.Replaced,
		"removed", tr.Removed, "by", callerOf(r).id)
	writeJSON(w, http.StatusOK, ans)
}

func (s *Server) trustView(w http.ResponseWriter, _ *http.Request) {
	set, err := s.cfg.Cluster.FSM().Trust()
	if err != nil {
		httpError(w, http.StatusInternalServerError, "%v", err)
		return
	}
	now := s.cfg.Now()
	v := api.TrustView{Version: set.Version, Items: make([]api.TrustInfo, 0, len(set.Entries))}
	for i := range set.Entries {
		e := &set.Entries[i]
		if e.Added.After(v.Changed) {
			v.Changed = e.Added
		}
		v.Items = append(v.Items, api.TrustInfo{Kind: e.Kind, Fingerprint: e.Fingerprint, Subject: e.Subject, Issuer: e.Issuer,
			NotAfter: e.NotAfter, ThisUpdate: e.ThisUpdate, NextUpdate: e.NextUpdate, Stale: e.Stale(now), Source: e.Source,
			By: e.By, Added: e.Added, AgeSeconds: int64(now.Sub(e.Added) / time.Second)})
	}
	writeJSON(w, http.StatusOK, v)
}

// trustList serves the signed trust list, 304 when the caller holds the
// version (If-None-Match), so that an edge may ask on every pull.
func (s *Server) trustList(w http.ResponseWriter, r *http.Request) {
	if s.cfg.SigningKey == nil {
		httpError(w, http.StatusServiceUnavailable, "this node has no data-signing key")
		return
	}
	version, err := s.cfg.Cluster.FSM().TrustVersion()
	if err != nil {
		httpError(w, http.StatusInternalServerError, "%v", err)
		return
	}
	h := w.Header()
	h.Set("Cache-Control", "no-cache")
	if r.Header.Get("If-None-Match") == api.TrustETag(version) {
		h.Set("ETag", api.TrustETag(version))
		w.WriteHeader(http.StatusNotModified)
		return
	}
	version, data, err := s.signedTrust()
	if err != nil {
		httpError(w, http.StatusInternalServerError, "trust list: %v", err)
		return
	}
	h.Set("ETag", api.TrustETag(version))
	h.Set(api.HeaderTrustVersion, strconv.FormatUint(version, 10))
	h.Set("Content-Type", "application/octet-stream")
	h.Set("Content-Length", strconv.Itoa(len(data)))
	w.Write(data)
}

// signedTrust returns the signed list of the set's current version,
// building it only when the version moved.
func (s *Server) signedTrust() (uint64, []byte, error) {
	s.trust.mu.Lock()
	defer s.trust.mu.Unlock()
	version, err := s.cfg.Cluster.FSM().TrustVersion()
	if err != nil {
		return 0, nil, err
	}
	if s.trust.data != nil && s.trust.version == version {
		return version, s.trust.data, nil
	}
	set, err := s.cfg.Cluster.FSM().Trust()
	if err != nil {
		return 0, nil, err
	}
	items := make([]trustlist.Item, 0, len(set.Entries))
	for _, e := range set.Entries {
		kind := trustlist.KindCSCA
		if e.Kind == fsm.TrustCRL {
			kind = trustlist.KindCRL
		}
		items = append(items, trustlist.Item{Kind: kind, DER: e.DER})
	}
	data, err := trustlist.Build(items, set.Version, s.cfg.Now(), s.cfg.SigningKey, s.cfg.SigningCert)
	if err != nil {
		return 0, nil, fmt.Errorf("version %d: %w", set.Version, err)
	}
	s.trust.version, s.trust.data = set.Version, data
	return set.Version, data, nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	s = s[:n]
	for !utf8.ValidString(s) {
		s = s[:len(s)-1]
	}
	return s
}
