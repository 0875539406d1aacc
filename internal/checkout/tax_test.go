package checkout_test

import (
	"testing"

	"github.com/oceanshop/ocean/internal/ocean"
	"github.com/oceanshop/ocean/internal/pricing"
)

// A zone's tax rate is charged to every country of the zone, a country's
// own rate overrides it, and the checkout's quote, the order it places and
// the admin's list of applied rates say the same.
func TestZoneTaxRatesAtCheckout(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	boss := pricing.Actor{ID: 1, Name: "boss@example.com"}
	z := &pricing.Zone{Name: "Neighbours", Countries: []string{"NA", "BW"}}
	if err := e.svc.CreateZone(e.ctx, z, boss); err != nil {
		t.Fatal(err)
	}
	if err := e.svc.CreateMethod(e.ctx, &pricing.ShippingMethod{ZoneID: z.ID, Code: "road", Name: "Road freight", Price: ocean.Money{Amount: 5000}}, boss); err != nil {
		t.Fatal(err)
	}
	cartID := e.newCart(0, e.tee, 1) // 200.00, tax added on top in these tests
	taxFor := func(country string) pricing.Totals {
		t.Helper()
		_, tot, err := e.svc.Quote(e.ctx, cartID, 0, country, "road")
		if err != nil {
			t.Fatal(err)
		}
		return tot
	}
	if tot := taxFor("NA"); tot.Tax.Amount != 0 || tot.Total.Amount != 25000 {
		t.Fatalf("NA before any rate: %+v", tot)
	}
	zr, err := e.svc.SetTaxRate(e.ctx, pricing.TaxRate{ZoneID: z.ID, Name: " VAT  16% ", RateBP: 1600}, boss)
	if err != nil || zr.Name != "VAT 16%" || zr.Version != 1 || zr.Zone != "Neighbours" {
		t.Fatalf("zone rate = %+v, %v", zr, err)
	}
	for _, c := range []string{"NA", "BW"} {
		if tot := taxFor(c); tot.Tax.Amount != 4000 || tot.Total.Amount != 29000 || tot.TaxName != "VAT 16%" {
			t.Errorf("%s with the zone's 16%%: %+v", c, tot)
		}
	}
	// Namibia's own rate wins over the zone's, for Namibia only.
	if _, err := e.svc.SetTaxRate(e.ctx, pricing.TaxRate{Country: "na", Name: "VAT", RateBP: 1000}, boss); err != nil {
		t.Fatal(err)
	}
	if tot := taxFor("NA"); tot.Tax.Amount != 2500 || tot.TaxName != "VAT" {
		t.Errorf("NA with its own 10%%: %+v", tot)
	}
	if tot := taxFor("BW"); tot.Tax.Amount != 4000 {
		t.Errorf("BW after NA's override: %+v", tot)
	}
	// The order charges what the quote said.
	req := e.request(cartID, 0, "tok_visa")
	req.Address.Country, req.ShippingMethod = "BW", "road"
	o, err := e.svc.Checkout(e.ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	if o.Totals.Tax.Amount != 4000 || o.Totals.Total.Amount != 29000 || o.Totals.TaxName != "VAT 16%" {
		t.Errorf("order totals %+v", o.Totals)
	}
	// The admin's table: every country shipped to, with the rate it pays.
	applied, err := e.svc.AppliedTaxRates(e.ctx)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]pricing.TaxRate{}
	for _, r := range applied {
		got[r.Country] = r
	}
	if r := got["BW"]; r.ZoneID != z.ID || r.RateBP != 1600 {
		t.Errorf("BW applied %+v", r)
	}
	if r := got["NA"]; r.ZoneID != 0 || r.RateBP != 1000 {
		t.Errorf("NA applied %+v", r)
	}
	if r := got["ZA"]; r.RateBP != 1500 || r.Name != "VAT 15%" {
		t.Errorf("ZA applied %+v", r)
	}
	if r, ok := got["DE"]; !ok || r.RateBP != 0 || r.Name != "" {
		t.Errorf("DE applied %+v (present %v), want no tax", r, ok)
	}
	if applied[0].Country != "ZA" {
		t.Errorf("applied rates start with %s, want the home country", applied[0].Country)
	}

	// A stale edit changes nothing; deleting NA's own rate gives it the
	// zone's again; a second delete is not found.
	_, err = e.svc.SetTaxRate(e.ctx, pricing.TaxRate{ZoneID: z.ID, RateBP: 1700, Version: 7}, boss)
	if ocean.ErrorCode(err) != ocean.ESTALE {
		t.Fatalf("stale: %v", err)
	}
	if err := e.svc.DeleteTaxRate(e.ctx, pricing.TaxRate{Country: "NA"}, boss); err != nil {
		t.Fatal(err)
	}
	if r, err := e.svc.TaxRate(e.ctx, "NA"); err != nil || r == nil || r.RateBP != 1600 {
		t.Fatalf("NA after deleting its own rate: %+v, %v", r, err)
	}
	if err := e.svc.DeleteTaxRate(e.ctx, pricing.TaxRate{Country: "NA"}, boss); ocean.ErrorCode(err) != ocean.ENOTFOUND {
		t.Fatalf("second delete: %v", err)
	}
	if err := e.svc.DeleteTaxRate(e.ctx, pricing.TaxRate{Country: "N1"}, boss); ocean.ErrorCode(err) != ocean.EINVALID {
		t.Fatalf("bad country: %v", err)
	}
	if r, err := e.svc.TaxRate(e.ctx, "DE"); err != nil || r != nil {
		t.Fatalf("DE: %+v, %v", r, err)
	}
	// The address books ask the same question checkout does.
	if err := e.svc.ShipsTo(e.ctx, " br ", "country"); ocean.ErrorCode(err) != ocean.EUNPROCESSABLE {
		t.Fatalf("BR: %v", err)
	}
	if err := e.svc.ShipsTo(e.ctx, "na", "country"); err != nil {
		t.Fatalf("NA: %v", err)
	}
	zs, err := e.svc.ZoneTaxRates(e.ctx)
	if err != nil || len(zs) != 1 || zs[0].ZoneID != z.ID {
		t.Fatalf("zone rates %+v, %v", zs, err)
	}
}
