package web

import (
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"

	"github.com/oceanshop/ocean/internal/kpi"
	"github.com/oceanshop/ocean/internal/ocean"
)

// The owner's dashboard on the admin home (/admin): the figures of package
// kpi, drawn on the server. Charts are inline SVG built here (no script,
// no chart library, nothing from another origin), each with a title, a
// description and its numbers in a table.

// dashView is the dashboard as the template shows it.
type dashView struct {
	Periods []periodLink
	Period  kpi.Period
	// Range and PrevRange say which days are compared, in words.
	Range, PrevRange string
	Currency         string
	Tiles            []kpiTile
	Charts           []chart
	ByRevenue        []productRow
	ByUnits          []productRow
	Low              []kpi.LowStock
	LowThreshold     int
	// Payments breaks down the period's payment attempts.
	Payments      string
	SessionsSince string // "" when visits have been counted all along
	OtherRevenue  []string
}

type periodLink struct {
	Key, Label string
	Current    bool
}

// kpiTile is one figure beside the previous period's.
type kpiTile struct {
	Name, Value, Prev string
	// Delta is the change in words ("+12.5%", "−3.0 pts", "new", "no change");
	// Trend is "up", "down" or "flat"; Good says whether the change is
	// welcome (abandonment going up is not).
	Delta, Trend string
	Good         bool
	Note         string
}

type productRow struct {
	Slug, Name, Units, Revenue string
}

func (w *Web) dashboard(r *http.Request) (*dashView, error) {
	p, err := kpi.ParsePeriod(r.URL.Query().Get("period"))
	if err != nil {
		return nil, err
	}
	d, err := w.kpi.Dashboard(r.Context(), p)
	if err != nil {
		return nil, err
	}
	return newDashView(d), nil
}

func newDashView(d *kpi.Dashboard) *dashView {
	v := &dashView{Period: d.Period, Currency: d.Currency, Low: d.Low, LowThreshold: d.LowThreshold}
	for _, p := range kpi.Periods {
		v.Periods = append(v.Periods, periodLink{Key: p.Key, Label: p.Label, Current: p.Key == d.Period.Key})
	}
	v.Range, v.PrevRange = dayRange(d.Current.From, d.Current.To), dayRange(d.Previous.From, d.Previous.To)
	if d.Period.Days == 1 {
		v.Range += " so far"
	}
	cur, prev := d.Current, d.Previous
	rev, prevRev := cur.RevenueIn(d.Currency), prev.RevenueIn(d.Currency)
	aov, aovOK := cur.AOV(d.Currency)
	prevAOV, prevAOVOK := prev.AOV(d.Currency)
	v.Tiles = []kpiTile{
		amountTile("Revenue", rev, prevRev, true),
		countTile("Orders", cur.Orders, prev.Orders, true),
		optAmountTile("Average order value", aov, aovOK, prevAOV, prevAOVOK),
		rateTile("Conversion", cur.Conversion(), prev.Conversion(), true, 2,
			fmt.Sprintf("%s from %s", plural(cur.ConvOrders, "order", "orders"), plural(cur.ConvSessions, "visit", "visits"))),
		rateTile("Cart abandonment", cur.Abandonment(), prev.Abandonment(), false, 1,
			fmt.Sprintf("%s with items, %s", plural(cur.Carts, "cart", "carts"), plural(cur.Paid, "paid checkout", "paid checkouts"))),
		rateTile("Payment success", cur.PaymentSuccess(), prev.PaymentSuccess(), true, 1,
			fmt.Sprintf("%s of %s answered", plural(cur.Paid, "payment", "payments"), count(cur.Paid+cur.Declined+cur.Errored))),
	}
	v.Payments = fmt.Sprintf("%s: %s paid, %s declined, %s gateway errors, %s abandoned at the payment step or cancelled before paying, %s still open.",
		plural(cur.Checkouts, "payment attempt", "payment attempts"), count(cur.Paid), count(cur.Declined), count(cur.Errored), count(cur.Abandoned),
		count(max(cur.Checkouts-cur.Paid-cur.Declined-cur.Errored-cur.Abandoned, 0)))
	for _, m := range cur.Revenue {
		if m.Currency != d.Currency {
			v.OtherRevenue = append(v.OtherRevenue, m.String())
		}
	}
	if d.SessionsKnown && d.SessionsSince > d.Previous.From {
		v.SessionsSince = d.SessionsSince.Time().Format("2 Jan 2006")
	} else if !d.SessionsKnown {
		v.SessionsSince = "now on"
	}
	money := func(a int64) string { return ocean.Money{Amount: a, Currency: d.Currency}.String() }
	shortMoney := shortAmount(d.Currency)
	v.Charts = []chart{
		barChart("chart-revenue", "Revenue per day", "Revenue in "+d.Currency+" per day", d.Series,
			func(p kpi.Point) (int64, int64) { return p.Revenue, p.PrevRevenue }, money, shortMoney),
		barChart("chart-orders", "Orders per day", "Paid orders per day", d.Series,
			func(p kpi.Point) (int64, int64) { return p.Orders, p.PrevOrders }, count, compact),
		barChart("chart-visits", "Visits per day", "New storefront visits per day", d.Series,
			func(p kpi.Point) (int64, int64) { return p.Sessions, p.PrevSessions }, count, compact),
	}
	for _, p := range d.ByRevenue {
		v.ByRevenue = append(v.ByRevenue, productRow{Slug: p.Slug, Name: p.Name, Units: count(p.Units), Revenue: money(p.Revenue)})
	}
	for _, p := range d.ByUnits {
		v.ByUnits = append(v.ByUnits, productRow{Slug: p.Slug, Name: p.Name, Units: count(p.Units), Revenue: money(p.Revenue)})
	}
	return v
}

