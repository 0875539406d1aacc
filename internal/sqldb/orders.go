package sqldb

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/oceanshop/ocean/internal/checkout"
	"github.com/oceanshop/ocean/internal/inventory"
	"github.com/oceanshop/ocean/internal/kpi"
	"github.com/oceanshop/ocean/internal/lock"
	"github.com/oceanshop/ocean/internal/ocean"
	"github.com/oceanshop/ocean/internal/order"
)

// placedOrder is what makes a row an order to the shop: it has a number,
// which it gets in the transaction that marks it paid (decision 0125). A
// checkout that was never paid keeps its row for the reservation, the
// idempotency key and the ledger, but no list or count shows it. The
// fragment is plain SQL, the same on SQLite and PostgreSQL; every query
// that means "placed orders" uses it.
const placedOrder = "number IS NOT NULL"

const orderCols = `id, public_id, idempotency_key, request_hash, cart_id, user_id, email, status, currency, subtotal, discount, shipping, tax, total,
tax_included, tax_name, refunded, discount_id, discount_code, customer_key, shipping_method, shipping_name, shipping_address, country, tracking_number,
reserved_until, gateway, payment_ref, payment_id, payment_status, card, decline_code, decline_message, created_at, updated_at, paid_at, number`

func scanOrder(sc interface{ Scan(...any) error }) (*order.Order, error) {
	o := &order.Order{}
	var user, disc, num sql.NullInt64
	var cur string
	var reserved, created, updated timeValue
	var paid nullTime
	t := &o.Totals
	if err := sc.Scan(&o.ID, &o.PublicID, &o.IdempotencyKey, &o.RequestHash, &o.CartID, &user, &o.Email, &o.Status, &cur,
		&t.Subtotal.Amount, &t.Discount.Amount, &t.Shipping.Amount, &t.Tax.Amount, &t.Total.Amount, &t.TaxIncluded, &t.TaxName, &o.Refunded,
		&disc, &o.DiscountCode, &o.CustomerKey, &o.ShippingMethod, &o.ShippingName, &o.SealedAddress, &o.Country, &o.Tracking,
		&reserved, &o.Gateway, &o.PaymentRef, &o.PaymentID, &o.PaymentStatus, &o.Card, &o.DeclineCode, &o.DeclineMessage,
		&created, &updated, &paid, &num); err != nil {
		return nil, err
	}
	for _, m := range []*ocean.Money{&t.Subtotal, &t.Discount, &t.Shipping, &t.Tax, &t.Total} {
		m.Currency = cur
	}
	o.UserID, o.DiscountID, o.Num = user.Int64, disc.Int64, num.Int64
	o.ReservedUntil, o.CreatedAt, o.UpdatedAt, o.PaidAt = reserved.t, created.t, updated.t, paid.t
	return o, nil
}

// qty is one variant's total quantity in an order.
type qty struct {
	variant int64
	n       int
}

// byVariant sums quantities per variant, in variant id order: the order in
// which rows are locked, so two transactions never wait on each other in a
// cycle.
func byVariant(items []order.Item) []qty {
	m := map[int64]int{}
	for _, it := range items {
		m[it.VariantID] += it.Quantity
	}
	out := make([]qty, 0, len(m))
	for v, n := range m {
		out = append(out, qty{v, n})
	}
	slices.SortFunc(out, func(a, b qty) int { return int(a.variant - b.variant) })
	return out
}

