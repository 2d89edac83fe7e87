package cityapi

import (
	"encoding/json"
	"net/http"

	"github.com/xanode/xanode/node/registry"
	"github.com/xanode/xanode/sync/api"
	"github.com/xanode/xanode/sync/cluster"
	"github.com/xanode/xanode/sync/fsm"
)

func (s *Server) conflicts(w http.ResponseWriter, _ *http.Request) {
	entries, err := s.cfg.Cluster.FSM().Reviews()
	if err != nil {
		httpError(w, http.StatusInternalServerError, "%v", err)
		return
	}
	out := make([]api.Conflict, 0, len(entries))
	for _, e := range entries {
		c := api.Conflict{Entry: e.Seq, Change: e.Change.ID(), Node: e.Change.Node, Officer: e.Change.Officer,
			Op: e.Change.Op, Citizen: e.Change.Citizen, Commune: e.Change.Commune, Time: e.Change.Time.Time(),
			Patch: e.Change.Patch.Map(), Reason: e.Outcome.Reason, Recorded: e.Outcome.Index}
		if cit, err := s.cfg.Cluster.FSM().Citizen(e.Change.Citizen); err == nil {
			c.Current = map[string]string{}
			for _, fv := range e.Change.Patch {
				c.Current[fv.Field.String()] = cit.Get(fv.Field)
			}
		}
		out = append(out, c)
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) resolve(w http.ResponseWriter, r *http.Request) {
	var res api.Resolution
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 64<<10)).Decode(&res); err != nil {
		httpError(w, http.StatusBadRequest, "resolution: %v", err)
		return
	}
	if res.Reason == "" {
		httpError(w, http.StatusBadRequest, "a resolution needs a reason")
		return
	}
	out, err := cluster.Decide(r.Context(), s.forwarder(), &fsm.Command{Kind: fsm.KindResolve, From: callerOf(r).sender(), Entry: res.Entry, Accept: res.Accept,
		Reason: res.Reason, By: callerOf(r).id})
	if err != nil {
		applyError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) correct(w http.ResponseWriter, r *http.Request) {
	var c api.Correction
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 64<<10))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil {
		httpError(w, http.StatusBadRequest, "correction: %v", err)
		return
	}
	patch, err := registry.PatchFromMap(c.Patch)
	if err != nil {
		httpError(w, http.StatusBadRequest, "correction: %v", err)
		return
	}
	out, err := cluster.Decide(r.Context(), s.forwarder(), &fsm.Command{Kind: fsm.KindCorrect, From: callerOf(r).sender(), Citizen: c.Citizen, Patch: patch,
		Reason: c.Reason, By: callerOf(r).id})
	if err != nil {
		applyError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, out)
}
