package sqldb

import (
	"context"
	"database/sql"
	"errors"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/oceanshop/ocean/internal/kpi"
	"github.com/oceanshop/ocean/internal/order"
)

// The dashboard's rollups (migration 0008, package kpi). The order store
// changes the takings (kpi_sales_daily, then kpi_product_daily by slug)
// inside its own transactions, always as the last writes of the
// transaction and in that order, so two transactions never wait on each
// other in a cycle through them. The funnel's counts (kpi_daily) are
// counted in memory once the counting transaction has committed and
// written once a second (funnelCounts).

// KPIStore reads the rollups and adds visits.
type KPIStore struct{ db *DB }

var _ kpi.Store = (*KPIStore)(nil)

// KPI returns the dashboard's store.
func (db *DB) KPI() *KPIStore { return &KPIStore{db: db} }

// funnel columns of kpi_daily that the stores add to.
const (
	kpiCarts     = "carts"
	kpiCheckouts = "checkouts"
	kpiPaid      = "paid"
	kpiDeclined  = "declined"
	kpiErrored   = "errored"
	kpiAbandoned = "abandoned"
	kpiSessions  = "sessions"
)

// addDaily adds n to one column of a day's funnel row. col is one of the
// kpi* constants, never input.
func addDaily(ctx context.Context, ex interface {
	exec(ctx context.Context, q string, args ...any) (sql.Result, error)
}, day kpi.Day, col string, n int64) error {
	_, err := ex.exec(ctx, `INSERT INTO kpi_daily (day, `+col+`) VALUES (?, ?)
ON CONFLICT (day) DO UPDATE SET `+col+` = kpi_daily.`+col+` + excluded.`+col, int64(day), n)
	return err
}

// orderFacts is what the rollups need to know of an order.
type orderFacts struct {
	created  time.Time
	paid     *time.Time
	status   order.Status
	currency string
	total    int64
	refunded int64
}

func (f orderFacts) counted() bool { return f.paid != nil && f.status != order.Cancelled }

func (*CommerceStore) facts(ctx context.Context, tx *Tx, id int64) (orderFacts, error) {
	var f orderFacts
	var created timeValue
	var paid nullTime
	var st string
	err := tx.queryRow(ctx, `SELECT created_at, paid_at, status, currency, total, refunded FROM orders WHERE id = ?`, id).
		Scan(&created, &paid, &st, &f.currency, &f.total, &f.refunded)
	f.created, f.paid, f.status = created.t, paid.t, order.Status(st)
	return f, err
}

// countSale adds (sign 1) or takes away (sign -1) a paid order's takings
// and its lines from the rollups of the day it was paid.
func (s *CommerceStore) countSale(ctx context.Context, tx *Tx, id int64, f orderFacts, sign int64) error {
	if f.paid == nil {
		return nil
	}
	lines, err := s.saleLines(ctx, tx, id)
	if err != nil {
		return err
	}
	return s.countSaleLines(ctx, tx, f, lines, sign)
}

// saleLine is one product's units and revenue in an order.
type saleLine struct {
	slug, name    string
	units, amount int64
}

// saleLines reads an order's lines by product, in slug order (the order in
// which countSaleLines locks the products' rollup rows).
func (s *CommerceStore) saleLines(ctx context.Context, tx *Tx, id int64) ([]saleLine, error) {
	rows, err := tx.query(ctx, `SELECT product_slug, product_name, quantity, line_total FROM order_items WHERE order_id = ? ORDER BY id`, id)
	if err != nil {
		return nil, err
	}
	var lines []saleLine
	if err := EachRow(rows, func() error {
		var l saleLine
		if err := rows.Scan(&l.slug, &l.name, &l.units, &l.amount); err != nil {
			return err
		}
		if i := slices.IndexFunc(lines, func(x saleLine) bool { return x.slug == l.slug }); i >= 0 {
			lines[i].units += l.units
			lines[i].amount += l.amount
			return nil
		}
		lines = append(lines, l)
		return nil
	}); err != nil {
		return nil, err
	}
	slices.SortFunc(lines, func(a, b saleLine) int { return strings.Compare(a.slug, b.slug) })
	return lines, nil
}

