package webui

import (
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/xanode/xanode/node/registry"
	"github.com/xanode/xanode/webui/i18n"
)

// resultView is one citizen found by a search.
type resultView struct {
	Name, ID, URL, Birth, Sex, Address string
	Deceased                           bool
}

// search finds citizens by name, typed with or without diacritics, and
// date of birth (DESIGN.md, "Web UI"). A personal ID typed into the name box
// goes straight to the record: officers do not always pick the right box.
func (s *Server) search(w http.ResponseWriter, r *http.Request, sess session) {
	l := langOf(r)
	page := s.homePage(r, &sess)
	q := r.URL.Query()
	page.SearchName, page.SearchBirth, page.Searched = q.Get("name"), q.Get("birth"), true
	if id, msg := cleanID(l, page.SearchName); msg == "" {
		http.Redirect(w, r, "/citizen/"+id, http.StatusSeeOther)
		return
	}
	status := s.runSearch(l, &page, &sess)
	switch {
	case page.NameInvalid || page.SearchError != "" || page.SearchNone != "":
		page.Focus = "name"
	case page.BirthError != "":
		page.Focus = "birth"
	default:
		page.Focus = ""
	}
	s.renderPage(w, r, status, "home", page)
}

// runSearch checks the query, asks the registry and fills the page; it
// returns the response status.

// frozenMessage tells an officer why a frozen box serves no record and
// what to do, with whom to call.
func (s *Server) frozenMessage(l i18n.Lang) string {
	help := s.cfg.HelpContact
	if help == "" {
		help = l.T("login.help.default")
	}
	return l.T("frozen.refused", help)
}
func (s *Server) runSearch(l i18n.Lang, p *homePage, sess *session) int {
	if p.Status != nil && p.Status.Frozen {
		p.SearchError = s.frozenMessage(l)
		return http.StatusConflict
	}
	name := registry.FoldName(p.SearchName)
	switch {
	case name == "":
		p.SearchError, p.NameInvalid = l.T("search.name.empty"), true
	case len(name) > registry.MaxValueLen:
		p.SearchError, p.NameInvalid = l.T("form.long", registry.MaxValueLen), true
	}
	birth, key, args := "", "search.birth.empty", []any(nil)
	if strings.TrimSpace(p.SearchBirth) != "" {
		birth, key, args = checkDate(datePast, strings.TrimSpace(p.SearchBirth), s.today())
	}
	if key != "" {
		p.BirthError = l.T(key, args...)
	}
	if p.SearchError != "" || p.BirthError != "" {
		return http.StatusBadRequest
	}
	dob, _ := registry.ParseDate(birth)
	n := s.cfg.SearchResults
	found, err := s.cfg.Registry.Search(sess.officer.User, SearchQuery{Name: name, Birth: dob, Limit: n + 1})
	if errors.Is(err, ErrFrozen) {
		p.SearchError = s.frozenMessage(l)
		return http.StatusConflict
	}
	if err != nil {
		s.log.Error("search failed", "user", sess.officer.User, "err", err)
		p.SearchError = l.T("search.failed")
		return http.StatusInternalServerError
	}
	if len(found) > n {
		found, p.More = found[:n], l.T("search.more", n)
	}
	for _, c := range found {
		if c == nil {
			continue
		}
		p.Results = append(p.Results, resultView{
			Name: c.Get(registry.FieldFullName), ID: c.ID, URL: "/citizen/" + url.PathEscape(c.ID),
			Birth:    c.BirthDate().Display(),
			Sex:      displayValue(l, registry.FieldSex.String(), c.Get(registry.FieldSex)),
			Address:  c.Get(registry.FieldPermanentAddress),
			Deceased: c.Deceased(),
		})
	}
	if len(p.Results) == 0 {
		p.SearchNone = l.T("search.none", strings.TrimSpace(p.SearchName), dob.Display())
	}
	return http.StatusOK
}
