package observe

import (
	"sync"
	"time"
)

// LogLimiter lets at most max events through per period, in fixed windows:
// for keeping log volume bounded when a client, an attacker or a broken
// dependency repeats the same failure (a TLS handshake a browser retries, a
// Redis read that timed out, a request turned away), where exactness does
// not matter. It counts what it holds back, so a line can say how many
// went unlogged (Note). Its zero value lets nothing through; it is safe
// for concurrent use.
type LogLimiter struct {
	mu     sync.Mutex
	per    time.Duration
	max    int
	start  time.Time
	n      int
	unsaid int // events held back since the last one let through
}

// NewLogLimiter allows max events per period.
func NewLogLimiter(per time.Duration, max int) *LogLimiter {
	return &LogLimiter{per: per, max: max}
}

// Allow reports whether an event at now may be logged, and counts it.
func (l *LogLimiter) Allow(now time.Time) bool {
	ok, _ := l.Note(now)
	return ok
}

// Note is Allow that also says, when the event may be logged, how many
// were held back since the last one that was.
func (l *LogLimiter) Note(now time.Time) (ok bool, unsaid int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if now.Sub(l.start) >= l.per {
		l.start, l.n = now, 0
	}
	if l.n >= l.max {
		l.unsaid++
		return false, 0
	}
	l.n++
	unsaid, l.unsaid = l.unsaid, 0
	return true, unsaid
}
