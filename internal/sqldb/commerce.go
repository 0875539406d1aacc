package sqldb

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/oceanshop/ocean/internal/cart"
	"github.com/oceanshop/ocean/internal/checkout"
	"github.com/oceanshop/ocean/internal/inventory"
	"github.com/oceanshop/ocean/internal/kpi"
	"github.com/oceanshop/ocean/internal/ocean"
	"github.com/oceanshop/ocean/internal/pricing"
)

// CommerceStore implements the stores of cart, pricing, inventory and
// checkout: they share tables and transactions.
type CommerceStore struct{ db *DB }

var (
	_ cart.Store      = (*CommerceStore)(nil)
	_ pricing.Store   = (*CommerceStore)(nil)
	_ inventory.Store = (*CommerceStore)(nil)
	_ checkout.Store  = (*CommerceStore)(nil)
)

// Commerce returns the commerce store.
func (db *DB) Commerce() *CommerceStore { return &CommerceStore{db: db} }

func (t *Tx) queryRow(ctx context.Context, q string, args ...any) *sql.Row {
	t.db.queries.Add(1)
	ctx, end := t.db.start(ctx, 1)
	row := t.rawQueryRow(ctx, Rebind(t.db.Dialect, q), args...)
	end(row.Err())
	return row
}

func (t *Tx) query(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	t.db.queries.Add(1)
	ctx, end := t.db.start(ctx, 1)
	rows, err := t.rawQuery(ctx, Rebind(t.db.Dialect, q), args...)
	end(err)
	return rows, err
}

func (s *CommerceStore) exec(ctx context.Context, q string, args ...any) (sql.Result, error) {
	return s.db.exec(ctx, q, args...)
}

func placeholders(n int) string { return strings.TrimSuffix(strings.Repeat("?, ", n), ", ") }

func changed(res sql.Result, err error) (bool, error) {
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n > 0, err
}

// ---------------------------------------------------------------- carts

