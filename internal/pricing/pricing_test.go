package pricing

import (
	"strings"
	"testing"
	"time"

	"github.com/oceanshop/ocean/internal/ocean"
)

func zar(a int64) ocean.Money { return ocean.Money{Amount: a, Currency: "ZAR"} }

func TestCompute(t *testing.T) {
	free := int64(75000)
	standard := &ShippingMethod{Code: "standard", Price: zar(6000), FreeAbove: &free}
	vat := &TaxRate{Country: "ZA", Name: "VAT 15%", RateBP: 1500}
	for _, tc := range []struct {
		what                        string
		in                          Input
		sub, disc, ship, tax, total int64
	}{
		{"tax-inclusive VAT is the part of the total it makes up",
			Input{Lines: []Line{{UnitPrice: zar(11500), Quantity: 1}}, Tax: vat, TaxIncluded: true}, 11500, 0, 0, 1500, 11500},
		{"tax-exclusive VAT is added",
			Input{Lines: []Line{{UnitPrice: zar(10000), Quantity: 1}}, Tax: vat}, 10000, 0, 0, 1500, 11500},
		{"percent discount rounds once, half up, on the subtotal",
			// 3 × 33.33 = 99.99; 15% = 14.9985 → 15.00
			Input{Lines: []Line{{UnitPrice: zar(3333), Quantity: 3}}, Discount: &Discount{Kind: Percent, Value: 15}}, 9999, 1500, 0, 0, 8499},
		{"fixed discount never exceeds the subtotal",
			Input{Lines: []Line{{UnitPrice: zar(500), Quantity: 1}}, Discount: &Discount{Kind: Fixed, Value: 1000, Currency: "ZAR"}}, 500, 500, 0, 0, 0},
		{"shipping is charged below the threshold",
			Input{Lines: []Line{{UnitPrice: zar(74999), Quantity: 1}}, Shipping: standard, Tax: vat, TaxIncluded: true}, 74999, 0, 6000, 10565, 80999},
		{"shipping is free from the threshold (after discount)",
			Input{Lines: []Line{{UnitPrice: zar(75000), Quantity: 1}}, Shipping: standard}, 75000, 0, 0, 0, 75000},
		{"a discount can take the order back under the threshold",
			Input{Lines: []Line{{UnitPrice: zar(80000), Quantity: 1}}, Shipping: standard, Discount: &Discount{Kind: Percent, Value: 10}}, 80000, 8000, 6000, 0, 78000},
		{"free-shipping code",
			Input{Lines: []Line{{UnitPrice: zar(1000), Quantity: 2}}, Shipping: standard, Discount: &Discount{Kind: FreeShipping}}, 2000, 0, 0, 0, 2000},
		{"VAT covers shipping too (inclusive)",
			// (720 + 60) × 15/115 = 101.739… → 101.74
			Input{Lines: []Line{{UnitPrice: zar(40000), Quantity: 2}}, Shipping: standard, Discount: &Discount{Kind: Percent, Value: 10}, Tax: vat, TaxIncluded: true}, 80000, 8000, 6000, 10174, 78000},
		{"empty cart", Input{}, 0, 0, 0, 0, 0},
	} {
		tc.in.Currency = "ZAR"
		got, err := Compute(tc.in)
		if err != nil {
			t.Fatalf("%s: %v", tc.what, err)
		}
		if got.Subtotal.Amount != tc.sub || got.Discount.Amount != tc.disc || got.Shipping.Amount != tc.ship || got.Tax.Amount != tc.tax || got.Total.Amount != tc.total {
			t.Errorf("%s: got sub %d disc %d ship %d tax %d total %d; want %d %d %d %d %d", tc.what,
				got.Subtotal.Amount, got.Discount.Amount, got.Shipping.Amount, got.Tax.Amount, got.Total.Amount, tc.sub, tc.disc, tc.ship, tc.tax, tc.total)
		}
		if got.Total.Currency != "ZAR" {
			t.Errorf("%s: currency %q", tc.what, got.Total.Currency)
		}
	}
}

