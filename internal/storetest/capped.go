package storetest

import (
	"slices"
	"testing"

	"github.com/oceanshop/ocean/internal/catalog"
)

// testCapped: facets and relevance stop counting and ranking at
// Filter.Cap matching products (a million-product catalog's common word
// matches tens of thousands), say so with Capped, and never claim more
// than they counted; a plain category listing still counts each category
// on its own.
func testCapped(t *testing.T, s catalog.Store, fx fixture) {
	// Ten active products; a cap of 10 counts them all, 9 does not.
	fc, err := s.Facets(ctx, catalog.Filter{Cap: 10})
	if err != nil {
		t.Fatal(err)
	}
	if fc.Capped || fc.Total != 10 || fc.InStock != 8 {
		t.Errorf("cap 10 over 10 products: capped %v total %d in stock %d, want exact 10 and 8", fc.Capped, fc.Total, fc.InStock)
	}
	fc, err = s.Facets(ctx, catalog.Filter{Cap: 4})
	if err != nil {
		t.Fatal(err)
	}
	if !fc.Capped || fc.Total != 4 {
		t.Fatalf("cap 4 over 10 products: capped %v total %d, want capped at 4", fc.Capped, fc.Total)
	}
	sum := 0
	for id, n := range fc.Categories {
		if n > fc.Total || n < 1 {
			t.Errorf("category %d counted %d, want 1..%d", id, n, fc.Total)
		}
		sum += n
	}
	if sum < fc.Total {
		t.Errorf("categories add up to %d, fewer than the %d products counted", sum, fc.Total)
	}
	if fc.InStock > fc.Total {
		t.Errorf("in stock %d over the total %d", fc.InStock, fc.Total)
	}
	for name, vals := range fc.Options {
		for v, n := range vals {
			if n > fc.Total {
				t.Errorf("option %s=%s counted %d over the total %d", name, v, n, fc.Total)
			}
		}
	}
	if fc.PriceMin < 14900 || fc.PriceMax > 189900 || fc.PriceMin > fc.PriceMax {
		t.Errorf("capped price range %d-%d is outside the catalog's 14900-189900", fc.PriceMin, fc.PriceMax)
	}

	// A variant filter narrows the products before the sample is taken:
	// every product counted under a cap is one the filter lets through,
	// and the sample is full when enough of them exist.
	fc, err = s.Facets(ctx, catalog.Filter{InStock: true, Cap: 10})
	if err != nil {
		t.Fatal(err)
	}
	if fc.Capped || fc.Total != 8 || fc.InStock != 8 {
		t.Errorf("in stock, cap 10: capped %v total %d in stock %d, want exact 8 and 8", fc.Capped, fc.Total, fc.InStock)
	}
	fc, err = s.Facets(ctx, catalog.Filter{InStock: true, Cap: 5})
	if err != nil {
		t.Fatal(err)
	}
	if !fc.Capped || fc.Total != 5 || fc.InStock != 5 {
		t.Errorf("in stock, cap 5: capped %v total %d in stock %d, want capped at 5, all 5 in stock", fc.Capped, fc.Total, fc.InStock)
	}

	// A clothing page (no words, no variant filter) over the cap still
	// shows both aisles, each counted on its own up to the cap: the
	// sample alone would have come from one of them.
	clothing := []int64{fx.cats["clothing"].ID, fx.cats["shirts"].ID, fx.cats["jackets"].ID}
	fc, err = s.Facets(ctx, catalog.Filter{CategoryIDs: clothing, Cap: 2})
	if err != nil {
		t.Fatal(err)
	}
	want := map[int64]int{fx.cats["shirts"].ID: 2, fx.cats["jackets"].ID: 2}
	if !fc.Capped || fc.Total != 2 || len(fc.Categories) != 2 || fc.Categories[fx.cats["shirts"].ID] != 2 || fc.Categories[fx.cats["jackets"].ID] != 2 {
		t.Errorf("clothing capped at 2: capped %v total %d categories %v, want capped, 2, %v", fc.Capped, fc.Total, fc.Categories, want)
	}
	fc, err = s.Facets(ctx, catalog.Filter{CategoryIDs: clothing, Cap: 3})
	if err != nil {
		t.Fatal(err)
	}
	if !fc.Capped || fc.Categories[fx.cats["shirts"].ID] != 3 || fc.Categories[fx.cats["jackets"].ID] != 3 {
		t.Errorf("clothing capped at 3: capped %v categories %v, want 3 shirts and 3 jackets", fc.Capped, fc.Categories)
	}

	// Relevance ranks the first Cap matches only, and pages through
	// exactly those; other orders are not capped.
	shirts := fx.ids("linen-shirt", "oxford-shirt", "flannel-shirt")
	all := search(t, s, catalog.Filter{Terms: []string{"shirt"}, Sort: catalog.SortRelevance})
	if !sameSet(all, shirts) {
		t.Fatalf("shirt = %v, want the three shirts %v", all, shirts)
	}
	capped := search(t, s, catalog.Filter{Terms: []string{"shirt"}, Sort: catalog.SortRelevance, Cap: 2})
	if len(capped) != 2 || !subset(capped, shirts) {
		t.Fatalf("shirt capped at 2 = %v, want two of %v", capped, shirts)
	}
	var paged []int64
	f := catalog.Filter{Terms: []string{"shirt"}, Sort: catalog.SortRelevance, Cap: 2, Limit: 1}
	for range 4 {
		hits, err := s.Search(ctx, f)
		if err != nil {
			t.Fatal(err)
		}
		if len(hits) == 0 {
			break
		}
		paged = append(paged, hits[0].ID)
		if len(hits) < 2 {
			break
		}
		f.After = &hits[0].Key
	}
	if !sameSet(paged, capped) {
		t.Errorf("paging one at a time under cap 2 gave %v, want %v", paged, capped)
	}
	if byPrice := search(t, s, catalog.Filter{Terms: []string{"shirt"}, Sort: catalog.SortPriceAsc, Cap: 2}); !sameSet(byPrice, shirts) {
		t.Errorf("shirt by price with cap 2 = %v, want all three: only relevance is capped", byPrice)
	}
}

func subset(a, of []int64) bool {
	for _, x := range a {
		if !slices.Contains(of, x) {
			return false
		}
	}
	return true
}
