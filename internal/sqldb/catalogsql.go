// Package sqldb is the SQL both database adapters share.
// Queries are written with "?" placeholders; Rebind turns them into $n for
// PostgreSQL. Every value is a bound argument: no input is ever spliced into
// SQL text. The few dialect differences (full-text search, time columns) are
// switched on Dialect.
package sqldb

import (
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/oceanshop/ocean/internal/catalog"
)

// Dialect selects the database flavour.
type Dialect int

const (
	SQLite Dialect = iota
	Postgres
)

// Rebind replaces each ? with $1, $2, … for PostgreSQL.
func Rebind(d Dialect, q string) string {
	if d != Postgres {
		return q
	}
	var b strings.Builder
	n := 0
	for i := 0; i < len(q); i++ {
		if q[i] == '?' {
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			continue
		}
		b.WriteByte(q[i])
	}
	return b.String()
}

type builder struct {
	d    Dialect
	sql  strings.Builder
	args []any
	// spread is the widest price spread of any product (PriceSpreadSQL)
	// when the store looked it up; nil leaves price_min's lower bound out.
	spread *int64
}

// PriceSpreadSQL returns the widest spread between a product's cheapest
// and dearest variant, from the top of products_price_spread. The store
// runs it before a query with a minimum price and hands the number to
// Search and Facets: as a number the planner estimates how many products
// the price range keeps (and walks the price index for a page of them);
// as a subquery it cannot, and sorted a department's range instead
// (0.5 s against 5 ms at a million products).
const PriceSpreadSQL = `SELECT COALESCE(MAX(price_max - price_min), 0) FROM products`

func (b *builder) w(s string, args ...any) {
	b.sql.WriteString(s)
	b.args = append(b.args, args...)
}

// FTS5 query: every term must match, either as a stemmed word or as a prefix
// ("shirts" finds "shirt", "jack" finds "jacket"). Terms are letters and
// digits only (catalog.ParseTerms), so quoting them is enough.
func fts5Match(terms []string) string {
	parts := make([]string, len(terms))
	for i, t := range terms {
		parts[i] = `("` + t + `" OR "` + t + `"*)`
	}
	return strings.Join(parts, " AND ")
}

// tsquery text: the same semantics for PostgreSQL; to_tsquery stems each
// term before the prefix match.
func tsQuery(terms []string) string {
	parts := make([]string, len(terms))
	for i, t := range terms {
		parts[i] = t + ":*"
	}
	return strings.Join(parts, " & ")
}

// matchFrom writes the CTE prefix (PostgreSQL), FROM clause and WHERE
// conditions for the filter, and returns the relevance rank expression
// (lower is better).
func (b *builder) with(f catalog.Filter) {
	if len(f.Terms) > 0 && b.d == Postgres {
		b.w("WITH tsq AS (SELECT to_tsquery('english', ?) AS q) ", tsQuery(f.Terms))
	}
}

func (b *builder) from(f catalog.Filter) (rank string) {
	switch {
	case len(f.Terms) == 0:
		b.w(" FROM products p WHERE p.status = 'active'")
		return "0"
	case b.d == Postgres:
		b.w(" FROM products p, tsq WHERE p.search_vector @@ tsq.q AND p.status = 'active'")
		return "(-ts_rank(p.search_vector, tsq.q))::float8"
	default:
		// CROSS JOIN keeps the full-text match the outer loop: with a
		// plain JOIN SQLite's planner chose to walk every active product
		// and run the MATCH once per product (44 ms instead of 2 ms for
		// one facet query on the demo catalog; 200 ms per uncached search
		// in make bench).
		b.w(" FROM products_fts CROSS JOIN products p ON p.id = products_fts.rowid WHERE products_fts MATCH ? AND p.status = 'active'", fts5Match(f.Terms))
		return "bm25(products_fts, 10.0, 2.0, 4.0)"
	}
}

func (b *builder) conds(f catalog.Filter) {
	b.productConds(f)
	b.variantConds(f)
}

// productConds writes the conditions on the product row itself: its
// category, and for a price range what a product with a variant in the
// range must have. Its price_min and price_max are the lowest and highest
// of its variants' prices, so price_max >= min and price_min <= max; and
// price_min is at least min less the widest spread of any product
// (PriceSpreadSQL, from one entry of products_price_spread). That last
// bound is what lets an index in price order start near the range: the
// planner cannot know that the products priced below it have no variant
// in it, and walked a department's cheapest 200,000 products first
// (3.7 s at a million).
func (b *builder) productConds(f catalog.Filter) {
	if len(f.CategoryIDs) > 0 {
		b.w(" AND p.category_id IN (")
		for i, id := range f.CategoryIDs {
			if i > 0 {
				b.w(", ")
			}
			b.w("?", id)
		}
		b.w(")")
	}
	if f.MinPrice != nil {
		b.w(" AND p.price_max >= ?", *f.MinPrice)
		if b.spread != nil {
			b.w(" AND p.price_min >= ?", *f.MinPrice-*b.spread)
		}
	}
	if f.MaxPrice != nil {
		b.w(" AND p.price_min <= ?", *f.MaxPrice)
	}
}

