package webui

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"testing"
)

// pwOfficers are the sample officers, whose passwords can change.
type pwOfficers struct {
	*fakeOfficers
	change func(user, current, next string) error
}

func (p *pwOfficers) ChangePassword(_ context.Context, user, current, next string) error {
	return p.change(user, current, next)
}

// TestChangePassword: the form checks what it can, a wrong current
// password is refused (and counted like a refused login), and a change
// ends the session with a page that says to log in again.
func TestChangePassword(t *testing.T) {
	var changed []string
	off := &pwOfficers{fakeOfficers: sampleOfficers(), change: func(user, current, next string) error {
		if current != officerPwd {
			return fmt.Errorf("%w", ErrBadLogin)
		}
		changed = append(changed, user+" "+next)
		return nil
	}}
	e := newEnv(t, Config{Officers: off, LoginFailures: 2})
	c := e.client()
	token := c.login()
	c.Get("/password").MustContain(t, `<form method="post" action="/password"`, `autocomplete="new-password"`, `aria-current="page">Đổi mật khẩu</a>`)
	post := func(current, next, repeat string) page {
		return c.Post("/password", url.Values{"csrf": {token}, "current": {current}, "new": {next}, "repeat": {repeat}})
	}
	p := post(officerPwd, "ngắn", "ngắn")
	p.WantStatus(t, http.StatusUnprocessableEntity)
	p.MustContain(t, "cần ít nhất 10 ký tự")
	post(officerPwd, "mật khẩu mới dài", "mật khẩu khác dài").MustContain(t, "không giống nhau")
	p = post("sai", "mật khẩu mới dài", "mật khẩu mới dài")
	p.WantStatus(t, http.StatusUnauthorized)
	p.MustContain(t, "Mật khẩu hiện tại không đúng")
	post("sai", "mật khẩu mới dài", "mật khẩu mới dài")
	p = post(officerPwd, "mật khẩu mới dài", "mật khẩu mới dài")
	p.WantStatus(t, http.StatusTooManyRequests) // two wrong tries used the user's allowance
	if len(changed) != 0 {
		t.Fatalf("changed while limited: %v", changed)
	}

	c2 := newEnv(t, Config{Officers: off}).client()
	token = c2.login()
	p = c2.Post("/password", url.Values{"csrf": {token}, "current": {officerPwd}, "new": {"mật khẩu mới dài"}, "repeat": {"mật khẩu mới dài"}})
	p.WantStatus(t, http.StatusOK)
	p.MustContain(t, `id="password-done"`, "hãy đăng nhập lại bằng mật khẩu mới")
	if len(changed) != 1 || changed[0] != "lan mật khẩu mới dài" {
		t.Fatalf("changed %v", changed)
	}
	c2.Get("/").WantStatus(t, http.StatusSeeOther) // the session ended

	// Without the capability there is no page.
	c3 := newEnv(t, Config{}).client()
	c3.login()
	c3.Get("/password").WantStatus(t, http.StatusNotFound)
}
