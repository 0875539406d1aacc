// Package local holds in-process implementations of the ports that Redis
// implements when Ocean runs as several instances: cache now; lock and rate
// limiter later.
package local

import (
	"context"
	"sync"
)

// Cache is a bounded in-process cache. When full it forgets everything and
// starts again: catalog entries are cheap to rebuild and this keeps Get and
// Set O(1) without per-entry bookkeeping.
type Cache struct {
	mu  sync.RWMutex
	m   map[string]any
	max int
	gen uint64
}

// NewCache returns a cache holding at most max entries.
func NewCache(max int) *Cache {
	return &Cache{m: make(map[string]any), max: max}
}

func (c *Cache) Get(_ context.Context, key string) (any, bool) {
	c.mu.RLock()
	v, ok := c.m[key]
	c.mu.RUnlock()
	return v, ok
}

// Gen returns the current generation; Invalidate starts a new one.
func (c *Cache) Gen(context.Context) uint64 {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.gen
}

// Set stores v unless the cache was invalidated since generation gen was
// read: a value computed before a write must not outlive it.
func (c *Cache) Set(_ context.Context, key string, v any, gen uint64) {
	c.mu.Lock()
	if gen != c.gen {
		c.mu.Unlock()
		return
	}
	if len(c.m) >= c.max {
		clear(c.m)
	}
	c.m[key] = v
	c.mu.Unlock()
}

func (c *Cache) Invalidate(context.Context) {
	c.mu.Lock()
	clear(c.m)
	c.gen++
	c.mu.Unlock()
}

// Len reports the number of entries.
func (c *Cache) Len() int {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return len(c.m)
}
