package lock

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/oceanshop/ocean/internal/ocean"
)

// Lease is one grant of a lock. Its Context is cancelled the moment the lock
// is lost or its validity ends; context.Cause(lease.Context()) is one of
// ErrReleased, ErrLockLost, ErrExpired or ErrMaxHold. Always Release it.
type Lease struct {
	b        Backend
	key      string
	value    string
	holder   string
	token    int64
	ttl      time.Duration
	margin   time.Duration
	acquired time.Time
	deadline time.Time // acquired+MaxHold, zero when unlimited
	m        *Metrics
	trace    ocean.SpanFunc

	ctx    context.Context
	cancel context.CancelCauseFunc
	wctx   context.Context // the watchdog's; ends with the lease
	wstop  context.CancelFunc

	mu         sync.Mutex
	validUntil time.Time
	timer      *time.Timer
	ended      bool

	releaseOnce sync.Once
	releaseErr  error
}

func newLease(parent context.Context, b Backend, key, value string, token int64, sent time.Time, ttl time.Duration, o Options) *Lease {
	l := &Lease{
		b: b, key: key, value: value, holder: o.Holder, token: token,
		ttl: o.TTL, margin: margin(o.TTL), acquired: sent, m: o.Metrics, trace: o.Trace,
	}
	if o.MaxHold > 0 {
		l.deadline = sent.Add(o.MaxHold)
	}
	l.ctx, l.cancel = context.WithCancelCause(context.WithoutCancel(parent))
	l.wctx, l.wstop = context.WithCancel(context.Background())
	l.validUntil = sent.Add(ttl - l.margin)
	l.mu.Lock()
	l.timer = time.AfterFunc(time.Until(l.validUntil), l.checkValidity)
	l.mu.Unlock()
	o.Metrics.holding(1)
	if !l.atCap(l.validUntil) {
		go l.watchdog()
	}
	return l
}

// Key returns the locked key.
func (l *Lease) Key() string { return l.key }

// Holder returns the holder name recorded with the grant.
func (l *Lease) Holder() string { return l.holder }

// Token returns the fencing token: strictly greater than the token of every
// earlier grant of the same key. Store it with the data the lock guards.
func (l *Lease) Token() int64 { return l.token }

// Context is cancelled when the lease ends for any reason; it carries the
// values, not the cancellation, of the context given to Acquire.
func (l *Lease) Context() context.Context { return l.ctx }

// ValidUntil returns the current end of validity (local monotonic clock).
func (l *Lease) ValidUntil() time.Time {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.validUntil
}

// Fenced counts a fencing rejection and returns ErrFenced. Call it when a
// write guarded by this lease's token matched no row. The rejection proves
// a newer grant wrote first, so the lease ends then, its context cancelled
// with ErrLockLost, whether or not its validity timer has fired yet (a
// holder frozen past its TTL may resume and write before the timer's
// goroutine runs).
func (l *Lease) Fenced() error {
	_ = l.m.Fenced() // counts; its ErrFenced is wrapped below with the lease's key and token
	l.end(ErrLockLost)
	return fmt.Errorf("lock %q token %d: %w", l.key, l.token, ErrFenced)
}

// Release ends the lease and deletes the key if it still belongs to this
// grant. It ignores any caller context and is bounded by ReleaseTimeout.
// It returns nil when it freed the key, ErrLockLost (wrapped) when the key
// was already gone or taken, an ErrUnavailable error when the backend failed
// (the key then expires by its TTL). Calling it again returns the same result.
func (l *Lease) Release() error {
	l.releaseOnce.Do(func() {
		l.end(ErrReleased)
		sctx, end := l.trace.Span(l.ctx, "lock.release", "lock.key", l.key)
		defer func() { end(l.releaseErr) }()
		// Only the span (values) of the lease's context, not its end.
		ctx, cancel := context.WithTimeout(context.WithoutCancel(sctx), ReleaseTimeout)
		defer cancel()
		err := l.b.Release(ctx, l.key, l.value)
		switch {
		case err == nil:
		case errors.Is(err, ErrLockLost):
			l.releaseErr = fmt.Errorf("lock %q: release: %w", l.key, ErrLockLost)
		default:
			l.releaseErr = fmt.Errorf("lock %q: release: %w: %w", l.key, ErrUnavailable, err)
		}
	})
	return l.releaseErr
}

