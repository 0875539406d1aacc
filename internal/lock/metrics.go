package lock

import (
	"sync/atomic"
	"time"
)

// Metrics counts what the lock framework does in this process, as plain
// numbers: Stats reads them. Create one per process with NewMetrics and
// pass it to every Locker with WithMetrics; an adapter outside this package
// (internal/metrics) exports them to Prometheus as
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
//
// A nil *Metrics is a valid no-op, so callers never check.
type Metrics struct {
	acquisitions, contended, extensions, extFailures, fenced atomic.Uint64
	held                                                     atomic.Int64
	failures                                                 [len(FailureReasons)]atomic.Uint64
	lost                                                     [len(LostReasons)]atomic.Uint64
	wait, hold                                               histogram
}

// FailureReasons are why an Acquire or TryLock returned without a lease.
var FailureReasons = [...]string{"busy", "canceled", "timeout", "unavailable"}

// LostReasons are why a lease ended without Release.
var LostReasons = [...]string{"expired", "lost", "max_hold"}

// Buckets are the upper bounds, in seconds, of the wait and hold time
// histograms.
var Buckets = []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30}

// NewMetrics returns zeroed counters.
func NewMetrics() *Metrics {
	m := &Metrics{}
	m.wait.counts = make([]atomic.Uint64, len(Buckets)+1)
	m.hold.counts = make([]atomic.Uint64, len(Buckets)+1)
	return m
}

// Stats are the counters of a Metrics at one moment.
type Stats struct {
	Acquisitions      uint64
	Failures          map[string]uint64 // by reason (FailureReasons), every reason present
	Contended         uint64
	Wait, Hold        Histogram
	Held              int64 // leases held now
	Extensions        uint64
	ExtensionFailures uint64
	Lost              map[string]uint64 // by reason (LostReasons), every reason present
	Fenced            uint64
}

// Histogram is a distribution of durations in Buckets.
type Histogram struct {
	Count   uint64
	Sum     time.Duration
	Buckets []uint64 // cumulative: Buckets[i] observations ≤ lock.Buckets[i] seconds
}

// Mean is the mean observation, 0 without any.
func (h Histogram) Mean() time.Duration {
	if h.Count == 0 {
		return 0
	}
	return h.Sum / time.Duration(h.Count) //nolint:gosec // a count of observations in this process is far below 2^63
}

// Stats reads the counters; a nil Metrics has all zero.
func (m *Metrics) Stats() Stats {
	s := Stats{Failures: map[string]uint64{}, Lost: map[string]uint64{}}
	for _, r := range FailureReasons {
		s.Failures[r] = 0
	}
	for _, r := range LostReasons {
		s.Lost[r] = 0
	}
	if m == nil {
		s.Wait.Buckets = make([]uint64, len(Buckets))
		s.Hold.Buckets = make([]uint64, len(Buckets))
		return s
	}
	s.Acquisitions = m.acquisitions.Load()
	s.Contended = m.contended.Load()
	s.Extensions = m.extensions.Load()
	s.ExtensionFailures = m.extFailures.Load()
	s.Fenced = m.fenced.Load()
	s.Held = m.held.Load()
	for i, r := range FailureReasons {
		s.Failures[r] = m.failures[i].Load()
	}
	for i, r := range LostReasons {
		s.Lost[r] = m.lost[i].Load()
	}
	s.Wait, s.Hold = m.wait.read(), m.hold.read()
	return s
}

// histogram counts observations per bucket (the last one is +Inf).
type histogram struct {
	counts []atomic.Uint64
	sum    atomic.Int64 // nanoseconds
}

func (h *histogram) observe(d time.Duration) {
	secs := d.Seconds()
	i := 0
	for i < len(Buckets) && secs > Buckets[i] {
		i++
	}
	h.sum.Add(int64(d))
	h.counts[i].Add(1)
}

func (h *histogram) read() Histogram {
	out := Histogram{Sum: time.Duration(h.sum.Load()), Buckets: make([]uint64, len(Buckets))}
	for i := range h.counts {
		out.Count += h.counts[i].Load()
		if i < len(Buckets) {
			out.Buckets[i] = out.Count
		}
	}
	return out
}

func reasonIndex(reasons []string, r string) int {
	for i, x := range reasons {
		if x == r {
			return i
		}
	}
	panic("lock: unknown metrics reason " + r) // a programming error
}

// Fenced counts a write rejected by a fencing token and returns ErrFenced.
func (m *Metrics) Fenced() error {
	if m != nil {
		m.fenced.Add(1)
	}
	return ErrFenced
}

func (m *Metrics) acquired(wait time.Duration) {
	if m == nil {
		return
	}
	m.acquisitions.Add(1)
	m.wait.observe(wait)
}

func (m *Metrics) waited() {
	if m != nil {
		m.contended.Add(1)
	}
}

func (m *Metrics) failed(reason string) {
	if m != nil {
		m.failures[reasonIndex(FailureReasons[:], reason)].Add(1)
	}
}

func (m *Metrics) holding(d int64) {
	if m != nil {
		m.held.Add(d)
	}
}

func (m *Metrics) extended() {
	if m != nil {
		m.extensions.Add(1)
	}
}

func (m *Metrics) extendFailed() {
	if m != nil {
		m.extFailures.Add(1)
	}
}

func (m *Metrics) ended(cause error, held time.Duration) {
	if m == nil {
		return
	}
	m.held.Add(-1)
	m.hold.observe(held)
	switch cause {
	case ErrLockLost: //nolint:errorlint // Lease.end passes the sentinels themselves, never wrapped
		m.lost[1].Add(1)
	case ErrExpired:
		m.lost[0].Add(1)
	case ErrMaxHold:
		m.lost[2].Add(1)
	}
}
