package ratelimit_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/oceanshop/ocean/internal/ratelimit"
	"github.com/oceanshop/ocean/internal/ratelimit/local"
	"github.com/oceanshop/ocean/internal/ratelimit/ratelimittest"
)

func TestSetHeaders(t *testing.T) {
	p := ratelimit.Policy{Name: "api", Limit: 100, Window: time.Minute}
	for _, c := range []struct {
		d                           ratelimit.Decision
		policy, rateLimit, retryAft string
	}{
		{ratelimit.Decision{Allowed: true, Policy: p, Remaining: 42, Reset: 17200 * time.Millisecond},
			`"api";q=100;w=60`, `"api";r=42;t=18`, ""},
		{ratelimit.Decision{Allowed: true, Policy: p, Remaining: 99, Reset: time.Minute},
			`"api";q=100;w=60`, `"api";r=99;t=60`, ""},
		{ratelimit.Decision{Policy: p, Reset: 300 * time.Millisecond, RetryAfter: 300 * time.Millisecond},
			`"api";q=100;w=60`, `"api";r=0;t=1`, "1"},
		{ratelimit.Decision{Policy: p, Reset: 2 * time.Second, RetryAfter: 9500 * time.Millisecond},
			`"api";q=100;w=60`, `"api";r=0;t=10`, "10"},
		{ratelimit.Decision{Allowed: true, Policy: ratelimit.Policy{Name: "api"}}, "", "", ""},
	} {
		h := http.Header{}
		ratelimit.SetHeaders(h, c.d)
		if got := h.Get("RateLimit-Policy"); got != c.policy {
			t.Errorf("%+v: RateLimit-Policy %q, want %q", c.d, got, c.policy)
		}
		if got := h.Get("RateLimit"); got != c.rateLimit {
			t.Errorf("%+v: RateLimit %q, want %q", c.d, got, c.rateLimit)
		}
		if got := h.Get("Retry-After"); got != c.retryAft {
			t.Errorf("%+v: Retry-After %q, want %q", c.d, got, c.retryAft)
		}
	}
}

type fakeLimiter struct {
	d   ratelimit.Decision
	err error
}

func (f fakeLimiter) Allow(context.Context, string, string) (ratelimit.Decision, error) {
	return f.d, f.err
}

// server runs the middleware in front of a handler that counts its calls,
// behind a real HTTP server.
func server(t *testing.T, mw func(http.Handler) http.Handler) (*httptest.Server, *atomic.Int64) {
	var served atomic.Int64
	srv := httptest.NewServer(mw(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		served.Add(1)
		io.WriteString(w, "ok")
	})))
	t.Cleanup(srv.Close)
	return srv, &served
}

func get(t *testing.T, srv *httptest.Server, xff string) (*http.Response, string) {
	t.Helper()
	req, _ := http.NewRequest("GET", srv.URL, nil)
	if xff != "" {
		req.Header.Set("X-Forwarded-For", xff)
	}
	res, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res, string(b)
}

func TestMiddleware(t *testing.T) {
	clock := ratelimittest.NewFakeClock()
	p := ratelimit.Policy{Name: "api", Limit: 3, Window: time.Minute}
	l, err := local.New([]ratelimit.Policy{p}, local.Options{Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	trusted, _ := ratelimit.ParseTrustedProxies("loopback")
	srv, served := server(t, ratelimit.Middleware(l, "api", ratelimit.KeyByIP(trusted), ratelimit.Hooks{}))

	for i := range 3 {
		clock.Sleep(time.Second)
		res, _ := get(t, srv, "198.51.100.1")
		if res.StatusCode != 200 {
			t.Fatalf("request %d: %s", i+1, res.Status)
		}
		if got := res.Header.Get("RateLimit-Policy"); got != `"api";q=3;w=60` {
			t.Errorf("RateLimit-Policy %q", got)
		}
		// Reset: until the first request (1s after start) leaves.
		if got, want := res.Header.Get("RateLimit"), fmt.Sprintf(`"api";r=%d;t=%d`, 2-i, 60-i); got != want {
			t.Errorf("request %d: RateLimit %q, want %q", i+1, got, want)
		}
	}
	clock.Sleep(10 * time.Second)
	res, body := get(t, srv, "198.51.100.1")
	if res.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("4th request: %s, want 429", res.Status)
	}
	if got := res.Header.Get("Retry-After"); got != "48" {
		t.Errorf("Retry-After %q, want 48: the first request leaves the window in 48s", got)
	}
	if got := res.Header.Get("RateLimit"); got != `"api";r=0;t=48` {
		t.Errorf("RateLimit %q", got)
	}
	if !strings.Contains(body, "48 seconds") {
		t.Errorf("body %q", body)
	}
	if served.Load() != 3 {
		t.Fatalf("handler ran %d times, want 3", served.Load())
	}
	// Another client behind the same proxy has its own budget; a forged
	// entry on the left does not help the first one.
	if res, _ := get(t, srv, "198.51.100.2"); res.StatusCode != 200 {
		t.Fatalf("other client: %s", res.Status)
	}
	if res, _ := get(t, srv, "203.0.113.5, 198.51.100.1"); res.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("forged X-Forwarded-For escaped the limit: %s", res.Status)
	}
	clock.Sleep(48 * time.Second)
	if res, _ := get(t, srv, "198.51.100.1"); res.StatusCode != 200 {
		t.Fatalf("after Retry-After: %s", res.Status)
	}
}

