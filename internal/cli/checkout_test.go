package cli_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/oceanshop/ocean/internal/catalog"
	"github.com/oceanshop/ocean/internal/cli"
	"github.com/oceanshop/ocean/internal/config"
	"github.com/oceanshop/ocean/internal/ocean"
	"github.com/oceanshop/ocean/internal/order"
	"github.com/oceanshop/ocean/internal/payment"
	"github.com/oceanshop/ocean/internal/postgres/pgtest"
	"github.com/oceanshop/ocean/internal/pricing"
	"github.com/oceanshop/ocean/internal/sqldb"
)

// buyShop is a wired App behind an HTTP/2 TLS test server, so hundreds of
// buyers can be in flight at once over a few connections.
type buyShop struct {
	app   *cli.App
	srv   *httptest.Server
	admin string // an admin access token
	cat   int64  // a category for test products
	n     atomic.Int64
}

func newBuyShop(t testing.TB, pg bool) *buyShop { return newBuyShopEnv(t, pg, nil) }

// newBuyShopEnv is newBuyShop with extra settings (Redis for a fleet, say).
func newBuyShopEnv(t testing.TB, pg bool, extra map[string]string) *buyShop {
	t.Helper()
	env := map[string]string{"OCEAN_DATA_DIR": t.TempDir(), "OCEAN_ADMIN_EMAIL": "owner@example.com", "OCEAN_ADMIN_PASSWORD": adminPassword, "OCEAN_SEED_DEMO": "false", "OCEAN_RATE_LIMITS": "off"}
	if pg {
		env["OCEAN_DATABASE_URL"] = pgtest.URL(t)
	}
	for k, v := range extra {
		env[k] = v
	}
	cfg, _, err := config.Load(nil, func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	app, err := cli.NewApp(context.Background(), cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(app.Handler)
	srv.EnableHTTP2 = true
	srv.StartTLS()
	t.Cleanup(func() { srv.Close(); app.Close() })
	s := &buyShop{app: app, srv: srv}
	var tk tokens
	if st, b := s.do(t, "POST", "/api/v1/auth/login", "", nil, map[string]string{"email": "owner@example.com", "password": adminPassword}); st != 200 {
		t.Fatalf("admin login: %d %s", st, b)
	} else if err := json.Unmarshal(b, &tk); err != nil {
		t.Fatal(err)
	}
	s.admin = tk.AccessToken
	// Unique per shop: a second shop may open the same (restored) database.
	c := &catalog.Category{Slug: fmt.Sprintf("test-goods-%d", time.Now().UnixNano()), Name: "Test goods"}
	if err := app.Catalog.CreateCategory(context.Background(), c); err != nil {
		t.Fatal(err)
	}
	s.cat = c.ID
	return s
}

// do sends a request and returns the status and body; it never fails the
// test, so goroutines can use it.
func (s *buyShop) do(t testing.TB, method, path, bearer string, hdr map[string]string, body any) (int, []byte) {
	var r io.Reader
	if body != nil {
		if raw, ok := body.(string); ok {
			r = strings.NewReader(raw)
		} else {
			b, _ := json.Marshal(body)
			r = bytes.NewReader(b)
		}
	}
	req, _ := http.NewRequest(method, s.srv.URL+path, r)
	req.Header.Set("Content-Type", "application/json")
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	res, err := s.srv.Client().Do(req)
	if err != nil {
		t.Errorf("%s %s: %v", method, path, err)
		return 0, nil
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode >= 400 && !strings.HasPrefix(res.Header.Get("Content-Type"), "application/problem+json") {
		t.Errorf("%s %s: %d answered as %q, want problem+json", method, path, res.StatusCode, res.Header.Get("Content-Type"))
	}
	return res.StatusCode, b
}

// must is do that fails the test on another status and decodes into out.
func (s *buyShop) must(t testing.TB, want int, method, path, bearer string, hdr map[string]string, body, out any) {
	t.Helper()
	st, b := s.do(t, method, path, bearer, hdr, body)
	if st != want {
		t.Fatalf("%s %s: %d, want %d: %s", method, path, st, want, b)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			t.Fatalf("%s %s: %v: %s", method, path, err, b)
		}
	}
}

// product adds a one-variant product with stock units at price (minor
// units, ZAR) and returns the variant id.
func (s *buyShop) product(t testing.TB, stock int, price int64, currency string) string {
	t.Helper()
	n := s.n.Add(1)
	p := &catalog.Product{Slug: fmt.Sprintf("thing-%d", n), Name: fmt.Sprintf("Thing %d", n), Description: "A test thing.", CategoryID: s.cat,
		Variants: []catalog.Variant{{SKU: fmt.Sprintf("T-%d", n), Options: map[string]string{}, Price: ocean.Money{Amount: price, Currency: currency}, Stock: stock}}}
	if err := s.app.Catalog.CreateProduct(context.Background(), p); err != nil {
		t.Fatal(err)
	}
	return fmt.Sprint(p.Variants[0].ID)
}

type cartOut struct {
	ID    string `json:"id"`
	Items []struct {
		ID        string `json:"id"`
		VariantID string `json:"variant_id"`
		Quantity  int    `json:"quantity"`
		Notice    string `json:"notice"`
	} `json:"items"`
	Status string `json:"status"`
	Totals struct {
		Subtotal ocean.Money `json:"subtotal"`
		Discount ocean.Money `json:"discount"`
		Total    ocean.Money `json:"total"`
	} `json:"totals"`
}

type orderOut struct {
	ID      string       `json:"id"`
	Number  string       `json:"number"`
	Status  order.Status `json:"status"`
	Payment struct {
		Status string `json:"status"`
		Card   string `json:"card"`
	} `json:"payment"`
	Totals struct {
		Subtotal, Discount, Shipping, Tax, Total ocean.Money
	} `json:"totals"`
	ShippingAddress struct {
		Line1 string `json:"line1"`
	} `json:"shipping_address"`
	DiscountCode string `json:"discount_code"`
}

type probJSON struct {
	Type   string             `json:"type"`
	Status int                `json:"status"`
	Detail string             `json:"detail"`
	Errors []ocean.FieldError `json:"errors"`
}

// cartWith makes a guest cart holding quantity of a variant.
func (s *buyShop) cartWith(t testing.TB, variant string, quantity int) string {
	var c cartOut
	s.must(t, 201, "POST", "/api/v1/carts", "", nil, nil, &c)
	s.must(t, 200, "POST", "/api/v1/carts/"+c.ID+"/items", "", nil, map[string]any{"variant_id": variant, "quantity": quantity}, nil)
	return c.ID
}

func checkoutBody(token string) map[string]any {
	return map[string]any{
		"email":            "buyer@example.com",
		"shipping_address": map[string]string{"name": "Thandi Buyer", "line1": "12 Long Street", "city": "Cape Town", "postal_code": "8001", "country": "ZA"},
		"shipping_method":  "standard",
		"payment":          map[string]string{"gateway": "sandbox", "token": token},
	}
}

func key(prefix string, i int) map[string]string {
	return map[string]string{"Idempotency-Key": fmt.Sprintf("%s-%08d", prefix, i)}
}

func (s *buyShop) stock(t testing.TB, variant string) int {
	var l struct{ Stock int }
	s.must(t, 200, "GET", "/api/v1/admin/inventory/"+variant, s.admin, nil, nil, &l)
	return l.Stock
}

func (s *buyShop) verifyLedger(t testing.TB) {
	t.Helper()
	drift, n, err := s.app.Inventory.Verify(context.Background())
	if err != nil || len(drift) > 0 || n == 0 {
		t.Fatalf("ledger: %d variants, drift %+v, err %v", n, drift, err)
	}
}

func TestCheckoutOnSQLite(t *testing.T) {
	t.Parallel()
	testCheckout(t, newBuyShop(t, false))
}

func TestCheckoutOnPostgres(t *testing.T) {
	t.Parallel()
	testCheckout(t, newBuyShop(t, true))
}

func testCheckout(t *testing.T, s *buyShop) {
	t.Run("journey", func(t *testing.T) { testBuyJourney(t, s) })
	t.Run("1 contention: 500 buyers, 50 units", func(t *testing.T) { testContention(t, s) })
	t.Run("2 two lines of one variant", func(t *testing.T) { testTwoLines(t, s) })
	t.Run("3 idempotency", func(t *testing.T) { testIdempotency(t, s) })
	t.Run("4 discount usage limit", func(t *testing.T) { testDiscountLimit(t, s) })
	t.Run("6 bad input", func(t *testing.T) { testBadCheckouts(t, s) })
	t.Run("declines", func(t *testing.T) { testDeclines(t, s) })
	t.Run("reservation expiry", func(t *testing.T) { testExpiry(t, s) })
	t.Run("webhook races the checkout", func(t *testing.T) { testWebhookRace(t, s) })
	t.Run("late authorization is voided", func(t *testing.T) { testLateAuthorization(t, s) })
	t.Run("admin lifecycle", func(t *testing.T) { testAdminLifecycle(t, s) })
	t.Run("export and erasure", func(t *testing.T) { testOrderErasure(t, s) })
	s.verifyLedger(t)
}

func testBuyJourney(t *testing.T, s *buyShop) {
	v := s.product(t, 5, 40000, "ZAR") // R400.00
	id := s.cartWith(t, v, 2)
	var c cartOut
	s.must(t, 200, "GET", "/api/v1/carts/"+id, "", nil, nil, &c)
	if c.Totals.Subtotal.Amount != 80000 || c.Items[0].Notice != "Only 5 left" {
		t.Fatalf("cart: %+v", c)
	}
	s.must(t, 200, "POST", "/api/v1/carts/"+id+"/discount", "", nil, map[string]string{"code": "welcome10"}, &c)
	if c.Totals.Discount.Amount != 8000 {
		t.Fatalf("WELCOME10 on R800: discount %d", c.Totals.Discount.Amount)
	}
	available := func() int {
		var p struct {
			Variants []struct{ Available int } `json:"variants"`
		}
		s.must(t, 200, "GET", fmt.Sprintf("/api/v1/products/thing-%d", s.n.Load()), "", nil, nil, &p)
		return p.Variants[0].Available
	}
	if available() != 5 { // and now the product page is cached
		t.Fatal("product page before the order")
	}
	var o orderOut
	s.must(t, 201, "POST", "/api/v1/carts/"+id+"/checkout", "", key("journey", 1), checkoutBody("tok_visa"), &o)
	if got := available(); got != 3 {
		t.Fatalf("the product page says %d available after 2 of 5 were sold: the cache was not invalidated", got)
	}
	// R800 - R80 = R720 < R750, so standard shipping R60; VAT 15% included: 780*15/115 = 101.74.
	if o.Status != order.Paid || o.Payment.Status != "captured" || o.Totals.Total.Amount != 78000 || o.Totals.Shipping.Amount != 6000 || o.Totals.Tax.Amount != 10174 {
		t.Fatalf("order: %+v", o)
	}
	if o.ShippingAddress.Line1 != "12 Long Street" || o.DiscountCode != "WELCOME10" || !strings.HasPrefix(o.Number, "OC") {
		t.Fatalf("order: %+v", o)
	}
	if got := s.stock(t, v); got != 3 {
		t.Fatalf("stock after buying 2 of 5: %d", got)
	}
	// The cart is closed; the order is readable by its unguessable id.
	st, _ := s.do(t, "POST", "/api/v1/carts/"+id+"/items", "", nil, map[string]any{"variant_id": v, "quantity": 1})
	if st != 409 {
		t.Fatalf("adding to an ordered cart: %d", st)
	}
	s.must(t, 200, "GET", "/api/v1/orders/"+o.ID, "", nil, nil, nil)
	// The confirmation mail is in the dev mailbox.
	msgs, err := s.app.Mailbox.List(context.Background(), 10)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, m := range msgs {
		if m.To == "buyer@example.com" && strings.Contains(m.Subject, o.Number) {
			found = true
		}
	}
	if !found {
		t.Fatalf("no confirmation mail for %s in %+v", o.Number, msgs)
	}
}

func testContention(t *testing.T, s *buyShop) {
	const buyers, units = 500, 50
	v := s.product(t, units, 10000, "ZAR")
	carts := make([]string, buyers)
	for i := range carts {
		carts[i] = s.cartWith(t, v, 1)
	}
	var wg sync.WaitGroup
	var paid, conflict, other atomic.Int64
	start := make(chan struct{})
	for i := range carts {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			<-start
			st, b := s.do(t, "POST", "/api/v1/carts/"+carts[i]+"/checkout", "", key("race", i), checkoutBody("tok_visa"))
			switch st {
			case 201:
				paid.Add(1)
			case 409:
				conflict.Add(1)
				var p probJSON
				if json.Unmarshal(b, &p) != nil || p.Type != "/problems/conflict" || len(p.Errors) != 1 || !strings.Contains(p.Errors[0].Message, "sold out") {
					t.Errorf("loser's problem does not name the variant: %s", b)
				}
			default:
				other.Add(1)
				t.Errorf("buyer %d: %d %s", i, st, b)
			}
		}(i)
	}
	close(start)
	wg.Wait()
	if paid.Load() != units || conflict.Load() != buyers-units || other.Load() != 0 {
		t.Fatalf("%d paid, %d conflicts, %d other; want %d paid and %d conflicts", paid.Load(), conflict.Load(), other.Load(), units, buyers-units)
	}
	if got := s.stock(t, v); got != 0 {
		t.Fatalf("stock after the race: %d", got)
	}
	n := 0
	for _, st := range []order.Status{order.Paid} {
		os, err := s.app.Checkout.Orders(context.Background(), order.Filter{Status: st, Limit: 100})
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range os {
			if len(o.Items) == 1 && fmt.Sprint(o.Items[0].VariantID) == v {
				n++
			}
		}
	}
	if n != units {
		t.Fatalf("%d paid orders for the variant, want %d", n, units)
	}
	// The admin API pages through them all: 200 per page asked, every order once.
	seen, cursor := map[string]bool{}, ""
	for pages := 0; ; pages++ {
		var page struct {
			Items []struct {
				ID    string `json:"id"`
				Items []struct {
					VariantID string `json:"variant_id"`
				} `json:"items"`
			} `json:"items"`
			NextCursor *string `json:"next_cursor"`
		}
		s.must(t, 200, "GET", "/api/v1/admin/orders?status=paid&limit=200"+cursor, s.admin, nil, nil, &page)
		for _, o := range page.Items {
			if seen[o.ID] {
				t.Fatalf("order %s on two pages", o.ID)
			}
			if len(o.Items) == 1 && o.Items[0].VariantID == v {
				seen[o.ID] = true
			}
		}
		if page.NextCursor == nil {
			break
		}
		if len(page.Items) != 200 || pages > 10 {
			t.Fatalf("a page of %d before the end", len(page.Items))
		}
		cursor = "&cursor=" + *page.NextCursor
	}
	if len(seen) != units {
		t.Fatalf("the admin order list shows %d of the %d orders", len(seen), units)
	}
	s.verifyLedger(t)
}

func testTwoLines(t *testing.T, s *buyShop) {
	v := s.product(t, 3, 5000, "ZAR")
	id := s.cartWith(t, v, 2)
	// A second line of the same variant merges, and the total is checked.
	st, b := s.do(t, "POST", "/api/v1/carts/"+id+"/items", "", nil, map[string]any{"variant_id": v, "quantity": 2})
	if st != 409 || !strings.Contains(string(b), "Only 3") {
		t.Fatalf("2 + 2 of 3: %d %s", st, b)
	}
	// The store itself refuses an order with two lines for one variant
	// that together exceed the stock, whatever the cart layer did.
	err := s.app.DB.Commerce().Reserve(context.Background(), &order.Order{
		PublicID: strings.Repeat("a", 32), IdempotencyKey: "two-lines-direct", RequestHash: "x", CartID: id, Email: "x@example.com",
		Status: order.PendingPayment, ShippingMethod: "standard", ShippingName: "Standard", SealedAddress: "x", Country: "ZA",
		Gateway: "sandbox", PaymentRef: "two-lines-ref", PaymentStatus: order.PaymentPending,
		Totals: totals(20000), Items: []order.Item{{VariantID: atoi(v), Quantity: 2, UnitPrice: zar(5000), LineTotal: zar(10000)}, {VariantID: atoi(v), Quantity: 2, UnitPrice: zar(5000), LineTotal: zar(10000)}},
	}, 0, nil)
	if ocean.ErrorCode(err) != ocean.ECONFLICT && !strings.Contains(fmt.Sprint(err), "out of stock") {
		t.Fatalf("two lines of 2 with 3 in stock: %v", err)
	}
	if got := s.stock(t, v); got != 3 {
		t.Fatalf("stock after the refused order: %d", got)
	}
	var c cartOut
	s.must(t, 200, "GET", "/api/v1/carts/"+id, "", nil, nil, &c)
	if c.Status != "open" {
		t.Fatalf("cart after the refused order: %s", c.Status)
	}
}

func zar(a int64) ocean.Money { return ocean.Money{Amount: a, Currency: "ZAR"} }

func totals(total int64) pricing.Totals {
	return pricing.Totals{Subtotal: zar(total), Discount: zar(0), Shipping: zar(0), Tax: zar(0), Total: zar(total)}
}

func atoi(s string) int64 {
	var n int64
	fmt.Sscan(s, &n)
	return n
}

func testIdempotency(t *testing.T, s *buyShop) {
	v := s.product(t, 10, 12345, "ZAR")
	id := s.cartWith(t, v, 1)
	hdr := map[string]string{"Idempotency-Key": "same-key-twenty-times"}
	var wg sync.WaitGroup
	ids := make([]string, 20)
	for i := range ids {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			st, b := s.do(t, "POST", "/api/v1/carts/"+id+"/checkout", "", hdr, checkoutBody("tok_visa"))
			var o orderOut
			if st != 201 || json.Unmarshal(b, &o) != nil {
				t.Errorf("request %d: %d %s", i, st, b)
			}
			ids[i] = o.ID
		}(i)
	}
	wg.Wait()
	for _, x := range ids {
		if x != ids[0] || x == "" {
			t.Fatalf("orders differ: %v", ids)
		}
	}
	o, err := s.app.Checkout.OrderByID(context.Background(), ids[0])
	if err != nil {
		t.Fatal(err)
	}
	auth, err := s.app.Sandbox.Lookup(context.Background(), o.PaymentRef)
	if err != nil || auth.Status != payment.Captured || auth.Amount.Amount != o.Totals.Total.Amount {
		t.Fatalf("one capture of the order's total expected: %+v %v", auth, err)
	}
	if got := s.stock(t, v); got != 9 {
		t.Fatalf("stock after one order of 1 from 10: %d", got)
	}
	var n int
	if err := s.app.DB.Read.QueryRow(`SELECT COUNT(*) FROM orders WHERE cart_id = '` + id + `'`).Scan(&n); err != nil || n != 1 {
		t.Fatalf("%d orders for the cart (%v)", n, err)
	}
	// Keys belong to their cart: another shopper reusing this key on their
	// own cart gets their own order, not an error about someone else's.
	var other orderOut
	s.must(t, 201, "POST", "/api/v1/carts/"+s.cartWith(t, v, 1)+"/checkout", "", hdr, checkoutBody("tok_visa"), &other)
	if other.ID == ids[0] {
		t.Fatal("a key reused on another cart returned the first cart's order")
	}
	// The same key with another body: 422, nothing new.
	body := checkoutBody("tok_visa")
	body["email"] = "someone-else@example.com"
	st, b := s.do(t, "POST", "/api/v1/carts/"+id+"/checkout", "", hdr, body)
	if st != 422 || !strings.Contains(string(b), "different") {
		t.Fatalf("same key, other body: %d %s", st, b)
	}
}

