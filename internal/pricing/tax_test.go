package pricing

import (
	"strings"
	"testing"

	"github.com/oceanshop/ocean/internal/ocean"
)

// TaxFor: a country's own rate, else its zone's, else the rest of the
// world's when no zone lists it; a zone without a rate charges nothing even
// when the rest of the world has one.
func TestTaxForZonesAndOverrides(t *testing.T) {
	zones := []Zone{
		{ID: 9, Name: "Rest of the world", Countries: []string{RestOfWorld}}, // listed first on purpose
		{ID: 1, Name: "Southern Africa", Countries: []string{"ZA", "NA", "BW"}},
		{ID: 2, Name: "Europe", Countries: []string{"DE", "FR"}},
	}
	own := []TaxRate{{Country: "NA", Name: "VAT", RateBP: 1000, Version: 3}}
	zoned := []TaxRate{{ZoneID: 1, Zone: "Southern Africa", Name: "VAT 15%", RateBP: 1500, Version: 2}, {ZoneID: 9, Zone: "Rest of the world", Name: "Export", RateBP: 0}}
	for _, c := range []struct {
		country string
		want    *TaxRate
	}{
		{"ZA", &TaxRate{Country: "ZA", ZoneID: 1, Zone: "Southern Africa", Name: "VAT 15%", RateBP: 1500, Version: 2}},
		{"BW", &TaxRate{Country: "BW", ZoneID: 1, Zone: "Southern Africa", Name: "VAT 15%", RateBP: 1500, Version: 2}},
		{"NA", &TaxRate{Country: "NA", Name: "VAT", RateBP: 1000, Version: 3}},
		{"DE", nil},
		{"US", &TaxRate{Country: "US", ZoneID: 9, Zone: "Rest of the world", Name: "Export"}},
	} {
		got := TaxFor(c.country, zones, own, zoned)
		if (got == nil) != (c.want == nil) || got != nil && *got != *c.want {
			t.Errorf("%s pays %+v, want %+v", c.country, got, c.want)
		}
	}
	if got := TaxFor("US", zones[1:], own, zoned); got != nil {
		t.Errorf("no rest-of-world zone: US pays %+v", got)
	}
	// The zone's rate is priced like any rate, included or added.
	for _, incl := range []bool{true, false} {
		r := TaxFor("BW", zones, own, zoned)
		tot, err := Compute(Input{Currency: "ZAR", Lines: []Line{{UnitPrice: zar(11500), Quantity: 1}}, Tax: r, TaxIncluded: incl})
		if err != nil {
			t.Fatal(err)
		}
		if incl && (tot.Tax.Amount != 1500 || tot.Total.Amount != 11500) || !incl && (tot.Tax.Amount != 1725 || tot.Total.Amount != 13225) || tot.TaxName != "VAT 15%" {
			t.Errorf("included %v: %+v", incl, tot)
		}
	}
}

func TestTaxRateValidation(t *testing.T) {
	r := TaxRate{Country: " za ", Name: "  VAT   15% ", RateBP: 1500}
	r.Normalize()
	if r.Country != "ZA" || r.Name != "VAT 15%" || r.Validate() != nil {
		t.Fatalf("%+v: %v", r, r.Validate())
	}
	unnamed := TaxRate{ZoneID: 4, RateBP: 750}
	unnamed.Normalize()
	if unnamed.Name != "Tax 7.5%" || unnamed.Validate() != nil {
		t.Fatalf("%+v", unnamed)
	}
	for _, c := range []struct {
		r      TaxRate
		code   string
		fields string
	}{
		{TaxRate{Country: "ZA", RateBP: -1}, ocean.EUNPROCESSABLE, "rate_bp"},
		{TaxRate{Country: "ZA", RateBP: 10001}, ocean.EUNPROCESSABLE, "rate_bp"},
		{TaxRate{Country: "ZZZ", RateBP: 100}, ocean.EINVALID, "country"},
		{TaxRate{RateBP: 100}, ocean.EINVALID, "country"},
		{TaxRate{Country: "ZA", ZoneID: 2, RateBP: 100}, ocean.EINVALID, "zone_id"},
		{TaxRate{ZoneID: -2, RateBP: 100}, ocean.EINVALID, "zone_id"},
		{TaxRate{Country: "ZA", RateBP: 100, Name: strings.Repeat("x", 61)}, ocean.EINVALID, "name"},
		{TaxRate{Country: "ZA", RateBP: 100, Version: -1}, ocean.EINVALID, "version"},
		{TaxRate{Country: "Z", RateBP: 20000}, ocean.EINVALID, "country rate_bp"},
	} {
		c.r.Normalize()
		err := c.r.Validate()
		var names []string
		for _, f := range ocean.ErrorFields(err) {
			names = append(names, f.Field)
		}
		if ocean.ErrorCode(err) != c.code || strings.Join(names, " ") != c.fields {
			t.Errorf("%+v: %v %v, want %s on %s", c.r, ocean.ErrorCode(err), names, c.code, c.fields)
		}
	}
}

func TestTaxRateWords(t *testing.T) {
	for bp, want := range map[int]string{1500: "15%", 750: "7.5%", 25: "0.25%", 0: "0%", 10000: "100%"} {
		if got := (TaxRate{RateBP: bp}).Percent(); got != want {
			t.Errorf("%d bp: %q, want %q", bp, got, want)
		}
	}
	for name, want := range map[string]string{"VAT 15%": "VAT", "GST 7.5%": "GST", "VAT": "VAT", "Sales tax": "Sales tax", "15%": "15%", "": "", "Tax 15% off": "Tax 15% off"} {
		if got := (TaxRate{Name: name}).Label(); got != want {
			t.Errorf("%q: %q, want %q", name, got, want)
		}
	}
}
