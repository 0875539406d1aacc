// Package local is the in-process rate limiter: the sliding log of package
// ratelimit kept in memory, for a shop that runs as one instance (and as the
// per-instance fallback of the Redis limiter).
//
// Memory is bounded twice. A key holds at most Limit timestamps (8 bytes
// each), only of accepted requests; and each class keeps at most MaxKeys
// keys. Keys are ordered by their last request, accepted or not, so keys idle
// for a whole window (whose log is therefore empty) sit at the end and are
// dropped a few at a time on every call. When a class is full, the least
// recently seen key is dropped to make room: a client hammering its limit
// stays, while a flood of one-off keys pushes out only other one-off keys.
package local

import (
	"context"
	"sync"
	"time"

	"github.com/oceanshop/ocean/internal/ratelimit"
)

// DefaultMaxKeys is the number of keys per class kept when Options.MaxKeys
// is 0.
const DefaultMaxKeys = 100_000

// Options tune a Limiter; the zero value is fine.
type Options struct {
	// MaxKeys bounds the keys kept per class (DefaultMaxKeys if 0). While
	// more keys than that are active within one window, the limit of the
	// least recently accepted keys is forgotten early.
	MaxKeys int

	// Now is the clock (time.Now if nil); tests pass a fake one. It
	// should not go backwards; if it does, logged requests stay in the
	// window longer, never shorter.
	Now func() time.Time
}

// Limiter is the in-memory sliding-log limiter. The zero value is not
// usable; call New.
type Limiter struct {
	classes map[string]*class
	now     func() time.Time
	epoch   time.Time
}

type class struct {
	policy ratelimit.Policy
	window int64 // ns
	max    int

	mu   sync.Mutex
	keys map[string]*entry
	// Doubly linked list ordered by last request: head is the most
	// recent. A key not seen for a window has an empty log, so sweeping
	// stops at the first tail key seen within the window.
	head, tail *entry
}

type entry struct {
	key        string
	seen       int64 // time of the last request, accepted or not
	log        ring
	prev, next *entry
}

// New returns a limiter for the given policies.
func New(policies []ratelimit.Policy, opt Options) (*Limiter, error) {
	idx, err := ratelimit.Index(policies)
	if err != nil {
		return nil, err
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if opt.MaxKeys <= 0 {
		opt.MaxKeys = DefaultMaxKeys
	}
	l := &Limiter{classes: make(map[string]*class, len(idx)), now: opt.Now, epoch: opt.Now()}
	for name, p := range idx {
		l.classes[name] = &class{policy: p, window: int64(p.Window), max: opt.MaxKeys, keys: make(map[string]*entry)}
	}
	return l, nil
}

// Allow implements ratelimit.Limiter. It never fails for a known class.
func (l *Limiter) Allow(_ context.Context, className, key string) (ratelimit.Decision, error) {
	c, ok := l.classes[className]
	if !ok {
		return ratelimit.UnknownClass(className)
	}
	p := c.policy
	if p.Off() {
		return ratelimit.Unlimited(p), nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	// Nanoseconds since the limiter was made (monotonic with time.Now),
	// read under the lock so that keys enter the list in time order.
	now := int64(l.now().Sub(l.epoch))
	c.sweep(now, 2)
	e := c.keys[key]
	if e != nil {
		e.log.expire(now - c.window)
	}
	n := 0
	if e != nil {
		n = e.log.len()
	}
	d := ratelimit.Decision{Policy: p}
	if e == nil {
		if len(c.keys) >= c.max {
			c.evict(c.tail)
		}
		e = &entry{key: key}
		c.keys[key] = e
	} else {
		c.unlink(e)
	}
	e.seen = max(e.seen, now)
	c.pushFront(e)
	if n >= p.Limit {
		// The request that frees a slot for this one is the oldest.
		d.RetryAfter = clamp(e.log.at(n-p.Limit)+c.window-now, c.window)
		d.Reset = clamp(e.log.at(0)+c.window-now, c.window)
		return d, nil
	}
	e.log.push(now, p.Limit)
	d.Allowed = true
	d.Remaining = p.Limit - e.log.len()
	d.Reset = clamp(e.log.at(0)+c.window-now, c.window)
	return d, nil
}

// clamp keeps a wait within (0, window]: positive because a logged request
// is in the window until strictly after its time + window, and no longer
// than a window even if the clock stepped back.
func clamp(d, window int64) time.Duration {
	return time.Duration(min(max(d, 1), window))
}

// sweep drops up to n keys not seen for a whole window: every request in
// their log is older than that, so the log is empty.
func (c *class) sweep(now int64, n int) {
	for ; n > 0 && c.tail != nil && c.tail.seen <= now-c.window; n-- {
		c.evict(c.tail)
	}
}

func (c *class) evict(e *entry) {
	c.unlink(e)
	delete(c.keys, e.key)
}

func (c *class) unlink(e *entry) {
	if e.prev != nil {
		e.prev.next = e.next
	} else {
		c.head = e.next
	}
	if e.next != nil {
		e.next.prev = e.prev
	} else {
		c.tail = e.prev
	}
	e.prev, e.next = nil, nil
}

func (c *class) pushFront(e *entry) {
	e.next = c.head
	if c.head != nil {
		c.head.prev = e
	}
	c.head = e
	if c.tail == nil {
		c.tail = e
	}
}

// Len returns the number of keys held for a class (for tests and metrics).
func (l *Limiter) Len(className string) int {
	c, ok := l.classes[className]
	if !ok {
		return 0
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.keys)
}

// ring is a FIFO of timestamps (ns) in non-decreasing order, growing up to
// the limit on demand.
type ring struct {
	buf  []int64
	head int // index of the oldest
	n    int
}

func (r *ring) len() int { return r.n }

// at returns the i-th oldest timestamp.
func (r *ring) at(i int) int64 { return r.buf[(r.head+i)%len(r.buf)] }

func (r *ring) newest() int64 {
	if r.n == 0 {
		return -1 << 62
	}
	return r.at(r.n - 1)
}

// expire drops timestamps at or before cutoff.
func (r *ring) expire(cutoff int64) {
	for r.n > 0 && r.buf[r.head] <= cutoff {
		r.head = (r.head + 1) % len(r.buf)
		r.n--
	}
	if r.n == 0 {
		r.head = 0
	}
}

// push appends t; the caller ensures r.n < limit.
func (r *ring) push(t int64, limit int) {
	if r.n == len(r.buf) {
		// Full buffer: grow (doubling, capped at the limit) and
		// straighten it out.
		size := min(max(2*len(r.buf), 4), limit)
		nb := make([]int64, size)
		for i := range r.n {
			nb[i] = r.at(i)
		}
		r.buf, r.head = nb, 0
	}
	// A clock that stepped back must not break the order the
	// expiry relies on.
	if r.n > 0 {
		t = max(t, r.newest())
	}
	r.buf[(r.head+r.n)%len(r.buf)] = t
	r.n++
}
