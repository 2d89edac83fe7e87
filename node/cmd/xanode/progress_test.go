package main

import (
	"bytes"
	"io"
	"strings"
	"testing"
	"time"
)

func TestProgressReader(t *testing.T) {
	var out bytes.Buffer
	src := strings.NewReader(strings.Repeat("x", 3<<20))
	p := &progressReader{r: src, total: 3 << 20, w: &out, every: time.Nanosecond, start: time.Now().Add(-time.Second)}
	if n, err := io.Copy(io.Discard, p); err != nil || n != 3<<20 {
		t.Fatalf("copied %d: %v", n, err)
	}
	p.finish()
	if !strings.Contains(out.String(), "sent 3.0 MB of 3.0 MB (100%)") || !strings.HasSuffix(out.String(), "\n") {
		t.Fatalf("progress output %q", out.String())
	}
	out.Reset()
	quiet := &progressReader{r: strings.NewReader("small"), w: &out, every: time.Hour, start: time.Now()}
	io.Copy(io.Discard, quiet)
	quiet.finish()
	if out.Len() != 0 {
		t.Fatalf("a quick upload printed %q", out.String())
	}
}
