package cityapi

import (
	"bytes"
	"net/http"
	"slices"
	"strconv"

	"github.com/xanode/xanode/node/registry"
	"github.com/xanode/xanode/sync/bundle"
)

// serveBundle builds and sends a full signed bundle of the commune's
// current subset. The version is the raft index the subset reflects.
func (s *Server) serveBundle(w http.ResponseWriter, r *http.Request, commune string) {
	if s.cfg.SigningKey == nil {
		httpError(w, http.StatusServiceUnavailable, "this node has no data-signing key")
		return
	}
	var records []*registry.Citizen
	version, err := s.cfg.Cluster.FSM().Subset(commune, func(c *registry.Citizen) error {
		records = append(records, c)
		return nil
	})
	if err != nil {
		httpError(w, http.StatusInternalServerError, "reading subset %s: %v", commune, err)
		return
	}
	now := s.cfg.Now().UTC()
	h := bundle.Header{Kind: bundle.KindFull, Commune: commune, To: version, Created: now, Expires: now.Add(s.cfg.BundleTTL)}
	var buf bytes.Buffer
	if _, err := bundle.Build(&buf, h, slices.Values(records), s.cfg.SigningKey, s.cfg.SigningCert); err != nil {
		httpError(w, http.StatusInternalServerError, "building bundle %s: %v", commune, err)
		return
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("X-Xanode-Subset-Version", strconv.FormatUint(version, 10))
	w.Header().Set("Content-Length", strconv.Itoa(buf.Len()))
	w.Write(buf.Bytes())
}
