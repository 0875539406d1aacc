package sqldb

import (
	"context"
	"time"
)

// Reports are the figures the operator tools show, computed by the
// database (no order is loaded into memory to be summed).
type Reports struct{ db *DB }

// Reports returns the report queries.
func (db *DB) Reports() *Reports { return &Reports{db: db} }

// Sales are the takings of a period in one currency.
type Sales struct {
	Currency string `json:"currency"`
	// Orders counts the orders paid in the period and not cancelled since.
	Orders int `json:"orders"`
	// Revenue is their totals less what was refunded, in minor units.
	Revenue int64 `json:"revenue"`
	// Refunded is the part of their totals refunded since.
	Refunded int64 `json:"refunded"`
}

// Sales sums the orders paid at or after since, per currency.
func (r *Reports) Sales(ctx context.Context, since time.Time) ([]Sales, error) {
	rows, err := r.db.query(ctx, `SELECT currency, COUNT(*), COALESCE(SUM(total), 0), COALESCE(SUM(refunded), 0) FROM orders
WHERE paid_at IS NOT NULL AND paid_at >= ? AND status <> 'cancelled' GROUP BY currency ORDER BY currency`, r.db.timeArg(since.UTC()))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Sales
	for rows.Next() {
		var s Sales
		var total int64
		if err := rows.Scan(&s.Currency, &s.Orders, &total, &s.Refunded); err != nil {
			return nil, err
		}
		s.Revenue = total - s.Refunded
		out = append(out, s)
	}
	return out, rows.Err()
}

// LowStock is a variant at or below a stock threshold.
type LowStock struct {
	VariantID   int64  `json:"variant_id"`
	SKU         string `json:"sku"`
	ProductName string `json:"product_name"`
	ProductSlug string `json:"product_slug"`
	Stock       int    `json:"stock"`
	// Sold30d is the units sold in the last 30 days (paid orders), to
	// size a restock.
	Sold30d int `json:"sold_30d"`
}

// LowStock lists the variants whose stock is at most threshold, in id
// order after the variant id after (0 for the first page).
func (r *Reports) LowStock(ctx context.Context, threshold int, after int64, limit int, now time.Time) ([]LowStock, error) {
	rows, err := r.db.query(ctx, `SELECT v.id, v.sku, p.name, p.slug, v.stock,
 COALESCE((SELECT SUM(oi.quantity) FROM order_items oi JOIN orders o ON o.id = oi.order_id
   WHERE oi.variant_id = v.id AND o.paid_at IS NOT NULL AND o.paid_at >= ? AND o.status <> 'cancelled'), 0)
FROM variants v JOIN products p ON p.id = v.product_id
WHERE v.stock <= ? AND v.id > ?
ORDER BY v.id LIMIT ?`, r.db.timeArg(now.Add(-30*24*time.Hour).UTC()), threshold, after, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []LowStock
	for rows.Next() {
		var l LowStock
		if err := rows.Scan(&l.VariantID, &l.SKU, &l.ProductName, &l.ProductSlug, &l.Stock, &l.Sold30d); err != nil {
			return nil, err
		}
		out = append(out, l)
	}
	return out, rows.Err()
}

// Column is one column of a table.
type Column struct {
	Name     string `json:"name"`
	Type     string `json:"type"`
	Nullable bool   `json:"nullable"`
}

// Table is a table of the schema with its columns and indexes.
type Table struct {
	Name    string   `json:"name"`
	Columns []Column `json:"columns"`
	Indexes []string `json:"indexes" jsonschema:"each index's definition"`
}

// Schema describes the database's tables as they are now, in name order.
func (r *Reports) Schema(ctx context.Context) ([]Table, error) {
	var tq, cq, iq string
	if r.db.Dialect == Postgres {
		tq = `SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY table_name`
		cq = `SELECT column_name, data_type, is_nullable = 'YES' FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = ? ORDER BY ordinal_position`
		iq = `SELECT indexdef FROM pg_indexes WHERE schemaname = current_schema() AND tablename = ? ORDER BY indexname`
	} else {
		tq = `SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name`
		cq = `SELECT name, type, "notnull" = 0 FROM pragma_table_info(?) ORDER BY cid`
		iq = `SELECT COALESCE(sql, 'automatic index ' || name) FROM sqlite_master WHERE type = 'index' AND tbl_name = ? ORDER BY name`
	}
	rows, err := r.db.query(ctx, tq)
	if err != nil {
		return nil, err
	}
	var out []Table
	if err := EachRow(rows, func() error {
		var t Table
		if err := rows.Scan(&t.Name); err != nil {
			return err
		}
		out = append(out, t)
		return nil
	}); err != nil {
		return nil, err
	}
	for i := range out {
		t := &out[i]
		t.Columns, t.Indexes = []Column{}, []string{}
		rows, err := r.db.query(ctx, cq, t.Name)
		if err != nil {
			return nil, err
		}
		if err := EachRow(rows, func() error {
			var c Column
			if err := rows.Scan(&c.Name, &c.Type, &c.Nullable); err != nil {
				return err
			}
			t.Columns = append(t.Columns, c)
			return nil
		}); err != nil {
			return nil, err
		}
		idx, err := r.db.query(ctx, iq, t.Name)
		if err != nil {
			return nil, err
		}
		if err := EachRow(idx, func() error {
			var s string
			if err := idx.Scan(&s); err != nil {
				return err
			}
			t.Indexes = append(t.Indexes, s)
			return nil
		}); err != nil {
			return nil, err
		}
	}
	return out, nil
}
