package redis_test

import (
	"context"
	"io"
	"log/slog"
	"sync"
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

// TestCacheContract runs the contract against the two-tier cache: the
// instances one subtest makes are one shop (same channel and keys); each
// subtest is a shop of its own. The early-refresh draw is fixed so a value
// read from Redis is served until it expires (a random draw refreshes a
// negative entry early about one read in fifteen, by design).
func TestCacheContract(t *testing.T) {
	rdb := client(t)
	var mu sync.Mutex
	shops := map[string]string{}
	storetest.Cache(t, storetest.CacheImpl{Shared: true, New: func(t *testing.T, clock func() time.Time) catalog.Cache {
		mu.Lock()
		name, ok := shops[t.Name()]
		if !ok {
			name = redistest.Name("ocean-test-")
			shops[t.Name()] = name
		}
		mu.Unlock()
		return live(t, redis.NewCache(rdb, redis.CacheConfig{Channel: name, Entries: 100, Now: clock, Draw: func() float64 { return 1 }}, quiet))
	}})
}

// TestInvalidationReachesEveryInstance: three instances of one shop; a write
// on one clears the others within a second, and not another shop's.
func TestInvalidationReachesEveryInstance(t *testing.T) {
	ch := redistest.Name("ocean-test-")
	ctx := context.Background()
	var caches []*redis.Cache
	for range 3 {
		caches = append(caches, live(t, redis.NewCache(client(t), redis.CacheConfig{Channel: ch}, quiet)))
	}
	other := live(t, redis.NewCache(client(t), redis.CacheConfig{Channel: redistest.Name("other-shop-")}, quiet))
	for _, c := range append(caches, other) {
		c.Set(ctx, "view:page", []byte("old"), c.Gen(ctx))
	}
	caches[0].Invalidate(ctx)
	deadline := time.Now().Add(time.Second)
	for _, c := range caches {
		for {
			if _, ok := c.Get(ctx, "view:page"); !ok {
				break
			}
			if time.Now().After(deadline) {
				t.Fatal("an instance still serves the old page a second after the write")
			}
			time.Sleep(2 * time.Millisecond)
		}
	}
	if _, ok := other.Get(ctx, "view:page"); !ok {
		t.Fatal("another shop's cache was cleared too")
	}
}

// countingHandler counts log records by level.
type countingHandler struct {
	mu     sync.Mutex
	counts map[slog.Level]int
}

func (h *countingHandler) Enabled(context.Context, slog.Level) bool { return true }
func (h *countingHandler) Handle(_ context.Context, r slog.Record) error {
	h.mu.Lock()
	h.counts[r.Level]++
	h.mu.Unlock()
	return nil
}
func (h *countingHandler) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h *countingHandler) WithGroup(string) slog.Handler      { return h }
func (h *countingHandler) count(l slog.Level) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.counts[l]
}

// TestServesFromProcessWhileRedisIsUnreachable: with Redis down, reads and
// writes work without errors from this process's tier, whose entries live
// at most OutageTTL (another instance's write could go unheard), and the
// outage is logged once, not per request.
func TestServesFromProcessWhileRedisIsUnreachable(t *testing.T) {
	rdb := goredis.NewClient(&goredis.Options{Addr: "127.0.0.1:1", DialTimeout: 100 * time.Millisecond, MaxRetries: -1})
	defer rdb.Close()
	clock := storetest.NewClock()
	logs := &countingHandler{counts: map[slog.Level]int{}}
	c := redis.NewCache(rdb, redis.CacheConfig{Channel: "ocean-test-down", OutageTTL: time.Second, Now: clock.Now}, slog.New(logs))
	defer c.Close()
	ctx := context.Background()
	for range 50 {
		c.Set(ctx, "product:tee", &catalog.Product{ID: 1}, c.Gen(ctx))
		if _, ok := c.Get(ctx, "product:tee"); !ok {
			t.Fatal("an entry just stored is not served while Redis is down")
		}
	}
	if c.Live() {
		t.Fatal("cache claims to hear the fleet with Redis unreachable")
	}
	clock.Advance(1100 * time.Millisecond)
	if _, ok := c.Get(ctx, "product:tee"); ok {
		t.Fatal("an entry outlives OutageTTL while Redis is down")
	}
	c.Set(ctx, "product:tee", &catalog.Product{ID: 1}, c.Gen(ctx))
	c.Invalidate(ctx) // returns without waiting on Redis
	if _, ok := c.Get(ctx, "product:tee"); ok {
		t.Fatal("entry after Invalidate")
	}
	time.Sleep(300 * time.Millisecond) // the subscriber retries a few times
	if n := logs.count(slog.LevelWarn); n != 1 {
		t.Fatalf("the outage was logged %d times, want once", n)
	}
}
