// Package kpi is the owner's dashboard: revenue, orders, average order
// value, conversion, cart abandonment, payment success, top products and
// low stock for a period beside the period before it.
//
// Every figure comes from daily rollups that the store keeps up to date in
// the same transaction as the order, payment or cart change it counts
// (see Store), so a dashboard costs a handful of small reads however many
// orders the shop has. A day is a whole UTC day: the shop has no time zone
// setting, so "today" starts at 00:00 UTC.
//
// The definitions (docs/admin.md says the same in prose):
//
//   - Orders: orders paid in the period (by the day they were paid) and not
//     cancelled since. Revenue: their totals (goods, shipping and tax, after
//     discounts) less what has been refunded of them. Average order value:
//     revenue / orders, per currency.
//   - Visits: new storefront sessions, counted when a visitor without a
//     visit cookie opens a storefront page; a visit ends after 30 minutes
//     without a page view. Conversion: orders / visits, over the days on
//     which visits were counted.
//   - Cart abandonment: 1 − paid checkouts / carts that got their first
//     item, both by the cart's or order's day.
//   - Payment success: paid / (paid + declined + gateway errors) of the
//     payment attempts (orders placed) in the period; attempts abandoned at
//     the payment step or cancelled before paying are shown, not counted.
package kpi

import (
	"cmp"
	"context"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/oceanshop/ocean/internal/ocean"
)

// Day is a UTC day, numbered from 1970-01-01 (Unix seconds / 86400).
type Day int64

// DayOf is the UTC day t falls on.
func DayOf(t time.Time) Day {
	s := t.Unix()
	d := s / 86400
	if s%86400 < 0 {
		d--
	}
	return Day(d)
}

// Time is the start of the day (00:00 UTC).
func (d Day) Time() time.Time { return time.Unix(int64(d)*86400, 0).UTC() }

// String is the day as 2006-01-02.
func (d Day) String() string { return d.Time().Format(time.DateOnly) }

// Daily is one day of the funnel: visits, carts and payment attempts.
type Daily struct {
	Day Day
	// Sessions counts new storefront visits that day.
	Sessions int64
	// Carts counts carts created that day that got at least one item.
	Carts int64
	// Checkouts counts payment attempts (orders placed) that day; Paid,
	// Declined, Errored (the gateway failed or did not answer) and
	// Abandoned (expired at the payment step, or cancelled before
	// payment) are how they ended. The rest are still in progress.
	Checkouts, Paid, Declined, Errored, Abandoned int64
}

// Sales is one day's takings in one currency: orders paid that day and not
// cancelled since.
type Sales struct {
	Day      Day
	Currency string
	Orders   int64
	// Gross is the orders' totals; Refunded what has been refunded of them.
	Gross, Refunded int64
}

// Product is a product's sales over a period in one currency.
type Product struct {
	Slug, Name string
	Currency   string
	Units      int64
	// Revenue is the product's line totals (before order discounts,
	// shipping and tax; partial refunds are not split over lines).
	Revenue int64
}

// LowStock is a variant at or below the low-stock threshold.
type LowStock struct {
	VariantID   int64
	SKU         string
	ProductName string
	Stock       int
}

// Store reads the rollups. The writes happen inside the order store's own
// transactions; only visits are added from outside (AddSessions).
type Store interface {
	// Daily returns the funnel rows of the days from..to (inclusive), in
	// day order; days without a row are left out.
	Daily(ctx context.Context, from, to Day) ([]Daily, error)
	// Sales returns the takings of the days from..to per day and currency,
	// in day order.
	Sales(ctx context.Context, from, to Day) ([]Sales, error)
	// TopProducts returns at most limit products (every one when limit is
	// 0) by revenue (or by units when byUnits) over the days from..to in
	// currency, best first; products that sold nothing are left out.
	TopProducts(ctx context.Context, from, to Day, currency string, byUnits bool, limit int) ([]Product, error)
	// LowStock returns at most limit variants with stock at or below
	// threshold, lowest first.
	LowStock(ctx context.Context, threshold, limit int) ([]LowStock, error)
	// FirstSessionDay is the first day visits were counted on; ok is false
	// before the first visit.
	FirstSessionDay(ctx context.Context) (d Day, ok bool, err error)
	// AddSessions adds n visits to day.
	AddSessions(ctx context.Context, day Day, n int64) error
}

// Period is a dashboard period: today, the last 7 or the last 30 days
// (today included), beside the same number of days before it.
type Period struct {
	Key   string // the ?period= value
	Label string
	Days  int
}