func (s *CommerceStore) Reserve(ctx context.Context, o *order.Order, perCustomerLimit int, fences map[int64]int64) error {
	err := s.db.InTx(ctx, func(tx *Tx) error {
		t := o.Totals
		var err error
		o.ID, err = tx.insertID(ctx, `INSERT INTO orders (public_id, idempotency_key, request_hash, cart_id, user_id, email, status, currency,
subtotal, discount, shipping, tax, total, tax_included, tax_name, discount_id, discount_code, customer_key, shipping_method, shipping_name,
shipping_address, country, reserved_until, gateway, payment_ref, payment_status, created_at, updated_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			o.PublicID, o.IdempotencyKey, o.RequestHash, o.CartID, nullID(o.UserID), o.Email, o.Status, t.Total.Currency,
			t.Subtotal.Amount, t.Discount.Amount, t.Shipping.Amount, t.Tax.Amount, t.Total.Amount, t.TaxIncluded, t.TaxName, nullID(o.DiscountID),
			o.DiscountCode, o.CustomerKey, o.ShippingMethod, o.ShippingName, o.SealedAddress, o.Country, s.db.timeArg(o.ReservedUntil),
			o.Gateway, o.PaymentRef, o.PaymentStatus, s.db.timeArg(o.CreatedAt), s.db.timeArg(o.UpdatedAt))
		if s.db.IsUnique(err) {
			return checkout.ErrDuplicateKey
		}
		if err != nil {
			return fmt.Errorf("insert order: %w", err)
		}
		ok, err := changed(tx.exec(ctx, `UPDATE carts SET status = 'checkout', order_id = ?, updated_at = ? WHERE id = ? AND status = 'open'`,
			o.ID, s.db.timeArg(o.CreatedAt), o.CartID))
		if err != nil {
			return err
		}
		if !ok {
			return ocean.Errorf(ocean.ECONFLICT, "A payment for this cart is already in progress, or it was ordered.")
		}
		// The order's own rows first; then the rows other checkouts
		// share (the discount, the variants in id order, the day's
		// rollup), each locked on PostgreSQL from its update to the
		// commit: buyers of one variant queue only for the rest of the
		// transaction after it.
		for _, it := range o.Items {
			opts, err := json.Marshal(it.Options)
			if err != nil {
				return err
			}
			if _, err := tx.exec(ctx, `INSERT INTO order_items (order_id, variant_id, product_name, product_slug, sku, options, unit_price, quantity, line_total)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, o.ID, it.VariantID, it.ProductName, it.ProductSlug, it.SKU, string(opts), it.UnitPrice.Amount, it.Quantity, it.LineTotal.Amount); err != nil {
				return err
			}
		}
		if err := s.event(ctx, tx, o.ID, "", order.PendingPayment, "", ""); err != nil {
			return err
		}
		if o.DiscountID != 0 {
			ok, err := changed(tx.exec(ctx, `UPDATE discounts SET used = used + 1 WHERE id = ? AND (usage_limit IS NULL OR used < usage_limit)`, o.DiscountID))
			if err != nil {
				return err
			}
			if !ok {
				return &ocean.Error{Code: ocean.EUNPROCESSABLE, Message: fmt.Sprintf("The code %s has been used up. Remove it to check out.", o.DiscountCode),
					Fields: []ocean.FieldError{{Field: "discount", Message: "has reached its usage limit"}}}
			}
			if perCustomerLimit > 0 {
				var n int
				if err := tx.queryRow(ctx, `SELECT COUNT(*) FROM orders WHERE discount_id = ? AND customer_key = ? AND status <> 'cancelled'`,
					o.DiscountID, o.CustomerKey).Scan(&n); err != nil {
					return err
				}
				if n > perCustomerLimit {
					return &ocean.Error{Code: ocean.EUNPROCESSABLE, Message: fmt.Sprintf("You have already used the code %s as often as it allows.", o.DiscountCode),
						Fields: []ocean.FieldError{{Field: "discount", Message: "has reached its limit for this customer"}}}
				}
			}
		}
		var short []checkout.Shortage
		for _, q := range byVariant(o.Items) {
			var ok bool
			var err error
			token, fenced := fences[q.variant]
			if fenced {
				ok, err = changed(tx.exec(ctx, `UPDATE variants SET stock = stock - ?, fence = ? WHERE id = ? AND stock >= ? AND fence < ?`, q.n, token, q.variant, q.n, token))
			} else {
				ok, err = changed(tx.exec(ctx, `UPDATE variants SET stock = stock - ? WHERE id = ? AND stock >= ?`, q.n, q.variant, q.n))
			}
			if err != nil {
				return err
			}
			if !ok {
				l, err := s.level(ctx, tx, q.variant)
				if err != nil {
					return err
				}
				if fenced && l.Stock >= q.n {
					return lock.ErrFenced // a newer lock holder wrote this variant
				}
				short = append(short, checkout.Shortage{VariantID: q.variant, SKU: l.SKU, Wanted: q.n, Available: l.Stock})
				continue
			}
			if err := s.ledger(ctx, tx, q.variant, -q.n, inventory.Sale, "", o.ID, ""); err != nil {
				return err
			}
		}
		if short != nil {
			return &checkout.StockError{Short: short}
		}
		return nil
	})
	if err != nil {
		o.ID = 0
		return err
	}
	s.db.countDaily(ctx, kpi.DayOf(o.CreatedAt), kpiCheckouts)
	return nil
}

