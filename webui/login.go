package webui

import (
	"errors"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

type loginPage struct {
	base
	LoginCSRF string
	User      string // kept after a refused login; the password never is
	Next      string
	Error     string
}

// loginForm shows the login page. The form's CSRF token lives in its own
// cookie (there is no session yet), which stops another site from logging
// a browser in under a foreign account.
func (s *Server) loginForm(w http.ResponseWriter, r *http.Request) {
	if _, _, ok := s.session(r); ok {
		http.Redirect(w, r, nextPath(r.URL.Query().Get("next")), http.StatusSeeOther)
		return
	}
	s.showLogin(w, r, http.StatusOK, "", "", r.URL.Query().Get("next"))
}

func (s *Server) showLogin(w http.ResponseWriter, r *http.Request, status int, user, errMsg, next string) {
	token := randomToken()
	s.setCookie(w, cookieLogin, token, 0)
	s.renderPage(w, r, status, "login", loginPage{
		base:      s.base(r, nil, "login.title", "/login"),
		LoginCSRF: token,
		User:      user,
		Next:      nextPath(next),
		Error:     errMsg,
	})
}

// login checks the form's token, the rate limit and then the password.
func (s *Server) login(w http.ResponseWriter, r *http.Request) {
	l := langOf(r)
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		s.renderError(w, r, nil, http.StatusBadRequest, "error.form")
		return
	}
	if !tokensEqual(r.PostForm.Get("csrf"), s.cookie(r, cookieLogin)) {
		s.log.Warn("login refused: missing or wrong CSRF token", "remote", remoteIP(r))
		s.renderError(w, r, nil, http.StatusForbidden, "error.csrf")
		return
	}
	user := strings.TrimSpace(r.PostForm.Get("user"))
	password := r.PostForm.Get("password")
	next := r.PostForm.Get("next")
	now := s.cfg.Now()
	ip := remoteIP(r)
	userKey := "user:" + strings.ToLower(user) + "|" + ip
	ipKey := "ip:" + ip
	wait := max(s.userLimit.wait(userKey, now), s.ipLimit.wait(ipKey, now))
	if wait > 0 {
		secs := int(math.Ceil(wait.Seconds()))
		w.Header().Set("Retry-After", strconv.Itoa(secs))
		s.log.Warn("login rate limited", "user", user, "remote", ip)
		s.showLogin(w, r, http.StatusTooManyRequests, user, l.T("login.limited", secs), next)
		return
	}
	if user == "" || password == "" {
		s.showLogin(w, r, http.StatusUnprocessableEntity, user, l.T("login.empty"), next)
		return
	}
	off, err := s.cfg.Officers.Authenticate(user, password)
	if err == nil && (off.User == "" || off.Role != RoleOfficer && off.Role != RoleSupervisor) {
		// Fail closed: an account the UI cannot place gets no session.
		s.log.Error("login refused: account without a user name or with an unknown role", "user", user, "role", off.Role)
		err = ErrBadLogin
	}
	switch {
	case errors.Is(err, ErrBadLogin):
		s.userLimit.fail(userKey, now)
		s.ipLimit.fail(ipKey, now)
		s.log.Warn("login refused", "user", user, "remote", ip)
		s.showLogin(w, r, http.StatusUnauthorized, user, l.T("login.bad"), next)
		return
	case err != nil:
		s.log.Error("officer accounts unavailable", "err", err)
		s.showLogin(w, r, http.StatusServiceUnavailable, user, l.T("login.unavailable"), next)
		return
	}
	token, _, err := s.sessions.create(off)
	if err != nil {
		// The account changed between the password check and now, or
		// cannot be read: no session, nothing counted against the user.
		s.log.Error("login refused: the account could not be confirmed", "user", off.User, "err", err)
		s.showLogin(w, r, http.StatusServiceUnavailable, user, l.T("login.unavailable"), next)
		return
	}
	s.userLimit.reset(userKey)
	s.setCookie(w, cookieSession, token, 0)
	s.setCookie(w, cookieLogin, "", -1)
	s.log.Info("officer logged in", "user", off.User, "role", off.Role, "remote", ip)
	http.Redirect(w, r, nextPath(next), http.StatusSeeOther)
}

func (s *Server) logout(w http.ResponseWriter, r *http.Request, sess session) {
	s.sessions.delete(s.cookie(r, cookieSession))
	s.setCookie(w, cookieSession, "", -1)
	s.log.Info("officer logged out", "user", sess.officer.User, "remote", remoteIP(r))
	http.Redirect(w, r, "/login", http.StatusSeeOther)
}

// nextPath accepts a return address only if it stays on this site.
func nextPath(next string) string {
	u, err := url.Parse(next)
	if next == "" || err != nil || u.Scheme != "" || u.Host != "" {
		return "/"
	}
	if localPath(u.Path) != u.Path {
		return "/"
	}
	return u.RequestURI()
}
