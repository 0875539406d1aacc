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
	// Num is the order number's digits (OC100042 is 100042): given when
	// the order is paid, from a counter that moves in the same
	// transaction, so paid orders are numbered without gaps. 0 until
	// then: a checkout whose payment never went through has no number.
	Num            int64
	DeclineCode    string
	DeclineMessage string
	SealedAddress  string // the address as stored: encrypted
	Items          []Item
	CreatedAt      time.Time
	UpdatedAt      time.Time
	PaidAt         *time.Time
}

// Number is the order number people quote: stable, short, not secret;
// "" for a checkout that was never paid (it is not an order).
func (o *Order) Number() string { return FormatNumber(o.Num) }

// Placed reports whether the checkout became an order: it was paid at some
// point, so it has a number (it may have been cancelled or refunded since).
func (o *Order) Placed() bool { return o.Num > 0 }

// FormatNumber writes an order number's digits as people quote them
// (100042 → "OC100042"); 0 is "".
func FormatNumber(n int64) string {
	if n <= 0 {
		return ""
	}
	return "OC" + itoa(n)
}

// ParseNumber reads an order number as people quote it ("OC100042",
// "oc100042" or "100042") back into its digits; ok is false for anything
// else.
func ParseNumber(s string) (n int64, ok bool) {
	if len(s) > 2 && (s[0] == 'O' || s[0] == 'o') && (s[1] == 'C' || s[1] == 'c') {
		s = s[2:]
	}
	if s == "" || len(s) > 18 {
		return 0, false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
		n = n*10 + int64(s[i]-'0')
	}
	return n, n > 0
}

// Outcomes of a payment attempt.
const (
	AttemptSucceeded = "succeeded" // the gateway authorized the amount
	AttemptDeclined  = "declined"  // the card or the gateway refused
	AttemptFailed    = "failed"    // the gateway answered with an error, or not at all
	AttemptTimedOut  = "timed_out" // the gateway did not answer in time
)

// Attempt is one authorization asked of a payment gateway for a checkout,
// whatever came of it. A checkout that was declined twice and then paid
// has three; they belong to the cart being checked out, so the order that
// was finally paid shows all of them.
type Attempt struct {
	ID          int64
	OrderID     int64  // the checkout (order row) the attempt paid for
	CartID      string // the cart being checked out: what links the attempts
	Gateway     string
	Reference   string // the payment reference sent to the gateway
	Amount      ocean.Money
	Outcome     string // Attempt…
	DeclineCode string // the gateway's code when declined or failed
	Message     string
	CreatedAt   time.Time
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

// OutcomeLabel is the attempt's outcome in words for people.
func (a Attempt) OutcomeLabel() string {
	switch a.Outcome {
	case AttemptSucceeded:
		return "Paid"
	case AttemptDeclined:
		return "Declined"
	case AttemptFailed:
		return "Gateway error"
	case AttemptTimedOut:
		return "No answer in time"
	}
	return a.Outcome
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
