package web

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strconv"
	"strings"
)

// HTTP caching of the storefront's pages (docs/decisions/0110):
//
//   - A page nobody in particular asked for (no cookie of ours came with
//     the request and none goes back) is the same for everyone: shared
//     caches (a CDN) may keep it a minute and serve it stale for ten
//     while they fetch a fresh one (publicCache).
//   - A page that depends on the browser (its cart count, its CSRF token,
//     a cookie set on the way back) may be kept by that browser only, and
//     revalidated on every use (privateCache).
//   - Pages about one person (account, checkout, cart, orders, admin) are
//     never stored (personalCache), and a handler that set Cache-Control
//     itself keeps its choice.
//
// Every page that may be stored carries a weak ETag over its body; a
// request whose If-None-Match names it gets 304 without the body.
const (
	publicCache   = "public, max-age=60, stale-while-revalidate=600"
	privateCache  = "private, no-cache"
	personalCache = "private, no-store"
)

// personalPrefixes are the paths of pages about one person.
var personalPrefixes = []string{"/account", "/admin", "/cart", "/checkout", "/orders/"}

// ourCookies are the cookies a page may depend on.
var ourCookies = []string{sessionCookie, csrfCookie, cartCookie, checkoutCookie, visitCookie}

// cachePolicy sets Cache-Control and Vary for a page about to be written
// with status, unless the handler chose already.
func cachePolicy(h http.Header, r *http.Request, status int) {
	if h.Get("Cache-Control") != "" {
		return
	}
	switch {
	case status != http.StatusOK:
		h.Set("Cache-Control", "no-store")
		return
	case isPersonal(r.URL.Path):
		h.Set("Cache-Control", personalCache)
		return
	case hasOurCookie(r) || len(h.Values("Set-Cookie")) > 0:
		h.Set("Cache-Control", privateCache)
	default:
		h.Set("Cache-Control", publicCache)
	}
	// The page would differ for a browser with our cookies (who is signed
	// in, the cart count): a shared cache must key on them.
	addVary(h, "Cookie")
}

func isPersonal(path string) bool {
	for _, p := range personalPrefixes {
		if path == p || strings.HasPrefix(path, p) && (strings.HasSuffix(p, "/") || path[len(p)] == '/') {
			return true
		}
	}
	return false
}

func hasOurCookie(r *http.Request) bool {
	for _, name := range ourCookies {
		if _, err := r.Cookie(name); err == nil {
			return true
		}
	}
	return false
}

// addVary adds a field name to Vary unless it is listed already.
func addVary(h http.Header, name string) {
	for _, v := range h.Values("Vary") {
		for _, f := range strings.Split(v, ",") {
			if strings.EqualFold(strings.TrimSpace(f), name) {
				return
			}
		}
	}
	h.Add("Vary", name)
}

// pageETag is the weak validator of a rendered page. The page's CSP nonce
// changes on every request (and is escaped in the HTML), so the values of
// nonce attributes are left out and an unchanged page keeps its ETag; the
// cached copy the browser revalidates keeps the nonce and policy it was
// served with (see writePage).
func pageETag(body []byte) string {
	sum := sha256.New()
	marker := []byte(`nonce="`)
	for {
		i := bytes.Index(body, marker)
		if i < 0 {
			break
		}
		i += len(marker)
		sum.Write(body[:i])
		body = body[i:]
		if j := bytes.IndexByte(body, '"'); j >= 0 {
			body = body[j:]
		}
	}
	sum.Write(body)
	return `W/"` + hex.EncodeToString(sum.Sum(nil)[:12]) + `"`
}

// weakMatch reports whether an If-None-Match header names etag, by the weak
// comparison RFC 9110 prescribes for it.
func weakMatch(header, etag string) bool {
	etag = strings.TrimPrefix(etag, "W/")
	for _, t := range strings.Split(header, ",") {
		t = strings.TrimSpace(t)
		if t == "*" || strings.TrimPrefix(t, "W/") == etag {
			return true
		}
	}
	return false
}

// writePage writes a rendered HTML page: caching headers, the ETag and a
// 304 for a matching If-None-Match. HTML goes uncompressed: pages carry
// secrets (CSRF tokens, the shopper's details) beside text an attacker can
// put in them (a search query), which is what BREACH reads through
// compression; the static assets, which hold neither, go precompressed.
// It also spares the CPU gzip took under load (about an eighth of a
// loaded server's, make loadtest's profile).
func writePage(rw http.ResponseWriter, r *http.Request, status int, body []byte) {
	if pageHeaders(rw, r, status) && notModified(rw, r, pageETag(body)) {
		return
	}
	writeBody(rw, r, status, body)
}

// pageHeaders sets a page's type and caching headers, and reports whether
// the page may be stored (then it gets an ETag).
func pageHeaders(rw http.ResponseWriter, r *http.Request, status int) bool {
	h := rw.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	get := r.Method == http.MethodGet || r.Method == http.MethodHead
	if get {
		cachePolicy(h, r, status)
	}
	return get && status == http.StatusOK && !strings.Contains(h.Get("Cache-Control"), "no-store")
}

// notModified sets the page's ETag and answers 304 without the body when
// the request's If-None-Match names it.
func notModified(rw http.ResponseWriter, r *http.Request, etag string) bool {
	h := rw.Header()
	h.Set("ETag", etag)
	if inm := r.Header.Get("If-None-Match"); inm != "" && weakMatch(inm, etag) {
		// The browser keeps its copy, whose inline script carries the
		// nonce of the policy stored with it: a new policy here would
		// replace that one and block the script.
		h.Del("Content-Security-Policy")
		h.Del("Content-Type")
		rw.WriteHeader(http.StatusNotModified)
		return true
	}
	return false
}

// writeBody writes the page's status and body (none for HEAD).
func writeBody(rw http.ResponseWriter, r *http.Request, status int, body []byte) {
	rw.Header().Set("Content-Length", strconv.Itoa(len(body)))
	rw.WriteHeader(status)
	if r.Method != http.MethodHead {
		_, _ = rw.Write(body)
	}
}
