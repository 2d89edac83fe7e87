package webui

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"
)

// Passwords is implemented by Officers that let an officer change their
// own password (DESIGN.md, "Web UI": a city account's new password is the
// box's, bound to the city's hash it replaces).
//
// ChangePassword checks user's current password and sets next, through
// the same KDF gate as logins: an error wrapping ErrBadLogin for a wrong
// current password, ErrWeakPassword for a new one the account may not
// take, ErrBusy when no turn came. Every session of the account ends with
// it, this one included.
type Passwords interface {
	ChangePassword(ctx context.Context, user, current, next string) error
}

// MinPasswordLen is the shortest new password, in characters (the edge's
// rule; the UI says it before asking).
const MinPasswordLen = 10

type passwordPage struct {
	base
	Error, Done string
	Focus       string // the box that takes the focus
}

func (s *Server) passwords() (Passwords, bool) {
	p, ok := s.cfg.Officers.(Passwords)
	return p, ok
}

func (s *Server) passwordForm(w http.ResponseWriter, r *http.Request, sess session) {
	if _, ok := s.passwords(); !ok {
		s.renderError(w, r, &sess, http.StatusNotFound, "error.notfound")
		return
	}
	s.renderPage(w, r, http.StatusOK, "password", s.passwordPage(r, &sess))
}

func (s *Server) passwordPage(r *http.Request, sess *session) passwordPage {
	p := passwordPage{base: s.base(r, sess, "password.title", "/password"), Focus: "current"}
	p.Nav = "password"
	return p
}

// changePassword checks the form and changes the password. A wrong
// current password counts against the account like a refused login (so a
// session left open is no way to guess the password), and the limit
// refuses the try before any check.
func (s *Server) changePassword(w http.ResponseWriter, r *http.Request, sess session) {
	l := langOf(r)
	pw, ok := s.passwords()
	if !ok {
		s.renderError(w, r, &sess, http.StatusNotFound, "error.notfound")
		return
	}
	p := s.passwordPage(r, &sess)
	current, next, again := r.PostForm.Get("current"), r.PostForm.Get("new"), r.PostForm.Get("repeat")
	switch {
	case current == "":
		p.Error = l.T("password.current.empty")
	case utf8.RuneCountInString(next) < MinPasswordLen:
		p.Error, p.Focus = l.T("password.short", MinPasswordLen), "new"
	case next != again:
		p.Error, p.Focus = l.T("password.mismatch"), "repeat"
	case next == current:
		p.Error, p.Focus = l.T("password.same"), "new"
	}
	if p.Error != "" {
		s.renderPage(w, r, http.StatusUnprocessableEntity, "password", p)
		return
	}
	user := sess.officer.User
	key, now := "user:"+strings.ToLower(user), s.cfg.Now()
	if wait := s.userLimit.reserve(key, now); wait > 0 {
		p.Error = l.T("password.limited", age(l, wait.Round(time.Second)))
		s.renderPage(w, r, http.StatusTooManyRequests, "password", p)
		return
	}
	err := pw.ChangePassword(r.Context(), user, current, next)
	switch {
	case errors.Is(err, ErrBadLogin):
		s.log.Warn("password change refused: wrong current password", "user", user, "remote", remoteIP(r))
		p.Error = l.T("password.wrong")
		s.renderPage(w, r, http.StatusUnauthorized, "password", p)
		return
	case errors.Is(err, ErrWeakPassword):
		s.userLimit.release(key, now)
		p.Error, p.Focus = l.T("password.short", MinPasswordLen), "new"
		s.renderPage(w, r, http.StatusUnprocessableEntity, "password", p)
		return
	case errors.Is(err, ErrBusy):
		s.userLimit.release(key, now)
		p.Error = l.T("login.busy")
		s.renderPage(w, r, http.StatusServiceUnavailable, "password", p)
		return
	case err != nil:
		s.userLimit.release(key, now)
		s.log.Error("password change failed", "user", user, "err", err)
		p.Error = l.T("password.failed")
		s.renderPage(w, r, http.StatusInternalServerError, "password", p)
		return
	}
	s.userLimit.release(key, now)
	s.log.Info("officer changed their password", "user", user, "remote", remoteIP(r))
	s.sessions.delete(s.cookie(r, cookieSession))
	s.setCookie(w, cookieSession, "", -1)
	done := passwordPage{base: s.base(r, nil, "password.title", "/password"), Done: l.T("password.done")}
	s.renderPage(w, r, http.StatusOK, "password", done)
}
