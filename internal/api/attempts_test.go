package api_test

import (
	"testing"
)

// TestDeclinedThenPaidIsOneOrder: a card declined and then another paid
// on the same cart is one order, numbered next after the last paid one
// (the decline burns no number), whose staff view lists both attempts;
// the admin's list has no declined order, and the declined request
// replayed with its key still answers the decline.
func TestDeclinedThenPaidIsOneOrder(t *testing.T) {
	s := newShop(t)
	adm := bearer(s.admin)
	first := s.want(s.do("GET", "/api/v1/admin/orders/"+s.order(), "", adm...), 200, "")
	if first.str("number") != "OC100001" {
		t.Fatalf("first order of a new shop: %s", first.raw)
	}
	cid := s.cart(1)
	path := "/api/v1/carts/" + cid + "/checkout"
	declinedKey := newKey()
	s.want(s.do("POST", path, checkoutBody("tok_chargeDeclined"), "Idempotency-Key", declinedKey), 402, "declined")
	paid := s.want(s.do("POST", path, checkoutBody("tok_visa"), "Idempotency-Key", newKey()), 201, "")
	if paid.str("number") != "OC100002" || paid.str("status") != "paid" {
		t.Fatalf("paid after a decline: %s", paid.raw)
	}
	// The retried declined request answers as it did, and changes nothing.
	if r := s.want(s.do("POST", path, checkoutBody("tok_chargeDeclined"), "Idempotency-Key", declinedKey), 402, "declined"); r.str("type") != "/problems/payment-declined/card-declined" {
		t.Fatal(r.raw)
	}
	r := s.want(s.do("GET", "/api/v1/admin/orders/"+paid.str("id"), "", adm...), 200, "")
	as, _ := r.body["payment_attempts"].([]any)
	if len(as) != 2 || r.str("number") != "OC100002" {
		t.Fatalf("attempts: %s", r.raw)
	}
	for i, want := range []struct{ outcome, code string }{{"declined", "card_declined"}, {"succeeded", ""}} {
		a := as[i].(map[string]any)
		code, _ := a["decline_code"].(string)
		if a["outcome"] != want.outcome || code != want.code || a["gateway"] != "sandbox" || a["created_at"] == "" ||
			a["amount"].(map[string]any)["amount"] != paid.body["totals"].(map[string]any)["total"].(map[string]any)["amount"] {
			t.Errorf("attempt %d = %v, want %s %s", i, a, want.outcome, want.code)
		}
	}
	// Staff may ask by the number people quote.
	if r := s.want(s.do("GET", "/api/v1/admin/orders/OC100002", "", adm...), 200, ""); r.str("id") != paid.str("id") {
		t.Fatalf("by number: %s", r.raw)
	}
	s.want(s.do("GET", "/api/v1/admin/orders/OC100003", "", adm...), 404, "")
	// The shopper's view of the order has no attempts (staff only).
	if r := s.want(s.do("GET", "/api/v1/orders/"+paid.str("id"), ""), 200, ""); r.body["payment_attempts"] != nil {
		t.Errorf("the shopper sees the attempts: %s", r.raw)
	}
	// The admin's list: two orders, neither of them the decline.
	list := s.want(s.do("GET", "/api/v1/admin/orders", "", adm...), 200, "")
	if items := list.items(); len(items) != 2 || items[0].(map[string]any)["number"] != "OC100002" || items[1].(map[string]any)["number"] != "OC100001" {
		t.Fatalf("admin list: %s", list.raw)
	}
	if c := s.want(s.do("GET", "/api/v1/admin/orders?status=cancelled", "", adm...), 200, ""); len(c.items()) != 0 {
		t.Fatalf("a declined checkout is listed as a cancelled order: %s", c.raw)
	}
}