func (s *CommerceStore) CreateCart(ctx context.Context, c *cart.Cart) error {
	now := time.Now().UTC().Truncate(time.Microsecond)
	c.CreatedAt, c.UpdatedAt = now, now
	var user any
	if c.UserID != 0 {
		user = c.UserID
	}
	_, err := s.exec(ctx, `INSERT INTO carts (id, user_id, currency, discount_code, status, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		c.ID, user, c.Currency, c.DiscountCode, cart.Open, s.db.timeArg(now), s.db.timeArg(now))
	return err
}

// Cart reads the cart and its lines in one statement (a join), so a cart
// view costs one round trip and sees the cart and its lines as of one moment.
func (s *CommerceStore) Cart(ctx context.Context, id string) (*cart.Cart, error) {
	rows, err := s.db.query(ctx, `SELECT c.id, c.user_id, c.currency, c.discount_code, c.status, c.order_id, c.created_at, c.updated_at, i.id, i.variant_id, i.quantity
FROM carts c LEFT JOIN cart_items i ON i.cart_id = c.id WHERE c.id = ? ORDER BY i.id`, id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var c *cart.Cart
	for rows.Next() {
		var user, oid, item, variant, quantity sql.NullInt64
		var created, updated timeValue
		next := &cart.Cart{}
		if err := rows.Scan(&next.ID, &user, &next.Currency, &next.DiscountCode, &next.Status, &oid, &created, &updated, &item, &variant, &quantity); err != nil {
			return nil, err
		}
		if c == nil {
			next.UserID, next.OrderID, next.CreatedAt, next.UpdatedAt = user.Int64, oid.Int64, created.t, updated.t
			c = next
		}
		if item.Valid {
			c.Items = append(c.Items, cart.Item{ID: item.Int64, VariantID: variant.Int64, Quantity: int(quantity.Int64)})
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if c == nil {
		return nil, ocean.Errorf(ocean.ENOTFOUND, "There is no such cart.")
	}
	return c, nil
}

func (s *CommerceStore) OpenCartOf(ctx context.Context, userID int64) (*cart.Cart, error) {
	var id string
	err := s.db.queryRow(ctx, `SELECT id FROM carts WHERE user_id = ? AND status = 'open' ORDER BY updated_at DESC LIMIT 1`, userID).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ocean.Errorf(ocean.ENOTFOUND, "No open cart.")
	}
	if err != nil {
		return nil, err
	}
	return s.Cart(ctx, id)
}

var errCartNotOpen = ocean.Errorf(ocean.ECONFLICT, "This cart can no longer change: it is being checked out or was ordered.")

// openCart locks the cart row for the rest of the transaction if it is open.
func (s *CommerceStore) touchOpenCart(ctx context.Context, tx *Tx, id, currency string) error {
	q := `UPDATE carts SET updated_at = ? WHERE id = ? AND status = 'open'`
	args := []any{s.db.timeArg(time.Now().UTC()), id}
	if currency != "" {
		q = `UPDATE carts SET updated_at = ?, currency = CASE WHEN currency = '' THEN ? ELSE currency END WHERE id = ? AND status = 'open'`
		args = []any{args[0], currency, id}
	}
	ok, err := changed(tx.exec(ctx, q, args...))
	if err != nil {
		return err
	}
	if !ok {
		return errCartNotOpen
	}
	return nil
}

// AddItem is two statements in one write transaction: the cart's touch,
// which locks it, refuses a cart that is not open and tells by filled's
// 0 → 1 whether this is the cart's first item, and the line's upsert, which
// itself refuses a line over the maximum or over the variant's stock. Reads
// come before (cart.Service.Add) and pricing after, from what the service
// already has: the transaction holds a pooled connection for four round
// trips, not six, and the add takes four statements, not ten (decision
// 0205). A first item counts the cart on the dashboard in memory, written
// at most once a second (decision 0206), so an add never waits for the
// day's funnel row that every payment locks.
func (s *CommerceStore) AddItem(ctx context.Context, cartID string, variantID int64, quantity int, currency string) (cart.Item, error) {
	it := cart.Item{VariantID: variantID}
	var first bool
	var day timeValue
	if quantity > cart.MaxLineQuantity {
		return it, ocean.Errorf(ocean.EUNPROCESSABLE, "You can buy at most %d of one item.", cart.MaxLineQuantity)
	}
	err := s.db.InTx(ctx, func(tx *Tx) error {
		now := s.db.timeArg(time.Now().UTC())
		// filled goes 0 → 1 on the cart's first item and to 2 on every
		// later add, so the update that touches the cart also says whether
		// this is the first: that one counts the cart once, on its creation
		// day, among the dashboard's carts.
		var filled int
		err := tx.queryRow(ctx, `UPDATE carts SET updated_at = ?, currency = CASE WHEN currency = '' THEN ? ELSE currency END,
filled = CASE WHEN filled = 0 THEN 1 ELSE 2 END WHERE id = ? AND status = 'open' RETURNING created_at, filled`,
			now, currency, cartID).Scan(&day, &filled)
		if errors.Is(err, sql.ErrNoRows) {
			return errCartNotOpen
		}
		if err != nil {
			return err
		}
		err = tx.queryRow(ctx, `INSERT INTO cart_items (cart_id, variant_id, quantity, created_at)
SELECT ?, v.id, ?, ? FROM variants v WHERE v.id = ? AND v.stock >= ?
ON CONFLICT (cart_id, variant_id) DO UPDATE SET quantity = cart_items.quantity + excluded.quantity
WHERE cart_items.quantity + excluded.quantity <= ? AND cart_items.quantity + excluded.quantity <= (SELECT stock FROM variants WHERE id = excluded.variant_id)
RETURNING id, quantity`,
			cartID, quantity, now, variantID, quantity, cart.MaxLineQuantity).Scan(&it.ID, &it.Quantity)
		if errors.Is(err, sql.ErrNoRows) {
			return errLineRefused(ctx, tx, cartID, variantID, quantity)
		}
		first = filled == 1
		return err
	})
	if err == nil && first {
		// The cart's first line counts it once, on its creation day, among
		// the dashboard's carts: in memory, not in the shared funnel row
		// (decision 0206).
		s.db.countDaily(ctx, kpi.DayOf(day.t), kpiCarts)
	}
	return it, err
}

// errLineRefused says why the upsert wrote nothing: a variant that is gone,
// the line's maximum, or the stock. It runs only on a refusal, which
// cart.Service.Add has already checked for from its reads, so only a race
// with another writer (or a direct caller of the store) gets here.
func errLineRefused(ctx context.Context, tx *Tx, cartID string, variantID int64, quantity int) error {
	var have, stock sql.NullInt64
	err := tx.queryRow(ctx, `SELECT (SELECT quantity FROM cart_items WHERE cart_id = ? AND variant_id = ?), (SELECT stock FROM variants WHERE id = ?)`,
		cartID, variantID, variantID).Scan(&have, &stock)
	switch {
	case err != nil:
		return err
	case !stock.Valid:
		return ocean.Errorf(ocean.EUNPROCESSABLE, "That product variant does not exist.")
	case int(have.Int64)+quantity > cart.MaxLineQuantity:
		return ocean.Errorf(ocean.EUNPROCESSABLE, "You can buy at most %d of one item.", cart.MaxLineQuantity)
	default:
		return ocean.Errorf(ocean.ECONFLICT, "Only %d of this item left.", stock.Int64)
	}
}

func (s *CommerceStore) SetQuantity(ctx context.Context, cartID string, itemID int64, quantity int) error {
	return s.db.InTx(ctx, func(tx *Tx) error {
		if err := s.touchOpenCart(ctx, tx, cartID, ""); err != nil {
			return err
		}
		return lineAffected(tx.exec(ctx, `UPDATE cart_items SET quantity = ? WHERE id = ? AND cart_id = ?`, quantity, itemID, cartID))
	})
}

func (s *CommerceStore) RemoveItem(ctx context.Context, cartID string, itemID int64) error {
	return s.db.InTx(ctx, func(tx *Tx) error {
		if err := s.touchOpenCart(ctx, tx, cartID, ""); err != nil {
			return err
		}
		return lineAffected(tx.exec(ctx, `DELETE FROM cart_items WHERE id = ? AND cart_id = ?`, itemID, cartID))
	})
}

func lineAffected(res sql.Result, err error) error {
	ok, err := changed(res, err)
	if err != nil {
		return err
	}
	if !ok {
		return ocean.Errorf(ocean.ENOTFOUND, "There is no such line in this cart.")
	}
	return nil
}

func (s *CommerceStore) SetDiscountCode(ctx context.Context, cartID, code string) error {
	ok, err := changed(s.exec(ctx, `UPDATE carts SET discount_code = ?, updated_at = ? WHERE id = ? AND status = 'open'`, code, s.db.timeArg(time.Now().UTC()), cartID))
	if err == nil && !ok {
		return errCartNotOpen
	}
	return err
}

func (s *CommerceStore) SetOwner(ctx context.Context, cartID string, userID int64) error {
	_, err := s.exec(ctx, `UPDATE carts SET user_id = ?, updated_at = ? WHERE id = ?`, userID, s.db.timeArg(time.Now().UTC()), cartID)
	return err
}

func (s *CommerceStore) DeleteCart(ctx context.Context, cartID string) error {
	_, err := s.exec(ctx, `DELETE FROM carts WHERE id = ? AND status = 'open'`, cartID)
	return err
}

func (s *CommerceStore) Variants(ctx context.Context, ids []int64) (map[int64]cart.Variant, error) {
	out := make(map[int64]cart.Variant, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	rows, err := s.db.query(ctx, `SELECT v.id, p.name, p.slug, v.sku, v.options, v.price, v.currency, v.stock, v.weight
FROM variants v JOIN products p ON p.id = v.product_id WHERE v.id IN (`+placeholders(len(ids))+`)`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var v cart.Variant
		var opts string
		if err := rows.Scan(&v.ID, &v.ProductName, &v.ProductSlug, &v.SKU, &opts, &v.Price.Amount, &v.Price.Currency, &v.Stock, &v.Weight); err != nil {
			return nil, err
		}
		if err := json.Unmarshal([]byte(opts), &v.Options); err != nil {
			return nil, fmt.Errorf("variant %d options: %w", v.ID, err)
		}
		out[v.ID] = v
	}
	return out, rows.Err()
}

// ---------------------------------------------------------------- pricing

const discountCols = `id, code, kind, value, currency, min_subtotal, starts_at, ends_at, usage_limit, per_customer_limit, used`

func scanDiscount(sc interface{ Scan(...any) error }) (*pricing.Discount, error) {
	d := &pricing.Discount{}
	var starts, ends nullTime
	var lim, per sql.NullInt64
	if err := sc.Scan(&d.ID, &d.Code, &d.Kind, &d.Value, &d.Currency, &d.MinSubtotal, &starts, &ends, &lim, &per, &d.Used); err != nil {
		return nil, err
	}
	d.StartsAt, d.EndsAt = starts.t, ends.t
	if lim.Valid {
		n := int(lim.Int64)
		d.UsageLimit = &n
	}
	if per.Valid {
		n := int(per.Int64)
		d.PerCustomerLimit = &n
	}
	return d, nil
}

func (s *CommerceStore) DiscountByCode(ctx context.Context, code string) (*pricing.Discount, error) {
	d, err := scanDiscount(s.db.queryRow(ctx, `SELECT `+discountCols+` FROM discounts WHERE code = ?`, code))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ocean.Errorf(ocean.ENOTFOUND, "There is no such discount code.")
	}
	return d, err
}

func (s *CommerceStore) Discounts(ctx context.Context) ([]pricing.Discount, error) {
	rows, err := s.db.query(ctx, `SELECT `+discountCols+` FROM discounts ORDER BY code`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []pricing.Discount
	for rows.Next() {
		d, err := scanDiscount(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, *d)
	}
	return out, rows.Err()
}

func (s *CommerceStore) optTime(t *time.Time) any {
	if t == nil {
		return nil
	}
	return s.db.timeArg(t.UTC())
}

func optInt(p *int) any {
	if p == nil {
		return nil
	}
	return *p
}

func (s *CommerceStore) CreateDiscount(ctx context.Context, d *pricing.Discount) error {
	return s.db.InTx(ctx, func(tx *Tx) error {
		id, err := tx.insertID(ctx, `INSERT INTO discounts (code, kind, value, currency, min_subtotal, starts_at, ends_at, usage_limit, per_customer_limit, created_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, d.Code, d.Kind, d.Value, d.Currency, d.MinSubtotal, s.optTime(d.StartsAt), s.optTime(d.EndsAt),
			optInt(d.UsageLimit), optInt(d.PerCustomerLimit), s.db.timeArg(time.Now().UTC()))
		if s.db.IsUnique(err) {
			return ocean.Errorf(ocean.ECONFLICT, "The code %s already exists.", d.Code)
		}
		d.ID = id
		return err
	})
}

