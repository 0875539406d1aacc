package cli_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil/promlint"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/oceanshop/ocean/internal/cli"
	"github.com/oceanshop/ocean/internal/config"
	"github.com/oceanshop/ocean/internal/redis/redistest"
)

const metricsToken = "test-metrics-token-0123456789abcdef"

// metricsShop is a wired App with the given extra settings behind a test
// server.
func metricsShop(t *testing.T, env map[string]string) (*cli.App, *httptest.Server) {
	t.Helper()
	base := map[string]string{"OCEAN_DATA_DIR": seededDataDir(t), "OCEAN_ADMIN_PASSWORD": adminPassword}
	for k, v := range env {
		base[k] = v
	}
	cfg, _, err := config.Load(nil, func(k string) string { return base[k] })
	if err != nil {
		t.Fatal(err)
	}
	app, err := cli.NewApp(context.Background(), cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(app.Handler)
	t.Cleanup(func() { srv.Close(); app.Close() })
	return app, srv
}

func scrape(t *testing.T, srv *httptest.Server, auth string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest("GET", srv.URL+"/metrics", nil)
	if err != nil {
		t.Fatal(err)
	}
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	res, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return res, string(b)
}

// TestMetricsOffWithoutToken: an instance without OCEAN_METRICS_TOKEN has
// no /metrics at all; it answers like any unknown address.
func TestMetricsOffWithoutToken(t *testing.T) {
	_, srv := metricsShop(t, nil)
	for _, auth := range []string{"", "Bearer " + metricsToken, "Bearer "} {
		res, body := scrape(t, srv, auth)
		if res.StatusCode != http.StatusNotFound {
			t.Errorf("GET /metrics with %q and no token configured: %d, want 404", auth, res.StatusCode)
		}
		if strings.Contains(body, "ocean_") || strings.Contains(body, "go_goroutines") {
			t.Errorf("the 404 leaks metrics: %.300s", body)
		}
	}
}

func TestMetricsTokenIsSecret(t *testing.T) {
	_, _, err := config.Load(nil, func(k string) string {
		return map[string]string{"OCEAN_METRICS_TOKEN": "short secretish"}[k]
	})
	if err == nil || !strings.Contains(err.Error(), "OCEAN_METRICS_TOKEN") || strings.Contains(err.Error(), "secretish") {
		t.Fatalf("a bad metrics token: %v; want an error that names the variable and hides the value", err)
	}
}

// TestMetricsNeedTheToken: a missing, malformed or wrong token is a 401
// problem without a single metric in it.
func TestMetricsNeedTheToken(t *testing.T) {
	_, srv := metricsShop(t, map[string]string{"OCEAN_METRICS_TOKEN": metricsToken})
	for _, auth := range []string{"", "Bearer", "Bearer ", "Basic " + metricsToken, metricsToken,
		"Bearer " + metricsToken[:len(metricsToken)-1], "Bearer " + metricsToken + "0", "Bearer " + strings.ToUpper(metricsToken)} {
		res, body := scrape(t, srv, auth)
		if res.StatusCode != http.StatusUnauthorized {
			t.Errorf("Authorization %q: %d, want 401", auth, res.StatusCode)
			continue
		}
		if ct := res.Header.Get("Content-Type"); ct != "application/problem+json" {
			t.Errorf("Authorization %q: Content-Type %q, want a problem", auth, ct)
		}
		if !strings.HasPrefix(res.Header.Get("WWW-Authenticate"), "Bearer") {
			t.Errorf("Authorization %q: WWW-Authenticate %q", auth, res.Header.Get("WWW-Authenticate"))
		}
		var p struct {
			Type   string `json:"type"`
			Status int    `json:"status"`
		}
		if err := json.Unmarshal([]byte(body), &p); err != nil || p.Status != 401 || p.Type == "" {
			t.Errorf("Authorization %q: problem %q (%v)", auth, body, err)
		}
		if strings.Contains(body, "ocean_lock") || strings.Contains(body, "go_goroutines") {
			t.Errorf("the 401 leaks metrics: %s", body)
		}
	}
}

// TestMetricsScrape: with the token, /metrics is valid Prometheus text
// with the lock, catalog cache and HTTP families, counting what the test
// did, and labelled by route pattern, not by the addresses requested.
func TestMetricsScrape(t *testing.T) {
	app, srv := metricsShop(t, map[string]string{"OCEAN_METRICS_TOKEN": metricsToken, "OCEAN_RATE_LIMIT_API": "3/min"})
	get := func(path string) int {
		t.Helper()
		res, err := srv.Client().Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, res.Body)
		res.Body.Close()
		return res.StatusCode
	}
	for _, p := range []string{"/", "/", "/p/no-such-thing-4711", "/p/no-such-thing-4711"} {
		get(p)
	}
	for i := range 4 { // the fourth is over the API's limit
		if code := get("/api/v1/products?limit=2"); (code == 429) != (i == 3) {
			t.Fatalf("API request %d: %d", i+1, code)
		}
	}
	ctx := context.Background()
	lease, err := app.Locker.Acquire(ctx, "metrics-test")
	if err != nil {
		t.Fatal(err)
	}
	defer lease.Release()

	res, body := scrape(t, srv, "Bearer "+metricsToken)
	if res.StatusCode != 200 {
		t.Fatalf("GET /metrics: %d\n%s", res.StatusCode, body)
	}
	if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") || !strings.Contains(ct, "version=0.0.4") {
		t.Errorf("Content-Type %q, want the Prometheus text format", ct)
	}
	mfs := parseMetrics(t, body)
	promtoolCheck(t, body)

	want := func(name string, labels map[string]string, atLeast float64) {
		t.Helper()
		v, ok := value(mfs, name, labels)
		if !ok {
			t.Errorf("no %s%v in the scrape", name, labels)
			return
		}
		if v < atLeast {
			t.Errorf("%s%v = %v, want at least %v", name, labels, v, atLeast)
		}
	}
	want("ocean_lock_acquisitions_total", nil, 1)
	want("ocean_lock_held", nil, 1)
	want("ocean_lock_acquire_failures_total", map[string]string{"reason": "busy"}, 0)
	want("ocean_catalog_cache_hits_total", map[string]string{"keyspace": "negative", "tier": "local"}, 1)
	want("ocean_catalog_cache_misses_total", map[string]string{"keyspace": "product", "tier": "local"}, 1)
	want("ocean_catalog_cache_hits_total", map[string]string{"keyspace": "card", "tier": "local"}, 0)
	want("ocean_http_requests_total", map[string]string{"route": "GET /{$}", "code": "2xx"}, 2)
	want("ocean_http_requests_total", map[string]string{"route": "GET /p/{slug}", "code": "4xx"}, 2)
	want("ocean_http_requests_total", map[string]string{"route": "GET /api/v1/products", "code": "2xx"}, 3)
	want("ocean_http_rate_limited_total", map[string]string{"route": "GET /api/v1/products"}, 1)
	want("ocean_http_request_duration_seconds", map[string]string{"route": "GET /p/{slug}"}, 2)
	want("go_goroutines", nil, 1)
	if strings.Contains(body, "no-such-thing-4711") || strings.Contains(body, "limit=2") {
		t.Error("a raw request path is a label value: series grow with every address clients make up")
	}
}

