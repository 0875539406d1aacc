// Package seed fills a shop with a synthetic catalog and order history at
// scale (`ocean seed --scale N`): N products with three sizes each, their
// stock as ledger rows, their search index, N orders with one to three
// lines each over N/10 customers, and the dashboard's daily rollups of
// those orders. It is for measuring queries and pages at a size a real
// shop reaches (docs/query-budget.md), not for demonstrations.
//
// Every row is made by the database itself (INSERT … SELECT over a
// generated series of ids), in batches of one transaction each, so the
// program's memory does not grow with N and nothing crosses the wire but
// the statements. The same SQL runs on SQLite and PostgreSQL; the few
// differences (time columns, random ids, the full-text index) are switched
// on the dialect.
//
// What is generated, and what is left out:
//   - 10 departments of 10 aisles each (slugs scale-dept-D, scale-aisle-D-A);
//     products spread over the 100 aisles.
//   - product P: slug scale-product-P, a name of three words ("Breezy Linen
//     Shirt"), a brand, sizes S, M and L as three variants (SKU SC-V) whose
//     stock is 0 to 22, each non-zero stock an 'initial' ledger row, so
//     `ocean inventory verify` holds.
//   - customers shopperC@scale.example, all with the password Password
//     (they are test accounts: never seed a shop people use).
//   - orders: all paid (each with its order number and its succeeded
//     payment attempt), mostly delivered since, some paid, fulfilled or
//     cancelled, spread over the past year; lines copy the variant's name,
//     SKU and price as a checkout does. No shipping address is stored (as
//     for an erased customer), no order events, no carts.
package seed

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/oceanshop/ocean/internal/account"
	"github.com/oceanshop/ocean/internal/sqldb"
)

// Password is the password of every generated customer.
const Password = "scale-shopper-password"

// Options says how much to make.
type Options struct {
	Products int // products to make (three variants each)
	Orders   int // orders to make (customers: Orders/10, at least 1)
	// Force allows seeding a shop that already has products or orders:
	// the new rows are added beside them.
	Force bool
	// Batch is the number of products or orders per transaction (0: 10,000).
	Batch int
	// Progress, when set, hears one line per finished stage.
	Progress io.Writer
	// Now is the time the order history ends at (zero: time.Now()).
	Now time.Time
}

// Report is what Scale made and how long each part took.
type Report struct {
	Products, Variants, Customers, Orders, Lines int
	CatalogTime, OrdersTime, AnalyzeTime         time.Duration
}

// ErrNotEmpty is returned when the shop has products or orders and
// Options.Force is not set.
var ErrNotEmpty = errors.New("the shop already has products or orders: seeding at scale adds beside them only with --force")

const sizes = 3 // variants per product: S, M, L

// Scale generates the catalog and orders o asks for into db.
func Scale(ctx context.Context, db *sqldb.DB, o Options) (*Report, error) {
	if o.Products < 0 || o.Orders < 0 {
		return nil, errors.New("the scale must be a positive number")
	}
	if o.Orders > 0 && o.Products == 0 {
		return nil, errors.New("orders need products: give a scale of at least 1")
	}
	if o.Batch <= 0 {
		o.Batch = 10000
	}
	if o.Now.IsZero() {
		o.Now = time.Now()
	}
	o.Now = o.Now.UTC().Truncate(time.Second)
	g := &gen{db: db, o: o}
	if !o.Force {
		var n int
		if err := db.Write.QueryRowContext(ctx, `SELECT (SELECT COUNT(*) FROM (SELECT 1 FROM products LIMIT 1) p) + (SELECT COUNT(*) FROM (SELECT 1 FROM orders LIMIT 1) o)`).Scan(&n); err != nil {
			return nil, fmt.Errorf("seed: %w", err)
		}
		if n > 0 {
			return nil, ErrNotEmpty
		}
	}
	r := &Report{}
	start := time.Now()
	if err := g.categories(ctx); err != nil {
		return r, err
	}
	if err := g.catalog(ctx, r); err != nil {
		return r, err
	}
	r.CatalogTime = time.Since(start)
	start = time.Now()
	if err := g.orders(ctx, r); err != nil {
		return r, err
	}
	r.OrdersTime = time.Since(start)
	start = time.Now()
	if err := g.finish(ctx); err != nil {
		return r, err
	}
	r.AnalyzeTime = time.Since(start)
	return r, nil
}

