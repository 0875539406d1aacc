package web

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/oceanshop/ocean/internal/ocean"
	"github.com/oceanshop/ocean/internal/pricing"
	"github.com/oceanshop/ocean/internal/snapshot"
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

// rulesTTL is how long the shop's rules (settings, and the notices
// derived from them and the home country's shipping methods and tax rate)
// are trusted: a change made on another instance of a fleet shows within
// it; one made on this instance (checkout's SettingsGeneration moves)
// shows on the next page.
const rulesTTL = time.Second

// shopRules is the snapshot of the shop's rules every storefront page uses
// (one read a second at most, however many pages): reading the settings,
// methods and tax rate on every page queued the pages for the database's
// connections under load (make loadtest's block profile: a quarter of all
// waiting was the settings read of the footer and the listing's currency).
type shopRules struct {
	Settings pricing.Settings
	Notices  shopNotices
}

func sameRules(a, b shopRules) bool {
	x, y := a.Settings, b.Settings
	return a.Notices == b.Notices && x.ShopName == y.ShopName && x.ContactEmail == y.ContactEmail &&
		x.Currency == y.Currency && x.PricesIncludeTax == y.PricesIncludeTax && x.Version == y.Version &&
		slices.Equal(x.Countries, y.Countries)
}

func (w *Web) newRules() *snapshot.Cache[shopRules] {
	return &snapshot.Cache[shopRules]{Read: w.readRules, TTL: rulesTTL, Gen: w.checkout.SettingsGeneration, Equal: sameRules}
}

// rules returns the current snapshot of the shop's rules, nil without a
// checkout or when they cannot be read (pages then go without the
// notices, as they would without a checkout).
func (w *Web) rules(ctx context.Context) *snapshot.Snapshot[shopRules] {
	if w.rulesCache == nil {
		return nil
	}
	s, err := w.rulesCache.Get(ctx)
	if err != nil {
		w.log.WarnContext(ctx, "shop settings unreadable", "err", err)
		return nil
	}
	return s
}

// notices returns the notices for a page.
func (w *Web) notices(ctx context.Context) shopNotices {
	if s := w.rules(ctx); s != nil {
		return s.Value.Notices
	}
	return shopNotices{}
}

// readRules reads the settings and derives the notices from them.
func (w *Web) readRules(ctx context.Context) (shopRules, error) {
	st, err := w.checkout.Settings(ctx)
	if err != nil {
		return shopRules{}, err
	}
	r := shopRules{Settings: *st}
	r.Settings.Countries = slices.Clone(st.Countries)
	r.Notices = w.readNotices(ctx, st)
	return r, nil
}

// readNotices derives the notices from the settings, the home country's
// shipping methods and its tax rate.
func (w *Web) readNotices(ctx context.Context, st *pricing.Settings) (n shopNotices) {
	if len(st.Countries) == 0 {
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
