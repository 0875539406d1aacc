package sqlite

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"net/url"
	"path/filepath"
	"strings"

	"github.com/oceanshop/ocean/internal/sqldb"
	sqlite "modernc.org/sqlite"
)

// Policy decides whether a column of a table may be read (column "" for a
// table read without naming columns); nil allows, an error denies and is
// what the caller is told.
type Policy func(table, column string) error

// ErrNotSelect is the denial of anything but reading: writes, schema
// changes, PRAGMA, ATTACH, transactions.
var ErrNotSelect = errors.New("only a SELECT statement may run here")

// sqliteLimitLength is SQLITE_LIMIT_LENGTH, the largest string or blob;
// maxValueBytes is what the console allows one value to be.
const (
	sqliteLimitLength = 0
	maxValueBytes     = 1 << 20
)

// ReadOnly is a separate pool of read-only connections to the shop's
// SQLite file for ad-hoc queries (the operators' SQL console). Three walls
// stand between a query and a write or a secret: the file is opened with
// mode=ro and query_only, and SQLite's authorizer, installed on the
// connection for each query, lets the statement compile only if it does
// nothing but read columns the policy allows. The authorizer sees the
// parsed statement (each table and column read, through views and
// subqueries too), so no spelling of a query gets around it.
type ReadOnly struct{ db *sql.DB }

// OpenReadOnly opens the pool over the file db uses.
func OpenReadOnly(ctx context.Context, db *sqldb.DB) (*ReadOnly, error) {
	var path string
	if err := db.Read.QueryRowContext(ctx, `SELECT file FROM pragma_database_list WHERE name = 'main'`).Scan(&path); err != nil {
		return nil, fmt.Errorf("find the database file: %w", err)
	}
	if path == "" {
		return nil, errors.New("the database has no file (in memory)")
	}
	v := url.Values{}
	v.Set("mode", "ro")
	for _, p := range []string{"query_only(1)", "busy_timeout(5000)"} {
		v.Add("_pragma", p)
	}
	p := filepath.ToSlash(path)
	if !strings.HasPrefix(p, "/") {
		p = "/" + p
	}
	u := url.URL{Scheme: "file", Path: p, RawQuery: v.Encode()}
	d := &sqlite.Driver{}
	// Fail closed: until a query installs its policy, a connection may
	// compile nothing but a read of nothing.
	d.RegisterConnectionHook(func(c sqlite.ExecQuerierContext, _ string) error {
		r, ok := c.(sqlite.AuthorizerRegisterer)
		if !ok {
			return errors.New("the SQLite driver has no authorizer")
		}
		var ignored error
		return r.RegisterAuthorizer(authorizer(func(string, string) error { return ErrNotSelect }, &ignored))
	})
	pool := sql.OpenDB(connector{d: d, dsn: u.String()})
	pool.SetMaxOpenConns(2)
	pool.SetMaxIdleConns(2)
	if err := pool.PingContext(ctx); err != nil {
		_ = pool.Close() // the ping error is the one to report
		return nil, err
	}
	return &ReadOnly{db: pool}, nil
}

type connector struct {
	d   *sqlite.Driver
	dsn string
}

func (c connector) Connect(context.Context) (driver.Conn, error) { return c.d.Open(c.dsn) }
func (c connector) Driver() driver.Driver                        { return c.d }

// Close closes the pool.
func (r *ReadOnly) Close() error { return r.db.Close() }

// Query runs q under policy, calling row for each row until it returns
// false. When the authorizer refused the statement, the error is the
// policy's (or ErrNotSelect), not SQLite's terse "not authorized". ctx
// ending interrupts the statement.
func (r *ReadOnly) Query(ctx context.Context, q string, policy Policy, row func(cols []string, vals []any) bool) error {
	conn, err := r.db.Conn(ctx)
	if err != nil {
		return err
	}
	defer func() { _ = conn.Close() }() // gives the connection back to the pool
	// No value a query builds may exceed maxValueBytes (randomblob,
	// zeroblob, printf, group_concat would otherwise allocate what they are
	// asked for, up to a gigabyte each, inside the shop's process).
	if _, err := sqlite.Limit(conn, sqliteLimitLength, maxValueBytes); err != nil {
		return err
	}
	// SQLite presents a read of a WITH table as a read of a table of that
	// name: names that are no table or view of the schema are such
	// queries' own (the reads inside them are checked one by one).
	var denied error
	install := func(p Policy) error {
		return conn.Raw(func(dc any) error {
			ar, ok := dc.(sqlite.AuthorizerRegisterer)
			if !ok {
				return errors.New("the SQLite driver has no authorizer")
			}
			return ar.RegisterAuthorizer(authorizer(p, &denied))
		})
	}
	if err := install(func(table, _ string) error {
		if table == "sqlite_master" {
			return nil
		}
		return ErrNotSelect
	}); err != nil {
		return err
	}
	schema := map[string]bool{}
	names, err := conn.QueryContext(ctx, `SELECT lower(name) FROM sqlite_master WHERE type IN ('table', 'view')`) //nolint:rowserrcheck,sqlclosecheck // sqldb.EachRow below closes names and reads names.Err
	if err != nil {
		return err
	}
	if err := sqldb.EachRow(names, func() error {
		var n string
		if err := names.Scan(&n); err != nil {
			return err
		}
		schema[n] = true
		return nil
	}); err != nil {
		return err
	}
	if err := install(func(table, column string) error {
		if !schema[strings.ToLower(table)] && !strings.HasPrefix(strings.ToLower(table), "sqlite_") {
			return nil
		}
		return policy(table, column)
	}); err != nil {
		return err
	}
	rows, err := conn.QueryContext(ctx, q)
	if err != nil {
		if denied != nil {
			return denied
		}
		return err
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return err
	}
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return err
		}
		if !row(cols, vals) {
			break
		}
	}
	if err := rows.Err(); err != nil {
		if denied != nil {
			return denied
		}
		return err
	}
	if len(cols) > 0 && denied == nil {
		row(cols, nil) // tells the caller the columns of an empty result
	}
	return denied
}

// authorizer lets a statement read what policy allows and nothing else;
// the first refusal is kept in denied.
func authorizer(policy Policy, denied *error) sqlite.AuthorizerFn {
	deny := func(err error) sqlite.AuthorizerReturnCode {
		if *denied == nil {
			*denied = err
		}
		return sqlite.AuthorizerDeny
	}
	return func(action sqlite.AuthorizerActionCode, arg1, arg2, _, _ string) sqlite.AuthorizerReturnCode {
		switch action {
		case sqlite.AuthSelect, sqlite.AuthRecursive:
			return sqlite.AuthorizerOK
		case sqlite.AuthFunction:
			if strings.EqualFold(arg2, "load_extension") {
				return deny(ErrNotSelect)
			}
			return sqlite.AuthorizerOK
		case sqlite.AuthRead:
			if err := policy(arg1, arg2); err != nil {
				return deny(err)
			}
			return sqlite.AuthorizerOK
		}
		return deny(ErrNotSelect)
	}
}
