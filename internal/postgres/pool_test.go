package postgres_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/oceanshop/ocean/internal/postgres"
	"github.com/oceanshop/ocean/internal/postgres/pgtest"
)

// The pool settings reach the server: a statement longer than the
// statement timeout is cancelled (its connection freed for the next
// request) and the pool opens no more connections than allowed.
func TestPoolSettings(t *testing.T) {
	ctx := context.Background()
	db, err := postgres.OpenWith(ctx, pgtest.URL(t), postgres.Pool{MaxConns: 2, MaxIdle: 1, ConnectTimeout: 5 * time.Second, StatementTimeout: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var timeout string
	if err := db.Read.QueryRowContext(ctx, `SHOW statement_timeout`).Scan(&timeout); err != nil || timeout != "200ms" {
		t.Errorf("statement_timeout %q (%v), want 200ms", timeout, err)
	}
	_, err = db.Write.ExecContext(ctx, `SELECT pg_sleep(2)`)
	if err == nil || !strings.Contains(err.Error(), "57014") {
		t.Errorf("a 2 s statement under a 200 ms timeout: %v, want it cancelled (57014)", err)
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
