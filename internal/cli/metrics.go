package cli

import (
	"crypto/sha256"
	"crypto/subtle"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/oceanshop/ocean/internal/catalog"
	"github.com/oceanshop/ocean/internal/httpx"
	"github.com/oceanshop/ocean/internal/ocean"
)

// withMetrics registers the collectors of the shop on a.Metrics (the lock
// metrics are already there), serves GET /metrics on mux when token is set,
// and returns the middleware that counts requests. It goes first in the
// chain, so rate-limited, rejected and panicking requests are counted and
// timed too.
//
// Without a token /metrics is not routed at all: the catch-all answers it
// with the ordinary 404 page, so an instance that nobody scrapes says
// nothing about itself.
func (a *App) withMetrics(mux *http.ServeMux, token string) httpx.Middleware {
	a.Metrics.MustRegister(&cacheCollector{stats: a.Catalog.CacheStats, shared: a.Redis != nil})
	m := newHTTPMetrics(a.Metrics)
	if token != "" {
		mux.Handle("GET /metrics", metricsHandler(a.Metrics, token))
	}
	return m.middleware(mux)
}

// metricsHandler serves the registry in the Prometheus text format to a
// client that presents the bearer token.
func metricsHandler(reg *prometheus.Registry, token string) http.Handler {
	want := sha256.Sum256([]byte(token))
	h := promhttp.HandlerFor(reg, promhttp.HandlerOpts{ErrorHandling: promhttp.ContinueOnError, Registry: reg})
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got, ok := bearer(r)
		// Hashing first makes the comparison constant time in the
		// token's length as well as its content.
		sum := sha256.Sum256([]byte(got))
		if !ok || subtle.ConstantTimeCompare(sum[:], want[:]) != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="metrics"`)
			httpx.WriteProblem(w, r, &ocean.Error{Code: ocean.EUNAUTHORIZED, Message: "GET /metrics needs the metrics token (OCEAN_METRICS_TOKEN) as Authorization: Bearer <token>."})
			return
		}
		w.Header().Set("Cache-Control", "no-store")
		h.ServeHTTP(w, r)
	})
}

// bearer returns the token of an "Authorization: Bearer <token>" header.
func bearer(r *http.Request) (string, bool) {
	scheme, tok, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	tok = strings.TrimSpace(tok)
	return tok, tok != ""
}

// httpMetrics count and time requests by route and status class. The route
// is the ServeMux pattern that serves the request ("GET /p/{slug}", "/" for
// the catch-all), never the raw path, so the number of series is bounded by
// the number of routes whatever addresses clients make up.
type httpMetrics struct {
	requests    *prometheus.CounterVec
	duration    *prometheus.HistogramVec
	inFlight    prometheus.Gauge
	rateLimited *prometheus.CounterVec
}

func newHTTPMetrics(reg prometheus.Registerer) *httpMetrics {
	m := &httpMetrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: "ocean", Subsystem: "http", Name: "requests_total",
			Help: "HTTP requests answered, by route pattern and status class (2xx, 3xx, 4xx, 5xx)."}, []string{"route", "code"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: "ocean", Subsystem: "http", Name: "request_duration_seconds",
			Help:    "Time from the request's arrival to the end of the handler, by route pattern.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10}}, []string{"route"}),
		inFlight: prometheus.NewGauge(prometheus.GaugeOpts{Namespace: "ocean", Subsystem: "http", Name: "requests_in_flight",
			Help: "HTTP requests being served now."}),
		rateLimited: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: "ocean", Subsystem: "http", Name: "rate_limited_total",
			Help: "Requests answered 429 Too Many Requests (rate limits and sign-in throttling), by route pattern."}, []string{"route"}),
	}
	reg.MustRegister(m.requests, m.duration, m.inFlight, m.rateLimited)
	return m
}

// unrouted labels a request the mux would not route (a path it redirects
// to its clean form, say).
const unrouted = "unrouted"

// middleware counts the requests of next. The pattern is looked up on mux
// before the request runs (the mux sets r.Pattern only on the copy of the
// request it receives, behind the other middleware), which also labels
// requests that middleware answers before routing, such as a 429.
func (m *httpMetrics) middleware(mux *http.ServeMux) httpx.Middleware {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			_, route := mux.Handler(r)
			if route == "" {
				route = unrouted
			}
			m.inFlight.Inc()
			sw := &codeWriter{ResponseWriter: w}
			start, done := time.Now(), false
			defer func() {
				m.inFlight.Dec()
				code := sw.code
				switch {
				case !done:
					// Only http.ErrAbortHandler gets past Recover: the
					// connection is cut, whatever was written.
					code = http.StatusInternalServerError
				case code == 0:
					code = http.StatusOK // wrote nothing
				}
				m.observe(route, code, start)
			}()
			next.ServeHTTP(sw, r)
			done = true
		})
	}
}

func (m *httpMetrics) observe(route string, code int, start time.Time) {
	m.duration.WithLabelValues(route).Observe(time.Since(start).Seconds())
	m.requests.WithLabelValues(route, statusClass(code)).Inc()
	if code == http.StatusTooManyRequests {
		m.rateLimited.WithLabelValues(route).Inc()
	}
}

// statusClass is "2xx" for 200 to 299 and so on.
func statusClass(code int) string {
	if code < 100 || code > 599 {
		return "other"
	}
	return strconv.Itoa(code/100) + "xx"
}

// codeWriter records the status a handler answers with.
type codeWriter struct {
	http.ResponseWriter
	code int
}

func (c *codeWriter) WriteHeader(code int) {
	// 1xx informational headers are not the answer.
	if c.code == 0 && code >= 200 {
		c.code = code
	}
	c.ResponseWriter.WriteHeader(code)
}

func (c *codeWriter) Write(b []byte) (int, error) {
	if c.code == 0 {
		c.code = http.StatusOK
	}
	return c.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the connection's writer
// (flush, deadlines).
func (c *codeWriter) Unwrap() http.ResponseWriter { return c.ResponseWriter }

// cacheCollector reports the catalog cache's hit and miss counters at
// scrape time: they live in the cache (catalog.CacheCounters), and are not
// counted twice.
type cacheCollector struct {
	stats  func() catalog.CacheStats
	shared bool // the cache has a shared tier (Redis)
}

var (
	cacheHitsDesc = prometheus.NewDesc("ocean_catalog_cache_hits_total",
		"Catalog cache lookups answered, by keyspace and tier (local: in process; shared: Redis, asked after a local miss).", []string{"keyspace", "tier"}, nil)
	cacheMissesDesc = prometheus.NewDesc("ocean_catalog_cache_misses_total",
		"Catalog cache lookups not answered, by keyspace and tier; a shared miss goes to the database.", []string{"keyspace", "tier"}, nil)
	cacheRefreshDesc = prometheus.NewDesc("ocean_catalog_cache_early_refreshes_total",
		"Local misses that were early refreshes of an entry close to expiry, by keyspace.", []string{"keyspace"}, nil)
)

func (c *cacheCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- cacheHitsDesc
	ch <- cacheMissesDesc
	ch <- cacheRefreshDesc
}

func (c *cacheCollector) Collect(ch chan<- prometheus.Metric) {
	stats := c.stats()
	// Every keyspace always has its series (zero until used), so rates and
	// ratios exist from the first scrape; "other" only once it is used.
	keyspaces := catalog.CacheKeyspaces
	if _, ok := stats["other"]; ok {
		keyspaces = append(keyspaces[:len(keyspaces):len(keyspaces)], "other")
	}
	counter := func(d *prometheus.Desc, v uint64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, float64(v), labels...)
	}
	for _, ks := range keyspaces {
		s := stats[ks]
		counter(cacheHitsDesc, s.LocalHits, ks, "local")
		counter(cacheMissesDesc, s.LocalMisses, ks, "local")
		if c.shared || s.SharedHits+s.SharedMisses > 0 {
			counter(cacheHitsDesc, s.SharedHits, ks, "shared")
			counter(cacheMissesDesc, s.SharedMisses, ks, "shared")
		}
		counter(cacheRefreshDesc, s.Refreshes, ks)
	}
}
