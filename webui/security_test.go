package webui

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/xanode/xanode/node/registry"
)

// fullEnv is a UI with every dependency and some history, for tests that
// walk all pages.
func fullEnv(t *testing.T) (*env, *memRegistry) {
	t.Helper()
	mem := newMemRegistry(func() time.Time { return testNow })
	reg := mem.fake()
	// A full outbox page, every row with an outcome's details: the
	// heaviest page the weight test can meet.
	for i := 0; i < DefaultConfig().RecentChanges; i++ {
		ch, err := reg.Record(Draft{Officer: "lan", Op: registry.OpRegisterTemporary, Citizen: sampleID,
			Patch: map[string]string{
				"temporary_address": "45 Nguyễn Văn Cừ, phường An Khánh, quận Ninh Kiều, TP Cần Thơ",
				"temporary_until":   "2026-12-31",
			}, Procedure: "HS-2026-0042"})
		if err != nil {
			t.Fatal(err)
		}
		if i > 0 {
			mem.settle(ch.ID(), registry.Outcome{Result: registry.Superseded, Lost: []registry.Loss{{
				Field: registry.FieldTemporaryAddress, Winner: "9 Mậu Thân, Ninh Kiều", By: "edge-2/7",
				Time: registry.HLCFromTime(testNow),
			}}})
		}
	}
	e := newEnv(t, Config{
		Registry: reg,
		Cards: &fakeCards{tap: func(context.Context, string) (*Identification, error) {
			return sampleIdentification(sampleCitizen()), nil
		}},
		Events: newHub().events(),
	})
	return e, mem
}

// mainPages fetches every main page as a logged-in officer.
func mainPages(t *testing.T, e *env) map[string]page {
	t.Helper()
	anon := e.client()
	c := e.client()
	token := c.loginAs("hung") // a supervisor: every form open
	pages := map[string]page{
		"login":    anon.Get("/login"),
		"home":     c.Get("/"),
		"tap":      c.Post("/tap", url.Values{"csrf": {token}}),
		"search":   c.Get("/search?name=nguyen+thi+thu+ha&birth=1995"),
		"citizen":  c.Get("/citizen/" + sampleID),
		"print":    c.Get("/citizen/" + sampleID + "/print"),
		"outbox":   c.Get("/outbox?recorded=edge-1%2F2"),
		"notfound": c.Get("/no-such-page"),
		"csrf":     c.Post("/tap", url.Values{"csrf": {"wrong"}}),
	}
	for _, f := range opForms {
		pages["form:"+string(f.op)] = c.Get(formPath(f.op))
	}
	// A refused correction: every box with a message beside it.
	f, _ := formFor(registry.OpCorrect)
	bad := fill(f, token, func(input) bool { return true })
	for _, in := range f.inputs {
		if in.kind == inID || in.kind == inDate || in.kind == inOldID {
			bad.Set(in.name, "x")
		}
	}
	pages["form:refused"] = c.Post(formPath(f.op), bad)
	// Review pages: a filled form not yet confirmed, a death among them.
	for _, op := range []registry.Op{registry.OpRegisterTemporary, registry.OpRegisterDeath} {
		rf, _ := formFor(op)
		v := fill(rf, token, func(input) bool { return true })
		v.Del("confirm")
		pages["review:"+string(op)] = c.Post(formPath(op), v)
	}
	for name, p := range pages {
		if p.Status >= 500 || (p.Status == http.StatusNotFound && name != "notfound") {
			t.Fatalf("%s: status %d", name, p.Status)
		}
	}
	return pages
}

