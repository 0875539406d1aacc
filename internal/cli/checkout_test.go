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
	"sync/atomic"
	"testing"
	"time"

	"github.com/oceanshop/ocean/internal/catalog"
	"github.com/oceanshop/ocean/internal/cli"
	"github.com/oceanshop/ocean/internal/config"
	"github.com/oceanshop/ocean/internal/demo"
	"github.com/oceanshop/ocean/internal/ocean"
	"github.com/oceanshop/ocean/internal/order"
	"github.com/oceanshop/ocean/internal/postgres/pgtest"
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
	// The journeys use the demo codes, which only demo seeding creates.
	if err := demo.SeedDiscounts(context.Background(), app.DB.Commerce()); err != nil {
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

// testCheckout keeps the journeys that need the whole program on each
// database: a shopper's purchase from cart to confirmation mail, and the
// export and erasure that join accounts and orders. The checkout's rules
// (declines, replays, expiry, the reconciler, refunds, admin actions) are
// tested in internal/checkout, every API answer in internal/api, and the
// store's (stock under concurrent checkouts, usage limits, idempotency
// keys) on both databases in internal/storetest.
func testCheckout(t *testing.T, s *buyShop) {
	t.Run("journey", func(t *testing.T) { testBuyJourney(t, s) })
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

func (s *buyShop) login(t *testing.T, email string) string {
	var tk tokens
	s.must(t, 202, "POST", "/api/v1/auth/register", "", nil, map[string]string{"email": email, "password": "correct horse battery", "name": "Shopper"}, nil)
	s.must(t, 200, "POST", "/api/v1/auth/login", "", nil, map[string]string{"email": email, "password": "correct horse battery"}, &tk)
	return tk.AccessToken
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