// Periods are the periods the dashboard offers, in the order shown.
var Periods = []Period{{"today", "Today", 1}, {"7d", "7 days", 7}, {"30d", "30 days", 30}}

// DefaultPeriod is the period shown without ?period=.
const DefaultPeriod = "7d"

// ParsePeriod reads a ?period= value; "" is DefaultPeriod.
func ParsePeriod(s string) (Period, error) {
	if s == "" {
		s = DefaultPeriod
	}
	for _, p := range Periods {
		if p.Key == s {
			return p, nil
		}
	}
	return Period{}, ocean.Invalid("There is no such period.", ocean.FieldError{Field: "period", Message: "must be today, 7d or 30d"})
}

// LowStockThreshold is the stock at or below which a variant is listed.
const LowStockThreshold = 5

// Top and LowLimit are how many products and variants the lists show.
const (
	Top      = 5
	LowLimit = 10
)

// Figures are one period's totals.
type Figures struct {
	From, To Day // inclusive
	// Revenue per currency (net of refunds), largest first; Orders per
	// currency in the same order.
	Revenue []ocean.Money
	Gross   []ocean.Money
	Orders  int64
	// OrdersIn counts orders per currency.
	OrdersIn map[string]int64
	Sessions int64
	// ConvOrders and ConvSessions are the orders and visits of the days on
	// which visits were counted: conversion is their ratio.
	ConvOrders, ConvSessions int64
	Carts                    int64
	Checkouts, Paid          int64
	Declined, Errored        int64
	Abandoned                int64
}

// RevenueIn is the revenue in currency (zero if none).
func (f Figures) RevenueIn(currency string) ocean.Money {
	for _, m := range f.Revenue {
		if m.Currency == currency {
			return m
		}
	}
	return ocean.Money{Currency: currency}
}

// AOV is the average order value in currency; ok is false without orders.
func (f Figures) AOV(currency string) (ocean.Money, bool) {
	n := f.OrdersIn[currency]
	if n == 0 {
		return ocean.Money{Currency: currency}, false
	}
	r := f.RevenueIn(currency)
	// Round half away from zero to a whole minor unit.
	q := r.Amount / n
	if rem := r.Amount % n; rem*2 >= n {
		q++
	} else if rem*2 <= -n {
		q--
	}
	return ocean.Money{Amount: q, Currency: currency}, true
}

// Rate is a ratio that may be undefined (nothing to divide by).
type Rate struct {
	Num, Den int64
}

// OK says whether the rate is defined.
func (r Rate) OK() bool { return r.Den > 0 }

// Percent is the rate in percent (0 when undefined).
func (r Rate) Percent() float64 {
	if r.Den <= 0 {
		return 0
	}
	return 100 * float64(r.Num) / float64(r.Den)
}

// Conversion is orders / visits over the days visits were counted.
func (f Figures) Conversion() Rate { return Rate{f.ConvOrders, f.ConvSessions} }

// Abandonment is the share of carts with items that did not end in a paid
// checkout: (carts − paid) / carts, never below zero.
func (f Figures) Abandonment() Rate {
	return Rate{max(f.Carts-f.Paid, 0), f.Carts}
}

// PaymentSuccess is paid / (paid + declined + errored).
func (f Figures) PaymentSuccess() Rate {
	return Rate{f.Paid, f.Paid + f.Declined + f.Errored}
}

// Point is one day of the charts.
type Point struct {
	Day      Day
	Revenue  int64 // in the dashboard's currency, minor units
	Orders   int64
	Sessions int64
	// Previous is the same day one chart window earlier.
	PrevRevenue, PrevOrders, PrevSessions int64
}

// Dashboard is everything the /admin page shows.
type Dashboard struct {
	Period Period
	Today  Day
	// Currency is the currency the charts, average order value and top
	// products are in: the one with the most orders in the two periods
	// (the shop's own when there are none).
	Currency          string
	Current, Previous Figures
	// Series is the charts' days: the period's, at least the last 7.
	Series []Point
	// ByRevenue and ByUnits are the top products of the period.
	ByRevenue, ByUnits []Product
	Low                []LowStock
	LowThreshold       int
	// SessionsSince is the first day visits were counted (SessionsKnown
	// false before any).
	SessionsSince Day
	SessionsKnown bool
}

// Service builds dashboards and counts visits.
type Service struct {
	store    Store
	now      func() time.Time
	currency string

	visits Tally[Day]

	mu   sync.Mutex
	past map[pastKey]pastProducts
}

// ProductsMaxAge is how long the product totals of the days before today
// are reused. Today's are read on every page; earlier days change only
// when an order paid on them is cancelled, which then shows in the top
// products within this time (every other figure at once). Summing a busy
// shop's 30 days of products is most of a dashboard's cost.
const ProductsMaxAge = 5 * time.Minute

