package httpx

import (
	"sync"
	"time"
)

// LogLimiter lets at most max events through per period, in fixed windows:
// for keeping log volume bounded when a client, an attacker or a broken
// dependency repeats the same failure, where exactness does not matter.
// Its zero value lets nothing through; it is safe for concurrent use.
type LogLimiter struct {
	mu    sync.Mutex
	per   time.Duration
	max   int
	start time.Time
	n     int
}

// NewLogLimiter allows max events per period.
func NewLogLimiter(per time.Duration, max int) *LogLimiter {
	return &LogLimiter{per: per, max: max}
}

// Allow reports whether an event at now may be logged, and counts it.
func (l *LogLimiter) Allow(now time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if now.Sub(l.start) >= l.per {
		l.start, l.n = now, 0
	}
	if l.n >= l.max {
		return false
	}
	l.n++
	return true
}
