package metrics

import (
	"context"
	"runtime"
	"slices"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/oceanshop/ocean/internal/cart"
	"github.com/oceanshop/ocean/internal/checkout"
	"github.com/oceanshop/ocean/internal/payment"
	"github.com/oceanshop/ocean/internal/sqldb"
)

// RegisterBuildInfo registers ocean_build_info{version,commit,goversion} = 1.
func RegisterBuildInfo(reg prometheus.Registerer, version, commit string) {
	g := prometheus.NewGauge(prometheus.GaugeOpts{Name: "ocean_build_info",
		Help:        "Always 1; the labels say which build of Ocean runs.",
		ConstLabels: prometheus.Labels{"version": version, "commit": commit, "goversion": runtime.Version()}})
	g.Set(1)
	reg.MustRegister(g)
}

// DBCollector reports the database pools' statistics (sql.DBStats) at
// scrape time.
type DBCollector struct{ Pools func() []sqldb.Pool }

func dbDesc(name, help string) *prometheus.Desc {
	return prometheus.NewDesc("ocean_db_pool_"+name, help, []string{"pool"}, nil)
}

var (
	dbOpen      = dbDesc("open_connections", "Connections open (in use and idle), by pool: write and read on SQLite, main on PostgreSQL.")
	dbInUse     = dbDesc("in_use_connections", "Connections running a statement or transaction now.")
	dbIdle      = dbDesc("idle_connections", "Connections open and idle.")
	dbMax       = dbDesc("max_open_connections", "The pool's limit on open connections.")
	dbWaits     = dbDesc("wait_count_total", "Times a statement waited for a free connection.")
	dbWaitTotal = dbDesc("wait_duration_seconds_total", "Total time statements waited for a free connection.")
)

// Describe implements prometheus.Collector.
func (c DBCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{dbOpen, dbInUse, dbIdle, dbMax, dbWaits, dbWaitTotal} {
		ch <- d
	}
}

// Collect implements prometheus.Collector.
func (c DBCollector) Collect(ch chan<- prometheus.Metric) {
	for _, p := range c.Pools() {
		s := p.Stats
		gauge(ch, dbOpen, float64(s.OpenConnections), p.Name)
		gauge(ch, dbInUse, float64(s.InUse), p.Name)
		gauge(ch, dbIdle, float64(s.Idle), p.Name)
		gauge(ch, dbMax, float64(s.MaxOpenConnections), p.Name)
		ch <- prometheus.MustNewConstMetric(dbWaits, prometheus.CounterValue, float64(s.WaitCount), p.Name)
		ch <- prometheus.MustNewConstMetric(dbWaitTotal, prometheus.CounterValue, s.WaitDuration.Seconds(), p.Name)
	}
}

func gauge(ch chan<- prometheus.Metric, d *prometheus.Desc, v float64, labels ...string) {
	ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
}

// Queries times the stores' statements by query name
// (ocean_db_query_duration_seconds{query}); Observe is a
// sqldb.Observer's Duration.
type Queries struct{ h *prometheus.HistogramVec }

// NewQueries registers the query histogram on reg.
func NewQueries(reg prometheus.Registerer) *Queries {
	q := &Queries{h: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "ocean_db_query_duration_seconds",
		Help:    "Time until the database answered a statement (for a query, until its first rows were ready), by named query (the store method that ran it).",
		Buckets: []float64{.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5}}, []string{"query"})}
	reg.MustRegister(q.h)
	return q
}

// Observe records one statement.
func (q *Queries) Observe(query string, d time.Duration) {
	q.h.WithLabelValues(query).Observe(d.Seconds())
}

// Payments counts payment authorizations by gateway, outcome and reason
// (payment.Outcome); Observe is a payment.Observer.
type Payments struct {
	payments, failures *prometheus.CounterVec
}

