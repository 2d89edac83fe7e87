package cityapi

import (
	"encoding/json"
	"net/http"

	"github.com/xanode/xanode/sync/api"
	"github.com/xanode/xanode/sync/fsm"
)

// Officer accounts: city IT adds, replaces and disables them through raft;
// they reach the commune's edges signed inside its bundles. The password
// is hashed by the CLI (Argon2id, the edge's parameters): the city stores
// and forwards only the hash, and never answers with it.

func (s *Server) officerRoutes() {
	s.handle(api.PostOfficer, s.putOfficer)
	s.handle(api.GetOfficers, s.listOfficers)
}

func (s *Server) putOfficer(w http.ResponseWriter, r *http.Request) {
	var req api.OfficerRequest
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 4<<10))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		httpError(w, http.StatusBadRequest, "officer: %v", err)
		return
	}
	by := callerOf(r).id
	cmd := &fsm.Command{Kind: fsm.KindOfficer, From: callerOf(r).sender(), Received: s.cfg.Now(), Officer: &fsm.OfficerOp{OfficerAccount: req, By: by}}
	// The FSM's own check, here first, so that bad input is a 400 naming
	// the field and never reaches the log.
	if _, err := fsm.DecodeCommand(cmd.Encode()); err != nil {
		httpError(w, http.StatusBadRequest, "%v", err)
		return
	}
	if _, err := s.apply(r.Context(), cmd); err != nil {
		applyError(w, err) // disabling an unknown account: 409, the FSM's refusal
		return
	}
	action := "officer account set"
	if req.Disabled {
		action = "officer account disabled"
	}
	s.log.Info(action, "commune", req.Commune, "user", req.User, "role", req.Role, "by", by)
	s.writeOfficers(w, req.Commune)
}

func (s *Server) listOfficers(w http.ResponseWriter, r *http.Request) {
	commune := r.URL.Query().Get("commune")
	if commune == "" {
		httpError(w, http.StatusBadRequest, "name the commune: ?commune=CODE")
		return
	}
	s.writeOfficers(w, commune)
}

func (s *Server) writeOfficers(w http.ResponseWriter, commune string) {
	list, version, err := s.cfg.Cluster.FSM().Officers(commune)
	if err != nil {
		httpError(w, http.StatusInternalServerError, "%v", err)
		return
	}
	out := api.OfficerList{Commune: commune, SubsetVersion: version, Officers: make([]api.OfficerInfo, len(list))}
	for i, o := range list {
		out.Officers[i] = api.OfficerInfo{Commune: o.Commune, User: o.User, Name: o.Name, Role: o.Role,
			Disabled: o.Disabled, By: o.By, Changed: o.Changed}
	}
	writeJSON(w, http.StatusOK, out)
}
