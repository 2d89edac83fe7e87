package cityapi

import (
	"encoding/json"
	"net/http"
	"time"

	"github.com/xanode/xanode/certs"
	"github.com/xanode/xanode/sync/fsm"
)

// Officer accounts: city IT adds, replaces and disables them through raft;
// they reach the commune's edges signed inside its bundles. The password
// is hashed by the CLI (Argon2id, the edge's parameters): the city stores
// and forwards only the hash, and never answers with it.

// OfficerRequest is the body of POST /v1/admin/officers: an account to add
// or replace (Name, Role and the Argon2id hash), or to disable (Disabled,
// with only Commune and User).
type OfficerRequest struct {
	Commune  string `json:"commune"`
	User     string `json:"user"`
	Name     string `json:"name,omitempty"`
	Role     string `json:"role,omitempty"`
	Salt     []byte `json:"salt,omitempty"`
	Hash     []byte `json:"hash,omitempty"`
	Time     uint32 `json:"t,omitempty"`
	Memory   uint32 `json:"m,omitempty"` // KiB
	Threads  uint8  `json:"p,omitempty"`
	Disabled bool   `json:"disabled,omitempty"`
}

// OfficerInfo is an account as GET /v1/admin/officers lists it: no hash.
type OfficerInfo struct {
	Commune  string    `json:"commune"`
	User     string    `json:"user"`
	Name     string    `json:"name"`
	Role     string    `json:"role"`
	Disabled bool      `json:"disabled"`
	By       string    `json:"by,omitempty"`
	Changed  time.Time `json:"changed"`
}

// OfficerList answers GET /v1/admin/officers: the accounts and the subset
// version that carries them to the edges.
type OfficerList struct {
	Commune       string        `json:"commune"`
	SubsetVersion uint64        `json:"subset_version"`
	Officers      []OfficerInfo `json:"officers"`
}

func (s *Server) officerRoutes() {
	s.mux.HandleFunc("POST /v1/admin/officers", s.role(s.putOfficer, certs.RoleAdmin))
	s.mux.HandleFunc("GET /v1/admin/officers", s.role(s.listOfficers, certs.RoleAdmin))
}

func (s *Server) putOfficer(w http.ResponseWriter, r *http.Request) {
	var req OfficerRequest
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 4<<10))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		httpError(w, http.StatusBadRequest, "officer: %v", err)
		return
	}
	by := callerOf(r).id
	cmd := &fsm.Command{Kind: fsm.KindOfficer, From: callerOf(r).sender(), Received: s.cfg.Now(), Officer: &fsm.OfficerOp{
		Commune: req.Commune, User: req.User, Name: req.Name, Role: req.Role, Salt: req.Salt, Hash: req.Hash,
		Time: req.Time, Memory: req.Memory, Threads: req.Threads, Disabled: req.Disabled, By: by}}
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
	out := OfficerList{Commune: commune, SubsetVersion: version, Officers: make([]OfficerInfo, len(list))}
	for i, o := range list {
		out.Officers[i] = OfficerInfo{Commune: o.Commune, User: o.User, Name: o.Name, Role: o.Role,
			Disabled: o.Disabled, By: o.By, Changed: o.Changed}
	}
	writeJSON(w, http.StatusOK, out)
}
