package fleetui

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
	"time"

	"github.com/xanode/xanode/webui/i18n"
)

//go:embed templates static
var files embed.FS

// pageNames are the templates under templates/, each a full page built on
// layout.html. The dashboard also defines "live", the fragment the
// websocket carries.
var pageNames = []string{"dashboard", "node", "commune", "enroll", "token", "conflicts", "error", "auth",
	"quality", "qualitycommune", "qualitycitizen"}

// views holds every page parsed once per language, with "t" bound to the
// language so that templates translate anywhere.
type views struct {
	pages map[i18n.Lang]map[string]*template.Template
}

func parseViews(loc *time.Location) (*views, error) {
	v := &views{pages: make(map[i18n.Lang]map[string]*template.Template)}
	for _, l := range i18n.Langs() {
		v.pages[l] = make(map[string]*template.Template)
		funcs := template.FuncMap{
			"t":    l.T,
			"time": func(t time.Time) string { return formatTime(t, loc) },
		}
		for _, name := range pageNames {
			t, err := template.New(name).Funcs(funcs).ParseFS(files, "templates/layout.html", "templates/"+name+".html")
			if err != nil {
				return nil, fmt.Errorf("fleetui: template %s: %w", name, err)
			}
			v.pages[l][name] = t
		}
	}
	return v, nil
}

// base is what the layout needs; every page's data embeds it.
type base struct {
	Lang    i18n.Lang
	Title   string
	CSRF    string
	Langs   []langLink
	CSS, JS string
	Nav     string // the current menu entry: "nodes", "enroll", "conflicts" or "quality"
	Authed  bool   // show the menu
	Quality bool   // the city's data quality can be shown (the Fleet implements Quality)
	Live    bool   // the page opens the websocket
	Flash   string // what the last action did
}

type langLink struct {
	Code, Name, URL string
	Current         bool
}

// base builds the layout data. here is where the language links lead: the
// page's own address for a GET, or the given path after a POST.
func (s *Server) base(r *http.Request, sess []byte, title, nav, here string) base {
	l := langOf(r)
	b := base{Lang: l, Title: title, Nav: nav, CSS: s.assets.url("fleet.css"), JS: s.assets.url("fleet.js")}
	q := url.Values{}
	if r.Method == http.MethodGet {
		here, q = r.URL.Path, r.URL.Query()
		q.Del("token")
	}
	for _, o := range i18n.Langs() {
		q.Set("lang", string(o))
		b.Langs = append(b.Langs, langLink{Code: string(o), Name: o.Name(), URL: here + "?" + q.Encode(), Current: o == l})
	}
	if sess != nil {
		b.Authed, b.CSRF = true, s.csrfToken(sess)
	}
	_, b.Quality = s.quality()
	return b
}

// render executes a template into a buffer first, so that a template error
// gives a clean 500 instead of half a page.
func (s *Server) render(w http.ResponseWriter, r *http.Request, status int, name string, data any) {
	l := langOf(r)
	var buf bytes.Buffer
	if err := s.views.pages[l][name].ExecuteTemplate(&buf, "layout", data); err != nil {
		s.log.Error("template failed", "page", name, "err", err)
		http.Error(w, l.T("fleet.error.internal"), http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Length", strconv.Itoa(buf.Len()))
	w.WriteHeader(status)
	w.Write(buf.Bytes())
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
	for _, name := range []string{"fleet.css", "fleet.js"} {
		b, err := files.ReadFile("static/" + name)
		if err != nil {
			return nil, fmt.Errorf("fleetui: asset %s: %w", name, err)
		}
		sum := sha256.Sum256(b)
		a.body[name], a.hash[name] = b, hex.EncodeToString(sum[:6])
	}
	return a, nil
}

func (a *assets) url(name string) string { return "/static/" + name + "?v=" + a.hash[name] }

// static serves the assets without a session: the 401 page needs them too.
func (s *Server) static(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	b, ok := s.assets.body[name]
	if !ok {
		http.NotFound(w, r)
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
