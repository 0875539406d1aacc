package web

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/oceanshop/ocean/internal/lock"
)

// LockLister lists the locks held now (lock.Locker does).
type LockLister interface {
	Held(ctx context.Context) ([]lock.Info, error)
}

// locksView is what the lock dashboard reads: the locker, for the locks
// held now, and the metrics registry, for the lock framework's counters
// (read with Gather: the counts are kept once, by lock.Metrics).
type locksView struct {
	locker   LockLister
	metrics  prometheus.Gatherer
	instance string
}

// SetLocks turns on the admin's lock dashboard (/admin/locks): locks held
// now from locker (every instance's, with Redis), and this instance's lock
// counters from metrics. instance is this process's holder name, so its
// own locks can be told apart.
func (w *Web) SetLocks(locker LockLister, metrics prometheus.Gatherer, instance string) {
	if locker == nil {
		w.locks = nil
		return
	}
	w.locks = &locksView{locker: locker, metrics: metrics, instance: instance}
}

// adminLocksShown bounds the held-locks table: Held lists every lock, and a
// busy shop may hold many cart locks at once.
const adminLocksShown = 500

type heldLock struct {
	lock.Info
	Mine     bool   // held by this instance
	Age, TTL string // shown
}

// lockCount is one labelled count of the dashboard.
type lockCount struct {
	Label string
	Value uint64
}

// lockStats are this instance's lock counters since it started.
type lockStats struct {
	Acquisitions, Contended       uint64
	Failures                      []lockCount // by reason
	FailuresTotal                 uint64
	Extensions, ExtensionFailures uint64
	Lost                          []lockCount // by reason
	LostTotal                     uint64
	Fenced                        uint64
	HeldHere                      uint64 // leases this process holds
	WaitMean, HoldMean            string // "" without observations
	Leases                        int    // ended leases behind HoldMean
	ContendedShare                string // "12.5%" of acquisitions, "" without any
	ReadError                     bool
}

type adminLocksData struct {
	layout
	Instance string
	Locks    []heldLock
	More     int    // held locks not shown
	HeldErr  string // why the held locks could not be listed
	Stats    lockStats
	Now      time.Time
}

func (w *Web) adminLocks(rw http.ResponseWriter, r *http.Request) {
	if w.requireAdmin(rw, r) == nil {
		return
	}
	d := adminLocksData{Instance: w.locks.instance, Now: time.Now().UTC()}
	held, err := w.locks.locker.Held(r.Context())
	if err != nil {
		// The counters are still worth showing while Redis is away.
		w.log.WarnContext(r.Context(), "lock dashboard: listing held locks failed", "err", err)
		d.HeldErr = "The held locks could not be listed: the lock service did not answer. The counts below are this instance’s own."
	}
	if len(held) > adminLocksShown {
		d.More = len(held) - adminLocksShown
		held = held[:adminLocksShown]
	}
	for _, in := range held {
		d.Locks = append(d.Locks, heldLock{Info: in, Mine: in.Holder == w.locks.instance, Age: shortDuration(in.Age), TTL: shortDuration(in.TTL)})
	}
	d.Stats = readLockStats(w.locks.metrics)
	if d.Stats.ReadError {
		w.log.WarnContext(r.Context(), "lock dashboard: reading the lock metrics failed")
	}
	d.layout = w.pageLayout(rw, r, "Locks")
	w.renderPrivate(rw, r, http.StatusOK, "admin_locks", d)
}

// readLockStats reads the ocean_lock_* families from the registry.
func readLockStats(g prometheus.Gatherer) lockStats {
	var s lockStats
	if g == nil {
		return s
	}
	mfs, err := g.Gather()
	if err != nil {
		// Gather returns what it could gather along with the error.
		s.ReadError = true
	}
	for _, mf := range mfs {
		name, ok := strings.CutPrefix(mf.GetName(), "ocean_lock_")
		if !ok {
			continue
		}
		for _, m := range mf.GetMetric() {
			v := uint64(m.GetCounter().GetValue())
			switch name {
			case "acquisitions_total":
				s.Acquisitions = v
			case "contended_total":
				s.Contended = v
			case "extensions_total":
				s.Extensions = v
			case "extension_failures_total":
				s.ExtensionFailures = v
			case "fenced_total":
				s.Fenced = v
			case "held":
				s.HeldHere = uint64(max(m.GetGauge().GetValue(), 0))
			case "acquire_failures_total":
				s.Failures = append(s.Failures, lockCount{Label: label(m, "reason"), Value: v})
				s.FailuresTotal += v
			case "lost_total":
				s.Lost = append(s.Lost, lockCount{Label: label(m, "reason"), Value: v})
				s.LostTotal += v
			case "wait_seconds":
				_, s.WaitMean = mean(m.GetHistogram())
			case "hold_seconds":
				var n uint64
				n, s.HoldMean = mean(m.GetHistogram())
				s.Leases = int(n)
			}
		}
	}
	if s.Acquisitions > 0 {
		s.ContendedShare = percent(s.Contended, s.Acquisitions)
	}
	return s
}

func label(m *dto.Metric, name string) string {
	for _, l := range m.GetLabel() {
		if l.GetName() == name {
			return strings.ReplaceAll(l.GetValue(), "_", " ")
		}
	}
	return ""
}

// mean is a duration histogram's observation count and mean.
func mean(h *dto.Histogram) (uint64, string) {
	n := h.GetSampleCount()
	if n == 0 {
		return 0, ""
	}
	return n, shortDuration(time.Duration(h.GetSampleSum() / float64(n) * float64(time.Second)))
}

// percent formats part/whole with one decimal.
func percent(part, whole uint64) string {
	return strconv.FormatFloat(float64(part)*100/float64(whole), 'f', 1, 64) + "%"
}

// shortDuration shows a lock age or TTL: milliseconds below a second,
// tenths of a second below a minute, whole seconds above.
func shortDuration(d time.Duration) string {
	switch {
	case d <= 0:
		return "0s"
	case d < time.Millisecond:
		return d.Round(time.Microsecond).String()
	case d < time.Second:
		return d.Round(time.Millisecond).String()
	case d < time.Minute:
		return d.Round(100 * time.Millisecond).String()
	default:
		return d.Round(time.Second).String()
	}
}
