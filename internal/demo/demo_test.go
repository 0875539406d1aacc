package demo_test

import (
	"context"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/oceanshop/ocean/internal/catalog"
	"github.com/oceanshop/ocean/internal/demo"
	"github.com/oceanshop/ocean/internal/sqlite/sqlitetest"
)

func newService(t testing.TB) *catalog.Service {
	t.Helper()
	db := sqlitetest.Open(t)
	return catalog.NewService(db.Catalog(), nil)
}

func TestCatalogIsDeterministic(t *testing.T) {
	c1, p1 := demo.Catalog()
	c2, p2 := demo.Catalog()
	if !reflect.DeepEqual(c1, c2) || !reflect.DeepEqual(p1, p2) {
		t.Fatal("two calls of Catalog returned different shops")
	}
}

func TestCatalogShape(t *testing.T) {
	cats, items := demo.Catalog()
	if len(items) < 220 {
		t.Errorf("%d products, want at least 220", len(items))
	}
	parents := map[string]bool{}
	known := map[string]bool{}
	for _, c := range cats {
		if c.Parent != "" && !known[c.Parent] {
			t.Errorf("category %s comes before its parent %s", c.Slug, c.Parent)
		}
		known[c.Slug] = true
		parents[c.Parent] = true
		if c.Description == "" {
			t.Errorf("category %s has no description", c.Slug)
		}
	}
	leaves := map[string]int{}
	for _, c := range cats {
		if !parents[c.Slug] {
			leaves[c.Slug] = 0
		}
	}
	names, slugs, skus := map[string]bool{}, map[string]bool{}, map[string]bool{}
	base := time.Date(2026, 7, 1, 0, 0, 0, 0, time.UTC)
	var variants, zero, soldOut int
	for i, it := range items {
		p := it.Product
		if _, ok := leaves[it.Category]; !ok {
			t.Errorf("%s is in %q, not a leaf category", p.Name, it.Category)
		}
		leaves[it.Category]++
		if err := p.Validate(); err != nil {
			t.Errorf("%s: %v", p.Name, err)
		}
		if names[p.Name] || slugs[p.Slug] {
			t.Errorf("duplicate name or slug: %s (%s)", p.Name, p.Slug)
		}
		names[p.Name], slugs[p.Slug] = true, true
		if n := strings.Count(p.Description, ". "); n < 1 || n > 2 {
			t.Errorf("%s: description is not 2-3 sentences: %q", p.Name, p.Description)
		}
		if p.CreatedAt.After(base) || p.CreatedAt.Before(base.AddDate(0, 0, -121)) {
			t.Errorf("%s: CreatedAt %v outside the 120 days before %v", p.Name, p.CreatedAt, base)
		}
		if i > 0 && p.CreatedAt.Before(items[i-1].Product.CreatedAt) {
			t.Errorf("products not ordered oldest first at %d", i)
		}
		want := 1
		for _, o := range p.Options {
			want *= len(o.Values)
			for _, c := range o.Name {
				if c < 'a' || c > 'z' {
					t.Errorf("%s: option name %q", p.Name, o.Name)
				}
			}
		}
		if len(p.Variants) != want {
			t.Errorf("%s: %d variants, want every combination (%d)", p.Name, len(p.Variants), want)
		}
		for j, v := range p.Variants {
			variants++
			if skus[v.SKU] {
				t.Errorf("duplicate SKU %s", v.SKU)
			}
			skus[v.SKU] = true
			if v.Position != j || len(v.Options) != len(p.Options) || v.Price.Currency != "ZAR" || v.Stock > 40 {
				t.Errorf("%s: bad variant %+v", p.Name, v)
			}
			if v.Stock == 0 {
				zero++
			}
		}
		if !p.InStock() {
			soldOut++
		}
	}
	for slug, n := range leaves {
		if n == 0 {
			t.Errorf("leaf category %s has no products", slug)
		}
	}
	t.Logf("%d categories (%d leaves), %d products, %d variants, %d variants out of stock (%.0f%%), %d products sold out (%.0f%%)",
		len(cats), len(leaves), len(items), variants, zero, 100*float64(zero)/float64(variants), soldOut, 100*float64(soldOut)/float64(len(items)))
	if testing.Verbose() {
		for _, it := range items[:8] {
			p := it.Product
			lo, hi := p.PriceRange()
			t.Logf("%s | %s | %s–%s | %s | %v", p.Name, p.Slug, lo, hi, p.Variants[0].SKU, p.Options)
			t.Logf("    %s", p.Description)
		}
	}
}

