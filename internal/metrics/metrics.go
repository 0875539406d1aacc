// Package metrics exports the shop's numbers to Prometheus: the HTTP
// middleware that counts and times requests by route, GET /metrics behind
// its bearer token, and collectors that read, at scrape time, the counters
// the business and infrastructure packages keep as plain data (the catalog
// cache's hits and misses, the lock framework's Stats), so those packages
// never import client_golang.
package metrics

import (
	"crypto/sha256"
	"crypto/subtle"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/oceanshop/ocean/internal/httpx"
	"github.com/oceanshop/ocean/internal/ocean"
)

// NewRegistry returns a registry with the Go runtime and process
// collectors.
func NewRegistry() *prometheus.Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return reg
}

// Handler serves reg in the Prometheus text format to a client that
// presents token as "Authorization: Bearer <token>"; anyone else gets a 401
// problem.
func Handler(reg *prometheus.Registry, token string) http.Handler {
	want := sha256.Sum256([]byte(token))
	h := promhttp.HandlerFor(reg, promhttp.HandlerOpts{ErrorHandling: promhttp.ContinueOnError, Registry: reg})
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got, ok := httpx.Bearer(r)
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

// HTTP counts and times requests by route and status class. The route is
// the ServeMux pattern that serves the request ("GET /p/{slug}", "/" for
// the catch-all), never the raw path, so the number of series is bounded by
// the number of routes whatever addresses clients make up.
type HTTP struct {
	requests    *prometheus.CounterVec
	duration    *prometheus.HistogramVec
	inFlight    prometheus.Gauge
	rateLimited *prometheus.CounterVec
	routes      sync.Map // route → *routeSeries
}

// routeSeries is one route's duration histogram and request counters by
// status class, each looked up once: WithLabelValues hashes the labels and
// takes a lock on every call. A class's counter is made when the route
// first answers with it, as WithLabelValues would.
type routeSeries struct {
	duration prometheus.Observer
	requests [len(statusClasses)]atomic.Pointer[classCounter]
}

type classCounter struct{ prometheus.Counter }

// statusClasses are the code label's values, in statusIndex's order.
var statusClasses = [...]string{"other", "1xx", "2xx", "3xx", "4xx", "5xx"}

// statusIndex is the place in statusClasses of a status: 2 ("2xx") for
// 200 to 299 and so on.
func statusIndex(code int) int {
	if code < 100 || code > 599 {
		return 0
	}
	return code / 100
}

func (m *HTTP) series(route string) *routeSeries {
	if s, ok := m.routes.Load(route); ok {
		return s.(*routeSeries)
	}
	got, _ := m.routes.LoadOrStore(route, &routeSeries{duration: m.duration.WithLabelValues(route)})
	return got.(*routeSeries)
}

// NewHTTP registers the HTTP metrics on reg.
func NewHTTP(reg prometheus.Registerer) *HTTP {
	m := &HTTP{
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

// Unrouted labels a request the mux would not route (a path it redirects
// to its clean form, say).
const Unrouted = "unrouted"

// Middleware counts the requests of next. It goes first in the chain, so
// rate-limited, rejected and panicking requests are counted and timed too.
// The pattern is looked up on mux before the request runs (the mux sets
// r.Pattern only on the copy of the request it receives, behind the other
// middleware), which also labels requests that middleware answers before
// routing, such as a 429.
func (m *HTTP) Middleware(mux *http.ServeMux) httpx.Middleware {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			r, _, route := httpx.Route(mux, r) // and the rate limiter's, later in the chain
			if route == "" {
				route = Unrouted
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

func (m *HTTP) observe(route string, code int, start time.Time) {
	s := m.series(route) // routes are the mux's patterns: a bounded set
	s.duration.Observe(time.Since(start).Seconds())
	i := statusIndex(code)
	c := s.requests[i].Load()
	if c == nil {
		c = &classCounter{m.requests.WithLabelValues(route, statusClasses[i])} // the same child if two requests race here
		s.requests[i].Store(c)
	}
	c.Inc()
	if code == http.StatusTooManyRequests {
		m.rateLimited.WithLabelValues(route).Inc()
	}
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
