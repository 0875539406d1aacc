package web_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/oceanshop/ocean/internal/account"
	"github.com/oceanshop/ocean/internal/cart"
	"github.com/oceanshop/ocean/internal/catalog"
	"github.com/oceanshop/ocean/internal/checkout"
	"github.com/oceanshop/ocean/internal/demo"
	"github.com/oceanshop/ocean/internal/httpx"
	"github.com/oceanshop/ocean/internal/inventory"
	"github.com/oceanshop/ocean/internal/mail"
	"github.com/oceanshop/ocean/internal/order"
	"github.com/oceanshop/ocean/internal/payment"
	"github.com/oceanshop/ocean/internal/payment/sandbox"
	"github.com/oceanshop/ocean/internal/secret"
	"github.com/oceanshop/ocean/internal/sqlite/sqlitetest"
	"github.com/oceanshop/ocean/internal/throttle"
	"github.com/oceanshop/ocean/internal/token"
	"github.com/oceanshop/ocean/internal/web"
)

// buyShop is the storefront with accounts, carts, the checkout and the
// sandbox gateway's hosted card page, over a real SQLite database and TLS
// (the __Host- cookies need https).
type buyShop struct {
	*accShop
	carts *cart.Service
	co    *checkout.Service
	inv   *inventory.Service
	ids   map[string]int64 // variant id by SKU
	gw    *sandbox.Gateway
	log   *slog.Logger
}

func newBuyShop(t *testing.T) *buyShop {
	t.Helper()
	shop, cfg := newBuyParts(t)
	w, err := web.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewTLSServer(shop.handler(w))
	t.Cleanup(srv.Close)
	shop.srv = srv
	return shop
}

// newBuyParts is a buyShop's services and the storefront's configuration,
// before a storefront is built and served (newBuyShop does both).
func newBuyParts(t *testing.T) (*buyShop, web.Config) {
	t.Helper()
	ctx := context.Background()
	db := sqlitetest.Open(t)
	keys, err := secret.NewKeyring()
	if err != nil {
		t.Fatal(err)
	}
	k, err := token.GenerateKey("k1")
	if err != nil {
		t.Fatal(err)
	}
	signer, err := token.NewSigner("https://shop.test", "ocean", []token.Key{k}, "k1")
	if err != nil {
		t.Fatal(err)
	}
	box := mail.NewMailbox(db.Mailbox(), time.Now)
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	accounts := account.NewService(account.Config{
		Store: db.Accounts(), Keys: keys, Tokens: signer,
		SignInLimit: throttle.NewLocal(throttle.SignIn(), time.Now),
		ResetLimit:  throttle.NewLocal(throttle.SignIn(), time.Now),
		Mail: func(ctx context.Context, to, subject, text string) error {
			return box.Send(ctx, mail.Message{To: to, Subject: subject, Text: text})
		},
		BaseURL: "https://shop.test", Log: quiet,
	})
	cat := catalog.NewService(db.Catalog(), nil)
	c := &catalog.Category{Slug: "goods", Name: "Goods"}
	if err := cat.CreateCategory(ctx, c); err != nil {
		t.Fatal(err)
	}
	ids := map[string]int64{}
	for _, p := range []*catalog.Product{
		{Slug: "linen-shirt", Name: "Linen shirt", Description: "A breezy shirt.", CategoryID: c.ID,
			Options: []catalog.Option{{Name: "size", Values: []string{"M", "L"}}},
			Variants: []catalog.Variant{
				{SKU: "shirt-m", Options: map[string]string{"size": "M"}, Price: zar(45000), Stock: 5},
				{SKU: "shirt-l", Options: map[string]string{"size": "L"}, Price: zar(45000), Stock: 0},
			}},
		{Slug: "ceramic-mug", Name: "Ceramic mug", Description: "Keeps coffee warm.", CategoryID: c.ID,
			Variants: []catalog.Variant{{SKU: "mug", Price: zar(14900), Stock: 20}}},
		{Slug: "wool-throw", Name: "Wool throw", Description: "Heavy and warm.", CategoryID: c.ID,
			Variants: []catalog.Variant{{SKU: "throw", Price: zar(89900), Stock: 1}}},
	} {
		p.CreatedAt = time.Now()
		if err := cat.CreateProduct(ctx, p); err != nil {
			t.Fatal(err)
		}
		got, err := cat.Product(ctx, p.Slug)
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range got.Variants {
			ids[v.SKU] = v.ID
		}
	}
	store := db.Commerce()
	if err := demo.SeedRules(ctx, store); err != nil {
		t.Fatal(err)
	}
	if err := demo.SeedDiscounts(ctx, store); err != nil {
		t.Fatal(err)
	}
	carts := cart.NewService(store, store, true)
	gw, err := sandbox.New(db.SandboxGateway(), sandbox.Options{})
	if err != nil {
		t.Fatal(err)
	}
	co := checkout.New(checkout.Config{Store: store, Carts: carts, CartData: store, Pricing: store,
		Gateways: map[string]payment.Gateway{gw.Name(): gw}, Sealer: accounts, Log: quiet})
	cfg := web.Config{Catalog: cat, Log: quiet, Accounts: accounts, Mailbox: box, Carts: carts, Checkout: co,
		Payment: web.Payment{Gateway: sandbox.Name, CardPage: sandbox.PayPath}}
	return &buyShop{accShop: &accShop{svc: accounts, box: box}, carts: carts, co: co, inv: inventory.NewService(store), ids: ids, gw: gw, log: quiet}, cfg
}

