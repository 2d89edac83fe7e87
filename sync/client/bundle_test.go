package client

import (
	"bytes"
	"context"
	"errors"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// memPartial is a Partial in memory.
type memPartial struct {
	tag  string
	data []byte
}

func (m *memPartial) Load() (string, []byte, error) { return m.tag, bytes.Clone(m.data), nil }
func (m *memPartial) Begin(tag string) error        { m.tag, m.data = tag, nil; return nil }
func (m *memPartial) Append(p []byte) error         { m.data = append(m.data, p...); return nil }
func (m *memPartial) Discard() error                { m.tag, m.data = "", nil; return nil }

// bundleCity serves content under etag with http.ServeContent, as the
// city does; while cutAfter is positive, an answer stops after that many
// bytes of body with a broken connection.
type bundleCity struct {
	mu       sync.Mutex
	content  []byte
	etag     string
	cutAfter int
	stall    time.Duration
	ranges   []string
	query    []string
}

func (b *bundleCity) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b.mu.Lock()
	content, etag, cut, stall := b.content, b.etag, b.cutAfter, b.stall
	b.ranges = append(b.ranges, r.Header.Get("Range"))
	b.query = append(b.query, r.URL.RawQuery)
	b.mu.Unlock()
	if stall > 0 {
		time.Sleep(stall)
	}
	if etag != "" {
		w.Header().Set("ETag", etag)
	}
	if cut > 0 {
		w = &cuttingWriter{ResponseWriter: w, left: cut}
	}
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(content))
}

// cuttingWriter writes left bytes of body and then aborts the answer.
type cuttingWriter struct {
	http.ResponseWriter
	left int
}

func (c *cuttingWriter) Write(p []byte) (int, error) {
	if len(p) > c.left {
		c.ResponseWriter.Write(p[:c.left])
		c.ResponseWriter.(http.Flusher).Flush()
		panic(http.ErrAbortHandler)
	}
	c.left -= len(p)
	return c.ResponseWriter.Write(p)
}

func randomBytes(n int) []byte {
	b := make([]byte, n)
	r := rand.NewChaCha8([32]byte{7})
	r.Read(b)
	return b
}

func TestBundleResumesWithRange(t *testing.T) {
	content := randomBytes(300 << 10)
	city := &bundleCity{content: content, etag: `"92101-0-7-aa"`, cutAfter: 100 << 10}
	srv := httptest.NewServer(city)
	defer srv.Close()
	c, err := New([]string{srv.URL}, nil)
	if err != nil {
		t.Fatal(err)
	}
	p := &memPartial{}
	if _, err := c.Bundle(context.Background(), "92101", 5, p); err == nil {
		t.Fatal("a cut download succeeded")
	}
	if p.tag != `"92101-0-7-aa"` || len(p.data) == 0 || !bytes.Equal(p.data, content[:len(p.data)]) {
		t.Fatalf("kept %q and %d bytes", p.tag, len(p.data))
	}
	kept := len(p.data)
	city.mu.Lock()
	city.cutAfter = 0
	city.mu.Unlock()
	got, err := c.Bundle(context.Background(), "92101", 5, p)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, content) {
		t.Fatalf("resumed download differs: %d bytes, want %d", len(got), len(content))
	}
	if city.ranges[1] != "bytes="+strconv.Itoa(kept)+"-" || city.query[1] != "format=3&since=5" {
		t.Fatalf("second request: Range %q, query %q", city.ranges[1], city.query[1])
	}
	if p.tag != "" || p.data != nil {
		t.Fatal("a complete download is still kept")
	}
}

// TestBundleRestartsWhenTheBundleChanged: the city moved on to another
// bundle, so If-Range gets the whole new one, and that is what is kept.
func TestBundleRestartsWhenTheBundleChanged(t *testing.T) {
	content := randomBytes(50 << 10)
	city := &bundleCity{content: content, etag: `"92101-0-8-bb"`}
	srv := httptest.NewServer(city)
	defer srv.Close()
	c, _ := New([]string{srv.URL}, nil)
	p := &memPartial{tag: `"92101-0-7-aa"`, data: randomBytes(1000)}
	got, err := c.Bundle(context.Background(), "92101", 0, p)
	if err != nil || !bytes.Equal(got, content) {
		t.Fatalf("got %d bytes, %v", len(got), err)
	}
}