type pastKey struct {
	from, to Day
	currency string
}

type pastProducts struct {
	at   time.Time
	rows []Product
}

// New returns the service. currency is the shop's own, used when the
// period has no orders; now is the clock (nil: time.Now).
func New(store Store, currency string, now func() time.Time) *Service {
	if now == nil {
		now = time.Now
	}
	return &Service{store: store, now: now, currency: currency, past: map[pastKey]pastProducts{}}
}

// VisitFlushEvery is how long visits wait in memory before they are
// written: a busy storefront writes one row a second, not one per visitor.
const VisitFlushEvery = time.Second

// Visit counts a new storefront visit. It is written with the next visit
// at least VisitFlushEvery after the last write, or by Flush.
func (s *Service) Visit(ctx context.Context) error {
	now := s.now()
	if !s.visits.Add(DayOf(now), 1, now, VisitFlushEvery) {
		return nil
	}
	return s.Flush(ctx)
}

// Flush writes the visits counted in memory.
func (s *Service) Flush(ctx context.Context) error {
	p := s.visits.Take(s.now())
	for d, n := range p {
		if err := s.store.AddSessions(ctx, d, n); err != nil {
			// Put back what is not written: the next flush tries again.
			s.visits.Return(p)
			return err
		}
		delete(p, d)
	}
	return nil
}

// Dashboard builds the dashboard of period p ending today. Visits waiting
// in memory are written first, so the page counts them.
func (s *Service) Dashboard(ctx context.Context, p Period) (*Dashboard, error) {
	if err := s.Flush(ctx); err != nil {
		return nil, err
	}
	today := DayOf(s.now())
	window := max(p.Days, 7)
	span := max(2*p.Days, 2*window)
	from := today - Day(span) + 1
	d := &Dashboard{Period: p, Today: today, LowThreshold: LowStockThreshold}
	d.Current = Figures{From: today - Day(p.Days) + 1, To: today, OrdersIn: map[string]int64{}}
	d.Previous = Figures{From: today - Day(2*p.Days) + 1, To: today - Day(p.Days), OrdersIn: map[string]int64{}}

	var err error
	d.SessionsSince, d.SessionsKnown, err = s.store.FirstSessionDay(ctx)
	if err != nil {
		return nil, err
	}
	daily, err := s.store.Daily(ctx, from, today)
	if err != nil {
		return nil, err
	}
	sales, err := s.store.Sales(ctx, from, today)
	if err != nil {
		return nil, err
	}
	d.Currency = s.pickCurrency(sales, d.Previous.From)
	tracked := func(day Day) bool { return d.SessionsKnown && day >= d.SessionsSince }
	figs := []*Figures{&d.Current, &d.Previous}
	in := func(day Day) *Figures {
		for _, f := range figs {
			if day >= f.From && day <= f.To {
				return f
			}
		}
		return nil
	}
	revenue := map[*Figures]map[string]int64{}
	gross := map[*Figures]map[string]int64{}
	for _, f := range figs {
		revenue[f], gross[f] = map[string]int64{}, map[string]int64{}
	}
	for _, r := range sales {
		f := in(r.Day)
		if f == nil {
			continue
		}
		f.Orders += r.Orders
		f.OrdersIn[r.Currency] += r.Orders
		revenue[f][r.Currency] += r.Gross - r.Refunded
		gross[f][r.Currency] += r.Gross
		if tracked(r.Day) {
			f.ConvOrders += r.Orders
		}
	}
	for _, f := range figs {
		f.Revenue, f.Gross = moneyList(revenue[f]), moneyList(gross[f])
	}
	for _, r := range daily {
		f := in(r.Day)
		if f == nil {
			continue
		}
		f.Sessions += r.Sessions
		if tracked(r.Day) {
			f.ConvSessions += r.Sessions
		}
		f.Carts += r.Carts
		f.Checkouts += r.Checkouts
		f.Paid += r.Paid
		f.Declined += r.Declined
		f.Errored += r.Errored
		f.Abandoned += r.Abandoned
	}
	d.Series = series(today, window, d.Currency, daily, sales)

	// One aggregation serves both lists: the period's products are read
	// once, by revenue, and ranked by units here.
	all, err := s.products(ctx, d.Current.From, today, d.Currency)
	if err != nil {
		return nil, err
	}
	d.ByRevenue = all[:min(Top, len(all))]
	byUnits := slices.Clone(all)
	slices.SortStableFunc(byUnits, func(a, b Product) int {
		if a.Units != b.Units {
			return cmp.Compare(b.Units, a.Units)
		}
		return cmp.Compare(b.Revenue, a.Revenue)
	})
	d.ByUnits = byUnits[:min(Top, len(byUnits))]
	if d.Low, err = s.store.LowStock(ctx, LowStockThreshold, LowLimit); err != nil {
		return nil, err
	}
	return d, nil
}

