package web_test

import (
	"context"
	"html"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
)

// prgCase is one form refused: sent from page to action, it must answer
// 303 to at, whose GET shows says and keeps kept (the value attributes
// of what was typed), and whose reload shows neither.
type prgCase struct {
	name, page, action string
	form               url.Values
	at                 string
	says               []string
	kept               []string // values that must be in the page after the redirect
	hidden             []string // what must never be in it (a password)
}

// redirectAfterPost checks a refused form the way a person meets it: the
// POST is answered with a 303 and no page (nothing to resend); the GET
// after it shows the refusal in a focused summary or at an invalid field,
// with what was typed; a reload of that GET shows the page afresh and
// changes nothing.
func redirectAfterPost(t *testing.T, b *browser, c prgCase) {
	t.Helper()
	form := url.Values{}
	for k, v := range c.form {
		form[k] = v
	}
	b.noFollow = true
	v := b.submit(c.page, c.action, form)
	b.noFollow = false
	loc := v.header.Get("Location")
	if v.status != http.StatusSeeOther || loc == "" {
		t.Fatalf("%s: POST %s answered %d (Location %q), want 303\n%s", c.name, c.action, v.status, loc, v.body)
	}
	to, err := url.Parse(loc)
	if err != nil || to.Path != c.at || to.Host != "" {
		t.Fatalf("%s: redirected to %q, want %s", c.name, loc, c.at)
	}
	for _, k := range []string{"password", "email", "@"} {
		if strings.Contains(strings.ToLower(to.RawQuery), k) {
			t.Errorf("%s: the address %q carries what was typed", c.name, loc)
		}
	}
	if cc := v.header.Get("Cache-Control"); !strings.Contains(cc, "no-store") {
		t.Errorf("%s: the 303 may be stored: Cache-Control %q", c.name, cc)
	}

	g := b.get(loc)
	if g.status != http.StatusOK {
		t.Fatalf("%s: GET %s after the refusal: %d\n%s", c.name, loc, g.status, g.body)
	}
	if !strings.Contains(g.body, "autofocus") && !strings.Contains(g.body, `aria-invalid="true"`) {
		t.Errorf("%s: the refusal has no focused summary and no invalid field\n%s", c.name, g.body)
	}
	if cc := g.header.Get("Cache-Control"); !strings.Contains(cc, "no-store") {
		t.Errorf("%s: the page with the refusal may be stored: Cache-Control %q", c.name, cc)
	}
	wantPage(t, g, http.StatusOK, c.says...)
	for _, x := range c.kept {
		if !strings.Contains(g.body, `value="`+html.EscapeString(x)+`"`) && !strings.Contains(g.body, ">"+html.EscapeString(x)+"</textarea>") {
			t.Errorf("%s: what was typed (%q) is not kept\n%s", c.name, x, g.body)
		}
	}
	for _, x := range c.hidden {
		if strings.Contains(g.body, x) {
			t.Errorf("%s: the page shows %q", c.name, x)
		}
	}

	// The reload: a GET (nothing is sent again), the page afresh.
	again := b.get(loc)
	if again.status != http.StatusOK || len(again.hops) > 0 && again.url.Path != c.at {
		t.Fatalf("%s: reload of %s: %d at %s", c.name, loc, again.status, again.url)
	}
	text := pageText(again.body)
	for _, x := range c.says {
		if strings.Contains(text, x) {
			t.Errorf("%s: the reload still says %q: the flash was not spent", c.name, x)
		}
	}
}

// pageText is a page's text without markup.
func pageText(body string) string {
	return reSpace.ReplaceAllString(html.UnescapeString(reMarkup.ReplaceAllString(body, " ")), " ")
}

