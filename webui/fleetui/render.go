package fleetui

import (
	"embed"
	"fmt"
	"html/template"
	"net/http"
	"time"

	"github.com/xanode/xanode/webui/i18n"
	"github.com/xanode/xanode/webui/shell"
)

//go:embed templates static
var files embed.FS

// pageNames are the templates under templates/, each a full page built on
// layout.html. The dashboard also defines "live", the fragment the
// websocket carries.
var pageNames = []string{"dashboard", "node", "commune", "enroll", "token", "conflicts", "error", "auth", "reports",
	"quality", "qualitycommune", "qualitycitizen"}

// parseViews parses every page in every language (shell.Views), with
// times shown in loc.
func parseViews(loc *time.Location) (*shell.Views, error) {
	v := shell.NewViews(files, func(l i18n.Lang) template.FuncMap {
		return template.FuncMap{"time": func(t time.Time) string { return formatTime(t, loc) }}
	})
	for _, name := range pageNames {
		if err := v.Add(name, "templates/layout.html", "templates/"+name+".html"); err != nil {
			return nil, fmt.Errorf("fleetui: %w", err)
		}
	}
	return v, nil
}

// base is what the layout needs; every page's data embeds it.
type base struct {
	Lang    i18n.Lang
	Title   string
	CSRF    string
	Langs   []shell.LangLink
	CSS, JS string
	Nav     string // the current menu entry: "nodes", "enroll", "conflicts" or "quality"
	Authed  bool   // show the menu
	Quality bool   // the city's data quality can be shown (the Fleet implements Quality)
	Live    bool   // the page opens the websocket
	Flash   string // what the last action did
}

// base builds the layout data. here is where the language links lead: the
// page's own address for a GET, or the given path after a POST.
func (s *Server) base(r *http.Request, sess []byte, title, nav, here string) base {
	l := langOf(r)
	b := base{Lang: l, Title: title, Nav: nav, CSS: s.assets.URL("fleet.css"), JS: s.assets.URL("fleet.js"),
		Langs: shell.LangLinks(r, here, "token")}
	if sess != nil {
		b.Authed, b.CSRF = true, s.csrfToken(sess)
	}
	_, b.Quality = s.quality()
	return b
}

// render writes a page; a template error gives a clean 500 instead of
// half a page.
func (s *Server) render(w http.ResponseWriter, r *http.Request, status int, name string, data any) {
	l := langOf(r)
	if err := s.views.Render(w, l, status, name, "layout", data); err != nil {
		s.log.Error("template failed", "page", name, "err", err)
		http.Error(w, l.T("fleet.error.internal"), http.StatusInternalServerError)
	}
}

type errorPage struct {
	base
	Message, Detail string
}

// renderError shows a page with one sentence saying what happened and what
// to do, and the technical detail below it.
func (s *Server) renderError(w http.ResponseWriter, r *http.Request, sess []byte, status int, msg, detail string) {
	l := langOf(r)
	s.render(w, r, status, "error", errorPage{
		base:    s.base(r, sess, l.T("fleet.error.title"), "", "/"),
		Message: msg, Detail: detail,
	})
}

// cityError explains a failed Fleet call: a sentence naming what to check,
// and the error itself as detail. Never a stack trace: errors are values.
func (s *Server) cityError(l i18n.Lang, err error) (msg, detail string) {
	return l.T(errorKey(err), s.cfg.CityURL), err.Error()
}

// renderCityError is a page for a Fleet call that failed before anything
// could be shown.
func (s *Server) renderCityError(w http.ResponseWriter, r *http.Request, sess []byte, what string, err error) {
	s.log.Warn("city call failed", "call", what, "err", err)
	msg, detail := s.cityError(langOf(r), err)
	status := http.StatusBadGateway
	if errorKey(err) == "fleet.error.notfound" {
		status = http.StatusNotFound
	}
	s.renderError(w, r, sess, status, msg, detail)
}

type authPage struct {
	base
	Message string
}

// unauthorized answers 401 with a page that says how to get in: run the
// command again, which prints a new login link.
func (s *Server) unauthorized(w http.ResponseWriter, r *http.Request, key string) {
	l := langOf(r)
	s.render(w, r, http.StatusUnauthorized, "auth", authPage{
		base:    s.base(r, nil, l.T("fleet.auth.title"), "", "/"),
		Message: l.T(key),
	})
}

// static serves the assets without a session: the 401 page needs them too.
func (s *Server) static(w http.ResponseWriter, r *http.Request) {
	if !s.assets.Serve(w, r, r.PathValue("name")) {
		http.NotFound(w, r)
	}
}
