// Package order is what a shopper bought: the order record, its lines, and
// the state machine every change of status goes through.
package order

import (
	"time"

	"github.com/oceanshop/ocean/internal/ocean"
	"github.com/oceanshop/ocean/internal/pricing"
)

// Status is where an order stands.
type Status string

const (
	PendingPayment    Status = "pending_payment"
	Paid              Status = "paid"
	Fulfilled         Status = "fulfilled"
	Delivered         Status = "delivered"
	Cancelled         Status = "cancelled"
	Refunded          Status = "refunded"
	PartiallyRefunded Status = "partially_refunded"
)

// Statuses lists every status, in lifecycle order.
var Statuses = []Status{PendingPayment, Paid, Fulfilled, Delivered, Cancelled, Refunded, PartiallyRefunded}

// transitions is the state machine: from → the statuses it may move to.
var transitions = map[Status][]Status{
	PendingPayment:    {Paid, Cancelled},
	Paid:              {Fulfilled, Cancelled, Refunded, PartiallyRefunded},
	Fulfilled:         {Delivered, Refunded, PartiallyRefunded},
	Delivered:         {Refunded, PartiallyRefunded},
	PartiallyRefunded: {PartiallyRefunded, Refunded, Fulfilled},
}

// CanMove reports whether an order may go from one status to another.
func CanMove(from, to Status) bool {
	for _, s := range transitions[from] {
		if s == to {
			return true
		}
	}
	return false
}

// Allows is CanMove for this order: a partly refunded order may still be
// shipped, but only if it never was (it has no tracking number), so a
// refund never moves a shipped order back.
func (o *Order) Allows(to Status) bool {
	if o.Status == PartiallyRefunded && to == Fulfilled && o.Tracking != "" {
		return false
	}
	return CanMove(o.Status, to)
}

// From lists the statuses from which an order may move to `to`; stores use
// it in compare-and-set updates (… WHERE status IN (from…)).
func From(to Status) []Status {
	var out []Status
	for _, s := range Statuses {
		if CanMove(s, to) {
			out = append(out, s)
		}
	}
	return out
}

// Valid reports whether s is a known status.
func (s Status) Valid() bool {
	for _, x := range Statuses {
		if x == s {
			return true
		}
	}
	return false
}

// Label is the status in words for people.
func (s Status) Label() string {
	switch s {
	case PendingPayment:
		return "Awaiting payment"
	case Paid:
		return "Paid"
	case Fulfilled:
		return "Shipped"
	case Delivered:
		return "Delivered"
	case Cancelled:
		return "Cancelled"
	case Refunded:
		return "Refunded"
	case PartiallyRefunded:
		return "Partly refunded"
	}
	return string(s)
}

// Item is one line of an order, a snapshot of what was bought at what price.
type Item struct {
	VariantID   int64             `json:"-"`
	ProductName string            `json:"product_name"`
	ProductSlug string            `json:"product_slug"`
	SKU         string            `json:"sku"`
	Options     map[string]string `json:"options"`
	UnitPrice   ocean.Money       `json:"unit_price"`
	Quantity    int               `json:"quantity"`
	LineTotal   ocean.Money       `json:"line_total"`
}

// Payment states of an order's one payment attempt.
const (
	PaymentPending    = "pending"
	PaymentAuthorized = "authorized"
	PaymentCaptured   = "captured"
	PaymentVoided     = "voided"
	PaymentDeclined   = "declined"
	PaymentFailed     = "failed"
)

// Order is a shopper's order.
type Order struct {
	ID             int64
	PublicID       string // the opaque id the API and links use
	IdempotencyKey string
	RequestHash    string
	CartID         string
	UserID         int64 // 0 for guests
	Email          string
	Status         Status
	Totals         pricing.Totals
	Refunded       int64
	DiscountID     int64
	DiscountCode   string
	CustomerKey    string
	ShippingMethod string
	ShippingName   string
	Address        ocean.Address // stored sealed (encrypted) in the database
	Country        string
	Tracking       string
	ReservedUntil  time.Time
	Gateway        string
	PaymentRef     string
	PaymentID      string
	PaymentStatus  string
	Card           string
	DeclineCode    string
	DeclineMessage string
	SealedAddress  string // the address as stored: encrypted
	Items          []Item
	CreatedAt      time.Time
	UpdatedAt      time.Time
	PaidAt         *time.Time
}

// Number is the order number people quote: stable, short, not secret.
func (o *Order) Number() string { return number(o.ID) }

func number(id int64) string {
	const base = 100000
	return "OC" + itoa(base+id)
}

func itoa(n int64) string {
	var b [20]byte
	i := len(b)
	for n > 0 || i == len(b) {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
	}
	return string(b[i:])
}

// Event is one recorded status change.
type Event struct {
	From, To  Status
	Actor     string
	Note      string
	CreatedAt time.Time
}

// Refund is money returned on an order.
type Refund struct {
	Amount    ocean.Money
	Reference string
	Actor     string
	CreatedAt time.Time
}

// Filter selects orders for lists.
type Filter struct {
	UserID int64  // 0: any
	Placed bool   // only orders that were paid at some point (not failed attempts)
	Status Status // "": any
	Limit  int
	Before int64 // cursor: orders with id < Before (newest first); 0 = start
}
