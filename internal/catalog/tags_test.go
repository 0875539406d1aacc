package catalog_test

import (
	"context"
	"slices"
	"testing"

	"github.com/oceanshop/ocean/internal/catalog"
	"github.com/oceanshop/ocean/internal/inventory"
	"github.com/oceanshop/ocean/internal/local"
	"github.com/oceanshop/ocean/internal/sqlite/sqlitetest"
)

func has(tags []string, t string) bool { return slices.Contains(tags, t) }

func TestPageTags(t *testing.T) {
	items := []catalog.Card{{ID: 4}, {ID: 9}}
	plain := catalog.PageTags(parse(t, "sort", "newest"), items)
	if !has(plain, catalog.TagListings) || !has(plain, "p:4") || !has(plain, "p:9") || has(plain, catalog.TagPrices) || has(plain, catalog.TagStock) {
		t.Errorf("newest listing: %v", plain)
	}
	for _, q := range []catalog.Query{parse(t, "sort", "price_asc"), parse(t, "sort", "price_desc"), parse(t, "min_price", "10"), parse(t, "max_price", "10")} {
		if tags := catalog.PageTags(q, nil); !has(tags, catalog.TagPrices) || has(tags, catalog.TagStock) {
			t.Errorf("%+v: %v", q, tags)
		}
	}
	if tags := catalog.PageTags(parse(t, "in_stock", "1"), items); !has(tags, catalog.TagStock) || has(tags, catalog.TagPrices) {
		t.Errorf("in-stock listing: %v", tags)
	}
	if f := catalog.FacetTags(); !has(f, catalog.TagListings) || !has(f, catalog.TagPrices) || !has(f, catalog.TagStock) {
		t.Errorf("facets: %v", f)
	}
	if got := catalog.ProductTags(&catalog.Product{ID: 3}); !slices.Equal(got, []string{"p:3"}) {
		t.Errorf("product page: %v", got)
	}
	if got := catalog.ProductTags(&catalog.Product{Slug: "new", MovedFrom: "old"}); !slices.Equal(got, []string{catalog.TagListings}) {
		t.Errorf("slug redirect: %v", got)
	}
}

func TestSaveTags(t *testing.T) {
	base := func() *catalog.Product {
		return &catalog.Product{ID: 5, Slug: "tee", Name: "Tee", Description: "Soft.", CategoryID: 2, Status: catalog.StatusActive,
			Options: []catalog.Option{{Name: "size", Values: []string{"S", "M"}}},
			Variants: []catalog.Variant{{ID: 1, Options: map[string]string{"size": "S"}, Price: zar(100), Stock: 2},
				{ID: 2, Options: map[string]string{"size": "M"}, Price: zar(120), Stock: 0}}}
	}
	all := []string{"p:5", catalog.TagListings, catalog.TagPrices, catalog.TagStock}
	cases := []struct {
		name string
		edit func(p *catalog.Product)
		want []string
	}{
		{"nothing", func(*catalog.Product) {}, []string{"p:5"}},
		{"name", func(p *catalog.Product) { p.Name = "Tee!" }, all},
		{"slug", func(p *catalog.Product) { p.Slug = "tee-2" }, all},
		{"description", func(p *catalog.Product) { p.Description = "Softer." }, all},
		{"status", func(p *catalog.Product) { p.Status = catalog.StatusArchived }, all},
		{"category", func(p *catalog.Product) { p.CategoryID = 3 }, all},
		{"options", func(p *catalog.Product) { p.Options[0].Values = []string{"S", "L"} }, all},
		{"variant added", func(p *catalog.Product) { p.Variants = append(p.Variants, catalog.Variant{Price: zar(1)}) }, all},
		{"variant option", func(p *catalog.Product) { p.Variants[1].Options = map[string]string{"size": "L"} }, all},
		{"price", func(p *catalog.Product) { p.Variants[1].Price = zar(130) }, []string{"p:5", catalog.TagPrices}},
		{"compare-at", func(p *catalog.Product) { p.Variants[0].CompareAt = zar(150) }, []string{"p:5", catalog.TagPrices}},
		{"stock, still in stock", func(p *catalog.Product) { p.Variants[0].Stock = 7 }, []string{"p:5"}},
		{"sold out", func(p *catalog.Product) { p.Variants[0].Stock = 0 }, []string{"p:5", catalog.TagStock}},
		{"kept stock", func(p *catalog.Product) { p.Variants[0].Stock, p.Variants[0].KeepStock = 0, true }, []string{"p:5"}},
		{"weight", func(p *catalog.Product) { p.Variants[0].Weight = 300 }, []string{"p:5"}},
	}
	for _, c := range cases {
		after := base()
		c.edit(after)
		if got := catalog.SaveTags(base(), after); !slices.Equal(got, c.want) {
			t.Errorf("%s: %v, want %v", c.name, got, c.want)
		}
	}
	if got := catalog.SaveTags(nil, base()); !slices.Equal(got, all) {
		t.Errorf("before unknown: %v, want %v", got, all)
	}
}

