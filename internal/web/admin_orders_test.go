package web_test

import (
	"context"
	"fmt"
	"html"
	"io"
	"log/slog"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/oceanshop/ocean/internal/catalog"
	"github.com/oceanshop/ocean/internal/checkout"
	"github.com/oceanshop/ocean/internal/cli"
	"github.com/oceanshop/ocean/internal/config"
	"github.com/oceanshop/ocean/internal/demo"
	"github.com/oceanshop/ocean/internal/ocean"
	"github.com/oceanshop/ocean/internal/order"
	"github.com/oceanshop/ocean/internal/sqlite/sqlitetest"
)

// officeShop is the whole wired shop (cli.App over SQLite, sandbox
// gateway) behind TLS, for the admin's order, inventory and discount pages.
type officeShop struct {
	*accShop
	app *cli.App
	dir string
	cat int64
	n   int
}

const ownerEmail = "owner@example.com"

func openOffice(t *testing.T, dir string, extra map[string]string) *officeShop {
	t.Helper()
	env := map[string]string{"OCEAN_DATA_DIR": dir, "OCEAN_ADMIN_EMAIL": ownerEmail, "OCEAN_ADMIN_PASSWORD": pw, "OCEAN_SEED_DEMO": "false", "OCEAN_RATE_LIMITS": "off"}
	for k, v := range extra {
		env[k] = v
	}
	if env["OCEAN_DATABASE_URL"] == "" {
		sqlitetest.Prepare(t, dir) // migrated once per test binary, not per shop
	}
	cfg, _, err := config.Load(nil, func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	app, err := cli.NewApp(context.Background(), cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewTLSServer(app.Handler)
	t.Cleanup(func() { srv.Close(); app.Close() })
	return &officeShop{accShop: &accShop{srv: srv, svc: app.Accounts, box: app.Mailbox}, app: app, dir: dir}
}

func newOffice(t *testing.T) *officeShop {
	t.Helper()
	s := openOffice(t, t.TempDir(), nil)
	if err := demo.SeedDiscounts(context.Background(), s.app.DB.Commerce()); err != nil {
		t.Fatal(err)
	}
	c := &catalog.Category{Slug: "test-goods", Name: "Test goods"}
	if err := s.app.Catalog.CreateCategory(context.Background(), c); err != nil {
		t.Fatal(err)
	}
	s.cat = c.ID
	return s
}

// product adds a one-variant product and returns its slug and variant id.
func (s *officeShop) product(t *testing.T, stock int, price int64) (string, int64) {
	t.Helper()
	s.n++
	p := &catalog.Product{Slug: fmt.Sprintf("office-thing-%d", s.n), Name: fmt.Sprintf("Office thing %d", s.n), Description: "A test thing.", CategoryID: s.cat,
		Options:  []catalog.Option{{Name: "colour", Values: []string{"Blue"}}},
		Variants: []catalog.Variant{{SKU: fmt.Sprintf("OT-%d", s.n), Options: map[string]string{"colour": "Blue"}, Price: ocean.Money{Amount: price, Currency: "ZAR"}, Stock: stock}}}
	if err := s.app.Catalog.CreateProduct(context.Background(), p); err != nil {
		t.Fatal(err)
	}
	return p.Slug, p.Variants[0].ID
}

// buy checks out quantity units of a variant as a guest with a good card.
func (s *officeShop) buy(t *testing.T, variant int64, quantity int) *order.Order {
	t.Helper()
	ctx := context.Background()
	c, err := s.app.Carts.Create(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.app.Carts.Add(ctx, c.ID, 0, variant, quantity); err != nil {
		t.Fatal(err)
	}
	s.n++
	o, err := s.app.Checkout.Checkout(ctx, checkout.Request{
		CartID: c.ID, IdempotencyKey: fmt.Sprintf("office-buy-%08d", s.n), Email: "buyer@example.com",
		Address:        ocean.Address{Name: "Thandi Buyer", Line1: "12 Long Street", City: "Cape Town", PostalCode: "8001", Country: "ZA"},
		ShippingMethod: "standard", Gateway: "sandbox", Token: "tok_visa",
	})
	if err != nil {
		t.Fatal(err)
	}
	if o.Status != order.Paid {
		t.Fatalf("bought order is %s", o.Status)
	}
	return o
}

func (s *officeShop) order(t *testing.T, id string) *order.Order {
	t.Helper()
	o, err := s.app.Checkout.OrderByID(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return o
}

func (s *officeShop) owner(t *testing.T) *browser {
	t.Helper()
	b := s.browser(t)
	wantAt(t, b.signIn(ownerEmail, pw), "/account")
	return b
}

var (
	reMarkup = regexp.MustCompile(`<[^>]*>`)
	reSpace  = regexp.MustCompile(`\s+`)
)

// wantPage checks a visit's status, the page rules and that its text
// (markup left out) says each of the texts.
func wantPage(t *testing.T, v visit, status int, texts ...string) {
	t.Helper()
	wantHTML(t, v, status)
	text := reSpace.ReplaceAllString(html.UnescapeString(reMarkup.ReplaceAllString(v.body, " ")), " ")
	text = strings.ReplaceAll(text, " .", ".")
	for _, x := range texts {
		if !strings.Contains(text, x) {
			t.Errorf("%s (%d) does not say %q\n%s", v.url, v.status, x, v.body)
		}
	}
}

// offers lists which order actions a page offers.
func offers(body, id string) []string {
	var out []string
	for _, a := range []string{"fulfil", "deliver", "cancel", "refunds"} {
		if strings.Contains(body, `action="/admin/orders/`+id+`/`+a+`"`) {
			out = append(out, a)
		}
	}
	return out
}

var reReference = regexp.MustCompile(`name="reference" value="([^"]+)"`)

func TestBackOfficeIsHiddenFromCustomers(t *testing.T) {
	s := newOffice(t)
	_, v := s.product(t, 5, 10000)
	o := s.buy(t, v, 1)
	cust := s.browser(t)
	cust.register("ada@example.com", "Ada", pw)
	anon := s.browser(t)
	vid := strconv.FormatInt(v, 10)
	for _, p := range []string{"/admin/orders", "/admin/orders?status=paid", "/admin/orders/" + o.PublicID, "/admin/inventory", "/admin/inventory?q=office",
		"/admin/inventory/" + vid, "/admin/inventory/verify", "/admin/discounts"} {
		if v := cust.get(p); v.status != 404 || !strings.Contains(v.body, "find that page") {
			t.Errorf("customer GET %s: %d", p, v.status)
		}
		// Signed out, the page asks to sign in and comes back.
		if v := anon.get(p); v.status != 200 || v.url.Path != "/account/signin" || v.url.Query().Get("next") != p {
			t.Errorf("signed out GET %s: %d at %s", p, v.status, v.url)
		}
	}
	// With a valid token of their own, a customer still cannot act.
	for _, p := range []string{"/admin/orders/" + o.PublicID + "/cancel", "/admin/orders/" + o.PublicID + "/refunds", "/admin/orders/" + o.PublicID + "/fulfil",
		"/admin/inventory/" + vid + "/adjustments", "/admin/discounts"} {
		v := cust.submit("/account", p, url.Values{"confirm": {"yes"}, "amount": {"1.00"}, "tracking": {"X1"}, "delta": {"5"}, "reason": {"r"}, "code": {"FREEBIE"}, "kind": {"percent"}, "value": {"50"}})
		if v.status != 404 {
			t.Errorf("customer POST %s: %d", p, v.status)
		}
	}
	if cur := s.order(t, o.PublicID); cur.Status != order.Paid || cur.Refunded != 0 {
		t.Fatalf("a customer changed the order: %s, refunded %d", cur.Status, cur.Refunded)
	}
	if ds, _ := s.app.Checkout.Discounts(context.Background()); len(ds) > 0 {
		for _, d := range ds {
			if d.Code == "FREEBIE" {
				t.Fatal("a customer created a discount")
			}
		}
	}
	if l, _ := s.app.Inventory.Level(context.Background(), v); l.Stock != 4 {
		t.Fatalf("a customer adjusted stock: %d", l.Stock)
	}
}

func TestBackOfficeNeedsCSRF(t *testing.T) {
	s := newOffice(t)
	_, v := s.product(t, 5, 10000)
	o := s.buy(t, v, 1)
	boss := s.owner(t)
	vid := strconv.FormatInt(v, 10)
	form := url.Values{"confirm": {"yes"}, "amount": {"1.00"}, "tracking": {"X1"}, "delta": {"5"}, "reason": {"count"}, "code": {"NOCSRF"}, "kind": {"percent"}, "value": {"5"}}
	for _, p := range []string{"/admin/orders/" + o.PublicID + "/cancel", "/admin/orders/" + o.PublicID + "/refunds", "/admin/orders/" + o.PublicID + "/fulfil",
		"/admin/orders/" + o.PublicID + "/deliver", "/admin/inventory/" + vid + "/adjustments", "/admin/discounts"} {
		v := boss.post(p, form)
		if v.status != 403 || !strings.Contains(v.body, "This form expired") {
			t.Errorf("POST %s without a token: %d", p, v.status)
		}
		bad := url.Values{"csrf": {"not-the-token"}}
		for k, x := range form {
			bad[k] = x
		}
		if v := boss.post(p, bad); v.status != 403 {
			t.Errorf("POST %s with a wrong token: %d", p, v.status)
		}
		// From another site, even with the right token.
		withTok := url.Values{"csrf": {boss.csrf("/account")}}
		for k, x := range form {
			withTok[k] = x
		}
		if v := boss.post(p, withTok, "Origin", "https://evil.example"); v.status != 403 {
			t.Errorf("cross-site POST %s: %d", p, v.status)
		}
	}
	if cur := s.order(t, o.PublicID); cur.Status != order.Paid || cur.Refunded != 0 || cur.Tracking != "" {
		t.Fatalf("a forged form changed the order: %+v", cur)
	}
	if l, _ := s.app.Inventory.Level(context.Background(), v); l.Stock != 4 {
		t.Fatalf("a forged form adjusted stock: %d", l.Stock)
	}
}

func TestAdminOrderLifecycle(t *testing.T) {
	s := newOffice(t)
	ctx := context.Background()
	_, v := s.product(t, 10, 20000) // R200.00
	o := s.buy(t, v, 1)
	boss := s.owner(t)
	page := "/admin/orders/" + o.PublicID

	// The list shows it; the dashboard counts it.
	wantPage(t, boss.get("/admin"), 200, "Orders 1", "Payment success 100.0%")
	list := boss.get("/admin/orders")
	wantPage(t, list, 200, o.Number(), "buyer@example.com", "Paid", o.Totals.Total.String())
	if !strings.Contains(list.body, `href="/admin/orders/`+o.PublicID+`"`) {
		t.Fatal("the list does not link the order")
	}
	wantPage(t, boss.get("/admin/orders?status=paid"), 200, o.Number())
	if v := boss.get("/admin/orders?status=cancelled"); strings.Contains(v.body, o.Number()) {
		t.Error("a paid order is listed as cancelled")
	}
	if v := boss.get("/admin/orders?status=lost"); v.status != 400 {
		t.Errorf("unknown status filter: %d", v.status)
	}
	if v := boss.get("/admin/orders?before=x"); v.status != 400 {
		t.Errorf("bad cursor: %d", v.status)
	}
	if v := boss.get("/admin/orders/" + strings.Repeat("0", 32)); v.status != 404 {
		t.Errorf("unknown order: %d", v.status)
	}

	// A paid order: ship, refund or cancel; not deliver.
	v0 := boss.get(page)
	wantPage(t, v0, 200, "Order "+o.Number(), "Office thing", "OT-", "12 Long Street", "Cape Town", "captured", "Not shipped yet", "Left to refund")
	if got := strings.Join(offers(v0.body, o.PublicID), ","); got != "fulfil,cancel,refunds" {
		t.Fatalf("a paid order offers %s", got)
	}
	// Forcing what is not offered is refused with the reason, nothing changes.
	v1 := boss.submit(page, page+"/deliver", url.Values{})
	wantRefused(t, v1, "cannot become delivered", "Nothing was changed")
	// Shipping needs a tracking number.
	v1 = boss.submit(page, page+"/fulfil", url.Values{"tracking": {"  "}})
	wantRefused(t, v1, "Enter the tracking number")
	if !strings.Contains(v1.body, `aria-invalid="true"`) {
		t.Error("the tracking field is not marked invalid")
	}
	if cur := s.order(t, o.PublicID); cur.Status != order.Paid {
		t.Fatalf("after refused changes: %s", cur.Status)
	}
	v1 = boss.submit(page, page+"/fulfil", url.Values{"tracking": {"ZA123456789"}})
	wantAt(t, v1, page)
	wantPage(t, v1, 200, "marked shipped", "ZA123456789", "Shipped")
	if got := strings.Join(offers(v1.body, o.PublicID), ","); got != "deliver,refunds" {
		t.Fatalf("a shipped order offers %s", got)
	}
	v1 = boss.submit(page, page+"/cancel", url.Values{"confirm": {"yes"}})
	wantRefused(t, v1, "cannot become cancelled")
	v1 = boss.submit(page, page+"/deliver", url.Values{})
	wantAt(t, v1, page)
	// The history names the staff member, not an account number.
	wantPage(t, v1, 200, "marked delivered", "Delivered", "Shop admin <owner@example.com>")

	// A partial refund, sent twice with the same form: refunded once.
	ref := reReference.FindStringSubmatch(v1.body)
	if ref == nil {
		t.Fatal("no refund reference in the form")
	}
	refund := url.Values{"amount": {"10.00"}, "reference": {html.UnescapeString(ref[1])}}
	for range 2 {
		v1 = boss.submit(page, page+"/refunds", refund)
		wantAt(t, v1, page)
		wantPage(t, v1, 200, "refund was sent", "Partly refunded", "R10.00")
	}
	// The history says the refund in the shop's currency, by whom.
	wantPage(t, v1, 200, "Refund of R10.00", "Payment gateway")
	for _, raw := range []string{"refund 1000", "admin:"} {
		if strings.Contains(v1.body, raw) {
			t.Errorf("the order page shows the raw %q", raw)
		}
	}
	cur := s.order(t, o.PublicID)
	auth, err := s.app.Sandbox.Lookup(ctx, cur.PaymentRef)
	if err != nil {
		t.Fatal(err)
	}
	if cur.Refunded != 1000 || auth.Refunded != 1000 || cur.Status != order.PartiallyRefunded {
		t.Fatalf("after a double submit: order refunded %d (%s), gateway %d", cur.Refunded, cur.Status, auth.Refunded)
	}
	// Too much, not a number, no reference: refused, nothing changes.
	left := cur.Totals.Total.Amount - cur.Refunded
	for _, tc := range []struct {
		form   url.Values
		status int
		says   string
	}{
		{url.Values{"amount": {"100000.00"}}, 303, "A refund must be between"},
		{url.Values{"amount": {"ten"}}, 303, "such as 12.50"},
		{url.Values{"amount": {"1.005"}}, 303, "such as 12.50"},
		{url.Values{"amount": {"-5"}}, 303, "such as 12.50"},
		{url.Values{"amount": {"0"}}, 303, "A refund must be between"},
	} {
		page1 := boss.get(page)
		tc.form.Set("reference", html.UnescapeString(reReference.FindStringSubmatch(page1.body)[1]))
		wantAnswer(t, boss.submit(page, page+"/refunds", tc.form), tc.status, tc.says)
	}
	if v := boss.submit(page, page+"/refunds", url.Values{"amount": {"1.00"}}); !v.refused() || !strings.Contains(v.body, "nothing was refunded") {
		t.Errorf("refund without a reference: %d", v.status)
	}
	if got := s.order(t, o.PublicID).Refunded; got != 1000 {
		t.Fatalf("refused refunds changed the order: refunded %d", got)
	}
	// The rest: fully refunded, and no more actions.
	rest := ocean.Money{Amount: left, Currency: "ZAR"}.String()
	v1 = boss.get(page)
	refund = url.Values{"amount": {strings.TrimPrefix(strings.ReplaceAll(rest, ",", ""), "R")}, "reference": {html.UnescapeString(reReference.FindStringSubmatch(v1.body)[1])}}
	v1 = boss.submit(page, page+"/refunds", refund)
	wantAt(t, v1, page)
	wantPage(t, v1, 200, "Refunded", "No change is possible")
	if got := offers(v1.body, o.PublicID); len(got) != 0 {
		t.Fatalf("a refunded order offers %v", got)
	}
	cur = s.order(t, o.PublicID)
	auth, _ = s.app.Sandbox.Lookup(ctx, cur.PaymentRef)
	if cur.Status != order.Refunded || cur.Refunded != cur.Totals.Total.Amount || auth.Refunded != cur.Totals.Total.Amount {
		t.Fatalf("full refund: %s, refunded %d, gateway %d of %d", cur.Status, cur.Refunded, auth.Refunded, cur.Totals.Total.Amount)
	}
	// Forcing a refund on it now: refused on the page.
	v1 = boss.submit("/account", page+"/refunds", url.Values{"amount": {"1.00"}, "reference": {"web_000000000000000000000000"}})
	wantRefused(t, v1, "A refund must be between", "Nothing was changed")
	// The history lists every change and both refunds.
	for _, x := range []string{"Awaiting payment", "Paid", "Shipped", "Delivered", "Partly refunded", "web_"} {
		if !strings.Contains(v1.body, x) {
			t.Errorf("history lacks %q", x)
		}
	}
}

func TestAdminCancelReturnsStock(t *testing.T) {
	s := newOffice(t)
	slug, v := s.product(t, 5, 5000)
	o := s.buy(t, v, 2)
	boss := s.owner(t)
	page := "/admin/orders/" + o.PublicID
	inv := "/admin/inventory/" + strconv.FormatInt(v, 10)
	wantPage(t, boss.get(inv), 200, "In stock now: 3", "Sold", o.Number())

	// Without the confirmation box: not cancelled.
	v1 := boss.submit(page, page+"/cancel", url.Values{})
	wantRefused(t, v1, "Tick the box")
	if cur := s.order(t, o.PublicID); cur.Status != order.Paid {
		t.Fatalf("cancelled without confirmation: %s", cur.Status)
	}
	v1 = boss.submit(page, page+"/cancel", url.Values{"confirm": {"yes"}})
	wantAt(t, v1, page)
	wantPage(t, v1, 200, "order is cancelled", "Cancelled", "No change is possible")
	wantPage(t, boss.get(inv), 200, "In stock now: 5", "Order cancelled", "+2")
	wantPage(t, boss.get("/admin/inventory?q="+slug), 200, "OT-", "History and adjust")
	wantPage(t, boss.get("/admin/inventory?q=office+thing"), 200, slug)
	wantPage(t, boss.get("/admin/inventory?q=nothing-like-this"), 200, "No product matches")
	if v := boss.get("/admin/inventory?q=" + strconv.FormatInt(v, 10)); v.url.Path != inv {
		t.Errorf("a variant number goes to %s", v.url)
	}
	cur := s.order(t, o.PublicID)
	auth, _ := s.app.Sandbox.Lookup(context.Background(), cur.PaymentRef)
	if auth.Refunded != auth.Amount.Amount {
		t.Fatalf("cancel refunded %d of %d", auth.Refunded, auth.Amount.Amount)
	}
	wantPage(t, boss.get("/admin/orders?status=cancelled"), 200, o.Number())
}

func TestAdminStockAdjust(t *testing.T) {
	s := newOffice(t)
	_, v := s.product(t, 3, 5000)
	boss := s.owner(t)
	inv := "/admin/inventory/" + strconv.FormatInt(v, 10)
	act := inv + "/adjustments"
	for _, tc := range []struct {
		form   url.Values
		status int
		says   string
	}{
		{url.Values{"delta": {"5"}, "reason": {"  "}}, 303, "Say why, in 1-200 characters"},
		{url.Values{"delta": {"0"}, "reason": {"count"}}, 303, "non-zero whole number"},
		{url.Values{"delta": {"-4"}, "reason": {"broken"}}, 303, "cannot go below zero"},
		{url.Values{"delta": {"five"}, "reason": {"count"}}, 303, "Enter a whole number"},
		{url.Values{"delta": {"2000000"}, "reason": {"typo"}}, 303, "between -1000000 and 1000000"},
	} {
		v1 := boss.submit(inv, act, tc.form)
		wantAnswer(t, v1, tc.status, tc.says, "The stock was not changed", "In stock now: 3")
	}
	if l, _ := s.app.Inventory.Level(context.Background(), v); l.Stock != 3 {
		t.Fatalf("refused adjustments changed the stock: %d", l.Stock)
	}
	v1 := boss.submit(inv, act, url.Values{"delta": {"+4"}, "reason": {"found a box in the back"}})
	wantAt(t, v1, inv)
	wantPage(t, v1, 200, "stock was adjusted", "In stock now: 7", "found a box in the back", "Adjustment", "+4", "admin:")
	v1 = boss.submit(inv, act, url.Values{"delta": {"-7"}, "reason": {"stock count"}})
	wantPage(t, v1, 200, "In stock now: 0", "-7")
	if v := boss.get("/admin/inventory/99999999"); v.status != 404 {
		t.Errorf("unknown variant: %d", v.status)
	}
	if v := boss.submit(inv, "/admin/inventory/99999999/adjustments", url.Values{"delta": {"1"}, "reason": {"found"}}); v.status != 404 {
		t.Errorf("adjusting an unknown variant: %d", v.status)
	}
	wantPage(t, boss.get("/admin/inventory/verify"), 200, "variants match their ledger")
	// Drift the database behind the ledger's back: the check names it.
	if _, err := s.app.DB.Write.Exec(`UPDATE variants SET stock = stock + 2 WHERE id = ?`, v); err != nil {
		t.Fatal(err)
	}
	wantPage(t, boss.get("/admin/inventory/verify"), 200, "1 variant differs", "OT-", "+2")
}

func TestAdminDiscounts(t *testing.T) {
	s := newOffice(t)
	boss := s.owner(t)
	wantPage(t, boss.get("/admin/discounts"), 200, "WELCOME10", "New discount code")
	v := boss.submit("/admin/discounts", "/admin/discounts", url.Values{"code": {"x"}, "kind": {"percent"}, "value": {"150"},
		"starts_at": {"2026-03-10"}, "ends_at": {"2026-03-01"}, "usage_limit": {"0"}, "per_customer_limit": {"-1"}})
	wantRefused(t, v, "Code must be 3-32 letters", "A percentage must be between 1 and 100", "Last day (UTC) must not be before the first day", "Uses in total must be at least 1", "Uses per customer must be at least 1")
	if !strings.Contains(v.body, `value="x"`) || !strings.Contains(v.body, `value="150"`) {
		t.Error("the form forgot what was typed")
	}
	v = boss.submit("/admin/discounts", "/admin/discounts", url.Values{"code": {"SPRING"}, "kind": {"fixed"}, "value": {"50,00"}, "min_subtotal": {"lots"}, "starts_at": {"10 March"}})
	wantRefused(t, v, "such as 50.00", "such as 500.00", "YYYY-MM-DD")
	v = boss.submit("/admin/discounts", "/admin/discounts", url.Values{"code": {"SPRING"}, "kind": {"bogus"}})
	wantRefused(t, v, "Kind must be percent, fixed or free_shipping")
	v = boss.submit("/admin/discounts", "/admin/discounts", url.Values{"code": {"spring-25"}, "kind": {"fixed"}, "value": {"25.50"}, "min_subtotal": {"300"},
		"starts_at": {"2026-03-01"}, "ends_at": {"2026-03-31"}, "usage_limit": {"5"}, "per_customer_limit": {"1"}})
	wantAt(t, v, "/admin/discounts")
	wantPage(t, v, 200, "code was created", "SPRING-25", "Fixed amount off", "R25.50", "R300.00", "0 of 5", "1 per customer", "1 Apr 2026")
	v = boss.submit("/admin/discounts", "/admin/discounts", url.Values{"code": {"SPRING-25"}, "kind": {"free_shipping"}})
	wantRefused(t, v, "already exists")
	ds, err := s.app.Checkout.Discounts(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range ds {
		if d.Code == "SPRING-25" && (d.Value != 2550 || d.MinSubtotal != 30000 || d.Currency != "ZAR" || *d.UsageLimit != 5) {
			t.Fatalf("created %+v", d)
		}
	}
}

func TestAdminOrdersPaging(t *testing.T) {
	s := newOffice(t)
	_, v := s.product(t, 100, 1000)
	var first, last *order.Order
	for i := range 52 {
		o := s.buy(t, v, 1)
		if i == 0 {
			first = o
		}
		last = o
	}
	boss := s.owner(t)
	p1 := boss.get("/admin/orders?status=paid")
	wantPage(t, p1, 200, last.Number())
	if strings.Contains(p1.body, ">"+first.Number()+"<") {
		t.Fatal("the oldest order is on the first page")
	}
	next := regexp.MustCompile(`href="(/admin/orders\?before=\d+&amp;status=paid)"`).FindStringSubmatch(p1.body)
	if next == nil {
		t.Fatalf("no next-page link keeping the filter:\n%s", p1.body)
	}
	p2 := boss.get(html.UnescapeString(next[1]))
	wantPage(t, p2, 200, first.Number(), "Newest orders")
	if strings.Contains(p2.body, ">"+last.Number()+"<") || strings.Contains(p2.body, "Older orders") {
		t.Fatal("the second page repeats the first or goes on")
	}
}

// TestAdminRefundGatewayDown: a second instance over the same database
// whose gateway calls all fail shows the refund as not made, and it is not.
func TestAdminRefundGatewayDown(t *testing.T) {
	s := newOffice(t)
	_, v := s.product(t, 5, 10000)
	o := s.buy(t, v, 1)
	down := openOffice(t, s.dir, map[string]string{"OCEAN_SANDBOX_FAILURE_RATE": "1"})
	boss := down.owner(t)
	page := "/admin/orders/" + o.PublicID
	v1 := boss.get(page)
	ref := html.UnescapeString(reReference.FindStringSubmatch(v1.body)[1])
	v1 = boss.submit(page, page+"/refunds", url.Values{"amount": {"5.00"}, "reference": {ref}})
	wantRefused(t, v1, "nothing was refunded")
	if !strings.Contains(v1.body, `value="`+ref+`"`) || !strings.Contains(v1.body, `value="5.00"`) {
		t.Error("the refund form lost its reference or amount")
	}
	if cur := s.order(t, o.PublicID); cur.Refunded != 0 || cur.Status != order.Paid {
		t.Fatalf("a refused refund changed the order: %d %s", cur.Refunded, cur.Status)
	}
	// Back up: the same form refunds, once.
	wantAt(t, s.owner(t).submit(page, page+"/refunds", url.Values{"amount": {"5.00"}, "reference": {ref}}), page)
	if cur := s.order(t, o.PublicID); cur.Refunded != 500 {
		t.Fatalf("refunded %d after the gateway came back", cur.Refunded)
	}
}
