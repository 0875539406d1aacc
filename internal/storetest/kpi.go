package storetest

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/oceanshop/ocean/internal/checkout"
	"github.com/oceanshop/ocean/internal/kpi"
	"github.com/oceanshop/ocean/internal/migrate"
	"github.com/oceanshop/ocean/internal/ocean"
	"github.com/oceanshop/ocean/internal/order"
)

// KPIDB is a fresh, migrated database for the dashboard's rollups: the
// commerce stores that keep them, the store that reads them, and the
// database's migrations, so the suite can rebuild the rollups from the
// orders the way an upgrade does (the rollup migration down and up again).
type KPIDB struct {
	CommerceDB
	KPI        kpi.Store
	Target     migrate.Target
	Migrations []migrate.Migration
}

// kpiVersion is the migration that creates and backfills the rollups.
const kpiVersion = 8

// KPI runs the contract of the dashboard's rollups: after any mix of
// checkouts, payments, declines, refunds and cancellations they equal a
// full recomputation from the orders, and visits add up.
func KPI(t *testing.T, open func(t *testing.T) KPIDB) {
	fx := func(t *testing.T) (*shop, KPIDB) {
		t.Parallel()
		db := open(t)
		return newShop(t, db.CommerceDB), db
	}
	t.Run("rollups equal a recomputation from the orders", func(t *testing.T) { f, db := fx(t); testRollupsRecompute(t, f, db) })
	t.Run("visits add up per day", func(t *testing.T) { f, db := fx(t); testVisits(t, f, db) })
	t.Run("top products and low stock", func(t *testing.T) { f, db := fx(t); testTopAndLow(t, f, db) })
}

// rollups is every rollup row, read through the store.
type rollups struct {
	Daily    []kpi.Daily
	Sales    []kpi.Sales
	Products map[string][]kpi.Product // "day currency" → products by revenue
}

func readRollups(t *testing.T, s kpi.Store, from, to kpi.Day) rollups {
	t.Helper()
	var r rollups
	var err error
	if r.Daily, err = s.Daily(ctx, from, to); err != nil {
		t.Fatal(err)
	}
	if r.Sales, err = s.Sales(ctx, from, to); err != nil {
		t.Fatal(err)
	}
	// Rows that add up to nothing are the same as no row.
	r.Sales = slices.DeleteFunc(r.Sales, func(x kpi.Sales) bool { return x.Orders == 0 && x.Gross == 0 && x.Refunded == 0 })
	r.Daily = slices.DeleteFunc(r.Daily, func(x kpi.Daily) bool { return x == kpi.Daily{Day: x.Day} })
	r.Products = map[string][]kpi.Product{}
	for _, x := range r.Sales {
		ps, err := s.TopProducts(ctx, x.Day, x.Day, x.Currency, false, 100)
		if err != nil {
			t.Fatal(err)
		}
		r.Products[fmt.Sprintf("%s %s", x.Day, x.Currency)] = ps
	}
	return r
}

// rebuild takes the rollups down with their migration and up again, which
// recomputes them from the orders and carts.
func rebuild(t *testing.T, db KPIDB) {
	t.Helper()
	for {
		v, err := migrate.Down(ctx, db.Target, db.Migrations)
		if err != nil {
			t.Fatalf("down: %v", err)
		}
		if v <= kpiVersion {
			break
		}
	}
	if _, err := migrate.Up(ctx, db.Target, db.Migrations); err != nil {
		t.Fatalf("up: %v", err)
	}
}

