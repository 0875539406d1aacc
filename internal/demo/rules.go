package demo

import (
	"context"
	"fmt"
	"io"

	"github.com/oceanshop/ocean/internal/catalog"
	"github.com/oceanshop/ocean/internal/ocean"
	"github.com/oceanshop/ocean/internal/pricing"
)

// SeedRules gives a shop without shipping methods a starting set, so
// checkout works on first start: South African VAT (15%), standard and
// express delivery in South Africa (standard free from R750), one
// international rate, as the zones "South Africa" and "Rest of the world".
// A shop that has any shipping zone is left alone, and so is one whose zone
// names another instance of a fleet, starting at the same moment, took
// first (ECONFLICT on the unique zone name): that instance seeds the rest.
func SeedRules(ctx context.Context, store pricing.Store) error {
	zs, err := store.Zones(ctx)
	if err != nil || len(zs) > 0 {
		return err
	}
	free := int64(75000)
	sys := pricing.Actor{Name: "demo seed"}
	home := &pricing.Zone{Name: "South Africa", Countries: []string{"ZA"}}
	world := &pricing.Zone{Name: "Rest of the world", Countries: []string{pricing.RestOfWorld}, Position: 1000}
	for _, z := range []*pricing.Zone{home, world} {
		if err := store.CreateZone(ctx, z, sys); err != nil {
			if ocean.ErrorCode(err) == ocean.ECONFLICT {
				return nil
			}
			return err
		}
	}
	for _, m := range []pricing.ShippingMethod{
		{ZoneID: home.ID, Code: "standard", Name: "Standard delivery (3-5 working days)", Price: ocean.Money{Amount: 6000, Currency: "ZAR"}, FreeAbove: &free, Position: 1},
		{ZoneID: home.ID, Code: "express", Name: "Express delivery (next working day)", Price: ocean.Money{Amount: 15000, Currency: "ZAR"}, Position: 2},
		{ZoneID: world.ID, Code: "international", Name: "International courier (5-10 working days)", Price: ocean.Money{Amount: 45000, Currency: "ZAR"}, Position: 3},
	} {
		if err := store.AddShippingMethod(ctx, &m, sys); err != nil {
			return err
		}
	}
	return store.SetTaxRate(ctx, pricing.TaxRate{Country: "ZA", Name: "VAT 15%", RateBP: 1500})
}

// SeedDiscounts adds the demo discount codes, WELCOME10 (10% off) and
// FREESHIP (free shipping from R300), unless they exist. Only demo seeding
// calls it (`ocean seed`, the first start of a demo shop): a shop that was
// not seeded never gets codes it did not create.
func SeedDiscounts(ctx context.Context, store pricing.Store) error {
	for _, d := range []pricing.Discount{
		{Code: "WELCOME10", Kind: pricing.Percent, Value: 10},
		{Code: "FREESHIP", Kind: pricing.FreeShipping, MinSubtotal: 30000},
	} {
		if err := store.CreateDiscount(ctx, &d); err != nil && ocean.ErrorCode(err) != ocean.ECONFLICT {
			return err
		}
	}
	return nil
}

// SeedShop seeds the demo shop into an empty catalog: the products (Seed),
// then the discount codes. It returns how many products it created; when
// the catalog already had products it adds nothing, codes included.
func SeedShop(ctx context.Context, svc *catalog.Service, store pricing.Store) (int, error) {
	n, err := Seed(ctx, svc)
	if err != nil || n == 0 {
		return 0, err
	}
	if err := SeedDiscounts(ctx, store); err != nil {
		return 0, fmt.Errorf("demo discount codes: %w", err)
	}
	return n, nil
}

// SeedCommand is `ocean seed` without --scale: SeedShop, then a line on out
// saying what it did.
func SeedCommand(ctx context.Context, svc *catalog.Service, store pricing.Store, out io.Writer) error {
	n, err := SeedShop(ctx, svc, store)
	if err != nil {
		return err
	}
	if n == 0 {
		fmt.Fprintln(out, "the catalog already has products; nothing seeded")
		return nil
	}
	fmt.Fprintf(out, "seeded the demo catalog: %d products\n", n)
	return nil
}