func TestBundleWithoutValidatorKeepsNothing(t *testing.T) {
	content := randomBytes(200 << 10)
	city := &bundleCity{content: content, cutAfter: 70 << 10}
	srv := httptest.NewServer(city)
	defer srv.Close()
	c, _ := New([]string{srv.URL}, nil)
	p := &memPartial{}
	if _, err := c.Bundle(context.Background(), "92101", 0, p); err == nil {
		t.Fatal("a cut download succeeded")
	}
	if p.tag != "" || len(p.data) != 0 {
		t.Fatalf("kept %d bytes of a bundle without an ETag: it could not be resumed safely", len(p.data))
	}
}

func TestBundleRangeNotSatisfiable(t *testing.T) {
	content := randomBytes(1000)
	city := &bundleCity{content: content, etag: `"92101-0-7-aa"`}
	srv := httptest.NewServer(city)
	defer srv.Close()
	c, _ := New([]string{srv.URL}, nil)
	p := &memPartial{tag: `"92101-0-7-aa"`, data: randomBytes(5000)} // longer than the bundle
	if _, err := c.Bundle(context.Background(), "92101", 0, p); err == nil {
		t.Fatal("a range past the end succeeded")
	}
	if p.tag != "" {
		t.Fatal("an unusable download is still kept")
	}
	if got, err := c.Bundle(context.Background(), "92101", 0, p); err != nil || !bytes.Equal(got, content) {
		t.Fatalf("the next attempt: %d bytes, %v", len(got), err)
	}
}

func TestBundleStalls(t *testing.T) {
	city := &bundleCity{content: randomBytes(10), etag: `"x-0-1-aa"`, stall: 300 * time.Millisecond}
	srv := httptest.NewServer(city)
	defer srv.Close()
	c, _ := New([]string{srv.URL}, nil)
	c.timeout = 50 * time.Millisecond
	_, err := c.Bundle(context.Background(), "92101", 0, nil)
	if !errors.Is(err, ErrUnavailable) || !strings.Contains(err.Error(), "no progress") {
		t.Fatalf("a stalled city: %v", err)
	}
}

func TestBundleRefused(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, `{"error":"node \"edge-1\" is not assigned commune 92102"}`, http.StatusForbidden)
	}))
	defer srv.Close()
	c, _ := New([]string{srv.URL}, nil)
	if _, err := c.Bundle(context.Background(), "92102", 0, nil); !errors.Is(err, ErrRefused) || !strings.Contains(err.Error(), "not assigned") {
		t.Fatalf("refused: %v", err)
	}
}

// progressPartial is a memPartial that also hears the download's progress.
type progressPartial struct {
	memPartial
	reports [][2]int64
}

func (p *progressPartial) Progress(done, total int64) {
	p.reports = append(p.reports, [2]int64{done, total})
}

// TestBundleReportsProgress: a resumed download reports the bytes it had
// first, then each step up to the whole size.
func TestBundleReportsProgress(t *testing.T) {
	content := randomBytes(300 << 10)
	city := &bundleCity{content: content, etag: `"92101-0-7-bb"`, cutAfter: 100 << 10}
	srv := httptest.NewServer(city)
	defer srv.Close()
	c, _ := New([]string{srv.URL}, nil)
	p := &progressPartial{}
	c.Bundle(context.Background(), "92101", 0, p)
	kept := int64(len(p.data))
	city.mu.Lock()
	city.cutAfter = 0
	city.mu.Unlock()
	p.reports = nil
	if _, err := c.Bundle(context.Background(), "92101", 0, p); err != nil {
		t.Fatal(err)
	}
	first, last := p.reports[0], p.reports[len(p.reports)-1]
	if first != [2]int64{kept, int64(len(content))} || last != [2]int64{int64(len(content)), int64(len(content))} {
		t.Fatalf("progress reports %v … %v; kept %d of %d", first, last, kept, len(content))
	}
	for i := 1; i < len(p.reports); i++ {
		if p.reports[i][0] < p.reports[i-1][0] {
			t.Fatalf("progress went back: %v", p.reports)
		}
	}
}
