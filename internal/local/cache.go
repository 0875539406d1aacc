// Package local holds in-process implementations of the ports that Redis
// implements when Ocean runs as several instances: cache now; lock and rate
// limiter later.
package local

import (
	"context"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/oceanshop/ocean/internal/catalog"
)

// Cache is a bounded in-process catalog cache, and the first tier of the
// Redis one. Entries live for their keyspace's TTL with ±10% jitter
// (catalog.CacheTTL); shortly before that a Get may miss on purpose so one
// reader reloads a hot key while the others are still served
// (catalog.RefreshEarly). When full it forgets everything and starts again:
// catalog entries are cheap to rebuild and this keeps Get and Set O(1)
// without per-entry bookkeeping.
//
// Tags: every invalidation moves a sequence number (the generation Gen
// returns) on. Invalidate drops everything; InvalidateTags notes, for each
// tag, the sequence number at which it was dropped. An entry remembers the
// generation its value was loaded in, and is served only while none of its
// tags was dropped after that: a dropped entry is never served, and never
// stored (Set checks the same), without a walk over the entries.
type Cache struct {
	mu       sync.RWMutex
	m        map[string]entry
	max      int
	bytes    int // estimated size of the values held
	maxBytes int
	gen      uint64            // moves on with every invalidation
	full     uint64            // the generation of the last Invalidate
	dropped  map[string]uint64 // tag → the generation it was last dropped in
	now      func() time.Time
	rand     func() float64
	counts   catalog.CacheCounters
}

type entry struct {
	v    any
	exp  time.Time     // expiry
	gap  time.Duration // mean early-refresh lead
	gen  uint64        // the generation the value was loaded in
	tags []string
}

// maxDropped bounds the tags remembered; past it, the next tag
// invalidation drops everything instead (one per product, so only a shop
// with more products than this edits its way there).
const maxDropped = 1 << 17

// MaxBytes bounds the estimated size of what a Cache holds: encoded pages
// ([]byte, string) count their length, other values a fixed estimate.
const MaxBytes = 64 << 20

// Options configure a Cache; the zero value of each field means the default.
type Options struct {
	Entries int              // at most this many entries (default 10000)
	Now     func() time.Time // the clock (time.Now); tests move it
	Rand    func() float64   // uniform in [0, 1) for early refresh (math/rand/v2)
}

// NewCache returns a cache holding at most max entries and MaxBytes.
func NewCache(max int) *Cache { return New(Options{Entries: max}) }

// New returns a cache configured by o.
func New(o Options) *Cache {
	c := &Cache{m: make(map[string]entry), dropped: make(map[string]uint64), max: o.Entries, maxBytes: MaxBytes, now: o.Now, rand: o.Rand}
	if c.max <= 0 {
		c.max = 10000
	}
	if c.now == nil {
		c.now = time.Now
	}
	if c.rand == nil {
		c.rand = rand.Float64
	}
	return c
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

// Get implements catalog.Cache. It misses for an expired entry, and with
// rising probability for one about to expire (an early refresh).
func (c *Cache) Get(_ context.Context, key string) (any, bool) {
	c.mu.RLock()
	e, ok := c.m[key]
	if ok && c.droppedSince(e.gen, e.tags) {
		ok = false
	}
	c.mu.RUnlock()
	if ok {
		now := c.now()
		switch {
		case !now.Before(e.exp):
			ok = false
		case catalog.RefreshEarly(now, e.exp, e.gap, 1-c.rand()):
			ok = false
			c.counts.Refresh(key)
		}
	}
	c.counts.Local(key, ok)
	if !ok {
		return nil, false
	}
	return e.v, true
}

// Gen returns the current generation; Invalidate starts a new one.
func (c *Cache) Gen(context.Context) uint64 {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.gen
}

// droppedSince reports whether one of tags was dropped after generation
// gen (mu held).
func (c *Cache) droppedSince(gen uint64, tags []string) bool {
	for _, t := range tags {
		if c.dropped[t] > gen {
			return true
		}
	}
	return false
}

// Set stores v for its keyspace's TTL unless the cache, or one of tags, was
// invalidated since generation gen was read: a value computed before a
// write must not outlive it.
func (c *Cache) Set(ctx context.Context, key string, v any, gen uint64, tags ...string) {
	ttl, _ := catalog.CacheTTL(key)
	c.Put(ctx, key, v, gen, catalog.Jitter(ttl), tags...)
}

// SetMany implements catalog.BatchCache.
func (c *Cache) SetMany(ctx context.Context, keys []string, vals []any, gen uint64, tags ...[]string) {
	for i, k := range keys {
		var t []string
		if i < len(tags) {
			t = tags[i]
		}
		c.Set(ctx, k, vals[i], gen, t...)
	}
}

// GetMany implements catalog.BatchCache.
func (c *Cache) GetMany(ctx context.Context, keys []string) []any {
	out := make([]any, len(keys))
	for i, k := range keys {
		out[i], _ = c.Get(ctx, k)
	}
	return out
}

// Put is Set with the time to live given (no jitter added). It reports
// whether v was stored: false if the cache or one of tags was invalidated
// since gen.
func (c *Cache) Put(_ context.Context, key string, v any, gen uint64, ttl time.Duration, tags ...string) bool {
	if ttl <= 0 {
		return false
	}
	e := entry{v: v, exp: c.now().Add(ttl), gap: catalog.RefreshGap(ttl), gen: gen, tags: tags}
	c.mu.Lock()
	defer c.mu.Unlock()
	if gen < c.full || gen > c.gen || c.droppedSince(gen, tags) {
		return false
	}
	n := size(key, v)
	if old, ok := c.m[key]; ok {
		c.bytes -= size(key, old.v)
	} else if len(c.m) >= c.max {
		clear(c.m)
		c.bytes = 0
	}
	if c.bytes+n > c.maxBytes {
		clear(c.m)
		c.bytes = 0
	}
	if n <= c.maxBytes {
		c.m[key] = e
		c.bytes += n
	}
	return true
}

// Invalidate implements catalog.Cache.
func (c *Cache) Invalidate(context.Context) {
	c.mu.Lock()
	c.invalidate()
	c.mu.Unlock()
}

func (c *Cache) invalidate() {
	clear(c.m)
	clear(c.dropped)
	c.bytes = 0
	c.gen++
	c.full = c.gen
}

// InvalidateTags implements catalog.Cache: entries tagged with one of tags
// are not served from now on, and values loaded before now are not stored
// under them.
func (c *Cache) InvalidateTags(_ context.Context, tags ...string) {
	if len(tags) == 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.dropped)+len(tags) > maxDropped {
		c.invalidate()
		return
	}
	c.gen++
	for _, t := range tags {
		c.dropped[t] = c.gen
	}
}

// Stats returns the hit and miss counts per keyspace.
func (c *Cache) Stats() catalog.CacheStats { return c.counts.Stats() }

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