func TestStockTags(t *testing.T) {
	// A sale that leaves units drops the product and nothing else.
	if got := catalog.StockTags([]int64{1, 2}, map[int64]bool{1: true, 2: true}, true); !slices.Equal(got, []string{"p:1", "p:2"}) {
		t.Errorf("sale: %v", got)
	}
	// Selling the last unit drops what depends on stock.
	if got := catalog.StockTags([]int64{1, 2}, map[int64]bool{1: true, 2: false}, true); !slices.Equal(got, []string{"p:1", "p:2", catalog.TagStock}) {
		t.Errorf("sold out: %v", got)
	}
	// A product not on sale (a draft) is in no listing.
	if got := catalog.StockTags([]int64{3}, map[int64]bool{}, true); !slices.Equal(got, []string{"p:3"}) {
		t.Errorf("draft: %v", got)
	}
	// Units coming back may bring a product back.
	if got := catalog.StockTags([]int64{1}, nil, false); !slices.Equal(got, []string{"p:1", catalog.TagStock}) {
		t.Errorf("restock: %v", got)
	}
}

// editShop is a service over SQLite with the in-process cache, and the
// database's inventory to change stock as a checkout would.
type editShop struct {
	*shopOf
	inv inventory.Store
}

func newEditShop(t *testing.T) *editShop {
	db := sqlitetest.Open(t)
	f := newShopOn(t, db, local.NewCache(1000))
	return &editShop{shopOf: f, inv: db.Commerce()}
}

// db returns how many store calls read makes: 0 is a cache hit.
func (f *editShop) db(t *testing.T, read func() error) int64 {
	t.Helper()
	n := f.st.calls.Load()
	if err := read(); err != nil {
		t.Fatal(err)
	}
	return f.st.calls.Load() - n
}

func (f *editShop) sell(t *testing.T, v catalog.Variant, n int) {
	t.Helper()
	if _, err := f.inv.Adjust(ctx, inventory.Entry{VariantID: v.ID, Delta: -n, Kind: inventory.Sale, Actor: "test"}); err != nil {
		t.Fatal(err)
	}
	f.StockChanged(ctx, []int64{v.ID}, true)
}

