package pricing

import (
	"strings"
	"testing"

	"github.com/oceanshop/ocean/internal/ocean"
)

func TestQuoteByWeightAndFreeOver(t *testing.T) {
	free := int64(100000)
	m := ShippingMethod{Price: zar(6000)}
	if c, ok := m.Quote(50000, 99999); !ok || c != 6000 || m.Kind() != RateFlat {
		t.Fatalf("flat = %d %v", c, ok)
	}
	m.WeightRates = []WeightRate{{UpTo: 1000, Price: 12000}, {UpTo: 5000, Price: 25000}}
	m.FreeAbove = &free
	for _, c := range []struct {
		sub, grams, cost int64
		ok               bool
	}{{0, 0, 12000, true}, {0, 1000, 12000, true}, {0, 1001, 25000, true}, {0, 5000, 25000, true}, {0, 5001, 0, false}, {100000, 3000, 0, true}, {100000, 9000, 0, false}} {
		if got, ok := m.Quote(c.sub, c.grams); got != c.cost || ok != c.ok {
			t.Errorf("Quote(%d, %d) = %d %v; want %d %v", c.sub, c.grams, got, ok, c.cost, c.ok)
		}
	}
	if m.Kind() != RateWeight {
		t.Fatal(m.Kind())
	}
	// Compute refuses a cart too heavy for the chosen method.
	_, err := Compute(Input{Currency: "ZAR", Lines: []Line{{UnitPrice: zar(100), Quantity: 1}}, Shipping: &m, Weight: 6000})
	if ocean.ErrorCode(err) != ocean.EUNPROCESSABLE || !strings.Contains(err.Error(), "6 kg") {
		t.Fatalf("too heavy: %v", err)
	}
	tot, err := Compute(Input{Currency: "ZAR", Lines: []Line{{UnitPrice: zar(100), Quantity: 1}}, Shipping: &m, Weight: 1200})
	if err != nil || tot.Shipping != zar(25000) {
		t.Fatalf("1.2 kg = %+v, %v", tot, err)
	}
}

func TestGrams(t *testing.T) {
	for g, want := range map[int64]string{0: "0 g", 850: "850 g", 1000: "1 kg", 1250: "1.25 kg", 6000: "6 kg", 12345: "12.345 kg"} {
		if got := Grams(g); got != want {
			t.Errorf("Grams(%d) = %q; want %q", g, got, want)
		}
	}
}

func TestZoneAndMethodValidation(t *testing.T) {
	z := Zone{Name: "  Southern   Africa ", Countries: []string{"za", " NA", "", "ZA", "*"}}
	z.Normalize()
	if z.Name != "Southern Africa" || strings.Join(z.Countries, ",") != "ZA,NA,*" || !z.Covers("NA") || z.Covers("BW") || z.Validate() != nil {
		t.Fatalf("zone = %+v, %v", z, z.Validate())
	}
	bad := Zone{Name: strings.Repeat("x", 61), Countries: []string{"XX"}, Position: -1}
	err := bad.Validate()
	if fe := fieldsOf(err); fe != "name,countries,position" {
		t.Fatalf("bad zone fields = %s (%v)", fe, err)
	}
	if fe := fieldsOf((&Zone{Name: "Empty"}).Validate()); fe != "countries" {
		t.Fatalf("no countries: %s", fe)
	}

	m := ShippingMethod{Code: " Express ", Name: " Next  day ", Price: ocean.Money{Amount: 100, Currency: "zar"},
		WeightRates: []WeightRate{{UpTo: 2000, Price: 1}, {UpTo: 1000, Price: 2}}}
	m.Normalize()
	if m.Code != "express" || m.Name != "Next day" || m.Price.Currency != "ZAR" || m.WeightRates[0].UpTo != 1000 || m.Validate("ZAR") != nil {
		t.Fatalf("method = %+v, %v", m, m.Validate("ZAR"))
	}
	neg := int64(-1)
	many := make([]WeightRate, 21)
	for i := range many {
		many[i] = WeightRate{UpTo: int64(i + 1), Price: 1}
	}
	for want, m := range map[string]ShippingMethod{
		"code,name,rate.amount,rate.currency": {Code: "x", Price: ocean.Money{Amount: -1, Currency: "USD"}},
		"free_over.amount":                    {Code: "ok", Name: "Ok", Price: zar(1), FreeAbove: &neg},
		"weight_rates":                        {Code: "ok", Name: "Ok", Price: zar(1), WeightRates: many},
		"weight_rates[0].up_to_grams,weight_rates[1].price": {Code: "ok", Name: "Ok", Price: zar(1),
			WeightRates: []WeightRate{{UpTo: 0, Price: 1}, {UpTo: 5, Price: MaxRate + 1}}},
		"weight_rates[1].up_to_grams": {Code: "ok", Name: "Ok", Price: zar(1), WeightRates: []WeightRate{{UpTo: 5, Price: 1}, {UpTo: 5, Price: 2}}},
		"position":                    {Code: "ok", Name: "Ok", Price: zar(1), Position: 10001},
	} {
		if got := fieldsOf(m.Validate("ZAR")); got != want {
			t.Errorf("fields = %s; want %s", got, want)
		}
	}
}

func fieldsOf(err error) string {
	var fs []string
	for _, f := range ocean.ErrorFields(err) {
		fs = append(fs, f.Field)
	}
	return strings.Join(fs, ",")
}
