package rum_test

import (
	"context"
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/oceanshop/ocean/internal/errtrack"
	"github.com/oceanshop/ocean/internal/rum"
	"github.com/oceanshop/ocean/internal/sqlite/sqlitetest"
)

func metric(name string) rum.Metric {
	for _, m := range rum.Metrics {
		if m.Name == name {
			return m
		}
	}
	panic(name)
}

func TestThresholdsAreBucketBoundsAndRatingsFollowGoogle(t *testing.T) {
	for _, m := range rum.Metrics {
		var good, poor bool
		for _, b := range m.Buckets {
			good = good || b == m.Good
			poor = poor || b == m.Poor
		}
		if !good || !poor || m.Buckets[len(m.Buckets)-1] != m.Max {
			t.Errorf("%s: thresholds and max must be bucket bounds", m.Name)
		}
	}
	lcp := metric("lcp")
	for v, want := range map[float64]rum.Rating{2500: rum.Good, 2501: rum.NeedsImprovement, 4000: rum.NeedsImprovement, 4001: rum.Poor} {
		if got := lcp.Rate(v); got != want {
			t.Errorf("LCP %v: %s, want %s", v, got, want)
		}
	}
	if got := metric("cls").Rate(0.1); got != rum.Good {
		t.Errorf("CLS 0.1: %s", got)
	}
	if _, ok := lcp.Bucket(math.NaN()); ok {
		t.Error("NaN must be refused")
	}
	if i, _ := lcp.Bucket(1e9); i != len(lcp.Buckets)-1 {
		t.Error("a huge value must be clamped into the last bucket")
	}
	if i, _ := lcp.Bucket(-5); i != 0 {
		t.Error("a negative value must be clamped into the first bucket")
	}
}

func TestPercentileInterpolatesInsideTheBucket(t *testing.T) {
	inp := metric("inp") // buckets 25, 50, 75, 100, ...
	counts := make([]int64, len(inp.Buckets))
	counts[0], counts[3] = 50, 50 // half ≤ 25 ms, half in (75, 100]
	p, ok := inp.Percentile(counts, 0.75)
	if !ok || p != 87.5 {
		t.Fatalf("p75 = %v %v, want 87.5 (half way into (75, 100])", p, ok)
	}
	if _, ok := inp.Percentile(make([]int64, len(inp.Buckets)), 0.75); ok {
		t.Fatal("no samples, no percentile")
	}
}

func TestBeaconsBecomeHistogramsAndTheAdminSummary(t *testing.T) {
	store := sqlitetest.Open(t).Vitals()
	reg := prometheus.NewRegistry()
	mux := http.NewServeMux()
	mux.HandleFunc("GET /p/{slug}", func(http.ResponseWriter, *http.Request) {})
	mux.HandleFunc("GET /{$}", func(http.ResponseWriter, *http.Request) {})
	now := time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)
	c := rum.NewCollector(rum.Config{Store: store, Template: errtrack.PageTemplate(mux), Metrics: reg, Every: time.Hour, Now: func() time.Time { return now }})
	t.Cleanup(func() { c.Close() })
	h := c.Handler()
	post := func(body string, hdr ...string) int {
		r := httptest.NewRequest("POST", rum.Path, strings.NewReader(body))
		for i := 0; i+1 < len(hdr); i += 2 {
			r.Header.Set(hdr[i], hdr[i+1])
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		return w.Code
	}
	same := []string{"Sec-Fetch-Site", "same-origin", "Content-Type", "text/plain;charset=UTF-8"}
	// Four product page views: three fast, one slow; LCP p75 lands in
	// the good range, TTFB in poor. One home view with a huge CLS.
	for _, b := range []string{
		`{"page":"/p/a","lcp":1200,"inp":40,"cls":0.01,"ttfb":2000}`,
		`{"page":"/p/b","lcp":1300,"cls":0.02,"ttfb":2100}`,
		`{"page":"/p/c?x=1","lcp":1400,"ttfb":2200}`,
		`{"page":"/p/d","lcp":9000,"ttfb":100}`,
		`{"page":"/","cls":57}`,
		`{"page":"/nowhere/at/all","lcp":100}`,
	} {
		if code := post(b, same...); code != 204 {
			t.Fatalf("%s: %d", b, code)
		}
	}
	for _, tc := range []struct {
		body string
		hdr  []string
		want int
	}{
		{`{"page":"/p/a","lcp":1}`, []string{"Sec-Fetch-Site", "cross-site"}, 403},
		{`{"page":"/p/a","lcp":1}`, nil, 403},
		{`{"page":"p/a","lcp":1}`, same, 400},
		{`{"page":"/p/a","lcp":"slow"}`, same, 400},
		{`{"page":"/p/a","fid":1}`, same, 400},
		{`{"page":"/p/a","lcp":1,"x":"` + strings.Repeat("y", 2000) + `"}`, same, 413},
	} {
		if code := post(tc.body, tc.hdr...); code != tc.want {
			t.Errorf("%s %v: %d, want %d", tc.body, tc.hdr, code, tc.want)
		}
	}
	if err := c.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	rows, err := rum.Summary(context.Background(), store, now, 7)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]map[string]rum.Cell{}
	for _, r := range rows {
		got[r.Template] = map[string]rum.Cell{}
		for _, c := range r.Cells {
			got[r.Template][c.Metric.Name] = c
		}
	}
	if len(rows) != 3 || got["other"]["lcp"].Samples != 1 {
		t.Fatalf("templates = %v, want /p/{slug}, /{$} and other", rows)
	}
	p := got["/p/{slug}"]
	if p["lcp"].Samples != 4 || p["lcp"].Rating != rum.Good || p["ttfb"].Rating != rum.Poor || p["inp"].Samples != 1 || p["cls"].Samples != 2 {
		t.Fatalf("product page = %+v", p)
	}
	if home := got["/{$}"]["cls"]; home.Rating != rum.Poor || home.Text() != "8" || got["/{$}"]["lcp"].Text() != "—" {
		t.Fatalf("home CLS = %+v (%s), want clamped to 10 and read as 8 (three quarters into (2, 10]), poor", home, home.Text())
	}
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var series, lcpCount int
	for _, mf := range mfs {
		if mf.GetName() != "ocean_web_vitals" {
			continue
		}
		for _, m := range mf.GetMetric() {
			series++
			labels := map[string]string{}
			for _, l := range m.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			if labels["metric"] == "lcp" && labels["template"] == "/p/{slug}" {
				lcpCount = int(m.GetHistogram().GetSampleCount())
				if ub := m.GetHistogram().GetBucket()[6].GetUpperBound(); ub != 2.5 {
					t.Errorf("LCP bucket 6 = %v s, want 2.5 (the good threshold, in seconds)", ub)
				}
			}
		}
	}
	if lcpCount != 4 || series != 6 {
		t.Fatalf("ocean_web_vitals: %d series, LCP product count %d; want 6 series (only the metric and template pairs observed) and 4", series, lcpCount)
	}
}
