package locktest

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/oceanshop/ocean/internal/lock"
)

// Bench measures acquire+release: Uncontended (one goroutine, one key) and
// Contended (GOMAXPROCS×4 goroutines, one key). Besides ns/op it reports
// the p50 and p99 latency of Acquire.
func Bench(b *testing.B, l lock.Locker) {
	b.Run("Uncontended", func(b *testing.B) {
		ctx := context.Background()
		var lat []time.Duration
		for b.Loop() {
			start := time.Now()
			lease, err := l.Acquire(ctx, "bench-uncontended")
			if err != nil {
				b.Fatal(err)
			}
			lat = append(lat, time.Since(start))
			if err := lease.Release(); err != nil {
				b.Fatal(err)
			}
		}
		report(b, lat)
	})
	b.Run("Contended", func(b *testing.B) {
		var (
			mu  sync.Mutex
			lat []time.Duration
		)
		b.SetParallelism(4)
		b.RunParallel(func(pb *testing.PB) {
			ctx := context.Background()
			var mine []time.Duration
			for pb.Next() {
				start := time.Now()
				lease, err := l.Acquire(ctx, "bench-contended")
				if err != nil {
					b.Error(err)
					return
				}
				mine = append(mine, time.Since(start))
				lease.Release()
			}
			mu.Lock()
			lat = append(lat, mine...)
			mu.Unlock()
		})
		report(b, lat)
	})
}

func report(b *testing.B, lat []time.Duration) {
	if len(lat) == 0 {
		return
	}
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Nanoseconds())/1e3, "p50-µs")
	b.ReportMetric(float64(lat[len(lat)*99/100].Nanoseconds())/1e3, "p99-µs")
}