// countSaleLines adds (sign 1) or takes back (-1) a paid order whose
// lines are lines in the day's sales and products.
func (s *CommerceStore) countSaleLines(ctx context.Context, tx *Tx, f orderFacts, lines []saleLine, sign int64) error {
	if f.paid == nil {
		return nil
	}
	day := int64(kpi.DayOf(*f.paid))
	if s.db.Dialect == Postgres {
		return s.countSaleLinesPG(ctx, tx, day, f, lines, sign)
	}
	if err := s.addSales(ctx, tx, day, f.currency, sign, sign*f.total, sign*f.refunded); err != nil {
		return err
	}
	for _, l := range lines {
		if _, err := tx.exec(ctx, `INSERT INTO kpi_product_daily (day, currency, product_slug, product_name, units, revenue) VALUES (?, ?, ?, ?, ?, ?)
`+addProductConflict,
			day, f.currency, l.slug, l.name, sign*l.units, sign*l.amount); err != nil {
			return err
		}
	}
	return nil
}

// countSaleLinesPG is countSaleLines in one statement: each row it
// updates (a sales shard, a product's row of the day, which every sale of
// that product shares) is locked until the commit, and on PostgreSQL a
// statement per row would add a round trip to the application, and on a
// busy instance a wait for a core, to how long the first of them is held.
// The locks are taken in countSaleLines' order (the shard, then the
// products by slug), which the release before, SQLite's path and ocean
// seed share, so none of them can wait on this in a cycle: the products'
// rows are joined to the shard's RETURNING row, so no product row is
// written before the shard's upsert has run, and they are sorted by
// lines' (slug) order before they are written.
func (s *CommerceStore) countSaleLinesPG(ctx context.Context, tx *Tx, day int64, f orderFacts, lines []saleLine, sign int64) error {
	slugs, names := make([]string, len(lines)), make([]string, len(lines))
	units, amounts := make([]int64, len(lines)), make([]int64, len(lines))
	for i, l := range lines {
		slugs[i], names[i], units[i], amounts[i] = l.slug, l.name, sign*l.units, sign*l.amount
	}
	_, err := tx.exec(ctx, `WITH sales AS (`+addSalesSQL+` RETURNING day)
INSERT INTO kpi_product_daily (day, currency, product_slug, product_name, units, revenue)
SELECT sales.day, ?, l.slug, l.name, l.units, l.amount
FROM sales CROSS JOIN unnest(CAST(? AS text[]), CAST(? AS text[]), CAST(? AS bigint[]), CAST(? AS bigint[])) WITH ORDINALITY AS l(slug, name, units, amount, n)
ORDER BY l.n
`+addProductConflict,
		day, f.currency, salesShard(s.db.Dialect), sign, sign*f.total, sign*f.refunded,
		f.currency, slugs, names, units, amounts)
	return err
}

// countRefund adds amount (negative: takes it back) to the refunds of the
// day a counted order was paid.
func (s *CommerceStore) countRefund(ctx context.Context, tx *Tx, f orderFacts, amount int64) error {
	if !f.counted() || amount == 0 {
		return nil
	}
	return s.addSales(ctx, tx, int64(kpi.DayOf(*f.paid)), f.currency, 0, 0, amount)
}

// salesShards is how many rows hold a day's takings in one currency on
// PostgreSQL: a payment adds to one, chosen at random, so concurrent
// payments seldom wait for the same row's lock (decision 0220). SQLite's
// one writer needs none: it writes shard 0.
const salesShards = 16

// addSalesSQL adds (day, currency, shard, orders, gross, refunded) to a
// shard of the day's takings; addProductConflict ends an insert into a
// product's row of the day by adding to the row already there. SQLite's
// path and PostgreSQL's one statement (countSaleLinesPG) share both.
const (
	addSalesSQL = `INSERT INTO kpi_sales_daily (day, currency, shard, orders, gross, refunded) VALUES (?, ?, ?, ?, ?, ?)
ON CONFLICT (day, currency, shard) DO UPDATE SET orders = kpi_sales_daily.orders + excluded.orders,
 gross = kpi_sales_daily.gross + excluded.gross, refunded = kpi_sales_daily.refunded + excluded.refunded`
	addProductConflict = `ON CONFLICT (day, currency, product_slug) DO UPDATE SET product_name = excluded.product_name,
 units = kpi_product_daily.units + excluded.units, revenue = kpi_product_daily.revenue + excluded.revenue`
)

// salesShard is the shard a write to the day's takings goes to.
func salesShard(d Dialect) int {
	if d == Postgres {
		return rand.IntN(salesShards) //nolint:gosec // spreading writes, not a secret
	}
	return 0
}

