package checkout

import (
	"maps"
	"sync"
	"sync/atomic"

	"github.com/oceanshop/ocean/internal/ocean"
)

// Stats are the checkout's counts since the process started, as plain data
// (internal/metrics exports them; this package imports no metrics library).
type Stats struct {
	// Started counts checkout attempts that passed validation and went on
	// to reserve stock; a retry with the same idempotency key is not one.
	Started uint64
	// Completed counts checkouts that ended in a paid order (including
	// those the reconciler finished after a crash).
	Completed uint64
	// Placed is the paid orders and their totals, by currency.
	Placed map[string]Placed
}

// Placed is the orders paid in one currency.
type Placed struct {
	Orders  uint64
	Revenue int64 // minor units
}

type counters struct {
	started, completed atomic.Uint64
	mu                 sync.Mutex
	placed             map[string]Placed
}

func (c *counters) paid(total ocean.Money) {
	c.completed.Add(1)
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.placed == nil {
		c.placed = map[string]Placed{}
	}
	p := c.placed[total.Currency]
	p.Orders++
	p.Revenue += total.Amount
	c.placed[total.Currency] = p
}

// Stats returns the counts so far.
func (s *Service) Stats() Stats {
	s.stats.mu.Lock()
	placed := maps.Clone(s.stats.placed)
	s.stats.mu.Unlock()
	if placed == nil {
		placed = map[string]Placed{}
	}
	return Stats{Started: s.stats.started.Load(), Completed: s.stats.completed.Load(), Placed: placed}
}
