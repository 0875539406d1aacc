// Package locktest is the contract every lock.Locker implementation passes.
// It asserts ordering and state, never wall-clock speed: deadlines are
// generous so the suite holds on a loaded machine under -race.
package locktest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/oceanshop/ocean/internal/lock"
)

// ttl is the short TTL of tests that wait for expiry.
const ttl = 300 * time.Millisecond

// patience bounds every wait that should end (long, to stay robust).
const patience = 20 * time.Second

// Contract runs the suite. newLocker is called once per subtest and must
// return a Locker with no locks held.
func Contract(t *testing.T, newLocker func(t *testing.T) lock.Locker) {
	t.Run("MutualExclusion", func(t *testing.T) { mutualExclusion(t, newLocker(t)) })
	t.Run("TokensIncreasePerKey", func(t *testing.T) { tokensIncrease(t, newLocker(t)) })
	t.Run("TryLockOnHeldKeyFailsAtOnce", func(t *testing.T) { tryLockHeld(t, newLocker(t)) })
	t.Run("AcquireRespectsContext", func(t *testing.T) { acquireRespectsContext(t, newLocker(t)) })
	t.Run("WaiterWakesOnRelease", func(t *testing.T) { waiterWakes(t, newLocker(t)) })
	t.Run("ReleaseCancelsLeaseContext", func(t *testing.T) { releaseCancels(t, newLocker(t)) })
	t.Run("ReleaseOfAnotherGrantDoesNothing", func(t *testing.T) { releaseOnlyOwn(t, newLocker(t)) })
	t.Run("ExpiredLease", func(t *testing.T) { expiredLease(t, newLocker(t)) })
	t.Run("WatchdogKeepsLeaseAlive", func(t *testing.T) { watchdog(t, newLocker(t)) })
	t.Run("MaxHoldEndsLease", func(t *testing.T) { maxHold(t, newLocker(t)) })
	t.Run("AcquireManyNoDeadlock", func(t *testing.T) { acquireManyOrder(t, newLocker(t)) })
	t.Run("AcquireManyReleasesOnFailure", func(t *testing.T) { acquireManyFailure(t, newLocker(t)) })
	t.Run("Held", func(t *testing.T) { held(t, newLocker(t)) })
	t.Run("InvalidArguments", func(t *testing.T) { invalid(t, newLocker(t)) })
}

