package sqlite_test

import (
	"context"
	"net/url"
	"testing"

	"github.com/oceanshop/ocean/internal/catalog"
	"github.com/oceanshop/ocean/internal/demo"
	"github.com/oceanshop/ocean/internal/sqldb"
	"github.com/oceanshop/ocean/internal/sqlite/sqlitetest"
)

// BenchmarkSearch measures uncached catalog searches on the demo catalog,
// one store call at a time: the cost behind a cache miss.
func BenchmarkSearch(b *testing.B) {
	db := sqlitetest.Open(b)
	ctx := context.Background()
	if _, err := demo.Seed(ctx, catalog.NewService(db.Catalog(), nil)); err != nil {
		b.Fatal(err)
	}
	benchSearch(b, db)
}

func benchSearch(b *testing.B, db *sqldb.DB) {
	ctx := context.Background()
	tree, err := catalog.NewService(db.Catalog(), nil).Categories(ctx)
	if err != nil {
		b.Fatal(err)
	}
	store := db.Catalog()
	for name, raw := range map[string]string{
		"all newest":      "sort=newest",
		"text relevance":  "q=cotton&sort=relevance",
		"text price":      "q=jacket&sort=price_asc",
		"category stock":  "category=clothing&in_stock=true",
		"option and text": "q=shirt&option.size=M&max_price=100000",
	} {
		v, _ := url.ParseQuery(raw)
		q, err := catalog.ParseQuery(v)
		if err != nil {
			b.Fatal(err)
		}
		f := catalog.Filter{Terms: q.Terms, MinPrice: q.MinPrice, MaxPrice: q.MaxPrice, InStock: q.InStock, Options: q.Options, Sort: q.EffectiveSort(), Limit: q.Limit}
		if q.Category != "" {
			c, _ := tree.BySlug(q.Category)
			f.CategoryIDs = tree.Subtree(c)
		}
		b.Run(name+"/hits", func(b *testing.B) {
			for b.Loop() {
				if _, err := store.Search(ctx, f); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(name+"/facets", func(b *testing.B) {
			for b.Loop() {
				if _, err := store.Facets(ctx, f); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
