package kpi_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/oceanshop/ocean/internal/kpi"
	"github.com/oceanshop/ocean/internal/ocean"
)

// rows is an in-memory Store over fixed rollup rows; the SQL store's
// contract is storetest.KPI.
type rows struct {
	daily    []kpi.Daily
	sales    []kpi.Sales
	products map[kpi.Day][]kpi.Product
	reads    int
	added    map[kpi.Day]int64
}

func (r *rows) Daily(_ context.Context, from, to kpi.Day) ([]kpi.Daily, error) {
	var out []kpi.Daily
	for _, d := range r.daily {
		if d.Day >= from && d.Day <= to {
			out = append(out, d)
		}
	}
	return out, nil
}

func (r *rows) Sales(_ context.Context, from, to kpi.Day) ([]kpi.Sales, error) {
	var out []kpi.Sales
	for _, s := range r.sales {
		if s.Day >= from && s.Day <= to {
			out = append(out, s)
		}
	}
	return out, nil
}

// TopProducts sums the days' products by slug (the fake keeps them in
// first-seen order; the service sorts what it merges).
func (r *rows) TopProducts(_ context.Context, from, to kpi.Day, _ string, _ bool, _ int) ([]kpi.Product, error) {
	r.reads++
	var out []kpi.Product
	for d := from; d <= to; d++ {
	next:
		for _, p := range r.products[d] {
			for i := range out {
				if out[i].Slug == p.Slug {
					out[i].Units += p.Units
					out[i].Revenue += p.Revenue
					continue next
				}
			}
			out = append(out, p)
		}
	}
	return out, nil
}
func (*rows) LowStock(context.Context, int, int) ([]kpi.LowStock, error) { return nil, nil }

func (r *rows) FirstSessionDay(context.Context) (kpi.Day, bool, error) {
	for _, d := range r.daily {
		if d.Sessions > 0 {
			return d.Day, true, nil
		}
	}
	return 0, false, nil
}

func (r *rows) AddSessions(_ context.Context, d kpi.Day, n int64) error {
	if r.added == nil {
		r.added = map[kpi.Day]int64{}
	}
	r.added[d] += n
	return nil
}

func TestDayOf(t *testing.T) {
	for _, c := range []struct {
		at   time.Time
		want string
	}{
		{time.Date(2026, 12, 6, 0, 0, 0, 0, time.UTC), "2026-12-06"},
		{time.Date(2026, 12, 6, 23, 59, 59, 999, time.UTC), "2026-12-06"},
		// A shop clock in another zone still counts UTC days.
		{time.Date(2026, 12, 7, 1, 0, 0, 0, time.FixedZone("SAST", 2*3600)), "2026-12-06"},
		{time.Date(1969, 12, 31, 12, 0, 0, 0, time.UTC), "1969-12-31"},
	} {
		if got := kpi.DayOf(c.at).String(); got != c.want {
			t.Errorf("DayOf(%s) = %s, want %s", c.at, got, c.want)
		}
	}
}

func TestParsePeriod(t *testing.T) {
	for in, days := range map[string]int{"": 7, "today": 1, "7d": 7, "30d": 30} {
		p, err := kpi.ParsePeriod(in)
		if err != nil || p.Days != days {
			t.Errorf("ParsePeriod(%q) = %+v, %v", in, p, err)
		}
	}
	for _, in := range []string{"week", "7", "TODAY", "30d "} {
		if _, err := kpi.ParsePeriod(in); ocean.ErrorCode(err) != ocean.EINVALID {
			t.Errorf("ParsePeriod(%q): %v, want invalid", in, err)
		}
	}
}

