package cli_test

import (
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/oceanshop/ocean/internal/redis/redistest"
)

// BenchmarkCheckout measures whole guest checkouts through the real handler
// (create cart, add a line, check out with the sandbox gateway: reserve,
// authorize, mark paid, capture), many at once, on both databases:
//
//	uncontended: each buyer picks one of 200 variants in turn
//	hot:         every buyer buys the same variant
//
// "postgres+redis" is one instance of a fleet: Redis locks (cart, variant,
// order), the two-tier cache and shared keys.
//
// It reports orders/s. Run: make bench, or
// go test -run '^$' -bench BenchmarkCheckout ./internal/cli
func BenchmarkCheckout(b *testing.B) {
	for _, db := range []string{"sqlite", "postgres", "postgres+redis"} {
		for _, mode := range []string{"uncontended", "hot"} {
			b.Run(db+"/"+mode, func(b *testing.B) {
				var extra map[string]string
				if db == "postgres+redis" {
					keys := fleetKeysTB(b)
					extra = map[string]string{"OCEAN_REDIS_URL": redistest.URL(b), "OCEAN_ENCRYPTION_KEY": keys["OCEAN_ENCRYPTION_KEY"], "OCEAN_TOKEN_KEYS": keys["OCEAN_TOKEN_KEYS"]}
				}
				s := newBuyShopEnv(b, db != "sqlite", extra)
				variants := make([]string, 200)
				for i := range variants {
					if mode == "hot" && i > 0 {
						variants[i] = variants[0]
						continue
					}
					variants[i] = s.product(b, 1_000_000, 10000, "ZAR")
				}
				var n, failed atomic.Int64
				b.SetParallelism(8) // 16 buyers in flight on 2 cores
				b.ResetTimer()
				start := time.Now()
				b.RunParallel(func(pb *testing.PB) {
					for pb.Next() {
						i := n.Add(1)
						id := s.cartWith(b, variants[int(i)%len(variants)], 1)
						if st, body := s.do(b, "POST", "/api/v1/carts/"+id+"/checkout", "", key("bench-"+db+mode, int(i)), checkoutBody("tok_visa")); st != 201 {
							failed.Add(1)
							b.Errorf("checkout: %d %s", st, body)
						}
					}
				})
				el := time.Since(start)
				b.ReportMetric(float64(n.Load()-failed.Load())/el.Seconds(), "orders/s")
				if failed.Load() > 0 {
					b.Fatal(fmt.Sprint(failed.Load(), " checkouts failed"))
				}
			})
		}
	}
}
