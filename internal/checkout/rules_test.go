package checkout_test

import (
	"testing"

	"github.com/oceanshop/ocean/internal/checkout"
	"github.com/oceanshop/ocean/internal/pricing"
)

// TestRulesCached: a quote or checkout reads the settings, the
// destination's shipping methods and its tax rate once per RulesTTL; a
// change made through this instance applies to the very next quote, one
// made elsewhere (another instance: straight in the database) within
// RulesTTL.
func TestRulesCached(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	boss := pricing.Actor{ID: 1, Name: "boss@example.com"}
	cartID := e.newCart(0, e.tee, 1)
	quote := func() (pricing.Totals, int64) {
		t.Helper()
		before := e.db.Queries()
		_, tot, err := e.svc.Quote(e.ctx, cartID, 0, "ZA", "standard")
		if err != nil {
			t.Fatal(err)
		}
		return tot, e.db.Queries() - before
	}
	first, cold := quote()
	again, warm := quote()
	if again != first || cold-warm != 3 {
		t.Fatalf("cold quote %d queries, warm %d (want 3 fewer: settings, methods, tax); %+v vs %+v", cold, warm, first, again)
	}
	// Tax is on the goods and the shipping: 200.00 + 60.00.
	if first.Tax.Amount != 3900 {
		t.Fatalf("tax %+v, want 15%% of 260.00", first.Tax)
	}

	// Through this instance: at once.
	if _, err := e.svc.SetTaxRate(e.ctx, pricing.TaxRate{Country: "ZA", Name: "VAT 20%", RateBP: 2000}, boss); err != nil {
		t.Fatal(err)
	}
	if got, _ := quote(); got.Tax.Amount != 5200 || got.TaxName != "VAT 20%" {
		t.Fatalf("after this instance's change: %+v", got)
	}

	// Elsewhere: within RulesTTL, and not a query more before it.
	if err := e.db.Commerce().SetTaxRate(e.ctx, pricing.TaxRate{Country: "ZA", Name: "VAT 10%", RateBP: 1000}); err != nil {
		t.Fatal(err)
	}
	if got, _ := quote(); got.Tax.Amount != 5200 {
		t.Fatalf("another instance's change read at once (a query per quote): %+v", got)
	}
	e.clock.Add(checkout.RulesTTL)
	if got, _ := quote(); got.Tax.Amount != 2600 || got.TaxName != "VAT 10%" {
		t.Fatalf("another instance's change after RulesTTL: %+v", got)
	}

	// The settings too: a country dropped from the shop's list is refused
	// at once.
	st, err := e.svc.Settings(e.ctx)
	if err != nil {
		t.Fatal(err)
	}
	st.Countries = []string{"NA"}
	if _, err := e.svc.UpdateSettings(e.ctx, *st, boss); err != nil {
		t.Fatal(err)
	}
	if _, _, err := e.svc.Quote(e.ctx, cartID, 0, "ZA", "standard"); err == nil {
		t.Fatal("quoted for a country the shop no longer ships to")
	}
}
