package loadgen

import (
	"math/bits"
	"sync/atomic"
	"time"
)

// hist is a lock-free latency histogram: microseconds in log-linear
// buckets (32 per octave above 64 µs, so a quantile is within about 3% of
// the true value), plus the exact maximum. A run of millions of requests
// keeps a few kilobytes per step instead of every sample.
type hist struct {
	counts [histBuckets]atomic.Int64
	n      atomic.Int64
	max    atomic.Int64 // nanoseconds
}

const histBuckets = 64 + 40*32

func bucketOf(us int64) int {
	if us < 64 {
		return int(max(us, 0))
	}
	e := bits.Len64(uint64(us)) - 6 // us >> e is in [32, 64)
	i := 64 + (e-1)*32 + int(us>>e) - 32
	return min(i, histBuckets-1)
}

// upper is the largest value (µs) bucket i holds.
func upper(i int) int64 {
	if i < 64 {
		return int64(i)
	}
	e := (i-64)/32 + 1
	m := int64((i-64)%32 + 32)
	return (m+1)<<e - 1
}

func (h *hist) add(d time.Duration) {
	h.counts[bucketOf(d.Microseconds())].Add(1)
	h.n.Add(1)
	for {
		m := h.max.Load()
		if int64(d) <= m || h.max.CompareAndSwap(m, int64(d)) {
			return
		}
	}
}

// quantile returns the latency q (0..1) of the samples are at or below.
func (h *hist) quantile(q float64) time.Duration {
	n := h.n.Load()
	if n == 0 {
		return 0
	}
	rank := int64(q*float64(n) + 0.5)
	rank = max(rank, 1)
	var seen int64
	for i := range h.counts {
		seen += h.counts[i].Load()
		if seen >= rank {
			d := time.Duration(upper(i)) * time.Microsecond
			return min(d, time.Duration(h.max.Load()))
		}
	}
	return time.Duration(h.max.Load())
}
