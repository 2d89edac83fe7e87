package cityapi

import (
	"encoding/json"
	"errors"
	"net/http"

	"github.com/xanode/xanode/sync/api"
	"github.com/xanode/xanode/sync/fsm"
	"github.com/xanode/xanode/sync/wire"
)

// maxDecisionsBody bounds a decisions request: MaxDecisions change IDs of
// a few tens of bytes each.
const maxDecisionsBody = 64 << 10

// decisions answers POST /v1/decisions with the outcomes this node holds
// for the caller's changes named in the request (wire outcomes, in the
// order asked, unknown changes left out). It reads this node's FSM: a
// follower a moment behind the leader may still answer needs_review for a
// change just resolved, and the edge asks again (DESIGN.md, "Sync").
func (s *Server) decisions(w http.ResponseWriter, r *http.Request) {
	c := callerOf(r)
	body, err := readBody(r, maxDecisionsBody)
	if err != nil {
		httpError(w, http.StatusRequestEntityTooLarge, "decisions body: %v", err)
		return
	}
	var req api.DecisionsRequest
	if err := json.Unmarshal(body, &req); err != nil {
		httpError(w, http.StatusBadRequest, "decisions body: %v", err)
		return
	}
	if len(req.Changes) > fsm.MaxDecisions {
		httpError(w, http.StatusRequestEntityTooLarge, "%d change IDs, at most %d", len(req.Changes), fsm.MaxDecisions)
		return
	}
	outs, err := s.cfg.Cluster.FSM().Decisions(c.id, req.Changes)
	switch {
	case errors.Is(err, fsm.ErrForbidden):
		httpError(w, http.StatusForbidden, "%v", err)
		return
	case err != nil:
		httpError(w, http.StatusInternalServerError, "decisions: %v", err)
		return
	}
	w.Header().Set("Content-Type", wire.ContentOutcomes)
	w.Write(wire.EncodeOutcomes(outs))
}
