// Package storetest is the contract every store implementation must meet.
// The sqlite and postgres adapters run the same suite, so a behaviour is the
// same on both databases.
package storetest

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/oceanshop/ocean/internal/catalog"
	"github.com/oceanshop/ocean/internal/ocean"
)

// Catalog runs the catalog.Store contract. newStore must return a store over
// a fresh, migrated, empty database.
func Catalog(t *testing.T, newStore func(t *testing.T) catalog.Store) {
	t.Run("categories", func(t *testing.T) { testCategories(t, newStore(t)) })
	t.Run("product round trip", func(t *testing.T) { testProductRoundTrip(t, newStore(t)) })
	t.Run("rejected writes leave nothing behind", func(t *testing.T) { testRejectedWrites(t, newStore(t)) })
	t.Run("prices change together or not at all", func(t *testing.T) { testSetPrices(t, newStore(t)) })
	t.Run("admin", func(t *testing.T) { catalogAdmin(t, newStore) })
	t.Run("search", func(t *testing.T) {
		s := newStore(t)
		fx := seed(t, s)
		t.Run("text", func(t *testing.T) { testText(t, s, fx) })
		t.Run("filters", func(t *testing.T) { testFilters(t, s, fx) })
		t.Run("sort and pages", func(t *testing.T) { testPages(t, s, fx) })
		t.Run("facets", func(t *testing.T) { testFacets(t, s, fx) })
		t.Run("capped facets and relevance", func(t *testing.T) { testCapped(t, s, fx) })
		t.Run("cards", func(t *testing.T) { testCards(t, s, fx) })
		t.Run("update reindexes", func(t *testing.T) { testUpdate(t, s, fx) })
	})
}

var ctx = context.Background()

func zar(n int64) ocean.Money { return ocean.Money{Amount: n, Currency: "ZAR"} }