// TestDashboardPeriods puts rows on known days and checks which period
// each lands in, the rates, and the charts' alignment.
func TestDashboardPeriods(t *testing.T) {
	now := time.Date(2026, 12, 6, 15, 0, 0, 0, time.UTC)
	today := kpi.DayOf(now)
	r := &rows{
		daily: []kpi.Daily{
			{Day: today - 13, Carts: 50, Checkouts: 9, Paid: 5, Declined: 4}, // previous 7 days; no visits counted yet
			{Day: today - 6, Sessions: 100, Carts: 10, Checkouts: 8, Paid: 6, Declined: 1, Errored: 1},
			{Day: today, Sessions: 300, Carts: 30, Checkouts: 20, Paid: 12, Declined: 2, Errored: 0, Abandoned: 3},
			{Day: today - 30, Sessions: 999, Carts: 999}, // outside both 7-day periods
		},
		sales: []kpi.Sales{
			{Day: today - 13, Currency: "ZAR", Orders: 5, Gross: 50000},
			{Day: today - 6, Currency: "ZAR", Orders: 6, Gross: 60000, Refunded: 6000},
			{Day: today, Currency: "ZAR", Orders: 12, Gross: 120000},
			{Day: today, Currency: "USD", Orders: 1, Gross: 2500},
		},
	}
	// Keep the rows in day order, as the store returns them.
	r.daily[0], r.daily[3] = r.daily[3], r.daily[0]
	svc := kpi.New(r, "ZAR", func() time.Time { return now })
	p, _ := kpi.ParsePeriod("7d")
	d, err := svc.Dashboard(context.Background(), p)
	if err != nil {
		t.Fatal(err)
	}
	cur, prev := d.Current, d.Previous
	if d.Currency != "ZAR" || cur.From != today-6 || prev.To != today-7 || prev.From != today-13 {
		t.Fatalf("currency %s, current %v–%v, previous %v–%v", d.Currency, cur.From, cur.To, prev.From, prev.To)
	}
	if cur.Orders != 19 || cur.OrdersIn["ZAR"] != 18 || cur.RevenueIn("ZAR").Amount != 174000 || cur.RevenueIn("USD").Amount != 2500 {
		t.Errorf("current: %d orders (%v), revenue %v", cur.Orders, cur.OrdersIn, cur.Revenue)
	}
	if aov, ok := cur.AOV("ZAR"); !ok || aov.Amount != 9667 { // 174000 / 18 = 9666.67
		t.Errorf("average order value = %v, %v; want R96.67", aov, ok)
	}
	if prev.Orders != 5 || prev.RevenueIn("ZAR").Amount != 50000 || prev.Carts != 50 {
		t.Errorf("previous: %+v", prev)
	}
	// Conversion counts only days with visits: the current period's orders
	// over its 400 visits; the previous period had none counted.
	if c := cur.Conversion(); c.Num != 19 || c.Den != 400 {
		t.Errorf("conversion = %+v", c)
	}
	if prev.Conversion().OK() {
		t.Errorf("previous conversion without visits = %+v", prev.Conversion())
	}
	if a := cur.Abandonment(); a.Num != 22 || a.Den != 40 {
		t.Errorf("abandonment = %+v, want 22 of 40", a)
	}
	if s := cur.PaymentSuccess(); s.Num != 18 || s.Den != 22 || prev.PaymentSuccess().Percent() != 5.0/9*100 {
		t.Errorf("payment success = %+v, previous %v", s, prev.PaymentSuccess())
	}
	if len(d.Series) != 7 || d.Series[0].Day != today-6 || d.Series[6].Day != today {
		t.Fatalf("series days %v–%v (%d)", d.Series[0].Day, d.Series[len(d.Series)-1].Day, len(d.Series))
	}
	first, last := d.Series[0], d.Series[6]
	// Each day sits beside the same weekday a week earlier.
	if first.Revenue != 54000 || first.PrevRevenue != 50000 || first.PrevOrders != 5 || first.Sessions != 100 ||
		last.Revenue != 120000 || last.Orders != 13 || last.PrevOrders != 0 {
		t.Errorf("series: first %+v, last %+v", first, last)
	}

	// Today beside yesterday; the charts still show a week.
	p, _ = kpi.ParsePeriod("today")
	d, err = svc.Dashboard(context.Background(), p)
	if err != nil {
		t.Fatal(err)
	}
	if d.Current.Orders != 13 || d.Previous.Orders != 0 || len(d.Series) != 7 {
		t.Errorf("today: %d orders, yesterday %d, %d chart days", d.Current.Orders, d.Previous.Orders, len(d.Series))
	}
}

