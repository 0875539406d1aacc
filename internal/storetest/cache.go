package storetest

import (
	"fmt"
	"reflect"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/oceanshop/ocean/internal/catalog"
	"github.com/oceanshop/ocean/internal/ocean"
)

// CacheImpl describes a catalog.Cache implementation to its contract.
type CacheImpl struct {
	// New returns a cache ready for use that reads the time from clock.
	New func(t *testing.T, clock func() time.Time) catalog.Cache
	// Shared: the caches New returns within one subtest are instances of
	// one shop (they share a tier and hear each other's invalidations).
	Shared bool
}

// Cache runs the catalog.Cache contract.
func Cache(t *testing.T, impl CacheImpl) {
	t.Run("generations", func(t *testing.T) { testCacheGenerations(t, impl) })
	t.Run("values", func(t *testing.T) { testCacheValues(t, impl) })
	t.Run("expiry", func(t *testing.T) { testCacheExpiry(t, impl) })
	t.Run("early refresh", func(t *testing.T) { testCacheEarlyRefresh(t, impl) })
	t.Run("stats", func(t *testing.T) { testCacheStats(t, impl) })
	t.Run("concurrent", func(t *testing.T) { testCacheConcurrent(t, impl) })
	t.Run("fleet", func(t *testing.T) {
		if !impl.Shared {
			t.Skip("not a shared cache")
		}
		testCacheFleet(t, impl)
	})
	t.Run("tags", func(t *testing.T) { testCacheTags(t, impl) })
	t.Run("fleet tags", func(t *testing.T) {
		if !impl.Shared {
			t.Skip("not a shared cache")
		}
		testCacheFleetTags(t, impl)
	})
}

// InvalidateTags drops the entries with one of the tags and keeps the
// rest; a value loaded before a tag was dropped is not stored under it,
// while one with other tags is.
func testCacheTags(t *testing.T, impl CacheImpl) {
	c := impl.New(t, time.Now)
	gen := c.Gen(ctx)
	c.Set(ctx, "card:1", catalog.Card{ID: 1}, gen, "p:1")
	c.Set(ctx, "search:a", &catalog.Page{Items: []catalog.Card{{ID: 1}, {ID: 2}}}, gen, catalog.TagListings, "p:1", "p:2")
	c.Set(ctx, "search:b", &catalog.Page{Items: []catalog.Card{{ID: 3}}}, gen, catalog.TagListings, "p:3")
	c.Set(ctx, "product:two", &catalog.Product{ID: 2}, gen, "p:2")
	c.Set(ctx, "tree", catalog.NewTree(nil), gen)
	c.InvalidateTags(ctx, "p:1")
	for _, k := range []string{"card:1", "search:a"} {
		if _, ok := c.Get(ctx, k); ok {
			t.Errorf("%s (tagged p:1) survives InvalidateTags(p:1)", k)
		}
	}
	for _, k := range []string{"search:b", "product:two", "tree"} {
		if _, ok := c.Get(ctx, k); !ok {
			t.Errorf("%s (not tagged p:1) was dropped by InvalidateTags(p:1)", k)
		}
	}
	// A load that began before the drop: refused under the dropped tag,
	// stored under another.
	c.Set(ctx, "card:1", catalog.Card{ID: 1}, gen, "p:1")
	if _, ok := c.Get(ctx, "card:1"); ok {
		t.Error("a value loaded before its tag was dropped was stored")
	}
	c.Set(ctx, "card:4", catalog.Card{ID: 4}, gen, "p:4")
	if _, ok := c.Get(ctx, "card:4"); !ok {
		t.Error("a value whose tags were not dropped was refused")
	}
	c.Set(ctx, "card:1", catalog.Card{ID: 1}, c.Gen(ctx), "p:1")
	if _, ok := c.Get(ctx, "card:1"); !ok {
		t.Error("a value loaded after the drop was refused")
	}
	// A broad tag drops every listing at once; Invalidate drops everything.
	c.InvalidateTags(ctx, catalog.TagListings)
	if _, ok := c.Get(ctx, "search:b"); ok {
		t.Error("a listing survives InvalidateTags(listings)")
	}
	if _, ok := c.Get(ctx, "product:two"); !ok {
		t.Error("a product page was dropped with the listings")
	}
	c.Invalidate(ctx)
	if _, ok := c.Get(ctx, "product:two"); ok {
		t.Error("an entry survives Invalidate")
	}
	if bc, ok := c.(catalog.BatchCache); ok {
		g := c.Gen(ctx)
		c.InvalidateTags(ctx, "p:8")
		bc.SetMany(ctx, []string{"card:8", "card:9"}, []any{catalog.Card{ID: 8}, catalog.Card{ID: 9}}, g, []string{"p:8"}, []string{"p:9"})
		got := bc.GetMany(ctx, []string{"card:8", "card:9"})
		if got[0] != nil || got[1] == nil {
			t.Errorf("SetMany after p:8 dropped: %#v, want card 9 only", got)
		}
	}
}