func testCategories(t *testing.T, s catalog.Store) {
	root := &catalog.Category{Slug: "clothing", Name: "Clothing"}
	if err := s.CreateCategory(ctx, root, catalog.System); err != nil {
		t.Fatal(err)
	}
	child := &catalog.Category{Slug: "shirts", Name: "Shirts", ParentID: root.ID, Position: 2}
	child2 := &catalog.Category{Slug: "hats", Name: "Hats", ParentID: root.ID, Position: 1}
	for _, c := range []*catalog.Category{child, child2} {
		if err := s.CreateCategory(ctx, c, catalog.System); err != nil {
			t.Fatal(err)
		}
	}
	err := s.CreateCategory(ctx, &catalog.Category{Slug: "shirts", Name: "Again"}, catalog.System)
	if ocean.ErrorCode(err) != ocean.ECONFLICT {
		t.Fatalf("duplicate slug: got %v, want conflict", err)
	}
	cats, err := s.Categories(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var slugs []string
	for _, c := range cats {
		slugs = append(slugs, c.Slug)
	}
	if want := []string{"clothing", "hats", "shirts"}; !slices.Equal(slugs, want) {
		t.Fatalf("categories = %v, want %v (roots first, then by position)", slugs, want)
	}
	if cats[1].ParentID != root.ID {
		t.Fatalf("hats parent = %d, want %d", cats[1].ParentID, root.ID)
	}
}

func testProductRoundTrip(t *testing.T, s catalog.Store) {
	c := &catalog.Category{Slug: "tees", Name: "Tees"}
	if err := s.CreateCategory(ctx, c, catalog.System); err != nil {
		t.Fatal(err)
	}
	p := &catalog.Product{Slug: "plain-tee", Name: "Plain tee", Description: "A soft cotton tee. Washes well.", CategoryID: c.ID,
		Options: []catalog.Option{{Name: "size", Values: []string{"S", "M"}}},
		Variants: []catalog.Variant{
			{SKU: "TEE-S", Options: map[string]string{"size": "S"}, Price: zar(19900), Stock: 3},
			{SKU: "TEE-M", Options: map[string]string{"size": "M"}, Price: zar(21900), Stock: 0, Position: 1},
		}}
	if err := s.CreateProduct(ctx, p, catalog.System); err != nil {
		t.Fatal(err)
	}
	if p.ID == 0 || p.Variants[0].ID == 0 || p.Variants[1].ID == 0 {
		t.Fatal("ids not set")
	}
	got, err := s.ProductBySlug(ctx, "plain-tee")
	if err != nil {
		t.Fatal(err)
	}
	if got.Name != p.Name || got.Description != p.Description || got.CategoryID != c.ID || len(got.Variants) != 2 {
		t.Fatalf("got %+v", got)
	}
	if got.Options[0].Name != "size" || !slices.Equal(got.Options[0].Values, []string{"S", "M"}) {
		t.Fatalf("options = %+v", got.Options)
	}
	v := got.Variants[1]
	if v.SKU != "TEE-M" || v.Options["size"] != "M" || v.Price != zar(21900) || v.Stock != 0 {
		t.Fatalf("variant = %+v", v)
	}
	if !got.CreatedAt.Equal(p.CreatedAt) {
		t.Fatalf("created_at = %v, want %v", got.CreatedAt, p.CreatedAt)
	}
	if _, err := s.ProductBySlug(ctx, "no-such"); ocean.ErrorCode(err) != ocean.ENOTFOUND {
		t.Fatalf("unknown slug: %v", err)
	}
	if n, err := s.CountProducts(ctx); err != nil || n != 1 {
		t.Fatalf("count = %d, %v", n, err)
	}
}

func testRejectedWrites(t *testing.T, s catalog.Store) {
	c := &catalog.Category{Slug: "misc", Name: "Misc"}
	if err := s.CreateCategory(ctx, c, catalog.System); err != nil {
		t.Fatal(err)
	}
	ok := &catalog.Product{Slug: "one", Name: "One", CategoryID: c.ID, Variants: []catalog.Variant{{SKU: "SKU-1", Price: zar(100), Stock: 1}}}
	if err := s.CreateProduct(ctx, ok, catalog.System); err != nil {
		t.Fatal(err)
	}
	// Second variant reuses a SKU: the whole product must be rolled back.
	dup := &catalog.Product{Slug: "two", Name: "Two", CategoryID: c.ID, Variants: []catalog.Variant{
		{SKU: "SKU-2", Price: zar(100), Stock: 1}, {SKU: "SKU-1", Price: zar(100), Stock: 1}}}
	if err := s.CreateProduct(ctx, dup, catalog.System); ocean.ErrorCode(err) != ocean.ECONFLICT {
		t.Fatalf("duplicate sku: got %v, want conflict", err)
	}
	if _, err := s.ProductBySlug(ctx, "two"); ocean.ErrorCode(err) != ocean.ENOTFOUND {
		t.Fatalf("half-written product is visible: %v", err)
	}
	if err := s.CreateProduct(ctx, &catalog.Product{Slug: "one", Name: "Again", CategoryID: c.ID, Variants: []catalog.Variant{{SKU: "SKU-3", Price: zar(1)}}}, catalog.System); ocean.ErrorCode(err) != ocean.ECONFLICT {
		t.Fatalf("duplicate slug: got %v, want conflict", err)
	}
	// The database itself refuses negative stock, whatever the caller checked.
	neg := &catalog.Product{Slug: "neg", Name: "Neg", CategoryID: c.ID, Variants: []catalog.Variant{{SKU: "NEG", Price: zar(1), Stock: -1}}}
	if err := s.CreateProduct(ctx, neg, catalog.System); err == nil {
		t.Fatal("negative stock accepted by the database")
	}
	if n, _ := s.CountProducts(ctx); n != 1 {
		t.Fatalf("count = %d after rejected writes, want 1", n)
	}
	if err := s.UpdateProduct(ctx, 999999, catalog.ProductUpdate{}); ocean.ErrorCode(err) != ocean.ENOTFOUND {
		t.Fatalf("update missing: %v", err)
	}
}

func testSetPrices(t *testing.T, s catalog.Store) {
	c := &catalog.Category{Slug: "tees", Name: "Tees"}
	if err := s.CreateCategory(ctx, c, catalog.System); err != nil {
		t.Fatal(err)
	}
	p := &catalog.Product{Slug: "tee", Name: "Tee", CategoryID: c.ID, Options: []catalog.Option{{Name: "size", Values: []string{"S", "M"}}},
		Variants: []catalog.Variant{{SKU: "T-S", Options: map[string]string{"size": "S"}, Price: zar(20000)}, {SKU: "T-M", Options: map[string]string{"size": "M"}, Price: zar(22000)}}}
	other := &catalog.Product{Slug: "mug", Name: "Mug", CategoryID: c.ID, Variants: []catalog.Variant{{SKU: "MUG", Price: zar(9900)}}}
	for _, x := range []*catalog.Product{p, other} {
		if err := s.CreateProduct(ctx, x, catalog.System); err != nil {
			t.Fatal(err)
		}
	}
	small, medium := p.Variants[0].ID, p.Variants[1].ID
	if err := s.SetPrices(ctx, p.ID, map[int64]int64{small: 18000, medium: 30000}, "ZAR"); err != nil {
		t.Fatal(err)
	}
	prices := func() (int64, int64, ocean.Money, ocean.Money) {
		t.Helper()
		got, err := s.ProductBySlug(ctx, "tee")
		if err != nil {
			t.Fatal(err)
		}
		cards, err := s.Cards(ctx, []int64{p.ID})
		if err != nil || len(cards) != 1 {
			t.Fatalf("cards = %+v, %v", cards, err)
		}
		return got.Variants[0].Price.Amount, got.Variants[1].Price.Amount, cards[0].PriceMin, cards[0].PriceMax
	}
	if s0, m0, lo, hi := prices(); s0 != 18000 || m0 != 30000 || lo != zar(18000) || hi != zar(30000) {
		t.Fatalf("prices %d %d, range %v-%v; want 18000 30000 and the range with them", s0, m0, lo, hi)
	}
	// A variant of another product, an unknown product or the wrong currency
	// change nothing, not even the variants named before the bad one.
	for name, c := range map[string]struct {
		id     int64
		prices map[int64]int64
		cur    string
		code   string
	}{
		"variant of another product": {p.ID, map[int64]int64{small: 1, other.Variants[0].ID: 1}, "ZAR", ocean.ENOTFOUND},
		"unknown product":            {999999, map[int64]int64{small: 1}, "ZAR", ocean.ENOTFOUND},
		"other currency":             {p.ID, map[int64]int64{small: 1}, "USD", ocean.EINVALID},
	} {
		if err := s.SetPrices(ctx, c.id, c.prices, c.cur); ocean.ErrorCode(err) != c.code {
			t.Errorf("%s: %v, want %s", name, err, c.code)
		}
	}
	if s0, m0, lo, _ := prices(); s0 != 18000 || m0 != 30000 || lo != zar(18000) {
		t.Fatalf("a refused price change wrote: %d %d %v", s0, m0, lo)
	}
	if got, _ := s.ProductBySlug(ctx, "mug"); got.Variants[0].Price != zar(9900) {
		t.Fatalf("another product's price changed: %v", got.Variants[0].Price)
	}
}

type fixture struct {
	cats     map[string]*catalog.Category
	products map[string]*catalog.Product
}

func (fx fixture) id(slug string) int64 { return fx.products[slug].ID }

// seed builds: clothing{shirts, jackets}, home. Ten products.
func seed(t *testing.T, s catalog.Store) fixture {
	fx := fixture{cats: map[string]*catalog.Category{}, products: map[string]*catalog.Product{}}
	for _, c := range []struct{ slug, name, parent string }{{"clothing", "Clothing", ""}, {"shirts", "Shirts", "clothing"}, {"jackets", "Jackets", "clothing"}, {"home", "Home", ""}} {
		cat := &catalog.Category{Slug: c.slug, Name: c.name}
		if c.parent != "" {
			cat.ParentID = fx.cats[c.parent].ID
		}
		if err := s.CreateCategory(ctx, cat, catalog.System); err != nil {
			t.Fatal(err)
		}
		fx.cats[c.slug] = cat
	}
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	add := func(i int, slug, name, desc, cat string, variants ...catalog.Variant) {
		p := &catalog.Product{Slug: slug, Name: name, Description: desc, CategoryID: fx.cats[cat].ID, CreatedAt: base.Add(time.Duration(i) * time.Hour)}
		sizes, colours := []string{}, []string{}
		for j := range variants {
			variants[j].SKU = fmt.Sprintf("%s-%d", slug, j)
			variants[j].Position = j
			if s := variants[j].Options["size"]; s != "" && !slices.Contains(sizes, s) {
				sizes = append(sizes, s)
			}
			if c := variants[j].Options["colour"]; c != "" && !slices.Contains(colours, c) {
				colours = append(colours, c)
			}
		}
		if len(sizes) > 0 {
			p.Options = append(p.Options, catalog.Option{Name: "size", Values: sizes})
		}
		if len(colours) > 0 {
			p.Options = append(p.Options, catalog.Option{Name: "colour", Values: colours})
		}
		p.Variants = variants
		if err := s.CreateProduct(ctx, p, catalog.System); err != nil {
			t.Fatal(err)
		}
		fx.products[slug] = p
	}
	v := func(price int64, stock int, opts ...string) catalog.Variant {
		o := map[string]string{}
		for i := 0; i+1 < len(opts); i += 2 {
			o[opts[i]] = opts[i+1]
		}
		return catalog.Variant{Price: zar(price), Stock: stock, Options: o}
	}
	add(1, "linen-shirt", "Linen shirt", "A breezy linen shirt for hot afternoons.", "shirts", v(45000, 2, "size", "M", "colour", "White"), v(45000, 0, "size", "L", "colour", "White"))
	add(2, "oxford-shirt", "Oxford shirt", "Button-down cotton oxford, crisp and durable.", "shirts", v(52000, 5, "size", "S", "colour", "Blue"), v(52000, 1, "size", "M", "colour", "Blue"))
	add(3, "flannel-shirt", "Flannel shirt", "Warm brushed flannel with a plaid pattern.", "shirts", v(39900, 0, "size", "M", "colour", "Red"))
	add(4, "rain-jacket", "Rain jacket", "Waterproof shell that packs into its own pocket.", "jackets", v(129900, 4, "size", "M", "colour", "Yellow"), v(134900, 2, "size", "XL", "colour", "Yellow"))
	add(5, "denim-jacket", "Denim jacket", "Classic indigo denim, gets better with every wash.", "jackets", v(99900, 3, "size", "L", "colour", "Blue"))
	add(6, "puffer-jacket", "Puffer jacket", "Light down insulation for cold mornings.", "jackets", v(189900, 0, "size", "M", "colour", "Black"))
	add(7, "ceramic-mug", "Ceramic mug", "Hand-glazed stoneware mug that keeps coffee warm.", "home", v(14900, 20))
	add(8, "linen-napkins", "Linen napkins", "Set of four stonewashed linen napkins.", "home", v(24900, 7, "colour", "White"), v(24900, 0, "colour", "Red"))
	add(9, "wool-throw", "Wool throw", "Heavy merino throw blanket for the sofa.", "home", v(89900, 1, "colour", "Red"))
	add(10, "candle", "Soy candle", "Hand-poured soy candle with a cedar scent.", "home", v(19900, 12))
	return fx
}

func search(t *testing.T, s catalog.Store, f catalog.Filter) []int64 {
	t.Helper()
	if f.Sort == "" {
		f.Sort = catalog.SortPriceAsc
	}
	if f.Limit == 0 {
		f.Limit = 100
	}
	hits, err := s.Search(ctx, f)
	if err != nil {
		t.Fatalf("search %+v: %v", f, err)
	}
	ids := make([]int64, len(hits))
	for i, h := range hits {
		ids[i] = h.ID
	}
	return ids
}

func (fx fixture) ids(slugs ...string) []int64 {
	out := make([]int64, len(slugs))
	for i, s := range slugs {
		out[i] = fx.id(s)
	}
	return out
}

func sameSet(a, b []int64) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}