func TestSecurityHeaders(t *testing.T) {
	e, _ := fullEnv(t)
	pages := mainPages(t, e)
	c := e.client()
	pages["css"] = c.Get(e.srv.assets.URL("app.css"))
	pages["js"] = c.Get(e.srv.assets.URL("app.js"))
	pages["redirect"] = c.Get("/outbox")
	host := strings.TrimPrefix(e.ts.URL, "http://")
	for name, p := range pages {
		csp := p.Header.Get("Content-Security-Policy")
		for _, want := range []string{"default-src 'none'", "script-src 'self';", "style-src 'self';",
			"frame-ancestors 'none'", "object-src 'none'", "connect-src 'self' ws://" + host} {
			if !strings.Contains(csp, want) {
				t.Errorf("%s: CSP %q lacks %q", name, csp, want)
			}
		}
		if strings.Contains(csp, "unsafe") {
			t.Errorf("%s: CSP allows unsafe sources: %q", name, csp)
		}
		for h, want := range map[string]string{
			"X-Content-Type-Options": "nosniff",
			"Referrer-Policy":        "no-referrer",
			"X-Frame-Options":        "DENY",
		} {
			if got := p.Header.Get(h); got != want {
				t.Errorf("%s: %s = %q, want %q", name, h, got, want)
			}
		}
		if name != "css" && name != "js" && p.Header.Get("Cache-Control") != "no-store" {
			t.Errorf("%s: Cache-Control %q: pages with citizen data must not be cached", name, p.Header.Get("Cache-Control"))
		}
	}
	if cc := pages["css"].Header.Get("Cache-Control"); !strings.Contains(cc, "immutable") {
		t.Errorf("versioned asset Cache-Control %q", cc)
	}
}

var (
	inlineScriptRE = regexp.MustCompile(`<script(?:\s[^>]*)?>`)
	inlineStyleRE  = regexp.MustCompile(`<style|\sstyle=|\son[a-z]+=`)
)

// TestNoInlineCode keeps the pages within the CSP: a violation would only
// show as a silently broken page in the browser.
func TestNoInlineCode(t *testing.T) {
	e, _ := fullEnv(t)
	for name, p := range mainPages(t, e) {
		for _, tag := range inlineScriptRE.FindAllString(p.Body, -1) {
			if !strings.Contains(tag, " src=") {
				t.Errorf("%s: inline script %q", name, tag)
			}
		}
		if m := inlineStyleRE.FindString(p.Body); m != "" {
			t.Errorf("%s: inline style or handler %q", name, m)
		}
	}
}

func TestSecureCSP(t *testing.T) {
	e := newEnv(t, Config{Secure: true})
	p := e.client().Get("/login")
	if csp := p.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "wss://") || strings.Contains(csp, "ws://") {
		t.Errorf("TLS CSP %q: want wss only", csp)
	}
	if got := p.Header.Get("Strict-Transport-Security"); got != "max-age=31536000" {
		t.Errorf("under TLS, Strict-Transport-Security %q", got)
	}
	if got := newEnv(t, Config{}).client().Get("/login").Header.Get("Strict-Transport-Security"); got != "" {
		t.Errorf("over plain HTTP, Strict-Transport-Security %q", got)
	}
}

// TestInsecureBanner: served over plain HTTP on the office network, every
// page says that passwords and records cross it in clear, login included.
func TestInsecureBanner(t *testing.T) {
	e := newEnv(t, Config{Insecure: true})
	c := e.client()
	c.Get("/login").MustContain(t, `class="banner insecure"`, "KHÔNG mã hóa")
	c.login()
	c.Get("/").MustContain(t, `class="banner insecure"`)
	c.Get("/outbox?lang=en")
	c.Get("/outbox").MustContain(t, "UNENCRYPTED")
	c.Get("/citizen/000000000000").MustContain(t, `class="banner insecure"`)
	newEnv(t, Config{}).client().Get("/login").MustNotContain(t, "banner insecure")
}