// NewPayments registers the payment counters on reg.
func NewPayments(reg prometheus.Registerer) *Payments {
	p := &Payments{
		payments: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "ocean_payments_total",
			Help: "Payment authorizations, by gateway, outcome (succeeded, declined, error, unknown) and reason (none, a decline code, timeout, …)."},
			[]string{"gateway", "outcome", "reason"}),
		failures: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "ocean_payment_failures_total",
			Help: "Payment authorizations that did not succeed, by gateway and reason."}, []string{"gateway", "reason"}),
	}
	reg.MustRegister(p.payments, p.failures)
	return p
}

// Gateways makes every gateway's series exist (at zero) before the first
// payment, so rates and ratios exist from the first scrape.
func (p *Payments) Gateways(names ...string) {
	for _, g := range names {
		p.payments.WithLabelValues(g, payment.Succeeded, "none")
	}
}

// Observe implements payment.Observer: authorizations are counted, the
// other calls are not payments.
func (p *Payments) Observe(ctx context.Context, gateway, op string) (context.Context, func(error)) {
	if op != "authorize" {
		return ctx, func(error) {}
	}
	return ctx, func(err error) {
		outcome, reason := payment.Outcome(err)
		p.payments.WithLabelValues(gateway, outcome, reason).Inc()
		if outcome != payment.Succeeded {
			p.failures.WithLabelValues(gateway, reason).Inc()
		}
	}
}

// ShopCollector reports the business counters the cart and checkout
// services keep (cart.Stats, checkout.Stats) at scrape time.
type ShopCollector struct {
	Carts    func() cart.Stats
	Checkout func() checkout.Stats
}

var (
	cartsCreated       = prometheus.NewDesc("ocean_carts_created_total", "Carts created.", nil, nil)
	checkoutsStarted   = prometheus.NewDesc("ocean_checkouts_started_total", "Checkout attempts that passed validation and went on to reserve stock.", nil, nil)
	checkoutsCompleted = prometheus.NewDesc("ocean_checkouts_completed_total", "Checkouts that ended in a paid order.", nil, nil)
	ordersPlaced       = prometheus.NewDesc("ocean_orders_placed_total", "Orders paid, by currency.", []string{"currency"}, nil)
	revenue            = prometheus.NewDesc("ocean_revenue_minor_units_total", "Order totals paid, in minor units of the currency (refunds not subtracted).", []string{"currency"}, nil)
)

// Describe implements prometheus.Collector.
func (c ShopCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{cartsCreated, checkoutsStarted, checkoutsCompleted, ordersPlaced, revenue} {
		ch <- d
	}
}

// Collect implements prometheus.Collector.
func (c ShopCollector) Collect(ch chan<- prometheus.Metric) {
	counter(ch, cartsCreated, c.Carts().Created)
	s := c.Checkout()
	counter(ch, checkoutsStarted, s.Started)
	counter(ch, checkoutsCompleted, s.Completed)
	currencies := make([]string, 0, len(s.Placed))
	for cur := range s.Placed {
		currencies = append(currencies, cur)
	}
	slices.Sort(currencies)
	for _, cur := range currencies {
		counter(ch, ordersPlaced, s.Placed[cur].Orders, cur)
		ch <- prometheus.MustNewConstMetric(revenue, prometheus.CounterValue, float64(s.Placed[cur].Revenue), cur)
	}
}

// CertCollector reports the not-after of every certificate the instance
// serves (tlsx.Expiries) at scrape time.
type CertCollector struct{ Expiries func() map[string]time.Time }

var certExpiry = prometheus.NewDesc("ocean_tls_certificate_expiry_timestamp_seconds",
	"Unix time at which a certificate this instance serves stops being valid (its not-after), by the certificate's first DNS name.", []string{"name"}, nil)

// Describe implements prometheus.Collector.
func (c CertCollector) Describe(ch chan<- *prometheus.Desc) { ch <- certExpiry }

// Collect implements prometheus.Collector.
func (c CertCollector) Collect(ch chan<- prometheus.Metric) {
	for name, t := range c.Expiries() {
		gauge(ch, certExpiry, float64(t.Unix()), name)
	}
}
