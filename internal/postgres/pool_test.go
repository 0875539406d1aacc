package postgres_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/oceanshop/ocean/internal/migrate"
	"github.com/oceanshop/ocean/internal/postgres"
	"github.com/oceanshop/ocean/internal/postgres/pgtest"
)

// The pool settings reach the server: a statement longer than the
// statement timeout is cancelled (its connection freed for the next
// request) and the pool opens no more connections than allowed.
func TestPoolSettings(t *testing.T) {
	ctx := context.Background()
	// The timeout is a second, not less: the ping and the SHOW run under
	// it too, and on a busy machine a 200 ms one is not certain to let even
	// those through. The 30 s sleep is what it has to cut.
	db, err := postgres.OpenWith(ctx, pgtest.URL(t), postgres.Pool{MaxConns: 2, MaxIdle: 1, ConnectTimeout: 30 * time.Second, StatementTimeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var timeout string
	if err := db.Read.QueryRowContext(ctx, `SHOW statement_timeout`).Scan(&timeout); err != nil || timeout != "1s" {
		t.Errorf("statement_timeout %q (%v), want 1s", timeout, err)
	}
	_, err = db.Write.ExecContext(ctx, `SELECT pg_sleep(30)`)
	if err == nil || !strings.Contains(err.Error(), "57014") {
		t.Errorf("a 30 s statement under a 1 s timeout: %v, want it cancelled (57014)", err)
	}
	if got := db.Write.Stats().MaxOpenConnections; got != 2 {
		t.Errorf("max open connections %d, want 2", got)
	}
	// The URL's own statement_timeout wins over the setting.
	u := pgtest.URL(t)
	sep := "?"
	if strings.Contains(u, "?") {
		sep = "&"
	}
	db2, err := postgres.OpenWith(ctx, u+sep+"statement_timeout=1500", postgres.Pool{StatementTimeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer db2.Close()
	if err := db2.Read.QueryRowContext(ctx, `SHOW statement_timeout`).Scan(&timeout); err != nil || timeout != "1500ms" {
		t.Errorf("with the URL's statement_timeout: %q (%v), want 1500ms", timeout, err)
	}
}

// A migration runs to the end however long it takes: the pool's statement
// timeout guards requests, and a large shop's migration (0017 took 5.5
// minutes on a million orders) must not be cancelled halfway by it.
func TestMigrationOutlastsStatementTimeout(t *testing.T) {
	ctx := context.Background()
	url := pgtest.URL(t)
	// The table set-up and the checks go through a pool with no statement
	// timeout: on a busy machine a CREATE TABLE alone can take longer than
	// the 100 ms under test (CI saw exactly that), and only the migration
	// and the request after it are what this test is about. The timeout is
	// 500 ms, not 100: the pool's ping and the migration's BEGIN and SET
	// LOCAL still run under it, and a backend kept waiting for its turn on
	// a busy machine can take 100 ms over even those.
	setup, err := postgres.OpenWith(ctx, url, postgres.Pool{MaxConns: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer setup.Close()
	if _, err := setup.Write.ExecContext(ctx, `CREATE TABLE schema_migrations (version integer PRIMARY KEY)`); err != nil {
		t.Fatal(err)
	}
	db, err := postgres.OpenWith(ctx, url, postgres.Pool{MaxConns: 2, StatementTimeout: 500 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	slow := migrate.Migration{Version: 1, Name: "slow", Up: `SELECT pg_sleep(1.5); CREATE TABLE slow_step (id integer)`, Down: `DROP TABLE slow_step`}
	if err := db.Apply(ctx, slow, true); err != nil {
		t.Fatalf("a 1.5 s migration under a 500 ms statement timeout: %v, want it applied", err)
	}
	var n int
	if err := setup.Read.QueryRowContext(ctx, `SELECT count(*) FROM slow_step`).Scan(&n); err != nil {
		t.Fatalf("the migration's table: %v", err)
	}
	if err := setup.Read.QueryRowContext(ctx, `SELECT count(*) FROM schema_migrations WHERE version = 1`).Scan(&n); err != nil || n != 1 {
		t.Fatalf("the migration's record: %d (%v), want 1", n, err)
	}
	// Requests on the same pool are still cut off.
	if _, err := db.Write.ExecContext(ctx, `SELECT pg_sleep(30)`); err == nil || !strings.Contains(err.Error(), "57014") {
		t.Errorf("a request after the migration: %v, want it cancelled by the timeout (57014)", err)
	}
}
