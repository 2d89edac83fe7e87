package webui

import (
	"embed"
	"fmt"
	"net/http"

	"github.com/xanode/xanode/webui/i18n"
	"github.com/xanode/xanode/webui/shell"
)

//go:embed templates static
var files embed.FS

// pageNames are the templates under templates/, each a full page built on
// layout.html, with the shared pieces of parts.html. The outbox page also
// defines "live", the fragment its script re-fetches.
var pageNames = []string{"login", "home", "citizen", "change", "outbox", "error", "visitor", "password", "reports", "review"}

// parseViews parses every page in every language (shell.Views).
func parseViews() (*shell.Views, error) {
	v := shell.NewViews(files, nil)
	for _, name := range pageNames {
		if err := v.Add(name, "templates/layout.html", "templates/parts.html", "templates/"+name+".html"); err != nil {
			return nil, fmt.Errorf("webui: %w", err)
		}
	}
	// The printed confirmation is a page of its own, without the layout.
	if err := v.Add("print", "templates/print.html"); err != nil {
		return nil, fmt.Errorf("webui: %w", err)
	}
	return v, nil
}

// base is what the layout needs; every page's data embeds it.
type base struct {
	Lang    i18n.Lang
	Title   string
	Officer *Officer
	CSRF    string
	Langs   []shell.LangLink
	CSS, JS string
	Nav     string // the current menu entry: "home" or "outbox"
	Live    string // fragment the page script re-fetches on events; "" none
	Status  *headerStatus
	Lock    string // why the edge is locked (see Locker); "" when it runs
	// Insecure: served over plain HTTP on the office network; every page
	// says so (Config.Insecure).
	Insecure bool
	// Password: officers may change their password here (Passwords).
	Password bool
	// Reports: the monthly report is offered (Reports).
	Reports bool
	// Desk is the city link, the offline message and the decision
	// notices (desk.go); nil without a session.
	Desk *deskView
	// StatusJS is the script that ticks ages and refreshes Desk.
	StatusJS string
	// Review counts the findings to review ("" without a Review list;
	// review.go).
	Review string
}

// headerStatus is the sync summary every logged-in page shows, so that an
// officer reading a record knows when the data may be old.
type headerStatus struct {
	Pending string // formatted count
	Stale   bool
	Frozen  bool
	NoData  bool
}

// base builds the layout data. here is where the language links lead: the
// page's own address for a GET (query kept), or the given path after a
// POST, which a link cannot repeat.
func (s *Server) base(r *http.Request, sess *session, titleKey, here string) base {
	l := langOf(r)
	b := base{Lang: l, Title: l.T(titleKey), CSS: s.assets.URL("app.css"), JS: s.assets.URL("app.js"), StatusJS: s.assets.URL("status.js"),
		Lock: s.lockMessage(r), Insecure: s.cfg.Insecure, Langs: shell.LangLinks(r, here)}
	_, b.Password = s.passwords()
	_, b.Reports = s.cfg.Registry.(Reports)
	if sess != nil {
		off := sess.officer
		b.Officer, b.CSRF = &off, sess.csrf
		if st, err := s.cfg.Registry.Status(); err == nil {
			b.Status = &headerStatus{Pending: l.Int(int64(st.Pending)), Stale: st.Stale || st.Frozen,
				Frozen: st.Frozen, NoData: !st.HasSubset}
			back := here
			if r.Method == http.MethodGet {
				back = r.URL.RequestURI()
			}
			b.Desk = s.desk(l, sess, st, back)
			if rv, ok := s.cfg.Registry.(Review); ok {
				if list, err := rv.ReviewList(); err == nil {
					b.Review = l.Int(int64(len(list.Items)))
				}
			}
		} else {
			s.log.Warn("status unavailable", "err", err)
		}
	}
	return b
}

// render writes a page; a template error gives a clean 500 instead of
// half a page.
func (s *Server) render(w http.ResponseWriter, r *http.Request, status int, name, tmpl string, data any) {
	l := langOf(r)
	if err := s.views.Render(w, l, status, name, tmpl, data); err != nil {
		s.log.Error("template failed", "page", name, "err", err)
		http.Error(w, l.T("error.internal"), http.StatusInternalServerError)
	}
}

func (s *Server) renderPage(w http.ResponseWriter, r *http.Request, status int, name string, data any) {
	s.render(w, r, status, name, "layout", data)
}

type errorPage struct {
	base
	Message string
}

// renderError shows a full page with one Vietnamese (or English) sentence
// saying what happened and what to do.
func (s *Server) renderError(w http.ResponseWriter, r *http.Request, sess *session, status int, msgKey string) {
	l := langOf(r)
	s.renderPage(w, r, status, "error", errorPage{
		base:    s.base(r, sess, "error.title", "/"),
		Message: l.T(msgKey),
	})
}

func (s *Server) static(w http.ResponseWriter, r *http.Request) {
	if !s.assets.Serve(w, r, r.PathValue("name")) {
		s.notFound(w, r)
	}
}
