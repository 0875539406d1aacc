package web_test

import (
	"io"
	"regexp"
	"strings"
	"testing"

	"github.com/andybalholm/brotli"
)

// TestPublicPagesCacheable: a page anyone gets the same is one a CDN may
// keep briefly and serve stale while it revalidates; the browser's copy
// revalidates with its ETag and gets 304 without the body, even though
// every response has a fresh CSP nonce.
func TestPublicPagesCacheable(t *testing.T) {
	s := newShop(t)
	for _, path := range []string{"/", "/c/shirts", "/p/linen-shirt", "/search?q=shirt"} {
		r := s.get(t, path)
		if r.status != 200 {
			t.Fatalf("%s: %d", path, r.status)
		}
		cc := r.header.Get("Cache-Control")
		if !strings.HasPrefix(cc, "public, max-age=") || !strings.Contains(cc, "stale-while-revalidate=") {
			t.Errorf("%s: Cache-Control %q, want public with stale-while-revalidate", path, cc)
		}
		if vary := strings.Join(r.header.Values("Vary"), ", "); !strings.Contains(vary, "Cookie") {
			t.Errorf("%s: Vary %q, want Cookie", path, vary)
		}
		etag := r.header.Get("ETag")
		if !strings.HasPrefix(etag, `W/"`) {
			t.Fatalf("%s: ETag %q", path, etag)
		}
		again := s.get(t, path, "If-None-Match", etag)
		if again.status != 304 || again.body != "" {
			t.Errorf("%s revalidated: %d with %d bytes, want 304 and no body", path, again.status, len(again.body))
		}
		// The stored copy keeps the policy whose nonce its inline script has.
		if again.header.Get("Content-Security-Policy") != "" {
			t.Errorf("%s: 304 replaces the stored page's CSP", path)
		}
		if stale := s.get(t, path, "If-None-Match", `W/"0123456789abcdef01234567"`); stale.status != 200 || len(stale.body) < 1000 {
			t.Errorf("%s with a stale ETag: %d, %d bytes", path, stale.status, len(stale.body))
		}
	}
	// Another page, another ETag.
	if s.get(t, "/c/shirts").header.Get("ETag") == s.get(t, "/c/jackets").header.Get("ETag") {
		t.Error("two categories share an ETag")
	}
	// A page that failed is not stored.
	if r := s.get(t, "/p/no-such-thing"); r.status != 404 || r.header.Get("Cache-Control") != "no-store" || r.header.Get("ETag") != "" {
		t.Errorf("404: %d %q etag %q", r.status, r.header.Get("Cache-Control"), r.header.Get("ETag"))
	}
}

// TestPagesNotCompressed: HTML goes uncompressed even to a browser that
// takes gzip (BREACH: a page's CSRF token beside a reflected search query),
// while the stylesheet, which holds no secret, goes compressed.
func TestPagesNotCompressed(t *testing.T) {
	s := newShop(t)
	for _, path := range []string{"/", "/search?q=wool"} {
		r := s.get(t, path, "Accept-Encoding", "gzip, deflate, br")
		if r.header.Get("Content-Encoding") != "" || !strings.Contains(r.body, "<!doctype html>") {
			t.Fatalf("%s: Content-Encoding %q", path, r.header.Get("Content-Encoding"))
		}
	}
}

// TestStaticAssetsPrecompressed: the stylesheet and script go as brotli to
// a browser that takes it, gzip to one that takes only gzip, plain
// otherwise; each decodes to the same file and has its own ETag.
func TestStaticAssetsPrecompressed(t *testing.T) {
	s := newShop(t)
	home := s.page(t, "/", 200)
	for _, re := range []string{`href="(/static/app\.[0-9a-f]{8}\.css)"`, `src="(/static/app\.[0-9a-f]{8}\.js)"`} {
		url := regexp.MustCompile(re).FindStringSubmatch(home)[1]
		plain := s.get(t, url, "Accept-Encoding", "identity")
		if plain.status != 200 || plain.header.Get("Content-Encoding") != "" {
			t.Fatalf("%s plain: %d %q", url, plain.status, plain.header.Get("Content-Encoding"))
		}
		br := s.get(t, url, "Accept-Encoding", "gzip, deflate, br, zstd")
		gz := s.get(t, url, "Accept-Encoding", "gzip")
		if br.header.Get("Content-Encoding") != "br" || gz.header.Get("Content-Encoding") != "gzip" {
			t.Fatalf("%s: encodings %q and %q", url, br.header.Get("Content-Encoding"), gz.header.Get("Content-Encoding"))
		}
		for _, r := range []response{br, gz} {
			if cc := r.header.Get("Cache-Control"); cc != "public, max-age=31536000, immutable" {
				t.Errorf("%s: Cache-Control %q", url, cc)
			}
			if r.header.Get("Vary") != "Accept-Encoding" {
				t.Errorf("%s: Vary %q", url, r.header.Get("Vary"))
			}
		}
		if len(br.body) >= len(gz.body) || len(gz.body) >= len(plain.body) {
			t.Errorf("%s: br %d, gzip %d, plain %d bytes", url, len(br.body), len(gz.body), len(plain.body))
		}
		got, err := io.ReadAll(brotli.NewReader(strings.NewReader(br.body)))
		if err != nil || string(got) != plain.body {
			t.Errorf("%s: brotli body does not decode to the file (%v)", url, err)
		}
		if br.header.Get("ETag") == gz.header.Get("ETag") || br.header.Get("ETag") == plain.header.Get("ETag") {
			t.Errorf("%s: encodings share an ETag", url)
		}
		if r := s.get(t, url, "Accept-Encoding", "br", "If-None-Match", br.header.Get("ETag")); r.status != 304 {
			t.Errorf("%s revalidated: %d", url, r.status)
		}
		t.Logf("%s: %d bytes, gzip %d, brotli %d", url, len(plain.body), len(gz.body), len(br.body))
	}
}

// TestPersonalPagesNeverShared: with accounts and a cart, pages about one
// person are never stored, and a public page seen by a browser with our
// cookies is that browser's alone.
func TestPersonalPagesNeverShared(t *testing.T) {
	s := newBuyShop(t)
	b := s.browser(t)
	b.add("linen-shirt", "1", "size", "M")
	for _, path := range []string{"/cart", "/checkout", "/account/signin"} {
		v := b.get(path)
		if cc := v.header.Get("Cache-Control"); !strings.Contains(cc, "no-store") {
			t.Errorf("%s (at %s): Cache-Control %q, want no-store", path, v.url.Path, cc)
		}
	}
	for _, path := range []string{"/", "/p/linen-shirt"} {
		v := b.get(path)
		cc := v.header.Get("Cache-Control")
		if !strings.HasPrefix(cc, "private") || strings.Contains(cc, "public") {
			t.Errorf("%s with a cart: Cache-Control %q, want private", path, cc)
		}
		if !strings.Contains(v.body, `id="cart-count">1<`) {
			t.Errorf("%s: cart count missing", path)
		}
	}
	b.register("cache@example.com", "Cache Person", "correct horse battery staple")
	for _, path := range []string{"/account", "/account/orders"} {
		v := b.get(path)
		if v.status != 200 || v.header.Get("Cache-Control") != "no-store" && v.header.Get("Cache-Control") != "private, no-store" {
			t.Errorf("%s signed in: %d %q", path, v.status, v.header.Get("Cache-Control"))
		}
		if v.header.Get("ETag") != "" {
			t.Errorf("%s: an unstored page has an ETag", path)
		}
	}
}
