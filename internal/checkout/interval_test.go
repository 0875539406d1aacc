package checkout

import (
	"testing"
	"time"
)

func TestReconcileInterval(t *testing.T) {
	for ttl, want := range map[time.Duration]time.Duration{
		time.Second:      time.Second, // never below a second
		20 * time.Second: 5 * time.Second,
		15 * time.Minute: 30 * time.Second, // never above half a minute
	} {
		if got := ReconcileInterval(ttl); got != want {
			t.Errorf("ReconcileInterval(%v) = %v, want %v", ttl, got, want)
		}
	}
}
