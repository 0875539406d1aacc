package storetest

import (
	"strings"
	"testing"

	"github.com/oceanshop/ocean/internal/catalog"
	"github.com/oceanshop/ocean/internal/sqldb"
)

// FacetOptionsFollowRawWrites checks migration 0022's triggers against
// writes the store does not make: option rows rewritten and moved between
// products by plain SQL (as migration 0016 rewrote sizes, or an older
// release might). The facet counts read products.facet_options, so they
// show whether each product touched, on both sides of a move, was
// refreshed.
func FacetOptionsFollowRawWrites(t *testing.T, db *sqldb.DB) {
	s := db.Catalog()
	c := &catalog.Category{Slug: "tees", Name: "Tees"}
	if err := s.CreateCategory(ctx, c, catalog.System); err != nil {
		t.Fatal(err)
	}
	mk := func(slug string) *catalog.Product {
		p := &catalog.Product{Slug: slug, Name: slug, CategoryID: c.ID, Status: catalog.StatusActive,
			Options: []catalog.Option{{Name: "size", Values: []string{"S", "M"}}},
			Variants: []catalog.Variant{
				{SKU: slug + "-S", Options: map[string]string{"size": "S"}, Price: zar(10000), Stock: 1},
				{SKU: slug + "-M", Options: map[string]string{"size": "M"}, Price: zar(10000), Stock: 1, Position: 1},
			}}
		if err := s.CreateProduct(ctx, p, catalog.System); err != nil {
			t.Fatal(err)
		}
		return p
	}
	a, b := mk("a"), mk("b")
	exec := func(q string, args ...any) {
		t.Helper()
		if _, err := db.Write.ExecContext(ctx, sqldb.Rebind(db.Dialect, q), args...); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	want := func(when string, size, colour map[string]int) {
		t.Helper()
		f, err := s.Facets(ctx, catalog.Filter{})
		if err != nil {
			t.Fatal(err)
		}
		for name, m := range map[string]map[string]int{"size": size, "colour": colour} {
			if len(f.Options[name]) != len(m) {
				t.Fatalf("%s: %s facet %v, want %v", when, name, f.Options[name], m)
			}
			for v, n := range m {
				if f.Options[name][v] != n {
					t.Fatalf("%s: %s facet %v, want %v", when, name, f.Options[name], m)
				}
			}
		}
	}
	want("as created", map[string]int{"S": 2, "M": 2}, nil)
	// Rewritten in place: a's S becomes XL.
	exec(`UPDATE variant_options SET value = 'XL' WHERE variant_id = ? AND name = 'size'`, a.Variants[0].ID)
	want("a's S rewritten as XL", map[string]int{"S": 1, "M": 2, "XL": 1}, nil)
	// Moved: a colour row from a's variant to b's; a loses it, b gains it.
	exec(`INSERT INTO variant_options (variant_id, name, value) VALUES (?, 'colour', 'Red')`, a.Variants[1].ID)
	want("a red", map[string]int{"S": 1, "M": 2, "XL": 1}, map[string]int{"Red": 1})
	exec(`UPDATE variant_options SET variant_id = ? WHERE variant_id = ? AND name = 'colour'`, b.Variants[0].ID, a.Variants[1].ID)
	exec(`UPDATE variant_options SET value = 'Blue' WHERE name = 'colour'`)
	want("the colour moved to b and became blue", map[string]int{"S": 1, "M": 2, "XL": 1}, map[string]int{"Blue": 1})
	var aOpts, bOpts string
	if err := db.Read.QueryRowContext(ctx, sqldb.Rebind(db.Dialect, `SELECT (SELECT facet_options FROM products WHERE id = ?), (SELECT facet_options FROM products WHERE id = ?)`), a.ID, b.ID).Scan(&aOpts, &bOpts); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(aOpts, "Blue") || !strings.Contains(bOpts, "Blue") {
		t.Fatalf("after the move a has %s and b %s: want the colour on b only", aOpts, bOpts)
	}
	// A variant deleted with its options: b keeps only M and Blue's gone.
	exec(`DELETE FROM variants WHERE id = ?`, b.Variants[0].ID)
	want("b's S deleted", map[string]int{"M": 2, "XL": 1}, nil)
}
