package probe_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil/promlint"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/oceanshop/ocean/internal/cli"
	"github.com/oceanshop/ocean/internal/config"
	"github.com/oceanshop/ocean/internal/probe"
)

// shop is a real Ocean (SQLite, the demo catalog, the sandbox gateway)
// behind a loopback test server.
func shop(t *testing.T) *httptest.Server {
	t.Helper()
	env := map[string]string{"OCEAN_DATA_DIR": t.TempDir(), "OCEAN_ADMIN_PASSWORD": "probe tests only", "OCEAN_SEED_DEMO": "true"}
	cfg, _, err := config.Load(nil, func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	app, err := cli.NewApp(context.Background(), cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(app.Handler)
	t.Cleanup(func() { srv.Close(); app.Close() })
	return srv
}

// TestJourneySucceeds: against a healthy shop every step passes, a real
// paid order is placed, and `ocean probe` exits 0 with a line per step.
func TestJourneySucceeds(t *testing.T) {
	srv := shop(t)
	res := probe.Run(context.Background(), probe.Options{URL: srv.URL})
	if !res.OK() {
		var b bytes.Buffer
		res.WriteText(&b)
		t.Fatalf("the journey failed against a healthy shop:\n%s", b.String())
	}
	if len(res.Steps) != len(probe.Steps) {
		t.Fatalf("%d steps, want %d", len(res.Steps), len(probe.Steps))
	}
	for i, s := range res.Steps {
		if s.Name != probe.Steps[i] || !s.Ran || s.Duration <= 0 || s.Detail == "" {
			t.Errorf("step %d: %+v", i, s)
		}
	}
	if d := res.Steps[4].Detail; !strings.Contains(d, "paid") {
		t.Errorf("checkout step: %q, want the paid order", d)
	}

	var out, errOut bytes.Buffer
	code := cli.Run(context.Background(), []string{"probe", srv.URL, "--timeout", "20s"}, func(string) string { return "" }, &out, &errOut)
	if code != 0 {
		t.Fatalf("ocean probe: exit %d\n%s%s", code, out.String(), errOut.String())
	}
	text := out.String()
	for _, step := range probe.Steps {
		if !containsLine(text, "ok", step) {
			t.Errorf("no ok line with a time for %s:\n%s", step, text)
		}
	}
	if !strings.Contains(text, "probe "+srv.URL+": ok in ") || !strings.Contains(text, "ms") {
		t.Errorf("no verdict with the time:\n%s", text)
	}
	t.Logf("ocean probe %s:\n%s", srv.URL, text)
}

// containsLine reports whether text has the line of step with status
// (ok, FAIL: with a time; skip: without).
func containsLine(text, status, step string) bool {
	for _, l := range strings.Split(text, "\n") {
		f := strings.Fields(l)
		if len(f) >= 2 && f[0] == status && f[1] == step {
			return status == "skip" && len(f) == 2 || len(f) >= 3 && strings.HasSuffix(f[2], "ms")
		}
	}
	return false
}

// TestDeclinedCheckoutFailsAtCheckout: a declined card fails the checkout
// step with the shop's reason; the order page is not tried; the command
// exits 1 naming the step.
func TestDeclinedCheckoutFailsAtCheckout(t *testing.T) {
	srv := shop(t)
	res := probe.Run(context.Background(), probe.Options{URL: srv.URL, CardToken: "tok_chargeDeclined"})
	f := res.Failed()
	if res.OK() || f == nil || f.Name != "checkout" {
		t.Fatalf("failed step %+v, want checkout", f)
	}
	if !strings.Contains(f.Err.Error(), "402") {
		t.Errorf("checkout error %q, want the 402 answer", f.Err)
	}
	if last := res.Steps[len(res.Steps)-1]; last.Ran {
		t.Errorf("the order step ran after a failed checkout: %+v", last)
	}

	var out, errOut bytes.Buffer
	code := cli.Run(context.Background(), []string{"probe", "--card-token", "tok_chargeDeclined", srv.URL}, func(string) string { return "" }, &out, &errOut)
	if code != 1 {
		t.Fatalf("exit %d, want 1\n%s%s", code, out.String(), errOut.String())
	}
	text := out.String()
	if !strings.Contains(text, "FAILED at step checkout") || !containsLine(text, "FAIL", "checkout") || !containsLine(text, "skip", "order") {
		t.Errorf("the output does not name the failed step:\n%s", text)
	}
}

// TestShopDown: nothing listening fails the first step, and the
// Prometheus output says so in every series, valid for promtool.
func TestShopDown(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close()
	var out, errOut bytes.Buffer
	code := cli.Run(context.Background(), []string{"probe", "--prometheus", "--timeout", "5s", url}, func(string) string { return "" }, &out, &errOut)
	if code != 1 {
		t.Fatalf("exit %d, want 1\n%s%s", code, out.String(), errOut.String())
	}
	mfs := parse(t, out.String())
	if v := gauge(mfs, "ocean_probe_success", ""); v != 0 {
		t.Errorf("ocean_probe_success = %v, want 0", v)
	}
	for _, step := range probe.Steps {
		if v := gauge(mfs, "ocean_probe_step_success", step); v != 0 {
			t.Errorf("step %s success = %v, want 0", step, v)
		}
	}
}

// TestPrometheusOutput: a successful journey in the text format, parsed
// strictly and linted like `promtool check metrics`.
func TestPrometheusOutput(t *testing.T) {
	srv := shop(t)
	var out, errOut bytes.Buffer
	code := cli.Run(context.Background(), []string{"probe", "--prometheus", srv.URL}, func(string) string { return "" }, &out, &errOut)
	if code != 0 {
		t.Fatalf("exit %d\n%s%s", code, out.String(), errOut.String())
	}
	mfs := parse(t, out.String())
	if v := gauge(mfs, "ocean_probe_success", ""); v != 1 {
		t.Errorf("ocean_probe_success = %v, want 1", v)
	}
	for _, step := range probe.Steps {
		if v := gauge(mfs, "ocean_probe_step_success", step); v != 1 {
			t.Errorf("step %s success = %v", step, v)
		}
		if v := gauge(mfs, "ocean_probe_step_duration_seconds", step); v <= 0 || v > 30 {
			t.Errorf("step %s duration = %v", step, v)
		}
	}
	if v := gauge(mfs, "ocean_probe_timestamp_seconds", ""); v < float64(time.Now().Add(-time.Minute).Unix()) {
		t.Errorf("timestamp %v", v)
	}
	problems, err := promlint.NewWithMetricFamilies(values(mfs)).Lint()
	if err != nil || len(problems) > 0 {
		t.Errorf("promlint: %v %v", problems, err)
	}
}

// TestTimeout: a shop that never answers fails the first step when the
// journey's time is up, not later.
func TestTimeout(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}))
	defer srv.Close()
	defer close(release)
	start := time.Now()
	res := probe.Run(context.Background(), probe.Options{URL: srv.URL, Timeout: 300 * time.Millisecond})
	if f := res.Failed(); f == nil || f.Name != "home" {
		t.Fatalf("failed step %+v, want home", f)
	}
	if took := time.Since(start); took > 10*time.Second {
		t.Errorf("the journey took %s with a 300ms timeout", took)
	}
}