func testText(t *testing.T, s catalog.Store, fx fixture) {
	for _, tc := range []struct {
		terms []string
		want  []string
	}{
		{[]string{"waterproof"}, []string{"rain-jacket"}},                               // a word only in the description
		{[]string{"linen"}, []string{"linen-shirt", "linen-napkins"}},                   // name
		{[]string{"jackets"}, []string{"rain-jacket", "denim-jacket", "puffer-jacket"}}, // plural finds singular
		{[]string{"flann"}, []string{"flannel-shirt"}},                                  // prefix while typing
		{[]string{"linen", "shirt"}, []string{"linen-shirt"}},                           // every word must match
		{[]string{"yellow"}, []string{"rain-jacket"}},                                   // option values
		{[]string{"zeppelin"}, nil},
		{catalog.ParseTerms("the linen for the napkins"), []string{"linen-napkins"}}, // stop words do not count, on either database
	} {
		got := search(t, s, catalog.Filter{Terms: tc.terms, Sort: catalog.SortRelevance})
		if !sameSet(got, fx.ids(tc.want...)) {
			t.Errorf("search %v = %v, want %v", tc.terms, got, fx.ids(tc.want...))
		}
	}
	// The name is worth more than the description: "linen" in the name of
	// both, but "shirt" ranks the shirt first when searching "linen shirt".
	got := search(t, s, catalog.Filter{Terms: []string{"mug"}, Sort: catalog.SortRelevance})
	if len(got) != 1 || got[0] != fx.id("ceramic-mug") {
		t.Errorf("mug = %v", got)
	}
}

