package catalog_test

import (
	"context"
	"errors"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/oceanshop/ocean/internal/catalog"
	"github.com/oceanshop/ocean/internal/local"
	"github.com/oceanshop/ocean/internal/ocean"
	"github.com/oceanshop/ocean/internal/sqldb"
	"github.com/oceanshop/ocean/internal/sqlite/sqlitetest"
)

// shopOf is a service over a real SQLite catalog (the store has its own
// contract suite): clothing > tees, clothing > hats, and kitchen.
type shopOf struct {
	*catalog.Service
	st                       *countingStore
	clothing, tees, kitchen  *catalog.Category
	plain, striped, mug, cap *catalog.Product
}

func newShop(t *testing.T, cache catalog.Cache) *shopOf {
	t.Helper()
	return newShopOn(t, sqlitetest.Open(t), cache)
}

func newShopOn(t *testing.T, db *sqldb.DB, cache catalog.Cache) *shopOf {
	t.Helper()
	st := &countingStore{Store: db.Catalog()}
	f := &shopOf{Service: catalog.NewService(st, cache), st: st}
	f.clothing = &catalog.Category{Slug: "clothing", Name: "Clothing"}
	f.kitchen = &catalog.Category{Slug: "kitchen", Name: "Kitchen"}
	for _, c := range []*catalog.Category{f.clothing, f.kitchen} {
		if err := f.CreateCategory(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	f.tees = &catalog.Category{Slug: "tees", Name: "Tees", ParentID: f.clothing.ID}
	hats := &catalog.Category{Slug: "hats", Name: "Hats", ParentID: f.clothing.ID}
	for _, c := range []*catalog.Category{f.tees, hats} {
		if err := f.CreateCategory(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	size := []catalog.Option{{Name: "size", Values: []string{"S", "M"}}}
	f.plain = &catalog.Product{Slug: "plain-tee", Name: "Plain tee", Description: "Cotton.", CategoryID: f.tees.ID, Options: size,
		Variants: []catalog.Variant{{SKU: "PT-S", Options: map[string]string{"size": "S"}, Price: zar(20000), Stock: 2},
			{SKU: "PT-M", Options: map[string]string{"size": "M"}, Price: zar(22000)}}}
	f.striped = &catalog.Product{Slug: "striped-tee", Name: "Striped tee", Description: "Stripes.", CategoryID: f.tees.ID,
		Variants: []catalog.Variant{{SKU: "ST", Price: zar(25000), Stock: 1}}}
	f.cap = &catalog.Product{Slug: "cap", Name: "Cap", Description: "A cap.", CategoryID: hats.ID,
		Variants: []catalog.Variant{{SKU: "CAP", Price: zar(15000)}}}
	f.mug = &catalog.Product{Slug: "mug", Name: "Mug", Description: "A mug.", CategoryID: f.kitchen.ID,
		Variants: []catalog.Variant{{SKU: "MUG", Price: zar(9900), Stock: 10}}}
	for _, p := range []*catalog.Product{f.plain, f.striped, f.cap, f.mug} {
		if err := f.CreateProduct(ctx, p); err != nil {
			t.Fatal(err)
		}
	}
	return f
}

func parse(t *testing.T, kv ...string) catalog.Query {
	t.Helper()
	v := url.Values{}
	for i := 0; i < len(kv); i += 2 {
		v.Add(kv[i], kv[i+1])
	}
	q, err := catalog.ParseQuery(v)
	if err != nil {
		t.Fatal(err)
	}
	return q
}

func slugs(p *catalog.Page) []string {
	var out []string
	for _, c := range p.Items {
		out = append(out, c.Slug)
	}
	return out
}

func TestSearchCategoryIncludesItsSubtree(t *testing.T) {
	f := newShop(t, nil)
	p, err := f.Search(ctx, parse(t, "category", "clothing", "sort", "price_asc"))
	if err != nil {
		t.Fatal(err)
	}
	if got := slugs(p); !slices.Equal(got, []string{"cap", "plain-tee", "striped-tee"}) {
		t.Fatalf("clothing = %v, want its subcategories' products, cheapest first", got)
	}
	if p.Category == nil || p.Category.ID != f.clothing.ID || p.NextCursor != "" {
		t.Fatalf("page category %+v, cursor %q", p.Category, p.NextCursor)
	}
	if p.Facets.Total != 3 || p.Facets.InStock != 2 || p.Facets.PriceMin != 15000 || p.Facets.PriceMax != 25000 {
		t.Fatalf("facets = %+v", p.Facets)
	}
	_, err = f.Search(ctx, parse(t, "category", "garden"))
	if ocean.ErrorCode(err) != ocean.EINVALID || ocean.ErrorFields(err)[0].Field != "category" {
		t.Fatalf("unknown category: %v", err)
	}
}

func TestSearchPages(t *testing.T) {
	f := newShop(t, local.NewCache(1000))
	var all []string
	q := parse(t, "sort", "price_desc", "limit", "3")
	for range 3 {
		p, err := f.Search(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, slugs(p)...)
		if p.Facets.Total != 4 {
			t.Fatalf("facets total %d on every page, want 4", p.Facets.Total)
		}
		if p.NextCursor == "" {
			break
		}
		q = parse(t, "sort", "price_desc", "limit", "3", "cursor", p.NextCursor)
	}
	if want := []string{"striped-tee", "plain-tee", "cap", "mug"}; !slices.Equal(all, want) {
		t.Fatalf("pages = %v, want %v", all, want)
	}
	// The same pages again come from the cache: no database work.
	before := f.st.calls.Load()
	if p, err := f.Search(ctx, parse(t, "sort", "price_desc", "limit", "3")); err != nil || len(p.Items) != 3 {
		t.Fatalf("cached page: %v", err)
	}
	if n := f.st.calls.Load() - before; n != 0 {
		t.Fatalf("a cached page ran %d queries", n)
	}
	// Another search reuses the cards it already has.
	before = f.st.calls.Load()
	if _, err := f.Search(ctx, parse(t, "q", "tee")); err != nil {
		t.Fatal(err)
	}
	if n := f.st.calls.Load() - before; n != 2 {
		t.Fatalf("a new search with cached cards ran %d queries, want 2 (ids and facets)", n)
	}
}

func TestSearchSeesWritesAtOnce(t *testing.T) {
	f := newShop(t, local.NewCache(1000))
	q := parse(t, "q", "mug")
	p, err := f.Search(ctx, q)
	if err != nil || len(p.Items) != 1 || p.Items[0].PriceMin != zar(9900) {
		t.Fatalf("mug = %+v, %v", p, err)
	}
	if err := f.SetPrices(ctx, f.mug.ID, map[int64]int64{f.mug.Variants[0].ID: 12900}, "ZAR"); err != nil {
		t.Fatal(err)
	}
	p, err = f.Search(ctx, q)
	if err != nil || p.Items[0].PriceMin != zar(12900) {
		t.Fatalf("after a price change the card shows %v, want R129.00", p.Items[0].PriceMin)
	}
	prod, err := f.Product(ctx, "mug")
	if err != nil || prod.Variants[0].Price != zar(12900) {
		t.Fatalf("product after a price change: %+v, %v", prod, err)
	}
	name := "Big mug"
	if err := f.UpdateProduct(ctx, f.mug.ID, catalog.ProductUpdate{Name: &name}); err != nil {
		t.Fatal(err)
	}
	if prod, _ := f.Product(ctx, "mug"); prod.Name != "Big mug" {
		t.Fatalf("renamed product shows %q", prod.Name)
	}
}

// failingStore fails one kind of read.
type failingStore struct {
	catalog.Store
	search, facets, cards, cats bool
}

var errDown = errors.New("database down")

func (s *failingStore) Search(ctx context.Context, f catalog.Filter) ([]catalog.Hit, error) {
	if s.search {
		return nil, errDown
	}
	return s.Store.Search(ctx, f)
}

func (s *failingStore) Facets(ctx context.Context, f catalog.Filter) (catalog.Facets, error) {
	if s.facets {
		return catalog.Facets{}, errDown
	}
	return s.Store.Facets(ctx, f)
}

func (s *failingStore) Cards(ctx context.Context, ids []int64) ([]catalog.Card, error) {
	if s.cards {
		return nil, errDown
	}
	return s.Store.Cards(ctx, ids)
}

func (s *failingStore) Categories(ctx context.Context) ([]catalog.Category, error) {
	if s.cats {
		return nil, errDown
	}
	return s.Store.Categories(ctx)
}

// overlapStore answers the first page and the first facets only once
// both have been asked for: a service that loads them one after the
// other, in either order, gets an error instead.
type overlapStore struct {
	catalog.Store
	facetsAsked, pageAsked chan struct{}
	facetsOnce, pageOnce   sync.Once
	facets                 atomic.Int64
}

// meet marks one side asked and waits for the other.
func meet(mine, other chan struct{}, once *sync.Once, what string) error {
	once.Do(func() { close(mine) })
	select {
	case <-other:
		return nil
	case <-time.After(10 * time.Second):
		return errors.New(what + " was loaded alone, not beside the other")
	}
}

func (s *overlapStore) Facets(ctx context.Context, f catalog.Filter) (catalog.Facets, error) {
	s.facets.Add(1)
	if err := meet(s.facetsAsked, s.pageAsked, &s.facetsOnce, "the facets"); err != nil {
		return catalog.Facets{}, err
	}
	return s.Store.Facets(ctx, f)
}

func (s *overlapStore) Search(ctx context.Context, f catalog.Filter) ([]catalog.Hit, error) {
	if err := meet(s.pageAsked, s.facetsAsked, &s.pageOnce, "the page"); err != nil {
		return nil, err
	}
	return s.Store.Search(ctx, f)
}

func TestSearchLoadsThePageAndItsFacetsAtOnce(t *testing.T) {
	f := newShop(t, nil)
	st := &overlapStore{Store: f.st.Store, facetsAsked: make(chan struct{}), pageAsked: make(chan struct{})}
	s := catalog.NewService(st, local.NewCache(100))
	p, err := s.Search(ctx, parse(t, "q", "tee", "limit", "1"))
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Items) != 1 || p.NextCursor == "" || p.Facets.Total != 2 || p.Facets.Options["size"]["M"] != 1 {
		t.Fatalf("first page = %+v", p)
	}
	// The next page shares the facets: they come from the cache, without
	// asking the store again.
	next, err := s.Search(ctx, parse(t, "q", "tee", "limit", "1", "cursor", p.NextCursor))
	if err != nil || len(next.Items) != 1 || next.Items[0].ID == p.Items[0].ID || next.Facets.Total != 2 {
		t.Fatalf("second page = %+v, %v", next, err)
	}
	if n := st.facets.Load(); n != 1 {
		t.Fatalf("facets asked of the store %d times for two pages of one search, want 1", n)
	}
}

func TestSearchFailuresAreNotCached(t *testing.T) {
	f := newShop(t, nil)
	for name, fs := range map[string]*failingStore{
		"search": {search: true}, "facets": {facets: true}, "cards": {cards: true}, "categories": {cats: true},
	} {
		fs.Store = f.st.Store
		cache := local.NewCache(100)
		s := catalog.NewService(fs, cache)
		// Only a search in a category needs the category tree.
		q := parse(t, "q", "tee")
		if name == "categories" {
			q = parse(t, "q", "tee", "category", "clothing")
		}
		if _, err := s.Search(ctx, q); !errors.Is(err, errDown) {
			t.Fatalf("%s failing: %v", name, err)
		}
		// Once the database is back, the same search works: the failure was not kept.
		*fs = failingStore{Store: f.st.Store}
		if p, err := s.Search(ctx, q); err != nil || len(p.Items) != 2 {
			t.Fatalf("%s back: %+v, %v", name, p, err)
		}
	}
	// Writes that need the tree fail with it.
	s := catalog.NewService(&failingStore{Store: f.st.Store, cats: true}, nil)
	if err := s.CreateCategory(ctx, &catalog.Category{Slug: "sub", Name: "Sub", ParentID: f.clothing.ID}); !errors.Is(err, errDown) {
		t.Fatalf("create category without a tree: %v", err)
	}
	if err := s.CreateProduct(ctx, &catalog.Product{Slug: "x", Name: "X", CategoryID: f.kitchen.ID, Variants: []catalog.Variant{{SKU: "X", Price: zar(1)}}}); !errors.Is(err, errDown) {
		t.Fatalf("create product without a tree: %v", err)
	}
}

func TestProductLookups(t *testing.T) {
	f := newShop(t, local.NewCache(100))
	p, err := f.Product(ctx, "plain-tee")
	if err != nil || p.Name != "Plain tee" || !p.InStock() || p.Variants[1].Available() != 0 {
		t.Fatalf("product = %+v, %v", p, err)
	}
	before := f.st.calls.Load()
	for _, slug := range []string{"no-such", "no-such", "no-such"} {
		_, err := f.Product(ctx, slug)
		if ocean.ErrorCode(err) != ocean.ENOTFOUND || ocean.ErrorMessage(err) != "There is no product at this address." {
			t.Fatalf("missing product: %v", err)
		}
	}
	if n := f.st.calls.Load() - before; n != 1 {
		t.Fatalf("three requests for one missing slug ran %d queries, want 1", n)
	}
	// Garbage never reaches the database.
	before = f.st.calls.Load()
	for _, slug := range []string{"", "UPPER", "a/b", strings.Repeat("a", 81), "x' OR 1=1"} {
		if _, err := f.Product(ctx, slug); ocean.ErrorCode(err) != ocean.ENOTFOUND {
			t.Fatalf("slug %q: %v", slug, err)
		}
	}
	if f.st.calls.Load() != before {
		t.Fatal("an invalid slug reached the database")
	}
	// A product created under a slug once missing shows at once.
	p2 := &catalog.Product{Slug: "no-such", Name: "Now here", CategoryID: f.kitchen.ID, Variants: []catalog.Variant{{SKU: "NS", Price: zar(100)}}}
	if err := f.CreateProduct(ctx, p2); err != nil {
		t.Fatal(err)
	}
	if p, err := f.Product(ctx, "no-such"); err != nil || p.Name != "Now here" {
		t.Fatalf("created product: %+v, %v", p, err)
	}
	if catalog.ImageURL("mug") != "/images/products/mug.svg" {
		t.Fatal(catalog.ImageURL("mug"))
	}
	sold := &catalog.Product{Variants: []catalog.Variant{{Stock: 0}, {Stock: -1}}}
	if sold.InStock() {
		t.Fatal("a product with no units is in stock")
	}
}

func TestView(t *testing.T) {
	f := newShop(t, local.NewCache(100))
	builds := 0
	build := func(context.Context) (any, error) { builds++; return []byte("page"), nil }
	for range 3 {
		v, err := f.View(ctx, "home", build)
		if err != nil || string(v.([]byte)) != "page" {
			t.Fatalf("view = %v, %v", v, err)
		}
	}
	if builds != 1 {
		t.Fatalf("built %d times, want once", builds)
	}
	// An error is never cached, and a write rebuilds.
	if _, err := f.View(ctx, "broken", func(context.Context) (any, error) { return nil, errDown }); !errors.Is(err, errDown) {
		t.Fatal(err)
	}
	if v, err := f.View(ctx, "broken", build); err != nil || v == nil {
		t.Fatalf("after an error: %v, %v", v, err)
	}
	name := "Mug!"
	if err := f.UpdateProduct(ctx, f.mug.ID, catalog.ProductUpdate{Name: &name}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.View(ctx, "home", build); err != nil || builds != 3 {
		t.Fatalf("after a write: built %d times, want 3", builds)
	}
	stats := f.CacheStats()
	if stats == nil || stats["view"].Lookups() == 0 {
		t.Fatalf("stats = %+v", stats)
	}
	if catalog.NewService(f.st, nil).CacheStats() != nil {
		t.Fatal("stats without a cache")
	}
}

func TestWritesRefuseBadInput(t *testing.T) {
	f := newShop(t, nil)
	bad := "Bad Slug"
	empty := ""
	long := strings.Repeat("n", 201)
	for name, c := range map[string]struct {
		u     catalog.ProductUpdate
		field string
	}{
		"slug":       {catalog.ProductUpdate{Slug: &bad}, "slug"},
		"empty name": {catalog.ProductUpdate{Name: &empty}, "name"},
		"long name":  {catalog.ProductUpdate{Name: &long}, "name"},
	} {
		err := f.UpdateProduct(ctx, f.mug.ID, c.u)
		if ocean.ErrorCode(err) != ocean.EINVALID || ocean.ErrorFields(err)[0].Field != c.field {
			t.Errorf("%s: %v", name, err)
		}
	}
	vid := f.mug.Variants[0].ID
	for name, c := range map[string]struct {
		prices map[int64]int64
		field  string
	}{
		"negative":      {map[int64]int64{vid: -1}, "variants[" + itoa(vid) + "].price"},
		"over the cap":  {map[int64]int64{vid: catalog.MaxPrice + 1}, "variants[" + itoa(vid) + "].price"},
		"nothing named": {map[int64]int64{}, "variants"},
	} {
		err := f.SetPrices(ctx, f.mug.ID, c.prices, "ZAR")
		if ocean.ErrorCode(err) != ocean.EINVALID || ocean.ErrorFields(err)[0].Field != c.field {
			t.Errorf("%s: %v %+v", name, err, ocean.ErrorFields(err))
		}
	}
	if err := f.SetPrices(ctx, f.mug.ID, map[int64]int64{vid: catalog.MaxPrice}, "ZAR"); err != nil {
		t.Fatalf("the cap itself: %v", err)
	}
	for name, c := range map[string]*catalog.Category{
		"no slug":  {Name: "X"},
		"bad slug": {Slug: "A B", Name: "X"},
		"no name":  {Slug: "x"},
	} {
		if err := f.CreateCategory(ctx, c); ocean.ErrorCode(err) != ocean.EINVALID {
			t.Errorf("category %s: %v", name, err)
		}
	}
	if p, _ := f.Product(ctx, "mug"); p.Name != "Mug" {
		t.Fatalf("a refused update wrote: %q", p.Name)
	}
}

func TestProductValidation(t *testing.T) {
	good := func() *catalog.Product {
		return &catalog.Product{Slug: "tee", Name: "Tee", Variants: []catalog.Variant{{SKU: "T", Price: zar(100)}}}
	}
	for name, c := range map[string]struct {
		edit  func(p *catalog.Product)
		field string
	}{
		"bad slug":          {func(p *catalog.Product) { p.Slug = "Tee!" }, "slug"},
		"no name":           {func(p *catalog.Product) { p.Name = "" }, "name"},
		"no variants":       {func(p *catalog.Product) { p.Variants = nil }, "variants"},
		"duplicate option":  {func(p *catalog.Product) { p.Options = []catalog.Option{{Name: "size"}, {Name: "size"}} }, "options[1].name"},
		"no sku":            {func(p *catalog.Product) { p.Variants[0].SKU = "" }, "variants[0].sku"},
		"long sku":          {func(p *catalog.Product) { p.Variants[0].SKU = strings.Repeat("S", 65) }, "variants[0].sku"},
		"price over cap":    {func(p *catalog.Product) { p.Variants[0].Price.Amount = catalog.MaxPrice + 1 }, "variants[0].price"},
		"negative price":    {func(p *catalog.Product) { p.Variants[0].Price.Amount = -1 }, "variants[0].price"},
		"no currency":       {func(p *catalog.Product) { p.Variants[0].Price.Currency = "" }, "variants[0].price"},
		"negative stock":    {func(p *catalog.Product) { p.Variants[0].Stock = -1 }, "variants[0].stock"},
		"weird option name": {func(p *catalog.Product) { p.Variants[0].Options = map[string]string{"\xff": "x"} }, "variants[0].options.query"},
	} {
		p := good()
		c.edit(p)
		fe := ocean.ErrorFields(p.Validate())
		if len(fe) == 0 || fe[0].Field != c.field {
			t.Errorf("%s: fields %+v, want %s first", name, fe, c.field)
		}
	}
	if err := good().Validate(); err != nil {
		t.Fatal(err)
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// List is a search's page without its facets: a page that shows no
// filters (the home page) never pays for counting them, and its page is
// the one Search shows and caches.
func TestListSkipsFacets(t *testing.T) {
	f := newShop(t, nil)
	fs := &failingStore{Store: f.st.Store, facets: true}
	s := catalog.NewService(fs, nil)
	q := parse(t, "category", "clothing", "sort", "newest")
	page, err := s.List(ctx, q)
	if err != nil {
		t.Fatalf("List with the facets query failing: %v", err)
	}
	if len(page.Items) != 3 || page.Facets.Total != 0 || page.Facets.Categories != nil {
		t.Fatalf("List: %d items, facets %+v", len(page.Items), page.Facets)
	}
	if _, err := s.Search(ctx, q); !errors.Is(err, errDown) {
		t.Fatalf("Search still needs its facets: %v", err)
	}
	full, err := f.Search(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.EqualFunc(full.Items, page.Items, func(a, b catalog.Card) bool { return a.ID == b.ID }) || full.Facets.Total != 3 {
		t.Errorf("Search lists %d items with %d counted, List %d", len(full.Items), full.Facets.Total, len(page.Items))
	}
}

// panicStore's facets panic.
type panicStore struct{ catalog.Store }

func (panicStore) Facets(context.Context, catalog.Filter) (catalog.Facets, error) {
	panic("facets exploded")
}

// The facets load beside the page, outside the request's recovery
// middleware: a panic in it is the search's error, not a crash.
func TestSearchFacetsPanicIsAnError(t *testing.T) {
	f := newShop(t, nil)
	s := catalog.NewService(panicStore{f.st.Store}, local.NewCache(100))
	_, err := s.Search(ctx, parse(t, "q", "tee"))
	if err == nil || !strings.Contains(err.Error(), "facets exploded") {
		t.Fatalf("search with panicking facets: %v", err)
	}
}