func testDiscountLimit(t *testing.T, s *buyShop) {
	s.must(t, 201, "POST", "/api/v1/admin/discounts", s.admin, nil, map[string]any{"code": "TENONLY", "kind": "percent", "value": 20, "usage_limit": 10}, nil)
	v := s.product(t, 500, 10000, "ZAR")
	const shoppers = 100
	carts := make([]string, shoppers)
	for i := range carts {
		carts[i] = s.cartWith(t, v, 1)
		s.must(t, 200, "POST", "/api/v1/carts/"+carts[i]+"/discount", "", nil, map[string]string{"code": "TENONLY"}, nil)
	}
	var wg sync.WaitGroup
	var won, refused atomic.Int64
	for i := range carts {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			st, b := s.do(t, "POST", "/api/v1/carts/"+carts[i]+"/checkout", "", key("promo", i), checkoutBody("tok_visa"))
			switch {
			case st == 201:
				won.Add(1)
			case st == 422 && strings.Contains(string(b), "used up"):
				refused.Add(1)
			default:
				t.Errorf("checkout %d: %d %s", i, st, b)
			}
		}(i)
	}
	wg.Wait()
	var d struct {
		Items []struct {
			Code string `json:"code"`
			Used int    `json:"used"`
		} `json:"items"`
	}
	s.must(t, 200, "GET", "/api/v1/admin/discounts", s.admin, nil, nil, &d)
	used := -1
	for _, x := range d.Items {
		if x.Code == "TENONLY" {
			used = x.Used
		}
	}
	if won.Load() != 10 || refused.Load() != shoppers-10 || used != 10 {
		t.Fatalf("%d used the code, %d refused, counter %d; want 10, %d, 10", won.Load(), refused.Load(), used, shoppers-10)
	}
	if got := s.stock(t, v); got != 490 {
		t.Fatalf("stock: %d, want 490 (refused checkouts keep nothing)", got)
	}
}