func testFilters(t *testing.T, s catalog.Store, fx fixture) {
	p := func(n int64) *int64 { return &n }
	cl := fx.cats
	for name, tc := range map[string]struct {
		f    catalog.Filter
		want []string
	}{
		"category subtree": {catalog.Filter{CategoryIDs: []int64{cl["jackets"].ID}}, []string{"rain-jacket", "denim-jacket", "puffer-jacket"}},
		"price range":      {catalog.Filter{MinPrice: p(40000), MaxPrice: p(100000)}, []string{"linen-shirt", "oxford-shirt", "denim-jacket", "wool-throw"}},
		"in stock":         {catalog.Filter{InStock: true, CategoryIDs: []int64{cl["shirts"].ID}}, []string{"linen-shirt", "oxford-shirt"}},
		"option":           {catalog.Filter{Options: map[string][]string{"colour": {"Red"}}}, []string{"flannel-shirt", "linen-napkins", "wool-throw"}},
		"option any of":    {catalog.Filter{Options: map[string][]string{"size": {"S", "XL"}}}, []string{"oxford-shirt", "rain-jacket"}},
		// One variant must satisfy all: the red napkins are out of stock.
		"same variant": {catalog.Filter{InStock: true, Options: map[string][]string{"colour": {"Red"}}}, []string{"wool-throw"}},
		"combined":     {catalog.Filter{Terms: []string{"linen"}, InStock: true, MaxPrice: p(30000)}, []string{"linen-napkins"}},
		// The rain jacket's cheapest size is under the range, its XL in it.
		"dearer variant in range": {catalog.Filter{MinPrice: p(130000), MaxPrice: p(140000)}, []string{"rain-jacket"}},
		"range between two sizes": {catalog.Filter{MinPrice: p(130000), MaxPrice: p(134000)}, nil},
		"dearer variant, newest":  {catalog.Filter{MinPrice: p(134900), Sort: catalog.SortNewest}, []string{"rain-jacket", "puffer-jacket"}},
	} {
		if got := search(t, s, tc.f); !sameSet(got, fx.ids(tc.want...)) {
			t.Errorf("%s: got %v, want %v", name, got, fx.ids(tc.want...))
		}
		if fc, err := s.Facets(ctx, tc.f); err != nil || fc.Total != len(tc.want) {
			t.Errorf("%s: facets count %d (%v), want %d", name, fc.Total, err, len(tc.want))
		}
	}
}