func (b *builder) variantConds(f catalog.Filter) {
	if f.MinPrice == nil && f.MaxPrice == nil && !f.InStock && len(f.Options) == 0 {
		return
	}
	// One variant must satisfy every variant-level condition: "a medium,
	// in red, in stock, under R500" is about a single thing to buy.
	b.w(" AND EXISTS (SELECT 1 FROM variants v WHERE v.product_id = p.id")
	if f.MinPrice != nil {
		b.w(" AND v.price >= ?", *f.MinPrice)
	}
	if f.MaxPrice != nil {
		b.w(" AND v.price <= ?", *f.MaxPrice)
	}
	if f.InStock {
		b.w(" AND v.stock > 0")
	}
	names := make([]string, 0, len(f.Options))
	for n := range f.Options {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		b.w(" AND EXISTS (SELECT 1 FROM variant_options o WHERE o.variant_id = v.id AND o.name = ? AND o.value IN (", n)
		for i, val := range f.Options[n] {
			if i > 0 {
				b.w(", ")
			}
			b.w("?", val)
		}
		b.w("))")
	}
	b.w(")")
}

// Search returns the keyset query for one page of hits. It selects the
// product id and its sort key: an integer (price, or creation time in Unix
// microseconds on SQLite, a timestamptz on PostgreSQL) or a float rank.
// Ordered by relevance, only the first f.EffectiveCap() matches found are
// ranked: ranking every product a common word matches (tens of thousands
// in a large catalog) is what made such a search take seconds.
//
// spread is PriceSpreadSQL's answer when f has a minimum price (nil: no
// lower bound on price_min, the same products found more slowly).
func Search(d Dialect, f catalog.Filter, spread *int64) (string, []any) {
	b := &builder{d: d}
	b.with(f)
	inner := builder{d: d, spread: spread}
	rank := inner.from(f)
	inner.conds(f)
	var key, dir, cmp string
	capped := false
	switch f.Sort {
	case catalog.SortPriceAsc:
		key, dir, cmp = "p.price_min", "ASC", ">"
	case catalog.SortPriceDesc:
		key, dir, cmp = "p.price_min", "DESC", "<"
	case catalog.SortNewest:
		key, dir, cmp = "p.created_at", "DESC", "<"
	default:
		key, dir, cmp = rank, "ASC", ">"
		capped = len(f.Terms) > 0
	}
	b.w("SELECT id, k FROM (SELECT p.id AS id, " + key + " AS k")
	b.w(inner.sql.String(), inner.args...)
	if capped {
		b.w(" LIMIT ?", f.EffectiveCap())
	}
	b.w(") hits")
	if c := f.After; c != nil {
		var kv any
		switch f.Sort {
		case catalog.SortPriceAsc, catalog.SortPriceDesc:
			kv = c.Price
		case catalog.SortNewest:
			kv = c.Time
			if d == Postgres {
				kv = time.UnixMicro(c.Time).UTC()
			}
		default:
			kv = c.Rank
		}
		b.w(" WHERE (k "+cmp+" ? OR (k = ? AND id "+cmp+" ?))", kv, kv, c.ID)
	}
	b.w(" ORDER BY k "+dir+", id "+dir+" LIMIT ?", f.Limit+1)
	return Rebind(d, b.sql.String()), b.args
}