func (s *CommerceStore) event(ctx context.Context, tx *Tx, id int64, from, to order.Status, actor, note string) error {
	_, err := tx.exec(ctx, `INSERT INTO order_events (order_id, from_status, to_status, actor, note, created_at) VALUES (?, ?, ?, ?, ?, ?)`,
		id, string(from), string(to), actor, note, s.db.timeArg(time.Now().UTC()))
	return err
}

func (s *CommerceStore) MarkPaid(ctx context.Context, id int64, paymentID, card, paymentStatus string, at time.Time, a *order.Attempt) (bool, error) {
	var won bool
	var paidDay time.Time
	err := s.db.InTx(ctx, func(tx *Tx) error {
		// The authorization is on record whoever wins: it happened.
		if a != nil {
			if err := s.recordAttempt(ctx, tx, a); err != nil {
				return err
			}
		}
		// The compare-and-set hands back what the rollups need, so the
		// order is not read again.
		var f orderFacts
		var cartID string
		var created timeValue
		err := tx.queryRow(ctx, `UPDATE orders SET status = 'paid', payment_id = ?, card = ?, payment_status = ?, paid_at = ?, updated_at = ?
WHERE id = ? AND status = 'pending_payment' RETURNING cart_id, created_at, currency, total, refunded`,
			paymentID, card, paymentStatus, s.db.timeArg(at), s.db.timeArg(at), id).Scan(&cartID, &created, &f.currency, &f.total, &f.refunded)
		if errors.Is(err, sql.ErrNoRows) {
			return nil // lost: another caller moved the order first
		}
		if err != nil {
			return err
		}
		won = true
		f.created, f.status = created.t, order.Paid
		paidDay = f.created
		f.paid = &at
		if _, err := tx.exec(ctx, `UPDATE carts SET status = 'ordered', updated_at = ? WHERE id = ?`, s.db.timeArg(at), cartID); err != nil {
			return err
		}
		if err := s.event(ctx, tx, id, order.PendingPayment, order.Paid, "gateway", card); err != nil {
			return err
		}
		// The rows every payment shares (the day's rollups, the order
		// number's counter) come last, with nothing but their own updates
		// between the first of them and the commit: on PostgreSQL each is
		// locked from its update to the commit, and every checkout of the
		// shop queues on them. (On PostgreSQL the number is taken inside
		// the COMMIT itself: see number.)
		lines, err := s.saleLines(ctx, tx, id)
		if err != nil {
			return err
		}
		if err := s.countSaleLines(ctx, tx, f, lines, 1); err != nil {
			return err
		}
		return s.number(ctx, tx, id)
	})
	if err != nil {
		won = false
		if a != nil {
			a.ID = 0
		}
	}
	if won {
		s.db.countDaily(ctx, kpi.DayOf(paidDay), kpiPaid)
	}
	return won, err
}

// number gives the paid order id the shop's next order number. On SQLite
// the counter's row is updated here, in the paid transition's transaction:
// with one writer nobody waits on it. On PostgreSQL the order takes its
// number when the transaction commits, from a deferred trigger
// (orders_number_at_commit, migration 0021, decision 0240): the counter's
// row is then locked only while PostgreSQL commits, not across this
// instance's round trips: concurrent payments on any instance queue on it
// for the length of a commit (with synchronous_commit on, a WAL flush).
// Either way a transaction that rolls back gives its number back with
// everything else, and the caller has won the order's compare-and-set:
// nothing else consumes a number.
func (s *CommerceStore) number(ctx context.Context, tx *Tx, id int64) error {
	if s.db.Dialect == Postgres {
		return nil
	}
	var num int64
	if err := tx.queryRow(ctx, `UPDATE order_numbers SET last = last + 1 WHERE id = 1 RETURNING last`).Scan(&num); err != nil {
		return fmt.Errorf("next order number: %w", err)
	}
	_, err := tx.exec(ctx, `UPDATE orders SET number = ? WHERE id = ?`, num, id)
	return err
}

