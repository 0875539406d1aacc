package observe

import (
	"testing"
	"time"
)

// TestLogLimiter: at most max lines per period, then again after it.
func TestLogLimiter(t *testing.T) {
	l := NewLogLimiter(time.Minute, 3)
	now := time.Unix(1000, 0)
	n := 0
	for range 10 {
		if l.Allow(now) {
			n++
		}
	}
	if n != 3 {
		t.Fatalf("%d lines in one minute, want 3", n)
	}
	if !l.Allow(now.Add(time.Minute)) {
		t.Fatal("no line after the minute")
	}
}

// TestLogLimiterNote: one line a minute, the next saying how many were
// held back.
func TestLogLimiterNote(t *testing.T) {
	l := NewLogLimiter(time.Minute, 1)
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	if ok, n := l.Note(now); !ok || n != 0 {
		t.Fatalf("first: %v, %d unsaid; want logged, 0", ok, n)
	}
	for range 99 {
		now = now.Add(100 * time.Millisecond)
		if ok, _ := l.Note(now); ok {
			t.Fatal("an event within the minute was let through")
		}
	}
	now = now.Add(time.Minute)
	if ok, n := l.Note(now); !ok || n != 99 {
		t.Errorf("a minute later: %v, %d unsaid; want logged, 99", ok, n)
	}
}
