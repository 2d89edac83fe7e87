package webui

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"path"
	"strconv"

	"github.com/xanode/xanode/webui/i18n"
)

//go:embed templates static
var files embed.FS

// pageNames are the templates under templates/, each a full page built on
// layout.html, with the shared pieces of parts.html. The outbox page also
// defines "live", the fragment its script re-fetches.
var pageNames = []string{"login", "home", "citizen", "change", "outbox", "error", "visitor", "review"}

// views holds every page parsed once per language: "t" is bound to the
// language at parse time, so templates translate anywhere, inside range
// too, without threading the language through.
type views struct {
	pages map[i18n.Lang]map[string]*template.Template
}

func parseViews() (*views, error) {
	v := &views{pages: make(map[i18n.Lang]map[string]*template.Template)}
	for _, l := range i18n.Langs() {
		v.pages[l] = make(map[string]*template.Template)
		funcs := template.FuncMap{"t": l.T}
		for _, name := range pageNames {
			t, err := template.New(name).Funcs(funcs).ParseFS(files,
				"templates/layout.html", "templates/parts.html", "templates/"+name+".html")
			if err != nil {
				return nil, fmt.Errorf("webui: template %s: %w", name, err)
			}
			v.pages[l][name] = t
		}
		// The printed confirmation is a page of its own, without the layout.
		t, err := template.New("print").Funcs(funcs).ParseFS(files, "templates/print.html")
		if err != nil {
			return nil, fmt.Errorf("webui: template print: %w", err)
		}
		v.pages[l]["print"] = t
	}
	return v, nil
}

// base is what the layout needs; every page's data embeds it.
type base struct {
	Lang    i18n.Lang
	Title   string
	Officer *Officer
	CSRF    string
	Langs   []langLink
	CSS, JS string
	Nav     string // the current menu entry: "home" or "outbox"
	Live    string // fragment the page script re-fetches on events; "" none
	Status  *headerStatus
	Lock    string // why the edge is locked (see Locker); "" when it runs
	// Insecure: served over plain HTTP on the office network; every page
	// says so (Config.Insecure).
	Insecure bool
	// Desk is the city link, the offline message and the decision
	// notices (desk.go); nil without a session.
	Desk *deskView
	// StatusJS is the script that ticks ages and refreshes Desk.
	StatusJS string
	// Review counts the findings to review ("" without a Review list;
	// review.go).
	Review string
}

type langLink struct {
	Code, Name, URL string
	Current         bool
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
	b := base{Lang: l, Title: l.T(titleKey), CSS: s.assets.url("app.css"), JS: s.assets.url("app.js"), StatusJS: s.assets.url("status.js"),
		Lock: s.lockMessage(r), Insecure: s.cfg.Insecure}
	q := url.Values{}
	if r.Method == http.MethodGet {
		here, q = r.URL.Path, r.URL.Query()
	}
	for _, o := range i18n.Langs() {
		q.Set("lang", string(o))
		b.Langs = append(b.Langs, langLink{
			Code: string(o), Name: o.Name(), URL: here + "?" + q.Encode(), Current: o == l,
		})
	}
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

// render executes a page into a buffer first, so that a template error
// gives a clean 500 instead of half a page.
func (s *Server) render(w http.ResponseWriter, r *http.Request, status int, name, tmpl string, data any) {
	l := langOf(r)
	var buf bytes.Buffer
	if err := s.views.pages[l][name].ExecuteTemplate(&buf, tmpl, data); err != nil {
		s.log.Error("template failed", "page", name, "err", err)
		http.Error(w, l.T("error.internal"), http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Length", strconv.Itoa(buf.Len()))
	w.WriteHeader(status)
	w.Write(buf.Bytes())
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

// assets are the embedded CSS and JS, addressed with a content hash so that
// browsers may cache them for good and still see every new version.
type assets struct {
	body map[string][]byte
	hash map[string]string
}

var assetTypes = map[string]string{
	".css": "text/css; charset=utf-8",
	".js":  "text/javascript; charset=utf-8",
}

func loadAssets() (*assets, error) {
	a := &assets{body: make(map[string][]byte), hash: make(map[string]string)}
	for _, name := range []string{"app.css", "app.js", "status.js"} {
		b, err := files.ReadFile("static/" + name)
		if err != nil {
			return nil, fmt.Errorf("webui: asset %s: %w", name, err)
		}
		sum := sha256.Sum256(b)
		a.body[name], a.hash[name] = b, hex.EncodeToString(sum[:6])
	}
	return a, nil
}

func (a *assets) url(name string) string { return "/static/" + name + "?v=" + a.hash[name] }

func (s *Server) static(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	b, ok := s.assets.body[name]
	if !ok {
		s.notFound(w, r)
		return
	}
	h := w.Header()
	h.Set("Content-Type", assetTypes[path.Ext(name)])
	h.Set("Content-Length", strconv.Itoa(len(b)))
	if r.URL.Query().Get("v") == s.assets.hash[name] {
		h.Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		h.Set("Cache-Control", "no-cache")
	}
	w.Write(b)
}
