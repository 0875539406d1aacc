package catalog

import (
	"context"
	"slices"
	"strconv"
	"sync"
)

// Cache tags: what an entry depends on, so that a write drops only what
// shows the product it changed (decision 0105). Every entry that shows a
// product carries TagProduct of it; every listing (a search page, its facets,
// a rendered form of either, a remembered missing slug, a slug redirect)
// carries TagListings, and TagPrices or TagStock when what it lists depends
// on prices or on stock.
const (
	// TagListings is on every listing. A write that can change which
	// products a listing holds, beyond the ones it shows (a product
	// created, published, archived, deleted, renamed, described, moved to
	// another category, given another slug or other options), drops it.
	TagListings = "listings"
	// TagPrices is on listings filtered or sorted by price and on every
	// facets (their price range): a price change drops them.
	TagPrices = "listings:price"
	// TagStock is on listings filtered to what is in stock and on every
	// facets (their in-stock count): a product selling out or coming back
	// drops them. A sale that leaves units does not.
	TagStock = "listings:stock"
)

// TagProduct is the tag of everything that shows product id: its card, its
// page, the listings it is on.
func TagProduct(id int64) string { return "p:" + strconv.FormatInt(id, 10) }

// PageTags returns the tags of a search page for query q showing items: its
// products, TagListings, TagPrices when q filters or sorts by price, TagStock
// when q keeps to what is in stock. The page's facets are cached apart
// (FacetTags).
func PageTags(q Query, items []Card) []string {
	tags := make([]string, 0, len(items)+3)
	tags = append(tags, TagListings)
	s := q.EffectiveSort()
	if q.MinPrice != nil || q.MaxPrice != nil || s == SortPriceAsc || s == SortPriceDesc {
		tags = append(tags, TagPrices)
	}
	if q.InStock {
		tags = append(tags, TagStock)
	}
	for _, c := range items {
		tags = append(tags, TagProduct(c.ID))
	}
	return tags
}

// FacetTags are the tags of the facets of any search: they count every
// product that matches, so any change of membership, price range or
// in-stock count drops them.
func FacetTags() []string { return []string{TagListings, TagPrices, TagStock} }

// ProductTags returns the tags of a product page's entry: the product, and
// TagListings for a slug redirect marker (its target moves with slug
// changes, which drop listings).
func ProductTags(p *Product) []string {
	if p.MovedFrom != "" {
		return []string{TagListings}
	}
	return []string{TagProduct(p.ID)}
}

// SaveTags returns what saving after over before (the same product, as it
// was when the save was checked against its version) invalidates: the
// product, and TagListings if it can now be in or out of listings it was
// not shown on (status, name, slug, description, category, options,
// variants added or removed or their options changed), TagPrices if a
// variant's price changed, TagStock if it sold out or came back. A nil
// before (not known) invalidates every listing.
func SaveTags(before, after *Product) []string {
	tags := []string{TagProduct(after.ID)}
	if before == nil || before.ID != after.ID {
		return append(tags, TagListings, TagPrices, TagStock)
	}
	membership := before.Status != after.Status || before.Name != after.Name || before.Slug != after.Slug ||
		before.Description != after.Description || before.CategoryID != after.CategoryID ||
		len(before.Variants) != len(after.Variants) || !sameOptions(before.Options, after.Options)
	prices := false
	if !membership {
		for i, v := range after.Variants {
			b := before.Variants[i]
			if v.ID != b.ID || !sameValues(v.Options, b.Options) {
				membership = true
				break
			}
			if v.Price != b.Price || v.CompareAt != b.CompareAt {
				prices = true
			}
		}
	}
	if membership {
		return append(tags, TagListings, TagPrices, TagStock)
	}
	if prices {
		tags = append(tags, TagPrices)
	}
	if before.InStock() != afterInStock(before, after) {
		tags = append(tags, TagStock)
	}
	return tags
}

// afterInStock is whether after is in stock, counting a variant that keeps
// its stock (KeepStock) with the stock before had.
func afterInStock(before, after *Product) bool {
	for i, v := range after.Variants {
		n := v.Available()
		if v.KeepStock && i < len(before.Variants) {
			n = before.Variants[i].Available()
		}
		if n > 0 {
			return true
		}
	}
	return false
}

func sameOptions(a, b []Option) bool {
	return slices.EqualFunc(a, b, func(x, y Option) bool { return x.Name == y.Name && slices.Equal(x.Values, y.Values) })
}

func sameValues(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

// StockTags returns what a stock change of products invalidates: each
// product, and TagStock when one may have sold out or come back. sold says
// the change only took units away (a sale): a product that is still in
// stock afterwards (inStock, read after the change, holds the products on
// sale) did not cross zero, nor did one that is not on sale.
// Units coming back (a release, a restock, an adjustment) may bring a sold
// out product back, so they always drop TagStock.
func StockTags(products []int64, inStock map[int64]bool, sold bool) []string {
	tags := make([]string, 0, len(products)+1)
	cross := !sold
	for _, id := range products {
		tags = append(tags, TagProduct(id))
		if in, listed := inStock[id]; sold && listed && !in {
			cross = true
		}
	}
	if cross {
		tags = append(tags, TagStock)
	}
	return tags
}

// tagSink collects the tags of the cached reads made while a view is
// built, so the view carries them (Service.View).
type tagSink struct {
	mu   sync.Mutex
	tags map[string]struct{}
}

type sinkKey struct{}

// collect adds tags to the view being built in ctx, if any.
func collect(ctx context.Context, tags ...string) {
	s, ok := ctx.Value(sinkKey{}).(*tagSink)
	if !ok {
		return
	}
	s.mu.Lock()
	for _, t := range tags {
		s.tags[t] = struct{}{}
	}
	s.mu.Unlock()
}

func (s *tagSink) list() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]string, 0, len(s.tags))
	for t := range s.tags {
		out = append(out, t)
	}
	slices.Sort(out)
	return out
}