type gen struct {
	db *sqldb.DB
	o  Options
}

func (g *gen) pg() bool { return g.db.Dialect == sqldb.Postgres }

func (g *gen) say(format string, args ...any) {
	if g.o.Progress != nil {
		fmt.Fprintf(g.o.Progress, format+"\n", args...)
	}
}

// tx runs fn in one write transaction; on PostgreSQL its commit does not
// wait for the WAL flush (a crash loses at most the last batches, which a
// new run with --force can make again).
func (g *gen) tx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	tx, err := g.db.Write.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if g.pg() {
		if _, err := tx.ExecContext(ctx, `SET LOCAL synchronous_commit = off`); err != nil {
			_ = tx.Rollback() // the SET's error is the one to report
			return err
		}
	}
	if err := fn(tx); err != nil {
		_ = tx.Rollback() // fn's error is the one to report
		return err
	}
	return tx.Commit()
}

func (g *gen) exec(ctx context.Context, tx *sql.Tx, q string, args ...any) error {
	_, err := tx.ExecContext(ctx, sqldb.Rebind(g.db.Dialect, q), args...)
	return err
}

func (g *gen) maxID(ctx context.Context, table string) (int64, error) {
	var n int64
	err := g.db.Write.QueryRowContext(ctx, `SELECT COALESCE(MAX(id), 0) FROM `+table).Scan(&n)
	return n, err
}

// series is the CTE prefix of every batch: js(j) the ids from ? to ?, and
// base(t) the end of the history (a timestamptz, or Unix microseconds).
func (g *gen) series() string {
	if g.pg() {
		return `WITH RECURSIVE js(j) AS (SELECT CAST(? AS BIGINT) UNION ALL SELECT j + 1 FROM js WHERE j < ?),
base(t) AS (SELECT CAST(? AS TIMESTAMPTZ)) `
	}
	return `WITH RECURSIVE js(j) AS (SELECT ? UNION ALL SELECT j + 1 FROM js WHERE j < ?),
base(t) AS (SELECT ?) `
}

func (g *gen) base() any {
	if g.pg() {
		return g.o.Now
	}
	return g.o.Now.UnixMicro()
}

// ago is the time secs (an SQL integer expression) seconds before base.t.
func (g *gen) ago(secs string) string {
	if g.pg() {
		return `(base.t - (` + secs + `) * INTERVAL '1 second')`
	}
	return `(base.t - (` + secs + `) * 1000000)`
}

// dayOf is the UTC day number (Unix days) of a time column.
func (g *gen) dayOf(col string) string {
	if g.pg() {
		return `CAST(floor(extract(epoch FROM ` + col + `) / 86400) AS INTEGER)`
	}
	return `(` + col + ` / 86400000000)`
}

// randomID is a fresh 128-bit random hex id for a row (the orders' public
// id, which must not be guessable).
func (g *gen) randomID(salt string) string {
	if g.pg() {
		return `md5(random()::text || clock_timestamp()::text || ` + salt + `)`
	}
	return `lower(hex(randomblob(16)))`
}

// The words product names are made of: 20 × 15 × 30 = 9,000 names, so a
// one-word search matches 1/20, 1/15 or 1/30 of the catalog.
const words = `adj(n, w) AS (VALUES (0, 'Breezy'), (1, 'Classic'), (2, 'Cosy'), (3, 'Everyday'), (4, 'Rugged'), (5, 'Slim'), (6, 'Relaxed'), (7, 'Vintage'),
 (8, 'Bold'), (9, 'Soft'), (10, 'Tailored'), (11, 'Light'), (12, 'Heavy'), (13, 'Urban'), (14, 'Coastal'), (15, 'Alpine'), (16, 'Sunny'), (17, 'Midnight'), (18, 'Quiet'), (19, 'Bright')),
mat(n, w) AS (VALUES (0, 'Linen'), (1, 'Cotton'), (2, 'Wool'), (3, 'Denim'), (4, 'Leather'), (5, 'Canvas'), (6, 'Silk'), (7, 'Fleece'), (8, 'Corduroy'), (9, 'Suede'),
 (10, 'Bamboo'), (11, 'Hemp'), (12, 'Merino'), (13, 'Nylon'), (14, 'Velvet')),
noun(n, w) AS (VALUES (0, 'Shirt'), (1, 'Jacket'), (2, 'Trousers'), (3, 'Dress'), (4, 'Scarf'), (5, 'Hat'), (6, 'Sweater'), (7, 'Coat'), (8, 'Skirt'), (9, 'Shorts'),
 (10, 'Hoodie'), (11, 'Blazer'), (12, 'Vest'), (13, 'Cardigan'), (14, 'Jumpsuit'), (15, 'Tunic'), (16, 'Poncho'), (17, 'Parka'), (18, 'Blouse'), (19, 'Kimono'),
 (20, 'Overalls'), (21, 'Gilet'), (22, 'Anorak'), (23, 'Tote'), (24, 'Backpack'), (25, 'Belt'), (26, 'Gloves'), (27, 'Beanie'), (28, 'Socks'), (29, 'Sneakers')),
brand(n, w) AS (VALUES (0, 'Tidewater'), (1, 'Northline'), (2, 'Saltmarsh'), (3, 'Kelp & Co'), (4, 'Driftwood'), (5, 'Harbour'), (6, 'Reef'), (7, 'Lagoon'), (8, 'Undertow'), (9, 'Swell')) `