func TestComputeRefuses(t *testing.T) {
	if _, err := Compute(Input{Currency: "ZAR", Lines: []Line{{UnitPrice: ocean.Money{Amount: 100, Currency: "USD"}, Quantity: 1}}}); ocean.ErrorCode(err) != ocean.EUNPROCESSABLE {
		t.Errorf("mixed currencies: %v", err)
	}
	if _, err := Compute(Input{Currency: "ZAR", Lines: []Line{{UnitPrice: zar(1 << 50), Quantity: 99}}}); err == nil {
		t.Error("an overflowing subtotal was computed")
	}
	if _, err := Compute(Input{Currency: "ZAR", Shipping: &ShippingMethod{Price: ocean.Money{Amount: 1, Currency: "EUR"}}}); err == nil {
		t.Error("shipping in another currency was added")
	}
}

func TestDiscountRules(t *testing.T) {
	now := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	later, earlier := now.Add(time.Hour), now.Add(-time.Hour)
	one := 1
	for _, tc := range []struct {
		what string
		d    Discount
		sub  int64
		ok   bool
	}{
		{"plain", Discount{Code: "A", Kind: Percent, Value: 10}, 100, true},
		{"not started", Discount{Code: "A", Kind: Percent, Value: 10, StartsAt: &later}, 100, false},
		{"ended", Discount{Code: "A", Kind: Percent, Value: 10, EndsAt: &earlier}, 100, false},
		{"ends exactly now", Discount{Code: "A", Kind: Percent, Value: 10, EndsAt: &now}, 100, false},
		{"used up", Discount{Code: "A", Kind: Percent, Value: 10, UsageLimit: &one, Used: 1}, 100, false},
		{"below minimum", Discount{Code: "A", Kind: Percent, Value: 10, MinSubtotal: 101}, 100, false},
		{"at minimum", Discount{Code: "A", Kind: Percent, Value: 10, MinSubtotal: 100}, 100, true},
		{"other currency", Discount{Code: "A", Kind: Fixed, Value: 10, Currency: "USD"}, 100, false},
	} {
		err := tc.d.Check(zar(tc.sub), now)
		if (err == nil) != tc.ok {
			t.Errorf("%s: %v", tc.what, err)
		}
		if err != nil && ocean.ErrorCode(err) != ocean.EUNPROCESSABLE {
			t.Errorf("%s: code %s", tc.what, ocean.ErrorCode(err))
		}
	}
	zero := 0
	for _, bad := range []Discount{
		{Code: "x", Kind: Percent, Value: 10},
		{Code: "BAD CODE", Kind: Percent, Value: 10},
		{Code: "OK10", Kind: Percent, Value: 0},
		{Code: "OK10", Kind: Percent, Value: 101},
		{Code: "OK10", Kind: Fixed, Value: 100},
		{Code: "OK10", Kind: "bogus"},
		{Code: "OK10", Kind: Percent, Value: 5, StartsAt: &later, EndsAt: &earlier},
		{Code: "OK10", Kind: Percent, Value: 5, UsageLimit: &zero},
		{Code: "OK10", Kind: Percent, Value: 5, MinSubtotal: -1},
	} {
		if err := bad.Validate(); ocean.ErrorCode(err) != ocean.EINVALID || len(ocean.ErrorFields(err)) == 0 {
			t.Errorf("%+v validated: %v", bad, err)
		}
	}
	d := Discount{Code: " welcome10 ", Kind: Percent, Value: 10}
	if err := d.Validate(); err != nil || d.Code != "WELCOME10" {
		t.Errorf("normalised code %q: %v", d.Code, err)
	}
}

