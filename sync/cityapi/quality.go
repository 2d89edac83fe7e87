package cityapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/xanode/xanode/node/quality"
	"github.com/xanode/xanode/node/registry"
	"github.com/xanode/xanode/sync/api"
	"github.com/xanode/xanode/sync/cluster"
	"github.com/xanode/xanode/sync/fsm"
	"github.com/xanode/xanode/sync/wire"
)

// Data quality over the API (DESIGN.md, "Data quality"): an office reads
// its residents' open findings; city IT reads the figures and findings,
// a record with its findings, and decides on findings through raft.
func (s *Server) qualityRoutes() {
	s.handle(api.GetFindings, s.officeFindings)
	s.handle(api.GetQuality, s.qualityReport)
	s.handle(api.GetAdminFindings, s.adminFindings)
	s.handle(api.PostFindingReview, s.reviewFinding)
	s.handle(api.GetCitizen, s.adminCitizen)
}

// officeFindings answers GET /v1/findings: the open and confirmed findings
// about the caller's communes' residents, problems first.
func (s *Server) officeFindings(w http.ResponseWriter, r *http.Request) {
	f := s.cfg.Cluster.FSM()
	communes, err := f.NodeCommunes(callerOf(r).id)
	if err != nil {
		httpError(w, http.StatusInternalServerError, "%v", err)
		return
	}
	mine := make(map[string]bool, len(communes))
	for _, c := range communes {
		mine[c] = true
	}
	out := []wire.Finding{}
	seen := map[uint64]bool{}
	for _, c := range communes {
		fs, err := f.Findings(fsm.FindingFilter{Commune: c, States: []string{fsm.FindingOpen, fsm.FindingConfirmed}, Limit: wire.MaxFindings})
		if err != nil {
			httpError(w, http.StatusInternalServerError, "%v", err)
			return
		}
		for _, x := range fs {
			if seen[x.ID] || len(out) == wire.MaxFindings {
				continue
			}
			seen[x.ID] = true
			o, err := officeFinding(f, x, mine)
			if err != nil {
				httpError(w, http.StatusInternalServerError, "%v", err)
				return
			}
			out = append(out, o)
		}
	}
	writeJSON(w, http.StatusOK, out)
}

// officeFinding is a finding as an office may see it. A duplicate pair
// whose other record lies in a commune the office does not serve is told
// as "a likely duplicate exists elsewhere": the office's own resident and
// the likeness, never the other record's ID, commune or values (DESIGN.md,
// "Data quality"); city IT sees and decides the pair.
func officeFinding(f *fsm.FSM, x fsm.Finding, mine map[string]bool) (wire.Finding, error) {
	o := wire.Finding{ID: x.ID, Rule: string(x.Rule), Citizen: x.Citizen, Other: x.Other, Household: x.Household,
		Commune: x.Commune, Fields: x.Fields, Statements: x.Evidence, Chip: x.Chip, Assurance: x.Assurance, State: x.State, Found: x.Found}
	if x.Other != "" && x.OtherCommune != "" && !(mine[x.Commune] && mine[x.OtherCommune]) {
		o.Other = ""
		if !mine[x.Commune] {
			o.Citizen, o.Commune = x.Other, x.OtherCommune
		}
		c, err := f.Citizen(o.Citizen)
		if err != nil && !errors.Is(err, fsm.ErrNotFound) {
			return o, err
		}
		var name, born string
		if c != nil {
			name, born = c.Get(registry.FieldFullName), c.Get(registry.FieldBirthDate)
		}
		o.Statements = quality.DuplicateElsewhere(x.Score, name, born)
	}
	o.Evidence = o.Statements.English()
	return o, nil
}

func (s *Server) qualityReport(w http.ResponseWriter, _ *http.Request) {
	now, weekly, on, err := s.cfg.Cluster.FSM().QualityFigures()
	if err != nil {
		httpError(w, http.StatusInternalServerError, "%v", err)
		return
	}
	writeJSON(w, http.StatusOK, api.QualityReport{On: on, Rules: quality.Rules(), Now: now, Weekly: weekly})
}