// addSales adds to the day's takings in currency.
func (s *CommerceStore) addSales(ctx context.Context, tx *Tx, day int64, currency string, orders, gross, refunded int64) error {
	shard := salesShard(s.db.Dialect)
	_, err := tx.exec(ctx, addSalesSQL,
		day, currency, shard, orders, gross, refunded)
	return err
}

// releaseOutcome is the funnel column a released payment attempt counts in.
func releaseOutcome(paymentStatus, code string) string {
	switch {
	case paymentStatus == order.PaymentDeclined:
		return kpiDeclined
	case code == "gateway_unavailable":
		return kpiErrored
	default:
		return kpiAbandoned
	}
}

// funnelCounts holds the funnel counts (kpi_daily: carts, checkouts, paid,
// a release's outcome) counted since their last write (decision 0206). The
// day's funnel row is one row that every new cart and every checkout
// updated, twice for a paid one; on PostgreSQL each update held it to its
// commit, and in a fleet under load it was the queue every write stood in,
// each waiter holding a pooled connection. The counts are kept like
// visits instead (a kpi.Tally): in memory, written at most once a second
// by the write that finds the last write a second old, by the dashboard's
// read (Daily) and on Close. What counts is still decided in the counting
// write's own transaction (a cart's filled 0 → 1, an order's
// compare-and-set), and a count is taken only once that transaction has
// committed, so nothing counts twice or for a rolled-back write; a crash
// loses at most a second of counts, as it does of visits.
type funnelCounts struct {
	tally kpi.Tally[funnelKey]
	start sync.Once
	mu    sync.Mutex
	every time.Duration // 0: kpi.VisitFlushEvery
}

// SetFunnelFlushEvery sets how long the dashboard's funnel counts wait in
// memory before a write that counts one also writes them (default a
// second). A test that counts a request's statements sets it long, so that
// the once-a-second write does not land in the step it counts.
func (db *DB) SetFunnelFlushEvery(d time.Duration) {
	db.funnel.mu.Lock()
	db.funnel.every = d
	db.funnel.mu.Unlock()
}

type funnelKey struct {
	day kpi.Day
	col string
}

// countDaily counts one for col of day, and writes the counts when their
// last write is a second old (the first a second after the first count).
func (db *DB) countDaily(ctx context.Context, day kpi.Day, col string) {
	c := &db.funnel
	now := time.Now()
	c.start.Do(func() { c.tally.Hold(now) })
	c.mu.Lock()
	every := kpi.VisitFlushEvery
	if c.every > 0 {
		every = c.every
	}
	c.mu.Unlock()
	if c.tally.Add(funnelKey{day, col}, 1, now, every) {
		// The counted write has committed: a failed write of the counts
		// keeps them for the next one.
		_ = db.flushFunnel(context.WithoutCancel(ctx))
	}
}

// flushFunnel adds the counts to kpi_daily: one statement a day, whatever
// the columns.
func (db *DB) flushFunnel(ctx context.Context) error {
	p := db.funnel.tally.Take(time.Now())
	days := map[kpi.Day][]string{}
	for k := range p {
		days[k.day] = append(days[k.day], k.col)
	}
	for d, cols := range days {
		slices.Sort(cols)
		args := []any{int64(d)}
		set := make([]string, len(cols))
		for i, col := range cols {
			args = append(args, p[funnelKey{d, col}])
			set[i] = col + ` = kpi_daily.` + col + ` + excluded.` + col
		}
		if _, err := db.exec(ctx, `INSERT INTO kpi_daily (day, `+strings.Join(cols, ", ")+`) VALUES (?, `+placeholders(len(cols))+`)
ON CONFLICT (day) DO UPDATE SET `+strings.Join(set, ", "), args...); err != nil {
			// Put back what is not written: the next write tries again.
			db.funnel.tally.Return(p)
			return err
		}
		for _, col := range cols {
			delete(p, funnelKey{d, col})
		}
	}
	return nil
}

// ---------------------------------------------------------------- reads