// TaxRate is the rate country pays, in one statement: its own row first,
// else the row of its zone (the zone listing it, or the '*' zone when none
// does), the rule pricing.TaxFor states.
func (s *CommerceStore) TaxRate(ctx context.Context, country string) (*pricing.TaxRate, error) {
	r := &pricing.TaxRate{Country: country}
	var first int
	err := s.db.queryRow(ctx, `SELECT 0, 0, '', name, rate_bp, version FROM tax_rates WHERE country = ?
UNION ALL
SELECT 1, z.id, z.name, t.name, t.rate_bp, t.version FROM zone_tax_rates t JOIN shipping_zones z ON z.id = t.zone_id
WHERE t.zone_id = COALESCE((SELECT zone_id FROM shipping_zone_countries WHERE country = ?), (SELECT zone_id FROM shipping_zone_countries WHERE country = '*'))
ORDER BY 1 LIMIT 1`, country, country).Scan(&first, &r.ZoneID, &r.Zone, &r.Name, &r.RateBP, &r.Version)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ocean.Errorf(ocean.ENOTFOUND, "No tax rate for %s.", country)
	}
	return r, err
}

func (s *CommerceStore) SetTaxRate(ctx context.Context, r pricing.TaxRate) error {
	_, err := s.exec(ctx, `INSERT INTO tax_rates (country, name, rate_bp) VALUES (?, ?, ?)
ON CONFLICT (country) DO UPDATE SET name = excluded.name, rate_bp = excluded.rate_bp, version = tax_rates.version + 1`, r.Country, r.Name, r.RateBP)
	return err
}

