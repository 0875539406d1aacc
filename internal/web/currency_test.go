package web

import (
	"net/url"
	"testing"
)

// The price filter reads amounts in the shop's currency, with its number of
// minor digits (ISO 4217) and its symbol.
func TestPriceFilterInTheShopsCurrency(t *testing.T) {
	for _, c := range []struct {
		cur, min, want string
		bad            string
	}{
		{"ZAR", "R150.50", "15050", ""},
		{"JPY", "1500", "1500", ""},
		{"JPY", "15.5", "", "must be an amount in JPY, like 150"},
		{"KWD", "1.250", "1250", ""},
		{"EUR", "€9.99", "999", ""},
		{"", "abc", "", "must be an amount, like 150 or 149.99"},
	} {
		v, fe := translatePrices(url.Values{"min": {c.min}}, c.cur)
		if c.bad != "" {
			if len(fe) != 1 || fe[0].Message != c.bad {
				t.Errorf("%s %q: %+v; want %q", c.cur, c.min, fe, c.bad)
			}
			continue
		}
		if len(fe) != 0 || v.Get("min_price") != c.want {
			t.Errorf("%s %q = %q %+v; want %s", c.cur, c.min, v.Get("min_price"), fe, c.want)
		}
	}
}
