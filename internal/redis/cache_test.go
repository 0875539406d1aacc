package redis_test

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/oceanshop/ocean/internal/catalog"
	"github.com/oceanshop/ocean/internal/redis"
	"github.com/oceanshop/ocean/internal/redis/redistest"
	"github.com/oceanshop/ocean/internal/storetest"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

func client(t *testing.T) goredis.UniversalClient {
	rdb, err := redis.Open(context.Background(), redistest.URL(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rdb.Close() })
	return rdb
}

func live(t *testing.T, c *redis.Cache) *redis.Cache {
	t.Helper()
	t.Cleanup(func() { c.Close() })
	deadline := time.Now().Add(5 * time.Second)
	for !c.Live() {
		if time.Now().After(deadline) {
			t.Fatal("cache did not subscribe within 5s")
		}
		time.Sleep(5 * time.Millisecond)
	}
	return c
}

func TestCacheContract(t *testing.T) {
	rdb := client(t)
	storetest.Cache(t, func(t *testing.T) catalog.Cache {
		return live(t, redis.NewCache(rdb, redistest.Name("ocean-test-"), 100, quiet))
	})
}

// TestInvalidationReachesEveryInstance: three instances of one shop; a write
// on one clears the others within a second.
func TestInvalidationReachesEveryInstance(t *testing.T) {
	ch := redistest.Name("ocean-test-")
	ctx := context.Background()
	var caches []*redis.Cache
	for range 3 {
		caches = append(caches, live(t, redis.NewCache(client(t), ch, 100, quiet)))
	}
	other := live(t, redis.NewCache(client(t), redistest.Name("other-shop-"), 100, quiet))
	for _, c := range append(caches, other) {
		c.Set(ctx, "page", "old", c.Gen(ctx))
	}
	caches[0].Invalidate(ctx)
	deadline := time.Now().Add(time.Second)
	for _, c := range caches {
		for {
			if _, ok := c.Get(ctx, "page"); !ok {
				break
			}
			if time.Now().After(deadline) {
				t.Fatal("an instance still serves the old page a second after the write")
			}
			time.Sleep(2 * time.Millisecond)
		}
	}
	if _, ok := other.Get(ctx, "page"); !ok {
		t.Fatal("another shop's cache was cleared too")
	}
}

// TestBypassWhileRedisIsUnreachable: without a subscription the cache must
// not serve entries, since it could miss another instance's invalidation.
func TestBypassWhileRedisIsUnreachable(t *testing.T) {
	rdb := goredis.NewClient(&goredis.Options{Addr: "127.0.0.1:1", DialTimeout: 100 * time.Millisecond, MaxRetries: -1})
	defer rdb.Close()
	c := redis.NewCache(rdb, "ocean-test-down", 100, quiet)
	defer c.Close()
	ctx := context.Background()
	c.Set(ctx, "page", "v", c.Gen(ctx))
	if _, ok := c.Get(ctx, "page"); ok || c.Live() {
		t.Fatal("cache serves entries with Redis unreachable")
	}
	c.Invalidate(ctx) // returns (bounded by its own timeout) without panicking
	if _, ok := c.Get(ctx, "page"); ok {
		t.Fatal("entry after Invalidate")
	}
}
