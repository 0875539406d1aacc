package order

import (
	"bytes"
	"encoding/json"
	"slices"
	"testing"
	"time"

	"github.com/oceanshop/ocean/internal/ocean"
)

func TestStateMachine(t *testing.T) {
	legal := map[[2]Status]bool{
		{PendingPayment, Paid}: true, {PendingPayment, Cancelled}: true,
		{Paid, Fulfilled}: true, {Paid, Cancelled}: true, {Paid, Refunded}: true, {Paid, PartiallyRefunded}: true,
		{Fulfilled, Delivered}: true, {Fulfilled, Refunded}: true, {Fulfilled, PartiallyRefunded}: true,
		{Delivered, Refunded}: true, {Delivered, PartiallyRefunded}: true,
		{PartiallyRefunded, PartiallyRefunded}: true, {PartiallyRefunded, Refunded}: true,
		{PartiallyRefunded, Fulfilled}: true,
	}
	for _, from := range Statuses {
		for _, to := range Statuses {
			if got := CanMove(from, to); got != legal[[2]Status{from, to}] {
				t.Errorf("%s → %s: %v", from, to, got)
			}
		}
	}
	// Terminal states go nowhere; nothing goes back to pending_payment.
	for _, s := range Statuses {
		if CanMove(Cancelled, s) || CanMove(Refunded, s) || CanMove(s, PendingPayment) {
			t.Errorf("%s escapes a terminal state or returns to pending", s)
		}
	}
	if got := From(Cancelled); len(got) != 2 {
		t.Errorf("From(cancelled) = %v", got)
	}
	if Status("lost").Valid() || !Paid.Valid() {
		t.Error("Valid")
	}
	// A partly refunded order ships only if it never shipped.
	if !(&Order{Status: PartiallyRefunded}).Allows(Fulfilled) || (&Order{Status: PartiallyRefunded, Tracking: "ZA1"}).Allows(Fulfilled) {
		t.Error("partly refunded orders: ship only when not shipped")
	}
}

// TestAllowsEveryPair walks the whole matrix through Order.Allows, the
// method the services call: the tracking number only ever matters for
// shipping a partly refunded order.
func TestAllowsEveryPair(t *testing.T) {
	for _, from := range Statuses {
		for _, to := range Statuses {
			for _, tracking := range []string{"", "ZA123"} {
				o := &Order{Status: from, Tracking: tracking}
				want := CanMove(from, to) && !(from == PartiallyRefunded && to == Fulfilled && tracking != "")
				if got := o.Allows(to); got != want {
					t.Errorf("%s (tracking %q) → %s: allowed %v, want %v", from, tracking, to, got, want)
				}
			}
		}
	}
	// An unknown status goes nowhere and nothing reaches it.
	for _, s := range Statuses {
		if CanMove("lost", s) || CanMove(s, "lost") {
			t.Errorf("unknown status moves with %s", s)
		}
	}
}

// TestFrom lists, for each target, exactly the statuses a compare-and-set
// may start from, in lifecycle order.
func TestFrom(t *testing.T) {
	want := map[Status][]Status{
		PendingPayment:    nil,
		Paid:              {PendingPayment},
		Fulfilled:         {Paid, PartiallyRefunded},
		Delivered:         {Fulfilled},
		Cancelled:         {PendingPayment, Paid},
		Refunded:          {Paid, Fulfilled, Delivered, PartiallyRefunded},
		PartiallyRefunded: {Paid, Fulfilled, Delivered, PartiallyRefunded},
	}
	for _, to := range Statuses {
		if got := From(to); !slices.Equal(got, want[to]) {
			t.Errorf("From(%s) = %v, want %v", to, got, want[to])
		}
	}
}

