// Package netem is a fault-injecting TCP proxy for tests and benchmarks of
// the edge↔city link: it adds latency, caps bandwidth, resets connections
// in the middle of transfers and takes the link down and up, so that sync
// can be tested against a commune's uplink on loopback.
package netem

import (
	"errors"
	"net"
	gosync "sync"
	"time"
)

// Config shapes the link. The zero value forwards unchanged.
type Config struct {
	// Latency is added in each direction: the round trip grows by twice it.
	Latency time.Duration
	// Bandwidth caps each direction in bytes per second; 0 is unlimited.
	Bandwidth int
	// ResetEvery resets every connection after that many bytes have
	// crossed it (in either direction); 0 never.
	ResetEvery int64
}

// Proxy listens on a loopback port and forwards to a target.
type Proxy struct {
	target string
	ln     net.Listener

	mu    gosync.Mutex
	cfg   Config
	down  bool
	conns map[net.Conn]struct{}
	wg    gosync.WaitGroup
	up    int64 // bytes forwarded client → target
	downB int64 // bytes forwarded target → client
}

// Stats reports the bytes forwarded each way since Start.
func (p *Proxy) Stats() (toTarget, fromTarget int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.up, p.downB
}

func (p *Proxy) count(toTarget bool, n int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if toTarget {
		p.up += int64(n)
	} else {
		p.downB += int64(n)
	}
}

// Start listens on 127.0.0.1 and forwards each connection to target.
func Start(target string, cfg Config) (*Proxy, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	p := &Proxy{target: target, ln: ln, cfg: cfg, conns: map[net.Conn]struct{}{}}
	p.wg.Add(1)
	go p.accept()
	return p, nil
}

// Addr is the proxy's listening address.
func (p *Proxy) Addr() string { return p.ln.Addr().String() }

// Set changes the shaping for new and existing connections.
func (p *Proxy) Set(cfg Config) {
	p.mu.Lock()
	p.cfg = cfg
	p.mu.Unlock()
}

func (p *Proxy) config() Config {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.cfg
}

// SetDown takes the link down (every connection is reset, new ones are
// refused by closing them at once) or brings it back up.
func (p *Proxy) SetDown(down bool) {
	p.mu.Lock()
	p.down = down
	p.mu.Unlock()
	if down {
		p.ResetAll()
	}
}

// ResetAll resets every open connection, as a dropped uplink does.
func (p *Proxy) ResetAll() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for c := range p.conns {
		reset(c)
	}
}

func reset(c net.Conn) {
	if tc, ok := c.(*net.TCPConn); ok {
		tc.SetLinger(0) // RST, not FIN
	}
	c.Close()
}

// Close stops the proxy, resets its connections and waits for its
// goroutines. Safe to call twice.
func (p *Proxy) Close() error {
	err := p.ln.Close()
	p.ResetAll()
	p.wg.Wait()
	if errors.Is(err, net.ErrClosed) {
		return nil
	}
	return err
}

func (p *Proxy) accept() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.mu.Lock()
		down := p.down
		p.mu.Unlock()
		if down {
			reset(c)
			continue
		}
		p.wg.Add(1)
		go p.serve(c)
	}
}

func (p *Proxy) track(c net.Conn, on bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if on {
		p.conns[c] = struct{}{}
	} else {
		delete(p.conns, c)
	}
}

func (p *Proxy) serve(client net.Conn) {
	defer p.wg.Done()
	server, err := net.DialTimeout("tcp", p.target, 5*time.Second)
	if err != nil {
		reset(client)
		return
	}
	p.track(client, true)
	p.track(server, true)
	defer p.track(client, false)
	defer p.track(server, false)
	var crossed counter
	done := make(chan struct{}, 2)
	go func() { p.pipe(server, client, &crossed, true); done <- struct{}{} }()
	go func() { p.pipe(client, server, &crossed, false); done <- struct{}{} }()
	<-done
	reset(client)
	reset(server)
	<-done
}

// counter is the bytes that crossed one connection, both directions.
type counter struct {
	mu gosync.Mutex
	n  int64
}

func (c *counter) add(n int) int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.n += int64(n)
	return c.n
}

// pipe copies src to dst through a delay line: each chunk is released
// Latency after it was read, paced to Bandwidth.
func (p *Proxy) pipe(dst, src net.Conn, crossed *counter, toTarget bool) {
	type chunk struct {
		b  []byte
		at time.Time
	}
	line := make(chan chunk, 1024)
	go func() {
		defer close(line)
		for {
			buf := make([]byte, 16<<10)
			n, err := src.Read(buf)
			if n > 0 {
				line <- chunk{buf[:n], time.Now()}
			}
			if err != nil {
				return
			}
		}
	}()
	for ch := range line {
		cfg := p.config()
		time.Sleep(time.Until(ch.at.Add(cfg.Latency)))
		for len(ch.b) > 0 {
			n := len(ch.b)
			if cfg.Bandwidth > 0 {
				n = min(n, max(1, cfg.Bandwidth/50)) // 20 ms slices
			}
			start := time.Now()
			if _, err := dst.Write(ch.b[:n]); err != nil {
				drain(line)
				return
			}
			total := crossed.add(n)
			p.count(toTarget, n)
			ch.b = ch.b[n:]
			if cfg.ResetEvery > 0 && total >= cfg.ResetEvery {
				reset(dst)
				reset(src)
				drain(line)
				return
			}
			if cfg.Bandwidth > 0 {
				time.Sleep(time.Duration(n)*time.Second/time.Duration(cfg.Bandwidth) - time.Since(start))
			}
		}
	}
}

func drain[T any](ch <-chan T) {
	go func() {
		for range ch {
		}
	}()
}
