package web_test

import (
	"context"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/oceanshop/ocean/internal/catalog"
	"github.com/oceanshop/ocean/internal/pricing"
)

var reBodyNonce = regexp.MustCompile(`<script nonce="([^"]+)">`)

// checkOwnValues checks that a product page carries this request's own
// CSP nonce (the one its header allows) and this browser's CSRF token (a
// guest's is in a cookie; signed in, the session's: what a fresh render
// of the page has), and returns the page with both blanked out.
func checkOwnValues(t *testing.T, b *browser, v visit) string {
	t.Helper()
	if v.status != 200 {
		t.Fatalf("product page %d:\n%s", v.status, v.body)
	}
	m := reNonce.FindStringSubmatch(v.header.Get("Content-Security-Policy"))
	n := reBodyNonce.FindStringSubmatch(v.body)
	if m == nil || n == nil || strings.ReplaceAll(n[1], "&#43;", "+") != m[1] {
		t.Fatalf("page nonce %v, policy allows %v: the inline script would be blocked", n, m)
	}
	want := b.cookie("__Host-ocean_csrf")
	if !strings.Contains(v.url.RawQuery, "fresh") {
		want = b.csrf(v.url.Path + "?fresh")
	}
	c := reCSRF.FindStringSubmatch(v.body)
	if c == nil || c[1] != want {
		t.Fatalf("add-to-cart token %v, the browser's is %q", c, want)
	}
	return strings.ReplaceAll(strings.ReplaceAll(v.body, n[1], "NONCE"), c[1], "CSRF")
}

// The product page is served from a cache of rendered pages (most of its
// CPU was the template): every shopper still gets their own nonce and
// token, the same page as rendered afresh, the header for who they are,
// and stock as it is now.
func TestProductPageCache(t *testing.T) {
	s := newOffice(t)
	slug, variant := s.product(t, 9, 5000)
	path := "/p/" + slug

	ann, bob := s.browser(t), s.browser(t)
	first := checkOwnValues(t, ann, ann.get(path))
	again := checkOwnValues(t, ann, ann.get(path))
	other := checkOwnValues(t, bob, bob.get(path))
	// A query the page ignores is not served from the cache: the same
	// page rendered for this request.
	fresh := checkOwnValues(t, bob, bob.get(path+"?fresh"))
	if first != again || first != other || first != fresh {
		t.Fatalf("cached page differs from a fresh render:\n%s\n---\n%s", other, fresh)
	}
	if !strings.Contains(first, "In stock") || strings.Contains(first, `href="/admin"`) {
		t.Fatalf("guest's page:\n%s", first)
	}

	// The owner's header has the admin link; a guest's after it still not.
	owner := s.owner(t)
	if v := owner.get(path); !strings.Contains(checkOwnValues(t, owner, v), `href="/admin"`) {
		t.Fatal("the owner's product page has no admin link")
	}
	if v := ann.get(path); strings.Contains(v.body, `href="/admin"`) {
		t.Fatal("a guest was served the owner's header")
	}

	// A sale shows at once: the catalog hands out a new product.
	s.buy(t, variant, 6)
	wantPage(t, ann.get(path), 200, "Only 3 left")
	s.buy(t, variant, 3)
	wantPage(t, bob.get(path), 200, "Sold out")
}

// checkNonce checks that a page carries the CSP nonce its own header
// allows, and returns the page with it blanked out.
func checkNonce(t *testing.T, v visit) string {
	t.Helper()
	if v.status != 200 {
		t.Fatalf("%s: %d\n%s", v.url, v.status, v.body)
	}
	m := reNonce.FindStringSubmatch(v.header.Get("Content-Security-Policy"))
	n := reBodyNonce.FindStringSubmatch(v.body)
	if m == nil || n == nil || strings.ReplaceAll(n[1], "&#43;", "+") != m[1] {
		t.Fatalf("%s: page nonce %v, policy allows %v: the inline script would be blocked", v.url, n, m)
	}
	return strings.ReplaceAll(v.body, n[1], "NONCE")
}

var reCartCount = regexp.MustCompile(`id="cart-count">(\d+)<`)

func cartCount(t *testing.T, v visit) string {
	t.Helper()
	m := reCartCount.FindStringSubmatch(v.body)
	if m == nil {
		t.Fatalf("%s: no cart count in the header", v.url)
	}
	return m[1]
}

