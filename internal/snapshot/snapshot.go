// Package snapshot keeps a value read from data that changes rarely and is
// read on every request: the shop's settings, a product's photos. A page
// used to read them from the database each time; under load those small
// reads queued for the database's connections with everything else
// (docs/performance.md).
//
// A Cache hands out one *Snapshot per version of the value: it reads the
// value again at once after a write on this instance (its generation
// moved), and at most once a TTL otherwise (another instance's write shows
// within it). A reread that finds the same value (Equal) keeps the same
// *Snapshot, so a reader that keeps something derived from it (a rendered
// page) can tell whether it is still current by comparing pointers.
package snapshot

import (
	"context"
	"sync"
	"time"
)

// Snapshot is one version of a value.
type Snapshot[T any] struct {
	Value T
}

// Cache keeps the current Snapshot of a value. Set Read (required), TTL,
// Gen and Equal before the first Get; a Cache must not be copied after.
type Cache[T any] struct {
	// Read reads the value from its source.
	Read func(ctx context.Context) (T, error)
	// TTL is how long a read is trusted while Gen stays the same: the
	// bound on how late a write made elsewhere (another instance) shows.
	TTL time.Duration
	// Gen moves on with every write to the value made through this
	// process, before and after it (nil: none are; only TTL applies).
	Gen func() uint64
	// Equal reports whether two reads are the same value; nil: a reread
	// is always a new Snapshot.
	Equal func(a, b T) bool
	// Now is the clock (nil: time.Now); tests move it.
	Now func() time.Time

	mu      sync.Mutex
	cur     *Snapshot[T]
	gen     uint64
	checked time.Time
	reading sync.Mutex // one reread at a time
}

func (c *Cache[T]) now() time.Time {
	if c.Now != nil {
		return c.Now()
	}
	return time.Now()
}

func (c *Cache[T]) generation() uint64 {
	if c.Gen != nil {
		return c.Gen()
	}
	return 0
}

// Get returns the current Snapshot. After a write through this process it
// reads the value again before answering (callers wait for that one
// read); when only the TTL ran out, one caller reads it again and the
// others are answered with the snapshot they would have had a moment
// earlier. A failed read is returned as an error only when there is no
// snapshot of the current generation to fall back to.
func (c *Cache[T]) Get(ctx context.Context) (*Snapshot[T], error) {
	gen := c.generation()
	c.mu.Lock()
	cur, sameGen, fresh := c.cur, c.cur != nil && c.gen == gen, c.now().Sub(c.checked) < c.TTL
	c.mu.Unlock()
	if sameGen && fresh {
		return cur, nil
	}
	if sameGen {
		// Expired only: one caller rereads, the others go on with it.
		if !c.reading.TryLock() {
			return cur, nil
		}
	} else {
		c.reading.Lock()
		// Someone may have read it while this caller waited.
		c.mu.Lock()
		cur, sameGen, fresh = c.cur, c.cur != nil && c.gen == gen, c.now().Sub(c.checked) < c.TTL
		c.mu.Unlock()
		if sameGen && fresh {
			c.reading.Unlock()
			return cur, nil
		}
	}
	defer c.reading.Unlock()
	// The generation is read again before the value: a write that starts
	// during the read moves it, and the next Get reads again.
	gen = c.generation()
	v, err := c.Read(ctx)
	if err != nil {
		if sameGen {
			return cur, nil
		}
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.cur == nil || c.Equal == nil || !c.Equal(c.cur.Value, v) {
		c.cur = &Snapshot[T]{Value: v}
	}
	c.gen, c.checked = gen, c.now()
	return c.cur, nil
}

// Forget drops the snapshot: the next Get reads the value again.
func (c *Cache[T]) Forget() {
	c.mu.Lock()
	c.cur = nil
	c.mu.Unlock()
}
