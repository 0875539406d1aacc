package throttle_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/oceanshop/ocean/internal/throttle"
	"github.com/oceanshop/ocean/internal/throttle/throttletest"
)

func TestLocalContract(t *testing.T) {
	throttletest.Contract(t, func(_ *testing.T, p throttle.Policy, now func() time.Time) throttle.Limiter {
		return throttle.NewLocal(p, now)
	})
}

// An attacker spraying guesses over ever new keys must not grow the process
// without bound, and must not push out a key under active attack.
func TestLocalIsBounded(t *testing.T) {
	ctx := context.Background()
	clock := throttletest.NewClock()
	l := throttle.NewLocal(throttle.SignIn(), clock.Now)

	const victim = "signin:acct:victim@example.com"
	for range 8 {
		l.Fail(ctx, victim)
	}
	for i := range throttle.MaxKeys + 5000 {
		l.Fail(ctx, fmt.Sprintf("signin:acct:spray%d@example.com", i))
		if i%1000 == 0 {
			l.Fail(ctx, victim) // the attack on the victim goes on
		}
		if n := l.Len(); n > throttle.MaxKeys {
			t.Fatalf("after %d keys the limiter holds %d, bound is %d", i+1, n, throttle.MaxKeys)
		}
	}
	if d, _ := l.Check(ctx, victim); d == 0 {
		t.Fatal("the victim's lockout was evicted by the spray")
	}
	if d, _ := l.Fail(ctx, "signin:acct:spray0@example.com"); d != 0 {
		t.Fatalf("the oldest sprayed key should have been evicted and start over, got delay %v", d)
	}
}

func TestLocalDropsExpiredKeys(t *testing.T) {
	ctx := context.Background()
	clock := throttletest.NewClock()
	p := throttle.SignIn()
	l := throttle.NewLocal(p, clock.Now)
	for i := range 1000 {
		l.Fail(ctx, fmt.Sprintf("signin:ip:192.0.2.%d", i))
	}
	clock.Advance(p.Window)
	l.Check(ctx, "signin:ip:198.51.100.1") // any access may sweep
	if n := l.Len(); n != 0 {
		t.Fatalf("after a quiet window %d keys remain, want 0", n)
	}
}

func TestNewLocalRejectsInvalidPolicy(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Fatal("NewLocal accepted a policy without Window")
		}
	}()
	throttle.NewLocal(throttle.Policy{Free: 1, Base: time.Second, Max: time.Minute}, nil)
}