// orderQty reads an order's quantities per variant (deleted variants left out).
func (s *CommerceStore) orderQty(ctx context.Context, tx *Tx, id int64) ([]qty, error) {
	rows, err := tx.query(ctx, `SELECT variant_id, quantity FROM order_items WHERE order_id = ? AND variant_id IS NOT NULL`, id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var items []order.Item
	for rows.Next() {
		var it order.Item
		if err := rows.Scan(&it.VariantID, &it.Quantity); err != nil {
			return nil, err
		}
		items = append(items, it)
	}
	return byVariant(items), rows.Err()
}

// giveBack returns an order's units to stock with one ledger row each, and
// the discount use. Locks: discount, then variants in id order (as Reserve).
func (s *CommerceStore) giveBack(ctx context.Context, tx *Tx, id int64, kind, actor string) error {
	if _, err := tx.exec(ctx, `UPDATE discounts SET used = used - 1 WHERE used > 0 AND id = (SELECT discount_id FROM orders WHERE id = ?)`, id); err != nil {
		return err
	}
	qs, err := s.orderQty(ctx, tx, id)
	if err != nil {
		return err
	}
	for _, q := range qs {
		if _, err := tx.exec(ctx, `UPDATE variants SET stock = stock + ? WHERE id = ?`, q.n, q.variant); err != nil {
			return err
		}
		if err := s.ledger(ctx, tx, q.variant, q.n, kind, "", id, actor); err != nil {
			return err
		}
	}
	return nil
}

func (s *CommerceStore) Release(ctx context.Context, id int64, paymentStatus, code, msg, actor string) (bool, error) {
	var won bool
	var outcomeDay time.Time
	err := s.db.InTx(ctx, func(tx *Tx) error {
		now := s.db.timeArg(time.Now().UTC())
		var err error
		won, err = changed(tx.exec(ctx, `UPDATE orders SET status = 'cancelled', payment_status = ?, decline_code = ?, decline_message = ?, updated_at = ?
WHERE id = ? AND status = 'pending_payment'`, paymentStatus, code, msg, now, id))
		if err != nil || !won {
			return err
		}
		if _, err := tx.exec(ctx, `UPDATE carts SET status = 'open', order_id = NULL, updated_at = ? WHERE id = (SELECT cart_id FROM orders WHERE id = ?) AND status = 'checkout'`, now, id); err != nil {
			return err
		}
		if err := s.giveBack(ctx, tx, id, inventory.Release, actor); err != nil {
			return err
		}
		if err := s.event(ctx, tx, id, order.PendingPayment, order.Cancelled, actor, code); err != nil {
			return err
		}
		f, err := s.facts(ctx, tx, id)
		if err != nil {
			return err
		}
		outcomeDay = f.created
		return nil
	})
	if err != nil {
		return false, err
	}
	if won {
		s.db.countDaily(ctx, kpi.DayOf(outcomeDay), releaseOutcome(paymentStatus, code))
	}
	return won, nil
}

func (s *CommerceStore) SetPayment(ctx context.Context, id int64, from []string, to string) (bool, error) {
	args := []any{to, s.db.timeArg(time.Now().UTC()), id}
	for _, f := range from {
		args = append(args, f)
	}
	return changed(s.exec(ctx, `UPDATE orders SET payment_status = ?, updated_at = ? WHERE id = ? AND payment_status IN (`+placeholders(len(from))+`)`, args...))
}

func statusArgs(from []order.Status) []any {
	out := make([]any, len(from))
	for i, f := range from {
		out[i] = string(f)
	}
	return out
}

func (s *CommerceStore) Transition(ctx context.Context, id int64, from []order.Status, to order.Status, actor, note, tracking string) (bool, error) {
	var won bool
	err := s.db.InTx(ctx, func(tx *Tx) error {
		var prev string
		err := tx.queryRow(ctx, `SELECT status FROM orders WHERE id = ?`, id).Scan(&prev)
		if errors.Is(err, sql.ErrNoRows) {
			return ocean.Errorf(ocean.ENOTFOUND, "There is no such order.")
		}
		if err != nil {
			return err
		}
		args := append([]any{string(to), tracking, tracking, s.db.timeArg(time.Now().UTC()), id, prev}, statusArgs(from)...)
		won, err = changed(tx.exec(ctx, `UPDATE orders SET status = ?, tracking_number = CASE WHEN ? = '' THEN tracking_number ELSE ? END, updated_at = ?
WHERE id = ? AND status = ? AND status IN (`+placeholders(len(from))+`)`, args...))
		if err != nil || !won {
			return err
		}
		if tracking != "" && note == "" {
			note = "tracking " + tracking
		}
		if err := s.event(ctx, tx, id, order.Status(prev), to, actor, note); err != nil {
			return err
		}
		if (order.Status(prev) == order.Cancelled) == (to == order.Cancelled) {
			return nil
		}
		// Into or out of cancelled: the order leaves or rejoins the takings.
		f, err := s.facts(ctx, tx, id)
		if err != nil {
			return err
		}
		sign := int64(1)
		if to == order.Cancelled {
			sign = -1
		}
		return s.countSale(ctx, tx, id, f, sign)
	})
	return won, err
}

func (s *CommerceStore) CancelPaid(ctx context.Context, id int64, actor string, restock bool) (bool, error) {
	var won bool
	err := s.db.InTx(ctx, func(tx *Tx) error {
		var err error
		won, err = changed(tx.exec(ctx, `UPDATE orders SET status = 'cancelled', updated_at = ? WHERE id = ? AND status = 'paid'`, s.db.timeArg(time.Now().UTC()), id))
		if err != nil || !won {
			return err
		}
		note := "not restocked"
		if restock {
			note = ""
			if err := s.giveBack(ctx, tx, id, inventory.Cancel, actor); err != nil {
				return err
			}
		} else if _, err := tx.exec(ctx, `UPDATE discounts SET used = used - 1 WHERE used > 0 AND id = (SELECT discount_id FROM orders WHERE id = ?)`, id); err != nil {
			return err
		}
		if err := s.event(ctx, tx, id, order.Paid, order.Cancelled, actor, note); err != nil {
			return err
		}
		f, err := s.facts(ctx, tx, id)
		if err != nil {
			return err
		}
		return s.countSale(ctx, tx, id, f, -1)
	})
	return won, err
}

func (s *CommerceStore) Restock(ctx context.Context, id int64, lines []checkout.RestockLine, actor string) error {
	return s.db.InTx(ctx, func(tx *Tx) error {
		ordered, err := s.orderQty(ctx, tx, id)
		if err != nil {
			return err
		}
		left := map[int64]int{}
		for _, q := range ordered {
			left[q.variant] = q.n
		}
		rows, err := tx.query(ctx, `SELECT variant_id, SUM(delta) FROM stock_ledger WHERE order_id = ? AND kind IN (?, ?) GROUP BY variant_id`, id, inventory.Restock, inventory.Cancel)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var v int64
			var n int
			if err := rows.Scan(&v, &n); err != nil {
				return err
			}
			left[v] -= n
		}
		if err := rows.Err(); err != nil {
			return err
		}
		want := map[int64]int{}
		for _, l := range lines {
			want[l.VariantID] += l.Quantity
		}
		if lines == nil {
			for v, n := range left {
				if n > 0 {
					want[v] = n
				}
			}
		}
		var items []order.Item
		for v, n := range want {
			if n <= 0 || n > left[v] {
				return &ocean.Error{Code: ocean.EUNPROCESSABLE, Message: fmt.Sprintf("At most %d units of that item can go back in stock.", max(left[v], 0)),
					Fields: []ocean.FieldError{{Field: "restock_items", Message: "more units than the order has left to restock"}}}
			}
			items = append(items, order.Item{VariantID: v, Quantity: n})
		}
		for _, q := range byVariant(items) {
			ok, err := changed(tx.exec(ctx, `UPDATE variants SET stock = stock + ? WHERE id = ?`, q.n, q.variant))
			if err != nil {
				return err
			}
			if !ok {
				return &ocean.Error{Code: ocean.EUNPROCESSABLE, Message: "That item no longer exists, so it cannot go back in stock.",
					Fields: []ocean.FieldError{{Field: "restock_items", Message: "the variant was deleted"}}}
			}
			if err := s.ledger(ctx, tx, q.variant, q.n, inventory.Restock, "", id, actor); err != nil {
				return err
			}
		}
		return nil
	})
}

