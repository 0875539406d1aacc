package sqldb

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync/atomic"

	"github.com/oceanshop/ocean/internal/migrate"
)

// DB is an open database: a write pool and a read pool (the same pool on
// PostgreSQL), the dialect, and a count of statements run.
type DB struct {
	Dialect  Dialect
	Write    *sql.DB
	Read     *sql.DB
	IsUnique func(error) bool // reports a unique-constraint violation
	// LoginAs opens a pool that logs in to the same database as another
	// role (PostgreSQL only; nil elsewhere). The pool keeps no idle
	// connection, so whatever a session leaves behind (advisory locks,
	// settings) ends with it.
	LoginAs func(ctx context.Context, user, password string) (*sql.DB, error)
	queries atomic.Int64
}

// Close closes the pools.
func (db *DB) Close() error {
	if db.Read == db.Write {
		return db.Write.Close()
	}
	return errors.Join(db.Read.Close(), db.Write.Close())
}

// Ping checks the database answers.
func (db *DB) Ping(ctx context.Context) error { return db.Read.PingContext(ctx) }

// Queries returns how many SQL statements the stores have run; tests and
// benchmarks use it to count the queries behind one page.
func (db *DB) Queries() int64 { return db.queries.Load() }

// EachRow calls fn for every row of rows (fn scans the current row), then
// returns the first error: fn's, or the query's (rows.Err). rows is closed
// when it returns, so the connection is free for the next query.
func EachRow(rows *sql.Rows, fn func() error) error {
	defer rows.Close()
	for rows.Next() {
		if err := fn(); err != nil {
			return err
		}
	}
	return rows.Err()
}

func (db *DB) query(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	db.queries.Add(1)
	return db.Read.QueryContext(ctx, Rebind(db.Dialect, q), args...)
}

func (db *DB) queryRow(ctx context.Context, q string, args ...any) *sql.Row {
	db.queries.Add(1)
	return db.Read.QueryRowContext(ctx, Rebind(db.Dialect, q), args...)
}

// Tx is a write transaction that counts and rebinds its statements.
type Tx struct {
	db *DB
	tx *sql.Tx
}

func (t *Tx) exec(ctx context.Context, q string, args ...any) (sql.Result, error) {
	t.db.queries.Add(1)
	return t.tx.ExecContext(ctx, Rebind(t.db.Dialect, q), args...)
}

// insertID inserts and returns the new row's id (RETURNING works on both
// SQLite ≥ 3.35 and PostgreSQL).
func (t *Tx) insertID(ctx context.Context, q string, args ...any) (int64, error) {
	t.db.queries.Add(1)
	var id int64
	err := t.tx.QueryRowContext(ctx, Rebind(t.db.Dialect, q+" RETURNING id"), args...).Scan(&id)
	return id, err
}

// InTx runs fn in one write transaction, committed if fn returns nil.
func (db *DB) InTx(ctx context.Context, fn func(*Tx) error) error {
	tx, err := db.Write.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	if err := fn(&Tx{db: db, tx: tx}); err != nil {
		_ = tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// Applied implements migrate.Target.
func (db *DB) Applied(ctx context.Context) (map[int]bool, error) {
	if _, err := db.Write.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP)`); err != nil {
		return nil, fmt.Errorf("schema_migrations: %w", err)
	}
	rows, err := db.Write.QueryContext(ctx, `SELECT version FROM schema_migrations`)
	if err != nil {
		return nil, fmt.Errorf("schema_migrations: %w", err)
	}
	defer rows.Close()
	out := map[int]bool{}
	for rows.Next() {
		var v int
		if err := rows.Scan(&v); err != nil {
			return nil, err
		}
		out[v] = true
	}
	return out, rows.Err()
}

// Apply implements migrate.Target: the step and its bookkeeping commit
// together (both databases have transactional DDL).
func (db *DB) Apply(ctx context.Context, m migrate.Migration, up bool) error {
	return db.InTx(ctx, func(tx *Tx) error {
		body, record := m.Down, `DELETE FROM schema_migrations WHERE version = ?`
		if up {
			body, record = m.Up, `INSERT INTO schema_migrations (version) VALUES (?)`
		}
		if _, err := tx.tx.ExecContext(ctx, body); err != nil {
			return err
		}
		_, err := tx.exec(ctx, record, m.Version)
		return err
	})
}
