package metrics_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil/promlint"

	"github.com/oceanshop/ocean/internal/catalog"
	"github.com/oceanshop/ocean/internal/lock"
	"github.com/oceanshop/ocean/internal/lock/local"
	"github.com/oceanshop/ocean/internal/metrics"
)

func scrape(t *testing.T, h http.Handler, token string) (int, string) {
	t.Helper()
	r := httptest.NewRequest("GET", "/metrics", nil)
	if token != "" {
		r.Header.Set("Authorization", "Bearer "+token)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	b, _ := io.ReadAll(w.Result().Body)
	return w.Code, string(b)
}

// TestScrape: the lock counters (kept as plain data by package lock) and
// the request counters come out under their Prometheus names, lint-clean,
// to the holder of the token only.
func TestScrape(t *testing.T) {
	reg := metrics.NewRegistry()
	lm := lock.NewMetrics()
	reg.MustRegister(metrics.LockCollector{Metrics: lm})
	reg.MustRegister(&metrics.CacheCollector{Stats: func() catalog.CacheStats { return catalog.CacheStats{} }})
	l := local.New(lock.WithMetrics(lm))
	lease, err := l.Acquire(context.Background(), "k", lock.WithTTL(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := l.TryLock(context.Background(), "k"); err == nil {
		t.Fatal("TryLock on a held key succeeded")
	}
	lease.Release()

	mux := http.NewServeMux()
	mux.HandleFunc("GET /p/{slug}", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusTeapot) })
	h := metrics.NewHTTP(reg).Middleware(mux)(mux)
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/p/anything", nil))
	mux.Handle("GET /metrics", metrics.Handler(reg, "secret-token"))

	for _, bad := range []string{"", "wrong"} {
		if code, body := scrape(t, mux, bad); code != http.StatusUnauthorized || strings.Contains(body, "ocean_lock") {
			t.Errorf("token %q: %d %s", bad, code, body)
		}
	}
	code, body := scrape(t, mux, "secret-token")
	if code != 200 {
		t.Fatalf("scrape: %d", code)
	}
	for _, want := range []string{
		"ocean_lock_acquisitions_total 1",
		`ocean_lock_acquire_failures_total{reason="busy"} 1`,
		`ocean_lock_acquire_failures_total{reason="timeout"} 0`,
		`ocean_lock_lost_total{reason="max_hold"} 0`,
		"ocean_lock_held 0",
		"ocean_lock_hold_seconds_count 1",
		`ocean_lock_wait_seconds_bucket{le="+Inf"} 1`,
		`ocean_http_requests_total{code="4xx",route="GET /p/{slug}"} 1`,
		`ocean_catalog_cache_hits_total{keyspace="product",tier="local"} 0`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("the scrape lacks %q", want)
		}
	}
	problems, err := promlint.New(strings.NewReader(body)).Lint()
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Errorf("promlint: %s: %s", p.Metric, p.Text)
	}
}

// TestCertificateExpiry: the not-after of each served certificate is a
// Unix timestamp gauge by name.
func TestCertificateExpiry(t *testing.T) {
	reg := metrics.NewRegistry()
	at := time.Date(2027, 3, 1, 12, 0, 0, 0, time.UTC)
	reg.MustRegister(metrics.CertCollector{Expiries: func() map[string]time.Time { return map[string]time.Time{"shop.example": at} }})
	_, body := scrape(t, metrics.Handler(reg, "0123456789abcdef"), "0123456789abcdef")
	if want := `ocean_tls_certificate_expiry_timestamp_seconds{name="shop.example"} 1.8039024e+09`; !strings.Contains(body, want) {
		t.Errorf("scrape lacks %s:\n%s", want, body)
	}
}
