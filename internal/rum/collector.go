package rum

import (
	"context"
	"log/slog"
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/oceanshop/ocean/internal/errtrack"
	"github.com/oceanshop/ocean/internal/httpx"
	"github.com/oceanshop/ocean/internal/ocean"
)

// Path receives the beacon.
const Path = "/vitals"

// maxBeacon bounds one beacon's body.
const maxBeacon = 1 << 10

// Other is the template of a page the route table does not know.
const Other = "other"

// Config is what a Collector is built from.
type Config struct {
	Store Store
	// Template maps a page's path to its template (its route pattern),
	// Other for anything else: the set of labels is the route table's.
	Template func(path string) string
	Metrics  prometheus.Registerer // nil: not exported
	Log      *slog.Logger
	// Every is how often counts go to the store (default 10 s); Keep how
	// many days the store keeps (default 28).
	Every time.Duration
	Keep  int
	Now   func() time.Time
}

// Collector takes beacons: it observes them in the Prometheus histograms
// at once and adds them up in memory, writing the sums to the store every
// few seconds (one upsert per bucket touched, however many page views).
type Collector struct {
	cfg     Config
	hist    map[string]*prometheus.HistogramVec
	mu      sync.Mutex
	pending map[Count]int64 // N unused in the key
	stop    chan struct{}
	done    chan struct{}
	once    sync.Once
}

// NewCollector starts a collector; Close stops it, writing what is pending.
func NewCollector(cfg Config) *Collector {
	if cfg.Every <= 0 {
		cfg.Every = 10 * time.Second
	}
	if cfg.Keep <= 0 {
		cfg.Keep = 28
	}
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Template == nil {
		cfg.Template = func(string) string { return Other }
	}
	c := &Collector{cfg: cfg, hist: map[string]*prometheus.HistogramVec{}, pending: map[Count]int64{},
		stop: make(chan struct{}), done: make(chan struct{})}
	for _, m := range Metrics {
		// One histogram per metric, each with its own buckets, under one
		// name: the metric is a constant label. Times are in seconds, as
		// Prometheus names them; CLS has no unit.
		scale := 1.0
		if m.Unit == "ms" {
			scale = 1000
		}
		b := make([]float64, len(m.Buckets))
		for i, v := range m.Buckets {
			b[i] = v / scale
		}
		c.hist[m.Name] = prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "ocean_web_vitals",
			Help:        "Core Web Vitals reported by shoppers' browsers, by metric and page template (LCP, INP and TTFB in seconds; CLS unitless).",
			ConstLabels: prometheus.Labels{"metric": m.Name}, Buckets: b}, []string{"template"})
		if cfg.Metrics != nil {
			cfg.Metrics.MustRegister(c.hist[m.Name])
		}
	}
	go c.run()
	return c
}

// beacon is what static/rum.js sends: the page's path and the vitals it
// measured (absent: not measured, an INP without interaction say).
type beacon struct {
	Page string   `json:"page"`
	LCP  *float64 `json:"lcp"`
	INP  *float64 `json:"inp"`
	CLS  *float64 `json:"cls"`
	TTFB *float64 `json:"ttfb"`
}

// Handler serves Path: a same-origin beacon of at most 1 KB; values are
// clamped to each metric's range, the page becomes its template. 204, or a
// problem for what it refuses.
func (c *Collector) Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !errtrack.SameOrigin(r) {
			httpx.WriteProblem(w, r, &ocean.Error{Code: ocean.EFORBIDDEN, Message: "Vitals are accepted from the shop's own pages only."})
			return
		}
		var b beacon
		if err := errtrack.ReadBeacon(w, r, &b, maxBeacon); err != nil {
			httpx.WriteProblem(w, r, err)
			return
		}
		if !strings.HasPrefix(b.Page, "/") {
			httpx.WriteProblem(w, r, ocean.Invalid("The page must be a path.", ocean.FieldError{Field: "page", Message: "must start with /"}))
			return
		}
		tmpl := c.cfg.Template(b.Page)
		for name, v := range map[string]*float64{"lcp": b.LCP, "inp": b.INP, "cls": b.CLS, "ttfb": b.TTFB} {
			if v != nil {
				c.Observe(name, tmpl, *v)
			}
		}
		w.WriteHeader(http.StatusNoContent)
	})
}

