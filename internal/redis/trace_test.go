package redis_test

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"

	goredis "github.com/redis/go-redis/v9"

	"github.com/oceanshop/ocean/internal/redis"
	"github.com/oceanshop/ocean/internal/redis/redistest"
)

// TestTraceHook: commands and pipelines against a real Redis are spans; a
// missing key is not a failure, a wrong command is.
func TestTraceHook(t *testing.T) {
	ctx := context.Background()
	c, err := redis.Open(ctx, redistest.URL(t))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	var mu sync.Mutex
	var spans []string
	c.AddHook(redis.TraceHook(func(ctx context.Context, name string, _ ...string) (context.Context, func(error)) {
		return ctx, func(err error) {
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				name += " failed"
			}
			spans = append(spans, name)
		}
	}))
	key := redistest.Name("trace")
	if err := c.Get(ctx, key).Err(); !errors.Is(err, goredis.Nil) {
		t.Fatal(err)
	}
	p := c.Pipeline()
	p.Set(ctx, key, "1", 0)
	p.Del(ctx, key)
	if _, err := p.Exec(ctx); err != nil {
		t.Fatal(err)
	}
	_ = c.Do(ctx, "nosuchcommand").Err()
	mu.Lock()
	defer mu.Unlock()
	for _, want := range []string{"redis get", "redis pipeline", "redis nosuchcommand failed"} {
		if !slices.Contains(spans, want) {
			t.Errorf("no %q span in %q", want, spans)
		}
	}
}
