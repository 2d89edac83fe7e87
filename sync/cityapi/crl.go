package cityapi

import (
	"bytes"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"io"
	"net/http"

	"github.com/xanode/xanode/certs"
	"github.com/xanode/xanode/sync/api"
	"github.com/xanode/xanode/sync/fsm"
	"github.com/xanode/xanode/sync/wire"
)

func (s *Server) crlRoutes() {
	s.handle(api.PostAdminCRL, s.putCRL)
	s.handle(api.GetAdminCRL, s.getCRL)
	s.handle(api.GetCRL, s.fleetCRL)
}

// fleetCRL gives clients the fleet CA's revocation list with the fleet
// CA's certificate, so that an edge, which trusts only the root, refuses a
// revoked city node's certificate too: both verify by themselves (the
// root issued the fleet CA, the fleet CA signed the list), whoever serves
// them.
func (s *Server) fleetCRL(w http.ResponseWriter, _ *http.Request) {
	der, err := s.cfg.Cluster.FSM().CRL()
	if err != nil {
		httpError(w, http.StatusInternalServerError, "%v", err)
		return
	}
	out := wire.FleetCRL{CRL: der}
	if s.cfg.FleetCA != nil {
		out.FleetCA = s.cfg.FleetCA.Raw
	}
	writeJSON(w, http.StatusOK, out)
}

// putCRL takes a new revocation list. The admin certificate only carries
// it: the fleet CA's signature is what makes it count, checked here before
// anything reaches the log.
func (s *Server) putCRL(w http.ResponseWriter, r *http.Request) {
	if s.cfg.FleetCA == nil {
		httpError(w, http.StatusServiceUnavailable, "this city node has no fleet CA certificate to check a revocation list with")
		return
	}
	der, err := io.ReadAll(http.MaxBytesReader(w, r.Body, fsm.MaxCRLBytes))
	if err != nil {
		httpError(w, http.StatusRequestEntityTooLarge, "revocation list: %v", err)
		return
	}
	crl, err := certs.VerifyCRL(der, s.cfg.FleetCA)
	if err != nil {
		code := http.StatusBadRequest
		if errors.Is(err, certs.ErrNotFleetSigned) {
			code = http.StatusForbidden
		}
		httpError(w, code, "%v", err)
		return
	}
	// Handing over the list the city holds again is a no-op, not a
	// refusal: `xanode pki crl` may be repeated.
	if held, err := s.cfg.Cluster.FSM().CRL(); err == nil && bytes.Equal(held, der) {
		writeJSON(w, http.StatusOK, crlInfo(crl))
		return
	}
	if _, err := s.apply(r.Context(), &fsm.Command{Kind: fsm.KindCRL, From: callerOf(r).sender(), CRL: der}); err != nil {
		applyError(w, err) // an older number: 409, the FSM's refusal
		return
	}
	s.log.Warn("fleet CA revocation list applied", "number", crl.Number, "entries", len(crl.RevokedCertificateEntries), "by", callerOf(r).id)
	// This replica may not have applied it yet: answer with the list
	// that was committed, not with what is read here.
	writeJSON(w, http.StatusOK, crlInfo(crl))
}

func crlInfo(crl *x509.RevocationList) api.CRLInfo {
	info := api.CRLInfo{Number: crl.Number.String(), ThisUpdate: crl.ThisUpdate, Serials: []string{}}
	for _, e := range crl.RevokedCertificateEntries {
		info.Serials = append(info.Serials, hex.EncodeToString(e.SerialNumber.Bytes()))
	}
	return info
}

func (s *Server) getCRL(w http.ResponseWriter, _ *http.Request) {
	der, err := s.cfg.Cluster.FSM().CRL()
	if err != nil {
		httpError(w, http.StatusInternalServerError, "%v", err)
		return
	}
	if der == nil {
		writeJSON(w, http.StatusOK, api.CRLInfo{Serials: []string{}})
		return
	}
	crl, err := certs.VerifyCRL(der, s.cfg.FleetCA)
	if err != nil {
		httpError(w, http.StatusInternalServerError, "the revocation list held: %v", err)
		return
	}
	writeJSON(w, http.StatusOK, crlInfo(crl))
}
