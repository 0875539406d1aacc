package checkout_test

import (
	"testing"

	"github.com/oceanshop/ocean/internal/ocean"
	"github.com/oceanshop/ocean/internal/pricing"
)

// The zone and method rules the admin page and the API share: countries
// the shop ships to, prices in the shop's currency, quotes by weight.
func TestZoneAndMethodRules(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	boss := pricing.Actor{ID: 1, Name: "boss@example.com"}
	code := func(err error) string { return ocean.ErrorCode(err) }

	bad := &pricing.Zone{Name: " ", Countries: []string{"zz"}}
	if err := e.svc.CreateZone(e.ctx, bad, boss); code(err) != ocean.EINVALID || len(ocean.ErrorFields(err)) != 2 {
		t.Fatalf("bad zone: %v", err)
	}
	if err := e.svc.CreateZone(e.ctx, &pricing.Zone{Name: "Brazil", Countries: []string{"BR"}}, boss); code(err) != ocean.EUNPROCESSABLE {
		t.Fatalf("zone for a country not shipped to: %v", err)
	}
	z := &pricing.Zone{Name: "  Neighbours ", Countries: []string{" na", "BW", "na"}}
	if err := e.svc.CreateZone(e.ctx, z, boss); err != nil || z.Name != "Neighbours" || len(z.Countries) != 2 || z.Countries[0] != "NA" {
		t.Fatalf("zone = %+v, %v", z, err)
	}

	// A method without a currency takes the shop's; another currency, no
	// zone, or clashing brackets are refused.
	m := &pricing.ShippingMethod{ZoneID: z.ID, Code: " Road ", Name: "Road", Price: ocean.Money{Amount: 0},
		WeightRates: []pricing.WeightRate{{UpTo: 5000, Price: 25000}, {UpTo: 1000, Price: 12000}}}
	if err := e.svc.CreateMethod(e.ctx, m, boss); err != nil || m.Code != "road" || m.Price.Currency != "ZAR" || m.WeightRates[0].UpTo != 1000 {
		t.Fatalf("method = %+v, %v", m, err)
	}
	for name, bad := range map[string]pricing.ShippingMethod{
		"currency": {ZoneID: z.ID, Code: "usd", Name: "USD", Price: ocean.Money{Amount: 1, Currency: "USD"}},
		"zone":     {Code: "nozone", Name: "No zone", Price: ocean.Money{Amount: 1}},
		"brackets": {ZoneID: z.ID, Code: "dup", Name: "Dup", WeightRates: []pricing.WeightRate{{UpTo: 10, Price: 1}, {UpTo: 10, Price: 2}}},
		"free":     {ZoneID: z.ID, Code: "free", Name: "Free", FreeAbove: new(int64(-1))},
		"position": {ZoneID: z.ID, Code: "pos", Name: "Pos", Position: -1},
	} {
		if err := e.svc.CreateMethod(e.ctx, &bad, boss); code(err) != ocean.EINVALID {
			t.Errorf("%s: %v", name, err)
		}
	}

	// Quotes for a cart: by weight, free over the amount, not offered when
	// too heavy.
	free := int64(100000)
	m.FreeAbove = &free
	up, err := e.svc.UpdateMethod(e.ctx, *m, boss)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		sub, grams, cost int64
		ok               bool
	}{{20000, 600, 12000, true}, {20000, 2400, 25000, true}, {150000, 2400, 0, true}, {20000, 6000, 0, false}} {
		qs, err := e.svc.QuoteMethods(e.ctx, "NA", c.sub, c.grams)
		if err != nil || len(qs) != 1 || qs[0].Cost.Amount != c.cost || qs[0].Available != c.ok || (c.ok != (qs[0].Reason == "")) {
			t.Fatalf("quote %+v = %+v, %v", c, qs, err)
		}
	}
	if _, err := e.svc.QuoteMethods(e.ctx, "BR", 1, 1); code(err) != ocean.EUNPROCESSABLE {
		t.Fatalf("quote for a country not shipped to: %v", err)
	}

	// Zone updates keep to the same rules; deletes and reads go through.
	z.Countries = []string{"NA", "BR"}
	if _, err := e.svc.UpdateZone(e.ctx, *z, boss); code(err) != ocean.EUNPROCESSABLE {
		t.Fatalf("update to a country not shipped to: %v", err)
	}
	z.Countries = []string{""}
	if _, err := e.svc.UpdateZone(e.ctx, *z, boss); code(err) != ocean.EINVALID {
		t.Fatalf("update to no countries: %v", err)
	}
	if got, err := e.svc.ShippingMethod(e.ctx, up.ID); err != nil || got.Version != 2 {
		t.Fatalf("method = %+v, %v", got, err)
	}
	if err := e.svc.DeleteMethod(e.ctx, up.ID, up.Version, boss); err != nil {
		t.Fatal(err)
	}
	if err := e.svc.DeleteZone(e.ctx, z.ID, z.Version, boss); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.Zone(e.ctx, z.ID); code(err) != ocean.ENOTFOUND {
		t.Fatalf("deleted zone: %v", err)
	}
	if log, err := e.svc.SettingsAudit(e.ctx, 10); err != nil || len(log) < 4 || log[0].Entity != "zone" || log[0].Action != "delete" {
		t.Fatalf("audit = %+v, %v", log, err)
	}
}
