// Package local is the in-process implementation of lock.Locker, for the
// embedded single-instance default. It has the semantics of lock/redis: keys
// expire after their TTL, every grant gets a fencing token, leases have a
// watchdog and a context, waiters wake on release.
//
// Tokens come from one process-wide sequence, max(last+1, wall clock in
// microseconds), so they keep increasing across a restart of the process (the
// database that stores fence values outlives it).
package local

import (
	"context"
	"sync"
	"time"

	"github.com/oceanshop/ocean/internal/lock"
)

// New returns an in-process Locker; opts are defaults for every grant.
func New(opts ...lock.Option) *lock.Client {
	return lock.New(NewBackend(), opts...)
}

// Backend is the in-process lock.Backend.
type Backend struct {
	mu      sync.Mutex
	keys    map[string]*entry
	waiters map[string]map[chan struct{}]struct{}
	last    int64 // last token
	ops     int
}

type entry struct {
	value, holder string
	token         int64
	acquired      time.Time
	expires       time.Time
}

var _ lock.Backend = (*Backend)(nil)

// NewBackend returns an empty Backend.
func NewBackend() *Backend {
	return &Backend{keys: map[string]*entry{}, waiters: map[string]map[chan struct{}]struct{}{}}
}

// live returns key's entry if it has not expired; an expired one is dropped.
func (b *Backend) live(key string, now time.Time) *entry {
	e := b.keys[key]
	if e != nil && !now.Before(e.expires) {
		delete(b.keys, key)
		return nil
	}
	return e
}

// Grab implements lock.Backend.
func (b *Backend) Grab(ctx context.Context, key, value, holder string, ttl time.Duration) (int64, time.Duration, error) {
	if err := ctx.Err(); err != nil {
		return 0, 0, err
	}
	now := time.Now()
	b.mu.Lock()
	defer b.mu.Unlock()
	b.sweep(now)
	if e := b.live(key, now); e != nil {
		return 0, e.expires.Sub(now), lock.ErrNotAcquired
	}
	b.last = max(b.last+1, now.UnixMicro())
	b.keys[key] = &entry{value: value, holder: holder, token: b.last, acquired: now, expires: now.Add(ttl)}
	return b.last, 0, nil
}

// sweep drops expired entries now and then, so keys nobody touches again
// do not accumulate.
func (b *Backend) sweep(now time.Time) {
	b.ops++
	if b.ops < 1024 || b.ops < 2*len(b.keys) {
		return
	}
	b.ops = 0
	for k := range b.keys {
		b.live(k, now)
	}
}

// Extend implements lock.Backend.
func (b *Backend) Extend(ctx context.Context, key, value string, ttl time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	now := time.Now()
	b.mu.Lock()
	defer b.mu.Unlock()
	e := b.live(key, now)
	if e == nil || e.value != value {
		return lock.ErrLockLost
	}
	e.expires = now.Add(ttl)
	return nil
}

// Release implements lock.Backend.
func (b *Backend) Release(ctx context.Context, key, value string) error {
	now := time.Now()
	b.mu.Lock()
	defer b.mu.Unlock()
	e := b.live(key, now)
	if e == nil || e.value != value {
		return lock.ErrLockLost
	}
	delete(b.keys, key)
	for ch := range b.waiters[key] {
		select {
		case ch <- struct{}{}:
		default:
		}
	}
	return nil
}

// Watch implements lock.Backend.
func (b *Backend) Watch(ctx context.Context, key string) (<-chan struct{}, func()) {
	ch := make(chan struct{}, 1)
	b.mu.Lock()
	set := b.waiters[key]
	if set == nil {
		set = map[chan struct{}]struct{}{}
		b.waiters[key] = set
	}
	set[ch] = struct{}{}
	b.mu.Unlock()
	return ch, func() {
		b.mu.Lock()
		delete(set, ch)
		if len(set) == 0 && b.waiters[key] != nil && len(b.waiters[key]) == 0 {
			delete(b.waiters, key)
		}
		b.mu.Unlock()
	}
}

// Held implements lock.Backend.
func (b *Backend) Held(ctx context.Context) ([]lock.Info, error) {
	now := time.Now()
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []lock.Info
	for k := range b.keys {
		if e := b.live(k, now); e != nil {
			out = append(out, lock.Info{
				Key: k, Holder: e.holder, Token: e.token, Acquired: e.acquired,
				Age: now.Sub(e.acquired), TTL: e.expires.Sub(now),
			})
		}
	}
	return out, nil
}
