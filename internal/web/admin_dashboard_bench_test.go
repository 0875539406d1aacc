//go:build unix

package web_test

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/oceanshop/ocean/internal/account"
	"github.com/oceanshop/ocean/internal/catalog"
	"github.com/oceanshop/ocean/internal/cli"
	"github.com/oceanshop/ocean/internal/config"
	"github.com/oceanshop/ocean/internal/kpi"
	"github.com/oceanshop/ocean/internal/ocean"
	"github.com/oceanshop/ocean/internal/postgres/pgtest"
	"github.com/oceanshop/ocean/internal/sqldb"
)

// BenchmarkDashboard renders /admin?period=30d (the whole page: session,
// six rollup reads, charts, template, TLS) and, separately, runs its query
// set, over a shop with OCEAN_BENCH_ORDERS orders (default 1,000,000) over
// the last year, on SQLite and, with OCEAN_TEST_DATABASE_URL, PostgreSQL.
// The orders and their rollups are written straight into the tables in
// large transactions (benchGenerate), not through the checkout. It runs
// only under -bench (make bench); the target is under 50 ms per page.
func BenchmarkDashboard(b *testing.B) {
	n := 1_000_000
	if v := os.Getenv("OCEAN_BENCH_ORDERS"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil || n < 1000 {
			b.Fatalf("OCEAN_BENCH_ORDERS=%q: want a number of at least 1000", v)
		}
	}
	b.Run("sqlite", func(b *testing.B) { benchDashboard(b, n, nil) })
	b.Run("postgres", func(b *testing.B) { benchDashboard(b, n, map[string]string{"OCEAN_DATABASE_URL": pgtest.URL(b)}) })
}

func benchDashboard(b *testing.B, n int, extra map[string]string) {
	env := map[string]string{"OCEAN_DATA_DIR": b.TempDir(), "OCEAN_ADMIN_EMAIL": ownerEmail, "OCEAN_ADMIN_PASSWORD": pw,
		"OCEAN_SEED_DEMO": "false", "OCEAN_RATE_LIMITS": "off"}
	for k, v := range extra {
		env[k] = v
	}
	cfg, _, err := config.Load(nil, func(k string) string { return env[k] })
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	app, err := cli.NewApp(ctx, cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		b.Fatal(err)
	}
	srv := httptest.NewTLSServer(app.Handler)
	b.Cleanup(func() { srv.Close(); app.Close() })

	start := time.Now()
	benchGenerate(b, app, n)
	var orders, items int64
	if err := app.DB.Read.QueryRow(`SELECT (SELECT COUNT(*) FROM orders), (SELECT COUNT(*) FROM order_items)`).Scan(&orders, &items); err != nil {
		b.Fatal(err)
	}
	b.Logf("generated %d orders, %d order lines and their rollups in %s", orders, items, time.Since(start).Round(time.Millisecond))

	u, err := app.Accounts.SignIn(ctx, ownerEmail, pw, account.Meta{})
	if err != nil {
		b.Fatal(err)
	}
	session, _, err := app.Accounts.StartSession(ctx, u)
	if err != nil {
		b.Fatal(err)
	}
	client := srv.Client()
	page := func() int {
		req, _ := http.NewRequest("GET", srv.URL+"/admin?period=30d", nil)
		req.AddCookie(&http.Cookie{Name: "__Host-ocean_session", Value: session})
		res, err := client.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != 200 || !strings.Contains(string(body), "Top products by revenue") {
			b.Fatalf("/admin: %d\n%.500s", res.StatusCode, body)
		}
		return len(body)
	}
	size := page()
	b.Run("page", func(b *testing.B) {
		cpu := cpuTime()
		for b.Loop() {
			page()
		}
		b.ReportMetric(float64(cpuTime()-cpu)/float64(time.Millisecond)/float64(b.N), "cpu-ms/op")
		b.ReportMetric(float64(size), "bytes/page")
	})
	svc := kpi.New(app.DB.KPI(), "ZAR", nil)
	b.Run("queries", func(b *testing.B) {
		p, _ := kpi.ParsePeriod("30d")
		before, cpu := app.DB.Queries(), cpuTime()
		for b.Loop() {
			d, err := svc.Dashboard(ctx, p)
			if err != nil {
				b.Fatal(err)
			}
			if d.Current.Orders == 0 {
				b.Fatal("no orders in the last 30 days")
			}
		}
		b.ReportMetric(float64(cpuTime()-cpu)/float64(time.Millisecond)/float64(b.N), "cpu-ms/op")
		b.ReportMetric(float64(app.DB.Queries()-before)/float64(b.N), "queries/op")
	})
}

