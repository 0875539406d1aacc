package seed_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/oceanshop/ocean/internal/account"
	"github.com/oceanshop/ocean/internal/catalog"
	"github.com/oceanshop/ocean/internal/inventory"
	"github.com/oceanshop/ocean/internal/kpi"
	"github.com/oceanshop/ocean/internal/order"
	"github.com/oceanshop/ocean/internal/postgres/postgrestest"
	"github.com/oceanshop/ocean/internal/seed"
	"github.com/oceanshop/ocean/internal/sqldb"
	"github.com/oceanshop/ocean/internal/sqlite/sqlitetest"
)

func TestScaleSQLite(t *testing.T) { check(t, sqlitetest.Open(t)) }

func TestScalePostgres(t *testing.T) {
	check(t, postgrestest.Open(t))
}

// check seeds 60 products and 60 orders in batches of 25 (so batches
// meet at odd places) and looks at the shop the way its pages do.
func check(t *testing.T, db *sqldb.DB) {
	ctx := context.Background()
	now := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	r, err := seed.Scale(ctx, db, seed.Options{Products: 60, Orders: 60, Batch: 25, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	if r.Products != 60 || r.Variants != 180 || r.Orders != 60 || r.Customers != 6 {
		t.Fatalf("report %+v", r)
	}
	if r.Lines < 60 || r.Lines > 180 {
		t.Errorf("%d order lines for 60 orders of one to three lines", r.Lines)
	}

	// The catalog: searchable, listable by category with facets, and
	// every product page has its three sizes.
	cat := catalog.NewService(db.Catalog(), nil)
	page, err := cat.Search(ctx, catalog.Query{Terms: []string{"shirt"}, Limit: 50})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Items) == 0 {
		t.Fatal("searching for shirt found none of the generated products")
	}
	for _, c := range page.Items {
		if c.Slug == "" || c.PriceMin.Amount <= 0 {
			t.Errorf("card %+v", c)
		}
	}
	listed := 0
	for d := range 10 {
		p, err := cat.Search(ctx, catalog.Query{Category: "scale-dept-" + string(rune('0'+d)), Sort: catalog.SortPriceAsc, Limit: 100})
		if err != nil {
			t.Fatal(err)
		}
		listed += len(p.Items)
		if p.Facets.Total != len(p.Items) || p.Facets.Options["size"]["M"] != len(p.Items) {
			t.Errorf("department %d: %d listed, facets %+v", d, len(p.Items), p.Facets)
		}
	}
	if listed != 60 {
		t.Errorf("the departments list %d products, want all 60", listed)
	}
	p, err := cat.Product(ctx, page.Items[0].Slug)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Variants) != 3 || p.Variants[0].Options["size"] != "S" || p.Variants[2].Price.Amount != p.Variants[0].Price.Amount+2000 {
		t.Errorf("product %s variants %+v", p.Slug, p.Variants)
	}

	// Stock: every level is its ledger's sum.
	drift, n, err := inventory.NewService(db.Commerce()).Verify(ctx)
	if err != nil || len(drift) != 0 || n != 180 {
		t.Errorf("inventory verify: %d variants, drift %v, %v", n, drift, err)
	}

	// Orders: each customer has about ten, with lines whose totals add up.
	cs := db.Commerce()
	u, err := db.Accounts().UserByEmail(ctx, "shopper1@scale.example")
	if err != nil {
		t.Fatal(err)
	}
	if ok, _, err := account.VerifyPassword(u.PasswordHash, seed.Password); !ok || err != nil {
		t.Errorf("a generated customer cannot sign in with the documented password: %v", err)
	}
	mine, err := cs.Orders(ctx, order.Filter{UserID: u.ID, Limit: 50})
	if err != nil {
		t.Fatal(err)
	}
	if len(mine) != 10 {
		t.Errorf("shopper1 has %d orders, want 10", len(mine))
	}
	for _, o := range mine {
		var sum int64
		for _, it := range o.Items {
			sum += it.LineTotal.Amount
			if it.SKU == "" || it.ProductName == "" || it.LineTotal.Amount != it.UnitPrice.Amount*int64(it.Quantity) {
				t.Errorf("order %d line %+v", o.ID, it)
			}
		}
		if len(o.Items) == 0 || sum != o.Totals.Subtotal.Amount || o.Totals.Total.Amount != sum+o.Totals.Shipping.Amount {
			t.Errorf("order %d: lines sum to %d, totals %+v", o.ID, sum, o.Totals)
		}
		if o.CreatedAt.After(now) || o.CreatedAt.Before(now.AddDate(-1, 0, -1)) {
			t.Errorf("order %d placed %s, outside the year before %s", o.ID, o.CreatedAt, now)
		}
	}
	byStatus, err := cs.CountByStatus(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if byStatus[order.Cancelled] != 3 || byStatus[order.Delivered] != 51 {
		t.Errorf("orders by status %v", byStatus)
	}

	// The dashboard's rollups count the 57 paid orders.
	sales, err := db.KPI().Sales(ctx, kpi.DayOf(now.AddDate(-2, 0, 0)), kpi.DayOf(now)+1)
	if err != nil {
		t.Fatal(err)
	}
	var paid int64
	for _, s := range sales {
		paid += s.Orders
	}
	if paid != 57 {
		t.Errorf("the dashboard counts %d paid orders, want 57", paid)
	}

	// A second run refuses, unless forced; forced, it adds beside.
	if _, err := seed.Scale(ctx, db, seed.Options{Products: 5, Orders: 5}); !errors.Is(err, seed.ErrNotEmpty) {
		t.Errorf("seeding a shop with products: %v, want ErrNotEmpty", err)
	}
	if _, err := seed.Scale(ctx, db, seed.Options{Products: 5, Orders: 5, Force: true}); err != nil {
		t.Fatalf("forced: %v", err)
	}
	if n, err := cat.CountProducts(ctx); err != nil || n != 65 {
		t.Errorf("after a forced second run: %d products, %v", n, err)
	}
	if drift, _, err := inventory.NewService(db.Commerce()).Verify(ctx); err != nil || len(drift) != 0 {
		t.Errorf("inventory after the second run: %v %v", drift, err)
	}
}
