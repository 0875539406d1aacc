package storetest

import (
	"strings"
	"sync"
	"testing"

	"github.com/oceanshop/ocean/internal/ocean"
	"github.com/oceanshop/ocean/internal/pricing"
)

// testZones: zones hold countries (each in one zone only) and methods;
// the listing for a country reads its zone, else the rest of the world's;
// stale versions change nothing; every change is in the audit log.
func testZones(t *testing.T, f *shop) {
	boss := pricing.Actor{ID: 7, Name: "boss@example.com"}
	sa := &pricing.Zone{Name: "Southern Africa", Countries: []string{"ZA", "NA", "BW"}}
	if err := f.s.CreateZone(ctx, sa, boss); err != nil || sa.ID == 0 || sa.Version != 1 {
		t.Fatalf("create zone: %+v, %v", sa, err)
	}
	row := &pricing.Zone{Name: "Rest of the world", Countries: []string{pricing.RestOfWorld}, Position: 9}
	if err := f.s.CreateZone(ctx, row, boss); err != nil {
		t.Fatal(err)
	}
	// A name or a country another zone has is a conflict naming the field.
	for what, z := range map[string]*pricing.Zone{
		"name":        {Name: "Southern Africa", Countries: []string{"DE"}},
		"countries":   {Name: "Namibia", Countries: []string{"NA"}},
		"second rest": {Name: "Elsewhere", Countries: []string{"*"}},
	} {
		err := f.s.CreateZone(ctx, z, boss)
		wantCode(t, what, err, ocean.ECONFLICT)
	}
	if zs, err := f.s.Zones(ctx); err != nil || len(zs) != 2 {
		t.Fatalf("refused zones left something: %+v, %v", zs, err)
	}

	free := int64(75000)
	std := &pricing.ShippingMethod{ZoneID: sa.ID, Code: "standard", Name: "Standard", Price: zar(6000), FreeAbove: &free, Position: 1}
	heavy := &pricing.ShippingMethod{ZoneID: sa.ID, Code: "freight", Name: "Freight", Price: zar(0), Position: 2,
		WeightRates: []pricing.WeightRate{{UpTo: 2000, Price: 9000}, {UpTo: 10000, Price: 20000}}}
	intl := &pricing.ShippingMethod{ZoneID: row.ID, Code: "international", Name: "International courier", Price: zar(45000)}
	for _, m := range []*pricing.ShippingMethod{std, heavy, intl} {
		if err := f.s.AddShippingMethod(ctx, m, boss); err != nil || m.ID == 0 || m.Version != 1 {
			t.Fatalf("add %s: %+v, %v", m.Code, m, err)
		}
	}
	wantCode(t, "same code in the zone", f.s.AddShippingMethod(ctx, &pricing.ShippingMethod{ZoneID: sa.ID, Code: "standard", Name: "Again", Price: zar(1)}, boss), ocean.ECONFLICT)
	wantCode(t, "method in a missing zone", f.s.AddShippingMethod(ctx, &pricing.ShippingMethod{ZoneID: 99999, Code: "x", Name: "X", Price: zar(1)}, boss), ocean.ENOTFOUND)
	// The same code in another zone is fine.
	if err := f.s.AddShippingMethod(ctx, &pricing.ShippingMethod{ZoneID: row.ID, Code: "standard", Name: "Economy", Price: zar(30000), Position: 1}, boss); err != nil {
		t.Fatal(err)
	}

	// Namibia is in Southern Africa: its methods, never the international
	// courier; Germany is in no zone: the rest of the world's.
	na, err := f.s.ShippingMethods(ctx, "NA")
	if err != nil || len(na) != 2 || na[0].Code != "standard" || na[1].Code != "freight" || len(na[1].WeightRates) != 2 || na[1].WeightRates[1].Price != 20000 {
		t.Fatalf("NA methods = %+v, %v", na, err)
	}
	de, err := f.s.ShippingMethods(ctx, "DE")
	if err != nil || len(de) != 2 || de[0].Code != "international" || de[1].Code != "standard" || de[0].Country != "*" {
		t.Fatalf("DE methods = %+v, %v", de, err)
	}

	// A stale zone write changes nothing; a fresh one moves Botswana out,
	// after which Botswana is the rest of the world's.
	next := *sa
	next.Countries = []string{"ZA", "NA"}
	next.Name = "South Africa and Namibia"
	got, err := f.s.UpdateZone(ctx, next, boss)
	if err != nil || got.Version != 2 || got.Name != "South Africa and Namibia" || len(got.Countries) != 2 || len(got.Methods) != 2 {
		t.Fatalf("update zone = %+v, %v", got, err)
	}
	_, err = f.s.UpdateZone(ctx, next, boss)
	wantCode(t, "stale zone", err, ocean.ESTALE)
	if bw, err := f.s.ShippingMethods(ctx, "BW"); err != nil || len(bw) != 2 || bw[0].Code != "international" {
		t.Fatalf("BW after leaving the zone = %+v, %v", bw, err)
	}
	// Moving a country into a zone while another has it is a conflict and
	// leaves both zones as they were.
	clash := *got
	clash.Countries = []string{"ZA", "NA", "*"}
	_, err = f.s.UpdateZone(ctx, clash, boss)
	wantCode(t, "country of another zone", err, ocean.ECONFLICT)
	if z, err := f.s.Zone(ctx, sa.ID); err != nil || z.Version != 2 || len(z.Countries) != 2 {
		t.Fatalf("zone after a refused update = %+v, %v", z, err)
	}

	// Methods: stale writes change nothing; a code clash in the target zone
	// is a conflict; of concurrent writers from one version one wins.
	m := *std
	m.Name, m.Price = "Standard (3-5 days)", zar(6500)
	up, err := f.s.UpdateShippingMethod(ctx, m, boss)
	if err != nil || up.Version != 2 || up.Price != zar(6500) || up.FreeAbove == nil || *up.FreeAbove != free {
		t.Fatalf("update method = %+v, %v", up, err)
	}
	_, err = f.s.UpdateShippingMethod(ctx, m, boss)
	wantCode(t, "stale method", err, ocean.ESTALE)
	moved := *up
	moved.ZoneID = row.ID
	_, err = f.s.UpdateShippingMethod(ctx, moved, boss)
	wantCode(t, "code taken in the target zone", err, ocean.ECONFLICT)
	var wg sync.WaitGroup
	var mu sync.Mutex
	wins := 0
	for i := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			w := *up
			w.Position = 10 + i
			if _, err := f.s.UpdateShippingMethod(ctx, w, boss); err == nil {
				mu.Lock()
				wins++
				mu.Unlock()
			} else if ocean.ErrorCode(err) != ocean.ESTALE {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if wins != 1 {
		t.Fatalf("%d concurrent writers from one version won; want 1", wins)
	}

	// Deleting: stale is refused; the zone takes its methods with it.
	wantCode(t, "stale method delete", f.s.DeleteShippingMethod(ctx, heavy.ID, 9, boss), ocean.ESTALE)
	if err := f.s.DeleteShippingMethod(ctx, heavy.ID, 1, boss); err != nil {
		t.Fatal(err)
	}
	_, err = f.s.ShippingMethod(ctx, heavy.ID)
	wantCode(t, "deleted method", err, ocean.ENOTFOUND)
	wantCode(t, "stale zone delete", f.s.DeleteZone(ctx, row.ID, 5, boss), ocean.ESTALE)
	if err := f.s.DeleteZone(ctx, row.ID, 1, boss); err != nil {
		t.Fatal(err)
	}
	_, err = f.s.ShippingMethod(ctx, intl.ID)
	wantCode(t, "method of a deleted zone", err, ocean.ENOTFOUND)
	if de, err := f.s.ShippingMethods(ctx, "DE"); err != nil || len(de) != 0 {
		t.Fatalf("DE with no rest-of-world zone = %+v, %v", de, err)
	}
	wantCode(t, "deleted zone", f.s.DeleteZone(ctx, row.ID, 1, boss), ocean.ENOTFOUND)

	// Tax rates through the audited write.
	if _, err := f.s.PutTaxRate(ctx, pricing.TaxRate{Country: "NA", Name: "VAT", RateBP: 1500}, boss); err != nil {
		t.Fatal(err)
	}
	if _, err := f.s.PutTaxRate(ctx, pricing.TaxRate{Country: "NA", Name: "VAT", RateBP: 1600}, boss); err != nil {
		t.Fatal(err)
	}

	// The audit log: newest first, who, and before/after of each change.
	log, err := f.s.SettingsAudit(ctx, 100)
	if err != nil {
		t.Fatal(err)
	}
	if len(log) < 10 || log[0].Entity != "tax_rate" || log[0].Action != "update" || !strings.Contains(log[0].Before, "1500") || !strings.Contains(log[0].After, "1600") ||
		log[0].Actor != "boss@example.com" || log[0].ActorID != 7 || log[0].At.IsZero() {
		t.Fatalf("audit = %+v", log[:min(3, len(log))])
	}
	var zoneUpdate *pricing.AuditEntry
	for i := range log {
		if log[i].Entity == "zone" && log[i].Action == "update" {
			zoneUpdate = &log[i]
		}
	}
	if zoneUpdate == nil || !strings.Contains(zoneUpdate.Before, "BW") || strings.Contains(zoneUpdate.After, "BW") || zoneUpdate.Version != 2 {
		t.Fatalf("zone update entry = %+v", zoneUpdate)
	}
	if short, err := f.s.SettingsAudit(ctx, 2); err != nil || len(short) != 2 {
		t.Fatalf("limit: %d, %v", len(short), err)
	}

	// Prices are never converted: with a method priced in ZAR the currency
	// cannot change, and the refusal writes nothing.
	st, err := f.s.Settings(ctx)
	if err != nil {
		t.Fatal(err)
	}
	usd := *st
	usd.Currency = "USD"
	_, err = f.s.UpdateSettings(ctx, usd, boss)
	wantCode(t, "currency change with ZAR prices", err, ocean.EUNPROCESSABLE)
	if again, err := f.s.Settings(ctx); err != nil || again.Currency != "ZAR" || again.Version != st.Version {
		t.Fatalf("after a refused currency change = %+v, %v", again, err)
	}
}