// benchGenerate writes n orders over the last 365 days (1–3 lines each
// over 1,000 product slugs; most paid, some refunded in part, cancelled or
// declined) and the rollups they make, in transactions of 20,000 orders
// with multi-row inserts. Both databases take the same statements.
func benchGenerate(b *testing.B, app *cli.App, n int) {
	ctx := context.Background()
	db := app.DB
	// A few real products, some with low stock, for the low-stock list.
	c := &catalog.Category{Slug: "bench", Name: "Bench"}
	if err := app.Catalog.CreateCategory(ctx, c); err != nil {
		b.Fatal(err)
	}
	for i := range 40 {
		p := &catalog.Product{Slug: fmt.Sprintf("bench-product-%d", i), Name: fmt.Sprintf("Bench product %d", i), Description: "A bench thing.", CategoryID: c.ID,
			Variants: []catalog.Variant{{SKU: fmt.Sprintf("BENCH-%d", i), Price: ocean.Money{Amount: 10000, Currency: "ZAR"}, Stock: i % 12}}}
		if err := app.Catalog.CreateProduct(ctx, p); err != nil {
			b.Fatal(err)
		}
	}
	timeArg := func(t time.Time) any {
		if db.Dialect == sqldb.SQLite {
			return t.UnixMicro()
		}
		return t
	}
	type sale struct{ orders, gross, refunded int64 }
	type prod struct {
		name           string
		units, revenue int64
	}
	type funnel struct{ checkouts, paid, declined int64 }
	type dayCur struct {
		day  kpi.Day
		slug string
	}
	sales := map[kpi.Day]*sale{}
	prods := map[dayCur]*prod{}
	funnels := map[kpi.Day]*funnel{}

	rnd := rand.New(rand.NewPCG(1, 2))
	now := time.Now().UTC()
	const batch, perTx = 200, 20000
	orderCols := `id, public_id, idempotency_key, request_hash, cart_id, email, status, currency, subtotal, discount, shipping, tax, total, refunded,
shipping_method, shipping_name, shipping_address, country, reserved_until, gateway, payment_ref, payment_status, created_at, updated_at, paid_at`
	const nOrderCols, nItemCols = 25, 7
	var tx *sql.Tx
	var oArgs, iArgs []any
	var oRows, iRows int
	flush := func() {
		if oRows > 0 {
			q := `INSERT INTO orders (` + orderCols + `) VALUES ` + strings.TrimSuffix(strings.Repeat("("+strings.TrimSuffix(strings.Repeat("?, ", nOrderCols), ", ")+"), ", oRows), ", ")
			if _, err := tx.ExecContext(ctx, sqldb.Rebind(db.Dialect, q), oArgs...); err != nil {
				b.Fatal(err)
			}
		}
		if iRows > 0 {
			q := `INSERT INTO order_items (order_id, product_name, product_slug, sku, unit_price, quantity, line_total) VALUES ` +
				strings.TrimSuffix(strings.Repeat("("+strings.TrimSuffix(strings.Repeat("?, ", nItemCols), ", ")+"), ", iRows), ", ")
			if _, err := tx.ExecContext(ctx, sqldb.Rebind(db.Dialect, q), iArgs...); err != nil {
				b.Fatal(err)
			}
		}
		oArgs, iArgs, oRows, iRows = oArgs[:0], iArgs[:0], 0, 0
	}
	begin := func() {
		var err error
		if tx, err = db.Write.BeginTx(ctx, nil); err != nil {
			b.Fatal(err)
		}
	}
	commit := func() {
		flush()
		if err := tx.Commit(); err != nil {
			b.Fatal(err)
		}
	}
	begin()
	for i := 1; i <= n; i++ {
		at := now.Add(-time.Duration(rnd.Int64N(int64(365 * 24 * time.Hour))))
		day := kpi.DayOf(at)
		f := funnels[day]
		if f == nil {
			f = &funnel{}
			funnels[day] = f
		}
		f.checkouts++
		var status string
		payment := "captured"
		var paid any
		var refunded int64
		var subtotal int64
		lines := 1 + rnd.IntN(3)
		type line struct {
			slug, sku, productName string
			q, price, lineTotal    int64
		}
		ls := make([]line, lines)
		for j := range ls {
			p := rnd.IntN(1000)
			l := line{slug: fmt.Sprintf("product-%d", p), q: 1 + rnd.Int64N(3), price: int64(5000 + 100*(p%400))}
			l.lineTotal, l.productName, l.sku = l.q*l.price, fmt.Sprintf("Product %d", p), fmt.Sprintf("SKU-%d", p)
			subtotal += l.lineTotal
			ls[j] = l
		}
		total := subtotal + 6000
		switch r := rnd.IntN(100); {
		case r < 3:
			status, payment = "cancelled", "declined"
			f.declined++
		case r < 6:
			status = "cancelled"
			paid = timeArg(at)
			f.paid++
		case r < 10:
			status, refunded = "partially_refunded", total/4
			paid = timeArg(at)
			f.paid++
		default:
			status = []string{"paid", "fulfilled", "delivered"}[rnd.IntN(3)]
			paid = timeArg(at)
			f.paid++
		}
		if paid != nil && status != "cancelled" {
			s := sales[day]
			if s == nil {
				s = &sale{}
				sales[day] = s
			}
			s.orders++
			s.gross += total
			s.refunded += refunded
			for _, l := range ls {
				k := dayCur{day, l.slug}
				p := prods[k]
				if p == nil {
					p = &prod{name: l.productName}
					prods[k] = p
				}
				p.units += l.q
				p.revenue += l.lineTotal
			}
		}
		id := fmt.Sprintf("%032x", i)
		oArgs = append(oArgs, i, id, "key", "hash", "cart"+id, "shopper@example.com", status, "ZAR", subtotal, 0, 6000, 0, total, refunded,
			"standard", "Courier", "", "ZA", timeArg(at), "sandbox", "ref_"+id, payment, timeArg(at), timeArg(at), paid)
		oRows++
		for _, l := range ls {
			iArgs = append(iArgs, i, l.productName, l.slug, l.sku, l.price, l.q, l.lineTotal)
			iRows++
		}
		if oRows == batch {
			flush()
		}
		if i%perTx == 0 {
			commit()
			begin()
		}
	}
	// The rollups, as the stores would have kept them; carts and visits
	// at a plausible 1.6 and 40 per order.
	exec := func(q string, args ...any) {
		if _, err := tx.ExecContext(ctx, sqldb.Rebind(db.Dialect, q), args...); err != nil {
			b.Fatal(err)
		}
	}
	for d, s := range sales {
		exec(`INSERT INTO kpi_sales_daily (day, currency, orders, gross, refunded) VALUES (?, 'ZAR', ?, ?, ?)`, int64(d), s.orders, s.gross, s.refunded)
	}
	for k, p := range prods {
		exec(`INSERT INTO kpi_product_daily (day, currency, product_slug, product_name, units, revenue) VALUES (?, 'ZAR', ?, ?, ?, ?)`,
			int64(k.day), k.slug, p.name, p.units, p.revenue)
	}
	for d, f := range funnels {
		exec(`INSERT INTO kpi_daily (day, sessions, carts, checkouts, paid, declined) VALUES (?, ?, ?, ?, ?, ?)
ON CONFLICT (day) DO UPDATE SET sessions = excluded.sessions, carts = excluded.carts, checkouts = excluded.checkouts, paid = excluded.paid, declined = excluded.declined`,
			int64(d), f.checkouts*40, f.checkouts*16/10, f.checkouts, f.paid, f.declined)
	}
	commit()
	if db.Dialect == sqldb.Postgres {
		if _, err := db.Write.ExecContext(ctx, `ANALYZE`); err != nil {
			b.Fatal(err)
		}
	}
}

// cpuTime is the CPU time the process has used (user and system): on a
// shared machine it says what a page costs better than the wall clock.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