// handler serves storefront w with the sandbox gateway's pages behind the
// server's middleware.
func (s *buyShop) handler(w *web.Web) http.Handler {
	mux := http.NewServeMux()
	w.Register(mux)
	mux.Handle("/sandbox-gateway/", sandbox.Handler(s.gw))
	return httpx.Chain(mux, httpx.WithRequestID, httpx.SecurityHeaders, httpx.CheckRequest(w.ErrorPage), httpx.Recover(s.log, w.ErrorPage))
}

// add puts a product in the cart from its page, as the page's form does.
func (b *browser) add(slug, qty string, opts ...string) visit {
	b.t.Helper()
	f := url.Values{"product": {slug}, "quantity": {qty}}
	for i := 0; i+1 < len(opts); i += 2 {
		f.Set(opts[i], opts[i+1])
	}
	return b.submit("/p/"+slug, "/cart/items", f)
}

// cookie returns the named cookie's value in the jar, "" if none.
func (b *browser) cookie(name string) string {
	u, _ := url.Parse(b.s.srv.URL)
	for _, c := range b.c.Jar.Cookies(u) {
		if c.Name == name {
			return c.Value
		}
	}
	return ""
}

// cart is what the shop holds in this browser's cart (by its cookie).
func (s *buyShop) cart(t *testing.T, b *browser, uid int64) map[string]int {
	t.Helper()
	id := b.cookie("__Host-ocean_cart")
	got := map[string]int{}
	if id == "" {
		return got
	}
	v, err := s.carts.Get(context.Background(), id, uid)
	if err != nil {
		t.Fatalf("cart %s: %v", id, err)
	}
	for _, l := range v.Lines {
		got[l.Variant.SKU] = l.Quantity
	}
	return got
}

func wantCart(t *testing.T, got map[string]int, want ...any) {
	t.Helper()
	w := map[string]int{}
	for i := 0; i+1 < len(want); i += 2 {
		w[want[i].(string)] = want[i+1].(int)
	}
	if len(got) != len(w) {
		t.Fatalf("cart %v, want %v", got, w)
	}
	for k, n := range w {
		if got[k] != n {
			t.Fatalf("cart %v, want %v", got, w)
		}
	}
}

var reLine = regexp.MustCompile(`action="/cart/items/(\d+)"`)

func lineIDs(body string) []string {
	var out []string
	for _, m := range reLine.FindAllStringSubmatch(body, -1) {
		out = append(out, m[1])
	}
	return out
}

