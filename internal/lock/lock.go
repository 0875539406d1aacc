package lock

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"time"

	"github.com/oceanshop/ocean/internal/ocean"
)

// Locker grants leases on named keys. Implementations: lock/redis and
// lock/local. All methods are safe for concurrent use.
type Locker interface {
	// Acquire waits until key is granted or ctx ends. The error then wraps
	// ctx.Err() (and the last backend error, if any). Backend failures that
	// outlast ctx wrap ErrUnavailable.
	Acquire(ctx context.Context, key string, opts ...Option) (*Lease, error)
	// TryLock makes one attempt and returns ErrNotAcquired at once when key
	// is held.
	TryLock(ctx context.Context, key string, opts ...Option) (*Lease, error)
	// AcquireMany takes every key, in sorted order without duplicates,
	// waiting like Acquire. On failure it releases what it took.
	AcquireMany(ctx context.Context, keys []string, opts ...Option) (*LeaseSet, error)
	// Held lists the locks held right now, by any holder, sorted by key.
	Held(ctx context.Context) ([]Info, error)
}

// Info describes one held lock, for the admin dashboard.
type Info struct {
	Key      string        // the key as the caller named it
	Holder   string        // the holder/instance name given at grant
	Token    int64         // fencing token of the grant
	Acquired time.Time     // when it was granted (backend clock)
	Age      time.Duration // time since grant
	TTL      time.Duration // time until the key expires unless extended
}

var (
	// ErrNotAcquired: the key is held by someone else (TryLock).
	ErrNotAcquired = errors.New("lock: not acquired, held by another holder")
	// ErrLockLost: the backend no longer holds the key for this lease (it
	// expired there, or was taken or deleted).
	ErrLockLost = errors.New("lock: lost")
	// ErrExpired: the lease's validity ended before an extension was
	// confirmed (the backend was unreachable or too slow).
	ErrExpired = errors.New("lock: validity expired without a confirmed extension")
	// ErrMaxHold: the lease reached its maximum hold time.
	ErrMaxHold = errors.New("lock: maximum hold time reached")
	// ErrReleased: the lease was released by its holder.
	ErrReleased = errors.New("lock: released")
	// ErrUnavailable wraps backend (Redis) failures.
	ErrUnavailable = errors.New("lock: backend unavailable")
	// ErrFenced: a write guarded by a fencing token matched no row because
	// a newer token already wrote. Return it (via Lease.Fenced or
	// Metrics.Fenced) when `… AND fence < $token` updates 0 rows.
	ErrFenced = errors.New("lock: write rejected by fencing token (a newer holder wrote first)")
)

// Backend is the storage primitive a Locker is built on. Values are random
// per grant; every operation that changes a key compares the value first.
// Errors other than the documented sentinels are treated as transient.
type Backend interface {
	// Grab sets key to value for ttl if it is free and returns the new
	// fencing token, strictly greater than any earlier token for key. When
	// key is held it returns ErrNotAcquired and, if known, how long the
	// holder's key lives at most (0 when unknown).
	Grab(ctx context.Context, key, value, holder string, ttl time.Duration) (token int64, wait time.Duration, err error)
	// Extend resets key's TTL if it still holds value, else ErrLockLost.
	Extend(ctx context.Context, key, value string, ttl time.Duration) error
	// Release deletes key if it still holds value (and wakes waiters), else
	// ErrLockLost.
	Release(ctx context.Context, key, value string) error
	// Watch registers interest in key's release: wake receives a value
	// (non-blocking send, buffer 1) whenever key may have been released.
	// Watch returns once the registration is effective (or after a short
	// bound, in which case waiters fall back to polling). stop unregisters.
	Watch(ctx context.Context, key string) (wake <-chan struct{}, stop func())
	// Held lists live keys.
	Held(ctx context.Context) ([]Info, error)
}

// Defaults.
const (
	DefaultTTL        = 10 * time.Second
	DefaultMaxHold    = time.Minute
	DefaultMinBackoff = 10 * time.Millisecond
	DefaultMaxBackoff = 500 * time.Millisecond
	// ReleaseTimeout bounds Release, which ignores the caller's context.
	ReleaseTimeout = 2 * time.Second
	minTTL         = 10 * time.Millisecond
)

// Options are the settings of a grant. Set them with Option functions, as
// defaults in New and per call.
type Options struct {
	TTL        time.Duration // key lifetime per grant/extension
	MaxHold    time.Duration // 0: no limit
	Holder     string        // instance name shown by Held
	MinBackoff time.Duration // first fallback poll interval while waiting
	MaxBackoff time.Duration // largest fallback poll interval
	Metrics    *Metrics
	Trace      ocean.SpanFunc // spans lock.acquire and lock.release (nil: none)
}

// Option changes Options.
type Option func(*Options)

// WithTTL sets the TTL (default 10s, at least 10ms). The watchdog extends
// every TTL/3; a holder that dies keeps others out for at most TTL.
func WithTTL(d time.Duration) Option { return func(o *Options) { o.TTL = d } }

// WithMaxHold bounds how long the watchdog keeps a lease alive (default
// 1 minute); 0 means no limit (leader election).
func WithMaxHold(d time.Duration) Option { return func(o *Options) { o.MaxHold = d } }

// WithHolder names the holder (default hostname:pid).
func WithHolder(name string) Option { return func(o *Options) { o.Holder = name } }

// WithBackoff sets the fallback poll bounds while waiting (default 10ms to
// 500ms, jittered, doubling).
func WithBackoff(min, max time.Duration) Option {
	return func(o *Options) { o.MinBackoff, o.MaxBackoff = min, max }
}

// WithMetrics records metrics on m (nil: none).
func WithMetrics(m *Metrics) Option { return func(o *Options) { o.Metrics = m } }

// WithTrace traces every acquire (from the call to the grant, waiting
// included) and release as spans lock.acquire and lock.release with the
// attribute lock.key (nil: none).
func WithTrace(f ocean.SpanFunc) Option { return func(o *Options) { o.Trace = f } }

func defaultOptions() Options {
	host, _ := os.Hostname()
	if host == "" {
		host = "ocean"
	}
	return Options{
		TTL:        DefaultTTL,
		MaxHold:    DefaultMaxHold,
		Holder:     host + ":" + strconv.Itoa(os.Getpid()),
		MinBackoff: DefaultMinBackoff,
		MaxBackoff: DefaultMaxBackoff,
	}
}

func (o Options) with(opts []Option) Options {
	for _, f := range opts {
		f(&o)
	}
	return o
}

func (o Options) validate() error {
	switch {
	case o.TTL < minTTL:
		return fmt.Errorf("lock: TTL %v is below the minimum %v", o.TTL, minTTL)
	case o.MaxHold < 0:
		return fmt.Errorf("lock: negative MaxHold %v", o.MaxHold)
	case o.MinBackoff <= 0 || o.MaxBackoff < o.MinBackoff:
		return fmt.Errorf("lock: bad backoff bounds %v..%v", o.MinBackoff, o.MaxBackoff)
	}
	return nil
}

// margin is the clock-drift allowance subtracted from every validity.
func margin(ttl time.Duration) time.Duration { return ttl/100 + 2*time.Millisecond }
