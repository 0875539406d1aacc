package web_test

import (
	"regexp"
	"strings"
	"testing"
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
