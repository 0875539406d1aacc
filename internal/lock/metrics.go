package lock

import (
	"errors"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Metrics are the lock framework's Prometheus metrics. Create one per
// process with NewMetrics and pass it with WithMetrics. A nil *Metrics is a
// valid no-op, so callers never check.
//
//	ocean_lock_acquisitions_total              grants
//	ocean_lock_acquire_failures_total{reason}  busy (TryLock), timeout, canceled, unavailable
//	ocean_lock_contended_total                 acquisitions that found the key held and waited
//	ocean_lock_wait_seconds                    time from Acquire to grant
//	ocean_lock_hold_seconds                    time from grant to the end of the lease
//	ocean_lock_held                            leases held by this process now
//	ocean_lock_extensions_total                watchdog extensions
//	ocean_lock_extension_failures_total        extension attempts that failed (retried)
//	ocean_lock_lost_total{reason}              leases that ended without Release: lost, expired, max_hold
//	ocean_lock_fenced_total                    writes rejected by a fencing token
type Metrics struct {
	acquisitions prometheus.Counter
	failures     *prometheus.CounterVec
	contended    prometheus.Counter
	wait         prometheus.Histogram
	hold         prometheus.Histogram
	held         prometheus.Gauge
	extensions   prometheus.Counter
	extFailures  prometheus.Counter
	lost         *prometheus.CounterVec
	fenced       prometheus.Counter
}

// NewMetrics creates the metrics and registers them on reg (nil: not
// registered). Registering twice on one registry reuses the collectors
// already there, so several Lockers in one process share the series.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	buckets := []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30}
	m := &Metrics{
		acquisitions: prometheus.NewCounter(prometheus.CounterOpts{Namespace: "ocean", Subsystem: "lock", Name: "acquisitions_total", Help: "Lock grants."}),
		failures:     prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: "ocean", Subsystem: "lock", Name: "acquire_failures_total", Help: "Acquire and TryLock calls that returned without a lease, by reason."}, []string{"reason"}),
		contended:    prometheus.NewCounter(prometheus.CounterOpts{Namespace: "ocean", Subsystem: "lock", Name: "contended_total", Help: "Acquisitions that found the key held and had to wait."}),
		wait:         prometheus.NewHistogram(prometheus.HistogramOpts{Namespace: "ocean", Subsystem: "lock", Name: "wait_seconds", Help: "Time from Acquire to grant.", Buckets: buckets}),
		hold:         prometheus.NewHistogram(prometheus.HistogramOpts{Namespace: "ocean", Subsystem: "lock", Name: "hold_seconds", Help: "Time from grant to the end of the lease.", Buckets: buckets}),
		held:         prometheus.NewGauge(prometheus.GaugeOpts{Namespace: "ocean", Subsystem: "lock", Name: "held", Help: "Leases held by this process now."}),
		extensions:   prometheus.NewCounter(prometheus.CounterOpts{Namespace: "ocean", Subsystem: "lock", Name: "extensions_total", Help: "Watchdog extensions."}),
		extFailures:  prometheus.NewCounter(prometheus.CounterOpts{Namespace: "ocean", Subsystem: "lock", Name: "extension_failures_total", Help: "Watchdog extension attempts that failed and were retried."}),
		lost:         prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: "ocean", Subsystem: "lock", Name: "lost_total", Help: "Leases that ended without Release, by reason."}, []string{"reason"}),
		fenced:       prometheus.NewCounter(prometheus.CounterOpts{Namespace: "ocean", Subsystem: "lock", Name: "fenced_total", Help: "Writes rejected by a fencing token."}),
	}
	if reg != nil {
		m.acquisitions = register(reg, m.acquisitions)
		m.failures = register(reg, m.failures)
		m.contended = register(reg, m.contended)
		m.wait = register(reg, m.wait)
		m.hold = register(reg, m.hold)
		m.held = register(reg, m.held)
		m.extensions = register(reg, m.extensions)
		m.extFailures = register(reg, m.extFailures)
		m.lost = register(reg, m.lost)
		m.fenced = register(reg, m.fenced)
	}
	for _, r := range []string{"busy", "timeout", "canceled", "unavailable"} {
		m.failures.WithLabelValues(r)
	}
	for _, r := range []string{"lost", "expired", "max_hold"} {
		m.lost.WithLabelValues(r)
	}
	return m
}

func register[C prometheus.Collector](reg prometheus.Registerer, c C) C {
	if err := reg.Register(c); err != nil {
		var are prometheus.AlreadyRegisteredError
		if errors.As(err, &are) {
			if existing, ok := are.ExistingCollector.(C); ok {
				return existing
			}
		}
		panic(err) // a programming error: a conflicting metric name
	}
	return c
}

// Fenced counts a write rejected by a fencing token and returns ErrFenced.
func (m *Metrics) Fenced() error {
	if m != nil {
		m.fenced.Inc()
	}
	return ErrFenced
}

func (m *Metrics) acquired(wait time.Duration) {
	if m == nil {
		return
	}
	m.acquisitions.Inc()
	m.wait.Observe(wait.Seconds())
}

func (m *Metrics) waited() {
	if m != nil {
		m.contended.Inc()
	}
}

func (m *Metrics) failed(reason string) {
	if m != nil {
		m.failures.WithLabelValues(reason).Inc()
	}
}

func (m *Metrics) holding(d float64) {
	if m != nil {
		m.held.Add(d)
	}
}

func (m *Metrics) extended() {
	if m != nil {
		m.extensions.Inc()
	}
}

func (m *Metrics) extendFailed() {
	if m != nil {
		m.extFailures.Inc()
	}
}

func (m *Metrics) ended(cause error, held time.Duration) {
	if m == nil {
		return
	}
	m.held.Dec()
	m.hold.Observe(held.Seconds())
	switch cause {
	case ErrLockLost:
		m.lost.WithLabelValues("lost").Inc()
	case ErrExpired:
		m.lost.WithLabelValues("expired").Inc()
	case ErrMaxHold:
		m.lost.WithLabelValues("max_hold").Inc()
	}
}