// pickCurrency is the currency with the most orders since from (ties: the
// shop's own, then by code); the shop's own without orders.
func (s *Service) pickCurrency(sales []Sales, from Day) string {
	n := map[string]int64{}
	for _, r := range sales {
		if r.Day >= from {
			n[r.Currency] += r.Orders
		}
	}
	best, bestN := s.currency, n[s.currency]
	keys := make([]string, 0, len(n))
	for c := range n {
		keys = append(keys, c)
	}
	slices.Sort(keys)
	for _, c := range keys {
		if n[c] > bestN {
			best, bestN = c, n[c]
		}
	}
	return best
}

// moneyList turns per-currency sums into a list, largest first.
func moneyList(m map[string]int64) []ocean.Money {
	out := make([]ocean.Money, 0, len(m))
	for c, a := range m {
		out = append(out, ocean.Money{Amount: a, Currency: c})
	}
	slices.SortFunc(out, func(a, b ocean.Money) int {
		if a.Amount != b.Amount {
			if a.Amount > b.Amount {
				return -1
			}
			return 1
		}
		return strings.Compare(a.Currency, b.Currency)
	})
	return out
}

// series lays the rollups out day by day over the chart window ending
// today, each day beside the same day one window earlier.
func series(today Day, window int, currency string, daily []Daily, sales []Sales) []Point {
	first := today - Day(window) + 1
	pts := make([]Point, window)
	for i := range pts {
		pts[i].Day = first + Day(i)
	}
	at := func(day Day) (p *Point, prev bool) {
		if day >= first && day <= today {
			return &pts[day-first], false
		}
		if day >= first-Day(window) && day < first {
			return &pts[day-first+Day(window)], true
		}
		return nil, false
	}
	for _, r := range daily {
		if p, prev := at(r.Day); p != nil {
			if prev {
				p.PrevSessions += r.Sessions
			} else {
				p.Sessions += r.Sessions
			}
		}
	}
	for _, r := range sales {
		p, prev := at(r.Day)
		if p == nil {
			continue
		}
		rev := int64(0)
		if r.Currency == currency {
			rev = r.Gross - r.Refunded
		}
		if prev {
			p.PrevOrders += r.Orders
			p.PrevRevenue += rev
		} else {
			p.Orders += r.Orders
			p.Revenue += rev
		}
	}
	return pts
}

// products is every product sold in currency over the days from..today,
// by revenue: the days before today from a copy at most ProductsMaxAge
// old, today's read now.
func (s *Service) products(ctx context.Context, from, today Day, currency string) ([]Product, error) {
	var past []Product
	if from < today {
		k := pastKey{from, today - 1, currency}
		s.mu.Lock()
		e, ok := s.past[k]
		s.mu.Unlock()
		if ok && s.now().Sub(e.at) < ProductsMaxAge {
			past = e.rows
		} else {
			rows, err := s.store.TopProducts(ctx, k.from, k.to, currency, false, 0)
			if err != nil {
				return nil, err
			}
			s.mu.Lock()
			if len(s.past) >= 16 {
				clear(s.past) // days have passed: start afresh
			}
			s.past[k] = pastProducts{at: s.now(), rows: rows}
			s.mu.Unlock()
			past = rows
		}
	}
	todays, err := s.store.TopProducts(ctx, today, today, currency, false, 0)
	if err != nil {
		return nil, err
	}
	if len(past) == 0 {
		return todays, nil
	}
	at := make(map[string]int, len(past)+len(todays))
	out := make([]Product, 0, len(past)+len(todays))
	for _, list := range [][]Product{past, todays} {
		for _, p := range list {
			if i, ok := at[p.Slug]; ok {
				out[i].Units += p.Units
				out[i].Revenue += p.Revenue
				out[i].Name = p.Name // today's name is the newest
				continue
			}
			at[p.Slug] = len(out)
			out = append(out, p)
		}
	}
	slices.SortFunc(out, func(a, b Product) int {
		if a.Revenue != b.Revenue {
			return cmp.Compare(b.Revenue, a.Revenue)
		}
		if a.Units != b.Units {
			return cmp.Compare(b.Units, a.Units)
		}
		return strings.Compare(a.Slug, b.Slug)
	})
	return out, nil
}
