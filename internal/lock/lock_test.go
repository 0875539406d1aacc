package lock_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/oceanshop/ocean/internal/lock"
	"github.com/oceanshop/ocean/internal/lock/local"
	"github.com/oceanshop/ocean/internal/lock/locktest"
)

var errBoom = errors.New("boom: connection refused")

// flaky wraps the in-process backend with switchable failures.
type flaky struct {
	*local.Backend
	down     atomic.Bool // every call fails
	lost     atomic.Bool // Extend answers "not yours"
	lateGrab atomic.Bool // Grab succeeds but reports an error (timeout after send)
	heldDown atomic.Bool // Held fails
}

func (f *flaky) Grab(ctx context.Context, key, value, holder string, ttl time.Duration) (int64, time.Duration, error) {
	if f.down.Load() {
		return 0, 0, errBoom
	}
	tok, wait, err := f.Backend.Grab(ctx, key, value, holder, ttl)
	if err == nil && f.lateGrab.Load() {
		return 0, 0, context.DeadlineExceeded
	}
	return tok, wait, err
}

func (f *flaky) Extend(ctx context.Context, key, value string, ttl time.Duration) error {
	if f.down.Load() {
		return errBoom
	}
	if f.lost.Load() {
		return lock.ErrLockLost
	}
	return f.Backend.Extend(ctx, key, value, ttl)
}

func (f *flaky) Release(ctx context.Context, key, value string) error {
	if f.down.Load() {
		return errBoom
	}
	return f.Backend.Release(ctx, key, value)
}

func (f *flaky) Held(ctx context.Context) ([]lock.Info, error) {
	if f.heldDown.Load() {
		return nil, errBoom
	}
	return f.Backend.Held(ctx)
}

func setup(t *testing.T) (*flaky, *lock.Client, *lock.Metrics) {
	m := lock.NewMetrics()
	f := &flaky{Backend: local.NewBackend()}
	return f, lock.New(f, lock.WithMetrics(m), lock.WithMaxHold(0)), m
}