func testBadCheckouts(t *testing.T, s *buyShop) {
	v := s.product(t, 4, 1000, "ZAR")
	usd := s.product(t, 4, 1000, "USD")
	id := s.cartWith(t, v, 1)
	before := s.stock(t, v)
	var c cartOut
	s.must(t, 200, "GET", "/api/v1/carts/"+id, "", nil, nil, &c)
	item := c.Items[0].ID
	for _, tc := range []struct {
		what   string
		method string
		path   string
		hdr    map[string]string
		body   any
		want   int
		field  string
	}{
		{"quantity 0", "POST", "/items", nil, map[string]any{"variant_id": v, "quantity": 0}, 422, "quantity"},
		{"negative quantity", "POST", "/items", nil, map[string]any{"variant_id": v, "quantity": -3}, 422, "quantity"},
		{"quantity above the line maximum", "POST", "/items", nil, map[string]any{"variant_id": v, "quantity": 100}, 422, "quantity"},
		{"patch to 0", "PATCH", "/items/" + item, nil, map[string]any{"quantity": 0}, 422, "quantity"},
		{"unknown variant", "POST", "/items", nil, map[string]any{"variant_id": "999999999", "quantity": 1}, 422, "variant_id"},
		{"garbage variant", "POST", "/items", nil, map[string]any{"variant_id": "abc", "quantity": 1}, 422, "variant_id"},
		{"a price sent by the client", "POST", "/items", nil, map[string]any{"variant_id": v, "quantity": 1, "price": 1}, 400, "price"},
		{"currency mismatch", "POST", "/items", nil, map[string]any{"variant_id": usd, "quantity": 1}, 422, ""},
		{"unknown line", "PATCH", "/items/999999", nil, map[string]any{"quantity": 1}, 404, ""},
		{"missing Idempotency-Key", "POST", "/checkout", nil, checkoutBody("tok_visa"), 400, "Idempotency-Key"},
		{"malformed Idempotency-Key", "POST", "/checkout", map[string]string{"Idempotency-Key": "short"}, checkoutBody("tok_visa"), 400, "Idempotency-Key"},
		{"unknown payment token", "POST", "/checkout", key("bad-token", 1), checkoutBody("tok_nonsense"), 422, "payment.token"},
		{"unknown gateway", "POST", "/checkout", key("bad-gw", 1), func() any {
			b := checkoutBody("tok_visa")
			b["payment"] = map[string]string{"gateway": "paypal", "token": "x"}
			return b
		}(), 422, "payment.gateway"},
		{"shipping method not offered", "POST", "/checkout", key("bad-ship", 1), func() any { b := checkoutBody("tok_visa"); b["shipping_method"] = "teleport"; return b }(), 422, "shipping_method"},
		{"missing address", "POST", "/checkout", key("bad-addr", 1), func() any { b := checkoutBody("tok_visa"); delete(b, "shipping_address"); return b }(), 422, "shipping_address.line1"},
		{"bad email", "POST", "/checkout", key("bad-email", 1), func() any { b := checkoutBody("tok_visa"); b["email"] = "not-an-email"; return b }(), 422, "email"},
		{"client-set total", "POST", "/checkout", key("bad-total", 1), func() any { b := checkoutBody("tok_visa"); b["total"] = 1; return b }(), 400, "total"},
	} {
		st, b := s.do(t, tc.method, "/api/v1/carts/"+id+tc.path, "", tc.hdr, tc.body)
		var p probJSON
		_ = json.Unmarshal(b, &p)
		if st != tc.want {
			t.Errorf("%s: %d, want %d: %s", tc.what, st, tc.want, b)
			continue
		}
		if tc.field != "" {
			ok := false
			for _, f := range p.Errors {
				ok = ok || f.Field == tc.field
			}
			if !ok {
				t.Errorf("%s: the problem does not name %s: %s", tc.what, tc.field, b)
			}
		}
	}
	// An order with nothing to pay is refused before anything is reserved.
	free := s.product(t, 2, 0, "ZAR")
	s.must(t, 201, "POST", "/api/v1/admin/discounts", s.admin, nil, map[string]any{"code": "ZEROSHIP", "kind": "free_shipping"}, nil)
	fc := s.cartWith(t, free, 1)
	s.must(t, 200, "POST", "/api/v1/carts/"+fc+"/discount", "", nil, map[string]string{"code": "ZEROSHIP"}, nil)
	if st, b := s.do(t, "POST", "/api/v1/carts/"+fc+"/checkout", "", key("zero", 1), checkoutBody("tok_visa")); st != 422 || s.stock(t, free) != 2 {
		t.Errorf("a zero total: %d %s (stock %d)", st, b, s.stock(t, free))
	}
	s.must(t, 200, "GET", "/api/v1/carts/"+id, "", nil, nil, &c)
	if len(c.Items) != 1 || c.Items[0].Quantity != 1 || c.Status != "open" || s.stock(t, v) != before {
		t.Fatalf("bad input changed something: cart %+v, stock %d (was %d)", c, s.stock(t, v), before)
	}
	// Another shopper's cart and another shopper's order: 404.
	alice := s.login(t, "alice@example.com")
	bob := s.login(t, "bob@example.com")
	var ac cartOut
	s.must(t, 201, "POST", "/api/v1/carts", alice, nil, nil, &ac)
	s.must(t, 200, "POST", "/api/v1/carts/"+ac.ID+"/items", alice, nil, map[string]any{"variant_id": v, "quantity": 1}, nil)
	for _, who := range []string{bob, ""} {
		for _, req := range [][2]string{{"GET", ""}, {"POST", "/items"}, {"POST", "/checkout"}, {"DELETE", "/discount"}} {
			st, _ := s.do(t, req[0], "/api/v1/carts/"+ac.ID+req[1], who, key("idor", 1), map[string]any{"variant_id": v, "quantity": 1})
			if req[1] == "/checkout" {
				st, _ = s.do(t, req[0], "/api/v1/carts/"+ac.ID+req[1], who, key("idor", 1), checkoutBody("tok_visa"))
			}
			if st != 404 {
				t.Errorf("%s %s of alice's cart signed in %v: %d, want 404", req[0], req[1], who != "", st)
			}
		}
	}
	var ao orderOut
	s.must(t, 201, "POST", "/api/v1/carts/"+ac.ID+"/checkout", alice, key("alice", 1), checkoutBody("tok_visa"), &ao)
	for _, who := range []string{bob, ""} {
		if st, _ := s.do(t, "GET", "/api/v1/orders/"+ao.ID, who, nil, nil); st != 404 {
			t.Errorf("alice's order as another: %d", st)
		}
	}
	var list struct{ Items []orderOut }
	s.must(t, 200, "GET", "/api/v1/orders", bob, nil, nil, &list)
	if len(list.Items) != 0 {
		t.Errorf("bob sees orders: %+v", list.Items)
	}
	s.must(t, 200, "GET", "/api/v1/orders", alice, nil, nil, &list)
	if len(list.Items) != 1 || list.Items[0].ID != ao.ID {
		t.Errorf("alice's orders: %+v", list.Items)
	}
	for _, bad := range []string{"nope", "../../etc", strings.Repeat("f", 32), "%00"} {
		if st, _ := s.do(t, "GET", "/api/v1/carts/"+bad, "", nil, nil); st != 404 && st != 400 {
			t.Errorf("cart %q: %d", bad, st)
		}
	}
}