func TestCartAddUpdateRemove(t *testing.T) {
	s := newBuyShop(t)
	b := s.browser(t)

	v := b.get("/p/linen-shirt")
	wantHTML(t, v, 200)
	for _, want := range []string{`action="/cart/items"`, `href="/cart"`, `id="cart-count">0<`, `id="quantity"`, `<label for="quantity">Quantity</label>`} {
		if !strings.Contains(v.body, want) {
			t.Errorf("product page lacks %s", want)
		}
	}
	// A sold-out size cannot be added: the button is disabled for it.
	if v := b.get("/p/linen-shirt?size=L"); !regexp.MustCompile(`id="add-to-cart"[^>]*disabled`).MatchString(v.body) {
		t.Error("the add button is enabled for a sold-out size")
	}
	if v := b.get("/cart"); !strings.Contains(v.body, "Your cart is empty") {
		t.Error("an empty cart does not say so")
	}

	// The first add creates the cart; the cookie is a __Host- secret.
	b.noFollow = true
	v = b.add("linen-shirt", "2", "size", "M")
	b.noFollow = false
	if v.status != http.StatusSeeOther || v.header.Get("Location") != "/cart?done=added" {
		t.Fatalf("add: %d %s\n%s", v.status, v.header.Get("Location"), v.body)
	}
	var ck *http.Cookie
	for _, c := range v.cookies {
		if c.Name == "__Host-ocean_cart" {
			ck = c
		}
	}
	if ck == nil {
		t.Fatalf("no cart cookie: %v", v.header["Set-Cookie"])
	}
	if !ck.Secure || !ck.HttpOnly || ck.SameSite != http.SameSiteLaxMode || ck.Path != "/" || ck.Domain != "" || ck.MaxAge <= 0 || !cart.ValidID(ck.Value) {
		t.Errorf("cart cookie attributes: %s", ck)
	}
	wantCart(t, s.cart(t, b, 0), "shirt-m", 2)

	v = b.get("/cart")
	wantHTML(t, v, 200)
	for _, want := range []string{`href="/p/linen-shirt">Linen shirt</a>`, "size: M", "R450.00", "R900.00", "Shipping calculated at checkout",
		"Prices include VAT", `href="/checkout"`, `id="cart-count">2<`, "Only 5 left"} {
		if !strings.Contains(v.body, want) {
			t.Errorf("cart page lacks %q", want)
		}
	}
	if v.header.Get("Cache-Control") != "no-store" {
		t.Errorf("cart page Cache-Control %q", v.header.Get("Cache-Control"))
	}
	// The same variant again adds up on one line.
	b.add("linen-shirt", "1", "size", "M")
	b.add("ceramic-mug", "1")
	wantCart(t, s.cart(t, b, 0), "shirt-m", 3, "mug", 1)

	lines := lineIDs(b.get("/cart").body)
	if len(lines) != 2 {
		t.Fatalf("cart lines %v", lines)
	}
	v = b.submit("/cart", "/cart/items/"+lines[0], url.Values{"quantity": {"4"}})
	wantAt(t, v, "/cart")
	if !strings.Contains(v.body, "The quantity was changed.") {
		t.Error("no confirmation of the change")
	}
	wantCart(t, s.cart(t, b, 0), "shirt-m", 4, "mug", 1)

	// A discount code: a wrong one is explained at the field; a good one applies.
	v = b.submit("/cart", "/cart/discount", url.Values{"code": {"NOPE99"}})
	wantRefused(t, v)
	if !strings.Contains(v.body, "There is no discount code NOPE99.") || !strings.Contains(v.body, `value="NOPE99"`) {
		t.Errorf("wrong code page:\n%s", v.body)
	}
	v = b.submit("/cart", "/cart/discount", url.Values{"code": {"welcome10"}})
	wantAt(t, v, "/cart")
	if !strings.Contains(v.body, "WELCOME10") || !strings.Contains(v.body, "−R194.90") {
		t.Errorf("discount not shown:\n%s", v.body)
	}
	v = b.submit("/cart", "/cart/discount/remove", url.Values{})
	if strings.Contains(v.body, "−R") {
		t.Error("the discount stayed after removal")
	}

	v = b.submit("/cart", "/cart/items/"+lines[1]+"/remove", url.Values{})
	wantAt(t, v, "/cart")
	wantCart(t, s.cart(t, b, 0), "shirt-m", 4)
	b.submit("/cart", "/cart/items/"+lines[0]+"/remove", url.Values{})
	if v := b.get("/cart"); !strings.Contains(v.body, "Your cart is empty") || !strings.Contains(v.body, `href="/"`) {
		t.Error("the emptied cart shows no empty state with a way back")
	}
}

