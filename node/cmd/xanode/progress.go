package main

import (
	"fmt"
	"io"
	"time"
)

// progressReader reports how much of an upload has gone, and how long is
// left at the pace so far, every so often on w (standard error: the
// answer on standard output stays clean for scripts).
type progressReader struct {
	r       io.Reader
	total   int64 // 0: unknown
	w       io.Writer
	every   time.Duration
	start   time.Time
	done    int64
	last    time.Time
	printed bool
}

func (p *progressReader) Read(b []byte) (int, error) {
	n, err := p.r.Read(b)
	p.done += int64(n)
	if now := time.Now(); now.Sub(p.last) >= p.every && now.Sub(p.start) >= p.every {
		p.last = now
		p.print(now)
	}
	return n, err
}

func (p *progressReader) print(now time.Time) {
	p.printed = true
	elapsed := now.Sub(p.start)
	if p.total <= 0 {
		fmt.Fprintf(p.w, "\rsent %s in %s   ", mb(p.done), elapsed.Round(time.Second))
		return
	}
	left := time.Duration(0)
	if p.done > 0 {
		left = time.Duration(float64(elapsed) * float64(p.total-p.done) / float64(p.done))
	}
	fmt.Fprintf(p.w, "\rsent %s of %s (%d%%), about %s left   ", mb(p.done), mb(p.total), p.done*100/p.total, left.Round(time.Second))
}

// finish ends the progress line, if one was printed.
func (p *progressReader) finish() {
	if p.printed {
		p.print(time.Now())
		fmt.Fprintln(p.w)
	}
}

func mb(n int64) string { return fmt.Sprintf("%.1f MB", float64(n)/(1<<20)) }