// ---------------------------------------------------------------- inventory

func (s *CommerceStore) ledger(ctx context.Context, tx *Tx, variantID int64, delta int, kind, reason string, orderID int64, actor string) error {
	var oid any
	if orderID != 0 {
		oid = orderID
	}
	_, err := tx.exec(ctx, `INSERT INTO stock_ledger (variant_id, delta, kind, reason, order_id, actor, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		variantID, delta, kind, reason, oid, actor, s.db.timeArg(time.Now().UTC()))
	return err
}

func (s *CommerceStore) Adjust(ctx context.Context, e inventory.Entry) (inventory.Level, error) {
	var l inventory.Level
	err := s.db.InTx(ctx, func(tx *Tx) error {
		err := tx.queryRow(ctx, `UPDATE variants SET stock = stock + ? WHERE id = ? AND stock + ? >= 0 RETURNING id, sku, stock`, e.Delta, e.VariantID, e.Delta).
			Scan(&l.VariantID, &l.SKU, &l.Stock)
		if errors.Is(err, sql.ErrNoRows) {
			cur, lerr := s.level(ctx, tx, e.VariantID)
			if lerr != nil {
				return lerr
			}
			return &ocean.Error{Code: ocean.ECONFLICT, Message: fmt.Sprintf("%s has %d in stock; it cannot go below zero.", cur.SKU, cur.Stock),
				Fields: []ocean.FieldError{{Field: "delta", Message: fmt.Sprintf("must be at least %d", -cur.Stock)}}}
		}
		if err != nil {
			return err
		}
		return s.ledger(ctx, tx, e.VariantID, e.Delta, e.Kind, e.Reason, e.OrderID, e.Actor)
	})
	return l, err
}

func (s *CommerceStore) level(ctx context.Context, tx *Tx, id int64) (inventory.Level, error) {
	var l inventory.Level
	err := tx.queryRow(ctx, `SELECT id, sku, stock FROM variants WHERE id = ?`, id).Scan(&l.VariantID, &l.SKU, &l.Stock)
	if errors.Is(err, sql.ErrNoRows) {
		return l, ocean.Errorf(ocean.ENOTFOUND, "There is no such product variant.")
	}
	return l, err
}

func (s *CommerceStore) Level(ctx context.Context, id int64) (inventory.Level, error) {
	var l inventory.Level
	err := s.db.queryRow(ctx, `SELECT id, sku, stock FROM variants WHERE id = ?`, id).Scan(&l.VariantID, &l.SKU, &l.Stock)
	if errors.Is(err, sql.ErrNoRows) {
		return l, ocean.Errorf(ocean.ENOTFOUND, "There is no such product variant.")
	}
	return l, err
}

func (s *CommerceStore) History(ctx context.Context, id int64, limit int) ([]inventory.Entry, error) {
	rows, err := s.db.query(ctx, `SELECT l.id, l.variant_id, l.delta, l.kind, l.reason, l.order_id, l.actor, l.created_at, o.number
FROM stock_ledger l LEFT JOIN orders o ON o.id = l.order_id WHERE l.variant_id = ? ORDER BY l.id DESC LIMIT ?`, id, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []inventory.Entry
	for rows.Next() {
		var e inventory.Entry
		var oid, num sql.NullInt64
		var at timeValue
		if err := rows.Scan(&e.ID, &e.VariantID, &e.Delta, &e.Kind, &e.Reason, &oid, &e.Actor, &at, &num); err != nil {
			return nil, err
		}
		e.OrderID, e.OrderNum, e.CreatedAt = oid.Int64, num.Int64, at.t
		out = append(out, e)
	}
	return out, rows.Err()
}

func (s *CommerceStore) Verify(ctx context.Context) ([]inventory.Drift, int, error) {
	rows, err := s.db.query(ctx, `SELECT v.id, v.sku, v.stock, COALESCE(l.total, 0)
FROM variants v LEFT JOIN (SELECT variant_id, SUM(delta) AS total FROM stock_ledger GROUP BY variant_id) l ON l.variant_id = v.id ORDER BY v.id`)
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	var out []inventory.Drift
	n := 0
	for rows.Next() {
		var d inventory.Drift
		var sum int64
		if err := rows.Scan(&d.VariantID, &d.SKU, &d.Stock, &sum); err != nil {
			return nil, 0, err
		}
		n++
		d.Ledger = int(sum)
		if d.Ledger != d.Stock {
			out = append(out, d)
		}
	}
	return out, n, rows.Err()
}
