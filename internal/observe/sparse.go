package observe

import (
	"sync"
	"time"
)

// Sparse thins a warning that can recur many times a second (a TLS
// handshake a browser retries, a Redis read that timed out, a request
// turned away) to a line per period: the first occurrence is logged, the
// ones within Every after it only counted, and the next line says how many
// there were. The zero value logs every occurrence.
type Sparse struct {
	Every time.Duration
	Now   func() time.Time // default time.Now; tests move it

	mu     sync.Mutex
	last   time.Time // when a line was last logged
	unsaid int       // occurrences since, not logged
}

// Note counts an occurrence and reports whether to log it, with how many
// occurred since the last line without one.
func (s *Sparse) Note() (log bool, unsaid int) {
	now := time.Now
	if s.Now != nil {
		now = s.Now
	}
	t := now()
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.last.IsZero() && t.Sub(s.last) < s.Every {
		s.unsaid++
		return false, 0
	}
	unsaid = s.unsaid
	s.last, s.unsaid = t, 0
	return true, unsaid
}
