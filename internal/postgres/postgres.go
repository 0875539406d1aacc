// Package postgres opens Ocean's scaled-out database: PostgreSQL 15+ through
// pgx. The SQL is shared with SQLite in package sqldb; this package owns the
// connection pool, the migrations and the PostgreSQL-only pieces (tsvector
// search, advisory locks).
package postgres

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/oceanshop/ocean/internal/migrate"
	"github.com/oceanshop/ocean/internal/sqldb"
)

//go:embed migrations/*.sql
var migrationFS embed.FS

// Migrations returns the schema steps this binary knows.
func Migrations() ([]migrate.Migration, error) { return migrate.Load(migrationFS, "migrations") }

// Pool is the connection pool's size and timeouts (the OCEAN_DATABASE_*
// settings). A zero MaxConns takes DefaultPool's; a zero lifetime or
// statement timeout means none.
type Pool struct {
	MaxConns         int           // open at most
	MaxIdle          int           // kept open while idle
	ConnMaxLifetime  time.Duration // replaced after this long; 0: never
	ConnectTimeout   time.Duration // dial and authenticate one connection
	StatementTimeout time.Duration // the server cancels a longer statement; 0: never
}

// DefaultPool is what Open uses: the settings' defaults.
var DefaultPool = Pool{MaxConns: 32, MaxIdle: 32, ConnMaxLifetime: 30 * time.Minute, ConnectTimeout: 5 * time.Second, StatementTimeout: time.Minute}

// Open connects to the database at url (postgres://…) with DefaultPool
// and checks it answers.
func Open(ctx context.Context, url string) (*sqldb.DB, error) { return OpenWith(ctx, url, DefaultPool) }

// OpenWith connects to the database at url with pool p.
func OpenWith(ctx context.Context, url string, p Pool) (*sqldb.DB, error) {
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("OCEAN_DATABASE_URL: %w", err)
	}
	if p.MaxConns <= 0 {
		p.MaxConns = DefaultPool.MaxConns
	}
	if p.ConnectTimeout > 0 && cfg.ConnectTimeout == 0 { // the URL's connect_timeout wins
		cfg.ConnectTimeout = p.ConnectTimeout
	}
	if cfg.RuntimeParams == nil {
		cfg.RuntimeParams = map[string]string{}
	}
	if p.StatementTimeout > 0 {
		if _, set := cfg.RuntimeParams["statement_timeout"]; !set { // the URL's own wins
			cfg.RuntimeParams["statement_timeout"] = strconv.FormatInt(p.StatementTimeout.Milliseconds(), 10)
		}
	}
	// The catalog's searches read their results as text (PlanEach below):
	// pgx parses only ISO dates, and a rank read back must be the float
	// that was written (shortest exact output, PostgreSQL 12's default).
	cfg.RuntimeParams["datestyle"] = "ISO, MDY"
	cfg.RuntimeParams["extra_float_digits"] = "1"
	db := stdlib.OpenDB(*cfg)
	db.SetMaxOpenConns(p.MaxConns)
	db.SetMaxIdleConns(min(p.MaxIdle, p.MaxConns))
	db.SetConnMaxLifetime(p.ConnMaxLifetime)
	if err := db.PingContext(ctx); err != nil {
		_ = db.Close() // the failed ping is the error to report
		return nil, fmt.Errorf("connect to PostgreSQL at %s:%d: %w", cfg.Host, cfg.Port, err)
	}
	return &sqldb.DB{Dialect: sqldb.Postgres, Write: db, Read: db, IsUnique: isUnique, LoginAs: loginAs(cfg), PlanEach: pgx.QueryExecModeExec}, nil
}

// loginAs opens pools on cfg's database as another role: the SQL console's
// reader logs in as itself, so nothing in a query can turn back into the
// shop's own role (SET ROLE would let set_config('role', …) do that).
func loginAs(cfg *pgx.ConnConfig) func(ctx context.Context, user, password string) (*sql.DB, error) {
	return func(ctx context.Context, user, password string) (*sql.DB, error) {
		c := cfg.Copy()
		c.User, c.Password = user, password
		db := stdlib.OpenDB(*c)
		db.SetMaxOpenConns(1)
		db.SetMaxIdleConns(0)
		if err := db.PingContext(ctx); err != nil {
			_ = db.Close() // the ping error is the one to report
			return nil, err
		}
		return db, nil
	}
}

func isUnique(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == "23505"
}

// migrationLock is the advisory lock key that serialises migrations when
// several instances start at once.
const migrationLock = 0x6f6365616e // "ocean"

// Locked runs fn while holding the migration advisory lock, so only one
// instance migrates at a time; the others wait and then find nothing to do.
func Locked(ctx context.Context, db *sqldb.DB, fn func() error) error {
	conn, err := db.Write.Conn(ctx)
	if err != nil {
		return err
	}
	defer func() { _ = conn.Close() }() // returns the connection to the pool; nothing to report
	if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_lock($1)`, migrationLock); err != nil {
		return fmt.Errorf("migration lock: %w", err)
	}
	defer conn.ExecContext(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock($1)`, migrationLock) //nolint:errcheck // the lock also ends with the session; fn's result is what counts
	return fn()
}
