package server

import (
	"context"
	"sync/atomic"

	"github.com/oceanshop/ocean/internal/ocean"
)

// Check is a dependency /readyz pings: Name says which in the message
// clients see ("database unreachable"), Ping's error goes to the log.
type Check struct {
	Name string
	Ping func(context.Context) error
}

// Readiness is what /readyz reports: not ready once the instance drains
// (Options.Drain), or while a dependency does not answer.
type Readiness struct {
	draining atomic.Bool
	Checks   []Check
}

// Drain marks the instance as going away: Ready fails from now on, so load
// balancers stop sending it new requests.
func (r *Readiness) Drain() { r.draining.Store(true) }

// Draining reports whether Drain was called.
func (r *Readiness) Draining() bool { return r.draining.Load() }

// Ready is nil when the instance takes requests, else an EUNAVAILABLE
// error whose message is what clients see and whose cause goes to the log.
func (r *Readiness) Ready(ctx context.Context) error {
	if r.Draining() {
		return &ocean.Error{Code: ocean.EUNAVAILABLE, Message: "shutting down"}
	}
	for _, c := range r.Checks {
		if err := c.Ping(ctx); err != nil {
			return &ocean.Error{Code: ocean.EUNAVAILABLE, Message: c.Name + " unreachable", Err: err}
		}
	}
	return nil
}