func TestCartRefusalsChangeNothing(t *testing.T) {
	s := newBuyShop(t)
	b := s.browser(t)
	b.add("ceramic-mug", "2")
	wantCart(t, s.cart(t, b, 0), "mug", 2)
	line := lineIDs(b.get("/cart").body)[0]

	for _, tc := range []struct {
		name, action string
		form         url.Values
		status       int
		want         string
	}{
		{"add 0", "/cart/items", url.Values{"product": {"ceramic-mug"}, "quantity": {"0"}}, 303, "The quantity must be between 1 and 99."},
		{"add 100", "/cart/items", url.Values{"product": {"ceramic-mug"}, "quantity": {"100"}}, 303, "Quantity must be between 1 and 99"},
		{"add words", "/cart/items", url.Values{"product": {"ceramic-mug"}, "quantity": {"lots"}}, 303, "The quantity must be between 1 and 99."},
		{"add unknown variant", "/cart/items", url.Values{"variant_id": {"999999"}, "quantity": {"1"}}, 422, "That product variant does not exist."},
		{"add garbage variant", "/cart/items", url.Values{"variant_id": {"x'; drop"}, "quantity": {"1"}}, 422, "That product variant does not exist."},
		{"add unknown product", "/cart/items", url.Values{"product": {"no-such-thing"}, "quantity": {"1"}}, 404, "We couldn’t find that page"},
		{"add missing combination", "/cart/items", url.Values{"product": {"linen-shirt"}, "size": {"XXL"}, "quantity": {"1"}}, 303, "We don’t have that combination"},
		{"add sold out", "/cart/items", url.Values{"product": {"linen-shirt"}, "size": {"L"}, "quantity": {"1"}}, 303, "is sold out"},
		{"add more than stock", "/cart/items", url.Values{"product": {"wool-throw"}, "quantity": {"2"}}, 303, "Only 1 of Wool throw left."},
		{"update 0", "/cart/items/" + line, url.Values{"quantity": {"0"}}, 303, "Quantity must be between 1 and 99"},
		{"update 100", "/cart/items/" + line, url.Values{"quantity": {"100"}}, 303, "Quantity must be between 1 and 99"},
		{"update unknown line", "/cart/items/987654", url.Values{"quantity": {"1"}}, 404, "There is no such line in this cart."},
		{"remove unknown line", "/cart/items/987654/remove", url.Values{}, 404, "There is no such line in this cart."},
	} {
		page := "/cart"
		if tc.form.Get("product") != "" {
			page = "/p/ceramic-mug"
		}
		v := b.submit(page, tc.action, tc.form)
		wantAnswer(t, v, tc.status) // 303: refused, shown on the page's own address
		if !strings.Contains(v.body, tc.want) {
			t.Errorf("%s: page lacks %q\n%s", tc.name, tc.want, v.body)
		}
		wantCart(t, s.cart(t, b, 0), "mug", 2)
	}
	// A refused quantity shows what was typed, next to its line.
	v := b.submit("/cart", "/cart/items/"+line, url.Values{"quantity": {"100"}})
	if !strings.Contains(v.body, `id="quantity-`+line+`" name="quantity" type="number" inputmode="numeric" min="1" max="99" value="100"`) || !strings.Contains(v.body, `aria-invalid="true"`) {
		t.Errorf("the refused quantity is not shown at its line:\n%s", v.body)
	}
}

func TestCartCSRF(t *testing.T) {
	s := newBuyShop(t)
	b := s.browser(t)
	b.add("ceramic-mug", "1")
	line := lineIDs(b.get("/cart").body)[0]
	good := b.csrf("/cart")
	for _, tc := range []struct {
		name string
		form url.Values
		hdr  []string
	}{
		{"no token", url.Values{}, nil},
		{"wrong token", url.Values{"csrf": {strings.Repeat("A", 43)}}, nil},
		{"other site", url.Values{"csrf": {good}}, []string{"Origin", "https://evil.example"}},
		{"cross-site fetch", url.Values{"csrf": {good}}, []string{"Sec-Fetch-Site", "cross-site"}},
	} {
		for _, action := range []string{"/cart/items", "/cart/items/" + line, "/cart/items/" + line + "/remove", "/cart/discount", "/checkout/place"} {
			f := url.Values{"product": {"ceramic-mug"}, "quantity": {"3"}, "code": {"WELCOME10"}, "key": {"key-12345678"}}
			for k, v := range tc.form {
				f[k] = v
			}
			v := b.post(action, f, tc.hdr...)
			if v.status != http.StatusForbidden || !strings.Contains(v.body, "This form expired") {
				t.Errorf("%s %s: %d", tc.name, action, v.status)
			}
		}
	}
	wantCart(t, s.cart(t, b, 0), "mug", 1)
	if v := b.get("/cart"); strings.Contains(v.body, "WELCOME10") {
		t.Error("a forged discount was applied")
	}
	// Another browser's token is no good either.
	other := s.browser(t)
	if v := b.post("/cart/items/"+line+"/remove", url.Values{"csrf": {other.csrf("/account/signin")}}); v.status != http.StatusForbidden {
		t.Errorf("another browser's token: %d", v.status)
	}
	wantCart(t, s.cart(t, b, 0), "mug", 1)
}

