package cli_test

import (
	"testing"
	"time"
)

// TestCheckoutQueries counts the SQL behind one guest purchase (new cart,
// add a line, check out with the sandbox gateway) on both databases: the
// statements, and the write transactions, each of which on SQLite is a
// turn of the one writer every buyer of the shop queues for. The budgets
// are today's counts with the shop's rules (settings, methods, tax rate)
// not cached, as after a second without a purchase; a new statement or
// transaction on this path must be worth its place in that queue. Carts
// and checkouts share one read of the rules: the settings are read once
// however many carts are viewed in that second.
func TestCheckoutQueries(t *testing.T) {
	for _, db := range []string{"sqlite", "postgres"} {
		t.Run(db, func(t *testing.T) {
			s := newBuyShop(t, db == "postgres")
			v := s.product(t, 1000, 10000, "ZAR")
			// The dashboard's funnel counts wait in memory and are written
			// once a second by whichever write comes then (decision 0206):
			// not in these steps, which count what every purchase costs.
			s.app.DB.SetFunnelFlushEvery(time.Hour)
			count := func(step string, maxQueries, maxWrites int64, do func()) {
				t.Helper()
				q, w := s.app.DB.Queries(), s.app.DB.Writes()
				do()
				q, w = s.app.DB.Queries()-q, s.app.DB.Writes()-w
				t.Logf("%s: %d statements, %d write transactions", step, q, w)
				if q > maxQueries || w > maxWrites {
					t.Errorf("%s ran %d statements in %d write transactions; want at most %d in %d", step, q, w, maxQueries, maxWrites)
				}
			}
			for i := range 2 {
				var c cartOut
				count("new cart", 2, 1, func() { s.must(t, 201, "POST", "/api/v1/carts", "", nil, nil, &c) })
				// The cart and its lines in one read, the variants of every
				// line in one, then the touch of the cart and the line's
				// upsert (which checks the maximum and the stock itself);
				// priced from the reads (decision 0205; ten statements
				// before).
				count("add to cart", 4, 1, func() {
					s.must(t, 200, "POST", "/api/v1/carts/"+c.ID+"/items", "", nil, map[string]any{"variant_id": v, "quantity": 1}, nil)
				})
				// Reserve, the sandbox's authorization, the payment (with
				// its attempt), the sandbox's capture, the capture on the
				// order, the confirmation in the mailbox. On PostgreSQL
				// the order number is given inside COMMIT and the rollups
				// are one statement (decision 0240).
				most := int64(31)
				if db == "postgres" {
					most = 28
				}
				count("checkout", most, 6, func() {
					s.must(t, 201, "POST", "/api/v1/carts/"+c.ID+"/checkout", "", key("queries-"+db, i), checkoutBody("tok_visa"), nil)
				})
			}
		})
	}
}
