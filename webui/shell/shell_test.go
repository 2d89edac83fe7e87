package shell

import (
	"html/template"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/xanode/xanode/webui/i18n"
)

func TestSecurityHeaders(t *testing.T) {
	for _, tc := range []struct {
		name, host string
		secure     bool
		connect    string
		hsts       string
	}{
		{"plain", "127.0.0.1:8080", false, "connect-src 'self' ws://127.0.0.1:8080;", ""},
		{"tls", "edge.xa-an-cu.local:8443", true, "connect-src 'self' wss://edge.xa-an-cu.local:8443;", "max-age=31536000"},
		{"ipv6", "[fe80::1]:443", true, "connect-src 'self' wss://[fe80::1]:443;", "max-age=31536000"},
		{"injected host left out", "evil.example; script-src *", false, "connect-src 'self';", ""},
		{"quote left out", "a'b", false, "connect-src 'self';", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodGet, "/", nil)
			r.Host = tc.host
			w := httptest.NewRecorder()
			SecurityHeaders(w, r, tc.secure)
			h := w.Header()
			csp := h.Get("Content-Security-Policy")
			for _, want := range []string{"default-src 'none';", "script-src 'self';", "style-src 'self';", "img-src 'self';",
				tc.connect, "form-action 'self';", "frame-ancestors 'none';", "base-uri 'none';", "object-src 'none'"} {
				if !strings.Contains(csp, want) {
					t.Errorf("CSP %q lacks %q", csp, want)
				}
			}
			if strings.Contains(csp, "unsafe") || strings.Contains(csp, "*") {
				t.Errorf("CSP allows too much: %q", csp)
			}
			if got := h.Get("Strict-Transport-Security"); got != tc.hsts {
				t.Errorf("HSTS %q, want %q", got, tc.hsts)
			}
			for k, want := range map[string]string{"X-Content-Type-Options": "nosniff", "X-Frame-Options": "DENY",
				"Referrer-Policy": "no-referrer", "Cache-Control": "no-store", "Cross-Origin-Opener-Policy": "same-origin"} {
				if got := h.Get(k); got != want {
					t.Errorf("%s: %q, want %q", k, got, want)
				}
			}
		})
	}
}

