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
	Match, MatchClass                  string // how the name matched, in words; its class
	OtherName                          string // the other name that matched; "" when the full name did
}

var matchKeys = map[string]string{
	MatchExact: "search.match.exact", MatchWords: "search.match.words", MatchPrefix: "search.match.prefix",
}

// search finds citizens by parts of their name, typed with or without
// diacritics, and optionally the date of birth (DESIGN.md, "Web UI"). A personal ID typed into the name box
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
	page.Focus = ""
	status := s.runSearch(l, &page, &sess)
	switch {
	case page.Focus != "":
	case page.NameInvalid || page.SearchError != "" || page.SearchNone != "":
		page.Focus = "name"
	case page.BirthError != "":
		page.Focus = "birth"
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
	switch name := registry.FoldName(p.SearchName); {
	case name == "":
		p.SearchError, p.NameInvalid = l.T("search.name.empty"), true
	case len(name) > registry.MaxValueLen:
		p.SearchError, p.NameInvalid = l.T("form.long", registry.MaxValueLen), true
	}
	var birth, key string
	var args []any
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
	res, err := s.cfg.Registry.Search(sess.officer.User, SearchQuery{Name: p.SearchName, Birth: dob, Limit: n})
	switch {
	case errors.Is(err, ErrFrozen):
		p.SearchError = s.frozenMessage(l)
		return http.StatusConflict
	case errors.Is(err, ErrShortName):
		p.SearchError, p.NameInvalid = l.T("search.short"), true
		return http.StatusBadRequest
	case err != nil:
		s.log.Error("search failed", "user", sess.officer.User, "err", err)
		p.SearchError = l.T("search.failed")
		return http.StatusInternalServerError
	}
	typed := strings.TrimSpace(p.SearchName)
	for _, f := range res.Found {
		c := f.Citizen
		if c == nil {
			continue
		}
		v := resultView{
			Name: c.Get(registry.FieldFullName), ID: c.ID, URL: "/citizen/" + url.PathEscape(c.ID),
			Birth:    c.BirthDate().Display(),
			Sex:      displayValue(l, registry.FieldSex.String(), c.Get(registry.FieldSex)),
			Address:  c.Get(registry.FieldPermanentAddress),
			Deceased: c.Deceased(),
			Match:    l.T(matchKeys[f.Match]), MatchClass: f.Match,
		}
		if f.OtherName {
			v.OtherName = c.Get(registry.FieldOtherName)
		}
		p.Results = append(p.Results, v)
	}
	switch {
	case res.Total > len(p.Results) && dob.Year == 0 && len(p.Results) == 0:
		p.SearchNone, p.Focus = l.T("search.many", l.Int(int64(res.Total)), typed), "birth"
	case res.Total > len(p.Results) && dob.Year == 0:
		p.More = l.T("search.best", len(p.Results), l.Int(int64(res.Total)))
	case res.Total > len(p.Results):
		p.More = l.T("search.more", len(p.Results), l.Int(int64(res.Total)))
	case len(p.Results) == 0 && dob.Year == 0:
		p.SearchNone = l.T("search.none.name", typed)
	case len(p.Results) == 0:
		p.SearchNone = l.T("search.none", typed, dob.Display())
	}
	return http.StatusOK
}
