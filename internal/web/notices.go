package web

import (
	"context"
	"strings"

	"github.com/oceanshop/ocean/internal/ocean"
)

// shopNotices are the promises the footer and the cart make, from the
// shop's settings rather than fixed text: free delivery from the lowest
// free-over amount of the home country's shipping zone (none when no
// method there is free from an amount), and whether prices include the
// home country's tax, by its name ("VAT").
type shopNotices struct {
	FreeOver string // "R750", "" when nothing ships free
	Tax      string // "Prices include VAT.", "" without a checkout
}

// notices reads them for a page. They are read on every page, not cached:
// three indexed reads of small tables, so a change to the settings, a zone,
// a method or a tax rate shows on the next page of every instance, and the
// page's ETag (a hash of the body) changes with it.
func (w *Web) notices(ctx context.Context) shopNotices {
	var n shopNotices
	if w.checkout == nil {
		return n
	}
	st, err := w.checkout.Settings(ctx)
	if err != nil || len(st.Countries) == 0 {
		return n
	}
	home := st.Countries[0]
	if ms, err := w.checkout.ShippingMethods(ctx, home); err == nil {
		var low *int64
		cur := st.Currency
		for _, m := range ms {
			if m.FreeAbove != nil && (low == nil || *m.FreeAbove < *low) {
				low, cur = m.FreeAbove, m.Price.Currency
			}
		}
		if low != nil {
			n.FreeOver = roundMoney(ocean.Money{Amount: *low, Currency: cur})
		}
	}
	name := "tax"
	if r, err := w.checkout.TaxRate(ctx, home); err == nil && r != nil && r.Label() != "" {
		name = r.Label()
	}
	if st.PricesIncludeTax {
		n.Tax = "Prices include " + name + "."
	} else {
		n.Tax = "Prices exclude " + name + ", which is added at checkout."
	}
	return n
}

// roundMoney formats an amount without its minor digits when they are
// zero: "R750", but "R749.50".
func roundMoney(m ocean.Money) string {
	s := m.String()
	if d := ocean.Digits(m.Currency); d > 0 && m.Amount%ocean.Unit(m.Currency) == 0 {
		s = strings.TrimSuffix(s, "."+strings.Repeat("0", d))
	}
	return s
}