func TestLanguageSwitch(t *testing.T) {
	e, _ := fullEnv(t)
	c := e.client()
	p := c.Get("/login?lang=en")
	p.WantStatus(t, http.StatusSeeOther)
	if loc := p.Header.Get("Location"); loc != "/login" {
		t.Errorf("switch goes to %q", loc)
	}
	login := c.Get("/login")
	login.MustContain(t, `<html lang="en">`, "Officer login", "User name", `href="/login?lang=vi"`)
	login.MustNotContain(t, "Đăng nhập cán bộ")

	token := c.login()
	home := c.Get("/")
	home.MustContain(t, "Tap sample card", "Personal ID number (12 digits)", "Officer")
	c.Get("/lookup?id=123").MustContain(t, "An ID number has exactly 12 digits; you entered 3",
		`href="/lookup?id=123&amp;lang=vi"`)
	tap := c.Post("/tap", url.Values{"csrf": {token}})
	tap.MustContain(t, "Chip read (signature not verified)", "<strong>Differs</strong>")
	c.Get("/citizen/"+sampleID).MustContain(t, "<dt>Date of birth</dt><dd>08/03/1995</dd>", "<dt>Sex</dt><dd>Female</dd>")
	c.Get("/outbox").MustContain(t, "Your change was superseded by change edge-2/7", "Waiting to be sent", "12,345 citizens")
	c.Post("/tap", url.Values{"csrf": {"x"}}).MustContain(t, "nothing was done and nothing changed")

	// Back to Vietnamese, keeping the rest of the address.
	p = c.Get("/lookup?id=" + sampleID + "&lang=vi")
	if loc := p.Header.Get("Location"); loc != "/lookup?id="+sampleID {
		t.Errorf("switch back goes to %q", loc)
	}
	c.Get("/").MustContain(t, `<html lang="vi">`, "Chạm thẻ mẫu")
	c.Get("/?lang=fr").MustContain(t, "Chạm thẻ mẫu") // unknown languages are ignored
}

func TestConfigValidate(t *testing.T) {
	if _, err := New(Config{}); err == nil || !strings.Contains(err.Error(), "Officers") || !strings.Contains(err.Error(), "Registry") {
		t.Errorf("New without dependencies: %v", err)
	}
	bad := Config{Officers: sampleOfficers(), Registry: &fakeRegistry{}, SessionIdle: 2 * time.Hour, SessionMax: time.Hour}
	if _, err := New(bad); err == nil || !strings.Contains(err.Error(), "SessionIdle") {
		t.Errorf("idle longer than max: %v", err)
	}
	bad = Config{Officers: sampleOfficers(), Registry: &fakeRegistry{}, TapTimeout: -1}
	if _, err := New(bad); err == nil || !strings.Contains(err.Error(), "TapTimeout") {
		t.Errorf("negative timeout: %v", err)
	}
}

// TestCSRF: every form refuses a POST without this session's token, and
// the refusal changes nothing.
func TestCSRF(t *testing.T) {
	var tapped int
	mem := newMemRegistry(func() time.Time { return testNow })
	cards := &fakeCards{tap: func(context.Context, string) (*Identification, error) { tapped++; return nil, ErrNoCard }}
	e := newEnv(t, Config{Registry: mem.fake(), Cards: cards})
	c := e.client()
	token := c.loginAs("hung")
	other := e.client()
	otherToken := other.login() // a valid token, of another session
	type target struct {
		path string
		form url.Values // a complete form: only the token is wrong
	}
	targets := []target{{"/tap", url.Values{}}, {"/logout", url.Values{}}}
	for i := range opForms {
		f := &opForms[i]
		targets = append(targets, target{formPath(f.op), fill(f, "", func(input) bool { return true })})
	}
	for _, tt := range []struct{ name, token string }{{"missing", ""}, {"wrong", token + "x"}, {"other session", otherToken}} {
		for _, tg := range targets {
			form := url.Values{}
			for k, v := range tg.form {
				form[k] = v
			}
			form.Del("csrf")
			if tt.token != "" {
				form.Set("csrf", tt.token)
			}
			p := c.Post(tg.path, form)
			if p.Status != http.StatusForbidden {
				t.Errorf("%s token, POST %s: status %d, want 403", tt.name, tg.path, p.Status)
			}
			p.MustContain(t, "Biểu mẫu đã hết hạn hoặc không hợp lệ", "không có gì bị thay đổi")
		}
	}
	if d := mem.recordedDrafts(); len(d) != 0 || tapped != 0 {
		t.Errorf("refused forms reached Record %d times, Tap %d times", len(d), tapped)
	}
	c.Get("/").WantStatus(t, http.StatusOK) // the refused logout did not end the session
}
