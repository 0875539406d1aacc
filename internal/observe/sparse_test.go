package observe

import (
	"testing"
	"time"
)

func TestSparse(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	s := &Sparse{Every: time.Minute, Now: func() time.Time { return now }}
	if log, n := s.Note(); !log || n != 0 {
		t.Fatalf("first occurrence: log %v, %d unsaid; want logged, 0", log, n)
	}
	for range 99 {
		now = now.Add(100 * time.Millisecond)
		if log, _ := s.Note(); log {
			t.Fatal("an occurrence within the minute was logged")
		}
	}
	now = now.Add(time.Minute)
	if log, n := s.Note(); !log || n != 99 {
		t.Errorf("a minute later: log %v, %d unsaid; want logged, 99", log, n)
	}
	if log, n := (&Sparse{}).Note(); !log || n != 0 {
		t.Errorf("zero value: log %v, %d; want every occurrence logged", log, n)
	}
}
