package kpi

import (
	"sync"
	"time"
)

// Tally counts in memory what is written to the rollups in batches, at
// most one batch every so often: the storefront's visits, the funnel's
// carts, checkouts and payments (decision 0206). A count is added once
// what it counts has happened; Take hands the batch to its writer, and
// Return gives back a batch whose write failed, for the next one.
type Tally[K comparable] struct {
	mu      sync.Mutex
	pending map[K]int64
	taken   time.Time // when the last batch was taken (zero: never)
}

// Add counts n for k at now and reports whether a batch is due: every has
// passed since the last Take, or nothing was ever taken.
func (t *Tally[K]) Add(k K, n int64, now time.Time, every time.Duration) (due bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.pending == nil {
		t.pending = map[K]int64{}
	}
	t.pending[k] += n
	return now.Sub(t.taken) >= every
}

// Hold starts the clock at now if nothing was taken yet, so that the first
// batch too waits its turn.
func (t *Tally[K]) Hold(now time.Time) {
	t.mu.Lock()
	if t.taken.IsZero() {
		t.taken = now
	}
	t.mu.Unlock()
}

// Take returns the counts since the last Take and starts a new batch at now.
func (t *Tally[K]) Take(now time.Time) map[K]int64 {
	t.mu.Lock()
	defer t.mu.Unlock()
	p := t.pending
	t.pending, t.taken = map[K]int64{}, now
	return p
}

// Return adds back counts a writer could not write.
func (t *Tally[K]) Return(p map[K]int64) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.pending == nil {
		t.pending = map[K]int64{}
	}
	for k, n := range p {
		t.pending[k] += n
	}
}
