package cli_test

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/oceanshop/ocean/internal/migrate"
	"github.com/oceanshop/ocean/internal/postgres"
	"github.com/oceanshop/ocean/internal/postgres/pgtest"
	"github.com/oceanshop/ocean/internal/sqldb"
	"github.com/oceanshop/ocean/internal/sqlite"
)

// TestMigrationRoundTripOnSQLite and …OnPostgres walk every migration the
// binary knows (whatever their number: new ones are covered without
// touching this test) with a shop's data in the database: from the newest
// version down to nothing, each step is reverted and re-applied and must
// give back exactly the schema it had, without losing the rows the revert
// left. At the bottom the schema goes all the way up again and the shop
// sells on it. See docs/migrations.md for the discipline this enforces.
func TestMigrationRoundTripOnSQLite(t *testing.T) {
	t.Parallel()
	ms, err := sqlite.Migrations()
	if err != nil {
		t.Fatal(err)
	}
	testRoundTrip(t, map[string]string{"OCEAN_DATA_DIR": t.TempDir()}, ms)
}

func TestMigrationRoundTripOnPostgres(t *testing.T) {
	t.Parallel()
	ms, err := postgres.Migrations()
	if err != nil {
		t.Fatal(err)
	}
	testRoundTrip(t, map[string]string{"OCEAN_DATA_DIR": t.TempDir(), "OCEAN_DATABASE_URL": pgtest.URL(t)}, ms)
}

func testRoundTrip(t *testing.T, env map[string]string, ms []migrate.Migration) {
	ctx := context.Background()
	began := time.Now()
	s := newBuyShopEnv(t, false, env)
	sell(t, s, "rt1")
	db := s.app.DB
	top := len(ms)
	want := map[int]schema{top: schemaOf(t, db)}
	if len(want[top].tables) == 0 {
		t.Fatal("no tables after migrating up")
	}
	for k := top; k >= 1; k-- {
		before := schemaOf(t, db)
		if v, err := migrate.Down(ctx, db, ms); err != nil || v != k {
			t.Fatalf("down from %d with data in the tables: reverted %d, %v", k, v, err)
		}
		down := schemaOf(t, db)
		if prev, ok := want[k-1]; ok && !reflect.DeepEqual(prev.def, down.def) {
			t.Fatalf("schema after reverting %04d differs from the one before it was applied:\n%s", k, diff(prev.def, down.def))
		}
		want[k-1] = down
		if err := db.Apply(ctx, ms[k-1], true); err != nil {
			t.Fatalf("re-applying %04d_%s over the data its revert left: %v", k, ms[k-1].Name, err)
		}
		again := schemaOf(t, db)
		if !reflect.DeepEqual(before.def, again.def) {
			t.Fatalf("%04d_%s down then up does not give the same schema back:\n%s", k, ms[k-1].Name, diff(before.def, again.def))
		}
		for table, n := range down.rows {
			if again.rows[table] != n {
				t.Errorf("%04d_%s up again: table %s had %d rows after the revert, %d after re-applying", k, ms[k-1].Name, table, n, again.rows[table])
			}
		}
		if _, err := migrate.Down(ctx, db, ms); err != nil {
			t.Fatal(err)
		}
	}
	if st, err := migrate.GetStatus(ctx, db, ms); err != nil || st.Current != 0 {
		t.Fatalf("after reverting everything: %+v, %v", st, err)
	}
	if n, err := migrate.Up(ctx, db, ms); err != nil || n != top {
		t.Fatalf("up again from nothing: %d, %v", n, err)
	}
	if got := schemaOf(t, db); !reflect.DeepEqual(got.def, want[top].def) {
		t.Fatalf("schema after a full round trip differs:\n%s", diff(want[top].def, got.def))
	}
	// The re-created schema serves a shop: a new instance starts on it
	// (admin created again) and sells.
	env2 := map[string]string{}
	for k, v := range env {
		env2[k] = v
	}
	s2 := newBuyShopEnv(t, false, env2)
	sell(t, s2, "rt2")
	name := "sqlite"
	if db.Dialect == sqldb.Postgres {
		name = "postgres"
	}
	figures(t, fmt.Sprintf("MIGRATIONS %s: %d migrations each reverted and re-applied with data, all down and up again, the shop sells: %s",
		name, top, time.Since(began).Round(time.Millisecond)))
}