// Observe records one value of the named metric on a template.
func (c *Collector) Observe(name, tmpl string, v float64) {
	m, ok := metric(name)
	if !ok {
		return
	}
	i, ok := m.Bucket(v)
	if !ok {
		return
	}
	v = min(max(v, 0), m.Max)
	if m.Unit == "ms" {
		v /= 1000
	}
	c.hist[name].WithLabelValues(tmpl).Observe(v)
	c.mu.Lock()
	c.pending[Count{Metric: name, Template: tmpl, Bucket: i}]++
	c.mu.Unlock()
}

// Flush writes the pending counts to the store now.
func (c *Collector) Flush(ctx context.Context) error {
	c.mu.Lock()
	pending := c.pending
	c.pending = map[Count]int64{}
	c.mu.Unlock()
	if len(pending) == 0 {
		return nil
	}
	counts := make([]Count, 0, len(pending))
	for k, n := range pending {
		k.N = n
		counts = append(counts, k)
	}
	// A stable order keeps concurrent flushes of a fleet from
	// deadlocking on PostgreSQL's row locks.
	sort.Slice(counts, func(i, j int) bool {
		a, b := counts[i], counts[j]
		if a.Metric != b.Metric {
			return a.Metric < b.Metric
		}
		if a.Template != b.Template {
			return a.Template < b.Template
		}
		return a.Bucket < b.Bucket
	})
	if err := c.cfg.Store.Add(ctx, Day(c.cfg.Now()), counts); err != nil {
		// Put them back: the next flush tries again.
		c.mu.Lock()
		for _, k := range counts {
			n := k.N
			k.N = 0
			c.pending[k] += n
		}
		c.mu.Unlock()
		return err
	}
	return nil
}

func (c *Collector) run() {
	defer close(c.done)
	t := time.NewTicker(c.cfg.Every)
	defer t.Stop()
	lastPrune := -1
	for {
		select {
		case <-t.C:
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			if err := c.Flush(ctx); err != nil {
				c.cfg.Log.Warn("web vitals: storing failed; will retry", "err", err)
			}
			if d := Day(c.cfg.Now()); d != lastPrune {
				if err := c.cfg.Store.Prune(ctx, d-c.cfg.Keep); err == nil {
					lastPrune = d
				}
			}
			cancel()
		case <-c.stop:
			return
		}
	}
}

// Close stops the collector and writes what is pending.
func (c *Collector) Close() error {
	c.once.Do(func() { close(c.stop) })
	<-c.done
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return c.Flush(ctx)
}

// Row is one template's percentiles for the admin.
type Row struct {
	Template string
	Cells    []Cell // in the order of Metrics
}

// Cell is one metric's 75th percentile on one template.
type Cell struct {
	Metric  Metric
	P75     float64
	Samples int64
	Rating  Rating // "" without samples
}

// Text shows the percentile in its unit: "2.31 s", "180 ms", "0.04".
func (c Cell) Text() string {
	if c.Samples == 0 {
		return "—"
	}
	switch {
	case c.Metric.Unit == "":
		return trimFloat(c.P75, 2)
	case c.P75 >= 1000:
		return trimFloat(c.P75/1000, 2) + " s"
	default:
		return trimFloat(c.P75, 0) + " ms"
	}
}

// Summary reads the last days (today included) from the store: the 75th
// percentile of every metric per template, templates in order of name.
func Summary(ctx context.Context, s Store, now time.Time, days int) ([]Row, error) {
	to := Day(now)
	counts, err := s.Counts(ctx, to-days+1, to)
	if err != nil {
		return nil, err
	}
	hist := map[string]map[string][]int64{} // template → metric → buckets
	for _, c := range counts {
		m, ok := metric(c.Metric)
		if !ok || c.Bucket < 0 || c.Bucket >= len(m.Buckets) {
			continue
		}
		if hist[c.Template] == nil {
			hist[c.Template] = map[string][]int64{}
		}
		if hist[c.Template][c.Metric] == nil {
			hist[c.Template][c.Metric] = make([]int64, len(m.Buckets))
		}
		hist[c.Template][c.Metric][c.Bucket] += c.N
	}
	var rows []Row
	for tmpl, ms := range hist {
		row := Row{Template: tmpl}
		for _, m := range Metrics {
			cell := Cell{Metric: m}
			for _, n := range ms[m.Name] {
				cell.Samples += n
			}
			if p, ok := m.Percentile(ms[m.Name], 0.75); ok {
				cell.P75, cell.Rating = p, m.Rate(p)
			}
			row.Cells = append(row.Cells, cell)
		}
		rows = append(rows, row)
	}
	sort.Slice(rows, func(i, j int) bool { return rows[i].Template < rows[j].Template })
	return rows, nil
}
