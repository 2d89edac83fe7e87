package shell

import (
	"net/http"
	"net/url"
	"strings"
)

// SecurityHeaders sets what every response of both UIs carries: a CSP that
// allows only this server's own script, style, images, forms and
// websocket (no inline script or style anywhere; charts are inline SVG
// markup, which needs no source), no framing, no sniffing, no referrer
// (addresses may carry an ID, a login link its token), no caching of pages
// (an office PC is shared, pages show tokens; static assets override
// this). secure: served over TLS, so HTTPS only from then on (HSTS) and
// the websocket as wss.
func SecurityHeaders(w http.ResponseWriter, r *http.Request, secure bool) {
	connect := "'self'"
	// Older browsers do not let 'self' cover ws: and wss:; name the host.
	if host := r.Host; validHost(host) {
		if secure {
			connect += " wss://" + host
		} else {
			connect += " ws://" + host
		}
	}
	h := w.Header()
	h.Set("Content-Security-Policy", "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "+
		"connect-src "+connect+"; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Cross-Origin-Opener-Policy", "same-origin")
	h.Set("Cache-Control", "no-store")
	if secure {
		h.Set("Strict-Transport-Security", "max-age=31536000")
	}
}

// validHost accepts what may stand in a CSP source: a host name or
// address with an optional port. Anything else is left out of the header.
func validHost(h string) bool {
	if h == "" || len(h) > 255 {
		return false
	}
	for _, c := range h {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case c == '.', c == '-', c == ':', c == '[', c == ']':
		default:
			return false
		}
	}
	return true
}

// LocalPath returns p if it is a path on this server, else "/": a redirect
// target taken from a request must never lead off the site ("//host").
func LocalPath(p string) string {
	if !strings.HasPrefix(p, "/") || strings.HasPrefix(p, "//") || strings.HasPrefix(p, "/\\") {
		return "/"
	}
	return p
}

// SameOrigin is the websocket's origin check: the page that opens it must
// come from this very host. Browsers always send Origin on websockets, so
// a missing one is refused too.
func SameOrigin(r *http.Request) bool {
	o := r.Header.Get("Origin")
	if o == "" {
		return false
	}
	u, err := url.Parse(o)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") {
		return false
	}
	return strings.EqualFold(u.Host, r.Host)
}