func TestMiddlewareHooks(t *testing.T) {
	p := ratelimit.Policy{Name: "reset", Limit: 5, Window: 15 * time.Minute}
	key := func(*http.Request) string { return "k" }

	// Fail-closed limiter error: 503 through the default hook, with a
	// short Retry-After; the handler does not run.
	down := fakeLimiter{ratelimit.Offline(p), fmt.Errorf("%w: redis: connection refused", ratelimit.ErrUnavailable)}
	srv, served := server(t, ratelimit.Middleware(down, "reset", key, ratelimit.Hooks{}))
	res, _ := get(t, srv, "")
	if res.StatusCode != http.StatusServiceUnavailable || res.Header.Get("Retry-After") != "5" || served.Load() != 0 {
		t.Fatalf("fail-closed: %s, Retry-After %q, served %d", res.Status, res.Header.Get("Retry-After"), served.Load())
	}

	// A custom Deny sees the decision and the error.
	var gotErr error
	srv, _ = server(t, ratelimit.Middleware(down, "reset", key, ratelimit.Hooks{
		Deny: func(w http.ResponseWriter, r *http.Request, d ratelimit.Decision, err error) {
			gotErr = err
			w.WriteHeader(599)
		},
	}))
	if res, _ := get(t, srv, ""); res.StatusCode != 599 || !errors.Is(gotErr, ratelimit.ErrUnavailable) {
		t.Fatalf("custom Deny: %s, err %v", res.Status, gotErr)
	}

	// Fail-open limiter error: the request passes and the error hook hears
	// about it.
	openErr := fakeLimiter{ratelimit.Decision{Allowed: true, Policy: p, Remaining: 4, Reset: p.Window}, ratelimit.ErrUnavailable}
	var logged atomic.Int64
	srv, served = server(t, ratelimit.Middleware(openErr, "reset", key, ratelimit.Hooks{
		Error: func(r *http.Request, err error) { logged.Add(1) },
	}))
	if res, _ := get(t, srv, ""); res.StatusCode != 200 || served.Load() != 1 || logged.Load() != 1 {
		t.Fatalf("fail-open: %s, served %d, logged %d", res.Status, served.Load(), logged.Load())
	}

	// An empty key exempts the request: no limiter, no headers.
	srv, served = server(t, ratelimit.Middleware(down, "reset", func(*http.Request) string { return "" }, ratelimit.Hooks{}))
	if res, _ := get(t, srv, ""); res.StatusCode != 200 || res.Header.Get("RateLimit") != "" || served.Load() != 1 {
		t.Fatalf("exempt request: %s, RateLimit %q", res.Status, res.Header.Get("RateLimit"))
	}

	// An unknown class is a programming error: 500, not 429.
	l, _ := local.New([]ratelimit.Policy{p}, local.Options{})
	srv, _ = server(t, ratelimit.Middleware(l, "nope", key, ratelimit.Hooks{}))
	if res, _ := get(t, srv, ""); res.StatusCode != http.StatusInternalServerError {
		t.Fatalf("unknown class: %s", res.Status)
	}
}

func TestKeyByIP(t *testing.T) {
	trusted := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}
	r := httptest.NewRequest("GET", "/", nil)
	r.RemoteAddr = "10.1.1.1:80"
	r.Header.Set("X-Forwarded-For", "2001:db8:aa:bb:1::9")
	if got := ratelimit.KeyByIP(trusted)(r); got != "2001:db8:aa:bb::/64" {
		t.Fatalf("KeyByIP = %q", got)
	}
}