// The home, category and search pages are kept rendered too: two
// shoppers and the owner share one cache, yet each page has its own
// nonce and the header of whoever asked (no one's admin link or cart
// count in another's page), and a price, name or settings change shows
// at once, with a 304 only while the page is unchanged.
func TestPublicPagesCache(t *testing.T) {
	s := newOffice(t)
	ctx := context.Background()
	slug, variant := s.product(t, 9, 12000)
	p, err := s.app.Catalog.Product(ctx, slug)
	if err != nil {
		t.Fatal(err)
	}
	paths := []string{"/", "/c/test-goods", "/search?q=office"}

	ann, bob, owner := s.browser(t), s.browser(t), s.owner(t)
	wantAt(t, ann.add(slug, "2", "colour", "Blue"), "/cart")
	for _, path := range paths {
		first := checkNonce(t, bob.get(path))
		again := checkNonce(t, bob.get(path))
		if first != again {
			t.Fatalf("%s: the kept page differs from the first render:\n%s\n---\n%s", path, first, again)
		}
		if !strings.Contains(first, "Office thing 1") || !strings.Contains(first, "R120.00") {
			t.Fatalf("%s: no product card:\n%s", path, first)
		}
		if v := owner.get(path); !strings.Contains(checkNonce(t, v), `href="/admin"`) || cartCount(t, v) != "0" {
			t.Fatalf("%s: the owner's page has no admin link or a cart count %s", path, cartCount(t, v))
		}
		if v := ann.get(path); strings.Contains(checkNonce(t, v), `href="/admin"`) || cartCount(t, v) != "2" {
			t.Fatalf("%s: ann's page has the admin link or a cart count %s, want 2", path, cartCount(t, v))
		}
		if v := bob.get(path); strings.Contains(checkNonce(t, v), `href="/admin"`) || cartCount(t, v) != "0" {
			t.Fatalf("%s: bob was served another's header (cart count %s)", path, cartCount(t, v))
		}
	}

	// Revalidation: 304 while the page is the same, the new page once a
	// price changed.
	etags := map[string]string{}
	for _, path := range paths {
		v := bob.get(path)
		etags[path] = v.header.Get("ETag")
		if r := bob.revalidate(path, etags[path]); r.status != 304 || r.body != "" {
			t.Fatalf("%s with its ETag: %d, %d bytes", path, r.status, len(r.body))
		}
	}
	if err := s.app.Catalog.SetPrices(ctx, p.ID, map[int64]int64{variant: 9900}, "ZAR"); err != nil {
		t.Fatal(err)
	}
	for _, path := range paths {
		r := bob.revalidate(path, etags[path])
		if r.status != 200 || !strings.Contains(r.body, "R99.00") || strings.Contains(r.body, "R120.00") {
			t.Fatalf("%s after a price change: %d, new price shown: %v", path, r.status, strings.Contains(r.body, "R99.00"))
		}
	}

	name := "Renamed thing"
	if err := s.app.Catalog.UpdateProduct(ctx, p.ID, catalog.ProductUpdate{Name: &name}); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{"/", "/c/test-goods", "/p/" + slug} {
		wantPage(t, ann.get(path), 200, name)
	}

	// The footer follows the settings at once on this instance.
	st, err := s.app.Checkout.Settings(ctx)
	if err != nil {
		t.Fatal(err)
	}
	before := checkNonce(t, bob.get("/"))
	st.PricesIncludeTax = !st.PricesIncludeTax
	if _, err := s.app.Checkout.UpdateSettings(ctx, *st, pricing.Actor{Name: ownerEmail}); err != nil {
		t.Fatal(err)
	}
	if after := checkNonce(t, bob.get("/")); after == before {
		t.Fatal("the home page did not change with the tax setting")
	}

	// A product taken back to draft leaves every kept page at once, and
	// its own page is gone.
	if _, err := s.app.Catalog.SetStatus(ctx, catalog.System, p.ID, 0, catalog.StatusDraft); err != nil {
		t.Fatal(err)
	}
	for _, path := range paths {
		if v := ann.get(path); strings.Contains(v.body, name) {
			t.Fatalf("%s still shows the draft product", path)
		}
	}
	if v := ann.get("/p/" + slug); v.status != 404 {
		t.Fatalf("the draft's page: %d, want 404", v.status)
	}
}

// revalidate is a GET with If-None-Match.
func (b *browser) revalidate(path, etag string) visit {
	b.t.Helper()
	req, err := http.NewRequest("GET", b.s.srv.URL+path, nil)
	if err != nil {
		b.t.Fatal(err)
	}
	req.Header.Set("If-None-Match", etag)
	return b.do(req)
}
