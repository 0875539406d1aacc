package tlsx

import (
	"crypto/tls"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
)

// app records what reached the shop.
type app struct {
	got *http.Request
}

func (a *app) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	a.got = r
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write([]byte("app"))
}

var proxies = []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}

func req(method, target, host, peer string, tlsOn bool, hdr ...string) *http.Request {
	r := httptest.NewRequest(method, target, strings.NewReader(`{"email":"a@b.c","password":"secret"}`))
	r.Host = host
	r.RemoteAddr = peer
	if !tlsOn {
		r.TLS = nil
	} else {
		r.TLS = &tls.ConnectionState{}
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		r.Header.Add(hdr[i], hdr[i+1])
	}
	return r
}

func TestPlainHTTPRedirectsEverythingButProbesAndChallenges(t *testing.T) {
	shop := &app{}
	challenged := false
	challenge := func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if strings.HasPrefix(r.URL.Path, "/.well-known/acme-challenge/") {
				challenged = true
				_, _ = w.Write([]byte("token.key"))
				return
			}
			next.ServeHTTP(w, r)
		})
	}
	h := Forwarded(proxies)(PlainHTTP("https://shop.example", shop, challenge))
	for _, tc := range []struct{ method, target, location string }{
		{"GET", "/", "https://shop.example/"},
		{"GET", "/products/blue-shirt?size=m&q=a%20b", "https://shop.example/products/blue-shirt?size=m&q=a%20b"},
		{"POST", "/api/v1/auth/login", "https://shop.example/api/v1/auth/login"},
		{"POST", "/api/v1/auth/register", "https://shop.example/api/v1/auth/register"},
		{"GET", "/api/v1/admin/orders", "https://shop.example/api/v1/admin/orders"},
		{"GET", "/metrics", "https://shop.example/metrics"},
		{"GET", "/account", "https://shop.example/account"},
	} {
		shop.got = nil
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req(tc.method, tc.target, "www.shop.example", "203.0.113.9:5000", false, "Authorization", "Bearer secret"))
		if w.Code != http.StatusPermanentRedirect || w.Header().Get("Location") != tc.location {
			t.Errorf("%s %s: %d Location %q, want 308 %s", tc.method, tc.target, w.Code, w.Header().Get("Location"), tc.location)
		}
		if shop.got != nil {
			t.Errorf("%s %s reached the shop over plain HTTP", tc.method, tc.target)
		}
	}
	for _, p := range []string{"/healthz", "/readyz"} {
		shop.got = nil
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req("GET", p, "10.1.2.3:8080", "10.1.2.3:5000", false))
		if w.Code != http.StatusOK || shop.got == nil {
			t.Errorf("%s: %d, want the shop's answer", p, w.Code)
		}
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req("GET", "/.well-known/acme-challenge/abc", "shop.example", "198.51.100.1:5000", false))
	if !challenged || w.Body.String() != "token.key" {
		t.Errorf("challenge: %d %q", w.Code, w.Body)
	}

	// Behind a TLS-terminating proxy the shop is served: no redirect loop.
	shop.got = nil
	w = httptest.NewRecorder()
	h.ServeHTTP(w, req("GET", "/account", "shop.example", "10.0.0.5:4000", false, "X-Forwarded-Proto", "https"))
	if w.Code != http.StatusOK || shop.got == nil || shop.got.TLS == nil {
		t.Fatalf("trusted proxy, https: %d, want the shop with a secure request", w.Code)
	}
	// From anyone else the header means nothing.
	shop.got = nil
	w = httptest.NewRecorder()
	h.ServeHTTP(w, req("GET", "/account", "shop.example", "203.0.113.9:4000", false, "X-Forwarded-Proto", "https"))
	if w.Code != http.StatusPermanentRedirect || shop.got != nil {
		t.Fatalf("untrusted peer claiming https: %d, want 308", w.Code)
	}
	// A trusted proxy that received plain HTTP is redirected like a client.
	w = httptest.NewRecorder()
	h.ServeHTTP(w, req("GET", "/account", "shop.example", "10.0.0.5:4000", false, "X-Forwarded-Proto", "http"))
	if w.Code != http.StatusPermanentRedirect {
		t.Fatalf("trusted proxy, http: %d, want 308", w.Code)
	}
}

