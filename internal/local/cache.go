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
	mu       sync.RWMutex
	m        map[string]any
	max      int
	bytes    int // estimated size of the values held
	maxBytes int
	gen      uint64
}

// MaxBytes bounds the estimated size of what a Cache holds: encoded pages
// ([]byte, string) count their length, other values a fixed estimate.
const MaxBytes = 64 << 20

// NewCache returns a cache holding at most max entries and MaxBytes.
func NewCache(max int) *Cache {
	return &Cache{m: make(map[string]any), max: max, maxBytes: MaxBytes}
}

func size(key string, v any) int {
	n := len(key) + 64
	switch v := v.(type) {
	case []byte:
		n += len(v)
	case string:
		n += len(v)
	default:
		n += 512
	}
	return n
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
	n := size(key, v)
	if old, ok := c.m[key]; ok {
		c.bytes -= size(key, old)
	} else if len(c.m) >= c.max {
		clear(c.m)
		c.bytes = 0
	}
	if c.bytes+n > c.maxBytes {
		clear(c.m)
		c.bytes = 0
	}
	if n <= c.maxBytes {
		c.m[key] = v
		c.bytes += n
	}
	c.mu.Unlock()
}

func (c *Cache) Invalidate(context.Context) {
	c.mu.Lock()
	clear(c.m)
	c.bytes = 0
	c.gen++
	c.mu.Unlock()
}

// Len reports the number of entries.
func (c *Cache) Len() int {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return len(c.m)
}

// Bytes reports the estimated size of the values held.
func (c *Cache) Bytes() int {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.bytes
}