func TestCartMergesOnSignIn(t *testing.T) {
	s := newBuyShop(t)
	b := s.browser(t)
	b.register("ada@example.com", "Ada", pw)
	u, err := s.svc.SignIn(context.Background(), "ada@example.com", pw, account.Meta{})
	if err != nil {
		t.Fatal(err)
	}
	b.add("linen-shirt", "1", "size", "M")
	wantCart(t, s.cart(t, b, u.ID), "shirt-m", 1)
	b.signOut()
	if b.cookie("__Host-ocean_cart") != "" {
		t.Error("sign-out left the cart cookie")
	}
	if v := b.get("/cart"); !strings.Contains(v.body, "Your cart is empty") {
		t.Error("after sign-out the shopper's cart is still shown")
	}

	b.add("ceramic-mug", "2")
	b.add("linen-shirt", "1", "size", "M")
	guest := b.cookie("__Host-ocean_cart")
	wantCart(t, s.cart(t, b, 0), "mug", 2, "shirt-m", 1)

	b.signIn("ada@example.com", pw)
	wantCart(t, s.cart(t, b, u.ID), "shirt-m", 2, "mug", 2)
	if b.cookie("__Host-ocean_cart") == guest {
		t.Error("the cookie still names the guest cart")
	}
	if v := b.get("/cart"); !strings.Contains(v.body, `id="cart-count">4<`) {
		t.Error("the header does not count the merged cart")
	}
	// The shopper's cart follows them to another browser.
	other := s.browser(t)
	other.signIn("ada@example.com", pw)
	if v := other.get("/cart"); !strings.Contains(v.body, "Ceramic mug") || !strings.Contains(v.body, "Linen shirt") {
		t.Error("the signed-in cart is not found in another browser")
	}
}

// checkoutTo walks the checkout as a guest or shopper up to the review,
// paying with card on the sandbox's hosted page, and returns the review.
func (b *browser) checkoutTo(card string) visit {
	b.t.Helper()
	v := b.submit("/checkout", "/checkout", url.Values{"email": {"sam@example.com"}, "name": {"Sam Buyer"},
		"line1": {"1 Long Street"}, "city": {"Cape Town"}, "postal_code": {"8001"}, "country": {"ZA"}})
	wantAt(b.t, v, "/checkout/shipping")
	v = b.submit("/checkout/shipping", "/checkout/shipping", url.Values{"method": {"standard"}})
	wantAt(b.t, v, "/checkout/payment")
	return b.pay(card)
}

// pay starts the payment step and enters card on the hosted page.
func (b *browser) pay(card string) visit {
	b.t.Helper()
	b.noFollow = true
	v := b.submit("/checkout/payment", "/checkout/payment", url.Values{})
	b.noFollow = false
	loc := v.header.Get("Location")
	if v.status != http.StatusSeeOther || !strings.HasPrefix(loc, "/sandbox-gateway/pay?") {
		b.t.Fatalf("payment step: %d to %q\n%s", v.status, loc, v.body)
	}
	u, _ := url.Parse(loc)
	ret := u.Query().Get("return")
	if !strings.HasPrefix(ret, "/checkout/review?state=") {
		b.t.Fatalf("return address %q", ret)
	}
	if pg := b.get(loc); pg.status != 200 || !strings.Contains(pg.body, "Card number") {
		b.t.Fatalf("hosted card page: %d\n%s", pg.status, pg.body)
	}
	return b.post("/sandbox-gateway/pay", url.Values{"return": {ret}, "number": {card}, "exp_month": {"12"}, "exp_year": {"2035"}, "cvc": {"123"},
		"amount": u.Query()["amount"], "currency": u.Query()["currency"]})
}

var reKey = regexp.MustCompile(`name="key" value="([^"]+)"`)

