package shell

import (
	"bytes"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"strconv"

	"github.com/xanode/xanode/webui/i18n"
)

// Views holds a UI's pages, each parsed once per language with "t" bound
// to the language at parse time, so that templates translate anywhere
// (inside range too) without threading the language through.
type Views struct {
	fsys  fs.FS
	funcs func(i18n.Lang) template.FuncMap
	pages map[i18n.Lang]map[string]*template.Template
}

// NewViews prepares views over fsys; funcs gives each language's template
// functions ("t" is added when it lacks one).
func NewViews(fsys fs.FS, funcs func(i18n.Lang) template.FuncMap) *Views {
	v := &Views{fsys: fsys, funcs: funcs, pages: make(map[i18n.Lang]map[string]*template.Template)}
	for _, l := range i18n.Langs() {
		v.pages[l] = make(map[string]*template.Template)
	}
	return v
}

// Add parses the page name from files (paths in the views' file system;
// the shared layout first, the page's own file last), in every language.
func (v *Views) Add(name string, files ...string) error {
	for _, l := range i18n.Langs() {
		funcs := template.FuncMap{}
		if v.funcs != nil {
			funcs = v.funcs(l)
		}
		if funcs["t"] == nil {
			funcs["t"] = l.T
		}
		t, err := template.New(name).Funcs(funcs).ParseFS(v.fsys, files...)
		if err != nil {
			return fmt.Errorf("template %s: %w", name, err)
		}
		v.pages[l][name] = t
	}
	return nil
}

// Execute runs the template tmpl of page name in language l into a
// buffer: a fragment a live page fetches, or a whole page.
func (v *Views) Execute(l i18n.Lang, name, tmpl string, data any) ([]byte, error) {
	t := v.pages[l][name]
	if t == nil {
		return nil, fmt.Errorf("no page %q", name)
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, tmpl, data); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// Render writes template tmpl of page name as the HTML response. It
// renders into a buffer first, so that a template error writes nothing
// and is returned: the caller answers with a clean 500, never half a page.
func (v *Views) Render(w http.ResponseWriter, l i18n.Lang, status int, name, tmpl string, data any) error {
	b, err := v.Execute(l, name, tmpl, data)
	if err != nil {
		return err
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	w.Write(b)
	return nil
}