const departments, aisles = 10, 10

func (g *gen) categories(ctx context.Context) error {
	return g.tx(ctx, func(tx *sql.Tx) error {
		for d := range departments {
			slug := fmt.Sprintf("scale-dept-%d", d)
			if err := g.exec(ctx, tx, `INSERT INTO categories (slug, name, description, position) VALUES (?, ?, ?, ?) ON CONFLICT (slug) DO NOTHING`,
				slug, fmt.Sprintf("Department %d", d), "Generated by ocean seed --scale.", 100+d); err != nil {
				return fmt.Errorf("seed: category: %w", err)
			}
			for a := range aisles {
				if err := g.exec(ctx, tx, `INSERT INTO categories (slug, name, description, parent_id, position)
SELECT ?, ?, ?, id, ? FROM categories WHERE slug = ? ON CONFLICT (slug) DO NOTHING`,
					fmt.Sprintf("scale-aisle-%d-%d", d, a), fmt.Sprintf("Aisle %d.%d", d, a), "Generated by ocean seed --scale.", a, slug); err != nil {
					return fmt.Errorf("seed: category: %w", err)
				}
			}
		}
		return nil
	})
}

// catalog makes the products in batches: products, variants, their size
// option, the stock ledger and (SQLite) the full-text rows.
func (g *gen) catalog(ctx context.Context, r *Report) error {
	n := int64(g.o.Products)
	if n == 0 {
		return nil
	}
	pbase, err := g.maxID(ctx, "products")
	if err != nil {
		return fmt.Errorf("seed: %w", err)
	}
	vbase, err := g.maxID(ctx, "variants")
	if err != nil {
		return fmt.Errorf("seed: %w", err)
	}
	// Product j (1…n) has id pbase+j and variants vbase+3(j-1)+k+1, k = 0…2.
	products := g.series() + `, ` + words + `
INSERT INTO products (id, slug, name, description, brand, category_id, options, price_min, price_max, currency, search_extra, created_at, updated_at, status, version)
SELECT ? + j, 'scale-product-' || (? + j), adj.w || ' ' || mat.w || ' ' || noun.w,
 'A ' || lower(adj.w) || ' ' || lower(noun.w) || ' in ' || lower(mat.w) || ', made by ' || brand.w || '. Number ' || j || ' of the generated catalog.',
 brand.w, c.id, '[{"name":"size","values":["S","M","L"]}]', 5000 + (j * 7919) % 200000, 7000 + (j * 7919) % 200000, 'ZAR', brand.w || ' S M L',
 ` + g.ago("? - j") + `, ` + g.ago("? - j") + `, 'active', 1
FROM js CROSS JOIN base
JOIN adj ON adj.n = j % 20 JOIN mat ON mat.n = (j / 20) % 15 JOIN noun ON noun.n = (j / 300) % 30 JOIN brand ON brand.n = j % 10
JOIN categories c ON c.slug = 'scale-aisle-' || ((j * 7) % 10) || '-' || ((j * 13 / 10) % 10)`
	variants := g.series() + `, sz(k, w) AS (VALUES (0, 'S'), (1, 'M'), (2, 'L'))
INSERT INTO variants (id, product_id, sku, options, price, currency, stock, position)
SELECT ? + 3 * (j - 1) + k + 1, ? + j, 'SC-' || (? + 3 * (j - 1) + k + 1), '{"size":"' || sz.w || '"}', 5000 + (j * 7919) % 200000 + 1000 * k, 'ZAR', (j * 7 + k * 5) % 23, k
FROM js CROSS JOIN base CROSS JOIN sz`
	options := `INSERT INTO variant_options (variant_id, name, value)
SELECT id, 'size', CASE position WHEN 0 THEN 'S' WHEN 1 THEN 'M' ELSE 'L' END FROM variants WHERE id > ? AND id <= ?`
	ledger := `INSERT INTO stock_ledger (variant_id, delta, kind, reason, actor, created_at)
SELECT id, stock, 'initial', 'ocean seed --scale', 'seed', ? FROM variants WHERE id > ? AND id <= ? AND stock <> 0`
	fts := `INSERT INTO products_fts (rowid, name, description, extra) SELECT id, name, description, search_extra FROM products WHERE id > ? AND id <= ?`
	now := g.timeArg(g.o.Now)
	start := time.Now()
	for lo := int64(1); lo <= n; lo += int64(g.o.Batch) {
		hi := min(lo+int64(g.o.Batch)-1, n)
		err := g.tx(ctx, func(tx *sql.Tx) error {
			if err := g.exec(ctx, tx, products, lo, hi, g.base(), pbase, pbase, n, n); err != nil {
				return fmt.Errorf("products: %w", err)
			}
			if err := g.exec(ctx, tx, variants, lo, hi, g.base(), vbase, pbase, vbase); err != nil {
				return fmt.Errorf("variants: %w", err)
			}
			vlo, vhi := vbase+sizes*(lo-1), vbase+sizes*hi
			if err := g.exec(ctx, tx, options, vlo, vhi); err != nil {
				return fmt.Errorf("variant options: %w", err)
			}
			if err := g.exec(ctx, tx, ledger, now, vlo, vhi); err != nil {
				return fmt.Errorf("stock ledger: %w", err)
			}
			if !g.pg() {
				if err := g.exec(ctx, tx, fts, pbase+lo-1, pbase+hi); err != nil {
					return fmt.Errorf("search index: %w", err)
				}
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("seed: %w", err)
		}
		r.Products, r.Variants = int(hi), int(sizes*hi)
		if hi == n || (hi/int64(g.o.Batch))%10 == 0 {
			g.say("seed: %d of %d products (%s)", hi, n, time.Since(start).Round(time.Second))
		}
	}
	return nil
}

func (g *gen) timeArg(t time.Time) any {
	if g.pg() {
		return t
	}
	return t.UnixMicro()
}

// orders makes the customers, then the orders in batches with their lines
// and the dashboard rollups they add to.
func (g *gen) orders(ctx context.Context, r *Report) error {
	n := int64(g.o.Orders)
	if n == 0 {
		return nil
	}
	customers := max(n/10, 1)
	hash, err := account.HashPassword(Password)
	if err != nil {
		return fmt.Errorf("seed: %w", err)
	}
	ubase, err := g.maxID(ctx, "users")
	if err != nil {
		return fmt.Errorf("seed: %w", err)
	}
	obase, err := g.maxID(ctx, "orders")
	if err != nil {
		return fmt.Errorf("seed: %w", err)
	}
	// Every generated order was paid (the cancelled ones afterwards), so
	// each takes the next order number, in id order, as paying does.
	var nbase int64
	if err := g.db.Write.QueryRowContext(ctx, `SELECT last FROM order_numbers WHERE id = 1`).Scan(&nbase); err != nil {
		return fmt.Errorf("seed: order numbers: %w", err)
	}
	vbase, err := g.maxID(ctx, "variants")
	if err != nil {
		return fmt.Errorf("seed: %w", err)
	}
	// The variants generated above are the last Products*3 ids.
	nv := int64(g.o.Products) * sizes
	vfirst := vbase - nv + 1
	users := g.series() + `INSERT INTO users (id, email, name, role, password_hash, created_at, updated_at)
SELECT ? + j, 'shopper' || (? + j) || '@scale.example', 'Shopper ' || (? + j), 'customer', ?, ` + g.ago("400 * 86400") + `, ` + g.ago("400 * 86400") + `
FROM js CROSS JOIN base`
	for lo := int64(1); lo <= customers; lo += int64(g.o.Batch) {
		hi := min(lo+int64(g.o.Batch)-1, customers)
		if err := g.tx(ctx, func(tx *sql.Tx) error {
			return g.exec(ctx, tx, users, lo, hi, g.base(), ubase, ubase, ubase, hash)
		}); err != nil {
			return fmt.Errorf("seed: customers: %w", err)
		}
	}
	r.Customers = int(customers)
	g.say("seed: %d customers", customers)

	// Order j (1…n): customer ubase+1+(j mod customers), 1 + j mod 3 lines,
	// line k buys 1 + (j+k) mod 2 of variant vfirst + (j·2654435761 + k·40503) mod nv,
	// placed (j·31536000/n) seconds before the end of a one-year history.
	line := `ks(k) AS (SELECT 0 UNION ALL SELECT 1 UNION ALL SELECT 2),
lines(j, k, vid, qty) AS (SELECT j, k, ? + (j * 2654435761 + k * 40503) % ?, 1 + (j + k) % 2 FROM js CROSS JOIN ks WHERE k < 1 + j % 3) `
	when := g.ago("(? - j) * 31536000 / ?")
	status := `CASE WHEN j % 20 = 0 THEN 'cancelled' WHEN j % 20 = 1 THEN 'paid' WHEN j % 20 = 2 THEN 'fulfilled' ELSE 'delivered' END`
	paid := g.ago("(? - j) * 31536000 / ? - 60")
	orders := g.series() + `, ` + line + `, totals(tj, subtotal) AS (SELECT l.j, SUM(v.price * l.qty) FROM lines l JOIN variants v ON v.id = l.vid GROUP BY l.j)
INSERT INTO orders (id, public_id, idempotency_key, request_hash, cart_id, user_id, email, status, currency, subtotal, discount, shipping, tax, total, tax_included, tax_name,
 customer_key, shipping_method, shipping_name, shipping_address, country, reserved_until, gateway, payment_ref, payment_id, payment_status, card, created_at, updated_at, paid_at, number)
SELECT ? + j, ` + g.randomID("j") + `, 'scale-' || (? + j), '', 'scale-cart-' || (? + j), ? + 1 + j % ?, 'shopper' || (? + 1 + j % ?) || '@scale.example', ` + status + `, 'ZAR',
 t.subtotal, 0, 6000, t.subtotal * 15 / 115, t.subtotal + 6000, ?, 'VAT', 'user:' || (? + 1 + j % ?), 'standard', 'Standard', '', 'ZA', ` + when + `, 'sandbox',
 'scale-ref-' || (? + j), 'scale-pay-' || (? + j), CASE WHEN j % 20 = 0 THEN 'voided' ELSE 'captured' END, 'visa 4242', ` + when + `, ` + when + `, ` + paid + `, ? + j
FROM js CROSS JOIN base JOIN totals t ON t.tj = js.j`
	items := g.series() + `, ` + line + `
INSERT INTO order_items (order_id, variant_id, product_name, product_slug, sku, options, unit_price, quantity, line_total)
SELECT ? + l.j, v.id, p.name, p.slug, v.sku, v.options, v.price, l.qty, v.price * l.qty
FROM lines l JOIN variants v ON v.id = l.vid JOIN products p ON p.id = v.product_id CROSS JOIN base`
	attempts := `INSERT INTO payment_attempts (order_id, cart_id, gateway, reference, amount, currency, outcome, created_at)
SELECT id, cart_id, gateway, payment_ref, total, currency, 'succeeded', paid_at FROM orders WHERE id > ? AND id <= ?`
	day := g.dayOf("o.paid_at")
	sales := `INSERT INTO kpi_sales_daily (day, currency, orders, gross, refunded)
SELECT ` + day + `, o.currency, COUNT(*), SUM(o.total), 0 FROM orders o WHERE o.id > ? AND o.id <= ? AND o.paid_at IS NOT NULL AND o.status <> 'cancelled'
GROUP BY ` + day + `, o.currency
ON CONFLICT (day, currency, shard) DO UPDATE SET orders = kpi_sales_daily.orders + excluded.orders, gross = kpi_sales_daily.gross + excluded.gross`
	product := `INSERT INTO kpi_product_daily (day, currency, product_slug, product_name, units, revenue)
SELECT ` + day + `, o.currency, i.product_slug, MAX(i.product_name), SUM(i.quantity), SUM(i.line_total)
FROM order_items i JOIN orders o ON o.id = i.order_id WHERE o.id > ? AND o.id <= ? AND o.paid_at IS NOT NULL AND o.status <> 'cancelled'
GROUP BY ` + day + `, o.currency, i.product_slug
ON CONFLICT (day, currency, product_slug) DO UPDATE SET units = kpi_product_daily.units + excluded.units, revenue = kpi_product_daily.revenue + excluded.revenue`
	cday := g.dayOf("o.created_at")
	funnel := `INSERT INTO kpi_daily (day, checkouts, paid)
SELECT ` + cday + `, COUNT(*), SUM(CASE WHEN o.paid_at IS NOT NULL THEN 1 ELSE 0 END) FROM orders o WHERE o.id > ? AND o.id <= ?
GROUP BY ` + cday + `
ON CONFLICT (day) DO UPDATE SET checkouts = kpi_daily.checkouts + excluded.checkouts, paid = kpi_daily.paid + excluded.paid`
	taxIncluded := any(true)
	if !g.pg() {
		taxIncluded = 1
	}
	start := time.Now()
	for lo := int64(1); lo <= n; lo += int64(g.o.Batch) {
		hi := min(lo+int64(g.o.Batch)-1, n)
		err := g.tx(ctx, func(tx *sql.Tx) error {
			if err := g.exec(ctx, tx, orders, lo, hi, g.base(), vfirst, nv,
				obase, obase, obase, ubase, customers, ubase, customers, taxIncluded, ubase, customers,
				n, n, obase, obase, n, n, n, n, n, n, nbase); err != nil {
				return fmt.Errorf("orders: %w", err)
			}
			if err := g.exec(ctx, tx, attempts, obase+lo-1, obase+hi); err != nil {
				return fmt.Errorf("payment attempts: %w", err)
			}
			if err := g.exec(ctx, tx, items, lo, hi, g.base(), vfirst, nv, obase); err != nil {
				return fmt.Errorf("order lines: %w", err)
			}
			for _, q := range []string{sales, product, funnel} {
				if err := g.exec(ctx, tx, q, obase+lo-1, obase+hi); err != nil {
					return fmt.Errorf("dashboard rollups: %w", err)
				}
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("seed: %w", err)
		}
		r.Orders = int(hi)
		if hi == n || (hi/int64(g.o.Batch))%10 == 0 {
			g.say("seed: %d of %d orders (%s)", hi, n, time.Since(start).Round(time.Second))
		}
	}
	if _, err := g.db.Write.ExecContext(ctx, sqldb.Rebind(g.db.Dialect, `UPDATE order_numbers SET last = ? WHERE id = 1`), nbase+n); err != nil {
		return fmt.Errorf("seed: order numbers: %w", err)
	}
	return g.db.Write.QueryRowContext(ctx, sqldb.Rebind(g.db.Dialect, `SELECT COUNT(*) FROM order_items WHERE order_id > ?`), obase).Scan(&r.Lines)
}

// finish moves PostgreSQL's id sequences past the ids given explicitly and
// refreshes the planner's statistics, so the first queries after seeding
// are planned for the tables' new size. On PostgreSQL it vacuums as well,
// as autovacuum would have in a shop that grew to this size: until the
// visibility map is set, an index-only scan (a category's capped count,
// the admin's order counts by status) visits the table for every entry,
// which is what the query budget must not measure.
func (g *gen) finish(ctx context.Context) error {
	if !g.pg() {
		_, err := g.db.Write.ExecContext(ctx, `ANALYZE`)
		return err
	}
	for _, t := range []string{"products", "variants", "users", "orders"} {
		//nolint:gosec // t is one of the table names above, never input
		if _, err := g.db.Write.ExecContext(ctx, `SELECT setval(pg_get_serial_sequence('`+t+`', 'id'), (SELECT COALESCE(MAX(id), 0) + 1 FROM `+t+`), false)`); err != nil {
			return fmt.Errorf("seed: %s id sequence: %w", t, err)
		}
	}
	for _, t := range []string{"categories", "products", "variants", "variant_options", "stock_ledger", "users", "orders", "order_items", "kpi_sales_daily", "kpi_product_daily", "kpi_daily"} {
		if _, err := g.db.Write.ExecContext(ctx, `VACUUM ANALYZE `+t); err != nil {
			return fmt.Errorf("seed: analyze %s: %w", t, err)
		}
	}
	return nil
}
