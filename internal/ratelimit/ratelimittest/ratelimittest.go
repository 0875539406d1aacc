// Package ratelimittest is the contract every ratelimit.Limiter passes: the
// in-process one under a fake clock, the Redis one in real time with short
// windows. The tests assert counts and orderings, never speed.
package ratelimittest

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/oceanshop/ocean/internal/ratelimit"
)

// Clock is the time that drives a limiter under test.
type Clock interface {
	Now() time.Time
	Sleep(d time.Duration)
}

// RealClock is wall-clock time, for limiters that read their own clock
// (Redis's). Tolerance covers the rate difference between the test's
// monotonic clock and the server's wall clock.
type RealClock struct{}

func (RealClock) Now() time.Time        { return time.Now() }
func (RealClock) Sleep(d time.Duration) { time.Sleep(d) }

// FakeClock is a clock that moves only when told to; Sleep advances it.
type FakeClock struct {
	mu sync.Mutex
	t  time.Time
}

// NewFakeClock returns a fake clock at an arbitrary fixed instant.
func NewFakeClock() *FakeClock {
	return &FakeClock{t: time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)}
}

func (c *FakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Sleep advances the clock by d.
func (c *FakeClock) Sleep(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// Factory returns a new, empty limiter with the given policies and the clock
// it runs on. Limiters from different calls must not share state.
type Factory func(t *testing.T, policies []ratelimit.Policy) (ratelimit.Limiter, Clock)

// Contract runs the limiter contract against limiters from newLimiter.
func Contract(t *testing.T, newLimiter Factory) {
	t.Run("ExactlyLimitThenDenied", func(t *testing.T) { t.Parallel(); exactlyLimit(t, newLimiter) })
	t.Run("RetryAfterIsEnough", func(t *testing.T) { t.Parallel(); retryAfterIsEnough(t, newLimiter) })
	t.Run("NoBurstAfterHalfWindow", func(t *testing.T) { t.Parallel(); noBurst(t, newLimiter) })
	t.Run("RollingWindow", func(t *testing.T) { t.Parallel(); rolling(t, newLimiter) })
	t.Run("KeysAndClassesIndependent", func(t *testing.T) { t.Parallel(); independent(t, newLimiter) })
	t.Run("Concurrent", func(t *testing.T) { t.Parallel(); concurrent(t, newLimiter) })
	t.Run("Off", func(t *testing.T) { t.Parallel(); off(t, newLimiter) })
	t.Run("UnknownClass", func(t *testing.T) { t.Parallel(); unknown(t, newLimiter) })
}

// tolerance is the clock disagreement allowed under a real clock.
func tolerance(c Clock) time.Duration {
	if _, ok := c.(RealClock); ok {
		return 5 * time.Millisecond
	}
	return 0
}

func allow(t *testing.T, l ratelimit.Limiter, class, key string) ratelimit.Decision {
	t.Helper()
	d, err := l.Allow(context.Background(), class, key)
	if err != nil {
		t.Fatalf("Allow(%q, %q): %v", class, key, err)
	}
	if d.Policy.Name != class {
		t.Fatalf("Allow(%q, %q) decided under policy %q", class, key, d.Policy.Name)
	}
	checkDecision(t, d)
	return d
}

// checkDecision: the invariants of every decision of an enforced policy.
func checkDecision(t *testing.T, d ratelimit.Decision) {
	t.Helper()
	p := d.Policy
	if d.Remaining < 0 || d.Remaining > p.Limit {
		t.Fatalf("Remaining %d outside 0..%d", d.Remaining, p.Limit)
	}
	if d.Reset <= 0 || d.Reset > p.Window {
		t.Fatalf("Reset %v outside (0, %v]", d.Reset, p.Window)
	}
	if d.Allowed {
		if d.RetryAfter != 0 {
			t.Fatalf("accepted with RetryAfter %v", d.RetryAfter)
		}
		return
	}
	if d.Remaining != 0 {
		t.Fatalf("refused with Remaining %d", d.Remaining)
	}
	if d.RetryAfter <= 0 || d.RetryAfter > p.Window {
		t.Fatalf("refused with RetryAfter %v outside (0, %v]", d.RetryAfter, p.Window)
	}
}

func exactlyLimit(t *testing.T, newLimiter Factory) {
	p := ratelimit.Policy{Name: "test", Limit: 5, Window: 2 * time.Second}
	l, clock := newLimiter(t, []ratelimit.Policy{p})
	start := clock.Now()
	for i := range p.Limit {
		d := allow(t, l, "test", "k")
		if !d.Allowed {
			t.Fatalf("request %d of %d refused", i+1, p.Limit)
		}
		if want := p.Limit - i - 1; d.Remaining != want {
			t.Fatalf("after request %d: Remaining %d, want %d", i+1, d.Remaining, want)
		}
	}
	for i := range 3 {
		d := allow(t, l, "test", "k")
		if d.Allowed {
			t.Fatalf("request %d accepted with a limit of %d", p.Limit+i+1, p.Limit)
		}
		// Every accepted request happened after start: a slot frees at
		// most one window after start, and not before the first
		// accepted request's time + window, i.e. not before
		// the time elapsed since start subtracted from the window.
		if elapsed := clock.Now().Sub(start); d.RetryAfter < p.Window-elapsed-tolerance(clock) {
			t.Fatalf("RetryAfter %v, but no request can leave the window for another %v", d.RetryAfter, p.Window-elapsed)
		}
	}
	// A whole window after the last accepted request, the quota is back.
	clock.Sleep(p.Window + 50*time.Millisecond)
	for i := range p.Limit {
		if d := allow(t, l, "test", "k"); !d.Allowed {
			t.Fatalf("a window later, request %d of %d refused", i+1, p.Limit)
		}
	}
}

func retryAfterIsEnough(t *testing.T, newLimiter Factory) {
	p := ratelimit.Policy{Name: "test", Limit: 3, Window: time.Second}
	l, clock := newLimiter(t, []ratelimit.Policy{p})
	for range p.Limit {
		allow(t, l, "test", "k")
	}
	d := allow(t, l, "test", "k")
	if d.Allowed {
		t.Fatal("request over the limit accepted")
	}
	// Waiting RetryAfter (plus clock slack) is enough.
	clock.Sleep(d.RetryAfter + 2*tolerance(clock) + time.Nanosecond)
	if d := allow(t, l, "test", "k"); !d.Allowed {
		t.Fatalf("refused after waiting the RetryAfter of the previous refusal")
	}
}

// noBurst: after Limit requests at once, half a window later nothing more
// passes (a token bucket or GCRA would have refilled some), and a window
// later everything does.
func noBurst(t *testing.T, newLimiter Factory) {
	p := ratelimit.Policy{Name: "test", Limit: 4, Window: 2 * time.Second}
	l, clock := newLimiter(t, []ratelimit.Policy{p})
	start := clock.Now()
	for range p.Limit {
		if !allow(t, l, "test", "k").Allowed {
			t.Fatal("refused within the limit")
		}
	}
	burstEnd := clock.Now()
	clock.Sleep(p.Window / 2)
	// Every accepted request is younger than the time since start.
	if elapsed := clock.Now().Sub(start); elapsed < p.Window-tolerance(clock) {
		if allow(t, l, "test", "k").Allowed {
			t.Fatalf("accepted request %d within %v (window %v)", p.Limit+1, elapsed, p.Window)
		}
	} else {
		t.Logf("too slow to test: half a window took %v", elapsed)
	}
	clock.Sleep(burstEnd.Add(p.Window + 50*time.Millisecond).Sub(clock.Now()))
	for range p.Limit {
		if !allow(t, l, "test", "k").Allowed {
			t.Fatal("refused a window after the burst")
		}
	}
}

type accepted struct{ sent, recv time.Time }

// rolling sends requests at irregular times over several windows and checks
// against the observed times that (a) no Limit+1 accepted requests fall
// within one window and (b) no request was refused while the log certainly
// had room.
func rolling(t *testing.T, newLimiter Factory) {
	p := ratelimit.Policy{Name: "test", Limit: 5, Window: time.Second}
	l, clock := newLimiter(t, []ratelimit.Policy{p})
	tol := tolerance(clock)
	rng := rand.New(rand.NewPCG(1, 2))
	var acc []accepted
	end := clock.Now().Add(3 * p.Window)
	refused := 0
	for clock.Now().Before(end) {
		// Gaps average W/(2L): about twice the allowed rate, in bursts
		// and lulls.
		gap := time.Duration(rng.ExpFloat64() * float64(p.Window) / float64(2*p.Limit))
		clock.Sleep(min(gap, p.Window))
		sent := clock.Now()
		d := allow(t, l, "test", "k")
		recv := clock.Now()
		// Upper bound on the log: accepted requests that may still
		// be in the window.
		inWindow := 0
		for _, a := range acc {
			if a.recv.After(sent.Add(-p.Window - tol)) {
				inWindow++
			}
		}
		if d.Allowed {
			acc = append(acc, accepted{sent, recv})
			if n := len(acc); n > p.Limit {
				first := acc[n-1-p.Limit]
				if span := recv.Sub(first.sent); span < p.Window-tol {
					t.Fatalf("%d requests accepted within %v (limit %d per %v)", p.Limit+1, span, p.Limit, p.Window)
				}
			}
		} else {
			refused++
			if inWindow < p.Limit {
				t.Fatalf("refused with at most %d of %d requests in the window", inWindow, p.Limit)
			}
		}
	}
	if refused == 0 || len(acc) < 2*p.Limit {
		t.Fatalf("pattern did not exercise the limit: %d accepted, %d refused", len(acc), refused)
	}
}

func independent(t *testing.T, newLimiter Factory) {
	a := ratelimit.Policy{Name: "a", Limit: 2, Window: time.Minute}
	b := ratelimit.Policy{Name: "b", Limit: 2, Window: time.Minute}
	l, _ := newLimiter(t, []ratelimit.Policy{a, b})
	for range 2 {
		allow(t, l, "a", "x")
	}
	if allow(t, l, "a", "x").Allowed {
		t.Fatal("a/x accepted over its limit")
	}
	for _, c := range []struct{ class, key string }{{"a", "y"}, {"b", "x"}, {"a", "x2"}, {"a", "X"}} {
		if d := allow(t, l, c.class, c.key); !d.Allowed || d.Remaining != 1 {
			t.Fatalf("%s/%s: Allowed %v, Remaining %d after another key exhausted its quota", c.class, c.key, d.Allowed, d.Remaining)
		}
	}
	// Keys with separators and braces do not collide with others.
	allow(t, l, "a", "{x}")
	if d := allow(t, l, "a", "x}"); !d.Allowed || d.Remaining != 1 {
		t.Fatal(`"x}" shares a log with "{x}"`)
	}
	if d := allow(t, l, "b", ""); !d.Allowed {
		t.Fatal("empty key refused")
	}
	long := string(make([]byte, 500))
	allow(t, l, "a", long)
	if d := allow(t, l, "a", long); !d.Allowed || d.Remaining != 0 {
		t.Fatalf("long key: Allowed %v, Remaining %d", d.Allowed, d.Remaining)
	}
}

func concurrent(t *testing.T, newLimiter Factory) {
	p := ratelimit.Policy{Name: "test", Limit: 50, Window: time.Minute}
	l, _ := newLimiter(t, []ratelimit.Policy{p})
	const workers, each = 32, 8
	var ok atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for range workers {
		wg.Go(func() {
			for range each {
				d, err := l.Allow(context.Background(), "test", "k")
				if err != nil {
					errs <- err
					return
				}
				if d.Allowed {
					ok.Add(1)
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if got := ok.Load(); got != int64(p.Limit) {
		t.Fatalf("%d concurrent requests: %d accepted, want exactly %d", workers*each, got, p.Limit)
	}
}

func off(t *testing.T, newLimiter Factory) {
	l, _ := newLimiter(t, []ratelimit.Policy{{Name: "free"}, {Name: "test", Limit: 1, Window: time.Minute}})
	for i := range 1000 {
		d, err := l.Allow(context.Background(), "free", fmt.Sprint(i%3))
		if err != nil || !d.Allowed {
			t.Fatalf("policy off: request %d: Allowed %v, err %v", i+1, d.Allowed, err)
		}
	}
}

func unknown(t *testing.T, newLimiter Factory) {
	l, _ := newLimiter(t, []ratelimit.Policy{{Name: "test", Limit: 1, Window: time.Minute}})
	d, err := l.Allow(context.Background(), "nope", "k")
	if !errors.Is(err, ratelimit.ErrUnknownClass) {
		t.Fatalf("unknown class: err %v, want ErrUnknownClass", err)
	}
	if d.Allowed {
		t.Fatal("unknown class: request accepted")
	}
}
