// Package sqlite opens Ocean's embedded database: a SQLite file (pure Go
// driver, modernc.org/sqlite) in WAL mode with one writer connection beside a
// pool of read-only connections. The SQL itself is shared with PostgreSQL in
// package sqldb; this package owns the connection setup and the migrations.
package sqlite

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strings"

	"database/sql"

	"github.com/oceanshop/ocean/internal/migrate"
	"github.com/oceanshop/ocean/internal/sqldb"
	sqlite "modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

//go:embed migrations/*.sql
var migrationFS embed.FS

// Migrations returns the schema steps this binary knows.
func Migrations() ([]migrate.Migration, error) { return migrate.Load(migrationFS, "migrations") }

// Copy writes a consistent, compacted copy of the database file at path to
// the new file dst with VACUUM INTO, online: it runs in one read transaction
// on a connection of its own, so the shop's writer goes on (WAL mode).
func Copy(ctx context.Context, path, dst string) error {
	if _, err := os.Stat(path); err != nil {
		return fmt.Errorf("copy the SQLite database: %w", err)
	}
	db, err := sql.Open("sqlite", dsnFor(path, "busy_timeout(5000)"))
	if err != nil {
		return err
	}
	defer func() { _ = db.Close() }() // VACUUM INTO has written and synced dst when it returns
	if _, err := db.ExecContext(ctx, `VACUUM INTO ?`, dst); err != nil {
		return fmt.Errorf("copy the SQLite database: %w", err)
	}
	return nil
}

// dsnFor is the driver's file: URI of path with the given pragmas. The
// path is escaped so a data directory may contain '?', '#' or '%'.
func dsnFor(abs string, pragmas ...string) string {
	v := url.Values{}
	for _, p := range pragmas {
		v.Add("_pragma", p)
	}
	v.Set("_txlock", "immediate") // writers take the lock up front: no upgrade deadlocks
	p := filepath.ToSlash(abs)
	if !strings.HasPrefix(p, "/") {
		p = "/" + p // a Windows drive: file:///C:/…
	}
	u := url.URL{Scheme: "file", Path: p, RawQuery: v.Encode()}
	return u.String()
}

// Open opens (creating if needed) the database file at path.
func Open(path string) (*sqldb.DB, error) {
	// The driver takes a file: URI, where '?' starts the parameters, '#' a
	// fragment and '%' an escape: the path is escaped so a data directory
	// may contain any of them.
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("open sqlite %s: %w", path, err)
	}
	// The file holds customers' accounts and orders: only the shop's user
	// may read it. Created here 0600 (whatever the umask), SQLite gives its
	// -wal and -shm files the same mode.
	if f, err := os.OpenFile(abs, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600); err == nil {
		_ = f.Close() // an empty file, created for its mode only
	} else if !errors.Is(err, fs.ErrExist) {
		return nil, fmt.Errorf("open sqlite %s: %w", path, err)
	}
	pragmas := []string{"journal_mode(WAL)", "busy_timeout(5000)", "foreign_keys(1)", "synchronous(NORMAL)", "cache_size(-16000)", "temp_store(MEMORY)", "secure_delete(1)"}
	dsn := func(extra ...string) string { return dsnFor(abs, append(pragmas, extra...)...) }
	w, err := sql.Open("sqlite", dsn())
	if err != nil {
		return nil, fmt.Errorf("open sqlite %s: %w", path, err)
	}
	w.SetMaxOpenConns(1) // SQLite has one writer at a time; queue in Go, not in busy loops
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	if err := w.Ping(); err != nil {
		_ = w.Close() // the open error is the one to report
		return nil, fmt.Errorf("open sqlite %s: %w", path, err)
	}
	r, err := sql.Open("sqlite", dsn("query_only(1)"))
	if err != nil {
		_ = w.Close() // the open error is the one to report
		return nil, fmt.Errorf("open sqlite %s: %w", path, err)
	}
	n := max(4, runtime.NumCPU()*2)
	r.SetMaxOpenConns(n)
	r.SetMaxIdleConns(n)
	r.SetConnMaxLifetime(0)
	return &sqldb.DB{Dialect: sqldb.SQLite, Write: w, Read: r, IsUnique: isUnique}, nil
}

func isUnique(err error) bool {
	var se *sqlite.Error
	if errors.As(err, &se) {
		return se.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE || se.Code() == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY
	}
	return false
}