// end finishes the lease once: stops the watchdog and the validity timer,
// cancels the context with cause, records metrics.
func (l *Lease) end(cause error) {
	l.mu.Lock()
	if l.ended {
		l.mu.Unlock()
		return
	}
	l.ended = true
	l.timer.Stop()
	l.mu.Unlock()
	l.wstop()
	l.m.ended(cause, time.Since(l.acquired)) // before anyone sees ctx done
	l.cancel(cause)
}

// checkValidity runs when the validity timer fires.
func (l *Lease) checkValidity() {
	l.mu.Lock()
	if l.ended {
		l.mu.Unlock()
		return
	}
	if left := time.Until(l.validUntil); left > 0 { // extended meanwhile
		l.timer.Reset(left)
		l.mu.Unlock()
		return
	}
	cause := ErrExpired
	if l.atCap(l.validUntil) {
		cause = ErrMaxHold
	}
	l.mu.Unlock()
	l.end(cause)
}

// atCap reports whether validity v reaches the MaxHold deadline, so no
// extension can lengthen it.
func (l *Lease) atCap(v time.Time) bool {
	return !l.deadline.IsZero() && !l.deadline.Add(-l.margin).After(v)
}

// watchdog extends the key every TTL/3 until the lease ends, retrying
// transient errors until the validity runs out.
func (l *Lease) watchdog() {
	interval := l.ttl / 3
	retry := max(l.ttl/10, time.Millisecond)
	next := l.acquired.Add(interval)
	for {
		t := time.NewTimer(time.Until(next))
		select {
		case <-l.wctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
		l.mu.Lock()
		validUntil := l.validUntil
		l.mu.Unlock()
		sent := time.Now()
		ext := l.ttl
		if !l.deadline.IsZero() {
			ext = min(ext, l.deadline.Sub(sent))
			if !sent.Add(ext - l.margin).After(validUntil) {
				return // MaxHold reached: nothing left to extend
			}
		}
		ctx, cancel := context.WithDeadline(l.wctx, validUntil)
		err := l.b.Extend(ctx, l.key, l.value, ext)
		cancel()
		switch {
		case err == nil:
			l.mu.Lock()
			if l.ended {
				l.mu.Unlock()
				return
			}
			v := sent.Add(ext - l.margin)
			if v.After(l.validUntil) {
				l.validUntil = v
				l.timer.Reset(time.Until(v))
			}
			l.mu.Unlock()
			l.m.extended()
			if l.atCap(v) {
				return // extended up to MaxHold; the timer ends the lease
			}
			next = sent.Add(interval)
		case errors.Is(err, ErrLockLost):
			if l.wctx.Err() == nil {
				l.end(ErrLockLost)
			}
			return
		default:
			if l.wctx.Err() != nil {
				return
			}
			l.m.extendFailed()
			next = time.Now().Add(jitter(retry))
		}
	}
}

// LeaseSet is the result of AcquireMany: one lease per distinct key.
type LeaseSet struct {
	leases []*Lease
	ctx    context.Context
	cancel context.CancelCauseFunc
}

func (s *LeaseSet) start(parent context.Context) {
	s.ctx, s.cancel = context.WithCancelCause(parent)
	for _, l := range s.leases {
		context.AfterFunc(l.ctx, func() { s.cancel(context.Cause(l.ctx)) })
	}
}

// Leases returns the leases in key order.
func (s *LeaseSet) Leases() []*Lease { return s.leases }

// Token returns the fencing token for key, 0 if key is not in the set.
func (s *LeaseSet) Token(key string) int64 {
	for _, l := range s.leases {
		if l.key == key {
			return l.token
		}
	}
	return 0
}

// Context is cancelled as soon as any of the leases ends.
func (s *LeaseSet) Context() context.Context { return s.ctx }

// Release releases every lease (in reverse order) and joins their errors.
func (s *LeaseSet) Release() error {
	var errs []error
	for i := len(s.leases) - 1; i >= 0; i-- {
		if err := s.leases[i].Release(); err != nil {
			errs = append(errs, err)
		}
	}
	if s.cancel != nil {
		s.cancel(ErrReleased)
	}
	return errors.Join(errs...)
}