func (s *buyShop) login(t *testing.T, email string) string {
	var tk tokens
	s.must(t, 202, "POST", "/api/v1/auth/register", "", nil, map[string]string{"email": email, "password": "correct horse battery", "name": "Shopper"}, nil)
	s.must(t, 200, "POST", "/api/v1/auth/login", "", nil, map[string]string{"email": email, "password": "correct horse battery"}, &tk)
	return tk.AccessToken
}

func testDeclines(t *testing.T, s *buyShop) {
	v := s.product(t, 2, 30000, "ZAR")
	for i, tc := range []struct{ token, typ string }{
		{"tok_chargeDeclined", "/problems/payment-declined/card-declined"},
		{"tok_chargeDeclinedInsufficientFunds", "/problems/payment-declined/insufficient-funds"},
		{"tok_processingError", "/problems/payment-declined/processing-error"},
	} {
		id := s.cartWith(t, v, 2)
		st, b := s.do(t, "POST", "/api/v1/carts/"+id+"/checkout", "", key("decline-"+tc.token, i), checkoutBody(tc.token))
		var p probJSON
		_ = json.Unmarshal(b, &p)
		if st != 402 || p.Type != tc.typ || p.Detail == "" {
			t.Fatalf("%s: %d %s", tc.token, st, b)
		}
		// The cart is kept and open, the stock is back.
		var c cartOut
		s.must(t, 200, "GET", "/api/v1/carts/"+id, "", nil, nil, &c)
		if c.Status != "open" || len(c.Items) != 1 || s.stock(t, v) != 2 {
			t.Fatalf("after %s: cart %+v, stock %d", tc.token, c, s.stock(t, v))
		}
		// The same key again answers the same decline; a new key with a good card buys.
		if st2, b2 := s.do(t, "POST", "/api/v1/carts/"+id+"/checkout", "", key("decline-"+tc.token, i), checkoutBody(tc.token)); st2 != 402 {
			t.Fatalf("replay of a decline: %d %s", st2, b2)
		}
		if i == 2 {
			s.must(t, 201, "POST", "/api/v1/carts/"+id+"/checkout", "", key("after-decline", i), checkoutBody("tok_visa"), nil)
			if s.stock(t, v) != 0 {
				t.Fatalf("stock after the good card: %d", s.stock(t, v))
			}
		}
	}
}