// parseMetrics parses the scrape strictly and lints it with promlint, the
// linter behind `promtool check metrics` (HELP on every family, _total on
// counters, base units, …).
func parseMetrics(t *testing.T, body string) map[string]*dto.MetricFamily {
	t.Helper()
	p := expfmt.NewTextParser(model.LegacyValidation)
	mfs, err := p.TextToMetricFamilies(strings.NewReader(body))
	if err != nil {
		t.Fatalf("the scrape is not valid Prometheus text: %v", err)
	}
	problems, err := promlint.New(strings.NewReader(body)).Lint()
	if err != nil {
		t.Fatalf("promlint: %v", err)
	}
	for _, p := range problems {
		t.Errorf("promlint: %s: %s", p.Metric, p.Text)
	}
	return mfs
}

// promtoolCheck also runs `promtool check metrics` on the scrape when
// promtool is installed (`go install
// github.com/prometheus/prometheus/cmd/promtool@v0.316.0`); it is not
// required, since the strict parse and promlint above run always.
func promtoolCheck(t *testing.T, body string) {
	t.Helper()
	bin, err := exec.LookPath("promtool")
	if err != nil {
		if home, herr := os.UserHomeDir(); herr == nil {
			if _, serr := os.Stat(home + "/go/bin/promtool"); serr == nil {
				bin, err = home+"/go/bin/promtool", nil
			}
		}
	}
	if err != nil {
		t.Log("promtool is not installed: `promtool check metrics` skipped (the strict parse and promlint ran)")
		return
	}
	cmd := exec.Command(bin, "check", "metrics")
	cmd.Stdin = strings.NewReader(body)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		t.Errorf("promtool check metrics: %v\n%s", err, out.String())
	}
}