func TestStrictTransportAndForwardedProto(t *testing.T) {
	shop := &app{}
	h := Forwarded(proxies)(StrictTransport(false)(shop))
	pre := Forwarded(proxies)(StrictTransport(true)(shop))
	for _, tc := range []struct {
		name    string
		h       http.Handler
		r       *http.Request
		want    string
		wantTLS bool
	}{
		{"https", h, req("GET", "/", "shop.example", "203.0.113.9:1", true), "max-age=63072000; includeSubDomains", true},
		{"preload", pre, req("GET", "/", "shop.example", "203.0.113.9:1", true), "max-age=63072000; includeSubDomains; preload", true},
		{"plain http", h, req("GET", "/", "shop.example", "203.0.113.9:1", false), "", false},
		{"localhost https", h, req("GET", "/", "localhost:8443", "127.0.0.1:1", true), "", true},
		{"trusted proxy https", h, req("GET", "/", "shop.example", "10.9.9.9:1", false, "X-Forwarded-Proto", "https"), "max-age=63072000; includeSubDomains", true},
		{"trusted proxy chain, nearest says https", h, req("GET", "/", "shop.example", "10.9.9.9:1", false, "X-Forwarded-Proto", "http, https"), "max-age=63072000; includeSubDomains", true},
		{"trusted proxy chain, nearest says http", h, req("GET", "/", "shop.example", "10.9.9.9:1", false, "X-Forwarded-Proto", "https, http"), "", false},
		{"untrusted https claim", h, req("GET", "/", "shop.example", "203.0.113.9:1", false, "X-Forwarded-Proto", "https"), "", false},
	} {
		shop.got = nil
		w := httptest.NewRecorder()
		tc.h.ServeHTTP(w, tc.r)
		if got := w.Header().Get("Strict-Transport-Security"); got != tc.want {
			t.Errorf("%s: HSTS %q, want %q", tc.name, got, tc.want)
		}
		if shop.got == nil || (shop.got.TLS != nil) != tc.wantTLS {
			t.Errorf("%s: secure request %v, want %v", tc.name, shop.got != nil && shop.got.TLS != nil, tc.wantTLS)
		}
		if tc.name == "untrusted https claim" && shop.got.Header.Get("X-Forwarded-Proto") != "" {
			t.Errorf("an untrusted X-Forwarded-Proto reached the shop")
		}
	}
}

func TestRequireTLSRefusesCredentialsOverPlainHTTP(t *testing.T) {
	shop := &app{}
	h := Forwarded(proxies)(RequireTLS("https://shop.example:8443")(shop))
	for _, tc := range []struct {
		name      string
		r         *http.Request
		status    int
		location  string
		reachShop bool
	}{
		{"register", req("POST", "/api/v1/auth/register", "shop.example:8080", "203.0.113.9:1", false), 403, "", false},
		{"login", req("POST", "/api/v1/auth/login", "192.0.2.10:8080", "203.0.113.9:1", false), 403, "", false},
		{"admin with a token", req("GET", "/api/v1/admin/orders", "shop.example:8080", "203.0.113.9:1", false, "Authorization", "Bearer x"), 403, "", false},
		{"metrics with a token", req("GET", "/metrics", "shop.example:8080", "203.0.113.9:1", false, "Authorization", "Bearer x"), 403, "", false},
		{"public GET", req("GET", "/api/v1/products?limit=5", "shop.example:8080", "203.0.113.9:1", false), 308, "https://shop.example:8443/api/v1/products?limit=5", false},
		{"metrics GET", req("GET", "/metrics", "shop.example:8080", "203.0.113.9:1", false), 308, "https://shop.example:8443/metrics", false},
		{"localhost", req("POST", "/api/v1/auth/login", "localhost:8080", "127.0.0.1:1", false), 200, "", true},
		{"loopback", req("POST", "/api/v1/auth/login", "127.0.0.1:8080", "127.0.0.1:1", false), 200, "", true},
		{"https", req("POST", "/api/v1/auth/login", "shop.example", "203.0.113.9:1", true), 200, "", true},
		{"trusted proxy https", req("POST", "/api/v1/auth/login", "shop.example", "10.0.0.1:1", false, "X-Forwarded-Proto", "https"), 200, "", true},
		{"untrusted https claim", req("POST", "/api/v1/auth/login", "shop.example", "203.0.113.9:1", false, "X-Forwarded-Proto", "https"), 403, "", false},
		{"storefront", req("GET", "/products", "shop.example:8080", "203.0.113.9:1", false), 200, "", true},
		{"apiary is not the API", req("GET", "/apiary", "shop.example:8080", "203.0.113.9:1", false), 200, "", true},
	} {
		shop.got = nil
		w := httptest.NewRecorder()
		h.ServeHTTP(w, tc.r)
		if w.Code != tc.status || w.Header().Get("Location") != tc.location || (shop.got != nil) != tc.reachShop {
			t.Errorf("%s: %d Location %q reached shop %v; want %d %q %v", tc.name, w.Code, w.Header().Get("Location"), shop.got != nil, tc.status, tc.location, tc.reachShop)
		}
		if tc.status == 403 {
			var p struct {
				Type, Detail string
				Status       int
			}
			if w.Header().Get("Content-Type") != "application/problem+json" || json.Unmarshal(w.Body.Bytes(), &p) != nil ||
				p.Type != ProblemHTTPSRequired || p.Status != 403 || !strings.Contains(p.Detail, "https://shop.example:8443") {
				t.Errorf("%s: %s %s, want an https-required problem naming the HTTPS address", tc.name, w.Header().Get("Content-Type"), w.Body)
			}
		}
	}
}

func TestLocal(t *testing.T) {
	for host, want := range map[string]bool{"localhost": true, "LOCALHOST:8443": true, "shop.localhost": true, "127.0.0.1:80": true,
		"[::1]:8443": true, "::1": true, "shop.example": false, "10.0.0.1": false, "localhost.example.com": false, "": false} {
		if Local(host) != want {
			t.Errorf("Local(%q) = %v", host, !want)
		}
	}
}
