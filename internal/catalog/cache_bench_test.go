package catalog_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/url"
	"sync/atomic"
	"testing"
	"time"

	"github.com/oceanshop/ocean/internal/catalog"
	"github.com/oceanshop/ocean/internal/demo"
	"github.com/oceanshop/ocean/internal/inventory"
	"github.com/oceanshop/ocean/internal/redis"
	"github.com/oceanshop/ocean/internal/redis/redistest"
	"github.com/oceanshop/ocean/internal/sqlite/sqlitetest"
)

// countingStore counts the calls that reach the database.
type countingStore struct {
	catalog.Store
	calls atomic.Int64
}

func (s *countingStore) Categories(ctx context.Context) ([]catalog.Category, error) {
	s.calls.Add(1)
	return s.Store.Categories(ctx)
}

func (s *countingStore) Search(ctx context.Context, f catalog.Filter) ([]catalog.Hit, error) {
	s.calls.Add(1)
	return s.Store.Search(ctx, f)
}

func (s *countingStore) Facets(ctx context.Context, f catalog.Filter) (catalog.Facets, error) {
	s.calls.Add(1)
	return s.Store.Facets(ctx, f)
}

func (s *countingStore) Cards(ctx context.Context, ids []int64) ([]catalog.Card, error) {
	s.calls.Add(1)
	return s.Store.Cards(ctx, ids)
}

func (s *countingStore) ProductBySlug(ctx context.Context, slug string) (*catalog.Product, error) {
	s.calls.Add(1)
	return s.Store.ProductBySlug(ctx, slug)
}

func query(tb testing.TB, kv ...string) catalog.Query {
	v := url.Values{}
	for i := 0; i < len(kv); i += 2 {
		v.Set(kv[i], kv[i+1])
	}
	q, err := catalog.ParseQuery(v)
	if err != nil {
		tb.Fatal(err)
	}
	return q
}

// BenchmarkBrowseZipf is a browse workload on two instances of one shop
// sharing Redis: product pages and listing pages (every category and the
// whole shop, in every sort), picked with Zipf-distributed popularity
// (s=1.1) over the demo catalog, plus 1% requests for mistyped product
// addresses. Each request goes to one of the two instances at random and
// loads the category tree as a page does. It reports hit% (requests that
// reached no database), lookup-hit% (cache lookups answered by either
// tier) and db-calls/op. A stock change every N requests (one unit of a
// product, picked with the same popularity, sold on one instance as a
// checkout would: Service.StockChanged) shows what edits cost; the
// "drop-all" runs make the same edits drop the whole catalog cache, as
// every write did before tags (decision 0105), for comparison. Run with a
// fixed count, for example -benchtime=20000x, since the cold start counts.
//
//	go test -run '^$' -bench BrowseZipf -benchtime=20000x ./internal/catalog/
func BenchmarkBrowseZipf(b *testing.B) {
	b.Run("read-only", func(b *testing.B) { benchBrowse(b, 0, false) })
	for _, every := range []int{1000, 100} {
		b.Run(fmt.Sprintf("stock-every-%d", every), func(b *testing.B) { benchBrowse(b, every, false) })
		b.Run(fmt.Sprintf("stock-every-%d-drop-all", every), func(b *testing.B) { benchBrowse(b, every, true) })
	}
}

