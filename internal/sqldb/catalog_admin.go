package sqldb

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"strings"
	"time"

	"github.com/oceanshop/ocean/internal/catalog"
	"github.com/oceanshop/ocean/internal/ocean"
)

// The merchant's writes: every one is a transaction that checks the
// version, writes the rows, the search index, the stock ledger and the
// audit entry together.

// audit writes one catalog_audit row in tx.
func (s *CatalogStore) audit(ctx context.Context, tx *Tx, a catalog.Actor, entity string, id int64, action string, version int64, before, after string) error {
	_, err := tx.exec(ctx, `INSERT INTO catalog_audit (created_at, actor_id, actor, entity, entity_id, action, version, before, after) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		s.db.timeArg(time.Now().UTC()), a.ID, a.Name, entity, id, action, version, before, after)
	if err != nil {
		return fmt.Errorf("audit: %w", err)
	}
	return nil
}

// forUpdate locks the rows a read in a transaction returns on PostgreSQL
// (SQLite's single writer already serialises write transactions).
func (db *DB) forUpdate() string {
	if db.Dialect == Postgres {
		return " FOR UPDATE"
	}
	return ""
}

func (s *CatalogStore) SaveProduct(ctx context.Context, p *catalog.Product, version int64, a catalog.Actor) error {
	return s.db.InTx(ctx, func(tx *Tx) error {
		return s.saveProduct(ctx, tx, p, version, a, "set in the catalog editor", true)
	})
}

// saveProduct is SaveProduct in tx; stock changes are ledger rows with
// reason. check looks for the slug and SKUs among other products first (an
// import has done so for the whole file).
func (s *CatalogStore) saveProduct(ctx context.Context, tx *Tx, p *catalog.Product, version int64, a catalog.Actor, reason string, check bool) error {
	now := time.Now().UTC()
	lo, hi := p.PriceRange()
	opts, err := json.Marshal(p.Options)
	if err != nil {
		return err
	}
	var locked int64
	err = tx.queryRow(ctx, `SELECT version FROM products WHERE id = ?`+s.db.forUpdate(), p.ID).Scan(&locked)
	if errors.Is(err, sql.ErrNoRows) {
		return ocean.Errorf(ocean.ENOTFOUND, "There is no such product.")
	}
	if err != nil {
		return err
	}
	if version != 0 && locked != version {
		return staleErr("product")
	}
	tx.db.queries.Add(2)
	cur, err := loadProduct(ctx, s.db.Dialect, tx.tx, `p.id = ?`, p.ID)
	if err != nil {
		return err
	}
	if check {
		if err := s.conflicts(ctx, tx, p); err != nil {
			return err
		}
	}
	old := map[int64]catalog.Variant{}
	for _, v := range cur.Variants {
		old[v.ID] = v
	}
	for i, v := range p.Variants {
		if _, ok := old[v.ID]; v.ID != 0 && !ok {
			return ocean.Invalid("The product is not valid.", ocean.FieldError{Field: fmt.Sprintf("variants[%d].id", i), Message: "is not a variant of this product"})
		}
	}
	p.Version = cur.Version + 1
	p.CreatedAt, p.UpdatedAt = cur.CreatedAt, now.Truncate(time.Microsecond)
	ok, err := changed(tx.exec(ctx, `UPDATE products SET slug = ?, name = ?, description = ?, brand = ?, category_id = ?, options = ?, price_min = ?, price_max = ?, currency = ?,
 search_extra = ?, status = ?, updated_at = ?, version = ? WHERE id = ? AND version = ?`,
		p.Slug, p.Name, p.Description, p.Brand, p.CategoryID, string(opts), lo.Amount, hi.Amount, lo.Currency, searchExtra(p), p.Status,
		s.db.timeArg(p.UpdatedAt), p.Version, p.ID, cur.Version))
	if s.db.IsUnique(err) {
		return slugTaken("product", p.Slug)
	}
	if err != nil {
		return err
	}
	if !ok {
		return staleErr("product")
	}
	if cur.Slug != p.Slug {
		if _, err := tx.exec(ctx, `INSERT INTO product_slugs (slug, product_id) VALUES (?, ?) ON CONFLICT (slug) DO UPDATE SET product_id = excluded.product_id`, cur.Slug, p.ID); err != nil {
			return fmt.Errorf("old slug: %w", err)
		}
		if _, err := tx.exec(ctx, `DELETE FROM product_slugs WHERE slug = ?`, p.Slug); err != nil {
			return err
		}
	}
	kept := map[int64]bool{}
	for _, v := range p.Variants {
		kept[v.ID] = true
	}
	// Deleted variants go first, so a new variant may take a SKU an
	// old one gives up.
	for _, v := range cur.Variants {
		if kept[v.ID] {
			continue
		}
		if _, err := tx.exec(ctx, `DELETE FROM variants WHERE id = ?`, v.ID); err != nil {
			return fmt.Errorf("delete variant: %w", err)
		}
		if err := s.audit(ctx, tx, a, catalog.EntityVariant, v.ID, catalog.ActionDelete, p.Version, catalog.Snapshot(catalog.VariantOf(v)), ""); err != nil {
			return err
		}
	}
	for i := range p.Variants {
		v := &p.Variants[i]
		if v.ID == 0 {
			if err := s.insertVariant(ctx, tx, p, i, a, now, reason); err != nil {
				return err
			}
			if err := s.audit(ctx, tx, a, catalog.EntityVariant, v.ID, catalog.ActionCreate, p.Version, "", catalog.Snapshot(catalog.VariantOf(*v))); err != nil {
				return err
			}
			continue
		}
		if err := s.updateVariant(ctx, tx, i, v, old[v.ID], a, p.Version, reason); err != nil {
			return err
		}
	}
	if err := s.db.indexText(ctx, tx, p.ID, p.Name, p.Description, searchExtra(p), true); err != nil {
		return err
	}
	action := catalog.ActionUpdate
	switch {
	case p.Status == catalog.StatusArchived && cur.Status != catalog.StatusArchived:
		action = catalog.ActionArchive
	case cur.Status == catalog.StatusArchived && p.Status != catalog.StatusArchived:
		action = catalog.ActionRestore
	}
	return s.audit(ctx, tx, a, catalog.EntityProduct, p.ID, action, p.Version, catalog.Snapshot(catalog.SnapshotOf(cur)), catalog.Snapshot(catalog.SnapshotOf(p)))
}

// updateVariant writes variant i of a product being saved: its fields, its
// options, and a stock change as a ledger row.
func (s *CatalogStore) updateVariant(ctx context.Context, tx *Tx, i int, v *catalog.Variant, was catalog.Variant, a catalog.Actor, version int64, reason string) error {
	vo, err := json.Marshal(v.Options)
	if err != nil {
		return err
	}
	_, err = tx.exec(ctx, `UPDATE variants SET sku = ?, options = ?, price = ?, currency = ?, compare_at_price = ?, weight = ?, barcode = ?, position = ? WHERE id = ?`,
		v.SKU, string(vo), v.Price.Amount, v.Price.Currency, v.CompareAt.Amount, v.Weight, v.Barcode, v.Position, v.ID)
	if s.db.IsUnique(err) {
		return skuTaken(i, v.SKU)
	}
	if err != nil {
		return fmt.Errorf("update variant: %w", err)
	}
	if v.KeepStock {
		v.Stock = was.Stock
	} else if delta := v.Stock - was.Stock; delta != 0 {
		ok, err := changed(tx.exec(ctx, `UPDATE variants SET stock = stock + ? WHERE id = ? AND stock + ? >= 0`, delta, v.ID, delta))
		if err != nil {
			return err
		}
		if !ok {
			return &ocean.Error{Code: ocean.ECONFLICT, Message: "The stock changed while you edited it.", Fields: []ocean.FieldError{{Field: fmt.Sprintf("variants[%d].stock", i), Message: "cannot go below zero"}}}
		}
		if _, err := tx.exec(ctx, `INSERT INTO stock_ledger (variant_id, delta, kind, reason, actor, created_at) VALUES (?, ?, 'adjust', ?, ?, ?)`,
			v.ID, delta, reason, a.Name, s.db.timeArg(time.Now().UTC())); err != nil {
			return fmt.Errorf("stock ledger: %w", err)
		}
	}
	// Unchanged options are left as they are: rewriting them would also
	// refresh the product's facet_options (migration 0022's triggers).
	if !maps.Equal(was.Options, v.Options) {
		if _, err := tx.exec(ctx, `DELETE FROM variant_options WHERE variant_id = ?`, v.ID); err != nil {
			return err
		}
		if err := s.variantOptions(ctx, tx, v); err != nil {
			return err
		}
	}
	before, after := catalog.Snapshot(catalog.VariantOf(was)), catalog.Snapshot(catalog.VariantOf(*v))
	if before == after {
		return nil
	}
	return s.audit(ctx, tx, a, catalog.EntityVariant, v.ID, catalog.ActionUpdate, version, before, after)
}

func staleErr(what string) error {
	return ocean.Errorf(ocean.ESTALE, "The %s was changed by someone else since you loaded it; nothing was saved. Load it again and redo your change.", what)
}

func (s *CatalogStore) DeleteProduct(ctx context.Context, id, version int64, a catalog.Actor) error {
	return s.db.InTx(ctx, func(tx *Tx) error {
		tx.db.queries.Add(2)
		cur, err := loadProduct(ctx, s.db.Dialect, tx.tx, `p.id = ?`+s.db.forUpdate(), id)
		if err != nil {
			return err
		}
		if version != 0 && cur.Version != version {
			return staleErr("product")
		}
		if cur.Status != catalog.StatusDraft {
			return ocean.Errorf(ocean.EUNPROCESSABLE, "Only a draft can be deleted; archive a product that was published, so its orders keep their history.")
		}
		if _, err := tx.exec(ctx, `DELETE FROM products WHERE id = ? AND version = ?`, id, cur.Version); err != nil {
			return err
		}
		if s.db.Dialect == SQLite {
			if _, err := tx.exec(ctx, `DELETE FROM products_fts WHERE rowid = ?`, id); err != nil {
				return err
			}
		}
		return s.audit(ctx, tx, a, catalog.EntityProduct, id, catalog.ActionDelete, cur.Version, catalog.Snapshot(catalog.SnapshotOf(cur)), "")
	})
}

func (s *CatalogStore) SlugRedirect(ctx context.Context, slug string) (string, error) {
	var to string
	err := s.db.queryRow(ctx, `SELECT p.slug FROM product_slugs o JOIN products p ON p.id = o.product_id WHERE o.slug = ? AND p.status = 'active'`, slug).Scan(&to)
	if errors.Is(err, sql.ErrNoRows) {
		return "", ocean.Errorf(ocean.ENOTFOUND, "There is no product at this address.")
	}
	return to, err
}

func (s *CatalogStore) UpdateCategory(ctx context.Context, c *catalog.Category, version int64, a catalog.Actor) error {
	return s.db.InTx(ctx, func(tx *Tx) error {
		var cur catalog.Category
		err := tx.queryRow(ctx, `SELECT id, slug, name, COALESCE(parent_id, 0), position, version FROM categories WHERE id = ?`+s.db.forUpdate(), c.ID).
			Scan(&cur.ID, &cur.Slug, &cur.Name, &cur.ParentID, &cur.Position, &cur.Version)
		if errors.Is(err, sql.ErrNoRows) {
			return ocean.Errorf(ocean.ENOTFOUND, "There is no such category.")
		}
		if err != nil {
			return err
		}
		if version != 0 && cur.Version != version {
			return staleErr("category")
		}
		var parent any
		if c.ParentID != 0 {
			parent = c.ParentID
		}
		c.Version = cur.Version + 1
		_, err = tx.exec(ctx, `UPDATE categories SET slug = ?, name = ?, parent_id = ?, position = ?, version = ? WHERE id = ?`,
			c.Slug, c.Name, parent, c.Position, c.Version, c.ID)
		if s.db.IsUnique(err) {
			return slugTaken("category", c.Slug)
		}
		if err != nil {
			return err
		}
		return s.audit(ctx, tx, a, catalog.EntityCategory, c.ID, catalog.ActionUpdate, c.Version,
			catalog.Snapshot(categorySnapshot(&cur)), catalog.Snapshot(categorySnapshot(c)))
	})
}

func (s *CatalogStore) DeleteCategory(ctx context.Context, id, version int64, a catalog.Actor) error {
	return s.db.InTx(ctx, func(tx *Tx) error {
		var cur catalog.Category
		err := tx.queryRow(ctx, `SELECT id, slug, name, COALESCE(parent_id, 0), position, version FROM categories WHERE id = ?`+s.db.forUpdate(), id).
			Scan(&cur.ID, &cur.Slug, &cur.Name, &cur.ParentID, &cur.Position, &cur.Version)
		if errors.Is(err, sql.ErrNoRows) {
			return ocean.Errorf(ocean.ENOTFOUND, "There is no such category.")
		}
		if err != nil {
			return err
		}
		if version != 0 && cur.Version != version {
			return staleErr("category")
		}
		var products, children int
		if err := tx.queryRow(ctx, `SELECT (SELECT COUNT(*) FROM products WHERE category_id = ?), (SELECT COUNT(*) FROM categories WHERE parent_id = ?)`, id, id).Scan(&products, &children); err != nil {
			return err
		}
		if products > 0 || children > 0 {
			return ocean.Errorf(ocean.ECONFLICT, "The category %q still holds %d products and %d categories; move them first.", cur.Name, products, children)
		}
		if _, err := tx.exec(ctx, `DELETE FROM categories WHERE id = ?`, id); err != nil {
			return err
		}
		return s.audit(ctx, tx, a, catalog.EntityCategory, id, catalog.ActionDelete, cur.Version, catalog.Snapshot(categorySnapshot(&cur)), "")
	})
}

func (s *CatalogStore) AdminProducts(ctx context.Context, f catalog.AdminFilter) ([]catalog.AdminRow, error) {
	var b strings.Builder
	var args []any
	b.WriteString(`SELECT p.id, p.slug, p.name, p.status, p.version, p.category_id, p.price_min, p.price_max, p.currency, p.updated_at,
 (SELECT COUNT(*) FROM variants v WHERE v.product_id = p.id), (SELECT COALESCE(SUM(v.stock), 0) FROM variants v WHERE v.product_id = p.id)
FROM products p WHERE 1=1`)
	if f.Status != "" {
		b.WriteString(` AND p.status = ?`)
		args = append(args, f.Status)
	}
	if f.After > 0 {
		b.WriteString(` AND p.id < ?`)
		args = append(args, f.After)
	}
	// Terms are letters and digits only (catalog.ParseTerms): no LIKE
	// wildcard can come from the input.
	for _, t := range f.Terms {
		like := "%" + t + "%"
		b.WriteString(` AND (LOWER(p.name) LIKE ? OR p.slug LIKE ? OR EXISTS (SELECT 1 FROM variants v WHERE v.product_id = p.id AND LOWER(v.sku) LIKE ?))`)
		args = append(args, like, like, like)
	}
	b.WriteString(` ORDER BY p.id DESC LIMIT ?`)
	args = append(args, f.Limit+1)
	rows, err := s.db.query(ctx, b.String(), args...)
	if err != nil {
		return nil, err
	}
	var out []catalog.AdminRow
	err = EachRow(rows, func() error {
		var r catalog.AdminRow
		var cur string
		var updated timeValue
		if err := rows.Scan(&r.ID, &r.Slug, &r.Name, &r.Status, &r.Version, &r.CategoryID, &r.PriceMin.Amount, &r.PriceMax.Amount, &cur, &updated, &r.Variants, &r.Stock); err != nil {
			return err
		}
		r.PriceMin.Currency, r.PriceMax.Currency, r.UpdatedAt = cur, cur, updated.t
		out = append(out, r)
		return nil
	})
	return out, err
}

func (s *CatalogStore) AuditLog(ctx context.Context, f catalog.AuditFilter) ([]catalog.AuditEntry, error) {
	q := `SELECT id, created_at, actor_id, actor, entity, entity_id, action, version, before, after FROM catalog_audit WHERE 1=1`
	var args []any
	if f.Entity != "" {
		q += ` AND entity = ?`
		args = append(args, f.Entity)
	}
	if f.EntityID != 0 {
		q += ` AND entity_id = ?`
		args = append(args, f.EntityID)
	}
	if f.Before > 0 {
		q += ` AND id < ?`
		args = append(args, f.Before)
	}
	q += ` ORDER BY id DESC LIMIT ?`
	args = append(args, f.Limit)
	rows, err := s.db.query(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	var out []catalog.AuditEntry
	err = EachRow(rows, func() error {
		var e catalog.AuditEntry
		var at timeValue
		if err := rows.Scan(&e.ID, &at, &e.ActorID, &e.Actor, &e.Entity, &e.EntityID, &e.Action, &e.Version, &e.Before, &e.After); err != nil {
			return err
		}
		e.At = at.t
		out = append(out, e)
		return nil
	})
	return out, err
}
