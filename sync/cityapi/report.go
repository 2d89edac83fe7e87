package cityapi

import (
	"net/http"
	"slices"
	"time"

	"github.com/xanode/xanode/certs"
	"github.com/xanode/xanode/node/registry"
	"github.com/xanode/xanode/sync/api"
)

// A commune's monthly report (DESIGN.md, "Reports"): city IT asks for any
// commune's (GET /v1/admin/report), an edge for a commune it is assigned
// (GET /v1/report). Both read this node's state, which may lag the leader
// by a few entries: a report is a count, not a decision.

// vietnam is the time zone months are counted in (UTC+7, no daylight
// saving).
var vietnam = time.FixedZone("ICT", 7*60*60)

func (s *Server) reportRoutes() {
	s.handle(api.GetAdminReport, s.report)
	s.handle(api.GetReport, s.report)
}

func (s *Server) report(w http.ResponseWriter, r *http.Request) {
	commune, month := r.URL.Query().Get("commune"), r.URL.Query().Get("month")
	if !validCommune(commune) {
		httpError(w, http.StatusBadRequest, "commune %q: want a 5-digit code", commune)
		return
	}
	from, to, err := registry.ParseMonth(month, vietnam)
	if err != nil {
		httpError(w, http.StatusBadRequest, "%v", err)
		return
	}
	if c := callerOf(r); c.role == certs.RoleEdge {
		communes, err := s.cfg.Cluster.FSM().NodeCommunes(c.id)
		if err != nil {
			httpError(w, http.StatusInternalServerError, "%v", err)
			return
		}
		if !slices.Contains(communes, commune) {
			httpError(w, http.StatusForbidden, "node %s is not assigned commune %s", c.id, commune)
			return
		}
	}
	now := s.cfg.Now()
	y, m, d := now.In(vietnam).Date()
	rep, err := s.cfg.Cluster.FSM().Report(commune, month, from, to, registry.Date{Year: y, Month: int(m), Day: d}, now)
	if err != nil {
		httpError(w, http.StatusInternalServerError, "%v", err)
		return
	}
	writeJSON(w, http.StatusOK, rep)
}

func validCommune(c string) bool {
	if len(c) != 5 {
		return false
	}
	for _, r := range c {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}
