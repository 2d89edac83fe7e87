package webui

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"testing"
	"time"
)

var faceURLRE = regexp.MustCompile(`<img src="(/face/[0-9a-f]+)"`)

// TestFace: the chip's face shows beside the chip's data at an address
// only the reading session opens, never cached, gone after logout or
// faceTTL; a face that cannot be shown says why.
func TestFace(t *testing.T) {
	jpeg := []byte("\xff\xd8\xff\xe0 a JPEG face")
	var problem string
	cards := &fakeCards{tap: func(context.Context, string) (*Identification, error) {
		id := sampleIdentification(sampleCitizen())
		if problem == "" {
			id.Face = &Face{JPEG: jpeg, Width: 360, Height: 480}
		} else {
			id.FaceProblem = problem
		}
		return id, nil
	}}
	e := newEnv(t, Config{Cards: cards})
	c := e.client()
	csrf := c.login()
	p := c.Post("/tap", url.Values{"csrf": {csrf}})
	p.WantStatus(t, http.StatusOK)
	p.MustContain(t, `width="360" height="480"`, "Ảnh trong chip: hãy so với người đang đứng trước mặt")
	m := faceURLRE.FindStringSubmatch(p.Body)
	if m == nil {
		t.Fatalf("no face on the result:\n%s", p.Body)
	}
	img := c.Get(m[1])
	if img.Status != http.StatusOK || img.Body != string(jpeg) || img.Header.Get("Content-Type") != "image/jpeg" ||
		img.Header.Get("Cache-Control") != "no-store, private" {
		t.Fatalf("face: %d %v %q", img.Status, img.Header, img.Body)
	}
	// Another officer's session, or none, does not open it.
	other := e.client()
	other.loginAs("hung")
	if p := other.Get(m[1]); p.Status != http.StatusNotFound {
		t.Fatalf("another session got the face: %d", p.Status)
	}
	if p := e.client().Get(m[1]); p.Status != http.StatusUnauthorized {
		t.Fatalf("no session got the face: %d", p.Status)
	}
	// The next card replaces it; the old address is gone.
	next := faceURLRE.FindStringSubmatch(c.Post("/tap", url.Values{"csrf": {csrf}}).Body)
	if next == nil || next[1] == m[1] || c.Get(m[1]).Status != http.StatusNotFound || c.Get(next[1]).Status != http.StatusOK {
		t.Fatal("a new card did not replace the face")
	}
	e.clock.Advance(faceTTL + time.Second)
	c.Get("/") // the officer is still at work: the session lives on
	if p := c.Get(next[1]); p.Status != http.StatusNotFound {
		t.Fatalf("face after %v: %d", faceTTL, p.Status)
	}
	last := faceURLRE.FindStringSubmatch(c.Post("/tap", url.Values{"csrf": {c.Get("/").CSRF(t)}}).Body)
	c.Post("/logout", url.Values{"csrf": {c.Get("/").CSRF(t)}})
	c.login()
	if p := c.Get(last[1]); p.Status != http.StatusNotFound {
		t.Fatalf("face after logout: %d", p.Status)
	}
	for _, tc := range []struct{ problem, want string }{
		{FaceJPEG2000, "JPEG 2000 mà bản phần mềm này chưa hỗ trợ (cần bản dựng với -tags pcsc)"},
		{FaceMissing, "Chip của thẻ này không có ảnh chân dung."},
		{FaceUnreadable, "Không đọc được ảnh chân dung trong chip."},
	} {
		problem = tc.problem
		p := c.Post("/tap", url.Values{"csrf": {c.Get("/").CSRF(t)}})
		p.MustContain(t, tc.want)
		p.MustNotContain(t, "<img")
	}
}
