package web_test

import (
	"context"
	"net/url"
	"strings"
	"testing"

	"github.com/oceanshop/ocean/internal/pricing"
)

// TestFooterFollowsSettings: the footer's free-delivery promise and tax
// notice come from the settings, the home zone's methods and its tax rate,
// and a change made in the admin or through the services shows on the very
// next page.
func TestFooterFollowsSettings(t *testing.T) {
	s := newOffice(t)
	ctx := context.Background()
	shopper := s.browser(t)
	boss := s.owner(t)
	who := pricing.Actor{ID: 1, Name: ownerEmail}
	footer := func() string {
		t.Helper()
		v := shopper.get("/")
		if v.status != 200 {
			t.Fatalf("home: %d", v.status)
		}
		i := strings.Index(v.body, `<footer class="site-footer">`)
		if i < 0 {
			t.Fatal("no footer")
		}
		return v.body[i:]
	}
	want := func(what string, has, hasNot []string) {
		t.Helper()
		f := footer()
		for _, x := range has {
			if !strings.Contains(f, x) {
				t.Errorf("%s: the footer lacks %q:\n%s", what, x, f)
			}
		}
		for _, x := range hasNot {
			if strings.Contains(f, x) {
				t.Errorf("%s: the footer still says %q", what, x)
			}
		}
	}
	// The demo rules: standard delivery free from R750, VAT 15% included.
	want("demo rules", []string{"Free delivery on orders over R750<", "Prices include VAT."}, nil)

	// The admin unticks "prices include tax": the next page says so.
	st, err := s.app.Checkout.Settings(ctx)
	if err != nil {
		t.Fatal(err)
	}
	v := boss.submit("/admin/settings", "/admin/settings", url.Values{"shop_name": {st.ShopName}, "contact_email": {st.ContactEmail}, "currency": {st.Currency},
		"countries": {strings.Join(st.Countries, ", ")}, "version": {"1"}})
	wantPage(t, v, 200, "The settings are saved.")
	want("tax excluded", []string{"Prices exclude VAT, which is added at checkout."}, []string{"Prices include"})

	// The home zone's rate replaces the country's: its name is the notice's.
	zones, err := s.app.Checkout.Zones(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var home *pricing.Zone
	for i := range zones {
		if zones[i].Covers("ZA") {
			home = &zones[i]
		}
	}
	if home == nil {
		t.Fatal("no zone for ZA")
	}
	if err := s.app.Checkout.DeleteTaxRate(ctx, pricing.TaxRate{Country: "ZA"}, who); err != nil {
		t.Fatal(err)
	}
	if _, err := s.app.Checkout.SetTaxRate(ctx, pricing.TaxRate{ZoneID: home.ID, Name: "GST 10%", RateBP: 1000}, who); err != nil {
		t.Fatal(err)
	}
	want("zone rate", []string{"Prices exclude GST, which is added at checkout."}, []string{"VAT"})

	// A new free-over amount, in the shop's currency, cents when it has them.
	var std pricing.ShippingMethod
	for _, m := range home.Methods {
		if m.FreeAbove != nil {
			std = m
		}
	}
	if std.ID == 0 {
		t.Fatal("no free-over method in the home zone")
	}
	free := int64(99950)
	std.FreeAbove = &free
	up, err := s.app.Checkout.UpdateMethod(ctx, std, who)
	if err != nil {
		t.Fatal(err)
	}
	want("free over R999.50", []string{"Free delivery on orders over R999.50<"}, []string{"R750"})

	// No method is free from an amount: no promise at all.
	up.FreeAbove = nil
	if _, err := s.app.Checkout.UpdateMethod(ctx, *up, who); err != nil {
		t.Fatal(err)
	}
	want("nothing free", nil, []string{"Free delivery"})
}
