package shell

import (
	"context"
	"net/http"
	"net/url"

	"github.com/xanode/xanode/webui/i18n"
)

// Cookies writes and reads the UIs' cookies: strict, HttpOnly, for the
// whole site. Secure: the UI is served over TLS, so the cookies are Secure
// and carry the __Host- prefix (bound to this host, never a parent
// domain); the zero value suits plain HTTP on loopback.
type Cookies struct {
	Secure bool
}

// Name is the cookie name for base.
func (c Cookies) Name(base string) string {
	if c.Secure {
		return "__Host-" + base
	}
	return base
}

// Set writes a cookie; maxAge 0 lasts until the browser closes (what a
// shared office PC wants), negative deletes it.
func (c Cookies) Set(w http.ResponseWriter, base, value string, maxAge int) {
	http.SetCookie(w, &http.Cookie{
		Name:     c.Name(base),
		Value:    value,
		Path:     "/",
		MaxAge:   maxAge,
		HttpOnly: true,
		Secure:   c.Secure,
		SameSite: http.SameSiteStrictMode,
	})
}

// Get reads a cookie's value, "" when there is none.
func (c Cookies) Get(r *http.Request, base string) string {
	v, err := r.Cookie(c.Name(base))
	if err != nil {
		return ""
	}
	return v.Value
}

type langKey struct{}

// Language settles the request's language: a GET with ?lang= remembers
// the choice in the cookie named cookie (each UI its own: cookies are
// shared by every port of a host) and is redirected to the same address without
// it, so that the address bar and history stay clean (then handled is
// true and the response is written); otherwise the cookie's language, or
// def, is put in the returned request's context for LangOf.
func (c Cookies) Language(w http.ResponseWriter, r *http.Request, cookie string, def i18n.Lang) (_ *http.Request, handled bool) {
	if code := r.URL.Query().Get("lang"); code != "" && r.Method == http.MethodGet {
		if l, ok := i18n.Parse(code); ok {
			c.Set(w, cookie, string(l), 365*24*60*60)
			q := r.URL.Query()
			q.Del("lang")
			target := LocalPath(r.URL.Path)
			if len(q) > 0 {
				target += "?" + q.Encode()
			}
			http.Redirect(w, r, target, http.StatusSeeOther)
			return r, true
		}
	}
	lang := def
	if l, ok := i18n.Parse(c.Get(r, cookie)); ok {
		lang = l
	}
	return r.WithContext(context.WithValue(r.Context(), langKey{}, lang)), false
}

// LangOf is the request's UI language, as Language settled it.
func LangOf(r *http.Request) i18n.Lang {
	if l, ok := r.Context().Value(langKey{}).(i18n.Lang); ok {
		return l
	}
	return i18n.Default
}

// LangLink is one entry of a page's language switch.
type LangLink struct {
	Code, Name, URL string
	Current         bool
}

// LangLinks are the language switch of a page. here is where the links
// lead: the page's own address for a GET (its query kept, less the drop
// parameters, e.g. a one-time token), or the given path after a POST,
// which a link cannot repeat.
func LangLinks(r *http.Request, here string, drop ...string) []LangLink {
	l := LangOf(r)
	q := url.Values{}
	if r.Method == http.MethodGet {
		here, q = r.URL.Path, r.URL.Query()
		for _, d := range drop {
			q.Del(d)
		}
	}
	var links []LangLink
	for _, o := range i18n.Langs() {
		q.Set("lang", string(o))
		links = append(links, LangLink{Code: string(o), Name: o.Name(), URL: here + "?" + q.Encode(), Current: o == l})
	}
	return links
}
