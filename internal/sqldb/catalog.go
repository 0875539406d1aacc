package sqldb

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/oceanshop/ocean/internal/catalog"
	"github.com/oceanshop/ocean/internal/ocean"
)

// CatalogStore implements catalog.Store.
type CatalogStore struct{ db *DB }

// Catalog returns the catalog store over db.
func (db *DB) Catalog() *CatalogStore { return &CatalogStore{db: db} }

var _ catalog.Store = (*CatalogStore)(nil)

func (s *CatalogStore) Categories(ctx context.Context) ([]catalog.Category, error) {
	rows, err := s.db.query(ctx, `SELECT id, slug, name, description, COALESCE(parent_id, 0), position, version FROM categories ORDER BY COALESCE(parent_id, 0), position, name`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []catalog.Category
	for rows.Next() {
		var c catalog.Category
		if err := rows.Scan(&c.ID, &c.Slug, &c.Name, &c.Description, &c.ParentID, &c.Position, &c.Version); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// priceSpread looks up PriceSpreadSQL when f has a minimum price.
func (s *CatalogStore) priceSpread(ctx context.Context, f catalog.Filter) (*int64, error) {
	if f.MinPrice == nil {
		return nil, nil //nolint:nilnil // no minimum price, nothing to look up
	}
	var n int64
	if err := s.db.queryRow(ctx, PriceSpreadSQL).Scan(&n); err != nil {
		return nil, err
	}
	return &n, nil
}

func (s *CatalogStore) Search(ctx context.Context, f catalog.Filter) ([]catalog.Hit, error) {
	spread, err := s.priceSpread(ctx, f)
	if err != nil {
		return nil, err
	}
	q, args := Search(s.db.Dialect, f, spread)
	rows, err := s.db.queryPlanned(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var hits []catalog.Hit
	for rows.Next() {
		h := catalog.Hit{Key: catalog.Cursor{Sort: f.Sort}}
		var k any
		switch f.Sort {
		case catalog.SortPriceAsc, catalog.SortPriceDesc:
			k = &h.Key.Price
		case catalog.SortNewest:
			if s.db.Dialect == Postgres {
				var t time.Time
				if err := rows.Scan(&h.ID, &t); err != nil {
					return nil, err
				}
				h.Key.Time, h.Key.ID = t.UnixMicro(), h.ID
				hits = append(hits, h)
				continue
			}
			k = &h.Key.Time
		default:
			k = &h.Key.Rank
		}
		if err := rows.Scan(&h.ID, k); err != nil {
			return nil, err
		}
		h.Key.ID = h.ID
		hits = append(hits, h)
	}
	return hits, rows.Err()
}

func (s *CatalogStore) Facets(ctx context.Context, f catalog.Filter) (catalog.Facets, error) {
	spread, err := s.priceSpread(ctx, f)
	if err != nil {
		return catalog.Facets{}, err
	}
	q, args := Facets(s.db.Dialect, f, spread)
	rows, err := s.db.queryPlanned(ctx, q, args...)
	if err != nil {
		return catalog.Facets{}, err
	}
	var fr []FacetRow
	err = EachRow(rows, func() error {
		var r FacetRow
		if err := rows.Scan(&r.Kind, &r.Name, &r.Value, &r.N, &r.Lo, &r.Hi); err != nil {
			return err
		}
		fr = append(fr, r)
		return nil
	})
	if err != nil {
		return catalog.Facets{}, err
	}
	fc := Collect(fr, f.EffectiveCap())
	if !fc.Capped || !PlainListing(f) || len(f.CategoryIDs) == 0 {
		return fc, nil
	}
	// The sample came from the first categories the index holds; count
	// each category on its own, up to the cap.
	q, args = CategoryCounts(s.db.Dialect, f)
	rows, err = s.db.query(ctx, q, args...)
	if err != nil {
		return catalog.Facets{}, err
	}
	counts := map[int64]int{}
	err = EachRow(rows, func() error {
		var id int64
		var n int
		if err := rows.Scan(&id, &n); err != nil {
			return err
		}
		if n > 0 {
			counts[id] = min(n, f.EffectiveCap())
		}
		return nil
	})
	if err != nil {
		return catalog.Facets{}, err
	}
	fc.Categories = counts
	return fc, nil
}

func (s *CatalogStore) Cards(ctx context.Context, ids []int64) ([]catalog.Card, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	rows, err := s.db.query(ctx, `SELECT p.id, p.slug, p.name, p.description, p.category_id, p.price_min, p.price_max, p.currency, p.created_at,
  EXISTS (SELECT 1 FROM variants v WHERE v.product_id = p.id AND v.stock > 0)
FROM products p WHERE p.status = 'active' AND p.id IN (`+strings.TrimSuffix(strings.Repeat("?, ", len(ids)), ", ")+`)`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []catalog.Card
	for rows.Next() {
		var c catalog.Card
		var desc, cur string
		var created timeValue
		if err := rows.Scan(&c.ID, &c.Slug, &c.Name, &desc, &c.CategoryID, &c.PriceMin.Amount, &c.PriceMax.Amount, &cur, &created, &c.InStock); err != nil {
			return nil, err
		}
		c.PriceMin.Currency, c.PriceMax.Currency = cur, cur
		c.Summary = summary(desc)
		c.CreatedAt = created.t
		out = append(out, c)
	}
	return out, rows.Err()
}

func (s *CatalogStore) VariantProducts(ctx context.Context, variantIDs []int64) ([]int64, error) {
	if len(variantIDs) == 0 {
		return nil, nil
	}
	args := make([]any, len(variantIDs))
	for i, id := range variantIDs {
		args[i] = id
	}
	rows, err := s.db.query(ctx, `SELECT DISTINCT product_id FROM variants WHERE id IN (`+strings.TrimSuffix(strings.Repeat("?, ", len(variantIDs)), ", ")+`)`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		out = append(out, id)
	}
	return out, rows.Err()
}

// summary is the first sentence of a description, at most 160 bytes.
func summary(desc string) string {
	if i := strings.Index(desc, ". "); i >= 0 {
		desc = desc[:i+1]
	}
	return catalog.Shorten(desc, 160)
}

func (s *CatalogStore) ProductBySlug(ctx context.Context, slug string) (*catalog.Product, error) {
	s.db.queries.Add(2)
	return loadProduct(ctx, s.db.Dialect, s.db.Read, `p.slug = ? AND p.status = 'active'`, slug)
}

func (s *CatalogStore) ProductByID(ctx context.Context, id int64) (*catalog.Product, error) {
	s.db.queries.Add(2)
	return loadProduct(ctx, s.db.Dialect, s.db.Read, `p.id = ?`, id)
}

// querier is a pool or a transaction.
type querier interface {
	QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row
}

// loadProduct reads the one product matching where (with arg) and its
// variants.
func loadProduct(ctx context.Context, d Dialect, q querier, where string, arg any) (*catalog.Product, error) {
	p := &catalog.Product{}
	var opts string
	var created, updated timeValue
	err := q.QueryRowContext(ctx, Rebind(d, `SELECT p.id, p.slug, p.name, p.description, p.brand, p.category_id, p.options, p.status, p.version, p.created_at, p.updated_at FROM products p WHERE `+where), arg).
		Scan(&p.ID, &p.Slug, &p.Name, &p.Description, &p.Brand, &p.CategoryID, &opts, &p.Status, &p.Version, &created, &updated)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ocean.Errorf(ocean.ENOTFOUND, "There is no product at this address.")
	}
	if err != nil {
		return nil, err
	}
	p.CreatedAt, p.UpdatedAt = created.t, updated.t
	if err := json.Unmarshal([]byte(opts), &p.Options); err != nil {
		return nil, fmt.Errorf("product %d options: %w", p.ID, err)
	}
	rows, err := q.QueryContext(ctx, Rebind(d, `SELECT id, sku, options, price, currency, compare_at_price, weight, barcode, stock, position FROM variants WHERE product_id = ? ORDER BY position, id`), p.ID)
	if err != nil {
		return nil, err
	}
	err = EachRow(rows, func() error {
		v := catalog.Variant{ProductID: p.ID}
		var vo string
		if err := rows.Scan(&v.ID, &v.SKU, &vo, &v.Price.Amount, &v.Price.Currency, &v.CompareAt.Amount, &v.Weight, &v.Barcode, &v.Stock, &v.Position); err != nil {
			return err
		}
		if v.CompareAt.Amount != 0 {
			v.CompareAt.Currency = v.Price.Currency
		}
		if err := json.Unmarshal([]byte(vo), &v.Options); err != nil {
			return fmt.Errorf("variant %d options: %w", v.ID, err)
		}
		p.Variants = append(p.Variants, v)
		return nil
	})
	return p, err
}

func (s *CatalogStore) CreateCategory(ctx context.Context, c *catalog.Category, a catalog.Actor) error {
	var parent any
	if c.ParentID != 0 {
		parent = c.ParentID
	}
	return s.db.InTx(ctx, func(tx *Tx) error {
		id, err := tx.insertID(ctx, `INSERT INTO categories (slug, name, description, parent_id, position, version) VALUES (?, ?, ?, ?, ?, 1)`,
			c.Slug, c.Name, c.Description, parent, c.Position)
		if s.db.IsUnique(err) {
			return slugTaken("category", c.Slug)
		}
		if err != nil {
			return err
		}
		c.ID, c.Version = id, 1
		return s.audit(ctx, tx, a, catalog.EntityCategory, id, catalog.ActionCreate, 1, "", catalog.Snapshot(categorySnapshot(c)))
	})
}

func slugTaken(what, slug string) error {
	return &ocean.Error{Code: ocean.ECONFLICT, Message: fmt.Sprintf("Another %s already uses the slug %q.", what, slug),
		Fields: []ocean.FieldError{{Field: "slug", Message: "is taken by another " + what}}}
}

func categorySnapshot(c *catalog.Category) catalog.CategorySnapshot {
	return catalog.CategorySnapshot{Name: c.Name, Slug: c.Slug, ParentID: c.ParentID, Position: c.Position, Version: c.Version}
}

func (s *CatalogStore) CreateProduct(ctx context.Context, p *catalog.Product, a catalog.Actor) error {
	return s.db.InTx(ctx, func(tx *Tx) error {
		if err := s.conflicts(ctx, tx, p); err != nil {
			return err
		}
		return s.createProduct(ctx, tx, p, a, "new product")
	})
}

// createProduct inserts p in tx: the product, its variants with their
// starting stock as ledger rows (reason), the search index and the audit
// entry.
func (s *CatalogStore) createProduct(ctx context.Context, tx *Tx, p *catalog.Product, a catalog.Actor, reason string) error {
	now := time.Now().UTC()
	if p.CreatedAt.IsZero() {
		p.CreatedAt = now
	}
	if p.Status == "" {
		p.Status = catalog.StatusActive
	}
	p.CreatedAt = p.CreatedAt.UTC().Truncate(time.Microsecond)
	p.UpdatedAt = now.Truncate(time.Microsecond)
	lo, hi := p.PriceRange()
	opts, err := json.Marshal(p.Options)
	if err != nil {
		return err
	}
	id, err := tx.insertID(ctx, `INSERT INTO products (slug, name, description, brand, category_id, options, price_min, price_max, currency, created_at, updated_at, search_extra, status, version)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1)`, p.Slug, p.Name, p.Description, p.Brand, p.CategoryID, string(opts), lo.Amount, hi.Amount, lo.Currency,
		s.db.timeArg(p.CreatedAt), s.db.timeArg(p.UpdatedAt), searchExtra(p), p.Status)
	if s.db.IsUnique(err) {
		return slugTaken("product", p.Slug)
	}
	if err != nil {
		return fmt.Errorf("insert product: %w", err)
	}
	p.ID, p.Version = id, 1
	// A live slug wins over a product's old one.
	if _, err := tx.exec(ctx, `DELETE FROM product_slugs WHERE slug = ?`, p.Slug); err != nil {
		return err
	}
	for i := range p.Variants {
		if err := s.insertVariant(ctx, tx, p, i, a, now, reason); err != nil {
			return err
		}
	}
	if err := s.db.indexText(ctx, tx, p.ID, p.Name, p.Description, searchExtra(p), false); err != nil {
		return err
	}
	return s.audit(ctx, tx, a, catalog.EntityProduct, id, catalog.ActionCreate, 1, "", catalog.Snapshot(catalog.SnapshotOf(p)))
}

// insertVariant writes p.Variants[i], its options and its starting stock
// (a ledger row).
func (s *CatalogStore) insertVariant(ctx context.Context, tx *Tx, p *catalog.Product, i int, a catalog.Actor, now time.Time, reason string) error {
	v := &p.Variants[i]
	v.ProductID = p.ID
	vo, err := json.Marshal(v.Options)
	if err != nil {
		return err
	}
	v.ID, err = tx.insertID(ctx, `INSERT INTO variants (product_id, sku, options, price, currency, compare_at_price, weight, barcode, stock, position) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		p.ID, v.SKU, string(vo), v.Price.Amount, v.Price.Currency, v.CompareAt.Amount, v.Weight, v.Barcode, v.Stock, v.Position)
	if s.db.IsUnique(err) {
		return skuTaken(i, v.SKU)
	}
	if err != nil {
		return fmt.Errorf("insert variant: %w", err)
	}
	if v.Stock != 0 {
		if _, err := tx.exec(ctx, `INSERT INTO stock_ledger (variant_id, delta, kind, reason, actor, created_at) VALUES (?, ?, 'initial', ?, ?, ?)`,
			v.ID, v.Stock, reason, a.Name, s.db.timeArg(now)); err != nil {
			return fmt.Errorf("stock ledger: %w", err)
		}
	}
	return s.variantOptions(ctx, tx, v)
}

// variantOptions writes a variant's option rows in one statement: each
// statement that writes option rows also refreshes the product's
// facet_options (migration 0022's triggers), so one per variant, not one
// per option.
func (s *CatalogStore) variantOptions(ctx context.Context, tx *Tx, v *catalog.Variant) error {
	if len(v.Options) == 0 {
		return nil
	}
	names := slices.Sorted(maps.Keys(v.Options))
	var q strings.Builder
	q.WriteString(`INSERT INTO variant_options (variant_id, name, value) VALUES `)
	args := make([]any, 0, 3*len(names))
	for i, name := range names {
		if i > 0 {
			q.WriteString(", ")
		}
		q.WriteString("(?, ?, ?)")
		args = append(args, v.ID, name, v.Options[name])
	}
	if _, err := tx.exec(ctx, q.String(), args...); err != nil {
		return fmt.Errorf("insert variant options: %w", err)
	}
	return nil
}

func skuTaken(i int, sku string) error {
	return &ocean.Error{Code: ocean.ECONFLICT, Message: fmt.Sprintf("A variant with the SKU %q already exists.", sku),
		Fields: []ocean.FieldError{{Field: fmt.Sprintf("variants[%d].sku", i), Message: "is taken by another product's variant"}}}
}

// conflicts finds the slug or SKUs of p that another product already uses,
// so the answer names each field (a unique violation names only one, and
// not which).
func (s *CatalogStore) conflicts(ctx context.Context, tx *Tx, p *catalog.Product) error {
	var fe []ocean.FieldError
	var n int
	if err := tx.queryRow(ctx, `SELECT COUNT(*) FROM products WHERE slug = ? AND id <> ?`, p.Slug, p.ID).Scan(&n); err != nil {
		return err
	}
	if n > 0 {
		fe = append(fe, ocean.FieldError{Field: "slug", Message: "is taken by another product"})
	}
	for i, v := range p.Variants {
		if err := tx.queryRow(ctx, `SELECT COUNT(*) FROM variants WHERE sku = ? AND product_id <> ?`, v.SKU, p.ID).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			fe = append(fe, ocean.FieldError{Field: fmt.Sprintf("variants[%d].sku", i), Message: "is taken by another product's variant"})
		}
	}
	if fe != nil {
		return &ocean.Error{Code: ocean.ECONFLICT, Message: "Another product already uses this slug or SKU.", Fields: fe}
	}
	return nil
}

func (s *CatalogStore) UpdateProduct(ctx context.Context, id int64, u catalog.ProductUpdate) error {
	return s.db.InTx(ctx, func(tx *Tx) error {
		var sets []string
		var args []any
		if u.Name != nil {
			sets, args = append(sets, "name = ?"), append(args, *u.Name)
		}
		if u.Description != nil {
			sets, args = append(sets, "description = ?"), append(args, *u.Description)
		}
		if u.Slug != nil {
			sets, args = append(sets, "slug = ?"), append(args, *u.Slug)
		}
		sets, args = append(sets, "updated_at = ?", "version = version + 1"), append(args, s.db.timeArg(time.Now().UTC()), id)
		res, err := tx.exec(ctx, `UPDATE products SET `+strings.Join(sets, ", ")+` WHERE id = ?`, args...)
		if s.db.IsUnique(err) {
			return ocean.Errorf(ocean.ECONFLICT, "Another product already uses this slug.")
		}
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return ocean.Errorf(ocean.ENOTFOUND, "There is no such product.")
		}
		if s.db.Dialect != SQLite {
			return nil
		}
		var name, desc, extra string
		tx.db.queries.Add(1)
		if err := tx.tx.QueryRowContext(tx.keep(ctx), `SELECT name, description, search_extra FROM products WHERE id = ?`, id).Scan(&name, &desc, &extra); err != nil {
			return err
		}
		return s.db.indexText(ctx, tx, id, name, desc, extra, true)
	})
}

func (s *CatalogStore) SetPrices(ctx context.Context, id int64, prices map[int64]int64, currency string) error {
	return s.db.InTx(ctx, func(tx *Tx) error {
		var cur string
		err := tx.queryRow(ctx, `SELECT currency FROM products WHERE id = ?`, id).Scan(&cur)
		if errors.Is(err, sql.ErrNoRows) {
			return ocean.Errorf(ocean.ENOTFOUND, "There is no such product.")
		}
		if err != nil {
			return err
		}
		if currency != cur {
			return ocean.Invalid("The prices are not valid.", ocean.FieldError{Field: "price.currency", Message: "must be " + cur + ", the product's currency"})
		}
		for vid, amount := range prices {
			ok, err := changed(tx.exec(ctx, `UPDATE variants SET price = ? WHERE id = ? AND product_id = ?`, amount, vid, id))
			if err != nil {
				return err
			}
			if !ok {
				return ocean.Errorf(ocean.ENOTFOUND, "Variant %d is not a variant of this product.", vid)
			}
		}
		ok, err := changed(tx.exec(ctx, `UPDATE products SET price_min = (SELECT MIN(price) FROM variants WHERE product_id = ?),
 price_max = (SELECT MAX(price) FROM variants WHERE product_id = ?), updated_at = ?, version = version + 1 WHERE id = ?`, id, id, s.db.timeArg(time.Now().UTC()), id))
		if err != nil {
			return err
		}
		if !ok {
			return ocean.Errorf(ocean.ENOTFOUND, "There is no such product.")
		}
		return nil
	})
}

func (s *CatalogStore) CountProducts(ctx context.Context) (int, error) {
	var n int
	err := s.db.queryRow(ctx, `SELECT COUNT(*) FROM products`).Scan(&n)
	return n, err
}

// searchExtra is the text besides name and description that search should
// find a product by: its brand and option values ("red", "xl").
func searchExtra(p *catalog.Product) string {
	var parts []string
	if p.Brand != "" {
		parts = append(parts, p.Brand)
	}
	for _, o := range p.Options {
		parts = append(parts, o.Values...)
	}
	return strings.Join(parts, " ")
}

// indexText keeps SQLite's FTS5 table in step with a product. PostgreSQL
// needs nothing: its tsvector is a generated column.
func (db *DB) indexText(ctx context.Context, tx *Tx, id int64, name, desc, extra string, replace bool) error {
	if db.Dialect != SQLite {
		return nil
	}
	if replace {
		if _, err := tx.exec(ctx, `DELETE FROM products_fts WHERE rowid = ?`, id); err != nil {
			return err
		}
	}
	_, err := tx.exec(ctx, `INSERT INTO products_fts (rowid, name, description, extra) VALUES (?, ?, ?, ?)`, id, name, desc, extra)
	return err
}

// timeArg is how a time is stored: Unix microseconds on SQLite (sortable,
// exact), timestamptz on PostgreSQL.
func (db *DB) timeArg(t time.Time) any {
	if db.Dialect == SQLite {
		return t.UnixMicro()
	}
	return t.UTC()
}

// timeValue scans either representation.
type timeValue struct{ t time.Time }

func (tv *timeValue) Scan(src any) error {
	switch v := src.(type) {
	case int64:
		tv.t = time.UnixMicro(v).UTC()
	case time.Time:
		tv.t = v.UTC()
	default:
		return fmt.Errorf("cannot scan %T as time", src)
	}
	return nil
}