// pending writes a pending_payment order for a fresh cart directly, as a
// checkout that stopped after the reservation would leave it.
func (s *buyShop) pending(t *testing.T, v string, n int) (*order.Order, string) {
	t.Helper()
	id := s.cartWith(t, v, 1)
	ref := fmt.Sprintf("ocean_test_%s_%d", id[:8], n)
	o := &order.Order{
		PublicID: fmt.Sprintf("%032x", s.n.Add(1)+1000000), IdempotencyKey: "pending-" + ref, RequestHash: "x", CartID: id, Email: "late@example.com",
		Status: order.PendingPayment, ShippingMethod: "standard", ShippingName: "Standard", SealedAddress: "", Country: "ZA",
		Gateway: "sandbox", PaymentRef: ref, PaymentStatus: order.PaymentPending, Totals: totals(1000), ReservedUntil: time.Now().Add(time.Hour),
		Items: []order.Item{{VariantID: atoi(v), Quantity: 1, UnitPrice: zar(1000), LineTotal: zar(1000)}},
	}
	if err := s.app.DB.Commerce().Reserve(context.Background(), o, 0, nil); err != nil {
		t.Fatal(err)
	}
	return o, id
}

func (s *buyShop) expire(t *testing.T, o *order.Order) {
	t.Helper()
	var err error
	if s.app.DB.Dialect == sqldb.SQLite { // Unix microseconds
		_, err = s.app.DB.Write.Exec(`UPDATE orders SET reserved_until = 1 WHERE id = ?`, o.ID)
	} else {
		_, err = s.app.DB.Write.Exec(`UPDATE orders SET reserved_until = now() - interval '1 minute' WHERE id = $1`, o.ID)
	}
	if err != nil {
		t.Fatal(err)
	}
}