func TestGuestCheckout(t *testing.T) {
	s := newBuyShop(t)
	b := s.browser(t)
	if v := b.get("/checkout"); v.url.Path != "/cart" {
		t.Errorf("checkout with an empty cart went to %s", v.url)
	}
	b.add("linen-shirt", "2", "size", "M")

	v := b.get("/checkout")
	wantHTML(t, v, 200)
	for _, want := range []string{`<label for="email">Email address</label>`, `<select id="country" name="country"`, `<option value="ZA" selected>South Africa</option>`, "Sign in"} {
		if !strings.Contains(v.body, want) {
			t.Errorf("details page lacks %s", want)
		}
	}
	// Mistakes are shown next to their fields, and what was typed stays.
	v = b.submit("/checkout", "/checkout", url.Values{"email": {"not-an-email"}, "name": {"Sam"}, "line1": {""}, "city": {"Cape Town"}, "country": {"ZA"}})
	wantRefused(t, v)
	for _, want := range []string{`id="email-error"`, "Email address must be an email address", `id="line1-error"`, "Street address is required", `value="not-an-email"`, `value="Cape Town"`} {
		if !strings.Contains(v.body, want) {
			t.Errorf("refused details lack %q", want)
		}
	}
	// A country the shop does not ship to is refused next to the field.
	v = b.submit("/checkout", "/checkout", url.Values{"email": {"sam@example.com"}, "name": {"Sam"}, "line1": {"1 Rua"}, "city": {"Rio"}, "country": {"BR"}})
	wantRefused(t, v)
	if !strings.Contains(v.body, `id="country-error"`) || !strings.Contains(v.body, "We do not ship there") {
		t.Errorf("checkout to BR:\n%s", v.body)
	}
	if v := b.get("/checkout/review"); v.url.Path != "/checkout" {
		t.Errorf("review before the details went to %s", v.url)
	}

	v = b.submit("/checkout", "/checkout", url.Values{"email": {"sam@example.com"}, "name": {"Sam Buyer"}, "line1": {"1 Long Street"},
		"city": {"Cape Town"}, "postal_code": {"8001"}, "country": {"ZA"}})
	wantAt(t, v, "/checkout/shipping")
	wantHTML(t, v, 200)
	for _, want := range []string{"Standard delivery", "Express delivery", "Free", "R150.00", "Free on orders of R750.00 or more: yours qualifies."} {
		if !strings.Contains(v.body, want) {
			t.Errorf("shipping page lacks %q", want)
		}
	}
	// South Africa has its own methods: the international courier is not
	// offered, and posting it is refused.
	if strings.Contains(v.body, "International courier") {
		t.Errorf("the international courier is offered for a South African address")
	}
	if v := b.submit("/checkout/shipping", "/checkout/shipping", url.Values{"method": {"international"}}); !v.refused() || !strings.Contains(v.body, "Choose one of the shipping methods.") {
		t.Errorf("international courier to ZA: %d", v.status)
	}
	// The details are sealed: the cookie does not show them.
	if c := b.cookie("__Host-ocean_checkout"); c == "" || strings.Contains(c, "sam") || strings.Contains(c, "Long") {
		t.Errorf("checkout cookie %q", c)
	}
	if v := b.submit("/checkout/shipping", "/checkout/shipping", url.Values{"method": {"teleport"}}); !v.refused() || !strings.Contains(v.body, "Choose one of the shipping methods.") {
		t.Errorf("unknown method: %d", v.status)
	}
	v = b.submit("/checkout/shipping", "/checkout/shipping", url.Values{"method": {"express"}})
	wantAt(t, v, "/checkout/payment")
	wantHTML(t, v, 200)
	if !strings.Contains(v.body, "R1,050.00") {
		t.Errorf("payment page total:\n%s", v.body)
	}

	v = b.pay("4242 4242 4242 4242")
	wantAt(t, v, "/checkout/review")
	wantHTML(t, v, 200)
	if v.url.RawQuery != "" {
		t.Errorf("the token stayed in the address: %s", v.url)
	}
	for _, want := range []string{"Visa ending 4242", "sam@example.com", "1 Long Street", "Express delivery", "R900.00", "R150.00", "R1,050.00", "Includes VAT 15%: R136.96", "Place order"} {
		if !strings.Contains(v.body, want) {
			t.Errorf("review lacks %q", want)
		}
	}
	m := reKey.FindStringSubmatch(v.body)
	if m == nil {
		t.Fatal("no idempotency key on the review page")
	}
	if again := reKey.FindStringSubmatch(b.get("/checkout/review").body); again == nil || again[1] != m[1] {
		t.Error("reloading the review changed the key")
	}
	form := url.Values{"key": {m[1]}, "csrf": {b.csrf("/checkout/review")}}
	before := b.cookies()

	b.noFollow = true
	placed := b.post("/checkout/place", form)
	b.noFollow = false
	loc := placed.header.Get("Location")
	if placed.status != http.StatusSeeOther || !strings.HasPrefix(loc, "/orders/") {
		t.Fatalf("place: %d %q\n%s", placed.status, loc, placed.body)
	}
	v = b.get(loc)
	wantHTML(t, v, 200)
	for _, want := range []string{"Thank you! Your order OC1", "Paid", "Linen shirt", "Sam Buyer", "South Africa", "Visa ending 4242", "R1,050.00", "Includes VAT 15%: R136.96"} {
		if !strings.Contains(v.body, want) {
			t.Errorf("confirmation lacks %q", want)
		}
	}
	if v.header.Get("Referrer-Policy") != "no-referrer" {
		t.Error("the order page may leak its address in Referer")
	}
	if b.cookie("__Host-ocean_cart") != "" || b.cookie("__Host-ocean_checkout") != "" {
		t.Error("the cart or checkout cookie outlived the order")
	}
	if v := b.get("/cart"); !strings.Contains(v.body, "Your cart is empty") || !strings.Contains(v.body, `id="cart-count">0<`) {
		t.Error("the cart is not empty after the order")
	}
	// The same form again with the cookies it had (a double click whose
	// second request left before the first answer came): the same order.
	again := b.postRaw("/checkout/place", form, before)
	if again.status != http.StatusSeeOther || again.header.Get("Location") != loc {
		t.Errorf("second submit: %d %q, want %q\n%s", again.status, again.header.Get("Location"), loc, again.body)
	}
	if os, err := s.co.Orders(context.Background(), order.Filter{}); err != nil || len(os) != 1 {
		t.Errorf("orders after a double submit: %d %v", len(os), err)
	}
	// Stock went down by what was bought.
	if l, err := s.inv.Level(context.Background(), s.ids["shirt-m"]); err != nil || l.Stock != 3 {
		t.Errorf("stock after the order: %+v %v", l, err)
	}
}

