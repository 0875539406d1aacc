package redis_test

import (
	"io"
	"net"
	"sync"
	"testing"
)

// proxy is a TCP proxy in front of Redis that a test can break: cut closes
// every connection and refuses new ones (a crashed server), stall closes
// them and accepts new ones that never answer (a partition), heal restores
// forwarding.
type proxy struct {
	ln     net.Listener
	target string
	mu     sync.Mutex
	mode   int // 0 forward, 1 cut, 2 stall
	conns  map[net.Conn]struct{}
}

func newProxy(t *testing.T, target string) *proxy {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &proxy{ln: ln, target: target, conns: map[net.Conn]struct{}{}}
	go p.serve()
	t.Cleanup(func() { ln.Close(); p.closeAll() })
	return p
}

func (p *proxy) Addr() string { return p.ln.Addr().String() }

func (p *proxy) serve() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.mu.Lock()
		mode := p.mode
		if mode != 1 {
			p.conns[c] = struct{}{}
		}
		p.mu.Unlock()
		switch mode {
		case 1:
			c.Close()
		case 2: // hold it open, silently
		default:
			go p.forward(c)
		}
	}
}

func (p *proxy) forward(c net.Conn) {
	s, err := net.Dial("tcp", p.target)
	if err != nil {
		c.Close()
		return
	}
	p.mu.Lock()
	p.conns[s] = struct{}{}
	p.mu.Unlock()
	go func() { io.Copy(s, c); s.Close(); c.Close() }()
	io.Copy(c, s)
	c.Close()
	s.Close()
}

func (p *proxy) closeAll() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for c := range p.conns {
		c.Close()
	}
	clear(p.conns)
}

func (p *proxy) set(mode int) {
	p.mu.Lock()
	p.mode = mode
	p.mu.Unlock()
	p.closeAll()
}

func (p *proxy) cut()   { p.set(1) }
func (p *proxy) stall() { p.set(2) }
func (p *proxy) heal()  { p.set(0) }