// TestUsage: a missing or bad URL is a usage error (2), not a failed probe.
func TestUsage(t *testing.T) {
	for _, args := range [][]string{{"probe"}, {"probe", "shop.example"}, {"probe", "ftp://shop.example"}, {"probe", "--nope", "http://x"}, {"probe", "http://a", "http://b"}} {
		var out, errOut bytes.Buffer
		if code := cli.Run(context.Background(), args, func(string) string { return "" }, &out, &errOut); code != 2 {
			t.Errorf("%q: exit %d, want 2", args, code)
		}
		if errOut.Len() == 0 {
			t.Errorf("%q: no message", args)
		}
	}
}

func parse(t *testing.T, text string) map[string]*dto.MetricFamily {
	t.Helper()
	p := expfmt.NewTextParser(model.LegacyValidation)
	mfs, err := p.TextToMetricFamilies(strings.NewReader(text))
	if err != nil {
		t.Fatalf("not the Prometheus text format: %v\n%s", err, text)
	}
	return mfs
}

// gauge is the value of name's series for step ("" for the series without
// a step), NaN when there is none.
func gauge(mfs map[string]*dto.MetricFamily, name, step string) float64 {
	mf := mfs[name]
	if mf == nil {
		return math.NaN()
	}
	for _, m := range mf.GetMetric() {
		got := ""
		for _, l := range m.GetLabel() {
			if l.GetName() == "step" {
				got = l.GetValue()
			}
		}
		if got == step {
			return m.GetGauge().GetValue()
		}
	}
	return math.NaN()
}

func values(mfs map[string]*dto.MetricFamily) []*dto.MetricFamily {
	var out []*dto.MetricFamily
	for _, mf := range mfs {
		out = append(out, mf)
	}
	return out
}