func testExpiry(t *testing.T, s *buyShop) {
	ctx := context.Background()
	v := s.product(t, 1, 1000, "ZAR")
	// A reservation nobody paid: released, the cart open again.
	o, cartID := s.pending(t, v, 1)
	if s.stock(t, v) != 0 {
		t.Fatal("the reservation did not take the unit")
	}
	if st, _ := s.do(t, "POST", "/api/v1/carts/"+s.cartWith(t, s.product(t, 1, 1, "ZAR"), 1)+"/items", "", nil, map[string]any{"variant_id": v, "quantity": 1}); st != 409 {
		t.Fatalf("the reserved unit can still be added elsewhere: %d", st)
	}
	if _, err := s.app.Checkout.Reconcile(ctx); err != nil {
		t.Fatal(err)
	}
	if cur, _ := s.app.Checkout.OrderByID(ctx, o.PublicID); cur.Status != order.PendingPayment {
		t.Fatalf("an unexpired reservation was touched: %s", cur.Status)
	}
	s.expire(t, o)
	if _, err := s.app.Checkout.Reconcile(ctx); err != nil {
		t.Fatal(err)
	}
	cur, _ := s.app.Checkout.OrderByID(ctx, o.PublicID)
	var c cartOut
	s.must(t, 200, "GET", "/api/v1/carts/"+cartID, "", nil, nil, &c)
	if cur.Status != order.Cancelled || s.stock(t, v) != 1 || c.Status != "open" {
		t.Fatalf("expired reservation: order %s, stock %d, cart %s", cur.Status, s.stock(t, v), c.Status)
	}
	// A reservation whose payment was authorized before a crash: the
	// reconciler completes the order and captures, once.
	o2, _ := s.pending(t, v, 2)
	if _, err := s.app.Sandbox.Authorize(ctx, payment.AuthorizeRequest{Reference: o2.PaymentRef, Amount: zar(1000), Token: "tok_visa", Email: "late@example.com"}); err != nil {
		t.Fatal(err)
	}
	s.expire(t, o2)
	if _, err := s.app.Checkout.Reconcile(ctx); err != nil {
		t.Fatal(err)
	}
	cur, _ = s.app.Checkout.OrderByID(ctx, o2.PublicID)
	auth, _ := s.app.Sandbox.Lookup(ctx, o2.PaymentRef)
	if cur.Status != order.Paid || cur.PaymentStatus != order.PaymentCaptured || auth.Status != payment.Captured || s.stock(t, v) != 0 {
		t.Fatalf("orphaned authorization: order %s/%s, gateway %s, stock %d", cur.Status, cur.PaymentStatus, auth.Status, s.stock(t, v))
	}
}