func TestVisitsAreWrittenInBatches(t *testing.T) {
	now := time.Date(2026, 12, 6, 23, 59, 59, 0, time.UTC)
	r := &rows{}
	svc := kpi.New(r, "ZAR", func() time.Time { return now })
	ctx := context.Background()
	for range 3 {
		if err := svc.Visit(ctx); err != nil {
			t.Fatal(err)
		}
	}
	// The first visit wrote (nothing had been written yet); the next two
	// wait for a second to pass.
	if r.added[kpi.DayOf(now)] != 1 {
		t.Fatalf("written after 3 visits within a second: %v", r.added)
	}
	now = now.Add(2 * time.Second) // the next day
	if err := svc.Visit(ctx); err != nil {
		t.Fatal(err)
	}
	if r.added[kpi.DayOf(now)-1] != 3 || r.added[kpi.DayOf(now)] != 1 {
		t.Fatalf("written after a second: %v", r.added)
	}
}

// TestTopProducts: the days before today are summed once per
// ProductsMaxAge and today's are added on every dashboard.
func TestTopProducts(t *testing.T) {
	now := time.Date(2026, 12, 6, 15, 0, 0, 0, time.UTC)
	today := kpi.DayOf(now)
	p := func(slug string, units, revenue int64) kpi.Product {
		return kpi.Product{Slug: slug, Name: "Product " + slug, Currency: "ZAR", Units: units, Revenue: revenue}
	}
	r := &rows{products: map[kpi.Day][]kpi.Product{
		today - 3: {p("mug", 10, 1000), p("lamp", 1, 9000)},
		today - 1: {p("tee", 4, 8000)},
		today:     {p("mug", 30, 3000), p("tee", 1, 2000)},
	}}
	svc := kpi.New(r, "ZAR", func() time.Time { return now })
	week, _ := kpi.ParsePeriod("7d")
	dash := func() *kpi.Dashboard {
		t.Helper()
		d, err := svc.Dashboard(context.Background(), week)
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	slugs := func(ps []kpi.Product) string {
		var out []string
		for _, p := range ps {
			out = append(out, fmt.Sprintf("%s %d %d", p.Slug, p.Units, p.Revenue))
		}
		return strings.Join(out, ", ")
	}
	d := dash()
	if got := slugs(d.ByRevenue); got != "tee 5 10000, lamp 1 9000, mug 40 4000" {
		t.Errorf("by revenue: %s", got)
	}
	if got := slugs(d.ByUnits); got != "mug 40 4000, tee 5 10000, lamp 1 9000" {
		t.Errorf("by units: %s", got)
	}
	if r.reads != 2 {
		t.Fatalf("%d product reads, want 2 (earlier days, today)", r.reads)
	}
	// A cancellation of yesterday's tee and a new sale today: today's
	// shows at once, yesterday's after ProductsMaxAge.
	r.products[today-1] = nil
	r.products[today] = append(r.products[today], p("lamp", 1, 9000))
	if got := slugs(dash().ByRevenue); got != "lamp 2 18000, tee 5 10000, mug 40 4000" || r.reads != 3 {
		t.Errorf("by revenue a moment later: %s (%d reads)", got, r.reads)
	}
	now = now.Add(kpi.ProductsMaxAge)
	if got := slugs(dash().ByRevenue); got != "lamp 2 18000, mug 40 4000, tee 1 2000" || r.reads != 5 {
		t.Errorf("by revenue %s later: %s (%d reads)", kpi.ProductsMaxAge, got, r.reads)
	}
}
