package order

import "testing"

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
	if (&Order{ID: 42}).Number() != "OC100042" {
		t.Errorf("number %s", (&Order{ID: 42}).Number())
	}
}
