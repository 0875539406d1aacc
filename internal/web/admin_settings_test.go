package web_test

import (
	"context"
	"net/url"
	"strconv"
	"strings"
	"testing"
)

// The settings page: the shop's settings, tax rates, zones and methods, with
// the same rules as the API, and a save that lost a race says who changed
// what and keeps what the admin typed.
func TestAdminSettingsPage(t *testing.T) {
	s := newOffice(t)
	ctx := context.Background()
	boss := s.owner(t)
	wantPage(t, boss.get("/admin/settings"), 200, "The shop", "Tax rates", "South Africa", "Rest of the world", "Standard delivery")
	other := s.browser(t)
	other.register("ann@example.com", "Ann", pw)
	wantPage(t, other.get("/admin/settings"), 404)

	// Bad input: each field says what is wrong, nothing is saved.
	v := boss.submit("/admin/settings", "/admin/settings", url.Values{"shop_name": {""}, "contact_email": {"nope"}, "currency": {"rand"}, "countries": {"ZA, XX"}, "version": {"1"}})
	wantRefused(t, v, "Shop name is required", "Currency must be an ISO 4217 currency code", "XX is not an ISO 3166-1")
	if !strings.Contains(v.body, `value="nope"`) {
		t.Error("the form forgot what was typed")
	}

	// A save from version 1, then another from the same version: the
	// second is told who changed what, keeps its input, and saves on a
	// second try.
	v = boss.submit("/admin/settings", "/admin/settings", url.Values{"shop_name": {"Kelp & Co"}, "contact_email": {"hi@kelp.example"}, "currency": {"ZAR"}, "countries": {"ZA, NA, BW"}, "version": {"1"}})
	wantAt(t, v, "/admin/settings")
	wantPage(t, v, 200, "The settings are saved.")
	if st, err := s.app.Checkout.Settings(ctx); err != nil || st.ShopName != "Kelp & Co" || st.PricesIncludeTax || len(st.Countries) != 3 {
		t.Fatalf("saved = %+v, %v", st, err)
	}
	v = boss.submit("/admin/settings", "/admin/settings", url.Values{"shop_name": {"Lost Change"}, "contact_email": {"shop@example.com"}, "currency": {"ZAR"}, "countries": {"ZA"}, "prices_include_tax": {"on"}, "version": {"1"}})
	wantRefused(t, v, ownerEmail+" saved this at", "changing", "Your changes are below and were not saved")
	if !strings.Contains(v.body, `value="Lost Change"`) || !strings.Contains(v.body, `name="version" value="2"`) {
		t.Fatalf("the conflict lost the input or the version:\n%s", v.body)
	}
	if st, _ := s.app.Checkout.Settings(ctx); st.ShopName != "Kelp & Co" {
		t.Fatalf("a stale save changed the settings: %+v", st)
	}
	v = boss.submit("/admin/settings", "/admin/settings", url.Values{"shop_name": {"Lost Change"}, "contact_email": {"shop@example.com"}, "currency": {"ZAR"}, "countries": {"ZA, NA"}, "prices_include_tax": {"on"}, "version": {"2"}})
	wantPage(t, v, 200, "The settings are saved.")
	// The currency cannot change while the catalog is priced in rand.
	s.product(t, 3, 10000)
	v = boss.submit("/admin/settings", "/admin/settings", url.Values{"shop_name": {"Lost Change"}, "contact_email": {"shop@example.com"}, "currency": {"EUR"}, "countries": {"ZA, NA"}, "version": {"3"}})
	wantRefused(t, v, "prices are not converted")

	// Tax rates.
	wantPage(t, boss.submit("/admin/settings", "/admin/settings/tax", url.Values{"country": {"NA"}, "name": {"VAT 15%"}, "rate": {"15"}}), 200, "The tax rate is saved.", "NA VAT 15% 15%")
	wantRefused(t, boss.submit("/admin/settings", "/admin/settings/tax", url.Values{"country": {"NA"}, "rate": {"lots"}}), "Enter a percentage")
	wantRefused(t, boss.submit("/admin/settings", "/admin/settings/tax", url.Values{"country": {"DE"}, "rate": {"19"}}), "does not ship to DE")

	// Zones: a new one, a taken name, a country of another zone.
	wantPage(t, boss.submit("/admin/settings", "/admin/settings/zones", url.Values{"name": {"Neighbours"}, "countries": {"na"}}), 200, "The shipping zone is saved.", "Neighbours")
	wantRefused(t, boss.submit("/admin/settings", "/admin/settings/zones", url.Values{"name": {"Neighbours"}, "countries": {"NA"}}), "Another shipping zone is called Neighbours")
	wantRefused(t, boss.submit("/admin/settings", "/admin/settings/zones", url.Values{"name": {"Home"}, "countries": {"ZA"}}), "ZA is already in the zone")
	zones, err := s.app.Checkout.Zones(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var nb int64
	for _, z := range zones {
		if z.Name == "Neighbours" {
			nb = z.ID
		}
	}
	zid := strconv.FormatInt(nb, 10)

	// A zone's rate: offered in the form, applies to the zone's countries
	// that have none of their own (NA keeps its 15%); a stale removal
	// removes nothing and says who changed it.
	v = boss.submit("/admin/settings", "/admin/settings/tax", url.Values{"country": {"zone:" + zid}, "name": {"GST"}, "rate": {"7.5"}})
	wantPage(t, v, 200, "The tax rate is saved.", "Zone: Neighbours GST 7.5% Remove", "Namibia (NA) VAT 15%, 15% Its own rate")
	if !strings.Contains(v.body, `<option value="zone:`+zid+`">Zone: Neighbours (NA)</option>`) {
		t.Error("the tax form does not offer the zone")
	}
	wantRefused(t, boss.submit("/admin/settings", "/admin/settings/tax", url.Values{"country": {"zone:" + zid}, "rate": {"101"}}), "Enter a percentage")
	wantRefused(t, boss.submit("/admin/settings", "/admin/settings/tax", url.Values{"country": {"zone:99999"}, "rate": {"10"}}), "no shipping zone 99999")
	wantRefused(t, boss.submit("/admin/settings", "/admin/settings/tax", url.Values{"action": {"delete"}, "country": {"NA"}, "version": {"7"}}), ownerEmail+" saved this at", "Nothing was removed")
	v = boss.submit("/admin/settings", "/admin/settings/tax", url.Values{"action": {"delete"}, "country": {"NA"}, "version": {"1"}})
	wantPage(t, v, 200, "The tax rate is removed.", "Namibia (NA) GST, 7.5% Zone Neighbours")
	if r, err := s.app.Checkout.TaxRate(ctx, "NA"); err != nil || r == nil || r.RateBP != 750 || r.ZoneID != nb {
		t.Fatalf("NA pays %+v, %v; want the zone's 7.5%%", r, err)
	}

	// Methods: by weight, shown in words; bad brackets are explained.
	v = boss.submit("/admin/settings", "/admin/settings/zones/"+zid+"/methods", url.Values{"code": {"road"}, "name": {"Road freight"}, "weight_rates": {"5000=250.00, 1000=120"}, "free_over": {"1000.00"}})
	wantPage(t, v, 200, "The shipping method is saved.", "by weight: up to 1 kg R120.00, up to 5 kg R250.00; free from R1,000.00")
	wantRefused(t, boss.submit("/admin/settings", "/admin/settings/zones/"+zid+"/methods", url.Values{"code": {"x"}, "name": {"X"}, "weight_rates": {"heavy"}}), "grams=price")
	wantRefused(t, boss.submit("/admin/settings", "/admin/settings/zones/"+zid+"/methods", url.Values{"code": {"road"}, "name": {"Again"}, "rate": {"10"}}), "already has a shipping method")
	z, err := s.app.Checkout.Zone(ctx, nb)
	if err != nil || len(z.Methods) != 1 {
		t.Fatalf("zone = %+v, %v", z, err)
	}
	mid := strconv.FormatInt(z.Methods[0].ID, 10)
	// The storefront's API offers it for Namibia.
	if ms, err := s.app.Checkout.ShippingMethods(ctx, "NA"); err != nil || len(ms) != 1 || ms[0].Code != "road" {
		t.Fatalf("NA methods = %+v, %v", ms, err)
	}
	wantPage(t, boss.submit("/admin/settings", "/admin/settings/methods/"+mid, url.Values{"code": {"road"}, "name": {"Road"}, "rate": {"99.00"}, "version": {"1"}}), 200, "The shipping method is saved.", "R99.00")
	v = boss.submit("/admin/settings", "/admin/settings/methods/"+mid, url.Values{"code": {"road"}, "name": {"Stale Road"}, "rate": {"1.00"}, "version": {"1"}})
	wantRefused(t, v, ownerEmail+" saved this at", "Your changes are below")
	if !strings.Contains(v.body, `value="Stale Road"`) {
		t.Error("the method's conflict lost the input")
	}
	wantPage(t, boss.submit("/admin/settings", "/admin/settings/methods/"+mid, url.Values{"action": {"delete"}, "version": {"2"}}), 200, "The shipping method is deleted.")
	wantRefused(t, boss.submit("/admin/settings", "/admin/settings/zones/"+zid, url.Values{"name": {"Namibia"}, "countries": {"NA"}, "version": {"9"}}), "Your changes are below")
	wantPage(t, boss.submit("/admin/settings", "/admin/settings/zones/"+zid, url.Values{"action": {"delete"}, "version": {"1"}}), 200, "The shipping zone and its methods are deleted.")

	// The recent changes say who did what.
	wantPage(t, boss.get("/admin/settings"), 200, "Recent changes", ownerEmail, "delete zone "+zid, "update settings 1: ")
}