func testRollupsRecompute(t *testing.T, f *shop, db KPIDB) {
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	rnd := rand.New(rand.NewPCG(seed, 7))
	now := time.Now().UTC().Truncate(time.Microsecond)
	today := kpi.DayOf(now)
	slugs := []string{"mug", "tee", "lamp"}
	var ops []string
	for i := range 60 {
		// Orders placed over the last few days, paid up to a day later.
		placed := now.Add(-time.Duration(rnd.IntN(5*24)) * time.Hour)
		cur := "ZAR"
		if rnd.IntN(4) == 0 {
			cur = "USD"
		}
		// A checkout always has items; some carts are left, empty or not.
		c := f.newCart(t, 0)
		left := rnd.IntN(6) == 0
		if !left || rnd.IntN(2) == 0 {
			if _, err := f.s.AddItem(ctx, c.ID, f.mug.ID, 1, cur); err != nil {
				t.Fatal(err)
			}
		}
		if left {
			ops = append(ops, "cart left")
			continue
		}
		o := f.order(t, c.ID, func(o *order.Order) {
			o.CreatedAt, o.UpdatedAt = placed, placed
			o.Items = o.Items[:0]
			var sub int64
			for range 1 + rnd.IntN(3) {
				q := 1 + rnd.IntN(3)
				price := int64(1000 + 100*rnd.IntN(50))
				o.Items = append(o.Items, order.Item{VariantID: f.mug.ID, ProductName: "Thing", ProductSlug: slugs[rnd.IntN(len(slugs))], SKU: "MUG",
					UnitPrice: ocean.Money{Amount: price, Currency: cur}, Quantity: q, LineTotal: ocean.Money{Amount: price * int64(q), Currency: cur}})
				sub += price * int64(q)
			}
			m := func(a int64) ocean.Money { return ocean.Money{Amount: a, Currency: cur} }
			o.Totals.Subtotal, o.Totals.Discount, o.Totals.Shipping, o.Totals.Tax, o.Totals.Total = m(sub), m(0), m(500), m(0), m(sub+500)
		})
		switch rnd.IntN(10) {
		case 0:
			ops = append(ops, "pending")
			continue
		case 1:
			release(t, f, o.ID, order.PaymentDeclined, "card_declined")
			ops = append(ops, "declined")
			continue
		case 2:
			release(t, f, o.ID, order.PaymentFailed, "gateway_unavailable")
			ops = append(ops, "gateway error")
			continue
		case 3:
			release(t, f, o.ID, order.PaymentFailed, "expired")
			ops = append(ops, "expired")
			continue
		}
		paidAt := placed.Add(time.Duration(rnd.IntN(30)) * time.Hour)
		if won, err := f.s.MarkPaid(ctx, o.ID, fmt.Sprintf("pay_%d", i), "visa 4242", order.PaymentAuthorized, paidAt, nil); !won || err != nil {
			t.Fatalf("mark paid: %v, %v", won, err)
		}
		ops = append(ops, "paid")
		// Then a few of: fulfil, refund part, refund the rest, undo a
		// refund, cancel (restocks), refund a cancelled order's payment.
		for range rnd.IntN(4) {
			cur := f.get(t, o.ID)
			left := cur.Totals.Total.Amount - cur.Refunded
			switch rnd.IntN(5) {
			case 0:
				if cur.Status == order.Paid {
					if won, err := f.s.Transition(ctx, o.ID, []order.Status{order.Paid}, order.Fulfilled, "admin:1", "", "TRACK"); !won || err != nil {
						t.Fatalf("fulfil: %v, %v", won, err)
					}
					ops = append(ops, "fulfilled")
				}
			case 1, 2:
				if left > 0 {
					amount := 1 + rnd.Int64N(left)
					to := order.PartiallyRefunded
					if cur.Status == order.Cancelled {
						to = order.Cancelled
					} else if amount == left {
						to = order.Refunded
					}
					ref := fmt.Sprintf("ref_%d_%d", o.ID, rnd.Int64())
					if won, err := f.s.AddRefund(ctx, checkout.RefundChange{OrderID: o.ID, Amount: amount, Reference: ref, Actor: "admin:1",
						From: cur.Status, To: to, Refunded: cur.Refunded}); !won || err != nil {
						t.Fatalf("refund %d of %d from %s: %v, %v", amount, left, cur.Status, won, err)
					}
					ops = append(ops, "refund")
					if rnd.IntN(3) == 0 {
						if err := f.s.UndoRefund(ctx, o.ID, ref, cur.Status); err != nil {
							t.Fatal(err)
						}
						ops = append(ops, "undo refund")
					}
				}
			case 3:
				if cur.Status == order.Paid {
					if won, err := f.s.CancelPaid(ctx, o.ID, "admin:1", true); !won || err != nil {
						t.Fatalf("cancel: %v, %v", won, err)
					}
					ops = append(ops, "cancelled")
				}
			}
		}
	}
	from, to := today-30, today+30
	got := readRollups(t, db.KPI, from, to)
	if len(got.Sales) == 0 || len(got.Daily) == 0 {
		t.Fatalf("no rollups after %v", ops)
	}
	rebuild(t, db)
	want := readRollups(t, db.KPI, from, to)
	if !slices.Equal(got.Sales, want.Sales) {
		t.Errorf("sales kept up to date:\n%+v\nrecomputed from the orders:\n%+v\nafter %v", got.Sales, want.Sales, ops)
	}
	// Visits are counted as they happen: a recomputation cannot know them.
	for i := range got.Daily {
		got.Daily[i].Sessions = 0
	}
	if !slices.Equal(got.Daily, want.Daily) {
		t.Errorf("funnel kept up to date:\n%+v\nrecomputed:\n%+v\nafter %v", got.Daily, want.Daily, ops)
	}
	for k, ps := range want.Products {
		if !slices.Equal(got.Products[k], ps) {
			t.Errorf("products of %s kept up to date: %+v, recomputed: %+v", k, got.Products[k], ps)
		}
	}
	// And the totals a person would check: the takings are the orders'.
	var orders, net int64
	for _, s := range got.Sales {
		if s.Currency == "ZAR" {
			orders += s.Orders
			net += s.Gross - s.Refunded
		}
	}
	var wantOrders, wantNet int64
	all, err := f.s.Orders(ctx, order.Filter{Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range all {
		if o.PaidAt != nil && o.Status != order.Cancelled && o.Totals.Total.Currency == "ZAR" {
			wantOrders++
			wantNet += o.Totals.Total.Amount - o.Refunded
		}
	}
	if orders != wantOrders || net != wantNet {
		t.Errorf("ZAR rollups: %d orders, %d net; the orders say %d, %d", orders, net, wantOrders, wantNet)
	}
}

func release(t *testing.T, f *shop, id int64, status, code string) {
	t.Helper()
	if won, err := f.s.Release(ctx, id, status, code, "test", "gateway"); !won || err != nil {
		t.Fatalf("release: %v, %v", won, err)
	}
}

func testVisits(t *testing.T, _ *shop, db KPIDB) {
	if _, ok, err := db.KPI.FirstSessionDay(ctx); ok || err != nil {
		t.Fatalf("first visit day before any visit: ok %v, %v", ok, err)
	}
	today := kpi.DayOf(time.Now())
	for _, v := range []struct {
		day kpi.Day
		n   int64
	}{{today, 3}, {today - 2, 1}, {today, 2}} {
		if err := db.KPI.AddSessions(ctx, v.day, v.n); err != nil {
			t.Fatal(err)
		}
	}
	d, ok, err := db.KPI.FirstSessionDay(ctx)
	if err != nil || !ok || d != today-2 {
		t.Fatalf("first visit day = %v, %v, %v; want %v", d, ok, err, today-2)
	}
	rows, err := db.KPI.Daily(ctx, today-2, today)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 2 || rows[0].Sessions != 1 || rows[1].Sessions != 5 {
		t.Fatalf("daily rows = %+v, want 1 visit two days ago and 5 today", rows)
	}
	// The service counts in memory and writes on Flush (and on a visit a
	// second after the last write).
	clock := time.Now()
	svc := kpi.New(db.KPI, "ZAR", func() time.Time { return clock })
	for range 4 {
		if err := svc.Visit(ctx); err != nil {
			t.Fatal(err)
		}
	}
	dash, err := svc.Dashboard(ctx, kpi.Periods[0])
	if err != nil {
		t.Fatal(err)
	}
	if dash.Current.Sessions != 9 || dash.Previous.Sessions != 0 {
		t.Fatalf("today's visits = %d (yesterday %d), want 9 (0)", dash.Current.Sessions, dash.Previous.Sessions)
	}
}

func testTopAndLow(t *testing.T, f *shop, db KPIDB) {
	now := time.Now().UTC()
	buy := func(slug string, q int, price int64) {
		o := f.placed(t, func(o *order.Order) {
			o.Items[0].VariantID, o.Items[0].ProductSlug, o.Items[0].ProductName = f.mug.ID, slug, "Product "+slug
			o.Items[0].Quantity, o.Items[0].UnitPrice, o.Items[0].LineTotal = q, zar(price), zar(price*int64(q))
		})
		if won, err := f.s.MarkPaid(ctx, o.ID, "pay_"+o.PublicID, "visa", order.PaymentAuthorized, now, nil); !won || err != nil {
			t.Fatal(won, err)
		}
	}
	buy("cheap", 10, 100)  // 10 units, 1000
	buy("dear", 1, 50000)  // 1 unit, 50000
	buy("cheap", 5, 100)   // 15 units, 1500
	buy("middle", 3, 2000) // 3 units, 6000
	day := kpi.DayOf(now)
	byRevenue, err := db.KPI.TopProducts(ctx, day, day, "ZAR", false, 2)
	if err != nil {
		t.Fatal(err)
	}
	if len(byRevenue) != 2 || byRevenue[0].Slug != "dear" || byRevenue[1].Slug != "middle" || byRevenue[0].Revenue != 50000 {
		t.Fatalf("top by revenue = %+v, want dear then middle", byRevenue)
	}
	byUnits, err := db.KPI.TopProducts(ctx, day, day, "ZAR", true, 5)
	if err != nil {
		t.Fatal(err)
	}
	if len(byUnits) != 3 || byUnits[0].Slug != "cheap" || byUnits[0].Units != 15 || byUnits[0].Revenue != 1500 || byUnits[0].Name != "Product cheap" {
		t.Fatalf("top by units = %+v, want cheap first with 15 units", byUnits)
	}
	if all, err := db.KPI.TopProducts(ctx, day, day, "ZAR", false, 0); err != nil || len(all) != 3 || all[2].Slug != "cheap" {
		t.Fatalf("every product by revenue = %+v, %v", all, err)
	}
	if none, err := db.KPI.TopProducts(ctx, day+1, day+7, "ZAR", false, 5); err != nil || len(none) != 0 {
		t.Fatalf("top products of days without sales = %+v, %v", none, err)
	}
	// Stock: tee S 5, tee M 3, mug 1000 less what was bought.
	low, err := db.KPI.LowStock(ctx, 5, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(low) != 2 || low[0].SKU != "TEE-M" || low[0].Stock != 3 || low[1].SKU != "TEE-S" || low[0].ProductName != "Tee" {
		t.Fatalf("low stock at 5 = %+v, want TEE-M (3) then TEE-S (5)", low)
	}
	if low, err := db.KPI.LowStock(ctx, 3, 1); err != nil || len(low) != 1 || low[0].VariantID != f.teeM.ID {
		t.Fatalf("low stock at 3, one row = %+v, %v", low, err)
	}
}