func TestSeed(t *testing.T) {
	ctx := context.Background()
	svc := newService(t)

	start := time.Now()
	n, err := demo.Seed(ctx, svc)
	took := time.Since(start)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("Seed created %d products in %v", n, took)
	if n < 200 {
		t.Fatalf("Seed created %d products, want at least 200", n)
	}
	if count, err := svc.CountProducts(ctx); err != nil || count != n {
		t.Fatalf("CountProducts = %d, %v; want %d", count, err, n)
	}

	tree, err := svc.Categories(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var leaves []*catalog.Category
	var walk func([]*catalog.Category)
	walk = func(cs []*catalog.Category) {
		for _, c := range cs {
			if c.Description == "" {
				t.Errorf("category %s has no description", c.Slug)
			}
			if len(c.Children) == 0 {
				leaves = append(leaves, c)
			}
			walk(c.Children)
		}
	}
	walk(tree.Roots)
	if len(leaves) < 8 || len(tree.Roots) < 3 {
		t.Errorf("%d roots and %d leaf categories, want at least 3 and 8", len(tree.Roots), len(leaves))
	}

	// Read every product back through the service.
	_, items := demo.Catalog()
	skus := map[string]bool{}
	var variants, zero, soldOut int
	sizeAndColour := false
	for _, it := range items {
		p, err := svc.Product(ctx, it.Product.Slug)
		if err != nil {
			t.Fatalf("product %s: %v", it.Product.Slug, err)
		}
		if len(p.Variants) == 0 {
			t.Errorf("%s has no variants", p.Slug)
		}
		if strings.TrimSpace(p.Description) == "" {
			t.Errorf("%s has no description", p.Slug)
		}
		if c, ok := tree.ByID(p.CategoryID); !ok || c.Slug != it.Category {
			t.Errorf("%s is not in category %s", p.Slug, it.Category)
		}
		var names []string
		for _, o := range p.Options {
			names = append(names, o.Name)
		}
		if strings.Join(names, ",") == "size,colour" && len(p.Variants) > 1 {
			sizeAndColour = true
		}
		for _, v := range p.Variants {
			variants++
			if skus[v.SKU] {
				t.Errorf("duplicate SKU %s", v.SKU)
			}
			skus[v.SKU] = true
			if v.Stock == 0 {
				zero++
			}
		}
		if !p.InStock() {
			soldOut++
		}
	}
	t.Logf("%d products, %d variants, %d variants at 0 stock, %d products sold out", len(items), variants, zero, soldOut)
	if !sizeAndColour {
		t.Error("no product has both size and colour options with several variants")
	}
	if zero == 0 || soldOut == 0 {
		t.Errorf("%d variants out of stock and %d products sold out; want some of each", zero, soldOut)
	}

	// Search finds products by description words.
	for _, word := range []string{"waterproof", "merino", "stoneware", "organic"} {
		q, err := catalog.ParseQuery(url.Values{"q": {word}})
		if err != nil {
			t.Fatal(err)
		}
		page, err := svc.Search(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		found := false
		for _, c := range page.Items {
			p, err := svc.Product(ctx, c.Slug)
			if err != nil {
				t.Fatal(err)
			}
			if strings.Contains(strings.ToLower(p.Description), word) {
				found = true
				break
			}
		}
		if !found {
			t.Errorf("search for %q found %d products (of %d), none with %q in the description", word, len(page.Items), page.Facets.Total, word)
		} else {
			t.Logf("search %q: %d matches", word, page.Facets.Total)
		}
	}

	// Seeding again does nothing.
	again, err := demo.Seed(ctx, svc)
	if err != nil || again != 0 {
		t.Fatalf("second Seed = %d, %v; want 0, nil", again, err)
	}
	if count, _ := svc.CountProducts(ctx); count != n {
		t.Errorf("second Seed changed the count from %d to %d", n, count)
	}
}

// Seed reuses categories that already exist, e.g. after an owner created
// one before the first product.
func TestSeedReusesCategories(t *testing.T) {
	ctx := context.Background()
	svc := newService(t)
	if err := svc.CreateCategory(ctx, &catalog.Category{Slug: "home", Name: "Home"}); err != nil {
		t.Fatal(err)
	}
	if _, err := demo.Seed(ctx, svc); err != nil {
		t.Fatal(err)
	}
	tree, err := svc.Categories(ctx)
	if err != nil {
		t.Fatal(err)
	}
	home, ok := tree.BySlug("home")
	if !ok || len(home.Children) == 0 {
		t.Fatal("the existing Home category did not get the demo subcategories")
	}
}

// BenchmarkSeed measures the first-start cost of the demo catalog on SQLite
// (it must leave `go run ./cmd/ocean` ready in under 2 s).
func BenchmarkSeed(b *testing.B) {
	for b.Loop() {
		b.StopTimer()
		svc := newService(b)
		b.StartTimer()
		if _, err := demo.Seed(context.Background(), svc); err != nil {
			b.Fatal(err)
		}
	}
}
