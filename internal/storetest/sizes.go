package storetest

import (
	"slices"
	"testing"

	"github.com/oceanshop/ocean/internal/catalog"
	"github.com/oceanshop/ocean/internal/migrate"
)

// NormalisedSizes checks migration 0016: a catalog written before option
// values were normalised ("Small" beside "S") has one spelling per size
// afterwards, in the size facet, in each variant and in each product's
// option list. open returns a database with no migrations applied and the
// catalog store over it.
func NormalisedSizes(t *testing.T, open func(t *testing.T) (migrate.Target, []migrate.Migration, catalog.Store)) {
	db, ms, s := open(t)
	var before []migrate.Migration
	for _, m := range ms {
		if m.Version < 16 {
			before = append(before, m)
		}
	}
	if _, err := migrate.Up(ctx, db, before); err != nil {
		t.Fatal(err)
	}
	c := &catalog.Category{Slug: "bags", Name: "Bags"}
	if err := s.CreateCategory(ctx, c, catalog.System); err != nil {
		t.Fatal(err)
	}
	// Written through the store, not the service: as an old release (or the
	// demo seed before normalisation) left them.
	for _, p := range []*catalog.Product{
		{Slug: "tote", Name: "Tote", CategoryID: c.ID, Options: []catalog.Option{{Name: "size", Values: []string{"Small", "Large"}}, {Name: "colour", Values: []string{"Forest"}}},
			Variants: []catalog.Variant{
				{SKU: "TOTE-SM", Options: map[string]string{"size": "Small", "colour": "Forest"}, Price: zar(19900), Stock: 3},
				{SKU: "TOTE-LG", Options: map[string]string{"size": "Large", "colour": "Forest"}, Price: zar(24900), Stock: 3, Position: 1},
			}},
		{Slug: "tee", Name: "Tee", CategoryID: c.ID, Options: []catalog.Option{{Name: "size", Values: []string{"S", "m", "Extra Large"}}},
			Variants: []catalog.Variant{
				{SKU: "TEE-S", Options: map[string]string{"size": "S"}, Price: zar(9900), Stock: 1},
				{SKU: "TEE-M", Options: map[string]string{"size": "m"}, Price: zar(9900), Stock: 1, Position: 1},
				{SKU: "TEE-XL", Options: map[string]string{"size": "Extra Large"}, Price: zar(9900), Stock: 1, Position: 2},
			}},
	} {
		if err := s.CreateProduct(ctx, p, catalog.System); err != nil {
			t.Fatal(err)
		}
	}
	// Read back as written (this release's facet statement needs the
	// schema's last migration, so it waits until after).
	if p, err := s.ProductBySlug(ctx, "tote"); err != nil || p.Variants[0].Options["size"] != "Small" {
		t.Fatalf("tote before = %+v, %v", p, err)
	}
	if _, err := migrate.Up(ctx, db, ms); err != nil {
		t.Fatal(err)
	}
	f, err := s.Facets(ctx, catalog.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]int{"S": 2, "M": 1, "L": 1, "XL": 1}
	if len(f.Options["size"]) != len(want) {
		t.Fatalf("size facet after = %v; want %v", f.Options["size"], want)
	}
	for v, n := range want {
		if f.Options["size"][v] != n {
			t.Fatalf("size facet after = %v; want %v", f.Options["size"], want)
		}
	}
	if f.Options["colour"]["Forest"] != 1 {
		t.Fatalf("colour facet changed: %v", f.Options["colour"])
	}
	tote, err := s.ProductBySlug(ctx, "tote")
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(tote.Options[0].Values, []string{"S", "L"}) || tote.Options[1].Values[0] != "Forest" ||
		tote.Variants[0].Options["size"] != "S" || tote.Variants[1].Options["size"] != "L" || tote.Variants[0].Options["colour"] != "Forest" {
		t.Fatalf("tote after = %+v %+v", tote.Options, tote.Variants)
	}
	tee, err := s.ProductBySlug(ctx, "tee")
	if err != nil || !slices.Equal(tee.Options[0].Values, []string{"S", "M", "XL"}) || tee.Variants[2].Options["size"] != "XL" {
		t.Fatalf("tee after = %+v, %v", tee, err)
	}
	// A filter on the one spelling finds both products.
	hits, err := s.Search(ctx, catalog.Filter{Options: map[string][]string{"size": {"S"}}, Limit: 10})
	if err != nil || len(hits) != 2 {
		t.Fatalf("size S finds %+v, %v", hits, err)
	}
}
