package web

import (
	"context"
	"strings"
	"sync"
	"time"

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

// noticeTTL is how long the notices derived from the rules are kept: a
// change made on another instance of a fleet shows within it.
const noticeTTL = time.Second

// noticeCache keeps the notices of the last read: three reads of small
// tables on every page were a third of the home page's queries. A write
// on this instance (checkout's SettingsGeneration moves) shows on the next
// page; one on another instance within noticeTTL.
type noticeCache struct {
	mu  sync.Mutex
	n   shopNotices
	gen uint64
	at  time.Time
}

// notices returns the notices for a page, read again after this
// instance changed the rules or noticeTTL passed.
func (w *Web) notices(ctx context.Context) shopNotices {
	if w.checkout == nil {
		return shopNotices{}
	}
	c := &w.noticeCache
	gen := w.checkout.SettingsGeneration()
	c.mu.Lock()
	n, fresh := c.n, !c.at.IsZero() && c.gen == gen && time.Since(c.at) < noticeTTL
	c.mu.Unlock()
	if fresh {
		return n
	}
	n, ok := w.readNotices(ctx)
	if ok {
		c.mu.Lock()
		c.n, c.gen, c.at = n, gen, time.Now()
		c.mu.Unlock()
	}
	return n
}

// readNotices derives the notices from the settings, the home country's
// shipping methods and its tax rate; ok is false when the settings could
// not be read (nothing is kept then).
func (w *Web) readNotices(ctx context.Context) (n shopNotices, ok bool) {
	st, err := w.checkout.Settings(ctx)
	if err != nil {
		return n, false
	}
	if len(st.Countries) == 0 {
		return n, true
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
	return n, true
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
