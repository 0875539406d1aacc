package local_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/oceanshop/ocean/internal/catalog"
	"github.com/oceanshop/ocean/internal/local"
	"github.com/oceanshop/ocean/internal/storetest"
)

func TestCacheContract(t *testing.T) {
	storetest.Cache(t, func(t *testing.T) catalog.Cache { return local.NewCache(100) })
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
