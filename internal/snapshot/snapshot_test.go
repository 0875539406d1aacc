package snapshot

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// source is a value behind a generation counter, as the shop's settings
// are behind checkout's SettingsGeneration.
type source struct {
	mu    sync.Mutex
	value string
	fail  error
	reads atomic.Int64
	gen   atomic.Uint64
}

func (s *source) read(context.Context) (string, error) {
	s.reads.Add(1)
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.value, s.fail
}

func (s *source) set(v string, fail error) {
	s.mu.Lock()
	s.value, s.fail = v, fail
	s.mu.Unlock()
}

type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

func newCache(src *source, clk *clock) *Cache[string] {
	return &Cache[string]{Read: src.read, TTL: time.Second, Gen: src.gen.Load,
		Equal: func(a, b string) bool { return a == b }, Now: clk.now}
}

func get(t *testing.T, c *Cache[string]) *Snapshot[string] {
	t.Helper()
	s, err := c.Get(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestReadOnceUntilWriteOrTTL(t *testing.T) {
	src, clk := &source{value: "ZAR"}, &clock{t: time.Unix(1000, 0)}
	c := newCache(src, clk)
	first := get(t, c)
	for range 10 {
		if s := get(t, c); s != first {
			t.Fatal("a second Get within the TTL gave another snapshot")
		}
	}
	if n := src.reads.Load(); n != 1 {
		t.Fatalf("%d reads within the TTL, want 1", n)
	}

	// A write on this instance shows at once.
	src.set("EUR", nil)
	src.gen.Add(1)
	s := get(t, c)
	if s.Value != "EUR" || s == first {
		t.Fatalf("after a write: %q (same snapshot %v), want EUR in a new one", s.Value, s == first)
	}

	// Another instance's write shows once the TTL has passed; an unchanged
	// value keeps its snapshot (readers keep what they built from it).
	clk.t = clk.t.Add(2 * time.Second)
	if again := get(t, c); again != s {
		t.Fatal("a reread of the same value gave a new snapshot")
	}
	src.set("USD", nil)
	if got := get(t, c).Value; got != "EUR" {
		t.Fatalf("within the TTL after the reread: %q, want the EUR read a moment ago", got)
	}
	clk.t = clk.t.Add(2 * time.Second)
	if got := get(t, c).Value; got != "USD" {
		t.Fatalf("after the TTL: %q, want USD", got)
	}
}

func TestFailedReads(t *testing.T) {
	src, clk := &source{fail: errors.New("database down")}, &clock{t: time.Unix(1000, 0)}
	c := newCache(src, clk)
	if _, err := c.Get(context.Background()); err == nil {
		t.Fatal("no snapshot and a failed read: no error")
	}
	src.set("ZAR", nil)
	first := get(t, c)
	// The TTL ran out and the reread fails: the last value is still the
	// best answer.
	src.set("", errors.New("database down"))
	clk.t = clk.t.Add(2 * time.Second)
	if s := get(t, c); s != first {
		t.Fatal("a failed reread after the TTL lost the snapshot")
	}
	// After a write here the old value is known to be stale: an error.
	src.gen.Add(1)
	if _, err := c.Get(context.Background()); err == nil {
		t.Fatal("a failed read after a write answered with the value from before it")
	}
	src.set("EUR", nil)
	if got := get(t, c).Value; got != "EUR" {
		t.Fatalf("got %q, want EUR", got)
	}
	c.Forget()
	if s := get(t, c); s.Value != "EUR" || src.reads.Load() != 6 {
		t.Fatalf("after Forget: %q after %d reads, want EUR read again (6)", s.Value, src.reads.Load())
	}
}

func TestManyReadersOneRead(t *testing.T) {
	src := &source{value: "ZAR"}
	c := &Cache[string]{Read: src.read, TTL: time.Hour, Gen: src.gen.Load}
	get(t, c)
	src.gen.Add(1)
	src.set("EUR", nil)
	var wg sync.WaitGroup
	for range 32 {
		wg.Go(func() {
			s, err := c.Get(context.Background())
			if err != nil || s.Value != "EUR" {
				t.Errorf("got %v, %v; want EUR", s, err)
			}
		})
	}
	wg.Wait()
	if n := src.reads.Load(); n != 2 {
		t.Fatalf("%d reads for 32 readers after one write, want 2 (the first and one after the write)", n)
	}
}
