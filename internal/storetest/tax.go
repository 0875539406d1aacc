package storetest

import (
	"strconv"
	"testing"

	"github.com/oceanshop/ocean/internal/ocean"
	"github.com/oceanshop/ocean/internal/pricing"
)

// testZoneTaxRates: a zone's rate is what each of its countries pays (the
// rest-of-the-world zone's, what every country no zone lists pays) unless
// the country has its own; both kinds are versioned and audited, and the
// store's one-statement lookup agrees with pricing.TaxFor everywhere.
func testZoneTaxRates(t *testing.T, f *shop) {
	boss := pricing.Actor{ID: 7, Name: "boss@example.com"}
	sa := &pricing.Zone{Name: "Southern Africa", Countries: []string{"ZA", "NA", "BW"}}
	eu := &pricing.Zone{Name: "Europe", Countries: []string{"DE", "FR"}, Position: 1}
	row := &pricing.Zone{Name: "Rest of the world", Countries: []string{pricing.RestOfWorld}, Position: 9}
	for _, z := range []*pricing.Zone{sa, eu, row} {
		if err := f.s.CreateZone(ctx, z, boss); err != nil {
			t.Fatal(err)
		}
	}
	pays := func(country string) *pricing.TaxRate {
		t.Helper()
		r, err := f.s.TaxRate(ctx, country)
		if ocean.ErrorCode(err) == ocean.ENOTFOUND {
			return nil
		}
		if err != nil {
			t.Fatalf("%s: %v", country, err)
		}
		return r
	}
	// The store's lookup is pricing.TaxFor over what the store lists.
	agree := func() {
		t.Helper()
		zones, err := f.s.Zones(ctx)
		if err != nil {
			t.Fatal(err)
		}
		own, err := f.s.TaxRates(ctx)
		if err != nil {
			t.Fatal(err)
		}
		zoned, err := f.s.ZoneTaxRates(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range []string{"ZA", "NA", "BW", "DE", "FR", "US", "JP"} {
			got, want := pays(c), pricing.TaxFor(c, zones, own, zoned)
			if (got == nil) != (want == nil) || got != nil && *got != *want {
				t.Errorf("%s: the store says %+v, pricing.TaxFor %+v", c, got, want)
			}
		}
	}

	r, err := f.s.PutTaxRate(ctx, pricing.TaxRate{ZoneID: sa.ID, Name: "VAT 15%", RateBP: 1500}, boss)
	if err != nil || r.Version != 1 || r.Zone != "Southern Africa" {
		t.Fatalf("zone rate: %+v, %v", r, err)
	}
	for _, c := range []string{"ZA", "NA", "BW"} {
		if got := pays(c); got == nil || *got != (pricing.TaxRate{Country: c, ZoneID: sa.ID, Zone: "Southern Africa", Name: "VAT 15%", RateBP: 1500, Version: 1}) {
			t.Errorf("%s pays %+v, want the zone's 15%%", c, got)
		}
	}
	if got := pays("DE"); got != nil {
		t.Errorf("DE (a zone without a rate) pays %+v", got)
	}
	// A country's own rate overrides its zone's, for that country only.
	if _, err := f.s.PutTaxRate(ctx, pricing.TaxRate{Country: "NA", Name: "VAT", RateBP: 1600}, boss); err != nil {
		t.Fatal(err)
	}
	if got := pays("NA"); got == nil || got.RateBP != 1600 || got.ZoneID != 0 || got.Version != 1 {
		t.Errorf("NA with its own rate pays %+v", got)
	}
	if got := pays("BW"); got == nil || got.RateBP != 1500 {
		t.Errorf("BW pays %+v, want the zone's", got)
	}
	// The rest of the world's rate is for countries no zone lists, not
	// for a zone's countries without a rate.
	if _, err := f.s.PutTaxRate(ctx, pricing.TaxRate{ZoneID: row.ID, Name: "Export", RateBP: 0}, boss); err != nil {
		t.Fatal(err)
	}
	if got := pays("US"); got == nil || got.ZoneID != row.ID || got.Name != "Export" {
		t.Errorf("US pays %+v, want the rest of the world's", got)
	}
	if got := pays("DE"); got != nil {
		t.Errorf("DE pays %+v, want nothing: Europe has no rate", got)
	}
	agree()

	// Versions: a stale write or delete changes nothing.
	_, err = f.s.PutTaxRate(ctx, pricing.TaxRate{ZoneID: sa.ID, Name: "VAT", RateBP: 1400, Version: 5}, boss)
	wantCode(t, "stale zone rate", err, ocean.ESTALE)
	_, err = f.s.PutTaxRate(ctx, pricing.TaxRate{ZoneID: eu.ID, Name: "VAT", RateBP: 1900, Version: 1}, boss)
	wantCode(t, "a version for a rate that does not exist", err, ocean.ESTALE)
	if got := pays("ZA"); got == nil || got.RateBP != 1500 {
		t.Fatalf("after stale writes ZA pays %+v", got)
	}
	r, err = f.s.PutTaxRate(ctx, pricing.TaxRate{ZoneID: sa.ID, Name: "VAT 14%", RateBP: 1400, Version: 1}, boss)
	if err != nil || r.Version != 2 || pays("ZA").RateBP != 1400 {
		t.Fatalf("current version: %+v, %v", r, err)
	}
	_, err = f.s.PutTaxRate(ctx, pricing.TaxRate{ZoneID: 99999, Name: "VAT", RateBP: 1}, boss)
	wantCode(t, "missing zone", err, ocean.ENOTFOUND)
	wantCode(t, "stale delete", f.s.DeleteTaxRate(ctx, pricing.TaxRate{Country: "NA", Version: 3}, boss), ocean.ESTALE)
	if err := f.s.DeleteTaxRate(ctx, pricing.TaxRate{Country: "NA", Version: 1}, boss); err != nil {
		t.Fatal(err)
	}
	if got := pays("NA"); got == nil || got.ZoneID != sa.ID || got.RateBP != 1400 {
		t.Errorf("NA after its own rate went pays %+v, want the zone's", got)
	}
	wantCode(t, "delete again", f.s.DeleteTaxRate(ctx, pricing.TaxRate{Country: "NA"}, boss), ocean.ENOTFOUND)
	zoned, err := f.s.ZoneTaxRates(ctx)
	if err != nil || len(zoned) != 2 || zoned[0].ZoneID != sa.ID || zoned[0].Zone != "Southern Africa" || zoned[0].Version != 2 || zoned[1].ZoneID != row.ID {
		t.Fatalf("zone rates = %+v, %v", zoned, err)
	}
	agree()

	// A deleted zone takes its rate along; its countries are then the
	// rest of the world's.
	z, err := f.s.Zone(ctx, sa.ID)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.s.DeleteZone(ctx, sa.ID, z.Version, boss); err != nil {
		t.Fatal(err)
	}
	if zoned, err := f.s.ZoneTaxRates(ctx); err != nil || len(zoned) != 1 {
		t.Fatalf("zone rates after the zone went: %+v, %v", zoned, err)
	}
	if got := pays("ZA"); got == nil || got.ZoneID != row.ID {
		t.Errorf("ZA without a zone pays %+v, want the rest of the world's", got)
	}
	agree()

	log, err := f.s.SettingsAudit(ctx, 100)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, e := range log {
		if e.Entity == "tax_rate" {
			seen[e.EntityID+" "+e.Action] = true
		}
	}
	for _, want := range []string{"zone:" + strconv.FormatInt(sa.ID, 10) + " create", "zone:" + strconv.FormatInt(sa.ID, 10) + " update", "NA create", "NA delete"} {
		if !seen[want] {
			t.Errorf("the audit log lacks %q: %v", want, seen)
		}
	}
}