func (s *CommerceStore) AddRefund(ctx context.Context, r checkout.RefundChange) (bool, error) {
	var won bool
	err := s.db.InTx(ctx, func(tx *Tx) error {
		var n int
		if err := tx.queryRow(ctx, `SELECT COUNT(*) FROM refunds WHERE reference = ?`, r.Reference).Scan(&n); err != nil || n > 0 {
			return err
		}
		now := s.db.timeArg(time.Now().UTC())
		var err error
		won, err = changed(tx.exec(ctx, `UPDATE orders SET refunded = refunded + ?, status = ?, updated_at = ? WHERE id = ? AND status = ? AND refunded = ? AND refunded + ? <= total`,
			r.Amount, string(r.To), now, r.OrderID, string(r.From), r.Refunded, r.Amount))
		if err != nil || !won {
			return err
		}
		if _, err := tx.exec(ctx, `INSERT INTO refunds (order_id, amount, reference, actor, created_at) VALUES (?, ?, ?, ?, ?)`,
			r.OrderID, r.Amount, r.Reference, r.Actor, now); err != nil {
			return err
		}
		if r.To != r.From {
			if err := s.event(ctx, tx, r.OrderID, r.From, r.To, r.Actor, fmt.Sprintf("refund %d", r.Amount)); err != nil {
				return err
			}
		}
		f, err := s.facts(ctx, tx, r.OrderID)
		if err != nil {
			return err
		}
		return s.countRefund(ctx, tx, f, r.Amount)
	})
	return won, err
}