func TestStorefrontFormsRedirectAfterPost(t *testing.T) {
	s := newBuyShop(t)
	b := s.browser(t)
	b.add("ceramic-mug", "2")
	line := lineIDs(b.get("/cart").body)[0]
	for _, c := range []prgCase{
		{name: "add a bad quantity", page: "/p/ceramic-mug", action: "/cart/items", form: url.Values{"product": {"ceramic-mug"}, "quantity": {"100"}},
			at: "/p/ceramic-mug", says: []string{"Quantity must be between 1 and 99"}, kept: []string{"100"}},
		{name: "add a missing combination", page: "/p/linen-shirt", action: "/cart/items", form: url.Values{"product": {"linen-shirt"}, "size": {"XXL"}, "quantity": {"3"}},
			at: "/p/linen-shirt", says: []string{"Please choose another."}, kept: []string{"3"}},
		{name: "change to a bad quantity", page: "/cart", action: "/cart/items/" + line, form: url.Values{"quantity": {"0"}},
			at: "/cart", says: []string{"Quantity must be between 1 and 99"}, kept: []string{"0"}},
		{name: "an unknown discount code", page: "/cart", action: "/cart/discount", form: url.Values{"code": {"NOPE99"}},
			at: "/cart", says: []string{"There is no discount code NOPE99."}, kept: []string{"NOPE99"}},
		{name: "an over-long discount code", page: "/cart", action: "/cart/discount", form: url.Values{"code": {strings.Repeat("X", 5000)}},
			at: "/cart", says: []string{"too long (max"}},
		{name: "checkout details", page: "/checkout", action: "/checkout", form: url.Values{"email": {"sam@"}, "name": {"Sam Buyer"}, "line1": {"1 Long Street"},
			"city": {"Cape Town"}, "postal_code": {"8001"}, "country": {"ZA"}},
			at: "/checkout", says: []string{"name@example.com"}, kept: []string{"sam@", "Sam Buyer", "1 Long Street", "Cape Town"}},
	} {
		redirectAfterPost(t, b, c)
		wantCart(t, s.cart(t, b, 0), "mug", 2)
	}

	// Shipping, then a declined card: back on the payment step with the
	// gateway's reason, once; the reload asks nothing and places nothing.
	b.checkoutTo("4242424242424242") // details and shipping saved
	redirectAfterPost(t, b, prgCase{name: "no shipping method", page: "/checkout/shipping", action: "/checkout/shipping", form: url.Values{"method": {"teleport"}},
		at: "/checkout/shipping", says: []string{"Choose one of the shipping methods."}})
	b.submit("/checkout/shipping", "/checkout/shipping", url.Values{"method": {"standard"}})
	review := b.pay("4000000000000002")
	key := reKey.FindStringSubmatch(review.body)
	if key == nil {
		t.Fatalf("no review after the declined card's page:\n%s", review.body)
	}
	redirectAfterPost(t, b, prgCase{name: "a declined card", page: "/checkout/review", action: "/checkout/place", form: url.Values{"key": {key[1]}},
		at: "/checkout/payment", says: []string{"Nothing was charged and your cart is kept."}})
	wantCart(t, s.cart(t, b, 0), "mug", 2)
}

func TestAccountFormsRedirectAfterPost(t *testing.T) {
	s := newAccShop(t)
	anon := s.browser(t)
	redirectAfterPost(t, anon, prgCase{name: "a weak password", page: "/account/register", action: "/account/register",
		form: url.Values{"email": {"bob@example.com"}, "name": {"Bob Builder"}, "password": {"short"}},
		at:   "/account/register", says: []string{"too short"}, kept: []string{"bob@example.com", "Bob Builder"}, hidden: []string{`value="short"`}})

	b := s.browser(t)
	b.register("ada@example.com", "Ada", pw)
	b.signOut()
	redirectAfterPost(t, b, prgCase{name: "a wrong password", page: "/account/signin?next=/account/orders", action: "/account/signin",
		form: url.Values{"email": {"ada@example.com"}, "password": {"not my password"}, "next": {"/account/orders"}},
		at:   "/account/signin", says: []string{"The email address or password is wrong."}, kept: []string{"ada@example.com", "/account/orders"}, hidden: []string{"not my password"}})
	b.signIn("ada@example.com", pw)
	for _, c := range []prgCase{
		{name: "a bad email", page: "/account", action: "/account/profile", form: url.Values{"name": {"Ada L."}, "email": {"ada@"}, "phone": {""}},
			at: "/account", says: []string{"name@example.com"}, kept: []string{"Ada L.", "ada@"}},
		{name: "an address without a city", page: "/account", action: "/account/addresses", form: url.Values{"name": {"Ada"}, "line1": {"1 Main Road"}, "city": {""},
			"postal_code": {"8001"}, "country": {"ZA"}},
			at: "/account", says: []string{"City is required"}, kept: []string{"1 Main Road", "8001"}},
		{name: "a wrong current password", page: "/account", action: "/account/password", form: url.Values{"current_password": {"nope nope nope"}, "new_password": {"a new long passphrase"}},
			at: "/account", says: []string{"The current password is wrong."}, hidden: []string{"nope nope nope", "a new long passphrase"}},
		{name: "delete without the word", page: "/account", action: "/account/delete", form: url.Values{"confirm": {"yes"}},
			at: "/account", says: []string{"Type DELETE in capital letters to confirm."}},
	} {
		redirectAfterPost(t, b, c)
	}
	if v := b.get("/account"); v.url.Path != "/account" {
		t.Fatalf("the account went away after refused forms: at %s", v.url)
	}
}