func ctxFor(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

func mustAcquire(t *testing.T, l lock.Locker, key string, opts ...lock.Option) *lock.Lease {
	t.Helper()
	lease, err := l.Acquire(ctxFor(t, patience), key, opts...)
	if err != nil {
		t.Fatalf("Acquire(%q): %v", key, err)
	}
	return lease
}

func waitDone(t *testing.T, ctx context.Context, what string) {
	t.Helper()
	select {
	case <-ctx.Done():
	case <-time.After(patience):
		t.Fatalf("%s: lease context still alive after %v", what, patience)
	}
}

func alive(ctx context.Context) bool { return ctx.Err() == nil }

// held reports whether key is listed by Held, with its Info.
func heldInfo(t *testing.T, l lock.Locker, key string) (lock.Info, bool) {
	t.Helper()
	infos, err := l.Held(ctxFor(t, patience))
	if err != nil {
		t.Fatalf("Held: %v", err)
	}
	for _, in := range infos {
		if in.Key == key {
			return in, true
		}
	}
	return lock.Info{}, false
}

type interval struct {
	enter, exit int64 // logical clock
	token       int64
}

func mutualExclusion(t *testing.T, l lock.Locker) {
	const workers, rounds = 8, 10
	var (
		clock, inside, counter atomic.Int64
		mu                     sync.Mutex
		spans                  []interval
		wg                     sync.WaitGroup
		errs                   = make(chan error, workers)
	)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range rounds {
				lease, err := l.Acquire(ctxFor(t, patience), "counter", lock.WithTTL(5*time.Second), lock.WithHolder(fmt.Sprint("w", w)))
				if err != nil {
					errs <- err
					return
				}
				enter := clock.Add(1)
				if n := inside.Add(1); n != 1 {
					errs <- fmt.Errorf("%d holders inside the critical section", n)
				}
				v := counter.Load() // an unguarded read-modify-write
				time.Sleep(time.Millisecond)
				counter.Store(v + 1)
				if !alive(lease.Context()) {
					errs <- fmt.Errorf("lease context cancelled inside the critical section: %w", context.Cause(lease.Context()))
				}
				inside.Add(-1)
				exit := clock.Add(1)
				mu.Lock()
				spans = append(spans, interval{enter, exit, lease.Token()})
				mu.Unlock()
				if err := lease.Release(); err != nil {
					errs <- fmt.Errorf("release: %w", err)
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if got := counter.Load(); got != int64(len(spans)) || got != workers*rounds {
		t.Fatalf("guarded counter = %d, grants = %d, want %d", got, len(spans), workers*rounds)
	}
	slices.SortFunc(spans, func(a, b interval) int { return int(a.enter - b.enter) })
	for i := 1; i < len(spans); i++ {
		if spans[i].enter < spans[i-1].exit {
			t.Fatalf("critical sections overlap: %+v and %+v", spans[i-1], spans[i])
		}
		if spans[i].token <= spans[i-1].token {
			t.Fatalf("token did not increase with grant order: %d then %d", spans[i-1].token, spans[i].token)
		}
	}
}

func tokensIncrease(t *testing.T, l lock.Locker) {
	var last int64
	for range 5 {
		lease := mustAcquire(t, l, "seq")
		if lease.Token() <= last {
			t.Fatalf("token %d after %d: not strictly increasing", lease.Token(), last)
		}
		last = lease.Token()
		if err := lease.Release(); err != nil {
			t.Fatal(err)
		}
	}
	// Another key has its own, also positive, sequence.
	other := mustAcquire(t, l, "seq-other")
	defer other.Release()
	if other.Token() <= 0 {
		t.Fatalf("token %d, want > 0", other.Token())
	}
}

func tryLockHeld(t *testing.T, l lock.Locker) {
	a := mustAcquire(t, l, "busy", lock.WithTTL(30*time.Second))
	// No deadline on the context: a TryLock that waited would never return.
	done := make(chan error, 1)
	go func() {
		lease, err := l.TryLock(context.Background(), "busy")
		if lease != nil {
			lease.Release()
		}
		done <- err
	}()
	select {
	case err := <-done:
		if !errors.Is(err, lock.ErrNotAcquired) {
			t.Fatalf("TryLock on a held key: %v, want ErrNotAcquired", err)
		}
	case <-time.After(patience):
		t.Fatal("TryLock on a held key did not return")
	}
	if err := a.Release(); err != nil {
		t.Fatal(err)
	}
	b, err := l.TryLock(context.Background(), "busy")
	if err != nil {
		t.Fatalf("TryLock after release: %v", err)
	}
	if b.Token() <= a.Token() {
		t.Fatalf("token %d after %d", b.Token(), a.Token())
	}
	b.Release()
}

func acquireRespectsContext(t *testing.T, l lock.Locker) {
	a := mustAcquire(t, l, "k", lock.WithTTL(30*time.Second))
	defer a.Release()

	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	lease, err := l.Acquire(ctx, "k")
	if lease != nil {
		t.Fatal("Acquire granted a held key")
	}
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Acquire past its deadline: %v, want DeadlineExceeded", err)
	}
	if ctx.Err() == nil {
		t.Fatal("Acquire gave up before its deadline")
	}

	ctx, cancel = context.WithCancel(context.Background())
	go func() { time.Sleep(50 * time.Millisecond); cancel() }()
	if _, err := l.Acquire(ctx, "k"); !errors.Is(err, context.Canceled) {
		t.Fatalf("Acquire with a cancelled context: %v, want Canceled", err)
	}
	if !alive(a.Context()) {
		t.Fatal("a waiter giving up disturbed the holder")
	}
}

func waiterWakes(t *testing.T, l lock.Locker) {
	// The holder's key lives 30s and the waiter's fallback poll is 15-30s:
	// only the release signal can hand it the lock within its 10s.
	a := mustAcquire(t, l, "wake", lock.WithTTL(30*time.Second))
	got := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		lease, err := l.Acquire(ctx, "wake", lock.WithBackoff(30*time.Second, 30*time.Second))
		if err == nil {
			if lease.Token() <= a.Token() {
				err = fmt.Errorf("token %d after %d", lease.Token(), a.Token())
			}
			lease.Release()
		}
		got <- err
	}()
	time.Sleep(200 * time.Millisecond) // let it wait (not needed for correctness)
	if err := a.Release(); err != nil {
		t.Fatal(err)
	}
	if err := <-got; err != nil {
		t.Fatalf("waiter was not woken by the release: %v", err)
	}
}

type ctxKey struct{}

func releaseCancels(t *testing.T, l lock.Locker) {
	ctx, cancel := context.WithCancel(context.WithValue(context.Background(), ctxKey{}, "v"))
	lease, err := l.Acquire(ctx, "r")
	if err != nil {
		t.Fatal(err)
	}
	cancel() // the acquire context ending does not end the lease
	if !alive(lease.Context()) {
		t.Fatal("lease context ended with the Acquire context")
	}
	if lease.Context().Value(ctxKey{}) != "v" {
		t.Fatal("lease context lost the Acquire context's values")
	}
	if err := lease.Release(); err != nil {
		t.Fatal(err)
	}
	if alive(lease.Context()) || !errors.Is(context.Cause(lease.Context()), lock.ErrReleased) {
		t.Fatalf("after Release: cause %v, want ErrReleased", context.Cause(lease.Context()))
	}
	if err := lease.Release(); err != nil {
		t.Fatalf("second Release: %v", err)
	}
	if _, ok := heldInfo(t, l, "r"); ok {
		t.Fatal("released key still listed by Held")
	}
}

func releaseOnlyOwn(t *testing.T, l lock.Locker) {
	// MaxHold = TTL: no extension, the first lease simply runs out.
	old := mustAcquire(t, l, "own", lock.WithTTL(ttl), lock.WithMaxHold(ttl))
	waitDone(t, old.Context(), "lease past its TTL")
	cur := mustAcquire(t, l, "own", lock.WithTTL(30*time.Second))
	defer cur.Release()
	if err := old.Release(); !errors.Is(err, lock.ErrLockLost) {
		t.Fatalf("Release of an expired lease: %v, want ErrLockLost", err)
	}
	if lease, err := l.TryLock(context.Background(), "own"); !errors.Is(err, lock.ErrNotAcquired) {
		if lease != nil {
			lease.Release()
		}
		t.Fatalf("the old holder's Release freed the new holder's lock (TryLock: %v)", err)
	}
	if !alive(cur.Context()) {
		t.Fatal("the old holder's Release ended the new holder's lease")
	}
	if in, ok := heldInfo(t, l, "own"); !ok || in.Token != cur.Token() {
		t.Fatalf("Held = %+v, %v; want the new holder's token %d", in, ok, cur.Token())
	}
	if err := cur.Release(); err != nil {
		t.Fatal(err)
	}
}

func expiredLease(t *testing.T, l lock.Locker) {
	old := mustAcquire(t, l, "exp", lock.WithTTL(ttl), lock.WithMaxHold(ttl))
	// The next holder is granted only when the old key expired; by then the
	// old lease's validity has ended (it ends a safety margin earlier).
	next := mustAcquire(t, l, "exp", lock.WithTTL(30*time.Second))
	defer next.Release()
	if end := old.ValidUntil(); !end.Before(time.Now()) {
		t.Fatalf("next holder granted while the old lease was valid until %v", end)
	}
	waitDone(t, old.Context(), "expired lease")
	if c := context.Cause(old.Context()); !errors.Is(c, lock.ErrMaxHold) && !errors.Is(c, lock.ErrExpired) {
		t.Fatalf("expired lease cause %v", c)
	}
	if next.Token() <= old.Token() {
		t.Fatalf("next holder's token %d is not newer than the expired lease's %d", next.Token(), old.Token())
	}
	old.Release()
	if !alive(next.Context()) {
		t.Fatal("releasing the expired lease ended the next one")
	}
}

func watchdog(t *testing.T, l lock.Locker) {
	// Long enough that a scheduling hiccup of a loaded -race run does not
	// starve the watchdog; the lease still outlives five TTLs.
	const wttl = 600 * time.Millisecond
	lease := mustAcquire(t, l, "wd", lock.WithTTL(wttl), lock.WithMaxHold(0))
	defer lease.Release()
	start := time.Now()
	firstValid := lease.ValidUntil()
	for time.Since(start) < 5*wttl {
		if !alive(lease.Context()) {
			t.Fatalf("lease ended after %v while work continued: %v", time.Since(start), context.Cause(lease.Context()))
		}
		time.Sleep(wttl / 10)
	}
	if !alive(lease.Context()) {
		t.Fatalf("lease ended: %v", context.Cause(lease.Context()))
	}
	if !lease.ValidUntil().After(firstValid) {
		t.Fatal("validity was never extended")
	}
	if other, err := l.TryLock(context.Background(), "wd"); !errors.Is(err, lock.ErrNotAcquired) {
		if other != nil {
			other.Release()
		}
		t.Fatalf("key free after %v of a watched lease with TTL %v (TryLock: %v)", time.Since(start), wttl, err)
	}
	if in, ok := heldInfo(t, l, "wd"); !ok || in.TTL <= 0 || in.TTL > wttl {
		t.Fatalf("Held = %+v, %v; want TTL in (0, %v]", in, ok, wttl)
	}
}

func maxHold(t *testing.T, l lock.Locker) {
	const mttl = 2 * ttl // the watchdog must keep up until MaxHold
	const hold = 3 * mttl
	start := time.Now()
	lease := mustAcquire(t, l, "mh", lock.WithTTL(mttl), lock.WithMaxHold(hold))
	defer lease.Release()
	waitDone(t, lease.Context(), "lease past MaxHold")
	lived := time.Since(start)
	if c := context.Cause(lease.Context()); !errors.Is(c, lock.ErrMaxHold) {
		t.Fatalf("cause %v, want ErrMaxHold", c)
	}
	if lived < mttl {
		t.Fatalf("lease lived %v, less than one TTL: the watchdog never extended it", lived)
	}
	next := mustAcquire(t, l, "mh")
	defer next.Release()
	if next.Token() <= lease.Token() {
		t.Fatalf("token %d after %d", next.Token(), lease.Token())
	}
}

func acquireManyOrder(t *testing.T, l lock.Locker) {
	const rounds = 15
	var inside atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, 2*rounds)
	for _, keys := range [][]string{{"a", "b"}, {"b", "a", "b"}} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range rounds {
				set, err := l.AcquireMany(ctxFor(t, patience), keys, lock.WithTTL(5*time.Second))
				if err != nil {
					errs <- err
					return
				}
				if n := inside.Add(1); n != 1 {
					errs <- fmt.Errorf("%d holders of {a,b}", n)
				}
				if len(set.Leases()) != 2 || set.Leases()[0].Key() != "a" || set.Token("a") == 0 || set.Token("b") == 0 {
					errs <- fmt.Errorf("lease set for %v: %d leases", keys, len(set.Leases()))
				}
				time.Sleep(time.Millisecond)
				inside.Add(-1)
				if err := set.Release(); err != nil {
					errs <- err
				}
				if alive(set.Context()) {
					errs <- errors.New("lease set context alive after Release")
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func acquireManyFailure(t *testing.T, l lock.Locker) {
	y := mustAcquire(t, l, "y", lock.WithTTL(30*time.Second))
	defer y.Release()
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	if _, err := l.AcquireMany(ctx, []string{"y", "x"}); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("AcquireMany with a held key: %v, want DeadlineExceeded", err)
	}
	x, err := l.TryLock(context.Background(), "x")
	if err != nil {
		t.Fatalf("AcquireMany kept x after failing: %v", err)
	}
	x.Release()
	// A lost member ends the set's context.
	set, err := l.AcquireMany(ctxFor(t, patience), []string{"p", "q"}, lock.WithTTL(ttl), lock.WithMaxHold(ttl))
	if err != nil {
		t.Fatal(err)
	}
	waitDone(t, set.Context(), "lease set whose leases expired")
	set.Release()
}

func held(t *testing.T, l lock.Locker) {
	const weird = "}we{ird}*key?[x]%7D"
	a := mustAcquire(t, l, "sku:1", lock.WithHolder("instance-a"), lock.WithTTL(30*time.Second))
	defer a.Release()
	b := mustAcquire(t, l, weird, lock.WithHolder("instance-b"), lock.WithTTL(30*time.Second))
	defer b.Release()
	for _, lease := range []*lock.Lease{a, b} {
		in, ok := heldInfo(t, l, lease.Key())
		if !ok {
			t.Fatalf("Held does not list %q", lease.Key())
		}
		if in.Holder != lease.Holder() || in.Token != lease.Token() {
			t.Fatalf("Held %+v, want holder %q token %d", in, lease.Holder(), lease.Token())
		}
		if in.TTL <= 0 || in.TTL > 30*time.Second || in.Age < 0 || in.Acquired.IsZero() {
			t.Fatalf("Held %+v: bad TTL, age or grant time", in)
		}
	}
	infos, err := l.Held(ctxFor(t, patience))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.IsSortedFunc(infos, func(x, y lock.Info) int {
		if x.Key < y.Key {
			return -1
		}
		return 1
	}) {
		t.Fatal("Held is not sorted by key")
	}
	if err := a.Release(); err != nil {
		t.Fatal(err)
	}
	if _, ok := heldInfo(t, l, "sku:1"); ok {
		t.Fatal("Held lists a released lock")
	}
}

func invalid(t *testing.T, l lock.Locker) {
	if _, err := l.TryLock(context.Background(), ""); err == nil {
		t.Fatal("empty key accepted")
	}
	if _, err := l.TryLock(context.Background(), "k", lock.WithTTL(time.Microsecond)); err == nil {
		t.Fatal("1µs TTL accepted")
	}
	if _, err := l.AcquireMany(context.Background(), nil); err == nil {
		t.Fatal("AcquireMany of no keys accepted")
	}
}