// TestOneEditDropsOnlyWhatShowsIt: after a sale, a price change and an
// archive, the pages that show the product are read again (and show the
// change) while the others are still served from the cache.
func TestOneEditDropsOnlyWhatShowsIt(t *testing.T) {
	f := newEditShop(t)
	tees, kitchen := parse(t, "category", "tees", "sort", "newest"), parse(t, "category", "kitchen", "sort", "newest")
	kitchenInStock := parse(t, "category", "kitchen", "in_stock", "1")
	cheapest := parse(t, "category", "tees", "sort", "price_asc")
	search := func(q catalog.Query) func() error {
		return func() error { _, err := f.Search(ctx, q); return err }
	}
	product := func(slug string) func() error {
		return func() error { _, err := f.Product(ctx, slug); return err }
	}
	builds := 0
	view := func() error {
		_, err := f.View(ctx, "kitchen", func(ctx context.Context) (any, error) {
			builds++
			p, err := f.Search(ctx, kitchen)
			if err != nil {
				return nil, err
			}
			return []byte(slugs(p)[0]), nil
		})
		return err
	}
	warm := []func() error{search(tees), search(kitchen), search(kitchenInStock), search(cheapest), product("mug"), product("plain-tee"), view}
	for _, r := range warm {
		f.db(t, r)
	}
	for i, r := range warm {
		if n := f.db(t, r); n != 0 {
			t.Fatalf("read %d warm: %d store calls", i, n)
		}
	}

	// A sale of a plain tee that leaves units: the tee's page and the
	// listings showing it are read again, the kitchen is not.
	f.sell(t, f.plain.Variants[0], 1)
	built := builds
	for name, r := range map[string]func() error{"kitchen": search(kitchen), "kitchen in stock": search(kitchenInStock), "mug": product("mug"), "kitchen view": view} {
		if n := f.db(t, r); n != 0 {
			t.Errorf("after a tee sale, %s read the store %d times", name, n)
		}
	}
	for name, r := range map[string]func() error{"tees": search(tees), "cheapest tees": search(cheapest), "plain tee": product("plain-tee")} {
		if n := f.db(t, r); n == 0 {
			t.Errorf("after a tee sale, %s came from the cache", name)
		}
	}
	if builds != built {
		t.Error("after a tee sale, the kitchen view was built again")
	}
	if p, _ := f.Product(ctx, "plain-tee"); p.Variants[0].Stock != 1 {
		t.Errorf("plain tee shows stock %d, want 1", p.Variants[0].Stock)
	}

	// The mug sells out: it leaves in-stock listings, which are read again.
	f.sell(t, f.mug.Variants[0], 10)
	for name, r := range map[string]func() error{"kitchen in stock": search(kitchenInStock), "kitchen": search(kitchen)} {
		if n := f.db(t, r); n == 0 {
			t.Errorf("after the mug sold out, %s came from the cache", name)
		}
	}
	// The view showed the mug: it is built again (from the fresh search).
	built = builds
	f.db(t, view)
	if builds != built+1 {
		t.Error("after the mug sold out, the kitchen view came from the cache")
	}
	if p, _ := f.Search(ctx, kitchenInStock); len(p.Items) != 0 || p.Facets.InStock != 0 {
		t.Errorf("in-stock kitchen after the mug sold out: %v, facets %+v", slugs(p), p.Facets)
	}
	if n := f.db(t, product("plain-tee")); n != 0 {
		t.Errorf("the mug selling out dropped the plain tee's page (%d store calls)", n)
	}

	// A price change: listings by price and facets go, a listing by date
	// that does not show the product stays.
	f.db(t, search(tees))
	if err := f.SetPrices(ctx, f.striped.ID, map[int64]int64{f.striped.Variants[0].ID: 100}, "ZAR"); err != nil {
		t.Fatal(err)
	}
	if n := f.db(t, product("plain-tee")); n != 0 {
		t.Errorf("a striped tee price change dropped the plain tee's page (%d store calls)", n)
	}
	p, err := f.Search(ctx, cheapest)
	if err != nil || slugs(p)[0] != "striped-tee" {
		t.Errorf("cheapest tees after the price cut: %v, %v", slugs(p), err)
	}

	// Archiving a product takes it out of every listing.
	if _, err := f.SetStatus(ctx, catalog.System, f.cap.ID, 0, catalog.StatusArchived); err != nil {
		t.Fatal(err)
	}
	if n := f.db(t, search(kitchen)); n == 0 {
		t.Error("after an archive, a listing came from the cache")
	}
	if n := f.db(t, product("plain-tee")); n != 0 {
		t.Errorf("archiving the cap dropped the plain tee's page (%d store calls)", n)
	}
}

// TestStockChangeWithoutVariantsDropsEverything: a caller that cannot say
// what changed gets the safe answer.
func TestStockChangeWithoutVariantsDropsEverything(t *testing.T) {
	f := newEditShop(t)
	f.db(t, func() error { _, err := f.Product(ctx, "mug"); return err })
	f.StockChanged(ctx, nil, true)
	if n := f.db(t, func() error { _, err := f.Product(ctx, "mug"); return err }); n == 0 {
		t.Error("the mug's page survived a stock change of unknown variants")
	}
}
