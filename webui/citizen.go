package webui

import (
	"errors"
	"net/http"
	"net/url"
	"sort"

	"github.com/xanode/xanode/node/registry"
	"github.com/xanode/xanode/webui/i18n"
)

type citizenPage struct {
	base
	ID       string
	Name     string
	Province string
	Deceased bool
	Sections []sectionView

	Household      string // the household code; "" when the record has none
	Members        []memberView
	HouseholdError string

	History      []changeRow
	HistoryMore  bool // more changes than shown
	HistoryError string

	Actions []actionView
	// Rare are the forms set apart from the everyday ones: a correction
	// and a death, a supervisor's, rarely needed and hard to undo.
	Rare     []actionView
	PrintURL string // "" when printing is refused (frozen data)
}

type sectionView struct {
	Title string
	Rows  []fieldRow
}

type fieldRow struct{ Label, Value string }

// memberView is one member of the household; URL is "" for the citizen
// whose record is shown.
type memberView struct {
	Name, ID, URL, Birth, Relation string
	Head                           bool
	born                           string // canonical birth date: sorts as dates do
}

// actionView is one change the officer may start from the record; Note
// says why it is not open to them (a supervisor's operation).
type actionView struct {
	Label, URL, Note string
}

// citizen shows one record with its household and the changes recorded
// here about it. Every view goes through Registry.Lookup, which writes the
// audit entry on the node side.
func (s *Server) citizen(w http.ResponseWriter, r *http.Request, sess session) {
	c, ok := s.lookupCitizen(w, r, &sess)
	if !ok {
		return
	}
	s.renderPage(w, r, http.StatusOK, "citizen", s.citizenPage(r, &sess, c))
}

// lookupCitizen reads the path's citizen, answering the request itself
// (with the home page and a message) when that fails, or when the data is
// frozen: then no record is read at all.
func (s *Server) lookupCitizen(w http.ResponseWriter, r *http.Request, sess *session) (*registry.Citizen, bool) {
	l := langOf(r)
	raw := r.PathValue("id")
	id, msg := cleanID(l, raw)
	if msg != "" {
		page := s.homePage(r, sess)
		page.LookupID, page.LookupError = raw, msg
		s.renderPage(w, r, http.StatusBadRequest, "home", page)
		return nil, false
	}
	page := s.homePage(r, sess)
	page.LookupID = raw
	if page.Status != nil && page.Status.Frozen {
		// The node refuses too (ErrFrozen); the UI does not even ask.
		page.LookupError = s.frozenMessage(l)
		s.renderPage(w, r, http.StatusConflict, "home", page)
		return nil, false
	}
	c, err := s.cfg.Registry.Lookup(sess.officer.User, id)
	if err == nil && c != nil {
		return c, true
	}
	switch {
	case errors.Is(err, ErrFrozen):
		page.LookupError = s.frozenMessage(l)
		s.renderPage(w, r, http.StatusConflict, "home", page)
	case (errors.Is(err, ErrNotFound) || err == nil) && r.Method == http.MethodGet && s.visits.get(sess.csrf, id) != nil:
		http.Redirect(w, r, "/visitor/"+id, http.StatusSeeOther) // a visitor read in this session (links from the queue)
	case errors.Is(err, ErrNotFound) || err == nil:
		page.LookupError = l.T("lookup.notfound", id)
		s.renderPage(w, r, http.StatusNotFound, "home", page)
	default:
		s.log.Error("lookup failed", "id", id, "err", err)
		page.LookupError = l.T("lookup.failed")
		s.renderPage(w, r, http.StatusInternalServerError, "home", page)
	}
	return nil, false
}

func (s *Server) citizenPage(r *http.Request, sess *session, c *registry.Citizen) citizenPage {
	l := langOf(r)
	here := "/citizen/" + c.ID
	p := citizenPage{
		base:     s.base(r, sess, "citizen.title", here),
		ID:       c.ID,
		Name:     c.Get(registry.FieldFullName),
		Province: province(c.ID),
		Deceased: c.Deceased(),
		Sections: recordView(l, c),
	}
	if p.Status == nil || !p.Status.Frozen {
		p.PrintURL = here + "/print"
	}
	p.Members, p.HouseholdError = s.members(l, sess, c)
	p.Household = c.Get(registry.FieldHousehold)
	p.History, p.HistoryMore, p.HistoryError = s.history(l, sess, c.ID)
	p.Actions, p.Rare = actions(l, sess.officer.Role, c)
	return p
}

