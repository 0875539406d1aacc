package checkout

import "time"

// ReconcileInterval is how often the reconciler (RunReconciler) looks for
// expired reservations and unsettled payments, given the reservation TTL:
// a quarter of it, so a reservation is released soon after it runs out,
// between 1 s and 30 s.
func ReconcileInterval(ttl time.Duration) time.Duration {
	return min(max(ttl/4, time.Second), 30*time.Second)
}