// testLateAuthorization: an authorization call without an answer released
// the order; when the authorization turns up at the gateway after all, the
// reconciler voids it, so no card keeps a hold without an order.
func testLateAuthorization(t *testing.T, s *buyShop) {
	ctx := context.Background()
	v := s.product(t, 2, 1000, "ZAR")
	o, _ := s.pending(t, v, 4)
	if won, err := s.app.DB.Commerce().Release(ctx, o.ID, order.PaymentFailed, "gateway_unavailable", "The payment service did not answer.", "gateway"); err != nil || !won {
		t.Fatalf("release: %v %v", won, err)
	}
	if _, err := s.app.Sandbox.Authorize(ctx, payment.AuthorizeRequest{Reference: o.PaymentRef, Amount: zar(1000), Token: "tok_visa", Email: "late@example.com"}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.app.Checkout.Reconcile(ctx); err != nil {
		t.Fatal(err)
	}
	auth, _ := s.app.Sandbox.Lookup(ctx, o.PaymentRef)
	cur, _ := s.app.Checkout.OrderByID(ctx, o.PublicID)
	if auth.Status != payment.Voided || cur.Status != order.Cancelled || cur.PaymentStatus != order.PaymentVoided || s.stock(t, v) != 2 {
		t.Fatalf("late authorization: gateway %s, order %s/%s, stock %d", auth.Status, cur.Status, cur.PaymentStatus, s.stock(t, v))
	}
}

func testWebhookRace(t *testing.T, s *buyShop) {
	ctx := context.Background()
	v := s.product(t, 3, 1000, "ZAR")
	o, _ := s.pending(t, v, 3)
	if _, err := s.app.Sandbox.Authorize(ctx, payment.AuthorizeRequest{Reference: o.PaymentRef, Amount: zar(1000), Token: "tok_visa", Email: "late@example.com"}); err != nil {
		t.Fatal(err)
	}
	s.expire(t, o)
	// Webhooks (some of them the same event delivered twice) race the
	// reconciler: one of them completes the order, nobody a second time.
	var wg sync.WaitGroup
	for i := 0; i < 12; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			var err error
			if i%4 == 3 {
				_, err = s.app.Checkout.Reconcile(ctx)
			} else {
				err = s.app.Checkout.HandleEvent(ctx, "sandbox", payment.Event{ID: fmt.Sprintf("evt_%d", i%3), Type: "payment.authorized", Reference: o.PaymentRef})
			}
			if err != nil {
				t.Error(err)
			}
		}(i)
	}
	wg.Wait()
	ev, _, err := s.app.Checkout.History(ctx, o.ID)
	if err != nil {
		t.Fatal(err)
	}
	paid := 0
	for _, e := range ev {
		if e.To == order.Paid {
			paid++
		}
	}
	cur, _ := s.app.Checkout.OrderByID(ctx, o.PublicID)
	auth, _ := s.app.Sandbox.Lookup(ctx, o.PaymentRef)
	if paid != 1 || cur.Status != order.Paid || auth.Status != payment.Captured || s.stock(t, v) != 2 {
		t.Fatalf("%d paid transitions, order %s, gateway %s, stock %d", paid, cur.Status, auth.Status, s.stock(t, v))
	}
	var n int
	if err := s.app.DB.Read.QueryRow(`SELECT COUNT(*) FROM orders WHERE payment_ref = '` + o.PaymentRef + `'`).Scan(&n); err != nil || n != 1 {
		t.Fatalf("%d orders for one payment (%v)", n, err)
	}
}