// Facets returns one query that counts the first f.EffectiveCap()+1
// products matching f (so the caller knows when there are more) by
// category, stock, option value, and the price range of their variants.
// Each row is (kind, name, value, n, lo, hi) with kind c (category),
// s (in stock), p (price range) or o (option value).
//
// The price range is the products' own price_min and price_max (kept as
// the lowest and highest of their variants' prices), not a join to every
// variant.
//
// spread is as for Search.
func Facets(d Dialect, f catalog.Filter, spread *int64) (string, []any) {
	b := &builder{d: d, spread: spread}
	if len(f.Terms) > 0 && d == Postgres {
		b.w("WITH tsq AS (SELECT to_tsquery('english', ?) AS q), ", tsQuery(f.Terms))
	} else {
		b.w("WITH ")
	}
	// Option values come from each product's facet_options (its variants'
	// [name, value] pairs, kept by triggers: migration 0022), not from a
	// join of the sample to its variants and their option rows (two thirds
	// of the statement at a million products). Products with the same
	// options are grouped first, so each distinct list is parsed once.
	options := "jsonb_array_elements(g.facet_options::jsonb) e"
	name, value := "e->>0", "e->>1"
	if d == SQLite {
		options = "json_each(g.facet_options) e"
		name, value = "json_extract(e.value, '$[0]')", "json_extract(e.value, '$[1]')"
	}
	// MATERIALIZED: the sample is taken once, and every count below is
	// over the same products.
	// The products the words, categories and price bounds select come first (OFFSET 0,
	// or SQLite's LIMIT -1, keeps them a subquery the planner does not
	// flatten), then each is checked against the variant conditions until
	// the sample is full: joined the other way round, PostgreSQL's planner
	// merged the products with every variant in price range of the
	// catalog (0.6 s for a department and a price range at a million
	// products).
	fence := " OFFSET 0"
	if d == SQLite {
		fence = " LIMIT -1"
	}
	b.w("matched AS MATERIALIZED (SELECT p.id, p.category_id, p.price_min, p.price_max, p.facet_options FROM (SELECT p.id, p.category_id, p.price_min, p.price_max, p.facet_options")
	b.from(f)
	b.productConds(f)
	b.w(fence + ") p WHERE 1=1")
	b.variantConds(f)
	b.w(" LIMIT ?", f.EffectiveCap()+1)
	// In stock: each product with a variant in stock. Filtered to those
	// already (InStock), every product of the sample is one, and the
	// count is the sample's: no probe into each one's variants (a sixth of
	// a filtered aisle's facet statement at a million products).
	stock := "SELECT 's', '', '', COUNT(*), 0, 0 FROM matched m WHERE EXISTS (SELECT 1 FROM variants v WHERE v.product_id = m.id AND v.stock > 0)"
	if f.InStock {
		stock = "SELECT 's', '', '', COUNT(*), 0, 0 FROM matched"
	}
	b.w(`)
SELECT 'c', '', CAST(category_id AS TEXT), COUNT(*), 0, 0 FROM matched GROUP BY category_id
UNION ALL
SELECT 'p', '', '', COUNT(*), COALESCE(MIN(price_min), 0), COALESCE(MAX(price_max), 0) FROM matched
UNION ALL
` + stock + `
UNION ALL
SELECT 'o', ` + name + `, ` + value + `, CAST(SUM(g.n) AS BIGINT), 0, 0 FROM (SELECT facet_options, COUNT(*) AS n FROM matched GROUP BY facet_options) g, ` + options + ` GROUP BY 2, 3`)
	return Rebind(d, b.sql.String()), b.args
}

// CategoryCounts returns the query for each category of f.CategoryIDs:
// (id, active products in it, up to f.EffectiveCap()+1). Facets uses it
// when its sample was capped and f is a plain listing (no words, no
// variant filters), where each count is one short range of an index, so
// a department's aisles each show their own count rather than the
// sample's.
func CategoryCounts(d Dialect, f catalog.Filter) (string, []any) {
	b := &builder{d: d}
	b.w("SELECT c.id, (SELECT COUNT(*) FROM (SELECT 1 FROM products p WHERE p.category_id = c.id AND p.status = 'active' LIMIT ?) x) FROM categories c WHERE c.id IN (", f.EffectiveCap()+1)
	for i, id := range f.CategoryIDs {
		if i > 0 {
			b.w(", ")
		}
		b.w("?", id)
	}
	b.w(")")
	return Rebind(d, b.sql.String()), b.args
}

// PlainListing reports whether f only narrows by category: no words and
// no variant-level filter.
func PlainListing(f catalog.Filter) bool {
	return len(f.Terms) == 0 && f.MinPrice == nil && f.MaxPrice == nil && !f.InStock && len(f.Options) == 0
}

// FacetRow is one row of the Facets query.
type FacetRow struct {
	Kind, Name, Value string
	N, Lo, Hi         int64
}

// Collect folds facet rows into catalog.Facets; limit is the cap the
// rows were counted under (Filter.EffectiveCap()): when they cover more
// products, the result is Capped at limit.
func Collect(rows []FacetRow, limit int) catalog.Facets {
	fc := catalog.Facets{Categories: map[int64]int{}, Options: map[string]map[string]int{}}
	for _, r := range rows {
		switch r.Kind {
		case "c":
			id, _ := strconv.ParseInt(r.Value, 10, 64)
			fc.Categories[id] = int(r.N)
			fc.Total += int(r.N)
		case "p":
			fc.PriceMin, fc.PriceMax = r.Lo, r.Hi
		case "s":
			fc.InStock = int(r.N)
		case "o":
			if fc.Options[r.Name] == nil {
				fc.Options[r.Name] = map[string]int{}
			}
			fc.Options[r.Name][r.Value] = int(r.N)
		}
	}
	if fc.Total > limit {
		fc.Capped = true
		fc.Total = limit
		fc.InStock = min(fc.InStock, limit)
		for id, n := range fc.Categories {
			fc.Categories[id] = min(n, limit)
		}
		for _, vals := range fc.Options {
			for v, n := range vals {
				vals[v] = min(n, limit)
			}
		}
	}
	return fc
}