func benchBrowse(b *testing.B, writeEvery int, dropAll bool) {
	redisURL := redistest.URL(b)
	ctx := context.Background()
	db := sqlitetest.Open(b)
	if _, err := demo.Seed(ctx, catalog.NewService(db.Catalog(), nil)); err != nil {
		b.Fatal(err)
	}
	store := &countingStore{Store: db.Catalog()}
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	shop := redistest.Name("ocean-bench-")
	var svcs []*catalog.Service
	var caches []*redis.Cache
	for range 2 {
		rdb, err := redis.Open(ctx, redisURL)
		if err != nil {
			b.Fatal(err)
		}
		defer rdb.Close()
		c := redis.NewCache(rdb, redis.CacheConfig{Channel: shop}, quiet)
		defer c.Close()
		for deadline := time.Now().Add(5 * time.Second); !c.Live(); time.Sleep(5 * time.Millisecond) {
			if time.Now().After(deadline) {
				b.Fatal("cache did not subscribe")
			}
		}
		caches = append(caches, c)
		svcs = append(svcs, catalog.NewService(store, c))
	}

	// The pages: every product, every listing.
	type page struct {
		slug    string        // a product page
		q       catalog.Query // or a listing
		variant int64         // a product's first variant
	}
	var pages []page
	for cursor := ""; ; {
		kv := []string{"sort", "newest", "limit", "100"}
		if cursor != "" {
			kv = append(kv, "cursor", cursor)
		}
		p, err := svcs[0].Search(ctx, query(b, kv...))
		if err != nil {
			b.Fatal(err)
		}
		for _, c := range p.Items {
			pr, err := svcs[0].Product(ctx, c.Slug)
			if err != nil {
				b.Fatal(err)
			}
			pages = append(pages, page{slug: c.Slug, variant: pr.Variants[0].ID})
		}
		if cursor = p.NextCursor; cursor == "" {
			break
		}
	}
	products := len(pages)
	tree, err := svcs[0].Categories(ctx)
	if err != nil {
		b.Fatal(err)
	}
	var walk func([]*catalog.Category)
	slugs := []string{""}
	walk = func(cs []*catalog.Category) {
		for _, c := range cs {
			slugs = append(slugs, c.Slug)
			walk(c.Children)
		}
	}
	walk(tree.Roots)
	for _, slug := range slugs {
		for _, s := range catalog.Sorts {
			pages = append(pages, page{q: query(b, "category", slug, "sort", string(s))})
		}
	}
	rng := rand.New(rand.NewPCG(1, 2))
	rng.Shuffle(len(pages), func(i, j int) { pages[i], pages[j] = pages[j], pages[i] })
	zipf := rand.NewZipf(rng, 1.1, 1, uint64(len(pages)-1))
	for _, c := range caches { // start cold: the set-up above warmed instance 0
		c.Invalidate(ctx)
	}
	before := make([]catalog.CacheStats, 2)
	for i, s := range svcs {
		before[i] = s.CacheStats()
	}
	calls0 := store.calls.Load()

	hits := 0
	b.ResetTimer()
	for i := range b.N {
		if writeEvery > 0 && i > 0 && i%writeEvery == 0 {
			// A unit of a product sells (or, sold out, comes back).
			p := pages[zipf.Uint64()]
			for p.slug == "" {
				p = pages[zipf.Uint64()]
			}
			sold := true
			if _, err := db.Commerce().Adjust(ctx, inventory.Entry{VariantID: p.variant, Delta: -1, Kind: inventory.Adjust, Reason: "bench", Actor: "bench"}); err != nil {
				sold = false
				if _, err := db.Commerce().Adjust(ctx, inventory.Entry{VariantID: p.variant, Delta: 5, Kind: inventory.Adjust, Reason: "bench", Actor: "bench"}); err != nil {
					b.Fatal(err)
				}
			}
			w := rng.IntN(2)
			if dropAll {
				caches[w].Invalidate(ctx)
			} else {
				svcs[w].StockChanged(ctx, []int64{p.variant}, sold)
			}
		}
		svc := svcs[rng.IntN(2)]
		n := store.calls.Load()
		if _, err := svc.Categories(ctx); err != nil {
			b.Fatal(err)
		}
		switch {
		case rng.IntN(100) == 0:
			if _, err := svc.Product(ctx, fmt.Sprintf("no-such-thing-%d", rng.IntN(10))); err == nil {
				b.Fatal("a mistyped address found a product")
			}
		default:
			p := pages[zipf.Uint64()]
			if p.slug != "" {
				_, err = svc.Product(ctx, p.slug)
			} else {
				_, err = svc.Search(ctx, p.q)
			}
			if err != nil {
				b.Fatal(err)
			}
		}
		if store.calls.Load() == n {
			hits++
		}
	}
	b.StopTimer()
	var stats catalog.CacheStats
	for i, s := range svcs {
		stats = stats.Add(subtract(s.CacheStats(), before[i]))
	}
	total := stats.Total()
	b.ReportMetric(100*float64(hits)/float64(b.N), "hit%")
	b.ReportMetric(100*total.HitRatio(), "lookup-hit%")
	b.ReportMetric(float64(store.calls.Load()-calls0)/float64(b.N), "db-calls/op")
	if b.N < 100 {
		return
	}
	b.Logf("%d requests over %d products and %d listings, 2 instances: %.2f%% served without the database", b.N, products, len(pages)-products, 100*float64(hits)/float64(b.N))
	for _, ks := range append(catalog.CacheKeyspaces, "other") {
		if c, ok := stats[ks]; ok {
			b.Logf("  %-8s lookups %6d  local hits %6d  shared hits %5d  shared misses %5d  refreshes %d  hit %.1f%%",
				ks, c.Lookups(), c.LocalHits, c.SharedHits, c.SharedMisses, c.Refreshes, 100*c.HitRatio())
		}
	}
}

func subtract(a, b catalog.CacheStats) catalog.CacheStats {
	out := catalog.CacheStats{}
	for k, c := range a {
		o := b[k]
		out[k] = catalog.CacheCounts{LocalHits: c.LocalHits - o.LocalHits, LocalMisses: c.LocalMisses - o.LocalMisses,
			SharedHits: c.SharedHits - o.SharedHits, SharedMisses: c.SharedMisses - o.SharedMisses, Refreshes: c.Refreshes - o.Refreshes}
	}
	return out
}
