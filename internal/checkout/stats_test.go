package checkout_test

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/oceanshop/ocean/internal/checkout"
)

// TestStatsAndSpan: what the business counters and the checkout span see
// of a declined attempt, its replay and a paid retry.
func TestStatsAndSpan(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var spans []string
	e := newEnv(t, func(c *checkout.Config) {
		c.Span = func(ctx context.Context, name string, _ ...string) (context.Context, func(error)) {
			return ctx, func(err error) {
				mu.Lock()
				defer mu.Unlock()
				outcome := "ok"
				if err != nil {
					outcome = "failed"
				}
				spans = append(spans, name+" "+outcome)
			}
		}
	})
	if s := e.svc.Stats(); s.Started != 0 || s.Completed != 0 || len(s.Placed) != 0 {
		t.Fatalf("new service stats %+v", s)
	}
	cartID := e.newCart(0, e.tee, 2)
	declined := e.request(cartID, 0, "tok_chargeDeclined")
	var d *checkout.DeclineError
	if _, err := e.svc.Checkout(e.ctx, declined); !errors.As(err, &d) {
		t.Fatal(err)
	}
	if _, err := e.svc.Checkout(e.ctx, declined); !errors.As(err, &d) { // replay: not a new attempt
		t.Fatal(err)
	}
	o, err := e.svc.Checkout(e.ctx, e.request(cartID, 0, "tok_visa"))
	if err != nil {
		t.Fatal(err)
	}
	s := e.svc.Stats()
	if s.Started != 2 || s.Completed != 1 {
		t.Errorf("started %d, completed %d; want 2 and 1", s.Started, s.Completed)
	}
	if p := s.Placed["ZAR"]; len(s.Placed) != 1 || p.Orders != 1 || p.Revenue != o.Totals.Total.Amount {
		t.Errorf("placed %+v, want one order of %d ZAR", s.Placed, o.Totals.Total.Amount)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(spans) != 3 || spans[0] != "checkout failed" || spans[1] != "checkout failed" || spans[2] != "checkout ok" {
		t.Errorf("spans %q", spans)
	}
}
