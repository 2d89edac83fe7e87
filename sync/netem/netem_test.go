package netem

import (
	"bytes"
	"io"
	"net"
	"testing"
	"time"
)

// echo serves a TCP echo on loopback.
func echo(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() { io.Copy(c, c); c.Close() }()
		}
	}()
	return ln.Addr().String()
}

func proxy(t *testing.T, cfg Config) *Proxy {
	t.Helper()
	p, err := Start(echo(t), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

func roundTrip(t *testing.T, addr string, payload []byte) (time.Duration, error) {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		return 0, err
	}
	defer c.Close()
	start := time.Now()
	go c.Write(payload)
	got := make([]byte, len(payload))
	if _, err := io.ReadFull(c, got); err != nil {
		return 0, err
	}
	if !bytes.Equal(got, payload) {
		t.Fatal("bytes changed in transit")
	}
	return time.Since(start), nil
}

func TestLatency(t *testing.T) {
	p := proxy(t, Config{Latency: 50 * time.Millisecond})
	d, err := roundTrip(t, p.Addr(), []byte("xin chào"))
	if err != nil {
		t.Fatal(err)
	}
	if d < 100*time.Millisecond || d > 2*time.Second {
		t.Fatalf("round trip %s with 50 ms each way", d)
	}
}

func TestBandwidth(t *testing.T) {
	p := proxy(t, Config{Bandwidth: 64 << 10})
	d, err := roundTrip(t, p.Addr(), make([]byte, 32<<10)) // 32 KiB each way at 64 KiB/s
	if err != nil {
		t.Fatal(err)
	}
	if d < 400*time.Millisecond {
		t.Fatalf("32 KiB echoed at 64 KiB/s in %s", d)
	}
	// The counters move just after each write returns: give the last one
	// a moment.
	for deadline := time.Now().Add(time.Second); ; time.Sleep(10 * time.Millisecond) {
		up, down := p.Stats()
		if up == 32<<10 && down == 32<<10 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("stats %d up, %d down", up, down)
		}
	}
}

func TestResetMidTransfer(t *testing.T) {
	p := proxy(t, Config{ResetEvery: 4 << 10})
	if _, err := roundTrip(t, p.Addr(), make([]byte, 64<<10)); err == nil {
		t.Fatal("a transfer across a reset completed")
	}
	if _, err := roundTrip(t, p.Addr(), []byte("nhỏ")); err != nil {
		t.Fatalf("a small transfer after the reset: %v", err)
	}
}

func TestDownAndUp(t *testing.T) {
	p := proxy(t, Config{})
	p.SetDown(true)
	if _, err := roundTrip(t, p.Addr(), []byte("x")); err == nil {
		t.Fatal("the link is down but a round trip worked")
	}
	p.SetDown(false)
	if _, err := roundTrip(t, p.Addr(), []byte("x")); err != nil {
		t.Fatalf("after the link came back: %v", err)
	}
}
