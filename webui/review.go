package webui

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/xanode/xanode/node/registry"
	"github.com/xanode/xanode/webui/i18n"
)

// Review is implemented by a Registry whose node receives the city's
// data-quality findings about the commune's residents (DESIGN.md, "Data
// quality"): the "cần rà soát" list, for the officer to check with the
// citizen at the next visit. Resolving one is a change
// (registry.OpFindingResolve) recorded with Registry.Record, so it waits
// in the outbox and reaches the city like every change.
type Review interface {
	// ReviewList returns the findings last received from the city,
	// problems first; Fetched is zero when none was received yet.
	ReviewList() (ReviewList, error)
}

// ReviewList is the office's list of findings to review.
type ReviewList struct {
	Fetched time.Time
	Items   []ReviewItem
}

// ReviewItem is one finding about a resident.
type ReviewItem struct {
	ID                        uint64
	Rule                      string // a rule of the city's (node/quality), by its wire name
	Citizen, Other, Household string
	Fields                    []string
	Evidence                  []i18n.Statement // what the city found, said in the officer's language
	Chip, Assurance           string           // what the card stated, and how it was read
	State                     string           // open or confirmed (by city IT)
	Found                     time.Time
	// Resolved names the change this office recorded to resolve it, while
	// the city has not taken the finding off the list; "" when none.
	Resolved string
}

// maxReviewNote bounds what an officer writes about a resolution.
const maxReviewNote = 500

type reviewRow struct {
	ID, Rule, Citizen, CitizenURL, Other, OtherURL, Household string
	Fields, Evidence, Chip, Found, State, Do                  string
	Resolved                                                  string
	Action                                                    string
	Form                                                      reviewForm
}

type reviewForm struct {
	Resolution, Note, Error string
}

type reviewPage struct {
	base
	Flash                   string // what the last action did
	Fetched, Count, Citizen string
	Never                   bool
	Rows                    []reviewRow
	Error                   string
}

// reviewRoutes adds the review list's pages.
func (s *Server) reviewRoutes(m *http.ServeMux) {
	m.HandleFunc("GET /review", s.page(s.reviewList))
	m.HandleFunc("POST /review/{id}", s.post(s.resolveFinding))
}

func (s *Server) reviewList(w http.ResponseWriter, r *http.Request, sess session) {
	s.renderReview(w, r, sess, 0, reviewForm{}, http.StatusOK)
}

// renderReview shows the list (of one citizen with ?citizen=); the form of
// finding id (if not 0) shows form again.
func (s *Server) renderReview(w http.ResponseWriter, r *http.Request, sess session, id uint64, form reviewForm, status int) {
	l := langOf(r)
	rv, ok := s.cfg.Registry.(Review)
	if !ok {
		s.renderError(w, r, &sess, http.StatusNotFound, "findings.never")
		return
	}
	p := reviewPage{base: s.base(r, &sess, "findings.title", "/review"), Citizen: r.URL.Query().Get("citizen")}
	p.Nav = "review"
	if r.URL.Query().Get("done") == "1" {
		p.Flash = l.T("findings.recorded")
	}
	list, err := rv.ReviewList()
	if err != nil {
		s.log.Warn("review list unavailable", "err", err)
		p.Error = l.T("findings.unavailable")
	}
	p.Never = list.Fetched.IsZero()
	if !p.Never {
		p.Fetched = l.T("findings.asof", list.Fetched.In(s.cfg.Location).Format("15:04 02/01/2006"))
	}
	for _, it := range list.Items {
		if p.Citizen != "" && it.Citizen != p.Citizen && it.Other != p.Citizen {
			continue
		}
		row := reviewRow{ID: strconv.FormatUint(it.ID, 10), Rule: ruleText(l, it.Rule), Citizen: it.Citizen,
			CitizenURL: "/citizen/" + url.PathEscape(it.Citizen), Other: it.Other, Household: it.Household,
			Evidence: l.Evidence(it.Evidence), Chip: it.Chip, Found: it.Found.In(s.cfg.Location).Format("02/01/2006"),
			State: it.State, Resolved: it.Resolved, Action: "/review/" + strconv.FormatUint(it.ID, 10)}
		if it.Other != "" {
			row.OtherURL = "/citizen/" + url.PathEscape(it.Other)
		}
		if k := "findings.do." + it.Rule; i18n.Has(l, k) {
			row.Do = l.T(k)
		}
		var fields []string
		for _, f := range it.Fields {
			fields = append(fields, fieldText(l, f))
		}
		row.Fields = strings.Join(fields, ", ")
		if it.ID == id {
			row.Form = form
		}
		p.Rows = append(p.Rows, row)
	}
	p.Count = l.T("findings.count", len(p.Rows))
	s.renderPage(w, r, status, "review", p)
}

func ruleText(l i18n.Lang, rule string) string {
	if k := "fleet.rule." + rule; i18n.Has(l, k) {
		return l.T(k)
	}
	return rule
}

func fieldText(l i18n.Lang, f string) string {
	if k := "field." + f; i18n.Has(l, k) {
		return l.T(k)
	}
	return f
}

// resolveFinding serves POST /review/{id}: the officer's resolution, a
// change through the outbox.
func (s *Server) resolveFinding(w http.ResponseWriter, r *http.Request, sess session) {
	rv, ok := s.cfg.Registry.(Review)
	id, err := strconv.ParseUint(r.PathValue("id"), 10, 64)
	if !ok || err != nil {
		s.renderError(w, r, &sess, http.StatusNotFound, "findings.never")
		return
	}
	list, err := rv.ReviewList()
	var item *ReviewItem
	for i := range list.Items {
		if list.Items[i].ID == id {
			item = &list.Items[i]
		}
	}
	if err != nil || item == nil {
		s.renderError(w, r, &sess, http.StatusNotFound, "findings.unknown")
		return
	}
	form := reviewForm{Resolution: r.PostForm.Get("resolution"), Note: strings.TrimSpace(r.PostForm.Get("note"))}
	switch {
	case form.Resolution != registry.ResolutionFixed && form.Resolution != registry.ResolutionDismissed:
		form.Error = "findings.noresolution"
	case form.Note == "" || utf8.RuneCountInString(form.Note) > maxReviewNote:
		form.Error = "findings.nonote"
	}
	if form.Error != "" {
		form.Error = langOf(r).T(form.Error)
		s.renderReview(w, r, sess, id, form, http.StatusUnprocessableEntity)
		return
	}
	_, err = s.cfg.Registry.Record(Draft{Officer: sess.officer.User, Op: registry.OpFindingResolve, Citizen: item.Citizen,
		Procedure: registry.FindingRef(id), Note: registry.FindingNote(form.Resolution, form.Note)})
	if err != nil {
		s.log.Warn("resolution not recorded", "finding", id, "err", err)
		form.Error = langOf(r).T("record.failed")
		status := http.StatusInternalServerError
		if errors.Is(err, registry.ErrChange) {
			status = http.StatusUnprocessableEntity
		}
		s.renderReview(w, r, sess, id, form, status)
		return
	}
	http.Redirect(w, r, "/review?done=1#finding-"+strconv.FormatUint(id, 10), http.StatusSeeOther)
}
