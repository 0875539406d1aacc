package checkout

import (
	"context"
	"time"

	"github.com/oceanshop/ocean/internal/order"
)

// Store is what the checkout needs from a database. Every method is one
// transaction; the ones that change an order are compare-and-set on its
// status and report whether they won.
type Store interface {
	// Reserve writes the order (pending_payment) and, in the same
	// transaction: moves the cart from open to checkout, counts one use of
	// the discount (refusing with EUNPROCESSABLE past its usage or
	// per-customer limit), and takes every line's units from stock with a
	// conditional update, variants in id order, writing a 'sale' ledger row
	// for each. Short stock is a *StockError (ECONFLICT) and nothing is
	// written. An order with the same idempotency key is ErrDuplicateKey.
	// fences holds the fencing token of each variant's lock when the caller
	// holds them: the update then also requires the variant's stored fence
	// to be older, and lock.ErrFenced says a newer holder wrote first.
	Reserve(ctx context.Context, o *order.Order, perCustomerLimit int, fences map[int64]int64) error
	// MarkPaid moves a pending_payment order to paid with its authorization
	// and the cart to ordered, and gives it the next order number: the
	// counter moves in the same transaction, so paid orders are numbered
	// without gaps however many instances pay at once, and a caller that
	// loses the compare-and-set (or rolls back) consumes no number. A
	// non-nil attempt (the authorization that paid it) is recorded in the
	// same transaction, as RecordAttempt would, whether the caller wins or
	// not: a checkout's payment is one write, not two.
	MarkPaid(ctx context.Context, id int64, paymentID, card, paymentStatus string, at time.Time, a *order.Attempt) (bool, error)
	// Release cancels a pending_payment order whose payment failed or
	// expired: units back to stock ('release' rows), the discount use
	// returned, the cart open again.
	Release(ctx context.Context, id int64, paymentStatus, declineCode, declineMessage, actor string) (bool, error)
	// RecordAttempt writes one authorization asked of a gateway and its
	// outcome (a.ID is set). It is never undone: a declined, failed or
	// timed-out attempt stays on record with its checkout. A reference
	// has at most one succeeded attempt: recording it again changes
	// nothing (a.ID stays 0).
	RecordAttempt(ctx context.Context, a *order.Attempt) error
	// Attempts lists the payment attempts of an order's checkout (every
	// attempt made for the same cart), oldest first; an order paid after
	// two declines has three. Never nil.
	Attempts(ctx context.Context, orderID int64) ([]order.Attempt, error)
	// SetPayment moves the payment status from one of `from` to `to`.
	SetPayment(ctx context.Context, id int64, from []string, to string) (bool, error)
	// Transition moves the order from one of `from` to `to`, setting the
	// tracking number when given.
	Transition(ctx context.Context, id int64, from []order.Status, to order.Status, actor, note, tracking string) (bool, error)
	// CancelPaid cancels a paid order and, with restock, returns its units
	// to stock ('cancel' rows); without, the units stay sold (damaged or
	// lost goods) and no ledger row is written.
	CancelPaid(ctx context.Context, id int64, actor string, restock bool) (bool, error)
	// Restock puts units of an order back on the shelf: one 'restock'
	// ledger row per line, all in one transaction. A line whose variant is
	// not on the order (or no longer exists), or whose quantity is more
	// than the order's units of it less those restocked before, is
	// refused with EUNPROCESSABLE and nothing is written. No lines (nil)
	// means every unit of the order not restocked before.
	Restock(ctx context.Context, id int64, lines []RestockLine, actor string) error
	// AddRefund records a refund and moves the order from r.From to r.To,
	// if the order is still in r.From with r.Refunded refunded and the
	// amount fits in what is left. A reference seen before returns false
	// without changing anything.
	AddRefund(ctx context.Context, r RefundChange) (bool, error)
	// UndoRefund removes a refund the gateway refused and puts the order
	// back in the status it had.
	UndoRefund(ctx context.Context, id int64, reference string, restore order.Status) error

	Order(ctx context.Context, id int64) (*order.Order, error)
	OrderByPublicID(ctx context.Context, publicID string) (*order.Order, error)
	// OrderByNumber finds the order with this number (its digits:
	// 100042 for OC100042); a checkout never paid has none.
	OrderByNumber(ctx context.Context, n int64) (*order.Order, error)
	// OrderByKey finds the order a cart's checkout with this idempotency
	// key made: keys are scoped to their cart.
	OrderByKey(ctx context.Context, cartID, key string) (*order.Order, error)
	OrderByPaymentRef(ctx context.Context, ref string) (*order.Order, error)
	OrderByPaymentID(ctx context.Context, paymentID string) (*order.Order, error)
	// Orders lists orders newest first; f.Placed keeps to the numbered
	// ones (paid at some point).
	Orders(ctx context.Context, f order.Filter) ([]order.Order, error)
	Events(ctx context.Context, id int64) ([]order.Event, error)
	Refunds(ctx context.Context, id int64) ([]order.Refund, error)
	// CountByStatus counts the orders (numbered: paid at some point) per
	// status; a checkout never paid is not counted.
	CountByStatus(ctx context.Context) (map[order.Status]int, error)

	// Stale lists pending_payment orders reserved until before `before`.
	Stale(ctx context.Context, before time.Time, limit int) ([]order.Order, error)
	// Unsettled lists orders whose payment needs a gateway call to match
	// the order: paid but only authorized, or cancelled but not voided or
	// refunded.
	Unsettled(ctx context.Context, limit int) ([]order.Order, error)
	// Unanswered lists orders released after a gateway call whose outcome
	// was unknown ("gateway_unavailable"), changed after since: a late
	// authorization may still turn up at the gateway for them.
	Unanswered(ctx context.Context, since time.Time, limit int) ([]order.Order, error)
	// FirstWebhook records a gateway event id and reports whether it is new.
	FirstWebhook(ctx context.Context, id string) (bool, error)
	// ForgetWebhook removes a recorded event id whose processing failed, so
	// the gateway's redelivery is processed.
	ForgetWebhook(ctx context.Context, id string) error
}

// RefundChange is a refund and the status change it makes, decided by the
// Service from the order as it read it.
// RestockLine is a number of units of one variant of an order put back
// on the shelf.
type RestockLine struct {
	VariantID int64
	Quantity  int
}

type RefundChange struct {
	OrderID   int64
	Amount    int64
	Reference string
	Actor     string
	From, To  order.Status
	Refunded  int64 // what had been refunded when the order was read
}
