package throttle

import (
	"container/list"
	"context"
	"sync"
	"time"
)

// MaxKeys bounds how many keys a [Local] remembers. At the bound, recording a
// failure for a new key first drops expired keys and then, if none expired,
// the key whose last failure is oldest. An attacker who wants a victim's
// counter dropped has to fail on MaxKeys other keys between two guesses,
// each of which costs them too.
const MaxKeys = 100_000

// sweepEvery is how often, by the injected clock, a Local scans all keys for
// expired ones. Scanning is O(keys) under the lock, so it is rare; expired
// keys are also ignored, and dropped, whenever they are looked up.
const sweepEvery = time.Minute

// Local is a [Limiter] that keeps counters in process memory: right for a
// single instance, and the default when no Redis is configured. Its memory is
// bounded by [MaxKeys]. It is safe for concurrent use.
type Local struct {
	policy Policy
	now    func() time.Time

	mu        sync.Mutex
	keys      map[string]*list.Element // of *entry
	order     *list.List               // least recently failed at the back
	lastSweep time.Time
	maxKeys   int
}

type entry struct {
	key      string
	failures int
	until    time.Time // locked until; the time of the last failure when not locked
}

// expired reports whether e's failures are forgotten at now.
func (e *entry) expired(p Policy, now time.Time) bool {
	return !now.Before(e.until.Add(p.Window))
}

// NewLocal returns an in-process Limiter with policy p, reading the time from
// now (time.Now when nil). It panics if p is invalid (see [Policy.Validate]):
// policies are fixed in code, so an invalid one is a programming error.
func NewLocal(p Policy, now func() time.Time) *Local {
	if err := p.Validate(); err != nil {
		panic(err)
	}
	if now == nil {
		now = time.Now
	}
	return &Local{
		policy:  p,
		now:     now,
		keys:    make(map[string]*list.Element),
		order:   list.New(),
		maxKeys: MaxKeys,
	}
}

// Check implements [Limiter].
func (l *Local) Check(_ context.Context, key string) (time.Duration, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	l.maybeSweep(now)
	e := l.lookup(key, now)
	if e == nil {
		return 0, nil
	}
	return max(e.until.Sub(now), 0), nil
}

// Fail implements [Limiter].
func (l *Local) Fail(_ context.Context, key string) (time.Duration, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	l.maybeSweep(now)
	var e *entry
	if el, ok := l.keys[key]; ok {
		e = el.Value.(*entry)
		if e.expired(l.policy, now) {
			e.failures = 0
		}
		l.order.MoveToFront(el)
	} else {
		if len(l.keys) >= l.maxKeys {
			l.makeRoom()
		}
		e = &entry{key: key}
		l.keys[key] = l.order.PushFront(e)
	}
	e.failures++
	d := l.policy.Delay(e.failures)
	// A failure never shortens a lockout already in force; it can only
	// happen during one when concurrent attempts both passed Check.
	e.until = later(e.until, now.Add(d))
	return e.until.Sub(now), nil
}

// Reset implements [Limiter].
func (l *Local) Reset(_ context.Context, key string) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if el, ok := l.keys[key]; ok {
		l.remove(el)
	}
	return nil
}

// Len returns the number of keys held, including expired ones not yet
// dropped.
func (l *Local) Len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.keys)
}

// lookup returns key's live entry, dropping it if expired.
func (l *Local) lookup(key string, now time.Time) *entry {
	el, ok := l.keys[key]
	if !ok {
		return nil
	}
	e := el.Value.(*entry)
	if e.expired(l.policy, now) {
		l.remove(el)
		return nil
	}
	return e
}

func (l *Local) remove(el *list.Element) {
	delete(l.keys, el.Value.(*entry).key)
	l.order.Remove(el)
}

func (l *Local) maybeSweep(now time.Time) {
	if now.Sub(l.lastSweep) < sweepEvery && !now.Before(l.lastSweep) {
		return
	}
	l.sweep(now)
}

func (l *Local) sweep(now time.Time) {
	l.lastSweep = now
	for el := l.order.Back(); el != nil; {
		prev := el.Prev()
		if el.Value.(*entry).expired(l.policy, now) {
			l.remove(el)
		}
		el = prev
	}
}

// makeRoom drops the least recently failed keys until one more fits.
// Expired keys have already gone in the sweep that Fail ran unless that
// happened within the last sweepEvery; scanning costs O(keys), so a flood of
// new keys must not trigger it on every call.
func (l *Local) makeRoom() {
	for len(l.keys) >= l.maxKeys {
		l.remove(l.order.Back())
	}
}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}