func testAdminLifecycle(t *testing.T, s *buyShop) {
	ctx := context.Background()
	v := s.product(t, 10, 20000, "ZAR")
	buy := func(i int) orderOut {
		var o orderOut
		s.must(t, 201, "POST", "/api/v1/carts/"+s.cartWith(t, v, 1)+"/checkout", "", key("admin-life", i), checkoutBody("tok_visa"), &o)
		return o
	}
	o := buy(1)
	base := "/api/v1/admin/orders/" + o.ID
	customer := s.login(t, "nosy@example.com")
	if st, _ := s.do(t, "POST", base+"/cancel", customer, nil, nil); st != 403 {
		t.Fatalf("a customer cancelling: %d", st)
	}
	if st, b := s.do(t, "POST", base+"/fulfil", s.admin, nil, map[string]string{"tracking_number": ""}); st != 422 {
		t.Fatalf("fulfil without tracking: %d %s", st, b)
	}
	if st, b := s.do(t, "POST", base+"/deliver", s.admin, nil, nil); st != 409 {
		t.Fatalf("deliver before shipping: %d %s", st, b)
	}
	var got orderOut
	s.must(t, 200, "POST", base+"/fulfil", s.admin, nil, map[string]string{"tracking_number": "ZA123456789"}, &got)
	if got.Status != order.Fulfilled {
		t.Fatalf("fulfil: %s", got.Status)
	}
	s.must(t, 200, "POST", base+"/deliver", s.admin, nil, nil, &got)
	if st, b := s.do(t, "POST", base+"/cancel", s.admin, nil, nil); st != 409 || !strings.Contains(string(b), "cannot become") {
		t.Fatalf("cancel a delivered order: %d %s", st, b)
	}
	total := got.Totals.Total.Amount
	s.must(t, 200, "POST", base+"/refunds", s.admin, map[string]string{"Idempotency-Key": "refund-one-0001"}, map[string]int64{"amount": 1000}, &got)
	s.must(t, 200, "POST", base+"/refunds", s.admin, map[string]string{"Idempotency-Key": "refund-one-0001"}, map[string]int64{"amount": 1000}, &got)
	if got.Status != order.PartiallyRefunded {
		t.Fatalf("partial refund: %s", got.Status)
	}
	if st, b := s.do(t, "POST", base+"/refunds", s.admin, nil, map[string]int64{"amount": 1}); st != 400 || !strings.Contains(string(b), "Idempotency-Key") {
		t.Fatalf("refund without an Idempotency-Key: %d %s", st, b)
	}
	if st, b := s.do(t, "POST", base+"/refunds", s.admin, map[string]string{"Idempotency-Key": "refund-too-much"}, map[string]int64{"amount": total}); st != 422 {
		t.Fatalf("refund over what is left: %d %s", st, b)
	}
	s.must(t, 200, "POST", base+"/refunds", s.admin, map[string]string{"Idempotency-Key": "refund-rest-0002"}, map[string]int64{"amount": total - 1000}, &got)
	full, _ := s.app.Checkout.OrderByID(ctx, o.ID)
	auth, _ := s.app.Sandbox.Lookup(ctx, full.PaymentRef)
	if got.Status != order.Refunded || auth.Refunded != total {
		t.Fatalf("full refund: order %s, gateway refunded %d of %d", got.Status, auth.Refunded, total)
	}
	// Cancelling a paid order returns its stock and its money.
	before := s.stock(t, v)
	o2 := buy(2)
	s.must(t, 200, "POST", "/api/v1/admin/orders/"+o2.ID+"/cancel", s.admin, nil, nil, &got)
	full2, _ := s.app.Checkout.OrderByID(ctx, o2.ID)
	auth2, _ := s.app.Sandbox.Lookup(ctx, full2.PaymentRef)
	if got.Status != order.Cancelled || s.stock(t, v) != before || auth2.Refunded != auth2.Amount.Amount {
		t.Fatalf("cancel: %s, stock %d (was %d), refunded %d of %d", got.Status, s.stock(t, v), before, auth2.Refunded, auth2.Amount.Amount)
	}
	if st, _ := s.do(t, "POST", "/api/v1/admin/orders/"+o2.ID+"/fulfil", s.admin, nil, map[string]string{"tracking_number": "X1"}); st != 409 {
		t.Fatalf("fulfil a cancelled order: %d", st)
	}
	var list struct{ Items []orderOut }
	s.must(t, 200, "GET", "/api/v1/admin/orders?status=cancelled", s.admin, nil, nil, &list)
	for _, x := range list.Items {
		if x.Status != order.Cancelled {
			t.Fatalf("status filter: %s", x.Status)
		}
	}
	if st, _ := s.do(t, "GET", "/api/v1/admin/orders?status=lost", s.admin, nil, nil); st != 400 {
		t.Fatalf("unknown status filter: %d", st)
	}
	// Stock adjustments: a reason is required, stock never below zero.
	for _, tc := range []struct {
		body any
		want int
	}{
		{map[string]any{"delta": 0, "reason": "count"}, 422},
		{map[string]any{"delta": 5, "reason": " "}, 422},
		{map[string]any{"delta": -100000, "reason": "typo"}, 409},
		{map[string]any{"delta": "5", "reason": "count"}, 400},
	} {
		if st, b := s.do(t, "POST", "/api/v1/admin/inventory/"+v+"/adjustments", s.admin, nil, tc.body); st != tc.want {
			t.Errorf("adjust %v: %d, want %d: %s", tc.body, st, tc.want, b)
		}
	}
	if st, _ := s.do(t, "POST", "/api/v1/admin/inventory/99999999/adjustments", s.admin, nil, map[string]any{"delta": 1, "reason": "found"}); st != 404 {
		t.Errorf("adjust an unknown variant: %d", st)
	}
	var lvl struct{ Stock int }
	s.must(t, 200, "POST", "/api/v1/admin/inventory/"+v+"/adjustments", s.admin, nil, map[string]any{"delta": 5, "reason": "found a box in the back"}, &lvl)
	if lvl.Stock != before+5 {
		t.Fatalf("adjusted level %d, want %d", lvl.Stock, before+5)
	}
	s.verifyLedger(t)
}

func testOrderErasure(t *testing.T, s *buyShop) {
	v := s.product(t, 3, 2500, "ZAR")
	zoe := s.login(t, "zoe@example.com")
	var c cartOut
	s.must(t, 201, "POST", "/api/v1/carts", zoe, nil, nil, &c)
	s.must(t, 200, "POST", "/api/v1/carts/"+c.ID+"/items", zoe, nil, map[string]any{"variant_id": v, "quantity": 1}, nil)
	body := checkoutBody("tok_visa")
	body["email"] = "zoe@example.com"
	body["shipping_address"] = map[string]string{"name": "Zoe Zulu", "line1": "77 Secret Lane", "city": "Durban", "postal_code": "4001", "country": "ZA"}
	var o orderOut
	s.must(t, 201, "POST", "/api/v1/carts/"+c.ID+"/checkout", zoe, key("zoe", 1), body, &o)
	if o.ShippingAddress.Line1 != "77 Secret Lane" {
		t.Fatalf("order address: %+v", o.ShippingAddress)
	}
	// The address is stored encrypted, never in plain text.
	var stored string
	if err := s.app.DB.Read.QueryRow(`SELECT shipping_address FROM orders WHERE public_id = '` + o.ID + `'`).Scan(&stored); err != nil || strings.Contains(stored, "Secret Lane") || stored == "" {
		t.Fatalf("stored address %q (%v)", stored, err)
	}
	_, b := s.do(t, "GET", "/api/v1/me/export", zoe, nil, nil)
	if !strings.Contains(string(b), o.Number) || !strings.Contains(string(b), "77 Secret Lane") {
		t.Fatalf("the export lacks the order: %s", b)
	}
	s.must(t, 204, "DELETE", "/api/v1/me", zoe, nil, nil, nil)
	var after orderOut
	var full struct {
		Email           string `json:"email"`
		ShippingAddress struct {
			Name, Line1, City string
		} `json:"shipping_address"`
		Status string `json:"status"`
	}
	s.must(t, 200, "GET", "/api/v1/admin/orders/"+o.ID, s.admin, nil, nil, &full)
	_ = after
	if full.Email == "zoe@example.com" || !strings.HasSuffix(full.Email, "@invalid") || full.ShippingAddress.Line1 != "" || full.ShippingAddress.Name != "" || full.Status != "paid" {
		t.Fatalf("after erasure the order still says who and where: %+v", full)
	}
}
