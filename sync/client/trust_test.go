package client

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
)

// TestTrustList: the held version goes as If-None-Match, a 304 is
// nothing to do, a node that fails is passed over, a refusal is not.
func TestTrustList(t *testing.T) {
	var tags []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tags = append(tags, r.Header.Get("If-None-Match"))
		if r.Header.Get("If-None-Match") == `"trust-7"` {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		w.Write([]byte("signed list"))
	}))
	defer srv.Close()
	down := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, `{"error":"starting"}`, http.StatusServiceUnavailable)
	}))
	defer down.Close()
	c, _ := New([]string{down.URL, srv.URL}, nil)
	if b, err := c.TrustList(context.Background(), 0); err != nil || string(b) != "signed list" {
		t.Fatalf("no list held: %q %v", b, err)
	}
	if b, err := c.TrustList(context.Background(), 7); err != nil || b != nil {
		t.Fatalf("the version held: %q %v", b, err)
	}
	if b, err := c.TrustList(context.Background(), 3); err != nil || b == nil {
		t.Fatalf("an older version held: %q %v", b, err)
	}
	if len(tags) != 3 || tags[0] != "" || tags[2] != `"trust-3"` {
		t.Fatalf("If-None-Match sent: %q", tags)
	}
	refuse := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, `{"error":"revoked"}`, http.StatusForbidden)
	}))
	defer refuse.Close()
	c, _ = New([]string{refuse.URL, srv.URL}, nil)
	if _, err := c.TrustList(context.Background(), 0); !errors.Is(err, ErrRefused) || len(tags) != 3 {
		t.Fatalf("refusal: %v, other node asked %d times", err, len(tags)-3)
	}
}
