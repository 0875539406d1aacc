package lock_test

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"

	"github.com/oceanshop/ocean/internal/lock"
	"github.com/oceanshop/ocean/internal/lock/local"
)

type spanKey struct{}

// TestTrace: acquire and release are spans under the caller's, with the
// key; a busy TryLock is a failed acquire; the release is not a child of
// the acquire.
func TestTrace(t *testing.T) {
	var mu sync.Mutex
	var spans []string
	trace := func(ctx context.Context, name string, attrs ...string) (context.Context, func(error)) {
		parent, _ := ctx.Value(spanKey{}).(string)
		return context.WithValue(ctx, spanKey{}, name), func(err error) {
			mu.Lock()
			defer mu.Unlock()
			s := parent + " > " + name + " " + attrs[0] + "=" + attrs[1]
			if err != nil {
				s += " failed"
			}
			spans = append(spans, s)
		}
	}
	l := lock.New(local.NewBackend(), lock.WithTrace(trace))
	ctx := context.WithValue(context.Background(), spanKey{}, "checkout")
	lease, err := l.Acquire(ctx, "cart:1")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := l.TryLock(ctx, "cart:1"); !errors.Is(err, lock.ErrNotAcquired) {
		t.Fatal(err)
	}
	if err := lease.Release(); err != nil {
		t.Fatal(err)
	}
	_ = lease.Release() // released once, traced once
	mu.Lock()
	defer mu.Unlock()
	want := []string{"checkout > lock.acquire lock.key=cart:1", "checkout > lock.acquire lock.key=cart:1 failed", "checkout > lock.release lock.key=cart:1"}
	if !slices.Equal(spans, want) {
		t.Errorf("spans\n%q\nwant\n%q", spans, want)
	}
}