// Instances of one shop: a tag dropped on one is dropped on every other
// within a second, in both tiers, and what it did not tag stays served; a
// slow loader's value from before the drop is never served by anyone.
func testCacheFleetTags(t *testing.T, impl CacheImpl) {
	a, b := impl.New(t, time.Now), impl.New(t, time.Now)
	gen := a.Gen(ctx)
	a.Set(ctx, "product:tee", &catalog.Product{ID: 1, Name: "old"}, gen, "p:1")
	a.Set(ctx, "product:mug", &catalog.Product{ID: 2, Name: "mug"}, gen, "p:2")
	for _, k := range []string{"product:tee", "product:mug"} {
		if _, ok := b.Get(ctx, k); !ok {
			t.Fatalf("b does not read %s, which a stored", k)
		}
	}
	bgen := b.Gen(ctx) // b starts a slow load of the tee before the write
	a.InvalidateTags(ctx, "p:1")
	deadline := time.Now().Add(time.Second)
	for {
		if _, ok := b.Get(ctx, "product:tee"); !ok {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("b still serves the tee a second after a dropped its tag")
		}
		time.Sleep(2 * time.Millisecond)
	}
	if _, ok := b.Get(ctx, "product:mug"); !ok {
		t.Error("b dropped the mug, which the write did not tag")
	}
	b.Set(ctx, "product:tee", &catalog.Product{ID: 1, Name: "stale"}, bgen, "p:1") // the slow load ends
	c := impl.New(t, time.Now)
	for i, r := range []catalog.Cache{a, b, c} {
		if v, ok := r.Get(ctx, "product:tee"); ok {
			t.Errorf("instance %d serves %q, loaded before the write", i, v.(*catalog.Product).Name)
		}
	}
	// A load after the write is stored and shared.
	b.Set(ctx, "product:tee", &catalog.Product{ID: 1, Name: "new"}, b.Gen(ctx), "p:1")
	for i, r := range []catalog.Cache{a, b} {
		if v, ok := r.Get(ctx, "product:tee"); !ok || v.(*catalog.Product).Name != "new" {
			t.Errorf("instance %d: after the reload %v, %v", i, v, ok)
		}
	}
}

func testCacheGenerations(t *testing.T, impl CacheImpl) {
	c := impl.New(t, time.Now)
	if _, ok := c.Get(ctx, "card:1"); ok {
		t.Fatal("a new cache has an entry")
	}
	gen := c.Gen(ctx)
	c.Set(ctx, "card:1", catalog.Card{ID: 1}, gen)
	if v, ok := c.Get(ctx, "card:1"); !ok || v.(catalog.Card).ID != 1 {
		t.Fatalf("Get after Set = %v, %v", v, ok)
	}
	c.Invalidate(ctx)
	if _, ok := c.Get(ctx, "card:1"); ok {
		t.Fatal("entry survives Invalidate")
	}
	if c.Gen(ctx) == gen {
		t.Fatal("Invalidate did not start a new generation")
	}
	// A value computed before a write must not be stored after it.
	c.Set(ctx, "card:2", catalog.Card{ID: 2}, gen)
	if _, ok := c.Get(ctx, "card:2"); ok {
		t.Fatal("Set with a generation from before Invalidate was stored")
	}
	c.Set(ctx, "card:2", catalog.Card{ID: 3}, c.Gen(ctx))
	if v, ok := c.Get(ctx, "card:2"); !ok || v.(catalog.Card).ID != 3 {
		t.Fatalf("Set with the current generation: %v, %v", v, ok)
	}
}

