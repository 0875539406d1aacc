// Package throttletest holds the contract that every throttle.Limiter
// implementation must pass, so the in-process and the Redis limiter behave
// the same.
package throttletest

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/oceanshop/ocean/internal/throttle"
)

// Clock is a manual clock for tests. Its zero value is not usable; call
// NewClock.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// NewClock returns a clock standing at an arbitrary fixed instant.
func NewClock() *Clock {
	return &Clock{t: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
}

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Advance moves the clock forward by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// NewLimiter returns a fresh, empty Limiter with policy p that reads the time
// from now. Implementations backed by shared storage must isolate each call
// (a fresh key prefix, say) and must judge expiry by now, not only by the
// storage's own clock: the tests move now forward by hours in an instant.
type NewLimiter func(t *testing.T, p throttle.Policy, now func() time.Time) throttle.Limiter

// policy is the policy most subtests use: the documented sign-in policy.
var policy = throttle.Policy{Free: 5, Base: time.Second, Max: 15 * time.Minute, Window: 15 * time.Minute}

// Contract runs the behaviour every Limiter must show.
func Contract(t *testing.T, newLimiter NewLimiter) {
	ctx := context.Background()

	setup := func(t *testing.T, p throttle.Policy) (throttle.Limiter, *Clock) {
		t.Helper()
		c := NewClock()
		return newLimiter(t, p, c.Now), c
	}

	t.Run("DelaysDoubleAfterFreeFailuresUpToMax", func(t *testing.T) {
		l, _ := setup(t, policy)
		want := []time.Duration{0, 0, 0, 0, 0, 1 * time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second,
			16 * time.Second, 32 * time.Second, 64 * time.Second, 128 * time.Second, 256 * time.Second,
			512 * time.Second, 15 * time.Minute, 15 * time.Minute, 15 * time.Minute}
		for i, w := range want {
			got := fail(t, l, "signin:acct:ann@example.com")
			if got != w {
				t.Fatalf("failure %d: delay %v, want %v", i+1, got, w)
			}
		}
	})

	t.Run("UnusedKeyIsFree", func(t *testing.T) {
		l, _ := setup(t, policy)
		if d := check(t, l, "signin:ip:192.0.2.1"); d != 0 {
			t.Fatalf("Check on a fresh key = %v, want 0", d)
		}
	})

	t.Run("CheckIsNotAnAttempt", func(t *testing.T) {
		l, _ := setup(t, policy)
		const key = "signin:acct:ann@example.com"
		for range 20 {
			check(t, l, key)
		}
		failN(t, l, key, policy.Free)
		if d := check(t, l, key); d != 0 {
			t.Fatalf("after 20 checks and %d failures, Check = %v, want 0", policy.Free, d)
		}
	})

	t.Run("CheckDuringLockoutReturnsRemainingTime", func(t *testing.T) {
		l, c := setup(t, policy)
		const key = "signin:acct:ann@example.com"
		failN(t, l, key, policy.Free+3) // locked for 4s
		if d := check(t, l, key); d != 4*time.Second {
			t.Fatalf("Check right after the failure = %v, want 4s", d)
		}
		c.Advance(1500 * time.Millisecond)
		if d := check(t, l, key); d != 2500*time.Millisecond {
			t.Fatalf("Check 1.5s later = %v, want 2.5s", d)
		}
		c.Advance(2500 * time.Millisecond)
		if d := check(t, l, key); d != 0 {
			t.Fatalf("Check when the lockout ends = %v, want 0", d)
		}
		// The lockout is over but the failures still count.
		if d := fail(t, l, key); d != 8*time.Second {
			t.Fatalf("next failure after the lockout: delay %v, want 8s", d)
		}
	})

	t.Run("FailuresAreForgottenAfterQuietWindow", func(t *testing.T) {
		l, c := setup(t, policy)
		const key = "signin:acct:ann@example.com"
		failN(t, l, key, policy.Free-1)
		c.Advance(policy.Window - time.Second)
		if d := fail(t, l, key); d != 0 {
			t.Fatalf("failure %d: delay %v, want 0", policy.Free, d)
		}
		// Still within Window of the previous failure: this one counts.
		if d := fail(t, l, key); d != policy.Base {
			t.Fatalf("failure %d within the window: delay %v, want %v", policy.Free+1, d, policy.Base)
		}
		c.Advance(policy.Base + policy.Window)
		if d := check(t, l, key); d != 0 {
			t.Fatalf("Check after a quiet window = %v, want 0", d)
		}
		for i := range policy.Free {
			if d := fail(t, l, key); d != 0 {
				t.Fatalf("failure %d after a quiet window: delay %v, want 0", i+1, d)
			}
		}
	})

	t.Run("WaitingOutTheLockoutDoesNotForget", func(t *testing.T) {
		l, c := setup(t, policy)
		const key = "signin:acct:ann@example.com"
		var d time.Duration
		for d < policy.Max {
			d = fail(t, l, key)
		}
		// The window runs from the end of the lockout, not from the failure.
		c.Advance(policy.Max + policy.Window - time.Second)
		if got := check(t, l, key); got != 0 {
			t.Fatalf("Check after the lockout = %v, want 0", got)
		}
		if got := fail(t, l, key); got != policy.Max {
			t.Fatalf("failure after waiting out the lockout: delay %v, want %v", got, policy.Max)
		}
		c.Advance(policy.Max + policy.Window)
		if got := fail(t, l, key); got != 0 {
			t.Fatalf("failure after the lockout plus a quiet window: delay %v, want 0", got)
		}
	})

	t.Run("ResetForgets", func(t *testing.T) {
		l, _ := setup(t, policy)
		const key = "signin:acct:ann@example.com"
		failN(t, l, key, policy.Free+4)
		if err := l.Reset(ctx, key); err != nil {
			t.Fatalf("Reset: %v", err)
		}
		if d := check(t, l, key); d != 0 {
			t.Fatalf("Check after Reset = %v, want 0", d)
		}
		for i := range policy.Free {
			if d := fail(t, l, key); d != 0 {
				t.Fatalf("failure %d after Reset: delay %v, want 0", i+1, d)
			}
		}
		if err := l.Reset(ctx, "signin:acct:nobody@example.com"); err != nil {
			t.Fatalf("Reset of an unknown key: %v", err)
		}
	})

	t.Run("KeysAreIndependent", func(t *testing.T) {
		l, _ := setup(t, policy)
		const acct, ip = "signin:acct:ann@example.com", "signin:ip:192.0.2.1"
		failN(t, l, acct, policy.Free+2)
		if d := check(t, l, ip); d != 0 {
			t.Fatalf("Check on another key = %v, want 0", d)
		}
		if d := fail(t, l, ip); d != 0 {
			t.Fatalf("first failure on another key: delay %v, want 0", d)
		}
		if err := l.Reset(ctx, ip); err != nil {
			t.Fatalf("Reset: %v", err)
		}
		if d := check(t, l, acct); d != 2*time.Second {
			t.Fatalf("Check on the locked key after resetting another = %v, want 2s", d)
		}
	})

	t.Run("ZeroFreeLocksOnFirstFailure", func(t *testing.T) {
		l, _ := setup(t, throttle.Policy{Free: 0, Base: time.Minute, Max: time.Hour, Window: time.Hour})
		if d := fail(t, l, "reset:acct:ann@example.com"); d != time.Minute {
			t.Fatalf("first failure: delay %v, want 1m", d)
		}
	})

	t.Run("ConcurrentFailuresAllCount", func(t *testing.T) {
		// With Free 40, the 51st failure's delay tells exactly how many
		// failures were recorded before it: 2^(n-41) s.
		p := throttle.Policy{Free: 40, Base: time.Second, Max: 24 * time.Hour, Window: 24 * time.Hour}
		l, _ := setup(t, p)
		const key, n = "signin:ip:192.0.2.1", 50
		var wg sync.WaitGroup
		errs := make(chan error, n)
		for range n {
			wg.Go(func() {
				if _, err := l.Fail(ctx, key); err != nil {
					errs <- err
				}
				if _, err := l.Check(ctx, key); err != nil {
					errs <- err
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		if d, want := fail(t, l, key), p.Delay(n+1); d != want {
			t.Fatalf("after %d concurrent failures the next delay is %v, want %v", n, d, want)
		}
	})

	t.Run("ConcurrentUseOfManyKeys", func(t *testing.T) {
		l, _ := setup(t, policy)
		var wg sync.WaitGroup
		for g := range 20 {
			wg.Go(func() {
				for i := range 50 {
					key := fmt.Sprintf("signin:acct:user%d@example.com", (g+i)%7)
					if _, err := l.Fail(ctx, key); err != nil {
						t.Error(err)
						return
					}
					if _, err := l.Check(ctx, key); err != nil {
						t.Error(err)
						return
					}
					if i%10 == 0 {
						if err := l.Reset(ctx, key); err != nil {
							t.Error(err)
							return
						}
					}
				}
			})
		}
		wg.Wait()
	})
}

func check(t *testing.T, l throttle.Limiter, key string) time.Duration {
	t.Helper()
	d, err := l.Check(context.Background(), key)
	if err != nil {
		t.Fatalf("Check(%q): %v", key, err)
	}
	return d
}

func fail(t *testing.T, l throttle.Limiter, key string) time.Duration {
	t.Helper()
	d, err := l.Fail(context.Background(), key)
	if err != nil {
		t.Fatalf("Fail(%q): %v", key, err)
	}
	return d
}

func failN(t *testing.T, l throttle.Limiter, key string, n int) {
	t.Helper()
	for range n {
		fail(t, l, key)
	}
}