// figures logs a drill's figures and, when OCEAN_DRILL_REPORT names a
// file, appends them to it: make test prints that file, so the figures
// show in its output even when every test passes (go test shows a
// passing package's log only with -v).
func figures(t *testing.T, line string) {
	t.Helper()
	t.Log(line)
	if p := os.Getenv("OCEAN_DRILL_REPORT"); p != "" {
		f, err := os.OpenFile(p, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
		if err != nil {
			t.Error(err)
			return
		}
		defer func() { _ = f.Close() }() // appended below; the error is checked there
		if _, err := fmt.Fprintln(f, line); err != nil {
			t.Error(err)
		}
	}
}

// sell puts a product on sale, buys one and checks the ledger.
func sell(t *testing.T, s *buyShop, prefix string) {
	t.Helper()
	v := s.product(t, 5, 12000, "ZAR")
	id := s.cartWith(t, v, 1)
	var o orderOut
	s.must(t, 201, "POST", "/api/v1/carts/"+id+"/checkout", "", key(prefix, 1), checkoutBody("tok_visa"), &o)
	if o.Status != "paid" {
		t.Fatalf("order: %+v", o)
	}
	s.verifyLedger(t)
}

// schema is a database's definition (tables, columns, indexes, as text
// that compares equal when the schema is the same) and its row counts.
type schema struct {
	tables []string
	def    []string
	rows   map[string]int
}

func schemaOf(t *testing.T, db *sqldb.DB) schema {
	t.Helper()
	ctx := context.Background()
	var q string
	if db.Dialect == sqldb.Postgres {
		q = `SELECT 'column ' || table_name || '.' || column_name || ' ' || data_type || ' null=' || is_nullable || ' default=' || COALESCE(column_default, '')
			FROM information_schema.columns WHERE table_schema = current_schema()
			UNION ALL SELECT 'index ' || indexname || ': ' || indexdef FROM pg_indexes WHERE schemaname = current_schema()
			UNION ALL SELECT 'constraint ' || conrelid::regclass::text || ' ' || conname || ': ' || pg_get_constraintdef(oid) FROM pg_constraint WHERE connamespace = current_schema()::regnamespace
			UNION ALL SELECT 'trigger ' || tgrelid::regclass::text || ' ' || tgname FROM pg_trigger WHERE NOT tgisinternal`
	} else {
		q = `SELECT type || ' ' || name || ': ' || COALESCE(sql, '') FROM sqlite_master WHERE name NOT LIKE 'sqlite_%'`
	}
	def := strings2(t, db.Write, q)
	var tq string
	if db.Dialect == sqldb.Postgres {
		tq = `SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'`
	} else {
		tq = `SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'`
	}
	s := schema{def: def, rows: map[string]int{}}
	for _, table := range strings2(t, db.Write, tq) {
		if table == "schema_migrations" {
			continue
		}
		s.tables = append(s.tables, table)
		var n int
		if err := db.Write.QueryRowContext(ctx, fmt.Sprintf(`SELECT count(*) FROM %q`, table)).Scan(&n); err != nil {
			t.Fatalf("count %s: %v", table, err)
		}
		s.rows[table] = n
	}
	return s
}

// strings2 runs a query of one text column and returns the values sorted.
func strings2(t *testing.T, db *sql.DB, q string) []string {
	t.Helper()
	rows, err := db.QueryContext(context.Background(), q+` ORDER BY 1`)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		out = append(out, s)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func diff(want, got []string) string {
	in := func(s string, l []string) bool {
		for _, x := range l {
			if x == s {
				return true
			}
		}
		return false
	}
	var b strings.Builder
	for _, s := range want {
		if !in(s, got) {
			b.WriteString("  missing: " + s + "\n")
		}
	}
	for _, s := range got {
		if !in(s, want) {
			b.WriteString("  extra:   " + s + "\n")
		}
	}
	return b.String()
}

// TestServeRefusesANewerSchema: a binary older than its database (a
// rollback of the binary without rolling back the schema) does not start,
// and says why and what to do, instead of running on a schema it does not
// know.
func TestServeRefusesANewerSchema(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	env := map[string]string{"OCEAN_DATA_DIR": dir, "OCEAN_HTTP_ADDR": "127.0.0.1:0", "OCEAN_HTTPS_ADDR": "off"}
	if code, out, errs := run(t, env, "migrate", "up"); code != 0 {
		t.Fatalf("migrate up: %d %s %s", code, out, errs)
	}
	db, err := sqlite.Open(dir + "/ocean.db")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Write.Exec(`INSERT INTO schema_migrations (version) VALUES (9999)`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	for _, args := range [][]string{{"serve"}, {"migrate", "up"}} {
		code, _, errs := run(t, env, args...)
		if code != 1 || !strings.Contains(errs, "newer than this binary") || !strings.Contains(errs, "9999") || !strings.Contains(errs, "newer release") {
			t.Errorf("ocean %s on a newer schema: exit %d, stderr %q", args, code, errs)
		}
	}
}
