package web_test

import (
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"github.com/oceanshop/ocean/internal/web"
)

var reWorkerVersion = regexp.MustCompile(`var VERSION = "([0-9a-f]{12})";`)

// The worker is served from the root with a short cache life, so a deploy
// reaches browsers at the next page view, and names this build's shell.
func TestServiceWorkerScript(t *testing.T) {
	s := newBuyShop(t)
	b := s.browser(t)
	v := b.get("/sw.js")
	if v.status != http.StatusOK {
		t.Fatalf("GET /sw.js: %d", v.status)
	}
	for name, want := range map[string]string{
		"Content-Type":           "text/javascript; charset=utf-8",
		"Cache-Control":          "no-cache, max-age=0",
		"Service-Worker-Allowed": "/",
	} {
		if got := v.header.Get(name); got != want {
			t.Errorf("%s: %q, want %q", name, got, want)
		}
	}
	if !strings.Contains(v.header.Get("Content-Security-Policy"), "default-src 'none'") {
		t.Errorf("the worker has no CSP: %q", v.header.Get("Content-Security-Policy"))
	}
	if reWorkerVersion.FindString(v.body) == "" || strings.Contains(v.body, "__VERSION__") || strings.Contains(v.body, "__SHELL__") {
		t.Fatalf("the worker's version or shell was not written in:\n%.400s", v.body)
	}
	home := b.get("/")
	assets := regexp.MustCompile(`(?:href|src)="(/static/[^"]+)"`).FindAllStringSubmatch(home.body, -1)
	if len(assets) < 3 {
		t.Fatalf("the home page links %d static assets", len(assets))
	}
	for _, m := range assets {
		if !strings.Contains(v.body, `"`+m[1]+`"`) {
			t.Errorf("the worker does not precache %s, which every page loads", m[1])
		}
	}
	if !strings.Contains(v.body, `"/offline"]`) {
		t.Error("the worker does not precache /offline")
	}
	if !strings.Contains(home.body, `/static/offline.`) {
		t.Error("pages do not load offline.js, which registers the worker")
	}
	// Revalidation: the same version answers 304.
	req, _ := http.NewRequest("GET", s.srv.URL+"/sw.js", nil)
	req.Header.Set("If-None-Match", v.header.Get("ETag"))
	if again := b.do(req); again.status != http.StatusNotModified {
		t.Errorf("GET /sw.js with its ETag: %d, want 304", again.status)
	}
}

// A new release is a new worker version, so its activation replaces the
// caches of the old one; the same build keeps its version.
func TestServiceWorkerVersionFollowsRelease(t *testing.T) {
	_, cfg := newBuyParts(t)
	version := func(release string) string {
		c := cfg
		c.Release = release
		w, err := web.New(c)
		if err != nil {
			t.Fatal(err)
		}
		mux := http.NewServeMux()
		w.Register(mux)
		rec := httptest.NewRecorder()
		mux.ServeHTTP(rec, httptest.NewRequest("GET", "/sw.js", nil))
		m := reWorkerVersion.FindStringSubmatch(rec.Body.String())
		if m == nil {
			t.Fatalf("release %q: no version in the worker", release)
		}
		return m[1]
	}
	one, again, two := version("1.0.0"), version("1.0.0"), version("1.0.1")
	if one != again {
		t.Errorf("the same build has two versions: %s and %s", one, again)
	}
	if one == two {
		t.Errorf("releases 1.0.0 and 1.0.1 share the worker version %s", one)
	}
}

// Only public pages for someone signed out are marked for offline use;
// the cart, checkout, account and anything signed in never are.
func TestOfflineMarkOnlyOnPublicPages(t *testing.T) {
	s := newBuyShop(t)
	guest := s.browser(t)
	for _, path := range []string{"/", "/c/goods", "/p/linen-shirt", "/p/ceramic-mug"} {
		v := guest.get(path)
		if v.status != http.StatusOK || v.header.Get(web.OfflineHeader) != "cache" {
			t.Errorf("GET %s as a guest: %d, %s=%q; want 200 and \"cache\"", path, v.status, web.OfflineHeader, v.header.Get(web.OfflineHeader))
		}
	}
	if v := guest.add("ceramic-mug", "1"); v.url.Path != "/cart" {
		t.Fatalf("add to cart: at %s (%d)", v.url, v.status)
	}
	for _, path := range []string{"/cart", "/checkout", "/search?q=mug", "/account/signin", "/offline", "/no-such-page", "/p/no-such-product"} {
		if v := guest.get(path); v.header.Get(web.OfflineHeader) != "" {
			t.Errorf("GET %s (%d) is marked for offline use", path, v.status)
		}
	}
	// The product page still is, with the cart cookie the add set.
	if v := guest.get("/p/linen-shirt"); v.header.Get(web.OfflineHeader) != "cache" {
		t.Errorf("a guest's product page with a cart is not kept offline")
	}

	member := s.browser(t)
	member.register("offline@example.com", "Ola Offline", "a long enough passphrase")
	for _, path := range []string{"/", "/c/goods", "/p/linen-shirt", "/account"} {
		if v := member.get(path); v.status != http.StatusOK || v.header.Get(web.OfflineHeader) != "" {
			t.Errorf("GET %s signed in: %d, %s=%q; want 200 and not marked", path, v.status, web.OfflineHeader, v.header.Get(web.OfflineHeader))
		}
	}
}

// The offline page is the same for everyone: no name, no CSRF token, no
// cart, even when a signed-in shopper's browser fetches it.
func TestOfflinePageIsImpersonal(t *testing.T) {
	s := newBuyShop(t)
	b := s.browser(t)
	b.register("private@example.com", "Petra Private", "a long enough passphrase")
	if v := b.add("ceramic-mug", "2"); v.url.Path != "/cart" {
		t.Fatalf("add to cart: at %s (%d)", v.url, v.status)
	}
	v := b.get("/offline")
	if v.status != http.StatusOK {
		t.Fatalf("GET /offline: %d", v.status)
	}
	for _, want := range []string{"You’re offline", `id="offline-recent"`, `id="offline-cart"`, `id="offline-queue"`, `href="/c/goods"`} {
		if !strings.Contains(v.body, want) {
			t.Errorf("the offline page lacks %q", want)
		}
	}
	for _, leak := range []string{"Petra", `name="csrf"`, `href="/account"`, "Ceramic mug", `id="cart-count">2`} {
		if strings.Contains(v.body, leak) {
			t.Errorf("the offline page shows %q, which is this shopper's own", leak)
		}
	}
	if len(v.cookies) != 0 {
		t.Errorf("the offline page sets cookies: %v", v.cookies)
	}
}

// With the local development CA, pages over HTTPS do not offer the
// worker (browsers refuse it from an untrusted certificate and log an
// error on every page); plain HTTP on localhost does.
func TestNoWorkerOverLocalCA(t *testing.T) {
	_, cfg := newBuyParts(t)
	cfg.LocalCA = true
	w, err := web.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	w.Register(mux)
	for url, offered := range map[string]bool{"https://localhost:8443/": false, "http://localhost:8080/": true} {
		rec := httptest.NewRecorder()
		mux.ServeHTTP(rec, httptest.NewRequest("GET", url, nil))
		body := rec.Body.String()
		if !strings.Contains(body, "/static/offline.") {
			t.Fatalf("GET %s: no offline.js\n%s", url, body)
		}
		if got := !strings.Contains(body, "data-no-worker"); got != offered {
			t.Errorf("GET %s: worker offered %v, want %v", url, got, offered)
		}
	}
}