func (s *CommerceStore) UndoRefund(ctx context.Context, id int64, reference string, restore order.Status) error {
	return s.db.InTx(ctx, func(tx *Tx) error {
		var amount int64
		err := tx.queryRow(ctx, `SELECT amount FROM refunds WHERE order_id = ? AND reference = ?`, id, reference).Scan(&amount)
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		if err != nil {
			return err
		}
		if _, err := tx.exec(ctx, `DELETE FROM refunds WHERE order_id = ? AND reference = ?`, id, reference); err != nil {
			return err
		}
		before, err := s.facts(ctx, tx, id)
		if err != nil {
			return err
		}
		if _, err = tx.exec(ctx, `UPDATE orders SET refunded = refunded - ?, status = ?, updated_at = ? WHERE id = ?`,
			amount, string(restore), s.db.timeArg(time.Now().UTC()), id); err != nil {
			return err
		}
		after, err := s.facts(ctx, tx, id)
		if err != nil {
			return err
		}
		return s.recount(ctx, tx, id, before, after, -amount)
	})
}

func (s *CommerceStore) orderWhere(ctx context.Context, where string, args ...any) (*order.Order, error) {
	o, err := scanOrder(s.db.queryRow(ctx, `SELECT `+orderCols+` FROM orders WHERE `+where, args...))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ocean.Errorf(ocean.ENOTFOUND, "There is no such order.")
	}
	if err != nil {
		return nil, err
	}
	if err := s.items(ctx, []*order.Order{o}); err != nil {
		return nil, err
	}
	return o, nil
}

func (s *CommerceStore) items(ctx context.Context, os []*order.Order) error {
	if len(os) == 0 {
		return nil
	}
	byID := map[int64]*order.Order{}
	args := make([]any, len(os))
	for i, o := range os {
		byID[o.ID] = o
		args[i] = o.ID
	}
	rows, err := s.db.query(ctx, `SELECT order_id, variant_id, product_name, product_slug, sku, options, unit_price, quantity, line_total
FROM order_items WHERE order_id IN (`+placeholders(len(os))+`) ORDER BY id`, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var oid int64
		var vid sql.NullInt64
		var it order.Item
		var opts string
		if err := rows.Scan(&oid, &vid, &it.ProductName, &it.ProductSlug, &it.SKU, &opts, &it.UnitPrice.Amount, &it.Quantity, &it.LineTotal.Amount); err != nil {
			return err
		}
		o := byID[oid]
		it.VariantID = vid.Int64
		it.UnitPrice.Currency, it.LineTotal.Currency = o.Totals.Total.Currency, o.Totals.Total.Currency
		_ = json.Unmarshal([]byte(opts), &it.Options)
		o.Items = append(o.Items, it)
	}
	return rows.Err()
}

