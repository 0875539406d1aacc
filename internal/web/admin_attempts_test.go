package web_test

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/oceanshop/ocean/internal/checkout"
	"github.com/oceanshop/ocean/internal/ocean"
)

// TestAdminOrderAttempts: a card declined and then one that paid, on one
// cart, is one order for the admin: listed and counted once, found by its
// number, with both attempts on its page; the stock ledger tells the
// declined checkout's units from the order's.
func TestAdminOrderAttempts(t *testing.T) {
	s := newOffice(t)
	ctx := context.Background()
	_, v := s.product(t, 10, 20000)
	c, err := s.app.Carts.Create(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.app.Carts.Add(ctx, c.ID, 0, v, 1); err != nil {
		t.Fatal(err)
	}
	req := func(key, token string) checkout.Request {
		return checkout.Request{CartID: c.ID, IdempotencyKey: key, Email: "buyer@example.com",
			Address:        ocean.Address{Name: "Thandi Buyer", Line1: "12 Long Street", City: "Cape Town", PostalCode: "8001", Country: "ZA"},
			ShippingMethod: "standard", Gateway: "sandbox", Token: token}
	}
	if _, err := s.app.Checkout.Checkout(ctx, req("attempt-declined-1", "tok_chargeDeclined")); !errors.As(err, new(*checkout.DeclineError)) {
		t.Fatalf("declined checkout: %v", err)
	}
	o, err := s.app.Checkout.Checkout(ctx, req("attempt-paid-1", "tok_visa"))
	if err != nil {
		t.Fatal(err)
	}
	if o.Number() != "OC100001" {
		t.Fatalf("the first paid order is %q: the decline took a number", o.Number())
	}
	boss := s.owner(t)
	list := boss.get("/admin/orders")
	wantPage(t, list, 200, o.Number(), "Paid")
	if n := strings.Count(list.body, `href="/admin/orders/`+o.PublicID+`"`); n != 1 || strings.Contains(list.body, "Cancelled 1") {
		t.Errorf("the list: %d links to the order; a cancelled one listed: %v", n, strings.Contains(list.body, "Cancelled 1"))
	}
	wantPage(t, boss.get("/admin"), 200, "Orders 1")
	// The number from the customer's mail is an address of the order.
	page := boss.get("/admin/orders/" + o.Number())
	wantPage(t, page, 200, "Order "+o.Number(), "Payment attempts", "Declined", "card_declined", "Paid", "sandbox")
	_, attempts, _ := strings.Cut(page.body, `id="attempts-title"`)
	if i, j := strings.Index(attempts, `<th scope="row">Declined</th>`), strings.Index(attempts, `<th scope="row">Paid</th>`); i < 0 || j < i {
		t.Errorf("attempts not both there, oldest first (decline at %d, payment at %d)", i, j)
	}
	// Placed, paid, the attempts and the history all show time one way,
	// the shop's, saying its zone; the machine-readable form is RFC 3339.
	stamps := regexp.MustCompile(`<time datetime="([^"]+)">([^<]+)</time>`).FindAllStringSubmatch(page.body, -1)
	if len(stamps) < 5 {
		t.Errorf("%d times on the order page, want placed, paid, two attempts and the history", len(stamps))
	}
	for _, m := range stamps {
		at, err := time.Parse(time.RFC3339, m[1])
		if err != nil || m[2] != at.UTC().Format("2 Jan 2006 15:04")+" UTC" {
			t.Errorf("<time datetime=%q> shows %q, want the shop's format with its zone", m[1], m[2])
		}
	}
	if v := boss.get("/admin/orders/OC999999"); v.status != 404 {
		t.Errorf("an unknown number: %d", v.status)
	}
	wantPage(t, boss.get(fmt.Sprintf("/admin/inventory/%d", v)), 200, o.Number(), "Checkout not paid")
}