// cacheSamples is one value of every keyspace, with every field set so a
// lossy encoding shows.
func cacheSamples() map[string]any {
	at := time.Date(2029, 3, 4, 5, 6, 7, 8000, time.UTC)
	zar := func(n int64) ocean.Money { return ocean.Money{Amount: n, Currency: "ZAR"} }
	cats := []catalog.Category{
		{ID: 1, Slug: "clothing", Name: "Clothing", Description: "Things to wear"},
		{ID: 3, Slug: "gear", Name: "Gear", Position: 1},
		{ID: 2, Slug: "tees", Name: "Tees", ParentID: 1},
	}
	tree := catalog.NewTree(cats)
	tees, _ := tree.BySlug("tees")
	card := catalog.Card{ID: 7, Slug: "tee", Name: "Tee", Summary: "Soft", CategoryID: 2, PriceMin: zar(100), PriceMax: zar(150), InStock: true, CreatedAt: at}
	min := int64(50)
	facets := catalog.Facets{Total: 3, InStock: 2, Categories: map[int64]int{2: 3}, PriceMin: 100, PriceMax: 900,
		Options: map[string]map[string]int{"size": {"S": 1, "M": 2}}}
	return map[string]any{
		"tree":   tree,
		"card:7": card,
		"product:tee": &catalog.Product{ID: 7, Slug: "tee", Name: "Tee", Description: "Soft cotton", CategoryID: 2,
			Options:   []catalog.Option{{Name: "size", Values: []string{"S", "M"}}},
			Variants:  []catalog.Variant{{ID: 11, ProductID: 7, SKU: "TEE-S", Options: map[string]string{"size": "S"}, Price: zar(100), Stock: 4}},
			CreatedAt: at, UpdatedAt: at.Add(time.Hour)},
		"facets:q=tee": facets,
		"search:q=tee": &catalog.Page{
			Query:      catalog.Query{Text: "tee", Terms: []string{"tee"}, Category: "tees", MinPrice: &min, Options: map[string][]string{"size": {"S"}}, Sort: catalog.SortPriceAsc, Limit: 1, Cursor: &catalog.Cursor{Sort: catalog.SortPriceAsc, Price: 100, ID: 6}},
			Items:      []catalog.Card{card},
			NextCursor: "abc",
			Facets:     facets,
			Category:   tees,
		},
		"view:api:products:q=tee": []byte(`{"items":[]}`),
		"negative:no-such-tee":    true,
	}
}