// TestCheckMessages are the sentences a shopper reads when a code does not
// apply: each names the code and what to do about it.
func TestCheckMessages(t *testing.T) {
	now := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	later, earlier := now.Add(time.Hour), now.Add(-time.Hour)
	one := 1
	for _, tc := range []struct {
		d    Discount
		sub  ocean.Money
		want string
	}{
		{Discount{Code: "XMAS", Kind: Percent, Value: 10, StartsAt: &later}, zar(100), "The code XMAS is not valid yet."},
		{Discount{Code: "XMAS", Kind: Percent, Value: 10, EndsAt: &earlier}, zar(100), "The code XMAS has expired."},
		{Discount{Code: "XMAS", Kind: Percent, Value: 10, UsageLimit: &one, Used: 1}, zar(100), "The code XMAS has been used up."},
		{Discount{Code: "XMAS", Kind: Fixed, Value: 500, Currency: "USD"}, zar(100), "The code XMAS is for USD prices."},
		{Discount{Code: "XMAS", Kind: Percent, Value: 10, MinSubtotal: 50000}, zar(100), "The code XMAS needs a subtotal of at least R500.00."},
	} {
		if got := ocean.ErrorMessage(tc.d.Check(tc.sub, now)); got != tc.want {
			t.Errorf("got %q, want %q", got, tc.want)
		}
	}
	// An empty cart has no currency yet: a fixed code is not refused for that.
	if err := (&Discount{Code: "FIVE", Kind: Fixed, Value: 500, Currency: "USD"}).Check(ocean.Money{}, now); err != nil {
		t.Errorf("empty cart: %v", err)
	}
}

// TestValidateFields names every field that is wrong, at once.
func TestValidateFields(t *testing.T) {
	zero := 0
	later := time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC)
	earlier := later.Add(-time.Hour)
	d := Discount{Code: "no", Kind: Fixed, Value: 0, MinSubtotal: -5, StartsAt: &later, EndsAt: &earlier, UsageLimit: &zero, PerCustomerLimit: &zero}
	err := d.Validate()
	got := map[string]bool{}
	for _, f := range ocean.ErrorFields(err) {
		got[f.Field] = true
	}
	for _, f := range []string{"code", "value", "currency", "min_subtotal", "ends_at", "usage_limit", "per_customer_limit"} {
		if !got[f] {
			t.Errorf("no error for %s: %+v", f, ocean.ErrorFields(err))
		}
	}
	if ocean.ErrorMessage(err) != "The discount is not valid." {
		t.Errorf("message %q", ocean.ErrorMessage(err))
	}
	for _, ok := range []Discount{
		{Code: "FREESHIP", Kind: FreeShipping},
		{Code: "ALL-100", Kind: Percent, Value: 100},
		{Code: "R50_OFF", Kind: Fixed, Value: 5000, Currency: "ZAR", UsageLimit: new(int), PerCustomerLimit: new(int)},
	} {
		if ok.UsageLimit != nil {
			*ok.UsageLimit, *ok.PerCustomerLimit = 1, 1
		}
		if err := ok.Validate(); err != nil {
			t.Errorf("%s refused: %v", ok.Code, err)
		}
	}
	if err := (&Discount{Code: strings.Repeat("A", 33), Kind: FreeShipping}).Validate(); err == nil {
		t.Error("a 33-character code validated")
	}
}

// TestComputeEdges: a line too large to price is refused before it can
// overflow, a zero rate names no tax, and tax-exclusive VAT covers shipping.
func TestComputeEdges(t *testing.T) {
	for _, l := range []Line{
		{UnitPrice: zar(1 << 44), Quantity: 2},
		{UnitPrice: zar(-1), Quantity: 1},
		{UnitPrice: zar(1), Quantity: -1},
	} {
		_, err := Compute(Input{Currency: "ZAR", Lines: []Line{l}})
		if ocean.ErrorMessage(err) != "A line of the cart is too large to price; lower its quantity." {
			t.Errorf("%+v: %v", l, err)
		}
	}
	got, err := Compute(Input{Currency: "ZAR", Lines: []Line{{UnitPrice: zar(1000), Quantity: 1}}, Tax: &TaxRate{Country: "HK", Name: "None", RateBP: 0}})
	if err != nil || got.Tax.Amount != 0 || got.TaxName != "" || got.Total.Amount != 1000 {
		t.Errorf("zero rate: %+v, %v", got, err)
	}
	ship := &ShippingMethod{Price: zar(999)}
	// (1000 + 9.99) × 15% = 151.4985 → 151.50: one rounding, on the sum.
	got, err = Compute(Input{Currency: "ZAR", Lines: []Line{{UnitPrice: zar(100000), Quantity: 1}}, Shipping: ship, Tax: &TaxRate{Name: "VAT", RateBP: 1500}})
	if err != nil || got.Tax.Amount != 15150 || got.Total.Amount != 100999+15150 || got.TaxName != "VAT" {
		t.Errorf("exclusive with shipping: %+v, %v", got, err)
	}
}