// cookies is what the jar holds now.
func (b *browser) cookies() []*http.Cookie {
	u, _ := url.Parse(b.s.srv.URL)
	return b.c.Jar.Cookies(u)
}

// postRaw sends a form with exactly these cookies, outside the jar, and
// does not follow redirects.
func (b *browser) postRaw(path string, form url.Values, cookies []*http.Cookie) visit {
	b.t.Helper()
	req, err := http.NewRequest("POST", b.s.srv.URL+path, strings.NewReader(form.Encode()))
	if err != nil {
		b.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", b.s.srv.URL)
	for _, c := range cookies {
		req.AddCookie(&http.Cookie{Name: c.Name, Value: c.Value})
	}
	c := &http.Client{Transport: b.c.Transport, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := c.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	return visit{response: response{status: res.StatusCode, header: res.Header, body: string(body)}, url: res.Request.URL, cookies: res.Cookies()}
}

func TestDeclinedCardKeepsTheCart(t *testing.T) {
	s := newBuyShop(t)
	b := s.browser(t)
	b.add("wool-throw", "1")
	v := b.checkoutTo("4000 0000 0000 0002")
	wantAt(t, v, "/checkout/review")
	key := reKey.FindStringSubmatch(v.body)
	if key == nil {
		t.Fatalf("no review:\n%s", v.body)
	}
	v = b.post("/checkout/place", url.Values{"key": {key[1]}, "csrf": {b.csrf("/checkout/review")}})
	wantRefused(t, v)
	for _, want := range []string{`role="alert"`, "declined", "Nothing was charged and your cart is kept", "Try another card"} {
		if !strings.Contains(v.body, want) {
			t.Errorf("decline page lacks %q\n%s", want, v.body)
		}
	}
	wantCart(t, s.cart(t, b, 0), "throw", 1)
	// The stock the attempt reserved is back, and no order is listed.
	if l, err := s.inv.Level(context.Background(), s.ids["throw"]); err != nil || l.Stock != 1 {
		t.Errorf("stock after a decline: %+v %v", l, err)
	}
	// The spent card is forgotten: the review asks for a card again.
	if v := b.get("/checkout/review"); v.url.Path != "/checkout/payment" {
		t.Errorf("review after a decline went to %s", v.url)
	}
	// Another card goes through.
	v = b.pay("4242424242424242")
	wantAt(t, v, "/checkout/review")
	key2 := reKey.FindStringSubmatch(v.body)
	if key2 == nil || key2[1] == key[1] {
		t.Fatal("the retry reuses the declined attempt's key")
	}
	v = b.post("/checkout/place", url.Values{"key": {key2[1]}, "csrf": {b.csrf("/checkout/review")}})
	wantHTML(t, v, 200)
	if !strings.HasPrefix(v.url.Path, "/orders/") || !strings.Contains(v.body, "is confirmed") {
		t.Errorf("second card: at %s\n%s", v.url, v.body)
	}
}

func TestCheckoutOutOfStockGoesBackToCart(t *testing.T) {
	s := newBuyShop(t)
	b := s.browser(t)
	b.add("wool-throw", "1")
	v := b.checkoutTo("4242424242424242")
	key := reKey.FindStringSubmatch(v.body)
	if key == nil {
		t.Fatalf("no review:\n%s", v.body)
	}
	// Someone else buys the last one meanwhile.
	if _, err := s.inv.Adjust(context.Background(), s.ids["throw"], -1, "sold in the shop", "test"); err != nil {
		t.Fatal(err)
	}
	v = b.post("/checkout/place", url.Values{"key": {key[1]}, "csrf": {b.csrf("/checkout/review")}})
	wantRefused(t, v)
	wantAt(t, v, "/cart")
	for _, want := range []string{"Not enough stock for throw", "Sold out", "Your cart", "Wool throw"} {
		if !strings.Contains(v.body, want) {
			t.Errorf("out-of-stock page lacks %q", want)
		}
	}
	wantCart(t, s.cart(t, b, 0), "throw", 1)
	// The steps send the shopper back to the cart too.
	if v := b.get("/checkout/shipping"); v.status != http.StatusConflict || !strings.Contains(v.body, "Not enough stock") {
		t.Errorf("shipping step with a sold-out cart: %d", v.status)
	}
}

func TestPaymentReturnNeedsThisCheckout(t *testing.T) {
	s := newBuyShop(t)
	b := s.browser(t)
	b.add("ceramic-mug", "1")
	b.checkoutTo("4242424242424242")
	// A crafted link with someone else's token is refused: no nonce matches.
	v := b.get("/checkout/review?" + url.Values{"state": {"forged"}, "payment_token": {"tok_chargeDeclined"}, "card": {"Visa ending 0002"}}.Encode())
	wantHTML(t, v, http.StatusBadRequest)
	if !strings.Contains(v.body, "We could not match that card") {
		t.Errorf("forged return:\n%s", v.body)
	}
	if v := b.get("/checkout/review"); !strings.Contains(v.body, "Visa ending 4242") {
		t.Error("the forged return replaced the card")
	}
}

func TestOrderPages(t *testing.T) {
	s := newBuyShop(t)
	ada := s.browser(t)
	ada.register("ada@example.com", "Ada Lovelace", pw)
	if v := ada.get("/account/orders"); !strings.Contains(v.body, "No orders yet") {
		t.Error("orders page lacks its empty state")
	}
	// Her default address fills the checkout.
	ada.submit("/account", "/account/addresses", url.Values{"name": {"Ada Lovelace"}, "line1": {"12 Bree Street"}, "city": {"Cape Town"},
		"postal_code": {"8000"}, "country": {"ZA"}, "is_default": {"on"}})
	ada.add("ceramic-mug", "2")
	v := ada.get("/checkout")
	for _, want := range []string{`value="ada@example.com"`, `value="12 Bree Street"`, `value="Ada Lovelace"`} {
		if !strings.Contains(v.body, want) {
			t.Errorf("signed-in checkout lacks %s", want)
		}
	}
	if strings.Contains(v.body, "Have an account?") {
		t.Error("a signed-in shopper is asked to sign in")
	}
	v = ada.checkoutTo("4242424242424242")
	key := reKey.FindStringSubmatch(v.body)
	if key == nil {
		t.Fatalf("no review:\n%s", v.body)
	}
	v = ada.post("/checkout/place", url.Values{"key": {key[1]}, "csrf": {ada.csrf("/checkout/review")}})
	if !strings.HasPrefix(v.url.Path, "/orders/") {
		t.Fatalf("order placed at %s\n%s", v.url, v.body)
	}
	orderURL := v.url.Path
	v = ada.get("/account/orders")
	wantHTML(t, v, 200)
	if !strings.Contains(v.body, `href="`+orderURL+`"`) || !strings.Contains(v.body, "Paid") || !strings.Contains(v.body, "R358.00") {
		t.Errorf("orders list:\n%s", v.body)
	}
	wantHTML(t, ada.get(orderURL), 200)

	// Another shopper, and a guest, get the ordinary 404 for her order.
	bob := s.browser(t)
	bob.register("bob@example.com", "Bob", pw)
	for _, who := range []*browser{bob, s.browser(t)} {
		v := who.get(orderURL)
		wantHTML(t, v, http.StatusNotFound)
		if strings.Contains(v.body, "Ceramic mug") || strings.Contains(v.body, "Bree") {
			t.Error("the 404 shows the order")
		}
	}
	if v := bob.get("/account/orders"); !strings.Contains(v.body, "No orders yet") {
		t.Error("Bob sees orders that are not his")
	}
	for _, p := range []string{"/orders/nope", "/orders/" + strings.Repeat("0", 32)} {
		wantHTML(t, bob.get(p), http.StatusNotFound)
	}
	// Shipped: the tracking number shows.
	id := strings.TrimPrefix(orderURL, "/orders/")
	if _, err := s.co.Fulfil(context.Background(), id, "TRACK-123", "test"); err != nil {
		t.Fatal(err)
	}
	if v := ada.get(orderURL); !strings.Contains(v.body, "TRACK-123") || !strings.Contains(v.body, "Shipped") {
		t.Error("the shipped order lacks its tracking number")
	}
}