func dayRange(from, to kpi.Day) string {
	if from == to {
		return from.Time().Format("Mon 2 Jan 2006")
	}
	return from.Time().Format("2 Jan") + " – " + to.Time().Format("2 Jan 2006")
}

// count writes n with thousands separators.
func count(n int64) string {
	s := strconv.FormatInt(max(n, -n), 10)
	var b strings.Builder
	if n < 0 {
		b.WriteString("−")
	}
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

func plural(n int64, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return count(n) + " " + many
}

// change is the relative change from prev to cur in words, with its trend.
func change(cur, prev int64) (string, string) {
	switch {
	case cur == prev:
		return "no change", "flat"
	case prev == 0:
		return "new", "up"
	}
	pct := 100 * float64(cur-prev) / math.Abs(float64(prev))
	trend := "up"
	if pct < 0 {
		trend = "down"
	}
	return signed(pct, 1) + "%", trend
}

// signed writes x with a sign (a true minus) and digits decimals.
func signed(x float64, digits int) string {
	s := strconv.FormatFloat(math.Abs(x), 'f', digits, 64)
	if x < 0 {
		return "−" + s
	}
	return "+" + s
}

func tile(name, value, prev string, cur, before int64, upIsGood bool) kpiTile {
	t := kpiTile{Name: name, Value: value, Prev: prev}
	t.Delta, t.Trend = change(cur, before)
	t.Good = (t.Trend == "up") == upIsGood || t.Trend == "flat"
	return t
}

func amountTile(name string, cur, prev ocean.Money, upIsGood bool) kpiTile {
	return tile(name, cur.String(), prev.String(), cur.Amount, prev.Amount, upIsGood)
}

func countTile(name string, cur, prev int64, upIsGood bool) kpiTile {
	return tile(name, count(cur), count(prev), cur, prev, upIsGood)
}

func optAmountTile(name string, cur ocean.Money, ok bool, prev ocean.Money, prevOK bool) kpiTile {
	t := tile(name, cur.String(), prev.String(), cur.Amount, prev.Amount, true)
	if !ok {
		t.Value = "—"
	}
	if !prevOK {
		t.Prev = "—"
	}
	if !ok || !prevOK {
		t.Delta, t.Trend, t.Good = "", "flat", true
	}
	return t
}

// rateTile shows a rate in percent and its change in percentage points.
func rateTile(name string, cur, prev kpi.Rate, upIsGood bool, digits int, note string) kpiTile {
	pct := func(r kpi.Rate) string {
		if !r.OK() {
			return "—"
		}
		return strconv.FormatFloat(r.Percent(), 'f', digits, 64) + "%"
	}
	t := kpiTile{Name: name, Value: pct(cur), Prev: pct(prev), Note: note, Trend: "flat", Good: true}
	if cur.OK() && prev.OK() {
		diff := cur.Percent() - prev.Percent()
		// Compare what is shown: a change below the last digit is none.
		if math.Abs(diff) < 0.5*math.Pow(10, -float64(digits)) {
			t.Delta = "no change"
		} else {
			t.Delta = signed(diff, digits) + " pts"
			t.Trend = "up"
			if diff < 0 {
				t.Trend = "down"
			}
			t.Good = (t.Trend == "up") == upIsGood
		}
	}
	return t
}

// chart is a bar chart of one figure per day: this window's days as bars,
// the window before as a thin mark on each bar (the same weekday one
// window earlier). Coordinates are in the SVG's viewBox units.
type chart struct {
	ID, Title, Desc string
	Width, Height   int
	Bars            []bar
	Ticks           []tick
	Labels          []xLabel
	Rows            []chartRow // the table under the chart
	Total, Prev     string
	// BaseY is the x axis; Left and Right the plot's edges; LabelY the
	// day labels' baseline.
	BaseY, Left, Right, LabelY int
}

type bar struct {
	X, X2, Y, W, H int
	PrevY          int
	HasPrev        bool
	Label          string // "2 Dec: R 1,200.00 (previous: R 900.00)"
}

type tick struct {
	Y     int
	Label string
}

type xLabel struct {
	X     int
	Label string
}

type chartRow struct {
	Day, Value, Prev string
}

// Chart geometry (viewBox units): the plot sits right of the y labels and
// above the x labels.
const (
	chartW     = 400
	chartH     = 200
	plotLeft   = 48
	plotRight  = 396
	plotTop    = 8
	plotBottom = 176
	labelY     = 194
)

func barChart(id, title, desc string, pts []kpi.Point, value func(kpi.Point) (int64, int64), format, short func(int64) string) chart {
	c := chart{ID: id, Title: title, Width: chartW, Height: chartH, BaseY: plotBottom, Left: plotLeft, Right: plotRight, LabelY: labelY}
	var top, total, prevTotal int64
	for _, p := range pts {
		v, pv := value(p)
		top = max(top, v, pv)
		total += v
		prevTotal += pv
	}
	top = niceCeil(top)
	c.Total, c.Prev = format(total), format(prevTotal)
	c.Desc = fmt.Sprintf("%s over %d days, %s to %s: %s in all (the %d days before: %s). Each bar is a day; the line across it is the same day one window earlier.",
		desc, len(pts), pts[0].Day.Time().Format("2 Jan"), pts[len(pts)-1].Day.Time().Format("2 Jan"), c.Total, len(pts), c.Prev)
	plotW := plotRight - plotLeft
	slot := plotW / max(len(pts), 1)
	gap := max(slot/5, 1)
	y := func(v int64) int {
		if top == 0 {
			return plotBottom
		}
		return plotBottom - int(math.Round(float64(v)/float64(top)*float64(plotBottom-plotTop)))
	}
	for i := int64(0); i <= 4; i++ {
		v := top * i / 4
		if i > 0 && v == top*(i-1)/4 {
			continue // a small count axis: one tick per whole number
		}
		c.Ticks = append(c.Ticks, tick{Y: y(v), Label: short(v)})
	}
	every := max(1, (len(pts)+5)/6)
	for i, p := range pts {
		v, pv := value(p)
		x := plotLeft + i*slot + gap/2
		b := bar{X: x, W: slot - gap, Y: y(v), PrevY: y(pv), HasPrev: pv > 0 || v > 0}
		b.H, b.X2 = plotBottom-b.Y, b.X+b.W
		day := p.Day.Time().Format("Mon 2 Jan")
		b.Label = fmt.Sprintf("%s: %s (a window earlier: %s)", day, format(v), format(pv))
		c.Bars = append(c.Bars, b)
		if (len(pts)-1-i)%every == 0 {
			c.Labels = append(c.Labels, xLabel{X: x + b.W/2, Label: p.Day.Time().Format("2 Jan")})
		}
		c.Rows = append(c.Rows, chartRow{Day: day, Value: format(v), Prev: format(pv)})
	}
	return c
}

// niceCeil rounds n up to 1, 2 or 5 times a power of ten, so the axis
// labels are round (a money axis in minor units gets round major units).
func niceCeil(n int64) int64 {
	if n <= 0 {
		return 0
	}
	p := int64(1)
	for p*10 <= n {
		p *= 10
	}
	for _, m := range []int64{1, 2, 5, 10} {
		if m*p >= n {
			return m * p
		}
	}
	return 10 * p
}

// visitCookie marks a browser that is in a visit: a storefront page
// without it counts one new visit (kpi.Service.Visit). It holds no
// identifier, only "1", and lives 30 minutes from the last page view, so a
// visit ends after half an hour without one.
const (
	visitCookie = "__Host-ocean_visit"
	visitMaxAge = 30 * 60
)

// visits counts new visits on the storefront's pages (home, categories,
// search, products). Crawlers and prefetches are not visits.
func (w *Web) visits(h http.Handler) http.Handler {
	if w.kpi == nil {
		return h
	}
	return http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet && !notAVisit(r) {
			if _, err := r.Cookie(visitCookie); err != nil {
				if err := w.kpi.Visit(r.Context()); err != nil {
					w.log.WarnContext(r.Context(), "visit not counted", "err", err)
				}
			}
			http.SetCookie(rw, &http.Cookie{Name: visitCookie, Value: "1", Path: "/", MaxAge: visitMaxAge,
				Secure: true, HttpOnly: true, SameSite: http.SameSiteLaxMode})
		}
		h.ServeHTTP(rw, r)
	})
}