func (s *CommerceStore) Order(ctx context.Context, id int64) (*order.Order, error) {
	return s.orderWhere(ctx, "id = ?", id)
}
func (s *CommerceStore) OrderByPublicID(ctx context.Context, pid string) (*order.Order, error) {
	return s.orderWhere(ctx, "public_id = ?", pid)
}
func (s *CommerceStore) OrderByNumber(ctx context.Context, n int64) (*order.Order, error) {
	return s.orderWhere(ctx, "number = ?", n)
}
func (s *CommerceStore) OrderByKey(ctx context.Context, cartID, key string) (*order.Order, error) {
	return s.orderWhere(ctx, "cart_id = ? AND idempotency_key = ?", cartID, key)
}
func (s *CommerceStore) OrderByPaymentRef(ctx context.Context, ref string) (*order.Order, error) {
	return s.orderWhere(ctx, "payment_ref = ?", ref)
}
func (s *CommerceStore) OrderByPaymentID(ctx context.Context, pid string) (*order.Order, error) {
	if pid == "" {
		return nil, ocean.Errorf(ocean.ENOTFOUND, "There is no such order.")
	}
	return s.orderWhere(ctx, "payment_id = ?", pid)
}

func (s *CommerceStore) orderList(ctx context.Context, q string, args ...any) ([]order.Order, error) {
	rows, err := s.db.query(ctx, `SELECT `+orderCols+` FROM orders WHERE `+q, args...)
	if err != nil {
		return nil, err
	}
	out, err := scanOrders(rows) // closes rows before s.items queries again
	if err != nil {
		return nil, err
	}
	if err := s.items(ctx, out); err != nil {
		return nil, err
	}
	list := make([]order.Order, len(out))
	for i, o := range out {
		list[i] = *o
	}
	return list, nil
}

// scanOrders reads every row of rows and closes it.
func scanOrders(rows *sql.Rows) ([]*order.Order, error) {
	defer rows.Close()
	var out []*order.Order
	for rows.Next() {
		o, err := scanOrder(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, o)
	}
	return out, rows.Err()
}

func (s *CommerceStore) Orders(ctx context.Context, f order.Filter) ([]order.Order, error) {
	var conds []string
	var args []any
	if f.UserID != 0 {
		conds, args = append(conds, "user_id = ?"), append(args, f.UserID)
	}
	if f.Status != "" {
		conds, args = append(conds, "status = ?"), append(args, string(f.Status))
	}
	if f.Before > 0 {
		conds, args = append(conds, "id < ?"), append(args, f.Before)
	}
	if f.Placed {
		conds = append(conds, placedOrder)
	}
	conds = append(conds, "1 = 1")
	return s.orderList(ctx, strings.Join(conds, " AND ")+` ORDER BY id DESC LIMIT ?`, append(args, f.Limit)...)
}

