package redis_test

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/oceanshop/ocean/internal/ratelimit"
	"github.com/oceanshop/ocean/internal/ratelimit/ratelimittest"
	rlredis "github.com/oceanshop/ocean/internal/ratelimit/redis"
	oceanredis "github.com/oceanshop/ocean/internal/redis"
	"github.com/oceanshop/ocean/internal/redis/redistest"
)

func client(t testing.TB) goredis.UniversalClient {
	rdb, err := oceanredis.Open(context.Background(), redistest.URL(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rdb.Close() })
	return rdb
}

// limiter returns a limiter with its own key prefix; calls time out only
// after seconds, so a busy test machine does not turn into a Redis outage.
func limiter(t testing.TB, rdb goredis.UniversalClient, prefix string, ps []ratelimit.Policy) *rlredis.Limiter {
	l, err := rlredis.New(rdb, ps, rlredis.Options{Prefix: prefix, Timeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func TestContract(t *testing.T) {
	rdb := client(t)
	ratelimittest.Contract(t, func(t *testing.T, ps []ratelimit.Policy) (ratelimit.Limiter, ratelimittest.Clock) {
		return limiter(t, rdb, redistest.Name("ocean-test-rl-")+":", ps), ratelimittest.RealClock{}
	})
}

// TestSharedAcrossInstances: three instances with their own connections
// share one budget per client, and the key layout is what operators see.
func TestSharedAcrossInstances(t *testing.T) {
	prefix := redistest.Name("ocean-test-rl-") + ":"
	p := ratelimit.Policy{Name: "api", Limit: 100, Window: time.Minute, FailOpen: true}
	var ls []*rlredis.Limiter
	for range 3 {
		ls = append(ls, limiter(t, client(t), prefix, []ratelimit.Policy{p}))
	}
	ctx := context.Background()
	ok := 0
	for i := range 150 {
		d, err := ls[i%3].Allow(ctx, "api", "203.0.113.7")
		if err != nil {
			t.Fatal(err)
		}
		if d.Allowed {
			ok++
		}
	}
	if ok != p.Limit {
		t.Fatalf("150 requests over 3 instances: %d accepted, want %d", ok, p.Limit)
	}
	rdb := client(t)
	key := prefix + "{api:203.0.113.7}"
	if got := ls[0].Key("api", "203.0.113.7"); got != key {
		t.Fatalf("Key = %q, want %q", got, key)
	}
	if n, err := rdb.ZCard(ctx, key).Result(); err != nil || n != int64(p.Limit) {
		t.Fatalf("ZCARD %s = %d, %v: want %d (only accepted requests are logged)", key, n, err, p.Limit)
	}
	ttl, err := rdb.PTTL(ctx, key).Result()
	if err != nil || ttl <= 0 || ttl > p.Window+time.Second {
		t.Fatalf("PTTL %s = %v, %v: want at most a window", key, ttl, err)
	}
	if mem, err := rdb.MemoryUsage(ctx, key).Result(); err == nil {
		t.Logf("memory of a full %s log: %d bytes (%.1f per request)", p, mem, float64(mem)/float64(p.Limit))
	}
}

// TestRedisDown: with Redis unreachable a fail-open class is limited per
// instance by the in-process fallback, a fail-closed class is refused with
// a short Retry-After, and both report ErrUnavailable. No call waits for a
// timeout more than once per backoff.
func TestRedisDown(t *testing.T) {
	rdb := goredis.NewClient(&goredis.Options{Addr: "127.0.0.1:1", MaxRetries: -1, DialTimeout: 200 * time.Millisecond})
	t.Cleanup(func() { rdb.Close() })
	open := ratelimit.Policy{Name: "api", Limit: 3, Window: time.Minute, FailOpen: true}
	closed := ratelimit.Policy{Name: "reset", Limit: 3, Window: 15 * time.Minute}
	l, err := rlredis.New(rdb, []ratelimit.Policy{open, closed}, rlredis.Options{Backoff: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	ok := 0
	for range 5 {
		d, err := l.Allow(ctx, "api", "k")
		if !errors.Is(err, ratelimit.ErrUnavailable) {
			t.Fatalf("err %v, want ErrUnavailable", err)
		}
		if d.Allowed {
			ok++
		}
	}
	if ok != open.Limit {
		t.Fatalf("fail-open class with Redis down: %d of 5 accepted, want the per-instance limit %d", ok, open.Limit)
	}
	d, err := l.Allow(ctx, "reset", "k")
	if !errors.Is(err, ratelimit.ErrUnavailable) || d.Allowed {
		t.Fatalf("fail-closed class with Redis down: Allowed %v, err %v", d.Allowed, err)
	}
	if d.RetryAfter <= 0 || d.RetryAfter > 5*time.Second {
		t.Fatalf("fail-closed RetryAfter %v, want a few seconds, not the 15m window", d.RetryAfter)
	}
}

// TestRecovers: after an outage the limiter asks Redis again by itself.
func TestRecovers(t *testing.T) {
	rdb := client(t)
	var fail atomic.Bool
	fail.Store(true)
	rdb.AddHook(failHook{&fail})
	p := ratelimit.Policy{Name: "signin", Limit: 2, Window: time.Minute}
	l, err := rlredis.New(rdb, []ratelimit.Policy{p}, rlredis.Options{Prefix: redistest.Name("ocean-test-rl-") + ":", Backoff: 50 * time.Millisecond, Timeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := l.Allow(ctx, "signin", "k"); !errors.Is(err, ratelimit.ErrUnavailable) {
		t.Fatalf("err %v, want ErrUnavailable", err)
	}
	fail.Store(false)
	deadline := time.Now().Add(10 * time.Second)
	for {
		d, err := l.Allow(ctx, "signin", "k")
		if err == nil {
			if !d.Allowed || d.Remaining != 1 {
				t.Fatalf("first request after recovery: Allowed %v Remaining %d", d.Allowed, d.Remaining)
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("limiter did not go back to Redis")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

type failHook struct{ fail *atomic.Bool }

func (failHook) DialHook(next goredis.DialHook) goredis.DialHook { return next }
func (h failHook) ProcessHook(next goredis.ProcessHook) goredis.ProcessHook {
	return func(ctx context.Context, cmd goredis.Cmder) error {
		if h.fail.Load() {
			return errors.New("injected failure")
		}
		return next(ctx, cmd)
	}
}
func (h failHook) ProcessPipelineHook(next goredis.ProcessPipelineHook) goredis.ProcessPipelineHook {
	return next
}

func BenchmarkAllow(b *testing.B) {
	rdb := client(b)
	p := ratelimit.Policy{Name: "api", Limit: 100, Window: time.Minute}
	l := limiter(b, rdb, redistest.Name("ocean-bench-rl-")+":", []ratelimit.Policy{p})
	b.Run("one-key", func(b *testing.B) {
		ctx := context.Background()
		for b.Loop() {
			if _, err := l.Allow(ctx, "api", "k"); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("many-keys-parallel", func(b *testing.B) {
		var n atomic.Int64
		b.SetParallelism(8)
		b.RunParallel(func(pb *testing.PB) {
			ctx := context.Background()
			for pb.Next() {
				i := n.Add(1)
				if _, err := l.Allow(ctx, "api", fmt.Sprint("10.1.", i%10000/256, ".", i%256)); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
}
