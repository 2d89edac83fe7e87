package webui

import (
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/xanode/xanode/webui/shell"
)

type loginPage struct {
	base
	LoginCSRF string
	User      string // kept after a refused login; the password never is
	Next      string
	Error     string
	Retry     *retryView // a refusal for a while: when to try again, whom to call
}

// retryView is the countdown of a refused login: Seconds for the page
// script, which counts down live (static/app.js), Clock the same as
// m:ss for a browser without it. Help is whom to call; "" shows none.
type retryView struct {
	Seconds int
	Clock   string
	Help    string
}

// loginForm shows the login page. The form's CSRF token lives in its own
// cookie (there is no session yet), which stops another site from logging
// a browser in under a foreign account.
func (s *Server) loginForm(w http.ResponseWriter, r *http.Request) {
	if _, _, ok := s.session(r); ok {
		http.Redirect(w, r, nextPath(r.URL.Query().Get("next")), http.StatusSeeOther)
		return
	}
	s.showLogin(w, r, http.StatusOK, loginPage{Next: r.URL.Query().Get("next")})
}

func (s *Server) showLogin(w http.ResponseWriter, r *http.Request, status int, p loginPage) {
	token := randomToken()
	s.setCookie(w, cookieLogin, token, 0)
	p.base = s.base(r, nil, "login.title", "/login")
	p.LoginCSRF = token
	p.Next = nextPath(p.Next)
	s.renderPage(w, r, status, "login", p)
}

// busyRetry is what a login refused for want of a KDF turn is told to
// wait: about what the two slots need to clear a queue.
const busyRetry = 3 * time.Second

// login checks the form's token, then counts the try against the user's
// and the address's limits, and only then has the password checked: a
// try that would exceed a limit costs no KDF run, and parallel tries
// cannot all slip in before the first failure is counted.
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
	again := loginPage{User: user, Next: r.PostForm.Get("next")}
	if user == "" || password == "" {
		again.Error = l.T("login.empty")
		s.showLogin(w, r, http.StatusUnprocessableEntity, again)
		return
	}
	ip := remoteIP(r)
	if !s.underWay.enter(ip) {
		s.log.Warn("login refused: this address has logins under way already", "user", user, "remote", ip)
		s.refuseLogin(w, r, http.StatusServiceUnavailable, again, "login.busy", busyRetry, false)
		return
	}
	defer s.underWay.leave(ip)
	now := s.cfg.Now()
	userKey, ipKey := "user:"+strings.ToLower(user), "ip:"+ip
	if wait := s.ipLimit.reserve(ipKey, now); wait > 0 {
		s.log.Warn("login rate limited: too many refused logins from this address", "user", user, "remote", ip)
		s.refuseLogin(w, r, http.StatusTooManyRequests, again, "login.limited.address", wait, true)
		return
	}
	if wait := s.userLimit.reserve(userKey, now); wait > 0 {
		s.ipLimit.release(ipKey, now)
		s.log.Warn("login rate limited: too many refused logins for this user", "user", user, "remote", ip)
		s.refuseLogin(w, r, http.StatusTooManyRequests, again, "login.limited.user", wait, true)
		return
	}
	off, err := s.cfg.Officers.Authenticate(r.Context(), user, password)
	if err == nil && (off.User == "" || off.Role != RoleOfficer && off.Role != RoleSupervisor) {
		// Fail closed: an account the UI cannot place gets no session.
		s.log.Error("login refused: account without a user name or with an unknown role", "user", user, "role", off.Role)
		err = ErrBadLogin
	}
	switch {
	case errors.Is(err, ErrBadLogin):
		// Both reservations stay: they are the failure.
		s.log.Warn("login refused", "user", user, "remote", ip)
		again.Error = l.T("login.bad")
		s.showLogin(w, r, http.StatusUnauthorized, again)
		return
	case errors.Is(err, ErrBusy):
		// Not the user's failure; the address's try stays counted, so that
		// a flood from one address uses up its own allowance.
		s.userLimit.release(userKey, now)
		s.log.Warn("login refused: password checks busy", "user", user, "remote", ip)
		s.refuseLogin(w, r, http.StatusServiceUnavailable, again, "login.busy", busyRetry, false)
		return
	case err != nil:
		s.userLimit.release(userKey, now)
		s.ipLimit.release(ipKey, now)
		if r.Context().Err() != nil {
			return // the browser went away
		}
		s.log.Error("officer accounts unavailable", "err", err)
		again.Error = l.T("login.unavailable")
		s.showLogin(w, r, http.StatusServiceUnavailable, again)
		return
	}
	s.ipLimit.release(ipKey, now)
	s.userLimit.release(userKey, now)
	token, _, err := s.sessions.create(off)
	if err != nil {
		// The account changed between the password check and now, or
		// cannot be read: no session, nothing counted against the user.
		s.log.Error("login refused: the account could not be confirmed", "user", off.User, "err", err)
		again.Error = l.T("login.unavailable")
		s.showLogin(w, r, http.StatusServiceUnavailable, again)
		return
	}
	s.userLimit.reset(userKey)
	s.setCookie(w, cookieSession, token, 0)
	s.setCookie(w, cookieLogin, "", -1)
	s.log.Info("officer logged in", "user", off.User, "role", off.Role, "remote", ip)
	http.Redirect(w, r, nextPath(again.Next), http.StatusSeeOther)
}

// refuseLogin answers a login that was not checked: status with
// Retry-After, the message msgKey and a live countdown of wait; help adds
// whom to call.
func (s *Server) refuseLogin(w http.ResponseWriter, r *http.Request, status int, p loginPage, msgKey string, wait time.Duration, help bool) {
	l := langOf(r)
	secs := max(1, int(math.Ceil(wait.Seconds())))
	w.Header().Set("Retry-After", strconv.Itoa(secs))
	p.Error = l.T(msgKey)
	p.Retry = &retryView{Seconds: secs, Clock: fmt.Sprintf("%d:%02d", secs/60, secs%60)}
	if help {
		p.Retry.Help = s.cfg.HelpContact
		if p.Retry.Help == "" {
			p.Retry.Help = l.T("login.help.default")
		}
	}
	s.showLogin(w, r, status, p)
}

func (s *Server) logout(w http.ResponseWriter, r *http.Request, sess session) {
	s.sessions.delete(s.cookie(r, cookieSession))
	s.faces.drop(sessionKey(s.cookie(r, cookieSession)))
	s.visits.forget(sess.csrf)
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
	if shell.LocalPath(u.Path) != u.Path {
		return "/"
	}
	return u.RequestURI()
}