// value finds the sample of name whose labels include labels: a counter's
// or gauge's value, a histogram's count.
func value(mfs map[string]*dto.MetricFamily, name string, labels map[string]string) (float64, bool) {
	mf := mfs[name]
	if mf == nil {
		return 0, false
	}
next:
	for _, m := range mf.GetMetric() {
		have := map[string]string{}
		for _, l := range m.GetLabel() {
			have[l.GetName()] = l.GetValue()
		}
		for k, v := range labels {
			if have[k] != v {
				continue next
			}
		}
		switch {
		case m.Counter != nil:
			return m.GetCounter().GetValue(), true
		case m.Gauge != nil:
			return m.GetGauge().GetValue(), true
		case m.Histogram != nil:
			return float64(m.GetHistogram().GetSampleCount()), true
		}
	}
	return 0, false
}

// TestMetricsScrapeWithRedis: with Redis the cache reports its shared tier
// too, and the locks are Redis locks counted on the same registry.
func TestMetricsScrapeWithRedis(t *testing.T) {
	keys := fleetKeys(t)
	app, srv := metricsShop(t, map[string]string{"OCEAN_METRICS_TOKEN": metricsToken, "OCEAN_REDIS_URL": redistest.URL(t),
		"OCEAN_ENCRYPTION_KEY": keys["OCEAN_ENCRYPTION_KEY"], "OCEAN_TOKEN_KEYS": keys["OCEAN_TOKEN_KEYS"]})
	for range 2 {
		res, err := srv.Client().Get(srv.URL + "/p/no-such-thing-4711")
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
	}
	lease, err := app.Locker.Acquire(context.Background(), redistest.Name("metrics-test"))
	if err != nil {
		t.Fatal(err)
	}
	defer lease.Release()
	res, body := scrape(t, srv, "Bearer "+metricsToken)
	if res.StatusCode != 200 {
		t.Fatalf("GET /metrics: %d\n%s", res.StatusCode, body)
	}
	mfs := parseMetrics(t, body)
	promtoolCheck(t, body)
	for _, c := range []struct {
		name    string
		labels  map[string]string
		atLeast float64
	}{
		{"ocean_catalog_cache_misses_total", map[string]string{"keyspace": "product", "tier": "shared"}, 1},
		{"ocean_catalog_cache_hits_total", map[string]string{"keyspace": "negative", "tier": "local"}, 1},
		{"ocean_catalog_cache_hits_total", map[string]string{"keyspace": "card", "tier": "shared"}, 0},
		{"ocean_lock_acquisitions_total", nil, 1},
		{"ocean_lock_held", nil, 1},
	} {
		if v, ok := value(mfs, c.name, c.labels); !ok || v < c.atLeast {
			t.Errorf("%s%v = %v (present %v), want at least %v", c.name, c.labels, v, ok, c.atLeast)
		}
	}
}
