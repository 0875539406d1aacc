// Package rum is real-user monitoring: the storefront's beacon
// (static/rum.js) reports the Core Web Vitals of each page view (LCP, INP,
// CLS, TTFB), which land in Prometheus histograms (ocean_web_vitals) and in
// daily histogram rows in the database that the whole fleet adds to, from
// which the admin's vitals page reads the 75th percentile per page template
// against Google's thresholds.
package rum

import (
	"context"
	"math"
	"strconv"
	"strings"
	"time"
)

// Metric is one of the vitals, with its histogram buckets (upper bounds,
// in the unit the browser reports: milliseconds, or none for CLS) and
// Google's thresholds: at most Good is good, above Poor is poor, between
// needs improvement. Both thresholds are bucket bounds, so the rating of a
// percentile read from the buckets is exact.
type Metric struct {
	Name    string // lcp, inp, cls, ttfb
	Label   string // what the admin calls it
	Unit    string // "ms" or ""
	Max     float64
	Good    float64
	Poor    float64
	Buckets []float64
}

// Metrics are the vitals, in the order the admin shows them.
var Metrics = []Metric{
	{Name: "lcp", Label: "Largest Contentful Paint", Unit: "ms", Max: 60000, Good: 2500, Poor: 4000,
		Buckets: []float64{250, 500, 750, 1000, 1500, 2000, 2500, 3000, 3500, 4000, 5000, 6000, 8000, 10000, 15000, 20000, 30000, 60000}},
	{Name: "inp", Label: "Interaction to Next Paint", Unit: "ms", Max: 10000, Good: 200, Poor: 500,
		Buckets: []float64{25, 50, 75, 100, 150, 200, 250, 300, 400, 500, 600, 800, 1000, 1500, 2000, 5000, 10000}},
	{Name: "cls", Label: "Cumulative Layout Shift", Unit: "", Max: 10, Good: 0.1, Poor: 0.25,
		Buckets: []float64{0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.25, 0.3, 0.5, 0.75, 1, 2, 10}},
	{Name: "ttfb", Label: "Time to First Byte", Unit: "ms", Max: 60000, Good: 800, Poor: 1800,
		Buckets: []float64{50, 100, 200, 300, 400, 500, 600, 800, 1000, 1200, 1500, 1800, 2500, 4000, 8000, 15000, 60000}},
}

// metric returns the metric named name.
func metric(name string) (Metric, bool) {
	for _, m := range Metrics {
		if m.Name == name {
			return m, true
		}
	}
	return Metric{}, false
}

// Bucket returns the index of the bucket v falls in, v clamped to
// [0, Max]; ok is false for a value that is not a number.
func (m Metric) Bucket(v float64) (int, bool) {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, false
	}
	v = min(max(v, 0), m.Max)
	for i, b := range m.Buckets {
		if v <= b {
			return i, true
		}
	}
	return len(m.Buckets) - 1, true
}

// Rating is how a value compares with Google's thresholds.
type Rating string

// The ratings.
const (
	Good             Rating = "good"
	NeedsImprovement Rating = "needs improvement"
	Poor             Rating = "poor"
)

// Rate rates v.
func (m Metric) Rate(v float64) Rating {
	switch {
	case v <= m.Good:
		return Good
	case v <= m.Poor:
		return NeedsImprovement
	default:
		return Poor
	}
}

// Percentile reads the q-th quantile (0 < q ≤ 1) from bucket counts
// (counts[i] values fell in bucket i), interpolating linearly inside the
// bucket; ok is false without counts.
func (m Metric) Percentile(counts []int64, q float64) (float64, bool) {
	var total int64
	for _, n := range counts {
		total += n
	}
	if total == 0 {
		return 0, false
	}
	target := q * float64(total)
	var cum float64
	for i, n := range counts {
		if n == 0 {
			continue
		}
		if cum+float64(n) >= target {
			lo := 0.0
			if i > 0 {
				lo = m.Buckets[i-1]
			}
			hi := m.Buckets[min(i, len(m.Buckets)-1)]
			return lo + (hi-lo)*(target-cum)/float64(n), true
		}
		cum += float64(n)
	}
	return m.Buckets[len(m.Buckets)-1], true
}

// Count is how many values of a metric on a template fell in a bucket.
type Count struct {
	Metric   string
	Template string
	Bucket   int
	N        int64
}

// Store keeps the daily histograms. A fleet shares it: Add adds to what is
// there.
type Store interface {
	// Add adds counts to day's histograms (day: days since the Unix epoch,
	// UTC).
	Add(ctx context.Context, day int, counts []Count) error
	// Counts sums the histograms of the days from..to (inclusive).
	Counts(ctx context.Context, from, to int) ([]Count, error)
	// Prune deletes the days before before.
	Prune(ctx context.Context, before int) error
}

// Day is t's day number.
func Day(t time.Time) int { return int(t.UTC().Unix() / 86400) }

// trimFloat formats v with at most prec decimals, trailing zeros dropped.
func trimFloat(v float64, prec int) string {
	s := strconv.FormatFloat(v, 'f', prec, 64)
	if strings.Contains(s, ".") {
		s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	}
	return s
}