// adminFindings answers GET /v1/admin/findings?commune=&citizen=&rule=&state=&limit=.
func (s *Server) adminFindings(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	ff := fsm.FindingFilter{Commune: q.Get("commune"), Citizen: q.Get("citizen"), Rule: q.Get("rule"), States: q["state"]}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			httpError(w, http.StatusBadRequest, "limit %q is not a count", v)
			return
		}
		ff.Limit = n
	}
	fs, err := s.cfg.Cluster.FSM().Findings(ff)
	if err != nil {
		httpError(w, http.StatusInternalServerError, "%v", err)
		return
	}
	if fs == nil {
		fs = []fsm.Finding{}
	}
	writeJSON(w, http.StatusOK, fs)
}

func (s *Server) reviewFinding(w http.ResponseWriter, r *http.Request) {
	var rv api.FindingReview
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 64<<10))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&rv); err != nil {
		httpError(w, http.StatusBadRequest, "finding review: %v", err)
		return
	}
	if rv.Reason == "" {
		httpError(w, http.StatusBadRequest, "a decision on a finding needs a reason")
		return
	}
	c := callerOf(r)
	out, err := cluster.ReviewFinding(r.Context(), s.forwarder(), c.sender(),
		&fsm.FindingOp{ID: rv.ID, Action: rv.Action, Keep: rv.Keep, Reason: rv.Reason, By: c.id})
	if err != nil {
		applyError(w, err)
		return
	}
	if rv.Action == fsm.ReviewMerge {
		if err := s.repoint(r.Context(), c, out, rv); err != nil {
			httpError(w, http.StatusInternalServerError, "%v", err)
			return
		}
	}
	writeJSON(w, http.StatusOK, out)
}

// repoint makes the records that named the retired record of a merge as a
// parent or spouse (the merge's answer lists them) name the kept one: a
// city correction each, in the history of each record with the merge's
// reason (DESIGN.md "Data quality"). Corrections are commands every
// release decides alike, so a city upgraded node by node agrees on them.
// A failure leaves the merge made and names the corrections left, for
// `xanode fleet correct`.
func (s *Server) repoint(ctx context.Context, c caller, f *fsm.Finding, rv api.FindingReview) error {
	gone := f.Citizen
	if gone == rv.Keep {
		gone = f.Other
	}
	for i, ref := range f.Referrers {
		fld, ok := registry.FieldByName(ref.Field)
		var err error
		if !ok {
			err = fmt.Errorf("unknown field %q", ref.Field)
		} else {
			var o *registry.Outcome
			o, err = cluster.Decide(ctx, s.forwarder(), &fsm.Command{Kind: fsm.KindCorrect, From: c.sender(), Citizen: ref.Citizen,
				Patch:  registry.Patch{{Field: fld, Value: rv.Keep}},
				Reason: fmt.Sprintf("%s %s was merged into %s (finding %s): %s", ref.Field, gone, rv.Keep, registry.FindingRef(f.ID), rv.Reason),
				By:     c.id})
			if err == nil && o.Result != registry.Applied {
				err = errors.New(o.Reason)
			}
		}
		if err != nil {
			var left []string
			for _, r := range f.Referrers[i:] {
				left = append(left, r.Citizen+" "+r.Field)
			}
			s.log.Error("merge made, repointing failed", "finding", f.ID, "retired", gone, "kept", rv.Keep, "left", left, "err", err)
			return fmt.Errorf("%s was merged into %s, but %d of %d records naming it still do (%s): %v; correct them with xanode fleet correct ID FIELD=%s REASON",
				gone, rv.Keep, len(left), len(f.Referrers), strings.Join(left, ", "), err, rv.Keep)
		}
	}
	return nil
}

func (s *Server) adminCitizen(w http.ResponseWriter, r *http.Request) {
	f := s.cfg.Cluster.FSM()
	id := r.PathValue("id")
	c, err := f.Citizen(id)
	if errors.Is(err, fsm.ErrNotFound) {
		httpError(w, http.StatusNotFound, "no citizen %.20q", id)
		return
	}
	if err != nil {
		httpError(w, http.StatusInternalServerError, "%v", err)
		return
	}
	fs, err := f.Findings(fsm.FindingFilter{Citizen: id})
	if err != nil {
		httpError(w, http.StatusInternalServerError, "%v", err)
		return
	}
	if fs == nil {
		fs = []fsm.Finding{}
	}
	into, err := f.MergedInto(id)
	if err != nil {
		httpError(w, http.StatusInternalServerError, "%v", err)
		return
	}
	writeJSON(w, http.StatusOK, api.CitizenView{ID: c.ID, Version: c.Version, Fields: c.Fields(), Findings: fs, MergedInto: into})
}