func TestAdminFormsRedirectAfterPost(t *testing.T) {
	s := newOffice(t)
	slug, variant := s.product(t, 5, 10000)
	o := s.buy(t, variant, 1)
	boss := s.owner(t)
	p, err := s.app.Catalog.Product(context.Background(), slug)
	if err != nil {
		t.Fatal(err)
	}
	product := "/admin/products/" + itoa(p.ID)
	page := "/admin/orders/" + o.PublicID
	ref := html.UnescapeString(reReference.FindStringSubmatch(boss.get(page).body)[1])
	long := strings.Repeat("Z", 10000)
	for _, c := range []prgCase{
		{name: "a refund too large", page: page, action: page + "/refunds", form: url.Values{"amount": {"100000.00"}, "reference": {ref}},
			at: page, says: []string{"A refund must be between"}, kept: []string{"100000.00", ref}},
		{name: "fulfil without tracking", page: page, action: page + "/fulfil", form: url.Values{"tracking": {"  "}},
			at: page, says: []string{"Enter the tracking number"}},
		{name: "an over-long tracking number", page: page, action: page + "/fulfil", form: url.Values{"tracking": {long}},
			at: page, says: []string{"too long (max 64 characters)"}},
		{name: "cancel unticked", page: page, action: page + "/cancel", form: url.Values{},
			at: page, says: []string{"Tick the box"}},
		{name: "a bad discount", page: "/admin/discounts", action: "/admin/discounts", form: url.Values{"code": {"X"}, "kind": {"percent"}, "value": {"500"}},
			at: "/admin/discounts", says: []string{"Code must be 3-32 letters"}, kept: []string{"500"}},
		{name: "a stock adjustment without a reason", page: "/admin/inventory/" + itoa(variant), action: "/admin/inventory/" + itoa(variant) + "/adjustments",
			form: url.Values{"delta": {"5"}, "reason": {" "}}, at: "/admin/inventory/" + itoa(variant), says: []string{"Say why"}, kept: []string{"5"}},
		{name: "a product without a price", page: "/admin/products/new", action: "/admin/products/new",
			form: url.Values{"name": {"Teapot"}, "status": {"draft"}, "rows": {"1"}, "v_sku_0": {"TP-1"}, "v_price_0": {"cheap"}, "v_stock_0": {"1"}},
			at:   "/admin/products/new", says: []string{"Enter a price such as 199.00."}, kept: []string{"Teapot", "TP-1", "cheap"}},
		{name: "archive a product changed meanwhile", page: product, action: product + "/archive", form: url.Values{"version": {"999"}},
			at: product, says: []string{"changed"}, kept: []string{p.Name}},
		{name: "a bad setting", page: "/admin/settings", action: "/admin/settings/tax", form: url.Values{"country": {"NA"}, "rate": {"lots"}},
			at: "/admin/settings", says: []string{"Enter a percentage"}, kept: []string{"lots"}},
	} {
		redirectAfterPost(t, boss, c)
	}
	if cur := s.order(t, o.PublicID); cur.Refunded != 0 || cur.Status != o.Status {
		t.Fatalf("refused forms changed the order: refunded %d, %s", cur.Refunded, cur.Status)
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
