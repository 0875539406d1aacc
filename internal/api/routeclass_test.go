package api

import (
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"

	"github.com/oceanshop/ocean/internal/ratelimit"
)

// TestRouteRateLimitClasses: the route table says which rate-limit classes
// a request counts against, as the limiter middleware reads them from the
// handler the mux chooses: every /api request against "api", sign-in,
// registration, reset and checkout against their stricter class first;
// the health checks against none.
func TestRouteRateLimitClasses(t *testing.T) {
	mux := http.NewServeMux()
	(&API{}).Register(mux)
	for _, c := range []struct {
		method, path string
		want         []string
	}{
		{"POST", "/api/v1/auth/login", []string{ratelimit.SignIn, ratelimit.API}},
		{"POST", "/api/v1/auth/register", []string{ratelimit.SignIn, ratelimit.API}},
		{"POST", "/api/v1/auth/password-reset", []string{ratelimit.Reset, ratelimit.API}},
		{"POST", "/api/v1/carts/abc/checkout", []string{ratelimit.Checkout, ratelimit.API}},
		{"GET", "/api/v1/products", []string{ratelimit.API}},
		{"HEAD", "/api/v1/products", []string{ratelimit.API}},
		{"GET", "/api/v1/auth/login", []string{ratelimit.API}},   // 405
		{"GET", "/api/v1/nothing-here", []string{ratelimit.API}}, // 404
		{"POST", "/api/v1/auth/password-reset/confirm", []string{ratelimit.API}},
		{"GET", "/healthz", nil},
		{"GET", "/readyz", nil},
	} {
		h, _ := mux.Handler(httptest.NewRequest(c.method, c.path, nil))
		if got := ratelimit.ClassesOf(h); !slices.Equal(got, c.want) {
			t.Errorf("%s %s counts against %v, want %v", c.method, c.path, got, c.want)
		}
	}
}
