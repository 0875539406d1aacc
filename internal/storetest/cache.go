package storetest

import (
	"testing"

	"github.com/oceanshop/ocean/internal/catalog"
)

// Cache runs the catalog.Cache contract. newCache must return a cache
// ready for use.
func Cache(t *testing.T, newCache func(t *testing.T) catalog.Cache) {
	c := newCache(t)
	if _, ok := c.Get(ctx, "a"); ok {
		t.Fatal("a new cache has an entry")
	}
	gen := c.Gen(ctx)
	c.Set(ctx, "a", 1, gen)
	if v, ok := c.Get(ctx, "a"); !ok || v.(int) != 1 {
		t.Fatalf("Get after Set = %v, %v", v, ok)
	}
	c.Invalidate(ctx)
	if _, ok := c.Get(ctx, "a"); ok {
		t.Fatal("entry survives Invalidate")
	}
	if c.Gen(ctx) == gen {
		t.Fatal("Invalidate did not start a new generation")
	}
	// A value computed before a write must not be stored after it.
	c.Set(ctx, "b", 2, gen)
	if _, ok := c.Get(ctx, "b"); ok {
		t.Fatal("Set with a generation from before Invalidate was stored")
	}
	c.Set(ctx, "b", 3, c.Gen(ctx))
	if v, ok := c.Get(ctx, "b"); !ok || v.(int) != 3 {
		t.Fatalf("Set with the current generation: %v, %v", v, ok)
	}
}
