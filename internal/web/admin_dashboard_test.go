package web_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/oceanshop/ocean/internal/checkout"
	"github.com/oceanshop/ocean/internal/ocean"
)

// TestDashboard drives a day of a shop (visits, two sales, a declined
// card, a refund) and reads it back from /admin as the owner sees it.
func TestDashboard(t *testing.T) {
	s := newOffice(t)
	ctx := context.Background()
	slugA, a := s.product(t, 10, 10000)
	slugB, b := s.product(t, 3, 5000)

	// Four visits: one browser opening two pages is one visit; a crawler
	// and a prefetch are none.
	for i := range 4 {
		br := s.browser(t)
		if v := br.get("/"); v.status != 200 {
			t.Fatalf("home: %d", v.status)
		}
		if i == 0 {
			br.get("/p/" + slugA)
		}
	}
	bot := s.browser(t)
	req, _ := http.NewRequest("GET", s.srv.URL+"/", nil)
	req.Header.Set("User-Agent", "Mozilla/5.0 (compatible; Googlebot/2.1)")
	bot.do(req)
	req, _ = http.NewRequest("GET", s.srv.URL+"/p/"+slugB, nil)
	req.Header.Set("Sec-Purpose", "prefetch")
	bot.do(req)

	o1 := s.buy(t, a, 2)
	o2 := s.buy(t, b, 1) // leaves 2 of B: low stock
	// A declined card: a payment attempt that failed, a cart left.
	c, err := s.app.Carts.Create(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.app.Carts.Add(ctx, c.ID, 0, a, 1); err != nil {
		t.Fatal(err)
	}
	if _, err := s.app.Checkout.Checkout(ctx, checkout.Request{CartID: c.ID, IdempotencyKey: "dash-declined-1", Email: "d@example.com",
		Address:        ocean.Address{Name: "Dee Clined", Line1: "1 Main Road", City: "Durban", PostalCode: "4001", Country: "ZA"},
		ShippingMethod: "standard", Gateway: "sandbox", Token: "tok_chargeDeclined"}); !errors.As(err, new(*checkout.DeclineError)) {
		t.Fatalf("declined checkout: %v", err)
	}
	if _, err := s.app.Checkout.Refund(ctx, o1.PublicID, 1000, "", "admin:1"); err != nil {
		t.Fatal(err)
	}
	revenue := ocean.Money{Amount: o1.Totals.Total.Amount + o2.Totals.Total.Amount - 1000, Currency: "ZAR"}
	aov := ocean.Money{Amount: (revenue.Amount + 1) / 2, Currency: "ZAR"}

	boss := s.owner(t)
	v := boss.get("/admin?period=today")
	wantPage(t, v, 200, "Today", "Revenue "+revenue.String(), "new", "Before: R0.00",
		"Orders 2", "Average order value "+aov.String(),
		"Conversion 50.00%", "2 orders from 4 visits",
		"Cart abandonment 33.3%", "3 carts with items, 2 paid checkouts",
		"Payment success 66.7%", "2 payments of 3 answered",
		"3 payment attempts: 2 paid, 1 declined, 0 gateway errors",
		"Top products by revenue", "Office thing 1", "Office thing 2", "Low stock", "OT-2",
		"Revenue per day", "Chart as a table", "How these are counted", "UTC")
	for _, want := range []string{
		fmt.Sprintf(`href="/admin/inventory/%d"`, b), // low stock links to the variant's stock page
		`role="img" aria-labelledby="chart-revenue-t chart-revenue-d"`, `<title id="chart-revenue-t">Revenue per day</title>`,
		`href="/admin?period=7d"`, `aria-current="page"><strong>Today</strong>`,
	} {
		if !strings.Contains(v.body, want) {
			t.Errorf("/admin has no %s", want)
		}
	}
	if strings.Contains(v.body, fmt.Sprintf(`href="/admin/inventory/%d"`, a)) {
		t.Error("a variant with 7 in stock is listed as low")
	}
	// Top by revenue: A (2 × 100.00) before B; by units the same here.
	if i, j := strings.Index(v.body, ">Office thing 1<"), strings.Index(v.body, ">Office thing 2<"); i < 0 || j < i {
		t.Error("top products are not in revenue order")
	}
	// The other periods count the same day; a period that does not exist
	// is a 400 page, not a guess.
	for _, p := range []string{"7d", "30d"} {
		wantPage(t, boss.get("/admin?period="+p), 200, "Revenue "+revenue.String(), "Orders 2", "Payment success 66.7%")
	}
	wantPage(t, boss.get("/admin?period=week"), 400, "There is no such period.")

	// Cancelling the second order takes it out of the takings.
	if _, err := s.app.Checkout.Cancel(ctx, o2.PublicID, "admin:1"); err != nil {
		t.Fatal(err)
	}
	after := ocean.Money{Amount: o1.Totals.Total.Amount - 1000, Currency: "ZAR"}
	wantPage(t, boss.get("/admin"), 200, "Revenue "+after.String(), "Orders 1")

	// Nobody else sees it.
	cust := s.browser(t)
	cust.register("ada@example.com", "Ada", pw)
	for who, br := range map[string]*browser{"customer": cust, "signed out": s.browser(t)} {
		if v := br.get("/admin?period=today"); v.status != 404 && v.url.Path != "/account/signin" || strings.Contains(v.body, "Revenue") {
			t.Errorf("%s GET /admin: %d", who, v.status)
		}
	}
}
