package demo_test

import (
	"bytes"
	"context"
	"fmt"
	"testing"

	"github.com/oceanshop/ocean/internal/catalog"
	"github.com/oceanshop/ocean/internal/demo"
	"github.com/oceanshop/ocean/internal/sqlite/sqlitetest"
)

// TestSeedCommand: `ocean seed` on an empty shop adds the catalog and the
// demo codes and says how many products; run again, it says nothing was
// seeded; on a shop with products of its own it adds no codes.
func TestSeedCommand(t *testing.T) {
	ctx := context.Background()
	db := sqlitetest.Open(t)
	svc := catalog.NewService(db.Catalog(), nil)
	var out bytes.Buffer
	if err := demo.SeedCommand(ctx, svc, db.Commerce(), &out); err != nil {
		t.Fatal(err)
	}
	n, err := svc.CountProducts(ctx)
	if err != nil || n == 0 || out.String() != fmt.Sprintf("seeded the demo catalog: %d products\n", n) {
		t.Fatalf("first seed: %d products (%v), said %q", n, err, out.String())
	}
	for _, code := range []string{"WELCOME10", "FREESHIP"} {
		if _, err := db.Commerce().DiscountByCode(ctx, code); err != nil {
			t.Errorf("code %s after seeding: %v", code, err)
		}
	}
	out.Reset()
	if err := demo.SeedCommand(ctx, svc, db.Commerce(), &out); err != nil || out.String() != "the catalog already has products; nothing seeded\n" {
		t.Fatalf("second seed: %v, said %q", err, out.String())
	}

	own := sqlitetest.Open(t)
	ownSvc := catalog.NewService(own.Catalog(), nil)
	if _, err := demo.Seed(ctx, ownSvc); err != nil { // products, but no codes
		t.Fatal(err)
	}
	if n, err := demo.SeedShop(ctx, ownSvc, own.Commerce()); err != nil || n != 0 {
		t.Fatalf("seeding a shop with products: %d, %v", n, err)
	}
	if ds, err := own.Commerce().Discounts(ctx); err != nil || len(ds) != 0 {
		t.Errorf("a shop that was not seeded got codes: %v %v", ds, err)
	}
}
