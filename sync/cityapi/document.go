package cityapi

import (
	"crypto/x509"
	"encoding/json"
	"errors"
	"net/http"
	"strings"

	"github.com/xanode/xanode/certs"
	"github.com/xanode/xanode/sync/api"
	"github.com/xanode/xanode/sync/attest"
)

// Printed documents carry a verification code (package attest): the
// proof travels in the printing edge's audit log. GET
// /v1/admin/document?code=… finds it, checks it against the fleet CA, and
// answers with the proof (its chain completed with the fleet CA's
// certificate, so that it checks against the root alone) and what the
// document said. 404: no such document yet — the box may not have pushed
// its audit log since it printed, or the code is wrong.

func (s *Server) documentRoutes() {
	s.handle(api.GetDocument, s.document)
}

func (s *Server) document(w http.ResponseWriter, r *http.Request) {
	code := r.URL.Query().Get("code")
	node, seq, chk, err := attest.ParseCode(code)
	if err != nil {
		httpError(w, http.StatusBadRequest, "%v", err)
		return
	}
	entries, err := s.cfg.Cluster.FSM().AuditEntries(node, seq)
	if err != nil {
		httpError(w, http.StatusInternalServerError, "%v", err)
		return
	}
	for _, e := range entries {
		body, ok := strings.CutPrefix(e.Detail, "attest ")
		if e.Action != "print" || !ok {
			continue
		}
		var p attest.Proof
		if json.Unmarshal([]byte(body), &p) != nil || !p.Matches(chk) {
			continue
		}
		out := api.DocumentCheck{Code: code, Proof: &p}
		if s.cfg.FleetCA == nil {
			out.Reason = "this city node holds no fleet CA certificate to check the signer against"
			writeJSON(w, http.StatusOK, out)
			return
		}
		p.Chain = append(p.Chain, s.cfg.FleetCA.Raw)
		anchors := x509.NewCertPool()
		anchors.AddCert(s.cfg.FleetCA)
		st, err := attest.Verify(&p, anchors, nil, identity)
		switch {
		case errors.Is(err, attest.ErrInvalid):
			out.Reason = err.Error()
		case err != nil:
			httpError(w, http.StatusInternalServerError, "%v", err)
			return
		default:
			out.Genuine, out.Statement = true, st
		}
		writeJSON(w, http.StatusOK, out)
		return
	}
	httpError(w, http.StatusNotFound, "no document %s: the box may not have sent its audit log since it printed, or the code is wrong", code)
}

// identity is certs.NodeIdentity in the shape attest asks for.
func identity(c *x509.Certificate) (string, string, error) {
	id, role, err := certs.NodeIdentity(c)
	return id, string(role), err
}