// TestLabels are the words people read on order pages: every status has
// its own, and an unknown one shows as it is rather than as nothing.
func TestLabels(t *testing.T) {
	want := map[Status]string{
		PendingPayment: "Awaiting payment", Paid: "Paid", Fulfilled: "Shipped", Delivered: "Delivered",
		Cancelled: "Cancelled", Refunded: "Refunded", PartiallyRefunded: "Partly refunded",
	}
	seen := map[string]bool{}
	for _, s := range Statuses {
		if got := s.Label(); got != want[s] {
			t.Errorf("%s label = %q, want %q", s, got, want[s])
		}
		seen[s.Label()] = true
	}
	if len(seen) != len(Statuses) {
		t.Error("two statuses share a label")
	}
	if got := Status("on_hold").Label(); got != "on_hold" {
		t.Errorf("unknown status label = %q", got)
	}
}

// TestNumbers: the number is the stored one, not derived from the row id,
// and a checkout never paid has none.
func TestNumbers(t *testing.T) {
	for n, want := range map[int64]string{0: "", -1: "", 100001: "OC100001", 999999: "OC999999", 1000000: "OC1000000"} {
		o := &Order{ID: 7, Num: n}
		if got := o.Number(); got != want {
			t.Errorf("order with number %d = %q, want %q", n, got, want)
		}
		if o.Placed() != (want != "") {
			t.Errorf("order with number %d placed = %v", n, o.Placed())
		}
	}
	for in, want := range map[string]int64{"OC100042": 100042, "oc100042": 100042, "100042": 100042, "OC": 0, "": 0, "OC0": 0,
		"OC12x": 0, "XC100": 0, "OC1234567890123456789": 0, "-5": 0} {
		n, ok := ParseNumber(in)
		if n != want || ok != (want != 0) {
			t.Errorf("ParseNumber(%q) = %d, %v; want %d", in, n, ok, want)
		}
	}
}

// TestExport is what a shopper's "download my data" shows of an order:
// what was bought, where it went and how it was paid, and none of the
// shop's internal references (payment ids, idempotency keys, the sealed
// address, the cart).
func TestExport(t *testing.T) {
	paid := time.Date(2026, 11, 2, 10, 0, 0, 0, time.UTC)
	o := &Order{ID: 7, Num: 100042, PublicID: "pub-secret", IdempotencyKey: "key-secret", RequestHash: "hash-secret", CartID: "cart-secret",
		Email: "ann@example.com", Status: Fulfilled, Refunded: 500, DiscountCode: "WELCOME10", CustomerKey: "email:ann-secret",
		ShippingMethod: "standard", Address: ocean.Address{Name: "Ann", Line1: "1 Long St", City: "Cape Town", PostalCode: "8001", Country: "ZA"},
		Tracking: "ZA123", PaymentRef: "ref-secret", PaymentID: "pi-secret", Card: "Visa ending 4242", SealedAddress: "sealed-secret",
		Items: []Item{{VariantID: 7, ProductName: "Tee", SKU: "TEE-S", Quantity: 1}}, PaidAt: &paid}
	e := o.Export()
	if e.Number != "OC100042" || e.Status != Fulfilled || e.Address.City != "Cape Town" || e.Card != "Visa ending 4242" ||
		e.Tracking != "ZA123" || e.Refunded != 500 || e.PaidAt == nil || !e.PaidAt.Equal(paid) || len(e.Items) != 1 {
		t.Fatalf("export = %+v", e)
	}
	b, err := json.Marshal(e)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(b, []byte("secret")) {
		t.Fatalf("export shows internal references: %s", b)
	}
	for _, k := range []string{`"number":"OC100042"`, `"shipping_address":{`, `"tracking_number":"ZA123"`, `"discount_code":"WELCOME10"`} {
		if !bytes.Contains(b, []byte(k)) {
			t.Errorf("export lacks %s: %s", k, b)
		}
	}
}

func TestAttemptLabels(t *testing.T) {
	for outcome, want := range map[string]string{AttemptSucceeded: "Paid", AttemptDeclined: "Declined", AttemptFailed: "Gateway error",
		AttemptTimedOut: "No answer in time", "other": "other"} {
		if got := (Attempt{Outcome: outcome}).OutcomeLabel(); got != want {
			t.Errorf("%s: %q, want %q", outcome, got, want)
		}
	}
}
