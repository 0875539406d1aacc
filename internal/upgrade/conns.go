package upgrade

import (
	"net"
	"net/http"
	"sync"
	"time"
)

// ConnCount counts a server's open connections (set Track as
// http.Server.ConnState), so a process handing over can wait for them.
type ConnCount struct {
	mu sync.Mutex
	n  int
	c  *sync.Cond
}

// Track is an http.Server.ConnState hook.
func (c *ConnCount) Track(_ net.Conn, s http.ConnState) {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch s {
	case http.StateNew:
		c.n++
	case http.StateClosed, http.StateHijacked:
		c.n--
		if c.c != nil {
			c.c.Broadcast()
		}
	}
}

// Open is the number of connections open now.
func (c *ConnCount) Open() int { c.mu.Lock(); defer c.mu.Unlock(); return c.n }

// WaitClosed waits until every connection closed, or d passed.
func (c *ConnCount) WaitClosed(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.c == nil {
		c.c = sync.NewCond(&c.mu)
	}
	expired := false
	t := time.AfterFunc(d, func() { c.mu.Lock(); expired = true; c.c.Broadcast(); c.mu.Unlock() })
	defer t.Stop()
	for c.n > 0 && !expired {
		c.c.Wait()
	}
}
