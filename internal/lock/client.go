package lock

import (
	"context"
	crand "crypto/rand"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"time"
)

// Client is a Locker over a Backend: it adds waiting, leases with a
// watchdog, validity tracking, multi-key ordering and metrics.
type Client struct {
	b    Backend
	opts Options
}

var _ Locker = (*Client)(nil)

// New returns a Locker over b. opts are the defaults for every grant.
func New(b Backend, opts ...Option) *Client {
	return &Client{b: b, opts: defaultOptions().with(opts)}
}

// Acquire implements Locker.
func (c *Client) Acquire(ctx context.Context, key string, opts ...Option) (*Lease, error) {
	return c.acquire(ctx, key, c.opts.with(opts), true)
}

// TryLock implements Locker.
func (c *Client) TryLock(ctx context.Context, key string, opts ...Option) (*Lease, error) {
	return c.acquire(ctx, key, c.opts.with(opts), false)
}

// Held implements Locker.
func (c *Client) Held(ctx context.Context) ([]Info, error) {
	infos, err := c.b.Held(ctx)
	if err != nil {
		return nil, fmt.Errorf("lock: list held locks: %w: %w", ErrUnavailable, err)
	}
	slices.SortFunc(infos, func(a, b Info) int {
		if a.Key < b.Key {
			return -1
		} else if a.Key > b.Key {
			return 1
		}
		return 0
	})
	return infos, nil
}

// AcquireMany implements Locker.
func (c *Client) AcquireMany(ctx context.Context, keys []string, opts ...Option) (*LeaseSet, error) {
	o := c.opts.with(opts)
	sorted := slices.Clone(keys)
	slices.Sort(sorted)
	sorted = slices.Compact(sorted)
	if len(sorted) == 0 {
		return nil, errors.New("lock: AcquireMany with no keys")
	}
	set := &LeaseSet{}
	for _, k := range sorted {
		l, err := c.acquire(ctx, k, o, true)
		if err != nil {
			_ = set.Release()
			return nil, err
		}
		set.leases = append(set.leases, l)
	}
	set.start(context.WithoutCancel(ctx))
	return set, nil
}

func (c *Client) acquire(ctx context.Context, key string, o Options, wait bool) (l *Lease, err error) {
	parent := ctx // the lease's context: its release is not part of the acquire span
	ctx, end := o.Trace.Span(ctx, "lock.acquire", "lock.key", key)
	defer func() { end(err) }()
	if key == "" {
		return nil, errors.New("lock: empty key")
	}
	if err := o.validate(); err != nil {
		return nil, err
	}
	m := o.Metrics
	ttl := o.TTL
	if o.MaxHold > 0 && o.MaxHold < ttl {
		ttl = o.MaxHold
	}
	start := time.Now()
	value := crand.Text()
	backoff := o.MinBackoff
	var (
		wake      <-chan struct{}
		lastErr   error
		contended bool
	)
	for {
		if err := ctx.Err(); err != nil {
			m.failed(reasonOf(err))
			if lastErr != nil {
				return nil, fmt.Errorf("lock %q: %w (last error: %w)", key, context.Cause(ctx), lastErr)
			}
			return nil, fmt.Errorf("lock %q: %w", key, context.Cause(ctx))
		}
		sent := time.Now()
		token, hint, err := c.b.Grab(ctx, key, value, o.Holder, ttl)
		if err == nil {
			m.acquired(time.Since(start))
			return newLease(parent, c.b, key, value, token, sent, ttl, o), nil
		}
		if !errors.Is(err, ErrNotAcquired) {
			// The script may have run even though we saw an error (a
			// timeout after sending): free the key if it is ours.
			go func() {
				rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), ReleaseTimeout)
				defer cancel()
				_ = c.b.Release(rctx, key, value)
			}()
			if ctx.Err() != nil {
				continue // our deadline, not the backend's fault
			}
			lastErr = fmt.Errorf("%w: %w", ErrUnavailable, err)
			if !wait {
				m.failed("unavailable")
				return nil, fmt.Errorf("lock %q: %w", key, lastErr)
			}
			hint = 0
		} else {
			lastErr = nil
			if !wait {
				m.failed("busy")
				return nil, fmt.Errorf("lock %q: %w", key, ErrNotAcquired)
			}
			if !contended {
				contended = true
				m.waited()
			}
			if wake == nil {
				var stop func()
				wake, stop = c.b.Watch(ctx, key)
				defer stop()
				continue // try again now that a release would wake us
			}
		}
		d := jitter(backoff)
		if hint > 0 && hint+time.Millisecond < d {
			d = hint + time.Millisecond // the holder's key expires then
		}
		backoff = min(2*backoff, o.MaxBackoff)
		t := time.NewTimer(d)
		select {
		case <-ctx.Done():
		case <-wake:
			backoff = o.MinBackoff
		case <-t.C:
		}
		t.Stop()
	}
}

// jitter returns a duration in [d/2, d].
func jitter(d time.Duration) time.Duration {
	if d <= 1 {
		return d
	}
	return d/2 + rand.N(d/2+1) //nolint:gosec // retry jitter spreads load; nothing to guess
}

func reasonOf(err error) string {
	if errors.Is(err, context.DeadlineExceeded) {
		return "timeout"
	}
	return "canceled"
}
