package cli_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/oceanshop/ocean/internal/postgres/pgtest"
	"github.com/oceanshop/ocean/internal/sqldb"
)

// TestBackupRestoreTimes measures `ocean backup` and `ocean restore` for
// the demo shop and for a shop with 100,000 orders, on SQLite and on
// PostgreSQL, and checks that every order came back. It takes minutes,
// so it runs only with OCEAN_DRILL_BACKUP=1 (make drill-backup); the
// figures go into docs/runbooks/disaster-recovery.md.
func TestBackupRestoreTimes(t *testing.T) {
	if os.Getenv("OCEAN_DRILL_BACKUP") == "" {
		t.Skip("minutes long: run it with make drill-backup")
	}
	orders := 100000
	for _, db := range []string{"sqlite", "postgres"} {
		for _, size := range []string{"demo", "orders"} {
			t.Run(db+"/"+size, func(t *testing.T) {
				src := map[string]string{"OCEAN_DATA_DIR": t.TempDir()}
				dst := map[string]string{"OCEAN_DATA_DIR": t.TempDir()}
				if db == "postgres" {
					src["OCEAN_DATABASE_URL"], dst["OCEAN_DATABASE_URL"] = pgtest.URL(t), pgtest.URL(t)
					for k, v := range fleetKeys(t) { // a fleet's keys live outside the backup
						src[k], dst[k] = v, v
					}
				}
				if size == "demo" {
					src["OCEAN_SEED_DEMO"] = "true"
				}
				s := newBuyShopEnv(t, false, src)
				if size == "orders" {
					manyOrders(t, s, orders)
				}
				want := count(t, s.app.DB, "orders")
				dir := filepath.Join(t.TempDir(), "backups")
				began := time.Now()
				if code, out, errs := run(t, src, "backup", dir); code != 0 {
					t.Fatalf("ocean backup: %d %s %s", code, out, errs)
				}
				took := time.Since(began)
				var bytes int64
				_ = filepath.Walk(dir, func(_ string, fi os.FileInfo, err error) error {
					if err == nil && !fi.IsDir() {
						bytes += fi.Size()
					}
					return nil
				})
				began = time.Now()
				if code, out, errs := run(t, dst, "restore", dir); code != 0 {
					t.Fatalf("ocean restore: %d %s %s", code, out, errs)
				}
				restored := time.Since(began)
				r := newBuyShopEnv(t, false, dst)
				if got := count(t, r.app.DB, "orders"); got != want {
					t.Fatalf("restored %d orders, the shop had %d", got, want)
				}
				t.Logf("BACKUP %s, %s: %d orders, %d products; backup %s (%.1f MB), restore %s",
					db, size, want, count(t, s.app.DB, "products"), took.Round(10*time.Millisecond), float64(bytes)/1e6, restored.Round(10*time.Millisecond))
			})
		}
	}
}

func count(t *testing.T, db *sqldb.DB, table string) int {
	t.Helper()
	var n int
	if err := db.Read.QueryRow(`SELECT count(*) FROM ` + table).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// manyOrders places 50 orders through the API (each with its items,
// events and ledger rows), then copies them in SQL, doubling the orders
// each round, until the shop has at least n. Copies get new ids and
// unique references; the stock levels are set to their ledgers again.
func manyOrders(t *testing.T, s *buyShop, n int) {
	t.Helper()
	ctx := context.Background()
	v := s.product(t, 10*n, 2500, "ZAR")
	for i := range 50 {
		id := s.cartWith(t, v, 1+i%3)
		s.must(t, 201, "POST", "/api/v1/carts/"+id+"/checkout", "", key("many", i), checkoutBody("tok_visa"), nil)
	}
	db := s.app.DB
	cols := func(table string) []string {
		q := `SELECT name FROM pragma_table_info('` + table + `') ORDER BY cid`
		if db.Dialect == sqldb.Postgres {
			q = `SELECT column_name FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = '` + table + `' ORDER BY ordinal_position`
		}
		var out []string
		rows, err := db.Read.QueryContext(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		for rows.Next() {
			var c string
			if err := rows.Scan(&c); err != nil {
				t.Fatal(err)
			}
			out = append(out, c)
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		return out
	}
	maxID := func(table string) int64 {
		var m int64
		if err := db.Read.QueryRowContext(ctx, `SELECT COALESCE(max(id), 0) FROM `+table).Scan(&m); err != nil {
			t.Fatal(err)
		}
		return m
	}
	unique := map[string]bool{"public_id": true, "payment_ref": true, "cart_id": true}
	// copy inserts a copy of table's rows (those matching where) with
	// ids shifted past the highest and order ids shifted by orderShift.
	copyRows := func(table, where string, orderShift int64, round int) {
		shift := maxID(table)
		var sel []string
		cs := cols(table)
		for _, c := range cs {
			switch {
			case c == "id":
				sel = append(sel, fmt.Sprintf("id + %d", shift))
			case table == "orders" && c == "number":
				// Order numbers are unique too: the copies take the
				// numbers after the highest, as paying them would.
				var top int64
				if err := db.Read.QueryRowContext(ctx, `SELECT COALESCE(max(number), 100000) FROM orders`).Scan(&top); err != nil {
					t.Fatal(err)
				}
				sel = append(sel, fmt.Sprintf("number + %d", top-100000))
			case c == "order_id":
				sel = append(sel, fmt.Sprintf("order_id + %d", orderShift))
			case table == "orders" && unique[c]:
				sel = append(sel, fmt.Sprintf("%s || '-%d'", c, round))
			default:
				sel = append(sel, c)
			}
		}
		q := fmt.Sprintf(`INSERT INTO %s (%s) SELECT %s FROM %s WHERE %s`, table, strings.Join(cs, ", "), strings.Join(sel, ", "), table, where)
		if _, err := db.Write.ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	for round := 1; count(t, db, "orders") < n; round++ {
		shift := maxID("orders")
		copyRows("orders", "TRUE", 0, round)
		copyRows("order_items", fmt.Sprintf("order_id <= %d", shift), shift, round)
		copyRows("order_events", fmt.Sprintf("order_id <= %d", shift), shift, round)
		copyRows("stock_ledger", fmt.Sprintf("order_id IS NOT NULL AND order_id <= %d", shift), shift, round)
	}
	if _, err := db.Write.ExecContext(ctx, `UPDATE variants SET stock = (SELECT COALESCE(sum(delta), 0) FROM stock_ledger l WHERE l.variant_id = variants.id)`); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Write.ExecContext(ctx, `UPDATE order_numbers SET last = (SELECT COALESCE(max(number), 100000) FROM orders)`); err != nil {
		t.Fatal(err)
	}
	if db.Dialect == sqldb.Postgres {
		for _, table := range []string{"orders", "order_items", "order_events", "stock_ledger"} {
			if _, err := db.Write.ExecContext(ctx, fmt.Sprintf(`SELECT setval(pg_get_serial_sequence('%s', 'id'), (SELECT max(id) FROM %s))`, table, table)); err != nil {
				t.Fatal(err)
			}
		}
	}
	s.verifyLedger(t)
}
