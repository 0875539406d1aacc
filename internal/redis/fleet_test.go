package redis_test

import (
	"context"
	"encoding/json"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/oceanshop/ocean/internal/catalog"
	"github.com/oceanshop/ocean/internal/inventory"
	"github.com/oceanshop/ocean/internal/ocean"
	"github.com/oceanshop/ocean/internal/postgres"
	"github.com/oceanshop/ocean/internal/postgres/postgrestest"
	"github.com/oceanshop/ocean/internal/redis"
	"github.com/oceanshop/ocean/internal/redis/redistest"
	"github.com/oceanshop/ocean/internal/sqldb"
)

// instance is one Ocean process of a fleet, as far as the catalog goes:
// its own database pool, Redis client, two-tier cache and catalog service.
type instance struct {
	*catalog.Service
	db    *sqldb.DB
	loads atomic.Int64 // product pages loaded from the database
}

type countingProducts struct {
	catalog.Store
	n *atomic.Int64
}

func (s countingProducts) ProductBySlug(ctx context.Context, slug string) (*catalog.Product, error) {
	s.n.Add(1)
	return s.Store.ProductBySlug(ctx, slug)
}

func startInstance(t *testing.T, dbURL, redisURL, channel string) *instance {
	t.Helper()
	ctx := context.Background()
	db, err := postgres.Open(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	rdb, err := redis.Open(ctx, redisURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rdb.Close() })
	// The prefix a real instance derives from its database; a channel of
	// this test's own, so other tests on this Redis do not hear it.
	c := live(t, redis.NewCache(rdb, redis.CacheConfig{Channel: channel, Prefix: redis.CachePrefix(dbURL, "")}, quiet))
	in := &instance{db: db}
	in.Service = catalog.NewService(countingProducts{Store: db.Catalog(), n: &in.loads}, c)
	return in
}