func (s *CommerceStore) Events(ctx context.Context, id int64) ([]order.Event, error) {
	rows, err := s.db.query(ctx, `SELECT from_status, to_status, actor, note, created_at FROM order_events WHERE order_id = ? ORDER BY id`, id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []order.Event
	for rows.Next() {
		var e order.Event
		var at timeValue
		if err := rows.Scan(&e.From, &e.To, &e.Actor, &e.Note, &at); err != nil {
			return nil, err
		}
		e.CreatedAt = at.t
		out = append(out, e)
	}
	return out, rows.Err()
}

func (s *CommerceStore) Refunds(ctx context.Context, id int64) ([]order.Refund, error) {
	rows, err := s.db.query(ctx, `SELECT r.amount, o.currency, r.reference, r.actor, r.created_at FROM refunds r JOIN orders o ON o.id = r.order_id WHERE r.order_id = ? ORDER BY r.id`, id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []order.Refund
	for rows.Next() {
		var r order.Refund
		var at timeValue
		if err := rows.Scan(&r.Amount.Amount, &r.Amount.Currency, &r.Reference, &r.Actor, &at); err != nil {
			return nil, err
		}
		r.CreatedAt = at.t
		out = append(out, r)
	}
	return out, rows.Err()
}

func (s *CommerceStore) CountByStatus(ctx context.Context) (map[order.Status]int, error) {
	rows, err := s.db.query(ctx, `SELECT status, COUNT(*) FROM orders WHERE `+placedOrder+` GROUP BY status`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[order.Status]int{}
	for rows.Next() {
		var st string
		var n int
		if err := rows.Scan(&st, &n); err != nil {
			return nil, err
		}
		out[order.Status(st)] = n
	}
	return out, rows.Err()
}

func (s *CommerceStore) Stale(ctx context.Context, before time.Time, limit int) ([]order.Order, error) {
	return s.orderList(ctx, `status = 'pending_payment' AND reserved_until < ? ORDER BY id LIMIT ?`, s.db.timeArg(before), limit)
}

func (s *CommerceStore) Unsettled(ctx context.Context, limit int) ([]order.Order, error) {
	return s.orderList(ctx, `((status IN ('paid', 'fulfilled', 'delivered') AND payment_status = 'authorized')
 OR (status = 'cancelled' AND (payment_status = 'authorized' OR (payment_status = 'captured' AND refunded < total)))) ORDER BY id LIMIT ?`, limit)
}

func (s *CommerceStore) Unanswered(ctx context.Context, since time.Time, limit int) ([]order.Order, error) {
	return s.orderList(ctx, `status = 'cancelled' AND payment_status = 'failed' AND decline_code = 'gateway_unavailable' AND updated_at > ? ORDER BY id LIMIT ?`,
		s.db.timeArg(since), limit)
}

func (s *CommerceStore) FirstWebhook(ctx context.Context, id string) (bool, error) {
	return changed(s.exec(ctx, `INSERT INTO webhook_events (id, created_at) VALUES (?, ?) ON CONFLICT (id) DO NOTHING`, id, s.db.timeArg(time.Now().UTC())))
}

func (s *CommerceStore) ForgetWebhook(ctx context.Context, id string) error {
	_, err := s.exec(ctx, `DELETE FROM webhook_events WHERE id = ?`, id)
	return err
}

func (s *CommerceStore) RecordAttempt(ctx context.Context, a *order.Attempt) error {
	return s.db.InTx(ctx, func(tx *Tx) error { return s.recordAttempt(ctx, tx, a) })
}

func (s *CommerceStore) recordAttempt(ctx context.Context, tx *Tx, a *order.Attempt) error {
	id, err := tx.insertID(ctx, `INSERT INTO payment_attempts (order_id, cart_id, gateway, reference, amount, currency, outcome, decline_code, message, created_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (reference) WHERE outcome = 'succeeded' DO NOTHING`,
		a.OrderID, a.CartID, a.Gateway, a.Reference, a.Amount.Amount, a.Amount.Currency, a.Outcome,
		a.DeclineCode, a.Message, s.db.timeArg(a.CreatedAt))
	if errors.Is(err, sql.ErrNoRows) {
		return nil // this reference's success is on record already
	}
	if err != nil {
		return fmt.Errorf("record payment attempt: %w", err)
	}
	a.ID = id
	return nil
}

func (s *CommerceStore) Attempts(ctx context.Context, orderID int64) ([]order.Attempt, error) {
	rows, err := s.db.query(ctx, `SELECT id, order_id, cart_id, gateway, reference, amount, currency, outcome, decline_code, message, created_at
FROM payment_attempts WHERE cart_id = (SELECT cart_id FROM orders WHERE id = ?) ORDER BY id`, orderID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []order.Attempt{}
	for rows.Next() {
		var a order.Attempt
		var at timeValue
		if err := rows.Scan(&a.ID, &a.OrderID, &a.CartID, &a.Gateway, &a.Reference, &a.Amount.Amount, &a.Amount.Currency, &a.Outcome,
			&a.DeclineCode, &a.Message, &at); err != nil {
			return nil, err
		}
		a.CreatedAt = at.t
		out = append(out, a)
	}
	return out, rows.Err()
}