func acquire(t *testing.T, l lock.Locker, key string, opts ...lock.Option) *lock.Lease {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	lease, err := l.Acquire(ctx, key, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { lease.Release() })
	return lease
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// The outage lasts from the failed extension until the test sees it and
// ends it: the TTL leaves room for that on a busy machine (at 300 ms a test
// goroutine kept waiting for 200 ms was enough to let the lease expire).
func TestWatchdogSurvivesTransientErrors(t *testing.T) {
	f, l, reg := setup(t)
	lease := acquire(t, l, "k", lock.WithTTL(2*time.Second))
	waitFor(t, "a first extension", func() bool { return locktest.Metric(t, reg, "ocean_lock_extensions_total") >= 1 })
	f.down.Store(true)
	waitFor(t, "a failed extension", func() bool { return locktest.Metric(t, reg, "ocean_lock_extension_failures_total") >= 1 })
	f.down.Store(false)
	n := locktest.Metric(t, reg, "ocean_lock_extensions_total")
	waitFor(t, "extensions to resume", func() bool { return locktest.Metric(t, reg, "ocean_lock_extensions_total") >= n+2 })
	if err := lease.Context().Err(); err != nil {
		t.Fatalf("a short outage ended the lease: %v", context.Cause(lease.Context()))
	}
}

func TestOutageLongerThanValidityExpiresLease(t *testing.T) {
	f, l, reg := setup(t)
	lease := acquire(t, l, "k", lock.WithTTL(300*time.Millisecond))
	f.down.Store(true)
	<-lease.Context().Done()
	if c := context.Cause(lease.Context()); !errors.Is(c, lock.ErrExpired) {
		t.Fatalf("cause %v, want ErrExpired", c)
	}
	if got := locktest.Metric(t, reg, "ocean_lock_lost_total", "reason", "expired"); got != 1 {
		t.Fatalf("lost{expired} = %v", got)
	}
	if err := lease.Release(); !errors.Is(err, lock.ErrUnavailable) {
		t.Fatalf("Release with the backend down: %v, want ErrUnavailable", err)
	}
	f.down.Store(false)
	// The key expired in the backend too: someone else gets a newer token.
	next := acquire(t, l, "k")
	if next.Token() <= lease.Token() {
		t.Fatalf("token %d after %d", next.Token(), lease.Token())
	}
}

func TestLostKeyCancelsAtOnce(t *testing.T) {
	f, l, reg := setup(t)
	lease := acquire(t, l, "k", lock.WithTTL(600*time.Millisecond))
	f.lost.Store(true)
	<-lease.Context().Done() // the next extension says "not yours"
	if c := context.Cause(lease.Context()); !errors.Is(c, lock.ErrLockLost) {
		t.Fatalf("cause %v, want ErrLockLost", c)
	}
	if got := locktest.Metric(t, reg, "ocean_lock_lost_total", "reason", "lost"); got != 1 {
		t.Fatalf("lost{lost} = %v", got)
	}
}

func TestBackendDown(t *testing.T) {
	f, l, reg := setup(t)
	f.down.Store(true)
	if _, err := l.TryLock(context.Background(), "k"); !errors.Is(err, lock.ErrUnavailable) {
		t.Fatalf("TryLock: %v, want ErrUnavailable", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	_, err := l.Acquire(ctx, "k")
	if !errors.Is(err, context.DeadlineExceeded) || !errors.Is(err, lock.ErrUnavailable) || !errors.Is(err, errBoom) {
		t.Fatalf("Acquire: %v, want DeadlineExceeded wrapping the backend error", err)
	}
	if _, err := l.Held(context.Background()); err != nil {
		t.Fatal(err) // local Held never fails; the wrapper does not fail it
	}
	if got := locktest.Metric(t, reg, "ocean_lock_acquire_failures_total", "reason", "unavailable"); got != 1 {
		t.Fatalf("failures{unavailable} = %v", got)
	}
}

// A grant whose reply was lost must not keep the key for a whole TTL.
func TestLostGrantReplyFreesKey(t *testing.T) {
	f, l, _ := setup(t)
	f.lateGrab.Store(true)
	if _, err := l.TryLock(context.Background(), "k", lock.WithTTL(time.Hour)); !errors.Is(err, lock.ErrUnavailable) {
		t.Fatalf("TryLock: %v", err)
	}
	f.lateGrab.Store(false)
	waitFor(t, "the orphaned grant to be released", func() bool {
		lease, err := l.TryLock(context.Background(), "k")
		if err == nil {
			lease.Release()
		}
		return err == nil
	})
}

func TestMetrics(t *testing.T) {
	_, l, reg := setup(t)
	a := acquire(t, l, "k")
	if _, err := l.TryLock(context.Background(), "k"); !errors.Is(err, lock.ErrNotAcquired) {
		t.Fatal(err)
	}
	done := make(chan *lock.Lease)
	go func() {
		lease, err := l.Acquire(context.Background(), "k")
		if err != nil {
			t.Error(err)
		}
		done <- lease
	}()
	waitFor(t, "contention", func() bool { return locktest.Metric(t, reg, "ocean_lock_contended_total") == 1 })
	if got := locktest.Metric(t, reg, "ocean_lock_held"); got != 1 {
		t.Fatalf("held = %v", got)
	}
	a.Release()
	b := <-done
	if err := b.Fenced(); !errors.Is(err, lock.ErrFenced) {
		t.Fatal(err)
	}
	b.Release()
	for name, want := range map[string]float64{
		"ocean_lock_acquisitions_total": 2,
		"ocean_lock_contended_total":    1,
		"ocean_lock_wait_seconds":       2,
		"ocean_lock_hold_seconds":       2,
		"ocean_lock_held":               0,
		"ocean_lock_fenced_total":       1,
		"ocean_lock_lost_total":         1, // b's fenced write: a newer grant wrote first, so b's lease was lost
	} {
		if got := locktest.Metric(t, reg, name); got != want {
			t.Errorf("%s = %v, want %v", name, got, want)
		}
	}
	if got := locktest.Metric(t, reg, "ocean_lock_acquire_failures_total", "reason", "busy"); got != 1 {
		t.Errorf("failures{busy} = %v", got)
	}
	if s := reg.Stats(); s.Wait.Buckets[len(s.Wait.Buckets)-1] != 2 || s.Hold.Mean() < 0 {
		t.Errorf("wait buckets %v, hold mean %v", s.Wait.Buckets, s.Hold.Mean())
	}
	var nilMetrics *lock.Metrics
	if err := nilMetrics.Fenced(); !errors.Is(err, lock.ErrFenced) {
		t.Fatal(err)
	}
}

func TestAcquireManyAndLeaseSet(t *testing.T) {
	f, c, _ := setup(t)
	ctx := context.Background()
	// A TTL long enough that the set is still valid and held when checked
	// on a busy machine; a loss is seen at the next extension (TTL/3).
	set, err := c.AcquireMany(ctx, []string{"variant:9", "variant:2", "variant:9"}, lock.WithTTL(2*time.Second), lock.WithHolder("node-a"))
	if err != nil {
		t.Fatal(err)
	}
	ls := set.Leases()
	if len(ls) != 2 || ls[0].Key() != "variant:2" || ls[1].Key() != "variant:9" || ls[0].Holder() != "node-a" {
		t.Fatalf("leases not sorted and deduplicated: %v", ls)
	}
	if set.Token("variant:2") != ls[0].Token() || set.Token("variant:9") == 0 || set.Token("other") != 0 {
		t.Fatal("tokens")
	}
	if !ls[0].ValidUntil().After(time.Now()) {
		t.Fatal("validity in the past")
	}
	held, err := c.Held(ctx)
	if err != nil || len(held) != 2 || held[0].Key != "variant:2" || held[1].Holder != "node-a" {
		t.Fatalf("%v %+v", err, held)
	}
	// One lease lost ends the set's context.
	f.lost.Store(true)
	waitFor(t, "the set's context", func() bool { return set.Context().Err() != nil })
	f.lost.Store(false)
	_ = set.Release()

	// A key already held: the keys taken before it are given back.
	other := acquire(t, c, "variant:5")
	tctx, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	if _, err := c.AcquireMany(tctx, []string{"variant:1", "variant:5"}); err == nil {
		t.Fatal("acquired a held key")
	}
	if l, err := c.TryLock(ctx, "variant:1"); err != nil {
		t.Fatal("the first key stayed held after the failure:", err)
	} else {
		_ = l.Release()
	}
	_ = other.Release()
	if _, err := c.AcquireMany(ctx, nil); err == nil {
		t.Fatal("no keys accepted")
	}
	set, err = c.AcquireMany(ctx, []string{"a"})
	if err != nil {
		t.Fatal(err)
	}
	if err := set.Release(); err != nil || set.Context().Err() == nil {
		t.Fatal("release")
	}
}

func TestOptionsAndHeldFailures(t *testing.T) {
	f, c, _ := setup(t)
	ctx := context.Background()
	for name, o := range map[string]lock.Option{
		"ttl": lock.WithTTL(time.Millisecond), "max hold": lock.WithMaxHold(-time.Second),
		"backoff": lock.WithBackoff(time.Second, time.Millisecond), "zero backoff": lock.WithBackoff(0, time.Second),
	} {
		if _, err := c.TryLock(ctx, "k", o); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if _, err := c.TryLock(ctx, ""); err == nil {
		t.Error("empty key accepted")
	}
	// A short backoff is honoured while waiting.
	l := acquire(t, c, "k", lock.WithTTL(300*time.Millisecond))
	go func() { time.Sleep(20 * time.Millisecond); _ = l.Release() }()
	wctx, cancel := context.WithTimeout(ctx, patienceWait)
	defer cancel()
	l2, err := c.Acquire(wctx, "k", lock.WithBackoff(time.Millisecond, 2*time.Millisecond), lock.WithTTL(300*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	_ = l2.Release()
	f.heldDown.Store(true)
	if _, err := c.Held(ctx); !errors.Is(err, lock.ErrUnavailable) {
		t.Fatalf("%v", err)
	}
}

// A lease whose max hold is shorter than its TTL ends at the max hold.
func TestMaxHoldShorterThanTTL(t *testing.T) {
	_, c, _ := setup(t)
	l := acquire(t, c, "k", lock.WithTTL(time.Second), lock.WithMaxHold(30*time.Millisecond))
	waitFor(t, "the end of the hold", func() bool { return l.Context().Err() != nil })
	if !errors.Is(context.Cause(l.Context()), lock.ErrMaxHold) {
		t.Fatalf("cause %v", context.Cause(l.Context()))
	}
}

const patienceWait = 20 * time.Second
