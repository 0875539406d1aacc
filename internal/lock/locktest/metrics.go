package locktest

import (
	"testing"

	"github.com/oceanshop/ocean/internal/lock"
)

// Metric returns the value of the counter that Prometheus exports as name
// ("ocean_lock_extensions_total", …) from m's Stats; labels narrows the
// by-reason counters ("reason", "lost"). Histograms give their count.
func Metric(t testing.TB, m *lock.Metrics, name string, labels ...string) float64 {
	t.Helper()
	s := m.Stats()
	byReason := func(counts map[string]uint64) float64 {
		if len(labels) == 2 && labels[0] == "reason" {
			return float64(counts[labels[1]])
		}
		var sum uint64
		for _, n := range counts {
			sum += n
		}
		return float64(sum)
	}
	switch name {
	case "ocean_lock_acquisitions_total":
		return float64(s.Acquisitions)
	case "ocean_lock_acquire_failures_total":
		return byReason(s.Failures)
	case "ocean_lock_contended_total":
		return float64(s.Contended)
	case "ocean_lock_wait_seconds":
		return float64(s.Wait.Count)
	case "ocean_lock_hold_seconds":
		return float64(s.Hold.Count)
	case "ocean_lock_held":
		return float64(s.Held)
	case "ocean_lock_extensions_total":
		return float64(s.Extensions)
	case "ocean_lock_extension_failures_total":
		return float64(s.ExtensionFailures)
	case "ocean_lock_lost_total":
		return byReason(s.Lost)
	case "ocean_lock_fenced_total":
		return float64(s.Fenced)
	}
	t.Fatalf("locktest.Metric: no lock metric %q", name)
	return 0
}