// within waits until cond holds, failing after a second: the promise a
// fleet makes for an edit made on another instance.
func within(t *testing.T, what string, cond func() bool) time.Duration {
	t.Helper()
	start := time.Now()
	for !cond() {
		if time.Since(start) > time.Second {
			t.Fatalf("%s: not within a second", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
	return time.Since(start)
}

// TestFleetServesAnEditWithinASecond: two instances over one PostgreSQL and
// one Redis. Instance b has the tee's page, listings, a search and an
// encoded API page cached; every edit made on a (price, stock, name, status)
// is served by b within a second, through its product page, its listings,
// its search and the API's encoded page, while b keeps serving the mug's
// page, which no edit touched, from its cache.
func TestFleetServesAnEditWithinASecond(t *testing.T) {
	ctx := context.Background()
	dbURL, redisURL := postgrestest.URL(t), redistest.URL(t)
	channel := redistest.Name("ocean-fleet-")
	a, b := startInstance(t, dbURL, redisURL, channel), startInstance(t, dbURL, redisURL, channel)

	cat := &catalog.Category{Slug: "shop", Name: "Shop"}
	if err := a.CreateCategory(ctx, cat); err != nil {
		t.Fatal(err)
	}
	zar := func(n int64) ocean.Money { return ocean.Money{Amount: n, Currency: "ZAR"} }
	tee := &catalog.Product{Slug: "tee", Name: "Plain tee", Description: "Cotton.", CategoryID: cat.ID,
		Variants: []catalog.Variant{{SKU: "TEE", Price: zar(20000), Stock: 2}}}
	mug := &catalog.Product{Slug: "mug", Name: "Mug", Description: "A mug.", CategoryID: cat.ID,
		Variants: []catalog.Variant{{SKU: "MUG", Price: zar(9900), Stock: 4}}}
	for _, p := range []*catalog.Product{tee, mug} {
		if err := a.CreateProduct(ctx, p); err != nil {
			t.Fatal(err)
		}
	}
	query := func(kv ...string) catalog.Query {
		v := map[string][]string{}
		for i := 0; i < len(kv); i += 2 {
			v[kv[i]] = []string{kv[i+1]}
		}
		q, err := catalog.ParseQuery(v)
		if err != nil {
			t.Fatal(err)
		}
		return q
	}
	listing, inStock := query("category", "shop", "sort", "newest"), query("in_stock", "1")
	search := func(s *instance, q catalog.Query) map[string]catalog.Card {
		p, err := s.Search(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]catalog.Card{}
		for _, c := range p.Items {
			out[c.Slug] = c
		}
		return out
	}
	// The API's list of products, encoded once and cached as a view.
	type apiItem struct {
		Slug  string `json:"slug"`
		Price int64  `json:"price"`
	}
	apiList := func(s *instance) map[string]int64 {
		v, err := s.View(ctx, "api:products:"+listing.Key(), func(ctx context.Context) (any, error) {
			p, err := s.Search(ctx, listing)
			if err != nil {
				return nil, err
			}
			var items []apiItem
			for _, c := range p.Items {
				items = append(items, apiItem{c.Slug, c.PriceMin.Amount})
			}
			return json.Marshal(items)
		})
		if err != nil {
			t.Fatal(err)
		}
		var items []apiItem
		if err := json.Unmarshal(v.([]byte), &items); err != nil {
			t.Fatal(err)
		}
		out := map[string]int64{}
		for _, it := range items {
			out[it.Slug] = it.Price
		}
		return out
	}
	page := func(s *instance, slug string) *catalog.Product {
		p, err := s.Product(ctx, slug)
		if ocean.ErrorCode(err) == ocean.ENOTFOUND {
			return nil
		}
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	warm := func() {
		page(b, "tee")
		page(b, "mug")
		search(b, listing)
		search(b, inStock)
		search(b, query("q", "plain"))
		apiList(b)
	}
	warm()
	mugLoads := func() int64 { n := b.loads.Load(); page(b, "mug"); return b.loads.Load() - n }
	if n := mugLoads(); n != 0 {
		t.Fatalf("b's mug page is not cached: %d loads", n)
	}

	// A price cut on a.
	if err := a.SetPrices(ctx, tee.ID, map[int64]int64{tee.Variants[0].ID: 15000}, "ZAR"); err != nil {
		t.Fatal(err)
	}
	d := within(t, "the new price on b's product page, listing and API page", func() bool {
		return page(b, "tee").Variants[0].Price.Amount == 15000 && search(b, listing)["tee"].PriceMin.Amount == 15000 && apiList(b)["tee"] == 15000
	})
	t.Logf("price change served by the other instance after %s", d)
	if n := mugLoads(); n != 0 {
		t.Errorf("the tee's price change made b load the mug's page again (%d loads)", n)
	}

	// The last units sell on a (a checkout's stock change).
	if _, err := a.db.Commerce().Adjust(ctx, inventory.Entry{VariantID: tee.Variants[0].ID, Delta: -2, Kind: inventory.Adjust, Reason: "sold", Actor: "test"}); err != nil {
		t.Fatal(err)
	}
	a.StockChanged(ctx, []int64{tee.Variants[0].ID}, true)
	d = within(t, "the sold-out tee on b", func() bool {
		_, listed := search(b, inStock)["tee"]
		return page(b, "tee").Variants[0].Stock == 0 && !search(b, listing)["tee"].InStock && !listed
	})
	t.Logf("sell-out served by the other instance after %s", d)
	if n := mugLoads(); n != 0 {
		t.Errorf("the tee selling out made b load the mug's page again (%d loads)", n)
	}

	// A rename on a: b's search finds the new name, not the old.
	p, err := a.ProductByID(ctx, tee.ID)
	if err != nil {
		t.Fatal(err)
	}
	p.Name = "Sailor shirt"
	if err := a.Save(ctx, catalog.System, p, p.Version); err != nil {
		t.Fatal(err)
	}
	d = within(t, "the new name in b's search", func() bool {
		_, sailor := search(b, query("q", "sailor"))["tee"]
		_, plain := search(b, query("q", "plain"))["tee"]
		return sailor && !plain && page(b, "tee").Name == "Sailor shirt"
	})
	t.Logf("rename served by the other instance's search after %s", d)

	// Archived on a: gone from b's pages, listings, search and API page.
	if _, err := a.SetStatus(ctx, catalog.System, tee.ID, 0, catalog.StatusArchived); err != nil {
		t.Fatal(err)
	}
	d = within(t, "the archived tee gone from b", func() bool {
		_, listed := search(b, listing)["tee"]
		_, found := search(b, query("q", "sailor"))["tee"]
		_, api := apiList(b)["tee"]
		return page(b, "tee") == nil && !listed && !found && !api
	})
	t.Logf("archive served by the other instance after %s", d)
	if got := apiList(b); !slices.Equal([]int64{got["mug"]}, []int64{9900}) {
		t.Errorf("b's API page after the archive: %v", got)
	}
}