// notAVisit says whether a request is a crawler's or a prefetch: no user
// agent, or one that names itself a bot, crawler or spider.
func notAVisit(r *http.Request) bool {
	if r.Header.Get("Sec-Purpose") != "" || r.Header.Get("Purpose") == "prefetch" {
		return true
	}
	ua := strings.ToLower(r.UserAgent())
	if ua == "" {
		return true
	}
	for _, word := range []string{"bot", "crawl", "spider", "slurp"} {
		if strings.Contains(ua, word) {
			return true
		}
	}
	return false
}

// compact writes n in at most about four characters: 950, 1.2k, 35k, 4.5M.
func compact(n int64) string {
	a := math.Abs(float64(n))
	sign := ""
	if n < 0 {
		sign = "−"
	}
	for _, u := range []struct {
		div  float64
		unit string
	}{{1e9, "B"}, {1e6, "M"}, {1e3, "k"}} {
		if a >= u.div {
			v := a / u.div
			digits := 0
			if v < 10 && v != math.Trunc(v) {
				digits = 1
			}
			return sign + strconv.FormatFloat(v, 'f', digits, 64) + u.unit
		}
	}
	return sign + strconv.FormatInt(int64(a), 10)
}

// shortAmount writes amounts of currency in whole major units, compactly,
// with the currency's symbol where it has one: R1.2k.
func shortAmount(currency string) func(int64) string {
	unit := int64(1)
	for range ocean.Digits(currency) {
		unit *= 10
	}
	zero := ocean.Money{Currency: currency}.String()
	prefix, suffix := "", " "+currency
	if i := strings.IndexByte(zero, '0'); i > 0 {
		prefix, suffix = zero[:i], ""
	}
	return func(a int64) string { return prefix + compact(a/unit) + suffix }
}