func (k *KPIStore) Daily(ctx context.Context, from, to kpi.Day) ([]kpi.Daily, error) {
	// What this instance counted and has not written yet counts too.
	if err := k.db.flushFunnel(ctx); err != nil {
		return nil, err
	}
	rows, err := k.db.query(ctx, `SELECT day, sessions, carts, checkouts, paid, declined, errored, abandoned FROM kpi_daily
WHERE day >= ? AND day <= ? ORDER BY day`, int64(from), int64(to))
	if err != nil {
		return nil, err
	}
	var out []kpi.Daily
	err = EachRow(rows, func() error {
		var d kpi.Daily
		if err := rows.Scan(&d.Day, &d.Sessions, &d.Carts, &d.Checkouts, &d.Paid, &d.Declined, &d.Errored, &d.Abandoned); err != nil {
			return err
		}
		out = append(out, d)
		return nil
	})
	return out, err
}

func (k *KPIStore) Sales(ctx context.Context, from, to kpi.Day) ([]kpi.Sales, error) {
	rows, err := k.db.query(ctx, `SELECT day, currency, CAST(SUM(orders) AS BIGINT), CAST(SUM(gross) AS BIGINT), CAST(SUM(refunded) AS BIGINT) FROM kpi_sales_daily
WHERE day >= ? AND day <= ? GROUP BY day, currency ORDER BY day, currency`, int64(from), int64(to))
	if err != nil {
		return nil, err
	}
	var out []kpi.Sales
	err = EachRow(rows, func() error {
		var s kpi.Sales
		if err := rows.Scan(&s.Day, &s.Currency, &s.Orders, &s.Gross, &s.Refunded); err != nil {
			return err
		}
		out = append(out, s)
		return nil
	})
	return out, err
}

func (k *KPIStore) TopProducts(ctx context.Context, from, to kpi.Day, currency string, byUnits bool, limit int) ([]kpi.Product, error) {
	order := `revenue DESC, units DESC`
	if byUnits {
		order = `units DESC, revenue DESC`
	}
	args := []any{int64(from), int64(to), currency}
	lim := ""
	if limit > 0 {
		lim, args = ` LIMIT ?`, append(args, limit)
	}
	rows, err := k.db.query(ctx, `SELECT product_slug, MAX(product_name), CAST(SUM(units) AS BIGINT) AS units, CAST(SUM(revenue) AS BIGINT) AS revenue
FROM kpi_product_daily WHERE day >= ? AND day <= ? AND currency = ?
GROUP BY product_slug HAVING SUM(units) > 0 ORDER BY `+order+`, product_slug`+lim, args...)
	if err != nil {
		return nil, err
	}
	var out []kpi.Product
	err = EachRow(rows, func() error {
		p := kpi.Product{Currency: currency}
		if err := rows.Scan(&p.Slug, &p.Name, &p.Units, &p.Revenue); err != nil {
			return err
		}
		out = append(out, p)
		return nil
	})
	return out, err
}

func (k *KPIStore) LowStock(ctx context.Context, threshold, limit int) ([]kpi.LowStock, error) {
	rows, err := k.db.query(ctx, `SELECT v.id, v.sku, p.name, v.stock FROM variants v JOIN products p ON p.id = v.product_id
WHERE v.stock <= ? ORDER BY v.stock, v.id LIMIT ?`, threshold, limit)
	if err != nil {
		return nil, err
	}
	var out []kpi.LowStock
	err = EachRow(rows, func() error {
		var l kpi.LowStock
		if err := rows.Scan(&l.VariantID, &l.SKU, &l.ProductName, &l.Stock); err != nil {
			return err
		}
		out = append(out, l)
		return nil
	})
	return out, err
}

func (k *KPIStore) FirstSessionDay(ctx context.Context) (kpi.Day, bool, error) {
	var d sql.NullInt64
	err := k.db.queryRow(ctx, `SELECT MIN(day) FROM kpi_daily WHERE sessions > 0`).Scan(&d)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, false, nil
	}
	return kpi.Day(d.Int64), d.Valid, err
}

func (k *KPIStore) AddSessions(ctx context.Context, day kpi.Day, n int64) error {
	return k.db.InTx(ctx, func(tx *Tx) error { return addDaily(ctx, tx, day, kpiSessions, n) })
}

// recount moves an order's takings from what before counted to what after
// counts; refundDelta is how its refunded amount changed.
func (s *CommerceStore) recount(ctx context.Context, tx *Tx, id int64, before, after orderFacts, refundDelta int64) error {
	switch {
	case before.counted() && after.counted():
		return s.countRefund(ctx, tx, after, refundDelta)
	case before.counted():
		return s.countSale(ctx, tx, id, before, -1)
	case after.counted():
		return s.countSale(ctx, tx, id, after, 1)
	}
	return nil
}