// Every keyspace's value comes back as it went in, from this instance and
// (for a shared cache) from another one that reads it from the shared tier.
func testCacheValues(t *testing.T, impl CacheImpl) {
	a := impl.New(t, time.Now)
	readers := []catalog.Cache{a}
	if impl.Shared {
		readers = append(readers, impl.New(t, time.Now))
	}
	samples := cacheSamples()
	for k, v := range samples {
		a.Set(ctx, k, v, a.Gen(ctx))
	}
	for i, r := range readers {
		for k, want := range samples {
			got, ok := r.Get(ctx, k)
			if !ok {
				t.Errorf("instance %d: %s: miss", i, k)
				continue
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("instance %d: %s:\n got %#v\nwant %#v", i, k, got, want)
			}
		}
		if tree, ok := r.Get(ctx, "tree"); ok {
			tees, ok := tree.(*catalog.Tree).BySlug("tees")
			if !ok || len(tree.(*catalog.Tree).Path(tees)) != 2 {
				t.Errorf("instance %d: the tree lost its lookups", i)
			}
		}
	}
	if bc, ok := a.(catalog.BatchCache); ok {
		keys := []string{"card:7", "card:8", "product:tee"}
		got := bc.GetMany(ctx, keys)
		if len(got) != 3 || !reflect.DeepEqual(got[0], samples["card:7"]) || got[1] != nil || got[2] == nil {
			t.Errorf("GetMany(%q) = %#v", keys, got)
		}
		bc.SetMany(ctx, []string{"card:8", "card:9"}, []any{catalog.Card{ID: 8}, catalog.Card{ID: 9}}, a.Gen(ctx))
		for _, r := range readers {
			got := r.(catalog.BatchCache).GetMany(ctx, []string{"card:9", "card:8"})
			if c, ok := got[0].(catalog.Card); !ok || c.ID != 9 {
				t.Errorf("after SetMany: %#v", got)
			}
		}
		bc.SetMany(ctx, []string{"card:10"}, []any{catalog.Card{ID: 10}}, a.Gen(ctx)-1)
		if _, ok := a.Get(ctx, "card:10"); ok {
			t.Error("SetMany with an old generation stored")
		}
	}
}

// Entries expire after their keyspace's TTL (jitter included); negative
// entries sooner than the rest.
func testCacheExpiry(t *testing.T, impl CacheImpl) {
	clock := NewClock()
	readers := []catalog.Cache{impl.New(t, clock.Now)}
	if impl.Shared {
		readers = append(readers, impl.New(t, clock.Now))
	}
	a := readers[0]
	a.Set(ctx, "negative:x", true, a.Gen(ctx))
	a.Set(ctx, "card:1", catalog.Card{ID: 1}, a.Gen(ctx))
	for i, r := range readers {
		if _, ok := r.Get(ctx, "negative:x"); !ok {
			t.Fatalf("instance %d: negative entry not served at once", i)
		}
	}
	_, negShared := catalog.CacheTTL("negative:x")
	clock.Advance(negShared + negShared/10 + time.Second)
	for i, r := range readers {
		if _, ok := r.Get(ctx, "negative:x"); ok {
			t.Errorf("instance %d: negative entry served %s after it was stored", i, negShared*11/10)
		}
	}
	_, shared := catalog.CacheTTL("card:1")
	clock.Advance(shared + shared/10)
	for i, r := range readers {
		if _, ok := r.Get(ctx, "card:1"); ok {
			t.Errorf("instance %d: entry served after its TTL", i)
		}
	}
}

// A key read often shortly before it expires is refreshed by some reader
// (a counted miss) while the others are still served.
func testCacheEarlyRefresh(t *testing.T, impl CacheImpl) {
	clock := NewClock()
	c := impl.New(t, clock.Now)
	c.Set(ctx, "product:hot", &catalog.Product{ID: 1}, c.Gen(ctx))
	local, _ := catalog.CacheTTL("product:hot")
	clock.Advance(local * 9 / 10 * 95 / 100) // a little before the earliest jittered expiry
	hits := 0
	for range 2000 {
		if _, ok := c.Get(ctx, "product:hot"); ok {
			hits++
		}
	}
	st := stats(t, c)["product"]
	if st.Refreshes == 0 {
		t.Errorf("2000 reads shortly before expiry refreshed nothing early: %+v", st)
	}
	if hits < 1000 {
		t.Errorf("only %d of 2000 reads shortly before expiry were served", hits)
	}
}

func stats(t *testing.T, c catalog.Cache) catalog.CacheStats {
	t.Helper()
	s, ok := c.(interface{ Stats() catalog.CacheStats })
	if !ok {
		t.Fatalf("%T has no Stats method", c)
	}
	return s.Stats()
}