func TestLocalPath(t *testing.T) {
	for in, want := range map[string]string{
		"/outbox?x=1": "/outbox?x=1", "/": "/", "": "/", "//evil.example/": "/", "/\\evil.example": "/",
		"https://evil.example/": "/", "outbox": "/",
	} {
		if got := LocalPath(in); got != want {
			t.Errorf("LocalPath(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestSameOrigin(t *testing.T) {
	for _, tc := range []struct {
		origin string
		want   bool
	}{
		{"http://127.0.0.1:8080", true}, {"https://127.0.0.1:8080", true}, {"HTTP://127.0.0.1:8080", true},
		{"", false}, {"http://127.0.0.1:9090", false}, {"http://evil.example", false}, {"file://127.0.0.1:8080", false},
		{"null", false}, {"http://127.0.0.1:8080.evil.example", false},
	} {
		r := httptest.NewRequest(http.MethodGet, "/ws", nil)
		r.Host = "127.0.0.1:8080"
		if tc.origin != "" {
			r.Header.Set("Origin", tc.origin)
		}
		if got := SameOrigin(r); got != tc.want {
			t.Errorf("SameOrigin(%q) = %v, want %v", tc.origin, got, tc.want)
		}
	}
}

func TestCookies(t *testing.T) {
	for _, secure := range []bool{false, true} {
		c := Cookies{Secure: secure}
		w := httptest.NewRecorder()
		c.Set(w, "xanode_session", "abc", 0)
		got := w.Result().Cookies()
		if len(got) != 1 {
			t.Fatalf("cookies %v", got)
		}
		k := got[0]
		wantName := map[bool]string{false: "xanode_session", true: "__Host-xanode_session"}[secure]
		if k.Name != wantName || k.Value != "abc" || k.Path != "/" || !k.HttpOnly || k.Secure != secure || k.SameSite != http.SameSiteStrictMode {
			t.Errorf("secure=%v: cookie %+v", secure, k)
		}
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		r.AddCookie(k)
		if v := c.Get(r, "xanode_session"); v != "abc" {
			t.Errorf("secure=%v: read back %q", secure, v)
		}
		if v := (Cookies{Secure: !secure}).Get(r, "xanode_session"); v != "" {
			t.Errorf("secure=%v: the other scheme's cookie read as %q", secure, v)
		}
	}
}

func TestLanguage(t *testing.T) {
	c := Cookies{}
	// ?lang= remembers the choice and comes back without it.
	w := httptest.NewRecorder()
	_, handled := c.Language(w, httptest.NewRequest(http.MethodGet, "/citizen/1?lang=en&q=x", nil), "ui_lang", i18n.Vietnamese)
	if !handled || w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/citizen/1?q=x" {
		t.Fatalf("switch: handled %v, %d to %q", handled, w.Code, w.Header().Get("Location"))
	}
	cookies := w.Result().Cookies()
	if len(cookies) != 1 || cookies[0].Name != "ui_lang" || cookies[0].Value != "en" {
		t.Fatalf("switch cookie %v", cookies)
	}
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	r.AddCookie(cookies[0])
	r, handled = c.Language(httptest.NewRecorder(), r, "ui_lang", i18n.Vietnamese)
	if handled || LangOf(r) != i18n.English {
		t.Errorf("with the cookie: handled %v, %s", handled, LangOf(r))
	}
	// Unknown languages and POSTs change nothing; no cookie gives the default.
	for _, req := range []*http.Request{httptest.NewRequest(http.MethodGet, "/?lang=xx", nil),
		httptest.NewRequest(http.MethodPost, "/?lang=en", nil)} {
		r, handled := c.Language(httptest.NewRecorder(), req, "ui_lang", i18n.Vietnamese)
		if handled || LangOf(r) != i18n.Vietnamese {
			t.Errorf("%s %s: handled %v, %s", req.Method, req.URL, handled, LangOf(r))
		}
	}
	// A redirect never leaves the site.
	w = httptest.NewRecorder()
	c.Language(w, httptest.NewRequest(http.MethodGet, "//evil.example/?lang=en", nil), "ui_lang", i18n.Vietnamese)
	if loc := w.Header().Get("Location"); loc != "/" {
		t.Errorf("redirect to %q", loc)
	}
}

func TestLangLinks(t *testing.T) {
	r, _ := Cookies{}.Language(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/reports?month=2026-11&token=secret", nil), "l", i18n.Vietnamese)
	links := LangLinks(r, "/", "token")
	if len(links) != len(i18n.Langs()) {
		t.Fatalf("links %+v", links)
	}
	for _, l := range links {
		if !strings.HasPrefix(l.URL, "/reports?") || !strings.Contains(l.URL, "month=2026-11") || strings.Contains(l.URL, "secret") ||
			!strings.Contains(l.URL, "lang="+l.Code) || l.Current != (l.Code == string(i18n.Vietnamese)) {
			t.Errorf("link %+v", l)
		}
	}
	post, _ := Cookies{}.Language(httptest.NewRecorder(), httptest.NewRequest(http.MethodPost, "/tap?x=1", nil), "l", i18n.Vietnamese)
	for _, l := range LangLinks(post, "/outbox") {
		if l.URL != "/outbox?lang="+l.Code {
			t.Errorf("after a POST: %q", l.URL)
		}
	}
}

func TestAssets(t *testing.T) {
	fsys := fstest.MapFS{"static/a.css": {Data: []byte("body{}")}, "static/a.js": {Data: []byte("1")}, "static/a.png": {Data: []byte("x")}}
	if _, err := LoadAssets(fsys, "static", "a.png"); err == nil {
		t.Error("an image was taken as an asset")
	}
	if _, err := LoadAssets(fsys, "static", "b.css"); err == nil {
		t.Error("a missing asset was loaded")
	}
	a, err := LoadAssets(fsys, "static", "a.css", "a.js")
	if err != nil {
		t.Fatal(err)
	}
	u := a.URL("a.css")
	for _, tc := range []struct {
		url, cache, ctype string
	}{
		{u, "public, max-age=31536000, immutable", "text/css; charset=utf-8"},
		{"/static/a.css?v=old", "no-cache", "text/css; charset=utf-8"},
		{a.URL("a.js"), "public, max-age=31536000, immutable", "text/javascript; charset=utf-8"},
	} {
		w := httptest.NewRecorder()
		r := httptest.NewRequest(http.MethodGet, tc.url, nil)
		name := strings.TrimPrefix(r.URL.Path, "/static/")
		if !a.Serve(w, r, name) {
			t.Fatalf("%s not served", tc.url)
		}
		if w.Header().Get("Cache-Control") != tc.cache || w.Header().Get("Content-Type") != tc.ctype || w.Body.Len() != a.Size(name) {
			t.Errorf("%s: %v", tc.url, w.Header())
		}
	}
	if w := httptest.NewRecorder(); a.Serve(w, httptest.NewRequest(http.MethodGet, "/static/x.js", nil), "x.js") || w.Body.Len() != 0 {
		t.Error("an unknown asset was served")
	}
	b, _ := LoadAssets(fstest.MapFS{"static/a.css": {Data: []byte("body{color:red}")}}, "static", "a.css")
	if b.URL("a.css") == u {
		t.Error("a changed asset kept its address")
	}
}

func TestViews(t *testing.T) {
	fsys := fstest.MapFS{
		"layout.html": {Data: []byte(`{{define "layout"}}<html lang="{{t "lang"}}">{{template "body" .}}</html>{{end}}`)},
		"page.html":   {Data: []byte(`{{define "body"}}<p>{{.Text}} {{up .Text}}</p>{{end}}`)},
		"broken.html": {Data: []byte(`{{define "body"}}<p>{{.Missing.Field}}</p>{{end}}`)},
	}
	v := NewViews(fsys, func(l i18n.Lang) template.FuncMap {
		return template.FuncMap{"up": strings.ToUpper}
	})
	for _, name := range []string{"page", "broken"} {
		if err := v.Add(name, "layout.html", name+".html"); err != nil {
			t.Fatal(err)
		}
	}
	if err := v.Add("nothing", "absent.html"); err == nil {
		t.Error("a page without its file was added")
	}
	w := httptest.NewRecorder()
	if err := v.Render(w, i18n.English, http.StatusTeapot, "page", "layout", struct{ Text string }{"<b>"}); err != nil {
		t.Fatal(err)
	}
	if w.Code != http.StatusTeapot || w.Body.String() != `<html lang="`+i18n.English.T("lang")+`"><p>&lt;b&gt; &lt;B&gt;</p></html>` ||
		w.Header().Get("Content-Type") != "text/html; charset=utf-8" {
		t.Errorf("rendered %d %q %v", w.Code, w.Body.String(), w.Header())
	}
	// A template error writes nothing: the caller answers 500 cleanly.
	w = httptest.NewRecorder()
	if err := v.Render(w, i18n.English, http.StatusOK, "broken", "layout", struct{}{}); err == nil || w.Body.Len() != 0 || len(w.Header()) != 0 {
		t.Errorf("a broken page: err %v, wrote %q %v", err, w.Body.String(), w.Header())
	}
	if _, err := v.Execute(i18n.English, "absent", "layout", nil); err == nil {
		t.Error("an unknown page rendered")
	}
	if b, err := v.Execute(i18n.Vietnamese, "page", "body", struct{ Text string }{"x"}); err != nil || string(b) != "<p>x X</p>" {
		t.Errorf("a fragment: %q, %v", b, err)
	}

}

func TestDownload(t *testing.T) {
	for name, want := range map[string]string{
		"bao-cao-92101-2026-11.csv": `attachment; filename=bao-cao-92101-2026-11.csv`,
		`a "b".xlsx`:                `attachment; filename="a \"b\".xlsx"`,
		"báo cáo.csv":               `attachment; filename*=utf-8''b%C3%A1o%20c%C3%A1o.csv`,
	} {
		w := httptest.NewRecorder()
		Download(w, "text/csv; charset=utf-8", name, []byte("a,b\n"))
		if got := w.Header().Get("Content-Disposition"); got != want {
			t.Errorf("%q: Content-Disposition %q, want %q", name, got, want)
		}
		if w.Header().Get("Content-Length") != "4" || w.Header().Get("Content-Type") != "text/csv; charset=utf-8" || w.Body.String() != "a,b\n" {
			t.Errorf("%q: %v %q", name, w.Header(), w.Body.String())
		}
	}
}
