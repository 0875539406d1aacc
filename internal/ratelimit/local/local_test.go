package local_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/oceanshop/ocean/internal/ratelimit"
	"github.com/oceanshop/ocean/internal/ratelimit/local"
	"github.com/oceanshop/ocean/internal/ratelimit/ratelimittest"
)

func TestContract(t *testing.T) {
	ratelimittest.Contract(t, func(t *testing.T, ps []ratelimit.Policy) (ratelimit.Limiter, ratelimittest.Clock) {
		clock := ratelimittest.NewFakeClock()
		l, err := local.New(ps, local.Options{Now: clock.Now})
		if err != nil {
			t.Fatal(err)
		}
		return l, clock
	})
}

// TestIdleKeysAreDropped: memory follows the active clients, not every
// client ever seen.
func TestIdleKeysAreDropped(t *testing.T) {
	clock := ratelimittest.NewFakeClock()
	p := ratelimit.Policy{Name: "api", Limit: 3, Window: time.Minute}
	l, err := local.New([]ratelimit.Policy{p}, local.Options{Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for i := range 1000 {
		l.Allow(ctx, "api", fmt.Sprint("client-", i))
	}
	if n := l.Len("api"); n != 1000 {
		t.Fatalf("%d keys held, want 1000", n)
	}
	clock.Sleep(p.Window)
	// Each call sweeps a couple of idle keys; one client's traffic
	// clears the rest.
	for range 600 {
		l.Allow(ctx, "api", "active")
		clock.Sleep(time.Second)
	}
	if n := l.Len("api"); n != 1 {
		t.Fatalf("%d keys held after every other client went idle, want 1", n)
	}
}

// TestMaxKeys: a flood of new keys cannot grow memory past MaxKeys, and the
// key whose log expires last (the one under attack) is kept.
func TestMaxKeys(t *testing.T) {
	clock := ratelimittest.NewFakeClock()
	p := ratelimit.Policy{Name: "api", Limit: 2, Window: time.Minute}
	l, err := local.New([]ratelimit.Policy{p}, local.Options{Now: clock.Now, MaxKeys: 100})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for i := range 10_000 {
		if i%50 == 0 {
			clock.Sleep(time.Millisecond)
			l.Allow(ctx, "api", "attacker")
		}
		l.Allow(ctx, "api", fmt.Sprint("spray-", i))
		if n := l.Len("api"); n > 100 {
			t.Fatalf("%d keys held with MaxKeys 100", n)
		}
	}
	if d, _ := l.Allow(ctx, "api", "attacker"); d.Allowed {
		t.Fatal("the attacker's log was evicted by a flood of new keys")
	}
}

func TestInvalidPolicies(t *testing.T) {
	for _, ps := range [][]ratelimit.Policy{
		{{Name: "", Limit: 1, Window: time.Second}},
		{{Name: "API", Limit: 1, Window: time.Second}},
		{{Name: "a", Limit: 1, Window: time.Millisecond}},
		{{Name: "a", Limit: -1, Window: time.Second}},
		{{Name: "a", Limit: 1, Window: time.Second}, {Name: "a", Limit: 2, Window: time.Second}},
	} {
		if _, err := local.New(ps, local.Options{}); err == nil {
			t.Errorf("New(%+v) accepted", ps)
		}
	}
}

func BenchmarkAllow(b *testing.B) {
	p := ratelimit.Policy{Name: "api", Limit: 100, Window: time.Minute}
	b.Run("one-key", func(b *testing.B) {
		l, _ := local.New([]ratelimit.Policy{p}, local.Options{})
		ctx := context.Background()
		for b.Loop() {
			l.Allow(ctx, "api", "k")
		}
	})
	b.Run("many-keys-parallel", func(b *testing.B) {
		l, _ := local.New([]ratelimit.Policy{p}, local.Options{})
		keys := make([]string, 10_000)
		for i := range keys {
			keys[i] = fmt.Sprint("10.0.", i/256, ".", i%256)
		}
		b.RunParallel(func(pb *testing.PB) {
			ctx := context.Background()
			i := 0
			for pb.Next() {
				l.Allow(ctx, "api", keys[i%len(keys)])
				i += 7
			}
		})
	})
}
