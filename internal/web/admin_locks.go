package web

import (
	"context"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/oceanshop/ocean/internal/lock"
)

// LockLister lists the locks held now (lock.Locker does).
type LockLister interface {
	Held(ctx context.Context) ([]lock.Info, error)
}

// locksView is what the lock dashboard reads: the locker, for the locks
// held now, and the lock framework's counters (lock.Metrics.Stats).
type locksView struct {
	locker   LockLister
	stats    func() lock.Stats // nil: all zero
	instance string
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
	var st lock.Stats
	if w.locks.stats != nil {
		st = w.locks.stats()
	}
	d.Stats = lockStatsView(st)
	d.layout = w.pageLayout(rw, r, "Locks")
	w.renderPrivate(rw, r, http.StatusOK, "admin_locks", d)
}

// lockStatsView is what the dashboard shows of the counters.
func lockStatsView(st lock.Stats) lockStats {
	s := lockStats{Acquisitions: st.Acquisitions, Contended: st.Contended, Extensions: st.Extensions,
		ExtensionFailures: st.ExtensionFailures, Fenced: st.Fenced, HeldHere: uint64(max(st.Held, 0)),
		WaitMean: meanText(st.Wait), HoldMean: meanText(st.Hold), Leases: int(st.Hold.Count)} //nolint:gosec // a count of leases in this process fits an int
	s.Failures, s.FailuresTotal = byReason(st.Failures)
	s.Lost, s.LostTotal = byReason(st.Lost)
	if s.Acquisitions > 0 {
		s.ContendedShare = percent(s.Contended, s.Acquisitions)
	}
	return s
}

// byReason lists counts by reason, alphabetically, and their total.
func byReason(counts map[string]uint64) ([]lockCount, uint64) {
	var out []lockCount
	var total uint64
	for _, r := range slices.Sorted(maps.Keys(counts)) {
		out = append(out, lockCount{Label: strings.ReplaceAll(r, "_", " "), Value: counts[r]})
		total += counts[r]
	}
	return out, total
}

// meanText is a duration histogram's mean, "" without observations.
func meanText(h lock.Histogram) string {
	if h.Count == 0 {
		return ""
	}
	return shortDuration(h.Mean())
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
