package fleetui

import (
	"context"
	"net/http"
	"net/url"
	"strconv"

	"github.com/xanode/xanode/webui/i18n"
)

type conflictRow struct {
	Entry, Time, Citizen, Node, NodeURL, Officer, Op, Reason, Summary string
	Action                                                            string // the form's address
	Form                                                              formState
}

type conflictsPage struct {
	base
	Rows          []conflictRow
	Error, Detail string
	// Lost is a refused decision on an entry no longer in the queue (say,
	// another admin resolved it meanwhile): its error shows on top.
	Lost      formState
	LostEntry string
}

func (s *Server) conflicts(w http.ResponseWriter, r *http.Request, sess []byte) {
	s.renderConflicts(w, r, sess, 0, formState{}, http.StatusOK)
}

// renderConflicts shows the review queue; the form of entry (if not 0)
// shows form again.
func (s *Server) renderConflicts(w http.ResponseWriter, r *http.Request, sess []byte, entry uint64, form formState, status int) {
	l := langOf(r)
	p := conflictsPage{base: s.base(r, sess, l.T("fleet.conflicts.title"), "conflicts", "/conflicts")}
	p.Flash = flash(l, r)
	if n, err := strconv.ParseUint(r.URL.Query().Get("entry"), 10, 64); err == nil && p.Flash != "" {
		p.Flash = l.T("fleet.done.entry", count(l, n), p.Flash)
	}
	var list []Conflict
	err := s.call(r, func(ctx context.Context) (err error) {
		list, err = s.cfg.Fleet.Conflicts(ctx)
		return err
	})
	if err != nil {
		s.log.Warn("city call failed", "call", "Conflicts", "err", err)
		p.Error, p.Detail = s.cityError(l, err)
		if status == http.StatusOK {
			status = http.StatusBadGateway
		}
	}
	found := false
	for _, c := range list {
		cr := conflictRow{
			Entry: strconv.FormatUint(c.Entry, 10), Time: formatTime(c.Time, s.cfg.Location), Citizen: c.Citizen,
			Node: c.Node, NodeURL: "/node/" + url.PathEscape(c.Node), Officer: c.Officer, Op: opLabel(l, c.Op),
			Reason: c.Reason, Summary: c.Summary, Action: "/conflicts/" + strconv.FormatUint(c.Entry, 10),
		}
		if c.Entry == entry {
			cr.Form, found = form, true
		}
		p.Rows = append(p.Rows, cr)
	}
	if entry != 0 && !found {
		p.Lost, p.LostEntry = form, strconv.FormatUint(entry, 10)
	}
	s.render(w, r, status, "conflicts", p)
}

// opLabel names a change operation in l; an operation the catalog does not
// know shows as its code.
func opLabel(l i18n.Lang, op string) string {
	if k := "fleet.op." + op; i18n.Has(l, k) {
		return l.T(k)
	}
	return op
}

// resolve serves POST /conflicts/{entry}: accept or reject, with a reason.
func (s *Server) resolve(w http.ResponseWriter, r *http.Request, sess []byte) {
	l := langOf(r)
	entry, err := strconv.ParseUint(r.PathValue("entry"), 10, 64)
	if err != nil || entry == 0 {
		s.renderError(w, r, sess, http.StatusNotFound, l.T("fleet.conflicts.unknown", r.PathValue("entry")), "")
		return
	}
	why, errKey := reason(r)
	decision := r.PostForm.Get("decision")
	if errKey == "" && decision != "accept" && decision != "reject" {
		errKey = "fleet.conflicts.nodecision"
	}
	form := formState{Reason: why}
	if errKey != "" {
		form.Error = formMessage(l, errKey)
		s.renderConflicts(w, r, sess, entry, form, http.StatusUnprocessableEntity)
		return
	}
	accept := decision == "accept"
	if err := s.call(r, func(ctx context.Context) error {
		return s.cfg.Fleet.Resolve(ctx, entry, accept, why)
	}); err != nil {
		s.log.Warn("city refused a resolution", "entry", entry, "accept", accept, "err", err)
		form.Error, form.Detail = s.cityError(l, err)
		s.renderConflicts(w, r, sess, entry, form, http.StatusBadGateway)
		return
	}
	s.log.Info("conflict resolved", "entry", entry, "accept", accept)
	s.kick()
	done := "rejected"
	if accept {
		done = "accepted"
	}
	http.Redirect(w, r, "/conflicts?done="+done+"&entry="+strconv.FormatUint(entry, 10), http.StatusSeeOther)
}