// province names the province of birth registration that an ID's prefix
// encodes; "" when the list does not know it.
func province(id string) string {
	if pid, err := registry.ParseID(id); err == nil {
		return registry.Provinces[pid.Province]
	}
	return ""
}

// recordView lays out every set field by section.
func recordView(l i18n.Lang, c *registry.Citizen) []sectionView {
	var out []sectionView
	for _, sec := range recordSections {
		sv := sectionView{Title: l.T(sec.titleKey)}
		for _, f := range sec.fields {
			if v := c.Get(f); v != "" {
				sv.Rows = append(sv.Rows, fieldRow{fieldLabel(l, f.String()), displayValue(l, f.String(), v)})
			}
		}
		if len(sv.Rows) > 0 {
			out = append(out, sv)
		}
	}
	return out
}

// headRelation is the relation of a household's head, folded.
const headRelation = "chu ho"

// members reads the citizen's household, head first, then the eldest.
func (s *Server) members(l i18n.Lang, sess *session, c *registry.Citizen) ([]memberView, string) {
	hh := c.Get(registry.FieldHousehold)
	if hh == "" {
		return nil, ""
	}
	list, err := s.cfg.Registry.Household(sess.officer.User, hh)
	if err != nil {
		s.log.Error("household unavailable", "household", hh, "err", err)
		return nil, l.T("household.failed")
	}
	out := make([]memberView, 0, len(list))
	for _, m := range list {
		if m == nil {
			continue
		}
		v := memberView{
			Name: m.Get(registry.FieldFullName), ID: m.ID,
			Birth:    m.BirthDate().Display(),
			Relation: m.Get(registry.FieldRelation),
			Head:     registry.FoldName(m.Get(registry.FieldRelation)) == headRelation,
			born:     m.Get(registry.FieldBirthDate),
		}
		if m.ID != c.ID {
			v.URL = "/citizen/" + url.PathEscape(m.ID)
		}
		out = append(out, v)
	}
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.Head != b.Head {
			return a.Head
		}
		if a.born != b.born {
			return a.born < b.born
		}
		return a.ID < b.ID
	})
	return out, ""
}

// history lists the changes recorded here about the citizen, with their
// outcomes in words.
func (s *Server) history(l i18n.Lang, sess *session, id string) ([]changeRow, bool, string) {
	n := s.cfg.HistoryItems
	list, err := s.cfg.Registry.History(sess.officer.User, id, n+1)
	if err != nil {
		s.log.Error("history unavailable", "citizen", id, "err", err)
		return nil, false, l.T("history.failed")
	}
	more := len(list) > n
	if more {
		list = list[:n]
	}
	var rows []changeRow
	for _, rc := range list {
		if rc.Change != nil {
			rows = append(rows, s.changeRow(l, rc))
		}
	}
	return rows, more, ""
}

// actions are the changes the record page offers, each a link to its
// form: the everyday ones first, the rare ones apart; a form the
// officer's role does not open is still listed, with why.
func actions(l i18n.Lang, role string, c *registry.Citizen) (everyday, rare []actionView) {
	base := "/citizen/" + url.PathEscape(c.ID)
	for _, f := range opForms {
		if f.op == registry.OpRegisterBirth || (f.living && c.Deceased()) {
			continue
		}
		a := actionView{Label: opLabel(l, f.op), URL: base + "/change/" + string(f.op)}
		if !registry.OfficerMay(role, f.op) {
			a.Note = l.T("action.supervisor")
		}
		if f.rare {
			rare = append(rare, a)
		} else {
			everyday = append(everyday, a)
		}
	}
	if !c.Deceased() {
		everyday = append(everyday, actionView{Label: l.T("action.birth"), URL: "/birth?parent=" + url.QueryEscape(c.ID)})
	}
	return everyday, rare
}
