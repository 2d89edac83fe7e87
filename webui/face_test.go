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
	p := c.post("/tap", url.Values{"csrf": {csrf}})
	p.wantStatus(t, http.StatusOK)
	p.mustContain(t, `width="360" height="480"`, "Ảnh trong chip: hãy so với người đang đứng trước mặt")
	m := faceURLRE.FindStringSubmatch(p.body)
	if m == nil {
		t.Fatalf("no face on the result:\n%s", p.body)
	}
	img := c.get(m[1])
	if img.status != http.StatusOK || img.body != string(jpeg) || img.header.Get("Content-Type") != "image/jpeg" ||
		img.header.Get("Cache-Control") != "no-store, private" {
		t.Fatalf("face: %d %v %q", img.status, img.header, img.body)
	}
	// Another officer's session, or none, does not open it.
	other := e.client()
	other.loginAs("hung")
	if p := other.get(m[1]); p.status != http.StatusNotFound {
		t.Fatalf("another session got the face: %d", p.status)
	}
	if p := e.client().get(m[1]); p.status != http.StatusUnauthorized {
		t.Fatalf("no session got the face: %d", p.status)
	}
	// The next card replaces it; the old address is gone.
	next := faceURLRE.FindStringSubmatch(c.post("/tap", url.Values{"csrf": {csrf}}).body)
	if next == nil || next[1] == m[1] || c.get(m[1]).status != http.StatusNotFound || c.get(next[1]).status != http.StatusOK {
		t.Fatal("a new card did not replace the face")
	}
	e.clock.advance(faceTTL + time.Second)
	c.get("/") // the officer is still at work: the session lives on
	if p := c.get(next[1]); p.status != http.StatusNotFound {
		t.Fatalf("face after %v: %d", faceTTL, p.status)
	}
	last := faceURLRE.FindStringSubmatch(c.post("/tap", url.Values{"csrf": {c.get("/").csrf(t)}}).body)
	c.post("/logout", url.Values{"csrf": {c.get("/").csrf(t)}})
	c.login()
	if p := c.get(last[1]); p.status != http.StatusNotFound {
		t.Fatalf("face after logout: %d", p.status)
	}
	for _, tc := range []struct{ problem, want string }{
		{FaceJPEG2000, "JPEG 2000 mà bản phần mềm này chưa hỗ trợ (cần bản dựng với -tags pcsc)"},
		{FaceMissing, "Chip của thẻ này không có ảnh chân dung."},
		{FaceUnreadable, "Không đọc được ảnh chân dung trong chip."},
	} {
		problem = tc.problem
		p := c.post("/tap", url.Values{"csrf": {c.get("/").csrf(t)}})
		p.mustContain(t, tc.want)
		p.mustNotContain(t, "<img")
	}
}