// Hits and misses are counted per keyspace.
func testCacheStats(t *testing.T, impl CacheImpl) {
	c := impl.New(t, time.Now)
	c.Get(ctx, "card:1")
	c.Set(ctx, "card:1", catalog.Card{ID: 1}, c.Gen(ctx))
	c.Get(ctx, "card:1")
	c.Get(ctx, "card:1")
	c.Get(ctx, "negative:x")
	s := stats(t, c)
	if got := s["card"]; got.LocalHits != 2 || got.LocalMisses != 1 || got.Lookups() != 3 {
		t.Errorf("card stats = %+v, want 2 hits and 1 miss in process", got)
	}
	if got := s["negative"]; got.LocalMisses != 1 || got.LocalHits != 0 {
		t.Errorf("negative stats = %+v", got)
	}
	if got := s["product"]; got.Lookups() != 0 {
		t.Errorf("product stats = %+v, want none", got)
	}
	if r := s.Total().HitRatio(); r < 0.49 || r > 0.51 {
		t.Errorf("hit ratio %.2f, want 0.5", r)
	}
}

// Readers, writers and invalidations at once (run with -race): a reader
// never sees a value of the wrong type or from before the last write it
// knows of.
func testCacheConcurrent(t *testing.T, impl CacheImpl) {
	c := impl.New(t, time.Now)
	var wg sync.WaitGroup
	// Card ids written start at base; once an invalidation that raised base
	// to n has returned (done = n), no card below n may be served.
	var base, done atomic.Int64
	for w := range 8 {
		wg.Go(func() {
			for i := range 200 {
				key := fmt.Sprintf("card:%d", i%10)
				floor := done.Load()
				if v, ok := c.Get(ctx, key); ok {
					if card := v.(catalog.Card); card.ID < floor {
						t.Errorf("served card %d after the invalidation that made %d the floor", card.ID, floor)
						return
					}
				}
				gen := c.Gen(ctx)
				c.Set(ctx, key, catalog.Card{ID: base.Load() + int64(i%3)}, gen)
				if w == 0 && i%50 == 49 {
					n := base.Add(1000)
					c.Invalidate(ctx)
					done.Store(n)
				}
				if w == 1 && i%20 == 19 {
					c.InvalidateTags(ctx, "p:7", catalog.TagStock) // untagged cards stay
				}
			}
		})
	}
	wg.Wait()
}

// Instances of one shop: what one stores another reads; a write on one
// clears every other within a second; and a value a slow loader computed
// before that write is never stored or served afterwards, by any instance.
func testCacheFleet(t *testing.T, impl CacheImpl) {
	a, b := impl.New(t, time.Now), impl.New(t, time.Now)
	a.Set(ctx, "product:tee", &catalog.Product{ID: 1, Name: "old"}, a.Gen(ctx))
	if v, ok := b.Get(ctx, "product:tee"); !ok || v.(*catalog.Product).Name != "old" {
		t.Fatalf("b does not read what a stored: %v %v", v, ok)
	}
	bgen := b.Gen(ctx) // b starts a slow load before the write
	a.Invalidate(ctx)
	deadline := time.Now().Add(time.Second)
	for {
		if _, ok := b.Get(ctx, "product:tee"); !ok {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("b still serves the old value a second after a's write")
		}
		time.Sleep(2 * time.Millisecond)
	}
	b.Set(ctx, "product:tee", &catalog.Product{ID: 1, Name: "stale"}, bgen) // the slow load ends
	c := impl.New(t, time.Now)
	for i, r := range []catalog.Cache{a, b, c} {
		if v, ok := r.Get(ctx, "product:tee"); ok {
			t.Errorf("instance %d serves %q, computed before the write", i, v.(*catalog.Product).Name)
		}
	}
	b.Set(ctx, "product:tee", &catalog.Product{ID: 1, Name: "new"}, b.Gen(ctx))
	if v, ok := c.Get(ctx, "product:tee"); !ok || v.(*catalog.Product).Name != "new" {
		t.Errorf("c does not read the value b stored after the write: %v %v", v, ok)
	}
}