func testPages(t *testing.T, s catalog.Store, fx fixture) {
	all := len(fx.products)
	for _, tc := range []struct {
		f     catalog.Filter
		first string
		total int
	}{
		{catalog.Filter{Sort: catalog.SortPriceAsc}, "ceramic-mug", all},
		{catalog.Filter{Sort: catalog.SortPriceDesc}, "puffer-jacket", all},
		{catalog.Filter{Sort: catalog.SortNewest}, "candle", all},
		{catalog.Filter{Sort: catalog.SortRelevance, Terms: []string{"linen"}}, "", 2},
		{catalog.Filter{Sort: catalog.SortRelevance, Terms: []string{"shirt"}}, "", 3},
	} {
		for _, size := range []int{1, 3, 100} {
			f := tc.f
			f.Limit = size
			seen := map[int64]bool{}
			var order []int64
			for pages := 0; ; pages++ {
				if pages > all+1 {
					t.Fatalf("%s: pagination does not end", f.Sort)
				}
				hits, err := s.Search(ctx, f)
				if err != nil {
					t.Fatal(err)
				}
				more := len(hits) > size
				if more {
					hits = hits[:size]
				}
				for _, h := range hits {
					if seen[h.ID] {
						t.Fatalf("%s size %d: product %d seen twice", f.Sort, size, h.ID)
					}
					seen[h.ID] = true
					order = append(order, h.ID)
				}
				if !more {
					break
				}
				c := hits[len(hits)-1].Key
				f.After = &c
			}
			if len(seen) != tc.total {
				t.Fatalf("%s size %d: visited %d products, want %d", tc.f.Sort, size, len(seen), tc.total)
			}
			if tc.first != "" && order[0] != fx.id(tc.first) {
				t.Fatalf("%s: first = %d, want %s", tc.f.Sort, order[0], tc.first)
			}
			// The order must agree with the sort.
			for i := 1; i < len(order); i++ {
				a, b := byID(fx, order[i-1]), byID(fx, order[i])
				la, _ := a.PriceRange()
				lb, _ := b.PriceRange()
				switch tc.f.Sort {
				case catalog.SortPriceAsc:
					if la.Amount > lb.Amount {
						t.Fatalf("price_asc out of order: %s before %s", a.Slug, b.Slug)
					}
				case catalog.SortPriceDesc:
					if la.Amount < lb.Amount {
						t.Fatalf("price_desc out of order: %s before %s", a.Slug, b.Slug)
					}
				case catalog.SortNewest:
					if a.CreatedAt.Before(b.CreatedAt) {
						t.Fatalf("newest out of order: %s before %s", a.Slug, b.Slug)
					}
				}
			}
		}
	}
}

