package local_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/oceanshop/ocean/internal/catalog"
	"github.com/oceanshop/ocean/internal/local"
	"github.com/oceanshop/ocean/internal/storetest"
)

func TestCacheContract(t *testing.T) {
	storetest.Cache(t, storetest.CacheImpl{New: func(t *testing.T, clock func() time.Time) catalog.Cache {
		return local.New(local.Options{Entries: 100, Now: clock})
	}})
}

func TestCacheIsBounded(t *testing.T) {
	c := local.NewCache(10)
	ctx := context.Background()
	for i := range 25 {
		c.Set(ctx, fmt.Sprint(i), i, c.Gen(ctx))
	}
	if c.Len() > 10 {
		t.Fatalf("cache holds %d entries, bound is 10", c.Len())
	}
}

// Large encoded pages must not grow the process without bound.
func TestCacheIsBoundedInBytes(t *testing.T) {
	c := local.NewCache(1 << 20)
	ctx := context.Background()
	page := make([]byte, 1<<20)
	for i := range 200 {
		c.Set(ctx, fmt.Sprint(i), page, c.Gen(ctx))
		if c.Bytes() > local.MaxBytes {
			t.Fatalf("after %d pages the cache holds %d bytes, bound is %d", i+1, c.Bytes(), local.MaxBytes)
		}
	}
	if c.Len() == 0 {
		t.Fatal("cache holds nothing")
	}
	c.Set(ctx, "0", []byte("small"), c.Gen(ctx)) // replacing an entry keeps the count right
	if v, ok := c.Get(ctx, "0"); !ok || string(v.([]byte)) != "small" {
		t.Fatal("replaced entry lost")
	}
}