func byID(fx fixture, id int64) *catalog.Product {
	for _, p := range fx.products {
		if p.ID == id {
			return p
		}
	}
	return nil
}

func testFacets(t *testing.T, s catalog.Store, fx fixture) {
	fc, err := s.Facets(ctx, catalog.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	if fc.Total != 10 || fc.InStock != 8 {
		t.Errorf("total %d in stock %d, want 10 and 8", fc.Total, fc.InStock)
	}
	if fc.Categories[fx.cats["shirts"].ID] != 3 || fc.Categories[fx.cats["home"].ID] != 4 || fc.Categories[fx.cats["clothing"].ID] != 0 {
		t.Errorf("categories = %v", fc.Categories)
	}
	if fc.PriceMin != 14900 || fc.PriceMax != 189900 {
		t.Errorf("price range %d-%d", fc.PriceMin, fc.PriceMax)
	}
	if fc.Options["colour"]["Red"] != 3 || fc.Options["size"]["M"] != 5 {
		t.Errorf("options = %v", fc.Options)
	}
	fc, err = s.Facets(ctx, catalog.Filter{Terms: []string{"jacket"}, InStock: true})
	if err != nil {
		t.Fatal(err)
	}
	if fc.Total != 2 || fc.Categories[fx.cats["jackets"].ID] != 2 || fc.PriceMin != 99900 {
		t.Errorf("filtered facets = %+v", fc)
	}
}

func testCards(t *testing.T, s catalog.Store, fx fixture) {
	cards, err := s.Cards(ctx, fx.ids("rain-jacket", "puffer-jacket"))
	if err != nil {
		t.Fatal(err)
	}
	if len(cards) != 2 {
		t.Fatalf("cards = %d", len(cards))
	}
	for _, c := range cards {
		switch c.Slug {
		case "rain-jacket":
			if c.PriceMin != zar(129900) || c.PriceMax != zar(134900) || !c.InStock || c.Summary != "Waterproof shell that packs into its own pocket." {
				t.Errorf("rain jacket card = %+v", c)
			}
		case "puffer-jacket":
			if c.InStock {
				t.Error("puffer jacket has no stock but its card says in stock")
			}
		}
	}
	if cards, err := s.Cards(ctx, []int64{987654}); err != nil || len(cards) != 0 {
		t.Fatalf("missing id: %v %v", cards, err)
	}
}

func testUpdate(t *testing.T, s catalog.Store, fx fixture) {
	name := "Storm anorak"
	if err := s.UpdateProduct(ctx, fx.id("rain-jacket"), catalog.ProductUpdate{Name: &name}); err != nil {
		t.Fatal(err)
	}
	if got := search(t, s, catalog.Filter{Terms: []string{"anorak"}, Sort: catalog.SortRelevance}); !slices.Equal(got, fx.ids("rain-jacket")) {
		t.Fatalf("after rename, anorak = %v", got)
	}
	slug := "candle"
	if err := s.UpdateProduct(ctx, fx.id("rain-jacket"), catalog.ProductUpdate{Slug: &slug}); ocean.ErrorCode(err) != ocean.ECONFLICT {
		t.Fatalf("taking another product's slug: %v", err)
	}
}
